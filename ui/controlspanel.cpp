#include "controlspanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <algorithm>

namespace pd {

namespace {

QSpinBox* spin(int lo, int hi, QWidget* parent) {
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    s->setKeyboardTracking(false);
    return s;
}

}  // namespace

ControlsPanel::ControlsPanel(QWidget* parent) : QWidget(parent) {
    buildForm();
    buildButtons();
    auto changed = [this] {
        if (updating_) return;
        syncEnabled();
        Q_EMIT optionsChanged();
    };
    connect(schedule_, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
    for (QSpinBox* s : {stagesSpin_, microSpin_, batches_, batchSize_, layers_, hidden_, chunks_})
        connect(s, qOverload<int>(&QSpinBox::valueChanged), this, changed);
    connect(lr_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
    connect(device_, &QComboBox::currentTextChanged, this, changed);
    connect(vsync_, &QCheckBox::toggled, this, changed);
    connect(stash_, &QCheckBox::toggled, this, changed);
    connect(placement_, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
    syncEnabled();
}

void ControlsPanel::buildForm() {
    auto* form = new QFormLayout(this);
    schedule_ = new QComboBox(this);
    for (ScheduleKind k : allScheduleKinds())
        schedule_->addItem(QString::fromUtf8(displayName(k)), QString::fromLatin1(toString(k)));
    form->addRow(tr("&Schedule"), schedule_);

    auto sliderRow = [&](const QString& label, int lo, int hi, QSlider*& slider, QSpinBox*& box) {
        auto* row = new QWidget(this);
        auto* h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        slider = new QSlider(Qt::Horizontal, row);
        slider->setRange(lo, hi);
        slider->setPageStep(1);
        slider->setTickPosition(QSlider::TicksBelow);
        box = spin(lo, hi, row);
        h->addWidget(slider, 1);
        h->addWidget(box);
        connect(slider, &QSlider::valueChanged, box, &QSpinBox::setValue);
        connect(box, qOverload<int>(&QSpinBox::valueChanged), slider, &QSlider::setValue);
        form->addRow(label, row);
    };
    sliderRow(tr("S&tages"), 1, 8, stagesSlider_, stagesSpin_);
    sliderRow(tr("&Microbatches"), 1, 32, microSlider_, microSpin_);
    batches_ = spin(1, 50, this);
    form->addRow(tr("Batches"), batches_);
    batchSize_ = spin(1, 4096, this);
    form->addRow(tr("Batch size"), batchSize_);
    layers_ = spin(1, 512, this);
    form->addRow(tr("Layers"), layers_);
    hidden_ = spin(8, 8192, this);
    hidden_->setSingleStep(64);
    form->addRow(tr("Hidden width"), hidden_);
    chunks_ = spin(1, 8, this);
    chunks_->setToolTip(
        tr("Model chunks per stage (interleaved, looped BFS and interleaved "
           "zero bubble; ZB-V and DualPipeV always have 2)"));
    form->addRow(tr("Chunks (V)"), chunks_);
    lr_ = new QDoubleSpinBox(this);
    lr_->setDecimals(4);
    lr_->setRange(0.0001, 10.0);
    lr_->setSingleStep(0.01);
    lr_->setKeyboardTracking(false);
    form->addRow(tr("Learning rate"), lr_);
    device_ = new QComboBox(this);
    device_->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    device_->setEditable(true);
    form->addRow(tr("Device"), device_);
    vsync_ = new QCheckBox(tr("Vertical sync (PipeDream)"), this);
    form->addRow(QString(), vsync_);
    stash_ = new QCheckBox(tr("Weight stashing (PipeDream)"), this);
    stash_->setToolTip(
        tr("Off: the no-stash ablation; backwards run on newer weights than their "
           "forwards and are marked as mismatches"));
    form->addRow(QString(), stash_);
    placement_ = new QComboBox(this);
    placement_->addItem(tr("Threads (one process)"), QStringLiteral("threads"));
    placement_->addItem(tr("Local processes (Gloo)"), QStringLiteral("gloo"));
    placement_->setToolTip(
        tr("Threads: every stage is a thread of this process. Local processes: one "
           "pipedream-train process per stage, exchanging activations and gradients over "
           "torch.distributed (Gloo), their events collected here."));
    form->addRow(tr("Stages &run as"), placement_);

    error_ = new QLabel(this);
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("QLabel { color: #B00020; font-weight: bold; }"));
    error_->setVisible(false);
    form->addRow(error_);
}

void ControlsPanel::buildButtons() {
    auto* buttons = new QWidget(this);
    auto* grid = new QGridLayout(buttons);
    grid->setContentsMargins(0, 6, 0, 0);
    play_ = new QPushButton(tr("Play (Space)"), buttons);
    back_ = new QPushButton(tr("\u25C0 Slot"), buttons);
    forward_ = new QPushButton(tr("Slot \u25B6"), buttons);
    batch_ = new QPushButton(tr("Batch \u25B6\u25B6"), buttons);
    auto* reset = new QPushButton(tr("Reset"), buttons);
    auto* replay = new QPushButton(tr("Replay"), buttons);
    back_->setToolTip(tr("Step back one slot (Left)"));
    forward_->setToolTip(
        tr("Step forward one slot (Right): runs it when the run has not got there yet"));
    batch_->setToolTip(tr("Step to the end of the batch (Shift+Right)"));
    reset->setToolTip(tr("A new run of this configuration, paused at slot 0 (Ctrl+R)"));
    replay->setToolTip(tr("Play the run again from slot 0 (Ctrl+P)"));
    for (QPushButton* b : {play_, back_, forward_, batch_, reset, replay})
        b->setFocusPolicy(Qt::TabFocus);  // Space and the arrows stay shortcuts
    grid->addWidget(play_, 0, 0, 1, 2);
    grid->addWidget(back_, 1, 0);
    grid->addWidget(forward_, 1, 1);
    grid->addWidget(batch_, 2, 0);
    grid->addWidget(reset, 2, 1);
    grid->addWidget(replay, 3, 0);
    pace_ = new QComboBox(buttons);
    for (double s : {1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0, 1000.0})
        pace_->addItem(tr("%1 slots/s").arg(s), s);
    pace_->setCurrentIndex(2);
    pace_->setToolTip(
        tr("How fast Play moves the cursor over the run's slots. The engine "
           "itself always trains at full speed; its measured times are real."));
    grid->addWidget(pace_, 3, 1);
    static_cast<QFormLayout*>(layout())->addRow(buttons);
    connect(play_, &QPushButton::clicked, this, &ControlsPanel::playPauseClicked);
    connect(back_, &QPushButton::clicked, this, &ControlsPanel::stepBackClicked);
    connect(forward_, &QPushButton::clicked, this, &ControlsPanel::stepForwardClicked);
    connect(batch_, &QPushButton::clicked, this, &ControlsPanel::batchForwardClicked);
    connect(reset, &QPushButton::clicked, this, &ControlsPanel::resetClicked);
    connect(replay, &QPushButton::clicked, this, &ControlsPanel::replayClicked);
    connect(pace_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { Q_EMIT paceChanged(pace()); });
}

double ControlsPanel::pace() const {
    return pace_->currentData().toDouble();
}

RunOptions ControlsPanel::options(const RunOptions& base) const {
    RunOptions o = base;
    if (auto kind = parseScheduleKind(schedule_->currentData().toString().toStdString()))
        o.schedule.kind = *kind;
    o.schedule.stages = stagesSpin_->value();
    o.schedule.microbatches = microSpin_->value();
    o.schedule.batches = batches_->value();
    o.schedule.chunks = chunksFor(o.schedule.kind, chunks_->value());
    const bool pipedream = o.schedule.kind == ScheduleKind::PipeDream;
    o.schedule.verticalSync = pipedream && vsync_->isChecked();
    o.schedule.stash = !pipedream || stash_->isChecked();
    o.batchSize = batchSize_->value();
    o.layers = layers_->value();
    o.hidden = hidden_->value();
    o.lr = lr_->value();
    o.device = device_->currentText().trimmed().toStdString();
    o.backend = placement_->currentData().toString().toStdString();
    o.dryRun = false;
    o.headless = false;
    return o;
}

void ControlsPanel::showOptions(const RunOptions& o) {
    updating_ = true;
    // Ranges first (they depend on layers and batch size), then the values.
    layers_->setValue(o.layers);
    batchSize_->setValue(o.batchSize);
    const int k = schedule_->findData(QString::fromLatin1(toString(o.schedule.kind)));
    schedule_->setCurrentIndex(std::max(0, k));
    syncEnabled();
    stagesSpin_->setValue(o.schedule.stages);
    microSpin_->setValue(o.schedule.microbatches);
    batches_->setValue(o.schedule.batches);
    hidden_->setValue(o.hidden);
    chunks_->setValue(std::max(isChunkedKind(o.schedule.kind) ? 2 : 1, o.schedule.chunks));
    lr_->setValue(o.lr);
    device_->setCurrentText(QString::fromStdString(o.device));
    vsync_->setChecked(o.schedule.verticalSync);
    stash_->setChecked(o.schedule.stash);
    placement_->setCurrentIndex(o.backend == "threads" ? 0 : 1);
    syncEnabled();
    updating_ = false;
}

void ControlsPanel::growRanges(const ScheduleConfig& c) {
    grown_.stages = std::max(grown_.stages, c.stages);
    grown_.microbatches = std::max(grown_.microbatches, c.microbatches);
    grown_.batches = std::max(grown_.batches, c.batches);
    grown_.chunks = std::max(grown_.chunks, c.chunks);
    const bool was = updating_;
    updating_ = true;
    syncEnabled();
    updating_ = was;
}

void ControlsPanel::syncEnabled() {
    const auto kind = parseScheduleKind(schedule_->currentData().toString().toStdString());
    const bool chunked = kind && isChunkedKind(*kind);
    const bool pipedream = kind == ScheduleKind::PipeDream;
    chunks_->setEnabled(chunked);
    if (chunked && chunks_->value() < 2) {
        const QSignalBlocker block(chunks_);
        chunks_->setValue(2);
    }
    vsync_->setEnabled(pipedream);
    stash_->setEnabled(pipedream);
    // Neither the stages nor the microbatches may exceed what the model and
    // the batch can be split into: the widgets say so by their range. Runs
    // opened from files may be larger; the ranges then grow to hold them.
    const QSignalBlocker b1(stagesSpin_), b2(stagesSlider_), b3(microSpin_), b4(microSlider_);
    stagesSpin_->setMaximum(std::min(std::max(8, grown_.stages), layers_->value()));
    stagesSlider_->setMaximum(stagesSpin_->maximum());
    stagesSlider_->setValue(stagesSpin_->value());
    microSpin_->setMaximum(std::min(std::max(32, grown_.microbatches), batchSize_->value()));
    microSlider_->setMaximum(microSpin_->maximum());
    microSlider_->setValue(microSpin_->value());
    batches_->setMaximum(std::max(50, grown_.batches));
    chunks_->setMaximum(std::max(8, grown_.chunks));
}

void ControlsPanel::setError(const QString& message) {
    error_->setText(message);
    error_->setVisible(!message.isEmpty());
}

QString ControlsPanel::error() const {
    return error_->isHidden() ? QString() : error_->text();
}

void ControlsPanel::setRunnable(bool canRun, bool playing) {
    play_->setText(playing ? tr("Pause (Space)") : tr("Play (Space)"));
    for (QPushButton* b : {play_, back_, forward_, batch_}) b->setEnabled(canRun);
}

}  // namespace pd
