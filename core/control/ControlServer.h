#pragma once

#include "Commands.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QObject>

class QLocalSocket;

namespace se {

class Engine;
class UnixListener;

// The local control socket `streamengine ctl` talks to: one JSON request a
// line in, one JSON answer a line out ({success, message, data}). Lives in
// the data folder (0600); the folder's lock (DataFolder), not this socket,
// keeps a second engine out. A request is at most kMaxRequestBytes; a client
// whose unsent answers pass kMaxUnsentBytes when it asks again is dropped.
class ControlServer : public QObject {
    Q_OBJECT
public:
    explicit ControlServer(Engine &engine, QObject *parent = nullptr);
    ~ControlServer() override;

    static constexpr qint64 kMaxRequestBytes = 1 << 20;
    static constexpr qint64 kMaxUnsentBytes = 8 << 20;

    static QString socketPath(const QString &dataDir);

    // Fails, saying so, when another engine already serves this folder.
    Result<> listen();

private:
    void serve(QLocalSocket *socket);

    Engine &m_engine;
    UnixListener *m_listener = nullptr;
    Commands m_commands;
};

} // namespace se
