#include "GstInProcessStreamer.h"

#include "CommandLine.h"
#include "GstUtil.h"
#include "core/streamer/JobPool.h"

#include <QAbstractEventDispatcher>
#include <QHash>
#include <QLoggingCategory>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>
#include <vector>

Q_LOGGING_CATEGORY(lcGstInProcess, "se.streamer.gstinprocess")

namespace se::gst {

namespace {
constexpr qsizetype kMaxQueuedLogs = 500;
} // namespace

// What one start() shares between the main thread, its start/stop threads and
// the pipeline's streaming threads. It outlives its pipeline: whoever unrefs
// the pipeline holds a reference to it.
struct InProcessRun : std::enable_shared_from_this<InProcessRun> {
    std::mutex mutex;
    GstInProcessStreamer *owner = nullptr; // written on the main thread under mutex; null once abandoned
    GstElement *pipeline = nullptr;        // one reference, under mutex
    GSource *busWatch = nullptr;           // on the global default main context; one reference, under mutex
    bool abandoned = false;
    bool startDone = false;                // the start thread has handed over (under mutex)
    QByteArray latest;                     // newest picture not yet handed over
    bool picturePending = false;
    QStringList logs;                      // routed GStreamer debug lines not yet handed over
    bool logsPending = false;
    int droppedLogs = 0;
    int debugLevel = -1;
    bool verbose = false;                  // -v: property changes (caps…) to the log
    std::atomic<bool> flowingPosted{false};
    std::vector<QByteArray> words;

    // Runs `fn(owner)` on the main thread, unless the run was abandoned meanwhile.
    template <class Fn>
    void post(Fn fn)
    {
        std::lock_guard<std::mutex> lock(mutex);
        postLocked(std::move(fn));
    }
    template <class Fn>
    void postLocked(Fn fn)
    {
        if (!owner)
            return;
        owner->inbox()->post([self = shared_from_this(), fn] {
            if (self->owner)
                fn(self->owner);
        });
    }
};

namespace {

// Pipelines whose debug lines go to their worker's log (--gst-debug=N).
std::mutex g_routeMutex;
QHash<GstElement *, std::weak_ptr<InProcessRun>> g_routes;
int g_baseThreshold = GST_LEVEL_NONE;
GstClockTime g_startTime = 0;

// Every blocking step of a run (start, end of stream, teardown) is a job on
// this one bounded pool, never a thread of its own. Defined after what the
// jobs touch, it is destroyed before it at exit, and waits for its jobs: no
// job outlives the objects it uses.
JobPool g_jobs(16); // a stuck state change holds one thread; the others go on

void updateThresholdLocked()
{
    int level = g_baseThreshold;
    for (const auto &w : std::as_const(g_routes))
        if (auto r = w.lock())
            level = std::max(level, r->debugLevel);
    gst_debug_set_default_threshold(GstDebugLevel(level));
}

void routeDebug(GstDebugCategory *category, GstDebugLevel level, const gchar *file, const gchar *function, gint line,
                GObject *object, GstDebugMessage *message, gpointer)
{
    // Objects in finalisation log too; they cannot be referenced any more.
    if (!object || !GST_IS_OBJECT(object) || g_atomic_int_get(&object->ref_count) <= 0)
        return;
    // The top-level bin this object belongs to.
    GstObject *top = GST_OBJECT(gst_object_ref(object));
    while (GstObject *parent = gst_object_get_parent(top)) {
        gst_object_unref(top);
        top = parent;
    }
    std::shared_ptr<InProcessRun> run;
    {
        std::lock_guard<std::mutex> lock(g_routeMutex);
        run = g_routes.value(GST_ELEMENT_CAST(top)).lock();
    }
    gst_object_unref(top);
    if (!run || int(level) > run->debugLevel)
        return;
    const std::string text = formatDebugLine(GST_CLOCK_DIFF(g_startTime, gst_util_get_timestamp()), category, level,
                                             file, function, line, object, message);
    std::lock_guard<std::mutex> lock(run->mutex);
    if (run->logs.size() >= kMaxQueuedLogs) {
        ++run->droppedLogs;
        return;
    }
    run->logs << QString::number(int(levelOf(level))) + QLatin1Char('\t') + QString::fromStdString(text);
    if (!run->logsPending) {
        run->logsPending = true;
        run->postLocked([run](GstInProcessStreamer *o) { o->onLogs(run); });
    }
}

GstFlowReturn onNewSample(GstAppSink *sink, gpointer data)
{
    auto *run = static_cast<InProcessRun *>(data);
    GstSample *sample = gst_app_sink_pull_sample(sink);
    if (!sample)
        return GST_FLOW_OK;
    QByteArray bytes;
    if (GstBuffer *buffer = gst_sample_get_buffer(sample)) {
        GstMapInfo map;
        if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            bytes = QByteArray(reinterpret_cast<const char *>(map.data), qsizetype(map.size));
            gst_buffer_unmap(buffer, &map);
        }
    }
    gst_sample_unref(sample);
    if (bytes.isEmpty())
        return GST_FLOW_OK;
    std::lock_guard<std::mutex> lock(run->mutex);
    run->latest = bytes; // only the newest is kept
    if (!run->picturePending && run->owner) {
        run->picturePending = true;
        auto self = run->shared_from_this();
        run->postLocked([self](GstInProcessStreamer *o) { o->onPicture(self); });
    }
    return GST_FLOW_OK;
}

GstPadProbeReturn onFirstBuffer(GstPad *, GstPadProbeInfo *, gpointer data)
{
    auto *run = static_cast<InProcessRun *>(data);
    if (!run->flowingPosted.exchange(true)) {
        auto self = run->shared_from_this();
        run->post([self](GstInProcessStreamer *o) { o->onFlowing(self); });
    }
    return GST_PAD_PROBE_REMOVE;
}

// Whether Qt's event dispatcher runs GLib's default main context (it does
// unless QT_NO_GLIB is set); bus watches need it.
bool g_glibDispatcher = true;

gboolean onBus(GstBus *, GstMessage *msg, gpointer data)
{
    const auto &run = *static_cast<std::shared_ptr<InProcessRun> *>(data);
    // The main thread (Qt's dispatcher runs the default main context).
    if (GstInProcessStreamer *o = run->owner)
        o->onBusMessage(run, msg);
    return G_SOURCE_CONTINUE;
}

void teardownThread(std::shared_ptr<InProcessRun> run);

// Lets the run go: nothing more reaches the streamer; its pipeline is taken
// down on a thread of its own, now or when its start thread is done.
void abandon(const std::shared_ptr<InProcessRun> &run)
{
    bool started = false;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        run->owner = nullptr;
        run->abandoned = true;
        started = run->startDone;
    }
    if (started)
        g_jobs.run([run] { teardownThread(run); });
}

