#pragma once

#include "Streamer.h"

namespace se::gst {

class GstProcessPlugin : public QObject, public StreamerPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SE_STREAMER_PLUGIN_IID FILE "gstprocess.json")
    Q_INTERFACES(se::StreamerPlugin)
public:
    QString typeName() const override { return QStringLiteral("GstStreamer"); }
    QString description() const override;
    std::unique_ptr<Streamer> create() override;
};

} // namespace se::gst
