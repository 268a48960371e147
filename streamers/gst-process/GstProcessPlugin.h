#pragma once

#include "core/streamer/Streamer.h"

namespace se::gst {

class GstProcessPlugin : public QObject, public StreamerPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SE_STREAMER_PLUGIN_IID FILE "gstprocess.json")
    Q_INTERFACES(se::StreamerPlugin)
public:
    QString typeName() const override { return QStringLiteral("GstStreamer"); }
    QString description() const override;
    std::unique_ptr<Streamer> create() override;
    // The command's options and its pipeline, parsed here (NULL state) as
    // se-gst-host will parse it (streamers/common/PipelineCheck).
    QString refusal(const QString &command, const PipelinePolicy &policy, QStringList *checked) const override;
};

} // namespace se::gst