// Sets up one appsink for thumbnails; inserts rate, scale and JPEG encoding
// before it when its input is raw video.
bool setUpPreview(GstElement *appsink, InProcessRun *run, const StreamerConfig &config, QString *error)
{
    GstPad *sinkPad = gst_element_get_static_pad(appsink, "sink");
    GstPad *peer = sinkPad ? gst_pad_get_peer(sinkPad) : nullptr;
    bool ok = true;
    if (peer) {
        GstCaps *caps = gst_pad_query_caps(peer, nullptr);
        GstCaps *raw = gst_caps_from_string("video/x-raw(ANY)");
        GstCaps *jpeg = gst_caps_from_string("image/jpeg");
        const bool canRaw = gst_caps_can_intersect(caps, raw);
        const bool canJpeg = gst_caps_can_intersect(caps, jpeg);
        if (canRaw && !(canJpeg && !gst_caps_is_any(caps))) {
            GstBin *bin = GST_BIN(GST_ELEMENT_PARENT(appsink));
            GstElement *rate = gst_element_factory_make("videorate", nullptr);
            GstElement *scale = gst_element_factory_make("videoscale", nullptr);
            GstElement *convert = gst_element_factory_make("videoconvert", nullptr);
            GstElement *filter = gst_element_factory_make("capsfilter", nullptr);
            GstElement *enc = gst_element_factory_make("jpegenc", nullptr);
            if (!rate || !scale || !convert || !filter || !enc) {
                *error = QStringLiteral("thumbnails need videorate, videoscale, videoconvert, capsfilter and jpegenc");
                for (GstElement *e : {rate, scale, convert, filter, enc})
                    if (e)
                        gst_object_unref(e);
                ok = false;
            } else {
                const int fps = std::max(1, int(std::ceil(config.previewFps > 0 ? config.previewFps : 5.0)));
                g_object_set(rate, "drop-only", TRUE, "max-rate", fps, nullptr);
                GstCaps *limit = gst_caps_from_string(
                    QStringLiteral("video/x-raw,width=[1,%1],pixel-aspect-ratio=1/1")
                        .arg(std::max(16, config.previewMaxWidth))
                        .toUtf8()
                        .constData());
                g_object_set(filter, "caps", limit, nullptr);
                gst_caps_unref(limit);
                gst_pad_unlink(peer, sinkPad);
                gst_bin_add_many(bin, rate, scale, convert, filter, enc, nullptr);
                GstPad *rateSink = gst_element_get_static_pad(rate, "sink");
                ok = gst_pad_link(peer, rateSink) == GST_PAD_LINK_OK
                     && gst_element_link_many(rate, scale, convert, filter, enc, appsink, nullptr);
                gst_object_unref(rateSink);
                if (!ok)
                    *error = QStringLiteral("could not insert the thumbnail encoder before %1").arg(QString::fromUtf8(GST_ELEMENT_NAME(appsink)));
            }
        } else if (!canJpeg) {
            gchar *s = gst_caps_to_string(caps);
            *error = QStringLiteral("the preview appsink gets %1, not video").arg(QString::fromUtf8(s));
            g_free(s);
            ok = false;
        }
        gst_caps_unref(caps);
        gst_caps_unref(raw);
        gst_caps_unref(jpeg);
        gst_object_unref(peer);
    }
    if (sinkPad)
        gst_object_unref(sinkPad);
    if (!ok)
        return false;
    g_object_set(appsink, "sync", FALSE, "max-buffers", 1, "drop", TRUE, "emit-signals", FALSE, "enable-last-sample",
                 FALSE, nullptr);
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = onNewSample;
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, run, nullptr);
    return true;
}

