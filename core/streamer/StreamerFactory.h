#pragma once

#include "common/Result.h"
#include "Streamer.h"

#include <QMap>
#include <QObject>
#include <QStringList>

#include <memory>
#include <vector>

class QPluginLoader;

namespace se {

// Finds streamer plugins at run time and makes streamers by type name. A new
// streaming technology is a new plugin in a plugin folder, not an engine change.
class StreamerFactory : public QObject {
    Q_OBJECT
public:
    explicit StreamerFactory(QObject *parent = nullptr);
    ~StreamerFactory() override;

    // Where plugins are looked for: $SE_PLUGIN_PATH (':'-separated), then
    // <app dir>/../plugins (build tree), then the installed plugin folder
    // (LIBDIR/streamengine/plugins) by its path relative to the program's
    // folder, e.g. <app dir>/../lib/x86_64-linux-gnu/streamengine/plugins.
    static QStringList defaultPluginDirs();

    // Loads every plugin of these folders; returns how many types it knows then.
    int loadPlugins(const QStringList &dirs = defaultPluginDirs());
    // For tests and embedding: a type made in-process, no plugin file.
    void registerPlugin(StreamerPlugin *plugin);

    QStringList types() const;
    bool hasType(const QString &type) const { return m_plugins.contains(type); }
    QString description(const QString &type) const;
    // Problems met while loading (a file that is no plugin, a duplicate type…).
    QStringList loadErrors() const { return m_loadErrors; }

    // Fails, saying which types there are, for an unknown type.
    Result<std::unique_ptr<Streamer>> create(const QString &type) const;
    // The type's pipeline-policy verdict on `command` (StreamerPlugin::refusal);
    // an unknown type is refused.
    QString refusal(const QString &type, const QString &command, const PipelinePolicy &policy,
                    QStringList *checked = nullptr) const;

private:
    QMap<QString, StreamerPlugin *> m_plugins;
    std::vector<std::unique_ptr<QPluginLoader>> m_loaders;
    QStringList m_loadErrors;
};

} // namespace se
