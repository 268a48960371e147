#pragma once

#include "core/streamer/Streamer.h"

namespace se::fake {

class FakeStreamerPlugin : public QObject, public StreamerPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SE_STREAMER_PLUGIN_IID FILE "fake.json")
    Q_INTERFACES(se::StreamerPlugin)
public:
    QString typeName() const override { return QStringLiteral("FakeStreamer"); }
    QString description() const override;
    std::unique_ptr<Streamer> create() override;
};

} // namespace se::fake
