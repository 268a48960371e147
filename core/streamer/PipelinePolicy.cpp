#include "PipelinePolicy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

namespace se {

namespace {

struct KindName {
    PropertyRule::Kind kind;
    const char *name;
};
constexpr KindName kKindNames[] = {
    {PropertyRule::Kind::ReadMediaFile, "read-media-file"},
    {PropertyRule::Kind::WriteMediaFile, "write-media-file"},
    {PropertyRule::Kind::NetworkHost, "network-host"},
    {PropertyRule::Kind::HostList, "host-list"},
    {PropertyRule::Kind::Uri, "uri"},
    {PropertyRule::Kind::ElementFactory, "element-factory"},
    {PropertyRule::Kind::OneOf, "one-of"},
    {PropertyRule::Kind::Unset, "unset"},
    {PropertyRule::Kind::Any, "any"},
};

std::optional<PropertyRule::Kind> kindFromName(const QString &name)
{
    for (const KindName &k : kKindNames)
        if (name == QLatin1String(k.name))
            return k.kind;
    return std::nullopt;
}

QString kindNames()
{
    QStringList names;
    for (const KindName &k : kKindNames)
        names << QString::fromLatin1(k.name);
    return names.join(QStringLiteral(", "));
}

PropertyRule rule(PropertyRule::Kind kind, QStringList values = {})
{
    return PropertyRule{kind, std::move(values)};
}

// '*' any run of characters, '?' one character; case-insensitive.
bool globMatch(QStringView pattern, QStringView text)
{
    qsizetype p = 0, t = 0, star = -1, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == QLatin1Char('?') || pattern[p].toLower() == text[t].toLower())) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == QLatin1Char('*')) {
            star = p++;
            mark = t;
        } else if (star >= 0) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == QLatin1Char('*'))
        ++p;
    return p == pattern.size();
}

// Every word of `pattern` ("Codec/Decoder") is a word of `klass` ("Codec/Decoder/Video").
bool classMatches(const QString &klass, const QString &pattern)
{
    const QStringList have = klass.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QSet<QString> words;
    for (const QString &w : have)
        words.insert(w.trimmed().toLower());
    const QStringList want = pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (want.isEmpty())
        return false;
    for (const QString &w : want)
        if (!words.contains(w.trimmed().toLower()))
            return false;
    return true;
}

bool isClassPattern(const QString &entry) { return entry.contains(QLatin1Char('/')); }

QString quoteList(const QStringList &list)
{
    return list.isEmpty() ? QStringLiteral("none") : list.join(QStringLiteral(", "));
}

// A file name pattern as multifilesink, splitmuxsink and hlssink2 expand it
// with printf and one number: at most one %d-style conversion, "%%" literal.
QString percentRefusal(const QString &path)
{
    int conversions = 0;
    for (qsizetype i = 0; i < path.size(); ++i) {
        if (path[i] != QLatin1Char('%'))
            continue;
        if (i + 1 < path.size() && path[i + 1] == QLatin1Char('%')) {
            ++i;
            continue;
        }
        qsizetype j = i + 1;
        while (j < path.size() && path[j].isDigit())
            ++j;
        if (j >= path.size() || !QStringLiteral("diuxX").contains(path[j]))
            return QStringLiteral("'%1' has a '%' that is not one %d-style number").arg(path);
        if (++conversions > 1)
            return QStringLiteral("'%1' has more than one %d-style number").arg(path);
        i = j;
    }
    return {};
}

QString hostOfHostPort(QString text)
{
    text = text.trimmed();
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype end = text.indexOf(QLatin1Char(']'));
        return end > 0 ? text.mid(1, end - 1) : text.mid(1);
    }
    // One ':' is host:port; more are an IPv6 address without a port.
    if (text.count(QLatin1Char(':')) == 1)
        return text.section(QLatin1Char(':'), 0, 0);
    return text;
}

} // namespace

QString PropertyRule::name() const
{
    for (const KindName &k : kKindNames)
        if (k.kind == kind)
            return QString::fromLatin1(k.name);
    return QStringLiteral("any");
}

