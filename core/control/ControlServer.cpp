#include "ControlServer.h"

#include "core/engine/Engine.h"
#include "UnixListener.h"

#include <QJsonDocument>
#include <QLocalSocket>
#include <QLoggingCategory>

#include <unistd.h>

Q_LOGGING_CATEGORY(lcControl, "se.control")

namespace se {

ControlServer::ControlServer(Engine &engine, QObject *parent) : QObject(parent), m_engine(engine), m_commands(engine) {}

ControlServer::~ControlServer()
{
    if (m_listener)
        m_listener->close();
}

QString ControlServer::socketPath(const QString &dataDir)
{
    return dataDir + QStringLiteral("/control.sock");
}

Result<> ControlServer::listen()
{
    const QString path = socketPath(m_engine.dataDir());
    {
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(500))
            return Result<>::failure(QStringLiteral("another engine is already running with the data folder %1").arg(m_engine.dataDir()));
    }
    // Not QLocalServer: see UnixListener (a failed accept must not close the socket).
    m_listener = new UnixListener(this);
    if (Result<> listening = m_listener->listen(path); !listening.ok)
        return listening;
    connect(m_listener, &UnixListener::accepted, this, [this](qintptr fd) {
        auto *s = new QLocalSocket(this);
        if (!s->setSocketDescriptor(fd, QLocalSocket::ConnectedState, QIODevice::ReadWrite)) {
            qCWarning(lcControl) << "cannot take a control connection:" << s->errorString();
            ::close(int(fd));
            delete s;
            return;
        }
        serve(s);
    });
    return Result<>::success();
}

void ControlServer::serve(QLocalSocket *socket)
{
    connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
        while (socket->canReadLine()) {
            // Answers it does not read stay here: bounded, per client.
            if (socket->bytesToWrite() > kMaxUnsentBytes) {
                qCWarning(lcControl).noquote() << QStringLiteral("control client dropped: it reads none of its answers "
                                                                 "(%1 bytes unsent, at most %2)")
                                                      .arg(socket->bytesToWrite()).arg(kMaxUnsentBytes);
                socket->abort();
                return;
            }
            const QByteArray line = socket->readLine();
            QJsonParseError parseError;
            const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
            const CommandResult reply =
                doc.isObject() ? m_commands.run(Commands::Caller::Ctl, doc.object().value(QStringLiteral("verb")).toString(), doc.object(),
                                                QStringLiteral("ctl"))
                               : CommandResult::failure(QStringLiteral("bad request: %1").arg(parseError.errorString()));
            socket->write(QJsonDocument(Commands::toJson(reply)).toJson(QJsonDocument::Compact) + '\n');
        }
        if (socket->bytesAvailable() > kMaxRequestBytes) // no line in a megabyte: not a client of ours
            socket->abort();
    });
}

} // namespace se
