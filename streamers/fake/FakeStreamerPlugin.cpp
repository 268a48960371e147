#include "FakeStreamerPlugin.h"

#include "FakeStreamer.h"

namespace se::fake {

QString FakeStreamerPlugin::description() const
{
    return QStringLiteral("Synthetic pictures and faults on request, no GStreamer (for tests and demos)");
}

std::unique_ptr<Streamer> FakeStreamerPlugin::create()
{
    return std::make_unique<FakeStreamer>();
}

} // namespace se::fake
