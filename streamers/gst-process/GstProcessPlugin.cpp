#include "GstProcessPlugin.h"

#include "GstProcessStreamer.h"
#include "PipelineCheck.h"

namespace se::gst {

QString GstProcessPlugin::description() const
{
    return QStringLiteral("GStreamer pipeline in its own process (gst-launch-1.0 arguments; JPEGs on fd 2 are the thumbnails)");
}

std::unique_ptr<Streamer> GstProcessPlugin::create()
{
    return std::make_unique<GstProcessStreamer>();
}

QString GstProcessPlugin::refusal(const QString &command, const PipelinePolicy &policy, QStringList *checked) const
{
    return pipelineRefusal(command, policy, checked);
}

} // namespace se::gst
