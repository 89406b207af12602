#include "ui/panels/controlspanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "ui/model/runresult.h"

namespace pd {

namespace {

constexpr int kStagesSliderMax = 8;
constexpr int kMicroSliderMax = 32;

// What a field's typing may be: a number beyond the range stays in the
// field (intermediate, said on commit) instead of the keystroke being
// dropped: "64" typed into a 1-32 field used to give 6.
bool looksNumeric(const QAbstractSpinBox* box, const QString& text) {
    bool ok = false;
    box->locale().toDouble(text.trimmed(), &ok);
    if (!ok) text.trimmed().toDouble(&ok);
    return ok;
}

class NumberBox : public QSpinBox {
public:
    using QSpinBox::QSpinBox;
    QValidator::State validate(QString& text, int& pos) const override {
        const QValidator::State s = QSpinBox::validate(text, pos);
        return s == QValidator::Invalid && looksNumeric(this, text) ? QValidator::Intermediate : s;
    }
    bool typing() const { return text() != textFromValue(value()); }
};

class DecimalBox : public QDoubleSpinBox {
public:
    using QDoubleSpinBox::QDoubleSpinBox;
    QValidator::State validate(QString& text, int& pos) const override {
        const QValidator::State s = QDoubleSpinBox::validate(text, pos);
        return s == QValidator::Invalid && looksNumeric(this, text) ? QValidator::Intermediate : s;
    }
    bool typing() const { return text() != textFromValue(value()); }
};

// Text typed but not committed yet: the arrows then move in it.
bool typing(const QObject* box) {
    if (auto* n = dynamic_cast<const NumberBox*>(box)) return n->typing();
    if (auto* d = dynamic_cast<const DecimalBox*>(box)) return d->typing();
    return false;
}

// The window's keys that walk a run; a field not being typed in leaves them
// to the window (Up and Down still step the field's value).
bool isWalkingKey(const QKeyEvent* e) {
    const auto mods = e->modifiers() & ~Qt::KeypadModifier;
    switch (e->key()) {
        case Qt::Key_Left:
        case Qt::Key_Right:
            return mods == Qt::NoModifier || mods == Qt::ShiftModifier;
        case Qt::Key_Home:
        case Qt::Key_End:
        case Qt::Key_Space:
            return mods == Qt::NoModifier;
        default:
            return false;
    }
}

NumberBox* spin(int lo, int hi, QWidget* parent) {
    auto* s = new NumberBox(parent);
    s->setRange(lo, hi);
    s->setKeyboardTracking(false);
    return s;
}

QString pacePerSecond(double slotsPerSecond) {
    return slotsPerSecond == 1.0 ? ControlsPanel::tr("1 slot/s")
                                 : ControlsPanel::tr("%1 slots/s").arg(slotsPerSecond);
}

}  // namespace

ControlsPanel::ControlsPanel(QWidget* parent) : QWidget(parent) {
    buildForm();
    buildButtons();
    auto changed = [this] {
        if (updating_) return;
        setNote(QString());  // the settings are the user's now
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
    connect(model_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this, changed] {
        if (updating_) return;
        applyModelDefaults();
        changed();
    });
    connect(data_, &QComboBox::currentTextChanged, this, changed);
    connect(optimizer_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this, changed] {
        const std::string now = optimizer_->currentData().toString().toStdString();
        const std::string before = std::exchange(optimizerBefore_, now);
        if (updating_) return;
        // A rate left at the old optimizer's default follows to the new
        // one's (Adam's 0.001 would barely move SGD); one the user chose stays.
        const std::string model = model_->currentData().toString().toStdString();
        if (std::abs(lr_->value() - defaultLr(model, before)) < 1e-9) {
            const QSignalBlocker block(lr_);
            lr_->setValue(defaultLr(model, now));
        }
        changed();
    });
    connect(partition_, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
    for (QSpinBox* s : {epochs_, evalEvery_})
        connect(s, qOverload<int>(&QSpinBox::valueChanged), this, changed);
    watchField(epochs_, tr("Epochs"));
    watchField(evalEvery_, tr("Evaluate every"));
    watchField(stagesSpin_, tr("Stages"));
    watchField(microSpin_, tr("Microbatches"));
    watchField(batches_, tr("Batches"));
    watchField(batchSize_, tr("Batch size"));
    watchField(layers_, tr("Layers"));
    watchField(hidden_, tr("Hidden width"));
    watchField(chunks_, tr("Chunks"));
    watchField(lr_, tr("Learning rate"));
    // The device is typed too: Enter hands the keys back as in the number fields.
    connect(device_->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { Q_EMIT editCommitted(); });
    syncEnabled();
}

void ControlsPanel::watchField(QAbstractSpinBox* box, const QString& name) {
    box->setProperty("fieldName", name);
    box->installEventFilter(this);
    connect(box, &QAbstractSpinBox::editingFinished, this, [this, box] {
        // Finished by Enter (the field keeps the focus), not by leaving it.
        if (box != commitPending_ || !box->hasFocus()) return;
        commitPending_ = nullptr;
        Q_EMIT editCommitted();
    });
}

bool ControlsPanel::sayRejected(QAbstractSpinBox* box) {
    QString text = box->text();
    int pos = 0;
    if (box->validate(text, pos) == QValidator::Acceptable) return false;
    const QString typed = text.trimmed();
    double lo = 0, hi = 0;
    QString shown;
    if (auto* n = qobject_cast<QSpinBox*>(box)) {
        lo = n->minimum(), hi = n->maximum();
        shown = QString::number(n->value());
    } else if (auto* d = qobject_cast<QDoubleSpinBox*>(box)) {
        lo = d->minimum(), hi = d->maximum();
        shown = QString::number(d->value());
    }
    bool ok = false;
    double v = box->locale().toDouble(typed, &ok);
    if (!ok) v = typed.toDouble(&ok);
    QString why;
    if (typed.isEmpty())
        why = tr("no number typed");
    else if (!ok)
        why = tr("%1 is not a number").arg(typed);
    else if (v > hi)
        why = tr("%1 is more than %2, the most it takes").arg(typed, QString::number(hi));
    else if (v < lo)
        why = tr("%1 is less than %2, the least it takes").arg(typed, QString::number(lo));
    else
        why = tr("%1 is not a value it takes").arg(typed);
    setError(tr("%1: %2; it stays %3.").arg(box->property("fieldName").toString(), why, shown));
    return true;
}

bool ControlsPanel::eventFilter(QObject* watched, QEvent* event) {
    auto* box = qobject_cast<QAbstractSpinBox*>(watched);
    if (!box) return QWidget::eventFilter(watched, event);
    switch (event->type()) {
        case QEvent::ShortcutOverride:
            // Not typing: the window's walking keys act (the field would
            // otherwise take them for its text cursor and trap the focus).
            if (isWalkingKey(static_cast<QKeyEvent*>(event)) && !typing(box)) {
                event->ignore();
                return true;
            }
            break;
        case QEvent::KeyPress: {
            const int key = static_cast<QKeyEvent*>(event)->key();
            if (key == Qt::Key_Return || key == Qt::Key_Enter)
                commitPending_ = sayRejected(box) ? nullptr : box;  // a rejected value keeps focus
            break;
        }
        case QEvent::FocusOut:
            sayRejected(box);  // the field then goes back to its value
            break;
        default:
            break;
    }
    return QWidget::eventFilter(watched, event);
}

void ControlsPanel::buildForm() {
    auto* form = new QFormLayout(this);
    schedule_ = new QComboBox(this);
    for (ScheduleKind k : allScheduleKinds())
        schedule_->addItem(QString::fromUtf8(displayName(k)), QString::fromLatin1(toString(k)));
    form->addRow(tr("&Schedule"), schedule_);
    partition_ = new QComboBox(this);
    partition_->addItem(tr("Equal layer counts"), QStringLiteral("uniform"));
    partition_->addItem(tr("Balanced time"), QStringLiteral("time"));
    partition_->addItem(tr("Balanced memory"), QStringLiteral("memory"));
    partition_->addItem(tr("PipeDream (compute + transfers)"), QStringLiteral("pipedream"));
    partition_->addItem(tr("Shortest schedule"), QStringLiteral("schedule"));
    partition_->addItem(tr("Custom (dragged)"), QStringLiteral("split"));
    partition_->setToolTip(
        tr("Where the model is cut into stages, chosen from the layers' costs (the "
           "profile when there is one, else estimated from the shapes); drag a boundary "
           "in the layer strip above the timeline for a cut of your own"));
    form->addRow(tr("&Partition"), partition_);

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
        // The slider is a comfortable range; the box takes any value the
        // engine can (syncEnabled widens the slider to hold it).
        connect(slider, &QSlider::valueChanged, box, &QSpinBox::setValue);
        connect(box, qOverload<int>(&QSpinBox::valueChanged), slider, [slider](int v) {
            const QSignalBlocker block(slider);  // a clamped slider must not clamp the box
            slider->setMaximum(std::max(slider->maximum(), v));
            slider->setValue(v);
        });
        form->addRow(label, row);
    };
    sliderRow(tr("S&tages"), 1, kMaxStages, stagesSlider_, stagesSpin_);
    sliderRow(tr("&Microbatches"), 1, kMaxMicrobatches, microSlider_, microSpin_);
    batches_ = spin(1, kMaxBatches, this);
    form->addRow(tr("Batches"), batches_);
    batchSize_ = spin(1, kMaxBatchSize, this);
    form->addRow(tr("Batch size"), batchSize_);
    layers_ = spin(1, kMaxLayers, this);
    form->addRow(tr("Layers"), layers_);
    hidden_ = spin(1, kMaxHidden, this);
    hidden_->setSingleStep(64);
    form->addRow(tr("Hidden width"), hidden_);
    chunks_ = spin(1, kMaxChunks, this);
    chunks_->setToolTip(
        tr("Model chunks per stage (interleaved, looped BFS and interleaved "
           "zero bubble; ZB-V and DualPipeV always have 2)"));
    form->addRow(tr("Chunks (V)"), chunks_);
    lr_ = new DecimalBox(this);
    lr_->setDecimals(4);
    lr_->setRange(0.0001, kMaxLr);
    lr_->setSingleStep(0.01);
    lr_->setKeyboardTracking(false);
    form->addRow(tr("Learning rate"), lr_);
    optimizer_ = new QComboBox(this);
    optimizer_->addItem(tr("SGD"), QStringLiteral("sgd"));
    optimizer_->addItem(tr("SGD with momentum 0.9"), QStringLiteral("momentum"));
    optimizer_->addItem(tr("Adam"), QStringLiteral("adam"));
    form->addRow(tr("&Optimizer"), optimizer_);
    device_ = new QComboBox(this);
    device_->addItems({QStringLiteral("cpu"), QStringLiteral("cuda")});
    device_->setEditable(true);
    form->addRow(tr("Device"), device_);
    model_ = new QComboBox(this);
    model_->addItem(tr("MLP (the tutorial's)"), QStringLiteral("mlp"));
    model_->addItem(tr("CNN (28 x 28 images)"), QStringLiteral("cnn"));
    model_->addItem(tr("GPT (characters)"), QStringLiteral("gpt"));
    model_->setToolTip(
        tr("Choosing a model puts its own sizes, learning rate and data in the "
           "fields"));
    form->addRow(tr("Mo&del"), model_);
    data_ = new QComboBox(this);
    data_->addItems(
        {QStringLiteral("synthetic"), QStringLiteral("fashion-mnist"), QStringLiteral("text")});
    data_->setEditable(true);
    data_->setToolTip(
        tr("synthetic | fashion-mnist[:DIR] | mnist:DIR | text[:PATH] (a file or a folder)"));
    form->addRow(tr("Data"), data_);
    epochs_ = spin(0, kMaxEpochs, this);
    epochs_->setSpecialValueText(tr("off"));
    epochs_->setToolTip(
        tr("Passes over the training data, each in its own seeded order; "
           "Batches caps them"));
    form->addRow(tr("Epochs"), epochs_);
    evalEvery_ = spin(0, kMaxBatches, this);
    evalEvery_->setSpecialValueText(tr("epoch ends"));
    evalEvery_->setSuffix(tr(" batches"));
    evalEvery_->setToolTip(
        tr("Held-out loss and accuracy every N batches, besides each epoch's "
           "end and the run's (real data, or with epochs)"));
    form->addRow(tr("Evaluate every"), evalEvery_);
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

