#pragma once

#include "core/streamer/Streamer.h"

namespace se::gst {

class GstInProcessPlugin : public QObject, public StreamerPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID SE_STREAMER_PLUGIN_IID FILE "gstinprocess.json")
    Q_INTERFACES(se::StreamerPlugin)
public:
    QString typeName() const override { return QStringLiteral("GstInProcess"); }
    QString description() const override;
    std::unique_ptr<Streamer> create() override;
    // The command's options and its pipeline, parsed (NULL state) as start()
    // will parse it (streamers/common/PipelineCheck).
    QString refusal(const QString &command, const PipelinePolicy &policy, QStringList *checked) const override;
};

} // namespace se::gst
