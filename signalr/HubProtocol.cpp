#include "HubProtocol.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QLocale>
#include <cmath>
#include <limits>

namespace signalr {

HubMessage HubMessage::invocation(const QString &id, const QString &target, const QJsonArray &args)
{
    HubMessage m;
    m.type = MessageType::Invocation;
    m.invocationId = id;
    m.target = target;
    m.arguments = args;
    return m;
}

HubMessage HubMessage::streamInvocation(const QString &id, const QString &target, const QJsonArray &args)
{
    HubMessage m = invocation(id, target, args);
    m.type = MessageType::StreamInvocation;
    return m;
}

HubMessage HubMessage::streamItem(const QString &id, const QJsonValue &item)
{
    HubMessage m;
    m.type = MessageType::StreamItem;
    m.invocationId = id;
    m.item = item;
    return m;
}

HubMessage HubMessage::completionResult(const QString &id, const QJsonValue &result)
{
    HubMessage m;
    m.type = MessageType::Completion;
    m.invocationId = id;
    m.result = result;
    m.hasResult = true;
    return m;
}

HubMessage HubMessage::completionVoid(const QString &id)
{
    HubMessage m;
    m.type = MessageType::Completion;
    m.invocationId = id;
    return m;
}

HubMessage HubMessage::completionError(const QString &id, const QString &error)
{
    HubMessage m = completionVoid(id);
    m.error = error;
    return m;
}

HubMessage HubMessage::cancelInvocation(const QString &id)
{
    HubMessage m;
    m.type = MessageType::CancelInvocation;
    m.invocationId = id;
    return m;
}

HubMessage HubMessage::ping() { return HubMessage{}; }

HubMessage HubMessage::close(const std::optional<QString> &error, bool allowReconnect)
{
    HubMessage m;
    m.type = MessageType::Close;
    m.error = error;
    m.allowReconnect = allowReconnect;
    return m;
}

HubMessage HubMessage::ack(qint64 sequenceId)
{
    HubMessage m;
    m.type = MessageType::Ack;
    m.sequenceId = sequenceId;
    return m;
}

HubMessage HubMessage::sequence(qint64 sequenceId)
{
    HubMessage m;
    m.type = MessageType::Sequence;
    m.sequenceId = sequenceId;
    return m;
}

QByteArray HubProtocol::handshakeRequest(int version)
{
    return "{\"protocol\":\"json\",\"version\":" + QByteArray::number(version) + "}\x1e";
}

namespace {

bool parseObject(QByteArrayView record, QJsonObject *out, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(record.toByteArray(), &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = QStringLiteral("invalid JSON: %1").arg(pe.errorString());
        return false;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("a message must be a JSON object");
        return false;
    }
    *out = doc.object();
    return true;
}

bool integral(const QJsonValue &v, qint64 *out)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9007199254740992.0)
        return false;
    *out = static_cast<qint64>(d);
    return true;
}

bool requireString(const QJsonObject &o, const QString &key, QString *out, QString *error)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd() || !it->isString()) {
        *error = QStringLiteral("missing or non-string '%1'").arg(key);
        return false;
    }
    *out = it->toString();
    return true;
}

bool optionalString(const QJsonObject &o, const QString &key, QString *out, QString *error)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd() || it->isNull())
        return true;
    if (!it->isString()) {
        *error = QStringLiteral("non-string '%1'").arg(key);
        return false;
    }
    *out = it->toString();
    return true;
}

bool invocationFields(const QJsonObject &o, HubMessage *m, bool idRequired, QString *error)
{
    if (idRequired ? !requireString(o, QStringLiteral("invocationId"), &m->invocationId, error)
                   : !optionalString(o, QStringLiteral("invocationId"), &m->invocationId, error))
        return false;
    if (!requireString(o, QStringLiteral("target"), &m->target, error))
        return false;
    const auto args = o.constFind(QLatin1String("arguments"));
    if (args == o.constEnd() || !args->isArray()) {
        *error = QStringLiteral("missing or non-array 'arguments'");
        return false;
    }
    m->arguments = args->toArray();
    const auto ids = o.constFind(QLatin1String("streamIds"));
    if (ids != o.constEnd() && !ids->isNull()) {
        if (!ids->isArray()) {
            *error = QStringLiteral("non-array 'streamIds'");
            return false;
        }
        for (const QJsonValue &v : ids->toArray()) {
            if (!v.isString()) {
                *error = QStringLiteral("non-string stream id");
                return false;
            }
            m->streamIds.append(v.toString());
        }
    }
    return true;
}

} // namespace

bool HubProtocol::parseHandshakeResponse(QByteArrayView record, std::optional<QString> *error, QString *parseError)
{
    QJsonObject o;
    if (!parseObject(record, &o, parseError))
        return false;
    error->reset();
    const auto it = o.constFind(QLatin1String("error"));
    if (it != o.constEnd() && !it->isNull())
        *error = it->isString() ? it->toString() : QStringLiteral("handshake failed");
    return true;
}

