// The named peer of bench_engine: the same FakeStreamer instances producing
// the same pictures, with no engine around them (no workers, no watchdog, no
// store, no logs). What the engine costs is the difference.
#include "core/streamer/Streamer.h"
#include "core/streamer/StreamerFactory.h"
#include "TestEnv.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int count = app.arguments().value(1, QStringLiteral("200")).toInt();
    const QString command = app.arguments().value(2, QStringLiteral("fps=5"));
    se::StreamerFactory factory;
    factory.loadPlugins({pluginDir()});
    std::vector<std::unique_ptr<se::Streamer>> streamers;
    qint64 pictures = 0;
    for (int i = 0; i < count; ++i) {
        auto made = factory.create(QStringLiteral("FakeStreamer"));
        if (!made.ok) {
            QTextStream(stderr) << made.message << '\n';
            return 1;
        }
        std::unique_ptr<se::Streamer> s = std::move(made.value);
        QObject::connect(s.get(), &se::Streamer::picture, [&pictures](const QByteArray &) { ++pictures; });
        se::StreamerConfig c;
        c.workerId = QString::number(i);
        c.name = QStringLiteral("Bare %1").arg(i);
        c.command = command;
        s->start(c);
        streamers.push_back(std::move(s));
    }
    QTextStream(stdout) << "READY" << Qt::endl;
    return app.exec();
}