PipelinePolicy PipelinePolicy::builtInDefault(const QString &dataDir)
{
    using K = PropertyRule::Kind;
    PipelinePolicy p;
    p.source = QStringLiteral("built-in default");
    p.trustLocalOperators = false;
    p.mediaFolders = {QDir::cleanPath(QDir(dataDir).absoluteFilePath(QStringLiteral("media")))};
    // Any destination, except where clouds answer with machine credentials.
    p.networkHosts = {QStringLiteral("!169.254.*"), QStringLiteral("!fd00:ec2::254"),
                      QStringLiteral("!metadata.google.internal"), QStringLiteral("*")};
    p.uriSchemes = {QStringLiteral("udp"), QStringLiteral("rtp"), QStringLiteral("srt"), QStringLiteral("rtsp"),
                    QStringLiteral("rtsps"), QStringLiteral("rtspt"), QStringLiteral("rtsph"), QStringLiteral("http"),
                    QStringLiteral("https"), QStringLiteral("rtmp"), QStringLiteral("rtmps"), QStringLiteral("rtmpt")};
    p.launcherOptions = {QStringLiteral("--gst-debug"), QStringLiteral("--gst-debug-level"),
                         QStringLiteral("--gst-debug-no-color"), QStringLiteral("--gst-debug-color-mode"),
                         QStringLiteral("--gst-debug-disable"), QStringLiteral("-v"), QStringLiteral("--verbose"),
                         QStringLiteral("-e"), QStringLiteral("--eos-on-shutdown"), QStringLiteral("-q"),
                         QStringLiteral("--quiet")};
    p.elements = {
        // what the launch syntax makes around elements
        QStringLiteral("pipeline"), QStringLiteral("bin"),
        // test sources
        QStringLiteral("videotestsrc"), QStringLiteral("audiotestsrc"),
        // network sources
        QStringLiteral("udpsrc"), QStringLiteral("srtsrc"), QStringLiteral("rtspsrc"), QStringLiteral("souphttpsrc"),
        QStringLiteral("rtmp2src"), QStringLiteral("tcpclientsrc"),
        // network sinks
        QStringLiteral("udpsink"), QStringLiteral("multiudpsink"), QStringLiteral("srtsink"),
        QStringLiteral("rtspclientsink"), QStringLiteral("rtmp2sink"), QStringLiteral("rtmpsink"),
        QStringLiteral("tcpclientsink"),
        // RTP sessions (rtpbin and what it is made of)
        QStringLiteral("rtpbin"), QStringLiteral("rtpsession"), QStringLiteral("rtpssrcdemux"),
        QStringLiteral("rtpstorage"), QStringLiteral("rtpjitterbuffer"), QStringLiteral("rtpptdemux"),
        // plumbing
        QStringLiteral("queue"), QStringLiteral("queue2"), QStringLiteral("multiqueue"), QStringLiteral("tee"),
        QStringLiteral("capsfilter"), QStringLiteral("identity"), QStringLiteral("valve"), QStringLiteral("funnel"),
        QStringLiteral("input-selector"), QStringLiteral("output-selector"), QStringLiteral("clocksync"),
        QStringLiteral("watchdog"),
        // sinks that keep pictures and logs inside the engine
        QStringLiteral("fakesink"), QStringLiteral("appsink"), QStringLiteral("fdsink"),
        // files, inside the media folders only
        QStringLiteral("filesrc"), QStringLiteral("filesink"), QStringLiteral("multifilesink"),
        QStringLiteral("splitmuxsink"), QStringLiteral("hlssink2"),
        // video
        QStringLiteral("timeoverlay"), QStringLiteral("clockoverlay"), QStringLiteral("textoverlay"),
        QStringLiteral("videorate"), QStringLiteral("videocrop"), QStringLiteral("videobox"),
        QStringLiteral("videoflip"), QStringLiteral("videobalance"), QStringLiteral("deinterlace"),
        QStringLiteral("compositor"), QStringLiteral("imagefreeze"),
        // audio
        QStringLiteral("volume"), QStringLiteral("level"), QStringLiteral("audiomixer"), QStringLiteral("audiorate"),
    };
    p.elementClasses = {QStringLiteral("Codec/Decoder"), QStringLiteral("Codec/Encoder"), QStringLiteral("Codec/Parser"),
                        QStringLiteral("Codec/Demuxer"), QStringLiteral("Codec/Muxer"), QStringLiteral("Codec/Payloader"),
                        QStringLiteral("Codec/Depayloader"), QStringLiteral("Filter/Converter")};
    // They fetch or open what the stream names (playlists, SDP), unchecked.
    p.refusedElements = {QStringLiteral("Codec/Demuxer/Adaptive"), QStringLiteral("sdpdemux")};
    p.byteSources = {QStringLiteral("appsrc"), QStringLiteral("dataurisrc"), QStringLiteral("fdsrc")};
    p.propertyRules = {
        {QStringLiteral("filesrc.location"), rule(K::ReadMediaFile)},
        {QStringLiteral("filesink.location"), rule(K::WriteMediaFile)},
        {QStringLiteral("multifilesink.location"), rule(K::WriteMediaFile)},
        {QStringLiteral("splitmuxsink.location"), rule(K::WriteMediaFile)},
        {QStringLiteral("splitmuxsink.muxer-factory"), rule(K::ElementFactory)},
        {QStringLiteral("splitmuxsink.sink-factory"), rule(K::ElementFactory)},
        {QStringLiteral("splitmuxsink.muxer-properties"), rule(K::Unset)},
        {QStringLiteral("splitmuxsink.sink-properties"), rule(K::Unset)},
        {QStringLiteral("hlssink2.location"), rule(K::WriteMediaFile)},
        {QStringLiteral("hlssink2.playlist-location"), rule(K::WriteMediaFile)},
        {QStringLiteral("queue2.temp-template"), rule(K::WriteMediaFile)},
        {QStringLiteral("mp4mux.faststart-file"), rule(K::WriteMediaFile)},
        {QStringLiteral("mp4mux.moov-recovery-file"), rule(K::WriteMediaFile)},
        {QStringLiteral("qtmux.faststart-file"), rule(K::WriteMediaFile)},
        {QStringLiteral("qtmux.moov-recovery-file"), rule(K::WriteMediaFile)},
        {QStringLiteral("fdsink.fd"), rule(K::OneOf, {QStringLiteral("1"), QStringLiteral("2")})},
        {QStringLiteral("udpsink.host"), rule(K::NetworkHost)},
        {QStringLiteral("udpsink.clients"), rule(K::HostList)},
        {QStringLiteral("udpsink.bind-address"), rule(K::Any)},
        {QStringLiteral("multiudpsink.clients"), rule(K::HostList)},
        {QStringLiteral("multiudpsink.bind-address"), rule(K::Any)},
        {QStringLiteral("udpsrc.address"), rule(K::Any)},
        {QStringLiteral("udpsrc.uri"), rule(K::Any)},
        {QStringLiteral("tcpclientsrc.host"), rule(K::NetworkHost)},
        {QStringLiteral("tcpclientsink.host"), rule(K::NetworkHost)},
        {QStringLiteral("srtsrc.uri"), rule(K::Uri)},
        {QStringLiteral("srtsink.uri"), rule(K::Uri)},
        {QStringLiteral("rtspsrc.location"), rule(K::Uri)},
        {QStringLiteral("rtspsrc.proxy"), rule(K::Uri)},
        {QStringLiteral("souphttpsrc.location"), rule(K::Uri)},
        {QStringLiteral("souphttpsrc.proxy"), rule(K::Uri)},
        {QStringLiteral("rtmp2src.location"), rule(K::Uri)},
        {QStringLiteral("rtmp2src.host"), rule(K::NetworkHost)},
        {QStringLiteral("rtmp2sink.location"), rule(K::Uri)},
        {QStringLiteral("rtmp2sink.host"), rule(K::NetworkHost)},
        {QStringLiteral("rtmpsink.location"), rule(K::Uri)},
        {QStringLiteral("rtspclientsink.location"), rule(K::Uri)},
    };
    return p;
}

