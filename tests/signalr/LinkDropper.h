#pragma once
// For tests against real servers: a transport factory that makes the production
// WebSocketTransport and can drop its link as a network failure would (a TCP
// reset, no close handshake). The connection hears that as any other loss.
#include "signalr/HubConnectionOptions.h"
#include "signalr/WebSocketTransport.h"

#include <QAbstractSocket>
#include <QPointer>
#include <QWebSocket>
#include <memory>

#include <sys/socket.h>

class LinkDropper {
public:
    std::function<std::unique_ptr<signalr::Transport>(const signalr::HubConnectionOptions &)> factory() const
    {
        return [last = m_last](const signalr::HubConnectionOptions &o) {
            auto t = std::make_unique<signalr::WebSocketTransport>(o);
            *last = t.get();
            return t;
        };
    }

    // Resets the latest transport's open link (SO_LINGER 0: RST, not FIN; a FIN
    // looks to the server like the client leaving).
    void drop() const
    {
        if (!*m_last)
            return;
        for (QWebSocket *ws : (*m_last)->findChildren<QWebSocket *>()) {
            if (ws->state() != QAbstractSocket::ConnectedState)
                continue;
            if (auto *tcp = ws->findChild<QAbstractSocket *>(); tcp && tcp->socketDescriptor() >= 0) {
                const linger l{1, 0};
                ::setsockopt(int(tcp->socketDescriptor()), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            }
            ws->abort();
        }
    }

private:
    std::shared_ptr<QPointer<signalr::Transport>> m_last = std::make_shared<QPointer<signalr::Transport>>();
};
