// se-gst-host: runs one gst-launch-1.0 style pipeline for the GstStreamer
// streamer plugin, in its own process.
//
// It takes the same arguments as gst-launch-1.0 and runs them the same way,
// with three differences that make it supervisable:
// - GStreamer debug output, GLib messages and bus messages (state, errors with
//   their debug text, EOS, QoS, first buffer) go as structured lines to the
//   descriptor named by SE_GST_HOST_PROTO_FD (see Protocol below);
// - an `fdsink fd=2` writes its pictures to SE_GST_HOST_JPEG_FD instead, so the
//   JPEG stream never shares a descriptor with text;
// - SIGTERM/SIGINT end the pipeline cleanly (EOS, then NULL) and it dies with
//   its parent (PR_SET_PDEATHSIG).
// Run by hand without those variables it behaves like gst-launch-1.0 and writes
// its lines to stdout.
//
// Protocol: one message per line, fields separated by TAB, with \\ \t \n \r
// escaped inside fields:
//   LOG <level 0..5 as Microsoft.Extensions.Logging> <text>
//   THUMBS <number of fdsink fd=2 elements>
//   STATE <new state of the pipeline>
//   FLOWING                       (playing and a sink got its first buffer)
//   ERROR <source> <message> <debug>
//   EOS
//   STOPPED

#include "GstUtil.h"

#include <gst/gst.h>
#include <glib-unix.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

using se::gst::Level;
constexpr Level Trace = Level::Trace, Debug = Level::Debug, Information = Level::Information,
                Warning = Level::Warning, Error = Level::Error, Critical = Level::Critical;

int g_proto = 1;
int g_jpegFd = -1;
std::mutex g_protoMutex;
GMainLoop *g_loop = nullptr;
GstElement *g_pipeline = nullptr;
int g_exitCode = 0;
bool g_shuttingDown = false;
bool g_eosOnShutdown = true;
guint g_eosDeadlineMs = 1000;
std::atomic<bool> g_firstBuffer{false};
std::atomic<bool> g_playing{false};
std::atomic<bool> g_flowingSent{false};
se::gst::QosCounter g_qos;
GstClockTime g_startTime = 0;

std::string escape(const char *s)
{
    std::string out;
    if (!s)
        return out;
    for (; *s; ++s) {
        switch (*s) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += *s;
        }
    }
    return out;
}

void sendLine(std::string line)
{
    line += '\n';
    std::lock_guard<std::mutex> lock(g_protoMutex);
    const char *p = line.data();
    size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(g_proto, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // the reader is gone; nothing more to say
        }
        p += n;
        left -= size_t(n);
    }
}

void sendLog(Level level, const std::string &text)
{
    sendLine("LOG\t" + std::to_string(int(level)) + '\t' + escape(text.c_str()));
}

void sendError(const char *source, const char *message, const char *debug)
{
    sendLine(std::string("ERROR\t") + escape(source) + '\t' + escape(message) + '\t' + escape(debug));
}

void debugLog(GstDebugCategory *category, GstDebugLevel level, const gchar *file, const gchar *function, gint line,
              GObject *object, GstDebugMessage *message, gpointer)
{
    const GstClockTime elapsed = GST_CLOCK_DIFF(g_startTime, gst_util_get_timestamp());
    sendLog(se::gst::levelOf(level),
            se::gst::formatDebugLine(elapsed, category, level, file, function, line, object, message));
}

GLogWriterOutput logWriter(GLogLevelFlags level, const GLogField *fields, gsize nFields, gpointer)
{
    if (g_log_writer_default_would_drop(level, nullptr) && (level & G_LOG_LEVEL_DEBUG))
        return G_LOG_WRITER_HANDLED;
    const char *domain = nullptr;
    const char *message = nullptr;
    for (gsize i = 0; i < nFields; ++i) {
        if (!strcmp(fields[i].key, "GLIB_DOMAIN"))
            domain = static_cast<const char *>(fields[i].value);
        else if (!strcmp(fields[i].key, "MESSAGE"))
            message = static_cast<const char *>(fields[i].value);
    }
    Level l = Information;
    if (level & G_LOG_LEVEL_ERROR)
        l = Critical;
    else if (level & G_LOG_LEVEL_CRITICAL)
        l = Error;
    else if (level & G_LOG_LEVEL_WARNING)
        l = Warning;
    else if (level & G_LOG_LEVEL_DEBUG)
        l = Debug;
    sendLog(l, std::string(domain ? domain : "") + (domain ? ": " : "") + (message ? message : ""));
    return G_LOG_WRITER_HANDLED;
}

