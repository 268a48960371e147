#pragma once
// SignalR's negotiate: POST {hub}/negotiate, following HTTP redirects (never
// from https to http) and the server's own {"url": ...} redirects, and reading
// the connection token and whether the server keeps the connection for a
// stateful reconnect. Then the WebSocket URL to open.
#include "HubConnectionOptions.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

namespace signalr {

class HttpPost;

class Negotiation : public QObject {
    Q_OBJECT
public:
    struct Result {
        QString error; // empty: negotiated
        QString connectionId;
        bool statefulReconnect = false;
        QUrl webSocketUrl;
    };

    // Uses url, headers, accessToken, statefulReconnect, the negotiate limits and SSL of options.
    Negotiation(const HubConnectionOptions &options, const QString &accessToken, QObject *parent = nullptr);
    ~Negotiation() override;

    void start();
    void abort(); // finished() is not emitted after this

    // base as a ws:// or wss:// URL with the connection token (id) and access token.
    static QUrl webSocketUrl(const QUrl &base, const QString &connectionToken, const QString &accessToken);

Q_SIGNALS:
    void finished(const signalr::Negotiation::Result &result);

private:
    void negotiate(const QUrl &base, int redirects);
    void post(const QUrl &url, const QUrl &base, int redirects);
    void fail(const QString &error);

    const HubConnectionOptions m_options;
    QString m_accessToken;
    QPointer<HttpPost> m_post;
};

} // namespace signalr