    // Apart from the buttons that walk a run: this one changes the settings.
    auto* defaults = new QPushButton(tr("Reset to defaults"), this);
    defaults->setObjectName(QStringLiteral("resetToDefaults"));
    defaults->setToolTip(tr("Set every control above to the defaults (%1) and start a new run of "
                            "them. To run the settings shown again, use New run.")
                             .arg(describeConfiguration(defaultRunOptions())));
    defaults->setFocusPolicy(Qt::TabFocus);
    connect(defaults, &QPushButton::clicked, this, &ControlsPanel::defaultsClicked);
    form->addRow(QString(), defaults);

    error_ = new QLabel(this);
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("QLabel { color: #B00020; font-weight: bold; }"));
    error_->setVisible(false);
    form->addRow(error_);
    note_ = new QLabel(this);
    note_->setObjectName(QStringLiteral("settingsNote"));
    note_->setWordWrap(true);
    note_->setForegroundRole(QPalette::PlaceholderText);
    note_->setVisible(false);
    form->addRow(note_);
}

void ControlsPanel::buildButtons() {
    auto* buttons = new QWidget(this);
    auto* grid = new QGridLayout(buttons);
    grid->setContentsMargins(0, 6, 0, 0);
    play_ = new QPushButton(tr("Play (Space)"), buttons);
    back_ = new QPushButton(tr("\u25C0 Slot"), buttons);
    forward_ = new QPushButton(tr("Slot \u25B6"), buttons);
    batch_ = new QPushButton(tr("Batch \u25B6\u25B6"), buttons);
    auto* newRun = new QPushButton(tr("New run"), buttons);
    newRun->setObjectName(QStringLiteral("newRun"));
    auto* replay = new QPushButton(tr("Replay"), buttons);
    back_->setToolTip(tr("Step back one slot (Left)"));
    forward_->setToolTip(
        tr("Step forward one slot (Right): runs it when the run has not got there yet"));
    batch_->setToolTip(tr("Step to the end of the batch (Shift+Right)"));
    newRun->setToolTip(
        tr("Start the settings above again as a new run, paused at slot 0 (Ctrl+R). "
           "Reset to defaults restores the default settings instead."));
    replay->setToolTip(tr("Play the run again from slot 0 (Ctrl+P)"));
    for (QPushButton* b : {play_, back_, forward_, batch_, newRun, replay})
        b->setFocusPolicy(Qt::TabFocus);  // Space and the arrows stay shortcuts
    grid->addWidget(play_, 0, 0, 1, 2);
    grid->addWidget(back_, 1, 0);
    grid->addWidget(forward_, 1, 1);
    grid->addWidget(batch_, 2, 0);
    grid->addWidget(newRun, 2, 1);
    grid->addWidget(replay, 3, 0);
    pace_ = new QComboBox(buttons);
    for (double s : {1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0, 1000.0})
        pace_->addItem(pacePerSecond(s), s);
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
    connect(newRun, &QPushButton::clicked, this, &ControlsPanel::newRunClicked);
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
    o.model = model_->currentData().toString().toStdString();
    o.data = data_->currentText().trimmed().toStdString();
    o.optimizer = optimizer_->currentData().toString().toStdString();
    o.epochs = epochs_->value();
    o.evalEvery = evalEvery_->value();
    o.dryRun = false;
    o.headless = false;
    // A cut given on the command line (--split) holds while it divides the
    // same layers into the same parts; another stage, chunk or layer count
    // gets the equal cut rather than an error about a flag never typed here.
    if (o.schedule.parts() != base.schedule.parts() ||
        partitionableLayers(o) != partitionableLayers(base))
        o.split.clear();
    applyPartition(o);
    return o;
}