void printHandler(const gchar *text)
{
    std::string s(text ? text : "");
    while (!s.empty() && s.back() == '\n')
        s.pop_back();
    if (!s.empty())
        sendLog(Information, s);
}

void maybeFlowing()
{
    if (g_playing.load() && g_firstBuffer.load() && !g_flowingSent.exchange(true))
        sendLine("FLOWING");
}

GstPadProbeReturn firstBufferProbe(GstPad *, GstPadProbeInfo *, gpointer)
{
    g_firstBuffer = true;
    maybeFlowing();
    return GST_PAD_PROBE_REMOVE;
}

void finish(int code)
{
    g_exitCode = code;
    if (g_loop)
        g_main_loop_quit(g_loop);
}

gboolean eosDeadline(gpointer)
{
    sendLog(Warning, "no EOS within " + std::to_string(g_eosDeadlineMs) + " ms of the stop request; stopping anyway");
    finish(0);
    return G_SOURCE_REMOVE;
}

gboolean onStopSignal(gpointer)
{
    if (g_shuttingDown) {
        // Asked twice: do not wait any longer.
        sendLine("STOPPED");
        _exit(0);
    }
    g_shuttingDown = true;
    GstState state = GST_STATE_NULL;
    gst_element_get_state(g_pipeline, &state, nullptr, 0);
    if (g_eosOnShutdown && state == GST_STATE_PLAYING) {
        sendLog(Information, "stop requested: sending EOS");
        gst_element_send_event(g_pipeline, gst_event_new_eos());
        g_timeout_add(g_eosDeadlineMs, eosDeadline, nullptr);
    } else {
        finish(0);
    }
    return G_SOURCE_CONTINUE;
}

gboolean flushQos(gpointer)
{
    const std::string summary = g_qos.takeSummary();
    if (!summary.empty())
        sendLog(Warning, summary);
    return G_SOURCE_CONTINUE;
}

gboolean onBusMessage(GstBus *, GstMessage *msg, gpointer)
{
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
        const se::gst::MessageText t = se::gst::parseMessage(msg);
        sendError(t.source.c_str(), t.message.empty() ? "unknown error" : t.message.c_str(), t.debug.c_str());
        finish(1);
        break;
    }
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_INFO:
        sendLog(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING ? Warning : Information, se::gst::describe(msg));
        break;
    case GST_MESSAGE_EOS:
        if (!g_shuttingDown)
            sendLine("EOS");
        finish(0);
        break;
    case GST_MESSAGE_STATE_CHANGED:
        if (GST_MESSAGE_SRC(msg) == GST_OBJECT(g_pipeline)) {
            GstState oldState, newState, pending;
            gst_message_parse_state_changed(msg, &oldState, &newState, &pending);
            sendLine(std::string("STATE\t") + gst_element_state_get_name(newState));
            if (newState == GST_STATE_PLAYING) {
                g_playing = true;
                maybeFlowing();
            }
        }
        break;
    case GST_MESSAGE_QOS:
        g_qos.add(msg);
        break;
    case GST_MESSAGE_CLOCK_LOST:
        gst_element_set_state(g_pipeline, GST_STATE_PAUSED);
        gst_element_set_state(g_pipeline, GST_STATE_PLAYING);
        break;
    case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency(GST_BIN(g_pipeline));
        break;
    case GST_MESSAGE_REQUEST_STATE: {
        GstState state;
        gst_message_parse_request_state(msg, &state);
        gst_element_set_state(g_pipeline, state);
        break;
    }
    case GST_MESSAGE_PROPERTY_NOTIFY:
        sendLog(Information, se::gst::describePropertyNotify(msg));
        break;
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

int fdFromEnv(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return -1;
    char *end = nullptr;
    const long fd = strtol(v, &end, 10);
    if (*end || fd < 0 || fd > 65535 || fcntl(int(fd), F_GETFD) < 0)
        return -1;
    // Not for whatever the pipeline itself may start.
    fcntl(int(fd), F_SETFD, FD_CLOEXEC);
    unsetenv(name);
    return int(fd);
}

// Elements with fd=2 become the JPEG channel; sinks get a first-buffer probe.
int prepareElements(GstElement *pipeline)
{
    const auto thumbs = se::gst::fdsinksWritingTo(pipeline, 2);
    if (g_jpegFd >= 0)
        for (GstElement *e : thumbs)
            g_object_set(e, "fd", g_jpegFd, nullptr);
    se::gst::addFirstBufferProbes(pipeline, firstBufferProbe, nullptr);
    return int(thumbs.size());
}

} // namespace

