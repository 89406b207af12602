#include "explainpanel.h"

#include <QLabel>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "explain.h"
#include "runmodel.h"

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

void ExplainPanel::showCursor(const RunModel& model) {
    caption_->setText(model.hasRun() ? cursorCaption(model) : QString());
}

}  // namespace pd
