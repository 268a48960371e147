#include "HttpPost.h"

#include <QSslSocket>
#include <QTcpSocket>

namespace signalr {

namespace {
constexpr qsizetype MaxHeadBytes = 16 * 1024;
constexpr qsizetype MaxLineBytes = 1024; // a chunk-size or trailer line
constexpr qint64 SocketReadBuffer = 64 * 1024;
} // namespace

HttpPost::HttpPost(Request request, QObject *parent) : QObject(parent), m_request(std::move(request))
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this,
            [this] { finish(QStringLiteral("the server did not answer within %1 ms").arg(m_request.timeoutMs)); });
}

HttpPost::~HttpPost() { abort(); }

void HttpPost::start()
{
    const QUrl &url = m_request.url;
    const bool tls = url.scheme() == QLatin1String("https");
    if (!tls && url.scheme() != QLatin1String("http")) {
        QMetaObject::invokeMethod(
            this, [this] { finish(QStringLiteral("unsupported scheme '%1'").arg(m_request.url.scheme())); }, Qt::QueuedConnection);
        return;
    }
    if (tls) {
        auto *ssl = new QSslSocket(this);
        if (m_request.sslConfiguration)
            ssl->setSslConfiguration(*m_request.sslConfiguration);
        connect(ssl, &QSslSocket::encrypted, this, &HttpPost::onConnected);
        m_socket = ssl;
    } else {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &HttpPost::onConnected);
    }
    // The kernel holds the rest: the socket never buffers more than this.
    m_socket->setReadBufferSize(SocketReadBuffer);
    connect(m_socket, &QAbstractSocket::readyRead, this, &HttpPost::onReadyRead);
    connect(m_socket, &QAbstractSocket::disconnected, this, &HttpPost::onDisconnected);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError)
            onDisconnected();
        else
            finish(m_socket->errorString());
    });
    m_timeout.start(m_request.timeoutMs);
    const quint16 port = quint16(url.port(tls ? 443 : 80));
    if (tls)
        static_cast<QSslSocket *>(m_socket)->connectToHostEncrypted(url.host(), port);
    else
        m_socket->connectToHost(url.host(), port);
}

void HttpPost::abort()
{
    m_done = true;
    m_timeout.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
}

void HttpPost::onConnected()
{
    const QUrl &url = m_request.url;
    QByteArray head = "POST " + url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (url.path().isEmpty())
        head.insert(5, '/');
    head += " HTTP/1.1\r\nHost: " + url.host(QUrl::FullyEncoded).toLatin1();
    if (url.port() != -1)
        head += ':' + QByteArray::number(url.port());
    head += "\r\nContent-Length: 0\r\nConnection: close\r\nAccept: application/json\r\n";
    for (const auto &h : m_request.headers)
        head += h.first + ": " + h.second + "\r\n";
    m_socket->write(head + "\r\n");
}

void HttpPost::onReadyRead()
{
    while (!m_done && m_socket && m_socket->bytesAvailable() > 0) {
        m_in += m_socket->read(SocketReadBuffer);
        if (m_part == Part::Head && !parseHead())
            return;
        if (m_part != Part::Head)
            parseBody();
    }
}

bool HttpPost::parseHead()
{
    const qsizetype end = m_in.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_in.size() > MaxHeadBytes)
            finish(QStringLiteral("the answer's headers are larger than %1 bytes").arg(MaxHeadBytes));
        return !m_done;
    }
    const QList<QByteArray> lines = m_in.left(end).split('\n');
    m_in.remove(0, end + 4);
    const QList<QByteArray> status = lines.first().trimmed().split(' ');
    bool ok = false;
    m_answer.status = status.value(1).toInt(&ok);
    if (!status.first().startsWith("HTTP/1.") || !ok) {
        finish(QStringLiteral("not an HTTP answer"));
        return false;
    }
    bool chunked = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length")
            m_contentLength = value.toLongLong();
        else if (name == "transfer-encoding")
            chunked = value.toLower().contains("chunked");
        else if (name == "location")
            m_answer.location = value;
    }
    if (m_contentLength > m_request.maxBodyBytes) {
        finish(QStringLiteral("the answer is larger than %1 bytes").arg(m_request.maxBodyBytes));
        return false;
    }
    m_part = chunked ? Part::ChunkSize : Part::Body;
    if (!chunked && m_contentLength == 0)
        finish();
    return !m_done;
}

void HttpPost::parseBody()
{
    auto takeLine = [this](QByteArray *line) {
        const qsizetype end = m_in.indexOf("\r\n");
        if (end < 0) {
            if (m_in.size() > MaxLineBytes)
                finish(QStringLiteral("a line of the answer is longer than %1 bytes").arg(MaxLineBytes));
            return false;
        }
        *line = m_in.left(end);
        m_in.remove(0, end + 2);
        return true;
    };
    auto append = [this](QByteArrayView data) {
        if (m_answer.body.size() + data.size() > m_request.maxBodyBytes) {
            finish(QStringLiteral("the answer is larger than %1 bytes").arg(m_request.maxBodyBytes));
            return false;
        }
        m_answer.body += data;
        return true;
    };
    while (!m_done) {
        QByteArray line;
        switch (m_part) {
        case Part::Head:
        case Part::Done: return;
        case Part::Body:
            if (!append(m_in))
                return;
            m_in.clear();
            if (m_contentLength >= 0 && m_answer.body.size() >= m_contentLength)
                finish();
            return;
        case Part::ChunkSize: {
            if (!takeLine(&line))
                return;
            bool ok = false;
            m_chunkLeft = line.split(';').first().trimmed().toLongLong(&ok, 16);
            if (!ok || m_chunkLeft < 0) {
                finish(QStringLiteral("a malformed chunk in the answer"));
                return;
            }
            if (m_chunkLeft > m_request.maxBodyBytes) {
                finish(QStringLiteral("the answer is larger than %1 bytes").arg(m_request.maxBodyBytes));
                return;
            }
            m_part = m_chunkLeft == 0 ? Part::Trailer : Part::ChunkData;
            break;
        }
        case Part::ChunkData: {
            const qsizetype n = qsizetype(std::min<qint64>(m_chunkLeft, m_in.size()));
            if (n == 0)
                return;
            if (!append(QByteArrayView(m_in).first(n)))
                return;
            m_in.remove(0, n);
            m_chunkLeft -= n;
            if (m_chunkLeft == 0)
                m_part = Part::ChunkEnd;
            break;
        }
        case Part::ChunkEnd:
            if (!takeLine(&line))
                return;
            m_part = Part::ChunkSize;
            break;
        case Part::Trailer:
            if (!takeLine(&line))
                return;
            if (line.isEmpty())
                finish();
            break;
        }
    }
}

void HttpPost::onDisconnected()
{
    if (m_done)
        return;
    if (m_socket && m_socket->bytesAvailable() > 0)
        onReadyRead();
    if (m_done)
        return;
    if (m_part == Part::Body && m_contentLength < 0)
        finish(); // the answer's end is the connection's
    else
        finish(QStringLiteral("the connection closed before the answer was complete"));
}

void HttpPost::finish(const QString &error)
{
    if (m_done)
        return;
    m_answer.error = error;
    m_part = Part::Done;
    abort();
    Q_EMIT finished(m_answer);
}

} // namespace signalr