// The thumbnail sinks: an appsink named "preview", and every fdsink fd=2
// turned into an appsink. Returns how many, or -1 with `error`.
int preparePreview(GstElement *pipeline, InProcessRun *run, const StreamerConfig &config, QString *error)
{
    int count = 0;
    if (GstElement *preview = gst_bin_get_by_name(GST_BIN(pipeline), "preview")) {
        if (GST_IS_APP_SINK(preview)) {
            if (!setUpPreview(preview, run, config, error)) {
                gst_object_unref(preview);
                return -1;
            }
            ++count;
        }
        gst_object_unref(preview);
    }
    for (GstElement *fdsink : fdsinksWritingTo(pipeline, 2)) {
        GstBin *bin = GST_BIN(GST_ELEMENT_PARENT(fdsink));
        GstPad *sinkPad = gst_element_get_static_pad(fdsink, "sink");
        GstPad *peer = gst_pad_get_peer(sinkPad);
        gst_object_unref(sinkPad);
        if (!peer) {
            *error = QStringLiteral("%1 (fd=2) is not linked").arg(QString::fromUtf8(GST_ELEMENT_NAME(fdsink)));
            return -1;
        }
        GstElement *appsink = gst_element_factory_make("appsink", nullptr);
        gst_object_ref(fdsink);
        gst_pad_unlink(peer, sinkPad);
        gst_bin_remove(bin, fdsink);
        gst_object_unref(fdsink);
        gst_bin_add(bin, appsink);
        GstPad *appPad = gst_element_get_static_pad(appsink, "sink");
        const bool linked = gst_pad_link(peer, appPad) == GST_PAD_LINK_OK;
        gst_object_unref(appPad);
        gst_object_unref(peer);
        if (!linked) {
            *error = QStringLiteral("could not take thumbnails where fdsink fd=2 was");
            return -1;
        }
        if (!setUpPreview(appsink, run, config, error))
            return -1;
        ++count;
    }
    return count;
}