HubProtocol::ParseResult HubProtocol::parse(QByteArrayView record, HubMessage *out, QString *error)
{
    QJsonObject o;
    if (!parseObject(record, &o, error))
        return ParseResult::Invalid;
    HubMessage m;
    qint64 type = 0;
    if (!integral(o.value(QLatin1String("type")), &type)) {
        *error = QStringLiteral("missing or non-integer 'type'");
        return ParseResult::Invalid;
    }
    const auto headers = o.constFind(QLatin1String("headers"));
    if (headers != o.constEnd() && !headers->isNull()) {
        if (!headers->isObject()) {
            *error = QStringLiteral("non-object 'headers'");
            return ParseResult::Invalid;
        }
        const QJsonObject h = headers->toObject();
        for (auto it = h.constBegin(); it != h.constEnd(); ++it)
            m.headers.insert(it.key(), it->toString());
    }
    switch (type) {
    case 1:
        m.type = MessageType::Invocation;
        if (!invocationFields(o, &m, false, error))
            return ParseResult::Invalid;
        break;
    case 4:
        m.type = MessageType::StreamInvocation;
        if (!invocationFields(o, &m, true, error))
            return ParseResult::Invalid;
        break;
    case 2: {
        m.type = MessageType::StreamItem;
        if (!requireString(o, QStringLiteral("invocationId"), &m.invocationId, error))
            return ParseResult::Invalid;
        const auto item = o.constFind(QLatin1String("item"));
        if (item == o.constEnd()) {
            *error = QStringLiteral("missing 'item'");
            return ParseResult::Invalid;
        }
        m.item = *item;
        break;
    }
    case 3: {
        m.type = MessageType::Completion;
        if (!requireString(o, QStringLiteral("invocationId"), &m.invocationId, error))
            return ParseResult::Invalid;
        const auto err = o.constFind(QLatin1String("error"));
        const auto result = o.constFind(QLatin1String("result"));
        if (err != o.constEnd() && !err->isNull()) {
            if (!err->isString()) {
                *error = QStringLiteral("non-string 'error'");
                return ParseResult::Invalid;
            }
            if (result != o.constEnd()) {
                *error = QStringLiteral("a completion with both 'result' and 'error'");
                return ParseResult::Invalid;
            }
            m.error = err->toString();
        } else if (result != o.constEnd()) {
            m.result = *result;
            m.hasResult = true;
        }
        break;
    }
    case 5:
        m.type = MessageType::CancelInvocation;
        if (!requireString(o, QStringLiteral("invocationId"), &m.invocationId, error))
            return ParseResult::Invalid;
        break;
    case 6: m.type = MessageType::Ping; break;
    case 7: {
        m.type = MessageType::Close;
        const auto err = o.constFind(QLatin1String("error"));
        if (err != o.constEnd() && !err->isNull()) {
            if (!err->isString()) {
                *error = QStringLiteral("non-string 'error'");
                return ParseResult::Invalid;
            }
            m.error = err->toString();
        }
        const auto allow = o.constFind(QLatin1String("allowReconnect"));
        if (allow != o.constEnd() && !allow->isNull()) {
            if (!allow->isBool()) {
                *error = QStringLiteral("non-boolean 'allowReconnect'");
                return ParseResult::Invalid;
            }
            m.allowReconnect = allow->toBool();
        }
        break;
    }
    case 8:
    case 9:
        m.type = type == 8 ? MessageType::Ack : MessageType::Sequence;
        if (!integral(o.value(QLatin1String("sequenceId")), &m.sequenceId) || m.sequenceId < 0) {
            *error = QStringLiteral("missing or invalid 'sequenceId'");
            return ParseResult::Invalid;
        }
        break;
    default: *error = QStringLiteral("unknown message type %1").arg(type); return ParseResult::UnknownType;
    }
    *out = std::move(m);
    return ParseResult::Ok;
}

namespace {

void appendString(QByteArray &out, const QString &s)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    const QByteArray utf8 = s.toUtf8();
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

void appendValue(QByteArray &out, const QJsonValue &v);

void appendArray(QByteArray &out, const QJsonArray &a)
{
    out += '[';
    bool first = true;
    for (const QJsonValue &v : a) {
        if (!first)
            out += ',';
        first = false;
        appendValue(out, v);
    }
    out += ']';
}

void appendValue(QByteArray &out, const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Bool: out += v.toBool() ? "true" : "false"; return;
    case QJsonValue::Double: {
        // Qt keeps integers that fit in 64 bits exactly: write them so.
        constexpr qint64 none = std::numeric_limits<qint64>::min();
        const qint64 i = v.toInteger(none);
        const double d = v.toDouble();
        if (i != none)
            out += QByteArray::number(i);
        else if (!std::isfinite(d))
            out += "null";
        else
            out += QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
        return;
    }
    case QJsonValue::String: appendString(out, v.toString()); return;
    case QJsonValue::Array: appendArray(out, v.toArray()); return;
    case QJsonValue::Object: out += QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact); return;
    case QJsonValue::Null:
    case QJsonValue::Undefined: out += "null"; return;
    }
}

