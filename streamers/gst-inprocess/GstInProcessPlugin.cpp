#include "GstInProcessPlugin.h"

#include "GstInProcessStreamer.h"
#include "PipelineCheck.h"

namespace se::gst {

QString GstInProcessPlugin::description() const
{
    return QStringLiteral("GStreamer pipeline inside the engine (gst-launch-1.0 syntax; thumbnails from an appsink "
                          "named preview or from fdsink fd=2)");
}

std::unique_ptr<Streamer> GstInProcessPlugin::create()
{
    GstInProcessStreamer::initGStreamer();
    return std::make_unique<GstInProcessStreamer>();
}

QString GstInProcessPlugin::refusal(const QString &command, const PipelinePolicy &policy, QStringList *checked) const
{
    GstInProcessStreamer::initGStreamer(); // GStreamer as this plugin sets it up, before anything parses
    return pipelineRefusal(command, policy, checked);
}

} // namespace se::gst