// Parses and starts the pipeline; runs on a thread of its own.
void startThread(std::shared_ptr<InProcessRun> run, StreamerConfig config)
{
    std::vector<const gchar *> words;
    for (const QByteArray &w : run->words)
        words.push_back(w.constData());
    words.push_back(nullptr);
    GError *err = nullptr;
    GstElement *pipeline = gst_parse_launchv_full(words.data(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
    if (!pipeline || err) {
        const QString message = QString::fromUtf8(err ? err->message : "could not create the pipeline");
        if (err)
            g_error_free(err);
        if (pipeline)
            gst_object_unref(pipeline);
        std::lock_guard<std::mutex> lock(run->mutex);
        run->startDone = true;
        run->postLocked([run, message](GstInProcessStreamer *o) { o->onStarted(run, message, 0); });
        return;
    }
    if (!GST_IS_PIPELINE(pipeline)) {
        GstElement *wrapper = gst_pipeline_new(nullptr);
        gst_bin_add(GST_BIN(wrapper), pipeline);
        pipeline = wrapper;
    }
    QString error;
    const int thumbs = preparePreview(pipeline, run.get(), config, &error);
    if (thumbs < 0) {
        gst_object_unref(pipeline);
        std::lock_guard<std::mutex> lock(run->mutex);
        run->startDone = true;
        run->postLocked([run, error](GstInProcessStreamer *o) { o->onStarted(run, error, 0); });
        return;
    }
    addFirstBufferProbes(pipeline, onFirstBuffer, run.get());
    if (run->verbose)
        gst_element_add_property_deep_notify_watch(pipeline, nullptr, TRUE);
    if (run->debugLevel >= 0) {
        std::lock_guard<std::mutex> lock(g_routeMutex);
        g_routes.insert(pipeline, run);
        updateThresholdLocked();
    }
    GstBus *bus = gst_element_get_bus(pipeline);
    // The watch holds the run alive until it is removed (by the teardown). It
    // goes on the global default main context, which Qt runs on the main
    // thread: not gst_bus_add_watch, which would take this pool thread's own
    // default context, where nothing would ever dispatch it.
    auto *ref = new std::shared_ptr<InProcessRun>(run);
    auto unref = [](gpointer p) { delete static_cast<std::shared_ptr<InProcessRun> *>(p); };
    GSource *watch = gst_bus_create_watch(bus);
    g_source_set_callback(watch, reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(onBus)), ref, unref);
    g_source_set_priority(watch, G_PRIORITY_DEFAULT);
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        run->pipeline = pipeline;
        run->busWatch = watch;
    }
    g_source_attach(watch, nullptr);
    const GstStateChangeReturn ret = gst_element_set_state(pipeline, GST_STATE_PLAYING);
    QString message;
    if (ret == GST_STATE_CHANGE_FAILURE) {
        // The reason is an ERROR on the bus: take it here unless the watch
        // already has (then the streamer holds it as the start error).
        message = QStringLiteral("the pipeline refused to play");
        if (GstMessage *msg = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND, GST_MESSAGE_ERROR)) {
            const MessageText t = parseMessage(msg);
            message = QString::fromStdString(t.message) + QStringLiteral(" (from %1)").arg(QString::fromStdString(t.source));
            if (!t.debug.empty())
                message += QLatin1Char('\n') + QString::fromStdString(t.debug);
            gst_message_unref(msg);
        }
    }
    gst_object_unref(bus);
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        run->startDone = true;
        if (!run->abandoned) {
            run->postLocked([run, message, thumbs](GstInProcessStreamer *o) { o->onStarted(run, message, thumbs); });
            return;
        }
    }
    teardownThread(run); // nobody waits for it any more
}

// Takes the pipeline to NULL and lets it go; runs as a pool job.
void teardownThread(std::shared_ptr<InProcessRun> run)
{
    GstElement *pipeline = nullptr;
    GSource *watch = nullptr;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        pipeline = std::exchange(run->pipeline, nullptr);
        watch = std::exchange(run->busWatch, nullptr);
    }
    if (watch) {
        g_source_destroy(watch);
        g_source_unref(watch);
    }
    if (pipeline) {
        GstBus *bus = gst_element_get_bus(pipeline);
        gst_element_set_state(pipeline, GST_STATE_NULL);
        gst_bus_set_flushing(bus, TRUE);
        gst_object_unref(bus);
        {
            std::lock_guard<std::mutex> lock(g_routeMutex);
            if (g_routes.remove(pipeline))
                updateThresholdLocked();
        }
        gst_object_unref(pipeline);
    }
    run->post([run](GstInProcessStreamer *o) { o->onTornDown(run); });
}

} // namespace

