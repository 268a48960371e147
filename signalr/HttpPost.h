#pragma once
// One HTTP/1.1 POST with an empty body (SignalR's negotiate), on a socket of
// its own in the caller's thread, its answer read with a bound. The answer is
// refused as soon as it is larger than allowed: QNetworkAccessManager reads a
// whole answer on its own thread before a client can refuse it, which lets a
// broken or hostile server make a client hold gigabytes.
#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>
#include <optional>

class QAbstractSocket;

namespace signalr {

class HttpPost : public QObject {
    Q_OBJECT
public:
    struct Request {
        QUrl url; // http:// or https://
        QList<QPair<QByteArray, QByteArray>> headers;
        std::optional<QSslConfiguration> sslConfiguration;
        qint64 maxBodyBytes = 64 * 1024;
        int timeoutMs = 15000;
    };
    struct Answer {
        int status = 0;      // 0: no answer (see error)
        QByteArray body;     // the decoded body (chunked transfer undone)
        QByteArray location; // the Location header, for a redirect
        QString error;       // empty: an answer was read whole
    };

    explicit HttpPost(Request request, QObject *parent = nullptr);
    ~HttpPost() override;

    void start();
    void abort(); // finished() is not emitted after this

Q_SIGNALS:
    void finished(const signalr::HttpPost::Answer &answer);

private:
    enum class Part { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailer, Done };
    void onConnected();
    void onReadyRead();
    void onDisconnected();
    bool parseHead(); // false: an error was set
    void parseBody();
    void finish(const QString &error = {});

    Request m_request;
    QAbstractSocket *m_socket = nullptr;
    QTimer m_timeout;
    QByteArray m_in;
    Part m_part = Part::Head;
    Answer m_answer;
    qint64 m_contentLength = -1; // -1: until the connection closes
    qint64 m_chunkLeft = 0;
    bool m_done = false;
};

} // namespace signalr