// The chooser's cut from the layers' costs; a custom (dragged) cut stays
// as it is. A profile of other sizes no longer applies.
void ControlsPanel::applyPartition(RunOptions& o) const {
    o.partition = partition_->currentData().toString().toStdString();
    if (o.profile && o.profile->shape != profileShape(o)) o.profile.reset();
    if (o.partition == "split") return;
    try {
        o.split = choosePartition(o, layerCosts(o));
    } catch (const std::exception&) {
        o.split.clear();  // no cut meets the goal: the equal one
    }
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
    model_->setCurrentIndex(std::max(0, model_->findData(QString::fromStdString(o.model))));
    data_->setCurrentText(QString::fromStdString(o.data));
    optimizer_->setCurrentIndex(
        std::max(0, optimizer_->findData(QString::fromStdString(o.optimizer))));
    // A cut with no method said (options made in code) is a cut of its own.
    const std::string method = !o.split.empty() && o.partition == "uniform" ? "split" : o.partition;
    partition_->setCurrentIndex(std::max(0, partition_->findData(QString::fromStdString(method))));
    epochs_->setValue(o.epochs);
    evalEvery_->setValue(o.evalEvery);
    syncEnabled();
    updating_ = false;
}

void ControlsPanel::applyModelDefaults() {
    const RunOptions d = modelDefaults(model_->currentData().toString().toStdString());
    const bool was = updating_;
    updating_ = true;
    layers_->setValue(d.layers);
    hidden_->setValue(d.hidden);
    batchSize_->setValue(d.batchSize);
    optimizer_->setCurrentIndex(
        std::max(0, optimizer_->findData(QString::fromStdString(d.optimizer))));
    lr_->setValue(d.lr);
    data_->setCurrentText(QString::fromStdString(d.data));
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
    // The sliders span what the model and the batch can be split into (at
    // most 8 stages and 32 microbatches), widened to hold a larger value
    // typed or opened; the boxes take anything and the rules say what does
    // not fit.
    const QSignalBlocker b1(stagesSlider_), b2(microSlider_);
    stagesSlider_->setMaximum(
        std::max(stagesSpin_->value(), std::clamp(layers_->value(), 1, kStagesSliderMax)));
    stagesSlider_->setValue(stagesSpin_->value());
    microSlider_->setMaximum(
        std::max(microSpin_->value(), std::clamp(batchSize_->value(), 1, kMicroSliderMax)));
    microSlider_->setValue(microSpin_->value());
}

void ControlsPanel::setError(const QString& message) {
    error_->setText(message);
    error_->setVisible(!message.isEmpty());
}

void ControlsPanel::setNote(const QString& note) {
    note_->setText(note);
    note_->setVisible(!note.isEmpty());
}

QString ControlsPanel::note() const {
    return note_->isHidden() ? QString() : note_->text();
}

QString ControlsPanel::error() const {
    return error_->isHidden() ? QString() : error_->text();
}

void ControlsPanel::setRunnable(bool canRun, bool playing) {
    play_->setText(playing ? tr("Pause (Space)") : tr("Play (Space)"));
    for (QPushButton* b : {play_, back_, forward_, batch_}) b->setEnabled(canRun);
}

}  // namespace pd