void GstInProcessStreamer::initGStreamer()
{
    static std::once_flag once;
    std::call_once(once, [] {
        gst_init(nullptr, nullptr);
        g_startTime = gst_util_get_timestamp();
        g_baseThreshold = int(gst_debug_get_default_threshold());
        // Worker debug output goes to the worker's log; the engine's own
        // stderr keeps only what GST_DEBUG asked for.
        if (qEnvironmentVariableIsEmpty("GST_DEBUG"))
            gst_debug_remove_log_function(gst_debug_log_default);
        gst_debug_add_log_function(routeDebug, nullptr, nullptr);
        if (auto *d = QAbstractEventDispatcher::instance(); d && !QByteArray(d->metaObject()->className()).contains("Glib")) {
            qCWarning(lcGstInProcess) << "Qt's event dispatcher is" << d->metaObject()->className()
                                      << "not GLib's: GstInProcess cannot run pipelines (unset QT_NO_GLIB)";
            g_glibDispatcher = false;
        }
    });
}

GstInProcessStreamer::GstInProcessStreamer(QObject *parent) : StreamerBase(parent), m_qos(std::make_unique<QosCounter>())
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, &GstInProcessStreamer::onDeadline);
    m_qosTimer.setSingleShot(true);
    m_qosTimer.setInterval(1000);
    connect(&m_qosTimer, &QTimer::timeout, this, &GstInProcessStreamer::flushQos);
}

GstInProcessStreamer::~GstInProcessStreamer()
{
    if (m_run)
        abandon(m_run);
}

void GstInProcessStreamer::start(const StreamerConfig &config)
{
    if (!beginRun())
        return;
    m_config = config;
    m_stopRequested = m_playing = m_flowing = m_producing = m_pictureSeen = m_startEos = false;
    m_thumbs = 0;
    m_firstPicture.clear();
    m_reason.clear();
    m_startError.clear();
    *m_qos = QosCounter();
    m_stateTimeoutMs = envMs("SE_GST_STATE_TIMEOUT_MS", 5000);

    const Result<QStringList> split = splitCommandLine(config.command);
    if (!split.ok)
        return failLater(QStringLiteral("bad command: %1").arg(split.message));
    if (split.value.isEmpty())
        return failLater(QStringLiteral("empty command"));
    const Result<LaunchOptions> read = parseLaunchOptions(split.value);
    if (!read.ok)
        return failLater(read.message);
    const LaunchOptions &options = read.value;
    if (!g_glibDispatcher)
        return failLater(QStringLiteral("GstInProcess needs Qt's GLib event dispatcher for its bus watch (QT_NO_GLIB is set)"));
    auto run = std::make_shared<InProcessRun>();
    run->owner = this;
    run->debugLevel = std::min(debugLevelOf(options.gstOptions), int(GST_LEVEL_MEMDUMP));
    run->verbose = options.verbose;
    for (const QString &w : options.pipeline)
        run->words.push_back(w.toUtf8());
    for (const QString &o : options.gstOptions)
        if (!o.startsWith(QLatin1String("--gst-debug")))
            Q_EMIT logLine(LogLevel::Warning, QStringLiteral("%1 has no effect inside the engine").arg(o));
    m_run = run;
    m_phase = Phase::Starting;
    m_deadline.start(envMs("SE_GST_START_TIMEOUT_MS", 15000));
    g_jobs.run([run, config] { startThread(run, config); });
}

void GstInProcessStreamer::stop()
{
    if (stopIfIdle())
        return;
    if (m_stopRequested)
        return;
    m_stopRequested = true;
    if (m_phase != Phase::Running)
        return; // Starting: onStarted() takes it down; a failure queued or a teardown under way ends it anyway
    bool hasPipeline = false;
    {
        std::lock_guard<std::mutex> lock(m_run->mutex);
        hasPipeline = m_run->pipeline != nullptr;
    }
    if (hasPipeline && m_playing) {
        // EOS first, so that muxers and files end properly; NULL after it or
        // after the deadline. Sending it may wait for a busy streaming thread,
        // so it is sent from a thread of its own.
        m_phase = Phase::Ending;
        m_deadline.start(envMs("SE_GST_EOS_TIMEOUT_MS", 1000));
        g_jobs.run([run = m_run] {
            GstElement *pipeline = nullptr;
            {
                std::lock_guard<std::mutex> lock(run->mutex);
                if (run->pipeline)
                    pipeline = GST_ELEMENT(gst_object_ref(run->pipeline));
            }
            if (pipeline) {
                gst_element_send_event(pipeline, gst_event_new_eos());
                gst_object_unref(pipeline);
            }
        });
    } else {
        beginTeardown(Terminal::Stopped, QString());
    }
}

