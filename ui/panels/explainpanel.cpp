#include "ui/panels/explainpanel.h"

#include <QLabel>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "ui/model/runmodel.h"
#include "ui/panels/explain.h"

namespace pd {

ExplainPanel::ExplainPanel(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    caption_ = new QLabel(this);
    caption_->setWordWrap(true);
    caption_->setTextFormat(Qt::RichText);
    caption_->setMargin(4);
    text_ = new QTextBrowser(this);
    text_->setOpenExternalLinks(false);
    // The text wraps to the dock; it never sets the dock's width (which
    // would resize the timeline whenever the schedule changes).
    caption_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    text_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Expanding);
    v->addWidget(caption_);
    v->addWidget(text_, 1);
}

void ExplainPanel::showSchedule(const DryRun& run) {
    text_->setHtml(explainHtml(run));
}

void ExplainPanel::showProblem(const QString& problem) {
    text_->setHtml(tr("<p><b>This configuration cannot run:</b> %1</p>"
                      "<p>Change the controls on the left; the timeline comes back as soon "
                      "as the configuration is valid.</p>")
                       .arg(problem.toHtmlEscaped()));
}

void ExplainPanel::showListening(const QString& state, const QString& command) {
    text_->setHtml(
        tr("<p><b>%1</b></p>"
           "<p>On each machine, start the ranks that run there, one per stage: R is the rank "
           "(0 to W-1, rank = stage), RANK0_HOST the machine of rank 0, where the ranks meet "
           "(its port must be free there):</p><p><code>%2</code></p>"
           "<p>PIPEDREAM_SECRET is this listening session's run secret: a connection that "
           "cannot prove it knows it is closed and logged. Give it only to the ranks' "
           "machines.</p>"
           "<p>The run starts once every rank has connected, with the ranks' configuration, "
           "and the timeline fills as it runs. <i>Run \u25B8 Stop listening</i> ends it.</p>")
            .arg(state.toHtmlEscaped(), command.toHtmlEscaped()));
}

void ExplainPanel::showCursor(const RunModel& model) {
    caption_->setText(model.hasRun() ? cursorCaption(model) : QString());
}

}  // namespace pd
