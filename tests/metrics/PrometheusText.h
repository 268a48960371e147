#pragma once
// Prometheus's text exposition format (version 0.0.4) as a scraper reads it,
// and a plain HTTP GET: what the metrics-endpoint suites check /metrics with.
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QString>
#include <QtNumeric>

#include <memory>

namespace prometheus_text {

struct HttpReply {
    int status = 0;
    QByteArray contentType;
    QByteArray body;
};

inline HttpReply httpGet(QNetworkAccessManager &nam, quint16 port, const QString &path)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    request.setTransferTimeout(10000);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    QSignalSpy done(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished() && !done.wait(15000))
        return {};
    return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
            reply->header(QNetworkRequest::ContentTypeHeader).toByteArray(), reply->readAll()};
}

// One sample of the text format: its name, its labels (unescaped) and value.
struct Sample {
    QString name;
    QMap<QString, QString> labels;
    double value = 0;
};

inline QString unescapeLabel(const QString &escaped)
{
    QString out;
    for (qsizetype i = 0; i < escaped.size(); ++i) {
        const QChar c = escaped.at(i);
        if (c == QLatin1Char('\\') && i + 1 < escaped.size()) {
            const QChar e = escaped.at(++i);
            out += e == QLatin1Char('n') ? QLatin1Char('\n') : e;
        } else {
            out += c;
        }
    }
    return out;
}

// Prometheus's text exposition format, version 0.0.4: every line is a comment
// (HELP, TYPE) or `name{labels} value`; every sample belongs to a TYPE'd
// family. False, with the first bad line in `why`, otherwise.
inline bool parseExposition(const QByteArray &text, QList<Sample> *samples, QString *why)
{
    static const QRegularExpression sampleLine(QStringLiteral(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")*)?\})? )"
        R"(([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN)(?: -?[0-9]+)?$)"));
    static const QRegularExpression label(QStringLiteral(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)")re"));
    static const QRegularExpression typeLine(QStringLiteral(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)"));
    static const QRegularExpression helpLine(QStringLiteral(R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$)"));
    if (!text.endsWith('\n')) {
        *why = QStringLiteral("the text does not end with a newline");
        return false;
    }
    QHash<QString, QString> types;
    const QList<QByteArray> lines = text.left(text.size() - 1).split('\n');
    for (const QByteArray &raw : lines) {
        const QString line = QString::fromUtf8(raw);
        if (line.startsWith(QLatin1Char('#'))) {
            if (const auto m = typeLine.match(line); m.hasMatch())
                types.insert(m.captured(1), m.captured(2));
            else if (!helpLine.match(line).hasMatch()) {
                *why = QStringLiteral("a comment that is neither HELP nor TYPE: ") + line;
                return false;
            }
            continue;
        }
        const auto m = sampleLine.match(line);
        if (!m.hasMatch()) {
            *why = QStringLiteral("not `name{labels} value`: ") + line;
            return false;
        }
        Sample s;
        s.name = m.captured(1);
        for (auto it = label.globalMatch(m.captured(2)); it.hasNext();) {
            const auto l = it.next();
            s.labels.insert(l.captured(1), unescapeLabel(l.captured(2)));
        }
        const QString value = m.captured(3);
        s.value = value.endsWith(QLatin1String("Inf")) ? (value.startsWith(QLatin1Char('-')) ? -qInf() : qInf())
                : value == QLatin1String("NaN") ? qQNaN() : value.toDouble();
        QString family = s.name;
        for (const char *suffix : {"_bucket", "_sum", "_count"})
            if (!types.contains(family) && family.endsWith(QLatin1StringView(suffix)))
                family.chop(qsizetype(qstrlen(suffix)));
        if (!types.contains(family)) {
            *why = QStringLiteral("a sample before (or without) its # TYPE line: ") + line;
            return false;
        }
        samples->append(s);
    }
    return true;
}

// The value of the one sample of `name` whose labels include `labels`; NaN when none.
inline double valueOf(const QList<Sample> &samples, const QString &name, const QMap<QString, QString> &labels)
{
    for (const Sample &s : samples) {
        if (s.name != name)
            continue;
        bool all = true;
        for (auto it = labels.begin(); it != labels.end() && all; ++it)
            all = s.labels.value(it.key()) == it.value();
        if (all)
            return s.value;
    }
    return qQNaN();
}

// GET /metrics and parse it: empty (with a warning) when either fails.
inline QList<Sample> scrape(QNetworkAccessManager &nam, quint16 port)
{
    const HttpReply r = httpGet(nam, port, QStringLiteral("/metrics"));
    QList<Sample> samples;
    QString why;
    if (r.status != 200)
        qWarning("/metrics answered %d", r.status);
    else if (!parseExposition(r.body, &samples, &why))
        qWarning("/metrics is not Prometheus's text format: %s", qPrintable(why));
    return samples;
}

} // namespace prometheus_text