void GstInProcessStreamer::onStarted(const std::shared_ptr<InProcessRun> &run, const QString &error, int thumbs)
{
    if (run != m_run || m_phase != Phase::Starting)
        return;
    m_deadline.stop();
    bool hasPipeline = false;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        hasPipeline = run->pipeline != nullptr;
    }
    if (!error.isEmpty()) {
        const QString reason = m_startError.isEmpty() ? error : m_startError;
        if (hasPipeline) {
            beginTeardown(Terminal::Failed, reason);
        } else {
            m_terminal = Terminal::Failed;
            m_reason = reason;
            finish();
        }
        return;
    }
    m_thumbs = thumbs;
    m_phase = Phase::Running;
    // A short pipeline may have played, shown pictures and ended or broken
    // before this report came: what it did still counts, in order.
    if (!m_stopRequested)
        maybeProducing();
    if (!m_startError.isEmpty())
        beginTeardown(Terminal::Failed, m_startError);
    else if (m_stopRequested)
        beginTeardown(Terminal::Stopped, QString());
    else if (m_startEos)
        beginTeardown(Terminal::Ended, QString());
}

void GstInProcessStreamer::onBusMessage(const std::shared_ptr<InProcessRun> &run, GstMessage *msg)
{
    if (run != m_run)
        return;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
        const MessageText t = parseMessage(msg);
        QString reason = QString::fromStdString(t.message);
        if (!t.source.empty())
            reason += QStringLiteral(" (from %1)").arg(QString::fromStdString(t.source));
        if (!t.debug.empty())
            reason += QLatin1Char('\n') + QString::fromStdString(t.debug);
        // The first error is the failure's reason (failed() carries it);
        // anything after it, or during a stop, is only logged.
        if (m_phase == Phase::Starting && m_startError.isEmpty()) {
            m_startError = reason;
        } else if ((m_phase == Phase::Running || m_phase == Phase::Ending) && !m_stopRequested) {
            beginTeardown(Terminal::Failed, reason);
        } else {
            Q_EMIT logLine(LogLevel::Error, reason);
            if (m_phase == Phase::Ending)
                beginTeardown(Terminal::Stopped, QString());
        }
        break;
    }
    case GST_MESSAGE_EOS:
        if (m_phase == Phase::Starting) {
            m_startEos = true;
        } else if (m_phase == Phase::Ending) {
            beginTeardown(Terminal::Stopped, QString());
        } else if (m_phase == Phase::Running) {
            Q_EMIT logLine(LogLevel::Information, QStringLiteral("end of stream"));
            beginTeardown(Terminal::Ended, QString());
        }
        break;
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_INFO:
        Q_EMIT logLine(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING ? LogLevel::Warning : LogLevel::Information,
                       QString::fromStdString(describe(msg)));
        break;
    case GST_MESSAGE_STATE_CHANGED: {
        GstElement *pipeline = nullptr;
        {
            std::lock_guard<std::mutex> lock(run->mutex);
            pipeline = run->pipeline;
        }
        if (!pipeline || GST_MESSAGE_SRC(msg) != GST_OBJECT(pipeline))
            break;
        GstState oldState, newState, pending;
        gst_message_parse_state_changed(msg, &oldState, &newState, &pending);
        Q_EMIT logLine(LogLevel::Debug,
                       QStringLiteral("pipeline state %1").arg(QString::fromUtf8(gst_element_state_get_name(newState))));
        if (newState == GST_STATE_PLAYING) {
            m_playing = true;
            maybeProducing();
        }
        break;
    }
    case GST_MESSAGE_PROPERTY_NOTIFY:
        Q_EMIT logLine(LogLevel::Information, QString::fromStdString(describePropertyNotify(msg)));
        break;
    case GST_MESSAGE_QOS:
        m_qos->add(msg);
        if (!m_qosTimer.isActive())
            m_qosTimer.start();
        break;
    case GST_MESSAGE_LATENCY: {
        // As gst-launch-1.0 does; without holding the run's lock, which the
        // streaming threads take for every picture.
        GstElement *pipeline = nullptr;
        {
            std::lock_guard<std::mutex> lock(run->mutex);
            if (run->pipeline)
                pipeline = GST_ELEMENT(gst_object_ref(run->pipeline));
        }
        if (pipeline) {
            gst_bin_recalculate_latency(GST_BIN(pipeline));
            gst_object_unref(pipeline);
        }
        break;
    }
    default:
        break;
    }
}

