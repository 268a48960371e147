#include "GstProcessPlugin.h"

#include "GstProcessStreamer.h"

namespace se::gst {

QString GstProcessPlugin::description() const
{
    return QStringLiteral("GStreamer pipeline in its own process (gst-launch-1.0 arguments; JPEGs on fd 2 are the thumbnails)");
}

std::unique_ptr<Streamer> GstProcessPlugin::create()
{
    return std::make_unique<GstProcessStreamer>();
}

} // namespace se::gst
