#pragma once

// GStreamer helpers shared by se-gst-host and the in-process streamer. Plain
// GStreamer and the standard library: the host links no Qt.

#include <gst/gst.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace se::gst {

// Microsoft.Extensions.Logging's levels, as se::LogLevel numbers them.
enum class Level : int { Trace = 0, Debug = 1, Information = 2, Warning = 3, Error = 4, Critical = 5 };

Level levelOf(GstDebugLevel level);

// One GStreamer debug message as one line, like gst's default log function
// (without colours, process and thread ids).
std::string formatDebugLine(GstClockTime elapsed, GstDebugCategory *category, GstDebugLevel level, const gchar *file,
                            const gchar *function, gint line, GObject *object, GstDebugMessage *message);

// Every element inside `bin`, at any depth.
void forEachElement(GstBin *bin, const std::function<void(GstElement *)> &fn);

// The fdsink elements that write to descriptor `fd`.
std::vector<GstElement *> fdsinksWritingTo(GstElement *pipeline, int fd);

// Adds a one-shot buffer probe to every sink pad of every sink element.
void addFirstBufferProbes(GstElement *pipeline, GstPadProbeCallback callback, gpointer data);

// An ERROR / WARNING / INFO message's parts.
struct MessageText {
    std::string source;  // the element's path
    std::string message; // GStreamer's message
    std::string debug;   // its debug text
};
MessageText parseMessage(GstMessage *msg);
// "WARNING from <source>: <message> (<debug>)"
std::string describe(GstMessage *msg);

// What gst-launch-1.0 -v prints for a property change (caps and the like):
// "/GstPipeline:pipeline0/GstCapsFilter:capsfilter0.GstPad:src: caps = …"
std::string describePropertyNotify(GstMessage *msg);

// Dropped-frame counts from QoS messages, summarised for the log.
class QosCounter {
public:
    void add(GstMessage *msg);
    // The summary once something changed since the last call, else empty.
    std::string takeSummary();

private:
    std::map<std::string, std::pair<guint64, guint64>> m_counts; // processed, dropped
    bool m_dirty = false;
};

} // namespace se::gst
