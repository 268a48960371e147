#include "Negotiation.h"

#include "HttpPost.h"
#include "Logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace signalr {

namespace {

constexpr int MaxRedirects = 100;

QUrl withPathSuffix(QUrl url, const QString &suffix)
{
    QString path = url.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    url.setPath(path + suffix);
    return url;
}

} // namespace

Negotiation::Negotiation(const HubConnectionOptions &options, const QString &accessToken, QObject *parent)
    : QObject(parent), m_options(options), m_accessToken(accessToken)
{
}

Negotiation::~Negotiation() { abort(); }

void Negotiation::start() { negotiate(m_options.url, 0); }

void Negotiation::abort()
{
    if (HttpPost *http = m_post) {
        m_post = nullptr;
        http->abort();
        http->deleteLater();
    }
}

void Negotiation::fail(const QString &error)
{
    Result r;
    r.error = error;
    Q_EMIT finished(r);
}

void Negotiation::negotiate(const QUrl &base, int redirects)
{
    QUrl url = withPathSuffix(base, QStringLiteral("/negotiate"));
    if (url.scheme() == QLatin1String("ws"))
        url.setScheme(QStringLiteral("http"));
    else if (url.scheme() == QLatin1String("wss"))
        url.setScheme(QStringLiteral("https"));
    QUrlQuery q(url);
    q.removeAllQueryItems(QStringLiteral("negotiateVersion"));
    q.addQueryItem(QStringLiteral("negotiateVersion"), QStringLiteral("1"));
    if (m_options.statefulReconnect)
        q.addQueryItem(QStringLiteral("useStatefulReconnect"), QStringLiteral("true"));
    url.setQuery(q);
    post(url, base, redirects);
}

// One negotiate request; an HTTP redirect is followed (never from https to http).
void Negotiation::post(const QUrl &url, const QUrl &base, int redirects)
{
    HttpPost::Request request;
    request.url = url;
    request.headers = {{"Content-Type", "text/plain;charset=UTF-8"}, {"X-Requested-With", "XMLHttpRequest"}};
    request.headers += m_options.headers;
    if (!m_accessToken.isEmpty())
        request.headers.append({"Authorization", "Bearer " + m_accessToken.toUtf8()});
    request.sslConfiguration = m_options.sslConfiguration;
    request.maxBodyBytes = m_options.maxNegotiateBytes;
    request.timeoutMs = m_options.negotiateTimeoutMs;
    qCDebug(lcSignalR) << "negotiate" << url;
    auto *http = new HttpPost(request, this);
    m_post = http;
    connect(http, &HttpPost::finished, this, [this, http, url, base, redirects](const HttpPost::Answer &answer) {
        http->deleteLater();
        if (http != m_post)
            return;
        m_post = nullptr;
        if (!answer.error.isEmpty()) {
            fail(QStringLiteral("Negotiate failed: %1").arg(answer.error));
            return;
        }
        if (answer.status >= 300 && answer.status < 400 && !answer.location.isEmpty()) {
            const QUrl next = url.resolved(QUrl::fromEncoded(answer.location));
            if (redirects >= MaxRedirects || (url.scheme() == QLatin1String("https") && next.scheme() != QLatin1String("https"))) {
                fail(QStringLiteral("Negotiate failed: HTTP %1 to %2 not followed (too many redirects, or less safe).")
                         .arg(answer.status)
                         .arg(next.toString(QUrl::RemoveQuery)));
                return;
            }
            post(next, base, redirects + 1);
            return;
        }
        if (answer.status != 200) {
            fail(QStringLiteral("Negotiate failed: HTTP %1").arg(answer.status));
            return;
        }
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(answer.body, &pe).object();
        if (pe.error != QJsonParseError::NoError) {
            fail(QStringLiteral("Negotiate failed: invalid JSON (%1)").arg(pe.errorString()));
            return;
        }
        if (o.contains(QLatin1String("error"))) {
            fail(QStringLiteral("Negotiate failed: %1").arg(o.value(QLatin1String("error")).toString()));
            return;
        }
        if (o.contains(QLatin1String("url"))) {
            if (redirects >= MaxRedirects) {
                fail(QStringLiteral("Negotiate failed: more than %1 redirects.").arg(MaxRedirects));
                return;
            }
            const QUrl next = base.resolved(QUrl(o.value(QLatin1String("url")).toString()));
            if (o.contains(QLatin1String("accessToken")))
                m_accessToken = o.value(QLatin1String("accessToken")).toString();
            qCDebug(lcSignalR) << "negotiate redirect to" << next;
            negotiate(next, redirects + 1);
            return;
        }
        bool webSockets = false;
        for (const QJsonValue &t : o.value(QLatin1String("availableTransports")).toArray()) {
            const QJsonObject tr = t.toObject();
            if (tr.value(QLatin1String("transport")).toString() == QLatin1String("WebSockets")
                && tr.value(QLatin1String("transferFormats")).toArray().contains(QStringLiteral("Text")))
                webSockets = true;
        }
        if (!webSockets) {
            fail(QStringLiteral("Negotiate failed: the server does not offer WebSockets with text frames."));
            return;
        }
        const int version = o.value(QLatin1String("negotiateVersion")).toInt();
        Result r;
        r.connectionId = o.value(QLatin1String("connectionId")).toString();
        const QString connectionToken = version >= 1 ? o.value(QLatin1String("connectionToken")).toString() : r.connectionId;
        r.statefulReconnect = m_options.statefulReconnect && o.value(QLatin1String("useStatefulReconnect")).toBool();
        r.webSocketUrl = webSocketUrl(base, connectionToken, m_accessToken);
        Q_EMIT finished(r);
    });
    http->start();
}

QUrl Negotiation::webSocketUrl(const QUrl &base, const QString &connectionToken, const QString &accessToken)
{
    QUrl url = base;
    if (url.scheme() == QLatin1String("http"))
        url.setScheme(QStringLiteral("ws"));
    else if (url.scheme() == QLatin1String("https"))
        url.setScheme(QStringLiteral("wss"));
    QUrlQuery q(url);
    if (!connectionToken.isEmpty())
        q.addQueryItem(QStringLiteral("id"), connectionToken);
    if (!accessToken.isEmpty())
        q.addQueryItem(QStringLiteral("access_token"), QString::fromLatin1(QUrl::toPercentEncoding(accessToken)));
    url.setQuery(q);
    return url;
}

} // namespace signalr
