#include "GstInProcessPlugin.h"

#include "GstInProcessStreamer.h"

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

} // namespace se::gst
