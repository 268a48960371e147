#include "StreamerFactory.h"

#include <QCoreApplication>
#include <QDir>
#include <QLoggingCategory>
#include <QPluginLoader>

Q_LOGGING_CATEGORY(lcFactory, "se.factory")

namespace se {

StreamerFactory::StreamerFactory(QObject *parent) : QObject(parent) {}
StreamerFactory::~StreamerFactory() = default;

QStringList StreamerFactory::defaultPluginDirs()
{
    QStringList dirs;
    const QString env = qEnvironmentVariable("SE_PLUGIN_PATH");
    for (const QString &d : env.split(QLatin1Char(':'), Qt::SkipEmptyParts))
        dirs << d;
    // The build tree's plugins/, then the installed LIBDIR/streamengine/plugins
    // by its path from BINDIR as CMake computed it for the install prefix.
    const QString app = QCoreApplication::applicationDirPath();
    dirs << app + QStringLiteral("/../plugins") << QDir::cleanPath(app + QStringLiteral("/" SE_PLUGINDIR_FROM_BINDIR));
    return dirs;
}

int StreamerFactory::loadPlugins(const QStringList &dirs)
{
    for (const QString &dirPath : dirs) {
        QDir dir(dirPath);
        if (!dir.exists())
            continue;
        const auto files = dir.entryInfoList({QStringLiteral("*.so")}, QDir::Files, QDir::Name);
        for (const QFileInfo &file : files) {
            auto loader = std::make_unique<QPluginLoader>(file.absoluteFilePath());
            QObject *instance = loader->instance();
            auto *plugin = qobject_cast<StreamerPlugin *>(instance);
            if (!plugin) {
                const QString why = instance ? QStringLiteral("not a streamer plugin") : loader->errorString();
                m_loadErrors << QStringLiteral("%1: %2").arg(file.absoluteFilePath(), why);
                qCWarning(lcFactory) << "skipping" << file.absoluteFilePath() << ":" << why;
                continue;
            }
            if (m_plugins.contains(plugin->typeName())) {
                m_loadErrors << QStringLiteral("%1: type %2 already loaded").arg(file.absoluteFilePath(), plugin->typeName());
                continue;
            }
            m_plugins.insert(plugin->typeName(), plugin);
            m_loaders.push_back(std::move(loader));
            qCInfo(lcFactory) << "streamer type" << plugin->typeName() << "from" << file.absoluteFilePath();
        }
    }
    return int(m_plugins.size());
}

void StreamerFactory::registerPlugin(StreamerPlugin *plugin)
{
    m_plugins.insert(plugin->typeName(), plugin);
}

QStringList StreamerFactory::types() const
{
    return m_plugins.keys();
}

QString StreamerFactory::description(const QString &type) const
{
    auto *p = m_plugins.value(type);
    return p ? p->description() : QString();
}

Result<std::unique_ptr<Streamer>> StreamerFactory::create(const QString &type) const
{
    auto *plugin = m_plugins.value(type);
    if (!plugin)
        return Result<std::unique_ptr<Streamer>>::failure(
            QStringLiteral("unknown streamer type '%1' (this engine has: %2)")
                .arg(type, m_plugins.isEmpty() ? QStringLiteral("none") : types().join(QStringLiteral(", "))));
    return Result<std::unique_ptr<Streamer>>::success(plugin->create());
}

QString StreamerFactory::refusal(const QString &type, const QString &command, const PipelinePolicy &policy,
                                 QStringList *checked) const
{
    auto *plugin = m_plugins.value(type);
    if (!plugin)
        return QStringLiteral("unknown streamer type '%1'").arg(type);
    return plugin->refusal(command, policy, checked);
}

} // namespace se