Result<PipelinePolicy> PipelinePolicy::load(const QString &dataDir)
{
    const QString path = QDir(dataDir).filePath(QString::fromLatin1(kFileName));
    QFile file(path);
    if (!file.exists())
        return Result<PipelinePolicy>::success(builtInDefault(dataDir));
    auto fail = [&](const QString &why) {
        return Result<PipelinePolicy>::failure(QStringLiteral("the pipeline policy %1 %2; fix or remove the file (without it the "
                                                              "built-in default applies; see docs/pipeline-policy.md)")
                                                   .arg(path, why));
    };
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot be read: %1").arg(file.errorString()));
    if (file.size() > 4 * 1024 * 1024)
        return fail(QStringLiteral("is larger than 4 MB"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("is not valid JSON (at byte %1: %2)").arg(parseError.offset).arg(parseError.errorString()));
    if (!doc.isObject())
        return fail(QStringLiteral("is not a JSON object"));
    Result<PipelinePolicy> policy = fromJson(doc.object(), dataDir);
    if (!policy)
        return fail(QStringLiteral("is not a valid policy: %1").arg(policy.message));
    policy.value.source = path;
    return policy;
}

Result<PipelinePolicy> PipelinePolicy::fromJson(const QJsonObject &json, const QString &dataDir)
{
    PipelinePolicy p = builtInDefault(dataDir);
    p.source = QStringLiteral("JSON");
    auto fail = [](const QString &why) { return Result<PipelinePolicy>::failure(why); };
    auto strings = [&](const QString &key, QStringList *out) -> bool {
        const QJsonValue v = json.value(key);
        if (!v.isArray())
            return false;
        QStringList list;
        for (const QJsonValue &item : v.toArray()) {
            if (!item.isString() || item.toString().trimmed().isEmpty())
                return false;
            list << item.toString().trimmed();
        }
        *out = list;
        return true;
    };
    QStringList *const lists[] = {&p.mediaFolders, &p.networkHosts, &p.uriSchemes, &p.launcherOptions,
                                  &p.elements, &p.elementClasses, &p.refusedElements, &p.byteSources};
    const char *const listKeys[] = {"mediaFolders", "networkHosts", "uriSchemes", "launcherOptions",
                                    "elements", "elementClasses", "refusedElements", "byteSources"};
    for (auto it = json.begin(); it != json.end(); ++it) {
        const QString key = it.key();
        if (key == QLatin1String("comment") || key.startsWith(QLatin1Char('_')))
            continue;
        if (key == QLatin1String("version")) {
            if (it.value().toInt(-1) != 1)
                return fail(QStringLiteral("\"version\" must be 1"));
            continue;
        }
        if (key == QLatin1String("trustLocalOperators")) {
            if (!it.value().isBool())
                return fail(QStringLiteral("\"trustLocalOperators\" must be true or false"));
            p.trustLocalOperators = it.value().toBool();
            continue;
        }
        if (key == QLatin1String("propertyRules")) {
            if (!it.value().isObject())
                return fail(QStringLiteral("\"propertyRules\" must be an object of \"element.property\": rule"));
            const QJsonObject rules = it.value().toObject();
            for (auto r = rules.begin(); r != rules.end(); ++r) {
                const QStringList parts = r.key().split(QLatin1Char('.'));
                if (parts.size() != 2 || parts[0].isEmpty() || parts[1].isEmpty())
                    return fail(QStringLiteral("property rule \"%1\": the key must be \"element.property\"").arg(r.key()));
                PropertyRule pr;
                if (r.value().isString()) {
                    const auto kind = kindFromName(r.value().toString());
                    if (!kind || *kind == PropertyRule::Kind::OneOf)
                        return fail(QStringLiteral("property rule \"%1\": unknown rule \"%2\" (rules: %3; one-of is "
                                                   "written {\"oneOf\": [values]})").arg(r.key(), r.value().toString(), kindNames()));
                    pr.kind = *kind;
                } else if (r.value().isObject() && r.value().toObject().size() == 1
                           && r.value().toObject().value(QStringLiteral("oneOf")).isArray()) {
                    pr.kind = PropertyRule::Kind::OneOf;
                    for (const QJsonValue &v : r.value().toObject().value(QStringLiteral("oneOf")).toArray()) {
                        if (v.isString())
                            pr.values << v.toString();
                        else if (v.isDouble())
                            pr.values << QString::number(v.toDouble(), 'g', 17);
                        else if (v.isBool())
                            pr.values << (v.toBool() ? QStringLiteral("true") : QStringLiteral("false"));
                        else
                            return fail(QStringLiteral("property rule \"%1\": oneOf takes strings, numbers or booleans").arg(r.key()));
                    }
                } else {
                    return fail(QStringLiteral("property rule \"%1\" must be a rule name (%2) or {\"oneOf\": [values]}")
                                    .arg(r.key(), kindNames()));
                }
                p.propertyRules.insert(r.key(), pr);
            }
            continue;
        }
        bool known = false;
        for (size_t i = 0; i < std::size(listKeys); ++i) {
            if (key != QLatin1String(listKeys[i]))
                continue;
            known = true;
            if (!strings(key, lists[i]))
                return fail(QStringLiteral("\"%1\" must be an array of non-empty strings").arg(key));
        }
        if (!known)
            return fail(QStringLiteral("unknown key \"%1\" (keys: version, trustLocalOperators, mediaFolders, networkHosts, "
                                       "uriSchemes, launcherOptions, elements, elementClasses, refusedElements, "
                                       "byteSources, propertyRules)").arg(key));
    }
    for (QString &folder : p.mediaFolders)
        folder = QDir::cleanPath(QDir(dataDir).absoluteFilePath(folder));
    return Result<PipelinePolicy>::success(p);
}

QJsonObject PipelinePolicy::toJson() const
{
    QJsonObject rules;
    for (auto it = propertyRules.begin(); it != propertyRules.end(); ++it) {
        if (it->kind == PropertyRule::Kind::OneOf)
            rules.insert(it.key(), QJsonObject{{QStringLiteral("oneOf"), QJsonArray::fromStringList(it->values)}});
        else
            rules.insert(it.key(), it->name());
    }
    return {{QStringLiteral("version"), 1},
            {QStringLiteral("trustLocalOperators"), trustLocalOperators},
            {QStringLiteral("mediaFolders"), QJsonArray::fromStringList(mediaFolders)},
            {QStringLiteral("networkHosts"), QJsonArray::fromStringList(networkHosts)},
            {QStringLiteral("uriSchemes"), QJsonArray::fromStringList(uriSchemes)},
            {QStringLiteral("launcherOptions"), QJsonArray::fromStringList(launcherOptions)},
            {QStringLiteral("elements"), QJsonArray::fromStringList(elements)},
            {QStringLiteral("elementClasses"), QJsonArray::fromStringList(elementClasses)},
            {QStringLiteral("refusedElements"), QJsonArray::fromStringList(refusedElements)},
            {QStringLiteral("byteSources"), QJsonArray::fromStringList(byteSources)},
            {QStringLiteral("propertyRules"), rules}};
}

QString PipelinePolicy::optionRefusal(const QString &option) const
{
    const QString name = option.section(QLatin1Char('='), 0, 0);
    if (launcherOptions.contains(name))
        return {};
    return QStringLiteral("%1 is not one of the allowed launcher options (%2)").arg(name, quoteList(launcherOptions));
}

QString PipelinePolicy::elementRefusal(const QString &factory, const QString &klass) const
{
    for (const QString &r : refusedElements) {
        if (isClassPattern(r) ? classMatches(klass, r) : r == factory)
            return isClassPattern(r) ? QStringLiteral("its class %1 is refused (%2)").arg(klass, r)
                                     : QStringLiteral("%1 is refused").arg(factory);
    }
    if (elements.contains(factory))
        return {};
    for (const QString &c : elementClasses)
        if (classMatches(klass, c))
            return {};
    return QStringLiteral("%1 (class %2) is neither an allowed element nor of an allowed class")
        .arg(factory, klass.isEmpty() ? QStringLiteral("unknown") : klass);
}

QString PipelinePolicy::resolvePath(const QString &absolutePath, QString *why)
{
    const QStringList parts = QDir::cleanPath(absolutePath).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QString done = QStringLiteral("/");
    auto join = [](const QString &dir, const QString &name) {
        return dir.endsWith(QLatin1Char('/')) ? dir + name : dir + QLatin1Char('/') + name;
    };
    qsizetype i = 0;
    for (; i < parts.size(); ++i) {
        const QString next = join(done, parts[i]);
        const QFileInfo fi(next);
        if (fi.isSymLink() && !fi.exists()) {
            if (why)
                *why = QStringLiteral("'%1' is a symbolic link that points nowhere").arg(next);
            return {};
        }
        if (!fi.exists())
            break;
        const QString canonical = fi.canonicalFilePath();
        if (canonical.isEmpty())
            break;
        done = canonical;
    }
    for (; i < parts.size(); ++i)
        done = join(done, parts[i]);
    return done;
}

QString PipelinePolicy::pathRefusal(const QString &path) const
{
    if (path.isEmpty())
        return {};
    if (!path.startsWith(QLatin1Char('/')))
        return QStringLiteral("'%1' is not an absolute path").arg(path);
    if (path.split(QLatin1Char('/')).contains(QStringLiteral("..")))
        return QStringLiteral("'%1' has a '..' component").arg(path);
    if (const QString bad = percentRefusal(path); !bad.isEmpty())
        return bad;
    QString why;
    const QString resolved = resolvePath(path, &why);
    if (resolved.isEmpty())
        return why;
    for (const QString &folder : mediaFolders) {
        const QString base = resolvePath(folder, nullptr);
        if (base.isEmpty())
            continue;
        if (resolved == base || resolved.startsWith(base.endsWith(QLatin1Char('/')) ? base : base + QLatin1Char('/')))
            return {};
    }
    const QString shown = resolved == QDir::cleanPath(path) ? QStringLiteral("'%1'").arg(path)
                                                            : QStringLiteral("'%1' (that is '%2')").arg(path, resolved);
    return QStringLiteral("%1 is not inside a media folder (%2)").arg(shown, quoteList(mediaFolders));
}

QString PipelinePolicy::hostRefusal(const QString &hostText) const
{
    QString host = hostText.trimmed();
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty())
        return {};
    for (const QString &entry : networkHosts) {
        const bool refuse = entry.startsWith(QLatin1Char('!'));
        const QString pattern = refuse ? entry.mid(1) : entry;
        if (globMatch(pattern, host))
            return refuse ? QStringLiteral("host '%1' is refused by '%2'").arg(host, entry) : QString();
    }
    return QStringLiteral("host '%1' matches none of the allowed hosts (%2)").arg(host, quoteList(networkHosts));
}