void GstInProcessStreamer::flushQos()
{
    const std::string summary = m_qos->takeSummary();
    if (!summary.empty())
        Q_EMIT logLine(LogLevel::Warning, QString::fromStdString(summary));
}

void GstInProcessStreamer::onPicture(const std::shared_ptr<InProcessRun> &run)
{
    QByteArray bytes;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        bytes = std::exchange(run->latest, {});
        run->picturePending = false;
    }
    if (run != m_run || (m_phase != Phase::Starting && m_phase != Phase::Running) || m_stopRequested || bytes.isEmpty())
        return;
    m_pictureSeen = true;
    if (!m_producing) {
        m_firstPicture = bytes;
        maybeProducing();
        return;
    }
    Q_EMIT picture(bytes);
}

void GstInProcessStreamer::onFlowing(const std::shared_ptr<InProcessRun> &run)
{
    if (run != m_run)
        return;
    m_flowing = true;
    maybeProducing();
}

void GstInProcessStreamer::onLogs(const std::shared_ptr<InProcessRun> &run)
{
    QStringList logs;
    int dropped = 0;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        logs.swap(run->logs);
        dropped = std::exchange(run->droppedLogs, 0);
        run->logsPending = false;
    }
    if (run != m_run)
        return;
    for (const QString &l : std::as_const(logs)) {
        const qsizetype tab = l.indexOf(QLatin1Char('\t'));
        Q_EMIT logLine(LogLevel(std::clamp(l.left(tab).toInt(), 0, 5)), l.mid(tab + 1));
    }
    if (dropped)
        Q_EMIT logLine(LogLevel::Warning, QStringLiteral("%1 GStreamer debug lines dropped (too many at once)").arg(dropped));
}

void GstInProcessStreamer::maybeProducing()
{
    if (m_producing || m_phase != Phase::Running || m_stopRequested || !m_playing)
        return;
    if (m_thumbs > 0 ? !m_pictureSeen : !m_flowing)
        return;
    m_producing = true;
    Q_EMIT producing();
    if (!m_firstPicture.isEmpty())
        Q_EMIT picture(std::exchange(m_firstPicture, {}));
}

void GstInProcessStreamer::beginTeardown(Terminal terminal, const QString &reason)
{
    m_phase = Phase::TearingDown;
    m_terminal = terminal;
    m_reason = reason;
    m_deadline.start(m_stateTimeoutMs);
    g_jobs.run([run = m_run] { teardownThread(run); });
}

void GstInProcessStreamer::onTornDown(const std::shared_ptr<InProcessRun> &run)
{
    if (run != m_run || m_phase != Phase::TearingDown)
        return;
    finish();
}

void GstInProcessStreamer::onDeadline()
{
    switch (m_phase) {
    case Phase::Starting: {
        const QString why = QStringLiteral("the pipeline did not start within %1 ms; abandoned").arg(m_deadline.interval());
        if (m_stopRequested)
            Q_EMIT logLine(LogLevel::Error, why); // stopped() says no more
        abandon(m_run);
        m_terminal = m_stopRequested ? Terminal::Stopped : Terminal::Failed;
        m_reason = why;
        finish();
        break;
    }
    case Phase::Ending:
        Q_EMIT logLine(LogLevel::Warning,
                       QStringLiteral("no end of stream within %1 ms of the stop request; stopping anyway").arg(m_deadline.interval()));
        beginTeardown(Terminal::Stopped, QString());
        break;
    case Phase::TearingDown: {
        const QString why = QStringLiteral("the pipeline did not stop within %1 ms; abandoned to its thread").arg(m_deadline.interval());
        abandon(m_run);
        if (m_terminal == Terminal::Failed)
            m_reason += QStringLiteral("; ") + why;
        else
            Q_EMIT logLine(LogLevel::Error, why);
        finish();
        break;
    }
    default:
        break;
    }
}

void GstInProcessStreamer::finish()
{
    m_deadline.stop();
    m_qosTimer.stop();
    flushQos();
    m_run.reset();
    m_phase = Phase::Idle;
    endRun();
    switch (m_terminal) {
    case Terminal::Stopped: Q_EMIT stopped(); break;
    case Terminal::Ended: Q_EMIT ended(); break;
    // An error before the pipeline played is a start that failed (as GstStreamer tells it).
    case Terminal::Failed: Q_EMIT failed(m_reason, m_playing ? FailureKind::Error : FailureKind::StartFailure); break;
    }
}

} // namespace se::gst