// The messages a client sends all the time, written straight into bytes.
bool writeFast(const HubMessage &m, QByteArray &out)
{
    if (!m.headers.isEmpty())
        return false;
    out.reserve(96);
    out += "{\"type\":";
    out += char('0' + int(m.type));
    switch (m.type) {
    case MessageType::Invocation:
    case MessageType::StreamInvocation:
        if (!m.invocationId.isEmpty() || m.type == MessageType::StreamInvocation) {
            out += ",\"invocationId\":";
            appendString(out, m.invocationId);
        }
        out += ",\"target\":";
        appendString(out, m.target);
        out += ",\"arguments\":";
        if (!m.encodedArguments.isEmpty())
            out += m.encodedArguments;
        else
            appendArray(out, m.arguments);
        if (!m.streamIds.isEmpty()) {
            out += ",\"streamIds\":[";
            for (qsizetype i = 0; i < m.streamIds.size(); ++i) {
                if (i)
                    out += ',';
                appendString(out, m.streamIds[i]);
            }
            out += ']';
        }
        break;
    case MessageType::StreamItem:
        out += ",\"invocationId\":";
        appendString(out, m.invocationId);
        out += ",\"item\":";
        appendValue(out, m.item);
        break;
    case MessageType::Completion:
        out += ",\"invocationId\":";
        appendString(out, m.invocationId);
        if (m.error) {
            out += ",\"error\":";
            appendString(out, *m.error);
        } else if (m.hasResult) {
            out += ",\"result\":";
            appendValue(out, m.result);
        }
        break;
    case MessageType::CancelInvocation:
        out += ",\"invocationId\":";
        appendString(out, m.invocationId);
        break;
    case MessageType::Ping: break;
    case MessageType::Ack:
    case MessageType::Sequence:
        out += ",\"sequenceId\":";
        out += QByteArray::number(m.sequenceId);
        break;
    default: return false;
    }
    out += '}';
    out += HubProtocol::RecordSeparator;
    return true;
}

} // namespace

QByteArray HubProtocol::write(const HubMessage &m)
{
    {
        QByteArray fast;
        if (writeFast(m, fast))
            return fast;
    }
    QJsonObject o;
    o.insert(QLatin1String("type"), static_cast<int>(m.type));
    if (!m.headers.isEmpty()) {
        QJsonObject h;
        for (auto it = m.headers.constBegin(); it != m.headers.constEnd(); ++it)
            h.insert(it.key(), it.value());
        o.insert(QLatin1String("headers"), h);
    }
    switch (m.type) {
    case MessageType::Invocation:
    case MessageType::StreamInvocation:
        if (!m.invocationId.isEmpty() || m.type == MessageType::StreamInvocation)
            o.insert(QLatin1String("invocationId"), m.invocationId);
        o.insert(QLatin1String("target"), m.target);
        o.insert(QLatin1String("arguments"),
                 m.encodedArguments.isEmpty() ? m.arguments : QJsonDocument::fromJson(m.encodedArguments).array());
        if (!m.streamIds.isEmpty())
            o.insert(QLatin1String("streamIds"), QJsonArray::fromStringList(m.streamIds));
        break;
    case MessageType::StreamItem:
        o.insert(QLatin1String("invocationId"), m.invocationId);
        o.insert(QLatin1String("item"), m.item);
        break;
    case MessageType::Completion:
        o.insert(QLatin1String("invocationId"), m.invocationId);
        if (m.error)
            o.insert(QLatin1String("error"), *m.error);
        else if (m.hasResult)
            o.insert(QLatin1String("result"), m.result);
        break;
    case MessageType::CancelInvocation: o.insert(QLatin1String("invocationId"), m.invocationId); break;
    case MessageType::Ping: break;
    case MessageType::Close:
        if (m.error)
            o.insert(QLatin1String("error"), *m.error);
        if (m.allowReconnect)
            o.insert(QLatin1String("allowReconnect"), true);
        break;
    case MessageType::Ack:
    case MessageType::Sequence: o.insert(QLatin1String("sequenceId"), static_cast<double>(m.sequenceId)); break;
    }
    QByteArray out = QJsonDocument(o).toJson(QJsonDocument::Compact);
    out.append(RecordSeparator);
    return out;
}

void RecordReader::append(QByteArrayView data)
{
    if (m_overflow)
        return;
    if (m_pos > 0 && m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    } else if (m_pos > 0 && m_pos >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_pos);
        m_pos = 0;
    }
    m_buffer.append(data.data(), data.size());
}

std::optional<QByteArray> RecordReader::next()
{
    if (m_overflow)
        return std::nullopt;
    const qsizetype from = m_pos + m_scanned;
    const qsizetype sep = m_buffer.indexOf(HubProtocol::RecordSeparator, from);
    if (sep < 0) {
        m_scanned = m_buffer.size() - m_pos;
        if (m_scanned > m_max)
            m_overflow = true;
        return std::nullopt;
    }
    QByteArray record = m_buffer.mid(m_pos, sep - m_pos);
    m_pos = sep + 1;
    m_scanned = 0;
    if (record.size() > m_max) {
        m_overflow = true;
        return std::nullopt;
    }
    return record;
}

void RecordReader::clear()
{
    m_buffer.clear();
    m_pos = 0;
    m_scanned = 0;
    m_overflow = false;
}

} // namespace signalr