QString PipelinePolicy::hostListRefusal(const QString &clients) const
{
    for (const QString &client : clients.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (const QString why = hostRefusal(hostOfHostPort(client)); !why.isEmpty())
            return why;
    return {};
}

QString PipelinePolicy::uriRefusal(const QString &uri) const
{
    const QString text = uri.trimmed();
    if (text.isEmpty())
        return {};
    if (!text.contains(QLatin1String("://"))) // a proxy written host[:port]
        return hostRefusal(hostOfHostPort(text.section(QLatin1Char('@'), -1)));
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return QStringLiteral("'%1' is not a valid URI").arg(text);
    const QString scheme = url.scheme().toLower();
    if (!uriSchemes.contains(scheme, Qt::CaseInsensitive))
        return QStringLiteral("scheme '%1' is not one of the allowed schemes (%2)").arg(scheme, quoteList(uriSchemes));
    return hostRefusal(url.host());
}

std::optional<PropertyRule> PipelinePolicy::ruleFor(const QString &factory, const QString &property) const
{
    const auto it = propertyRules.constFind(factory + QLatin1Char('.') + property);
    if (it == propertyRules.constEnd())
        return std::nullopt;
    return *it;
}

bool PipelinePolicy::namesSomethingOutside(const QString &property)
{
    static const QSet<QString> words = {
        QStringLiteral("location"), QStringLiteral("uri"), QStringLiteral("url"), QStringLiteral("file"),
        QStringLiteral("filename"), QStringLiteral("path"), QStringLiteral("dir"), QStringLiteral("directory"),
        QStringLiteral("folder"), QStringLiteral("device"), QStringLiteral("command"), QStringLiteral("program"),
        QStringLiteral("exec"), QStringLiteral("script"), QStringLiteral("plugin"), QStringLiteral("module"),
        QStringLiteral("library"), QStringLiteral("soundfont"), QStringLiteral("host"), QStringLiteral("address"),
        QStringLiteral("clients"), QStringLiteral("proxy"), QStringLiteral("socket"), QStringLiteral("factory"),
    };
    for (const QString &w : property.toLower().split(QRegularExpression(QStringLiteral("[-_]")), Qt::SkipEmptyParts))
        if (words.contains(w))
            return true;
    return false;
}

} // namespace se