int main(int argc, char **argv)
{
    // Die with the engine; if it is already gone, do not start at all.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (const char *parent = getenv("SE_GST_HOST_PARENT")) {
        if (long(getppid()) != atol(parent))
            return 3;
        unsetenv("SE_GST_HOST_PARENT");
    }
    if (getpgrp() != getpid())
        setpgid(0, 0);
    signal(SIGPIPE, SIG_IGN);

    const int proto = fdFromEnv("SE_GST_HOST_PROTO_FD");
    if (proto >= 0)
        g_proto = proto;
    g_jpegFd = fdFromEnv("SE_GST_HOST_JPEG_FD");
    if (const char *ms = getenv("SE_GST_HOST_EOS_TIMEOUT_MS"))
        g_eosDeadlineMs = guint(std::max(0L, atol(ms)));

    g_log_set_writer_func(logWriter, nullptr, nullptr);
    g_set_print_handler(printHandler);
    g_set_printerr_handler(printHandler);

    GError *error = nullptr;
    if (!gst_init_check(&argc, &argv, &error)) {
        sendError("gst_init", error ? error->message : "could not initialise GStreamer", "");
        return 2;
    }
    g_startTime = gst_util_get_timestamp();
    gst_debug_remove_log_function(gst_debug_log_default);
    gst_debug_add_log_function(debugLog, nullptr, nullptr);

    // gst-launch-1.0's own options (gst_init took the --gst-* ones).
    bool verbose = false;
    int first = 1;
    for (; first < argc; ++first) {
        const char *a = argv[first];
        if (!strcmp(a, "--")) {
            ++first;
            break;
        }
        if (a[0] != '-' || !a[1])
            break;
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            verbose = true;
        else if (!strcmp(a, "-e") || !strcmp(a, "--eos-on-shutdown"))
            g_eosOnShutdown = true;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet") || !strcmp(a, "-m") || !strcmp(a, "--messages")
                 || !strcmp(a, "-t") || !strcmp(a, "--tags") || !strcmp(a, "-T") || !strcmp(a, "--toc")
                 || !strcmp(a, "-f") || !strcmp(a, "--no-fault") || !strcmp(a, "--no-position")
                 || !strcmp(a, "-i") || !strcmp(a, "--index") || !strcmp(a, "--no-sigusr-handler"))
            continue;
        else if (!strcmp(a, "-X") && first + 1 < argc)
            ++first;
        else if (!strncmp(a, "--exclude", 9) || !strncmp(a, "-X", 2))
            continue;
        else {
            sendError("se-gst-host", (std::string("unknown option ") + a).c_str(), "");
            return 2;
        }
    }
    if (first >= argc) {
        sendError("se-gst-host", "empty pipeline description", "usage: se-gst-host [gst-launch-1.0 options] PIPELINE-DESCRIPTION");
        return 2;
    }
    std::vector<const gchar *> words(argv + first, argv + argc);
    words.push_back(nullptr);

    GstElement *pipeline = gst_parse_launchv_full(words.data(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
    if (!pipeline || error) {
        sendError("gst_parse_launch", error ? error->message : "could not create the pipeline", "");
        if (pipeline)
            gst_object_unref(pipeline);
        return 2;
    }
    if (!GST_IS_PIPELINE(pipeline)) {
        GstElement *wrapper = gst_pipeline_new(nullptr);
        gst_bin_add(GST_BIN(wrapper), pipeline);
        pipeline = wrapper;
    }
    g_pipeline = pipeline;
    sendLine("THUMBS\t" + std::to_string(prepareElements(pipeline)));
    if (verbose)
        gst_element_add_property_deep_notify_watch(pipeline, nullptr, TRUE);

    g_loop = g_main_loop_new(nullptr, FALSE);
    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_add_watch(bus, onBusMessage, nullptr);
    g_unix_signal_add(SIGTERM, onStopSignal, nullptr);
    g_unix_signal_add(SIGINT, onStopSignal, nullptr);
    g_timeout_add(1000, flushQos, nullptr);

    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        // The reason is on the bus; give it a moment to arrive.
        GstMessage *msg = gst_bus_timed_pop_filtered(bus, 200 * GST_MSECOND, GST_MESSAGE_ERROR);
        if (msg) {
            onBusMessage(bus, msg, nullptr);
            gst_message_unref(msg);
        } else {
            sendError("se-gst-host", "the pipeline refused to play", "");
        }
        g_exitCode = 1;
    } else {
        g_main_loop_run(g_loop);
    }

    flushQos(nullptr);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_bus_remove_watch(bus);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    if (g_shuttingDown)
        sendLine("STOPPED");
    g_main_loop_unref(g_loop);
    // The pipeline is down and everything is said: end here, without the
    // atexit work of GLib, GStreamer and (in sanitizer builds) the leak check
    // over their process-lifetime caches, which would change the exit code.
    _exit(g_exitCode);
}
