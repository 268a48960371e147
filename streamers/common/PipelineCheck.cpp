#include "PipelineCheck.h"

#include "CommandLine.h"

#include <QRegularExpression>
#include <QSet>

#include <gst/gst.h>

#include <algorithm>
#include <vector>

namespace se::gst {

namespace {

void note(QStringList *checked, const QString &line)
{
    if (checked)
        checked->append(line);
}

QString breaks(const QString &what, const QString &rule, const QString &why)
{
    return QStringLiteral("%1 breaks rule \"%2\": %3").arg(what, rule, why);
}

QString elementText(const QString &name, const QString &factory)
{
    return name == factory || name.isEmpty() ? QStringLiteral("element %1").arg(factory)
                                             : QStringLiteral("element %1 (%2)").arg(name, factory);
}

QString factoryClass(GstElementFactory *factory)
{
    const gchar *klass = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS);
    return QString::fromUtf8(klass ? klass : "");
}

// 1. Launcher options. Sets `first` to the first word of the pipeline.
QString optionRefusal(const QStringList &args, const PipelinePolicy &policy, qsizetype *first, QStringList *checked)
{
    auto check = [&](const QString &option) {
        const QString why = policy.optionRefusal(option);
        if (why.isEmpty())
            note(checked, QStringLiteral("launcher option %1").arg(option));
        return why.isEmpty() ? QString() : breaks(QStringLiteral("launcher option %1").arg(option), QStringLiteral("launcherOptions"), why);
    };
    // The options exactly as the launcher reads them (one parse for both).
    const Result<LaunchOptions> read = parseLaunchOptions(args);
    const LaunchOptions &parsed = read.value;
    if (!read.ok && parsed.pipeline.isEmpty() && read.message.startsWith(QLatin1String("unknown")))
        return breaks(QStringLiteral("launcher options"), QStringLiteral("launcherOptions"), read.message);
    // (An empty pipeline passes: nothing of it can run, and its start says why.)
    for (const QString &option : std::as_const(parsed.options))
        if (const QString why = check(option); !why.isEmpty())
            return why;
    *first = args.size() - parsed.pipeline.size();
    // GLib's option parser in se-gst-host's gst_init takes --gst-… words from
    // anywhere in its arguments, values of other options included.
    for (qsizetype j = 0; j < args.size(); ++j)
        if (args.at(j).startsWith(QLatin1String("--gst-")) && !policy.optionRefusal(args.at(j)).isEmpty())
            return breaks(QStringLiteral("launcher option %1").arg(args.at(j)), QStringLiteral("launcherOptions"),
                          policy.optionRefusal(args.at(j)));
    return {};
}

// The description as gst_parse_launchv builds it from its words: blanks
// outside double quotes escaped, words joined by blanks.
QString joinedDescription(const QStringList &words)
{
    QString out;
    for (const QString &w : words) {
        bool inQuotes = false;
        for (qsizetype i = 0; i < w.size(); ++i) {
            const QChar c = w.at(i);
            if (c == QLatin1Char('"') && (!inQuotes || i == 0 || w.at(i - 1) != QLatin1Char('\\')))
                inQuotes = !inQuotes;
            if (c == QLatin1Char(' ') && !inQuotes)
                out += QLatin1Char('\\');
            out += c;
        }
        out += QLatin1Char(' ');
    }
    return out;
}

struct Token {
    enum Kind { Word, Link, Open, Close } kind;
    QString text;
};

// Words, links ('!'), bin brackets ("( … )", "bintype.( … )"); quotes and
// backslashes keep a word whole.
std::vector<Token> tokens(const QString &text)
{
    std::vector<Token> out;
    QString word;
    auto flush = [&] {
        if (!word.isEmpty())
            out.push_back({Token::Word, word});
        word.clear();
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('\\') && i + 1 < text.size()) {
            word += c;
            word += text.at(++i);
        } else if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            word += c;
            for (++i; i < text.size(); ++i) {
                word += text.at(i);
                if (text.at(i) == QLatin1Char('\\') && i + 1 < text.size())
                    word += text.at(++i);
                else if (text.at(i) == c)
                    break;
            }
        } else if (c.isSpace()) {
            flush();
        } else if (c == QLatin1Char('(') && !word.isEmpty() && !word.endsWith(QLatin1Char('.'))) {
            word += c; // inside a value or caps ("text=Studio\ (main)", "video/x-raw(memory:…)")
        } else if (c == QLatin1Char('!') || c == QLatin1Char('(') || c == QLatin1Char(')')) {
            flush();
            out.push_back({c == QLatin1Char('!') ? Token::Link : c == QLatin1Char('(') ? Token::Open : Token::Close, QString(c)});
        } else {
            word += c;
        }
    }
    flush();
    return out;
}

// 2. The element names as written, refused by their factory before any
// element is made. Only words that can be nothing but an element name count
// (not values, caps, references or URIs); the parsed graph decides the rest.
QString nameRefusal(const QStringList &words, const PipelinePolicy &policy)
{
    static const QRegularExpression identifier(QStringLiteral("^[A-Za-z][A-Za-z0-9_+-]*$"));
    const std::vector<Token> t = tokens(joinedDescription(words));
    for (size_t i = 0; i < t.size(); ++i) {
        if (t[i].kind != Token::Word)
            continue;
        const QString &w = t[i].text;
        const bool nextIsWord = i + 1 < t.size() && t[i + 1].kind == Token::Word;
        if (w.startsWith(QLatin1Char('"')) || w.startsWith(QLatin1Char('\'')))
            continue;
        if (w.contains(QLatin1Char('='))) {
            if (w.endsWith(QLatin1Char('=')) && nextIsWord)
                ++i; // "prop= value"
            continue;
        }
        if (nextIsWord && t[i + 1].text.startsWith(QLatin1Char('='))) {
            i += t[i + 1].text == QLatin1String("=") && i + 2 < t.size() ? 2 : 1; // "prop = value", "prop =value"
            continue;
        }
        QString name;
        if (w.endsWith(QLatin1Char('.')) && i + 1 < t.size() && t[i + 1].kind == Token::Open)
            name = w.chopped(1); // "bintype.( … )"
        else if (identifier.match(w).hasMatch())
            name = w;
        if (name.isEmpty())
            continue;
        GstElementFactory *factory = gst_element_factory_find(name.toUtf8().constData());
        if (!factory)
            continue; // not an element GStreamer knows: parsing says so
        const QString why = policy.elementRefusal(name, factoryClass(factory));
        gst_object_unref(factory);
        if (!why.isEmpty())
            return breaks(elementText({}, name), QStringLiteral("elements"), why);
    }
    return {};
}

QString valueText(GObject *object, GParamSpec *pspec)
{
    GValue value = G_VALUE_INIT;
    g_value_init(&value, G_PARAM_SPEC_VALUE_TYPE(pspec));
    g_object_get_property(object, pspec->name, &value);
    QString text;
    if (G_VALUE_HOLDS_STRING(&value)) {
        text = QString::fromUtf8(g_value_get_string(&value));
    } else if ((G_VALUE_HOLDS_BOXED(&value) && !g_value_get_boxed(&value))
               || (G_VALUE_HOLDS_OBJECT(&value) && !g_value_get_object(&value))) {
        // unset
    } else if (G_VALUE_HOLDS_OBJECT(&value)) {
        text = QStringLiteral("(a %1)").arg(QString::fromUtf8(G_VALUE_TYPE_NAME(&value)));
    } else if (gchar *s = gst_value_serialize(&value)) {
        text = QString::fromUtf8(s);
        g_free(s);
    }
    g_value_unset(&value);
    return text;
}

bool isDefault(GObject *object, GParamSpec *pspec)
{
    GValue value = G_VALUE_INIT;
    g_value_init(&value, G_PARAM_SPEC_VALUE_TYPE(pspec));
    g_object_get_property(object, pspec->name, &value);
    const bool same = g_param_value_defaults(pspec, &value);
    g_value_unset(&value);
    return same;
}

// Every name-like run of the description ("location", "proxy-id"), in
// GObject's canonical spelling: what the command may have set. A property
// whose name is not among them was set by its element (or its parent) itself.
// A preset (@preset=name) sets properties it does not name: then "*", every
// property counts as written.
QSet<QString> writtenNames(const QStringList &words)
{
    static const QRegularExpression run(QStringLiteral("[A-Za-z0-9_-]+"));
    QSet<QString> out;
    for (const QString &w : words) {
        if (w.contains(QLatin1String("@preset"), Qt::CaseInsensitive))
            out.insert(QStringLiteral("*"));
        for (auto it = run.globalMatch(w); it.hasNext();)
            out.insert(it.next().captured().replace(QLatin1Char('_'), QLatin1Char('-')));
    }
    return out;
}

// 3. The parsed graph.
class GraphCheck {
public:
    GraphCheck(const PipelinePolicy &policy, QSet<QString> written, QStringList *checked)
        : m_policy(policy), m_written(std::move(written)), m_checked(checked)
    {
    }

    QString run(GstElement *top)
    {
        if (QString why = visit(top); !why.isEmpty())
            return why;
        if (!m_writer.isEmpty() && !m_byteSource.isEmpty())
            return breaks(m_byteSource, QStringLiteral("byteSources"),
                          QStringLiteral("it puts bytes from outside into a pipeline that writes files (%1)").arg(m_writer));
        return {};
    }

private:
    QString visit(GstElement *e)
    {
        const QString name = QString::fromUtf8(GST_ELEMENT_NAME(e));
        GstElementFactory *factory = gst_element_get_factory(e);
        if (!factory)
            return breaks(QStringLiteral("element %1 (a %2)").arg(name, QString::fromUtf8(G_OBJECT_TYPE_NAME(e))),
                          QStringLiteral("elements"), QStringLiteral("it was made without an element factory the policy could name"));
        const QString fname = QString::fromUtf8(GST_OBJECT_NAME(factory));
        const QString what = elementText(name, fname);
        if (const QString why = m_policy.elementRefusal(fname, factoryClass(factory)); !why.isEmpty())
            return breaks(what, QStringLiteral("elements"), why);
        if (m_policy.byteSources.contains(fname) && m_byteSource.isEmpty())
            m_byteSource = what;

        // Properties parsing leaves to be set on children made later escape
        // this check: refuse them.
        const guint childAdded = GST_IS_CHILD_PROXY(e) ? g_signal_lookup("child-added", GST_TYPE_CHILD_PROXY) : 0;
        if (childAdded && g_signal_has_handler_pending(e, childAdded, 0, TRUE))
            return breaks(what, QStringLiteral("child-properties"),
                          QStringLiteral("a property is set on a child element that does not exist yet "
                                         "(name::child::property=…), so it could not be checked"));

        note(m_checked, what);
        // An element made from a URI ("file:///…" in the description) got
        // its properties from it, not from names the command wrote.
        m_fromUri = false;
        if (GST_IS_URI_HANDLER(e)) {
            // The interface's own call, without gst_uri_handler_get_uri's
            // validity assertion (some elements answer "fd://2"-like text).
            const GstURIHandlerInterface *iface = GST_URI_HANDLER_GET_INTERFACE(e);
            gchar *uri = iface && iface->get_uri ? iface->get_uri(GST_URI_HANDLER(e)) : nullptr;
            m_fromUri = uri && *uri;
            g_free(uri);
        }
        guint count = 0;
        GParamSpec **specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &count);
        // What the command wrote first, so that a refusal names it.
        std::stable_partition(specs, specs + count,
                              [this](GParamSpec *p) { return m_written.contains(QString::fromUtf8(p->name)); });
        QString refusal;
        for (guint i = 0; i < count && refusal.isEmpty(); ++i)
            refusal = checkProperty(e, what, fname, specs[i]);
        g_free(specs);
        if (!refusal.isEmpty())
            return refusal;

        if (GST_IS_BIN(e)) {
            // A fresh graph nobody else holds: the child list is stable. A
            // bin lists its newest child first; visit them as written.
            std::vector<GstElement *> children;
            for (GList *l = g_list_last(GST_BIN_CHILDREN(GST_BIN(e))); l; l = l->prev)
                children.push_back(GST_ELEMENT(gst_object_ref(l->data)));
            QString why;
            for (GstElement *child : children) {
                if (why.isEmpty())
                    why = visit(child);
                gst_object_unref(child);
            }
            return why;
        }
        return {};
    }

    QString checkProperty(GstElement *e, const QString &what, const QString &fname, GParamSpec *pspec)
    {
        using K = PropertyRule::Kind;
        if (!(pspec->flags & G_PARAM_READABLE) || !(pspec->flags & G_PARAM_WRITABLE))
            return {};
        const QString prop = QString::fromUtf8(pspec->name);
        const bool written = m_fromUri || m_written.contains(prop) || m_written.contains(QStringLiteral("*"));
        const std::optional<PropertyRule> rule = m_policy.ruleFor(fname, prop);
        if (!rule) {
            // A string property that names something outside, set by the
            // command to anything but its default: it needs a rule.
            if (!written || G_PARAM_SPEC_VALUE_TYPE(pspec) != G_TYPE_STRING || !PipelinePolicy::namesSomethingOutside(prop)
                || isDefault(G_OBJECT(e), pspec))
                return {};
            const QString value = valueText(G_OBJECT(e), pspec);
            if (value.isEmpty())
                return {};
            return breaks(QStringLiteral("%1, property %2=\"%3\",").arg(what, prop, value), QStringLiteral("propertyRules"),
                          QStringLiteral("it names a file, device, URI, host or program and the policy has no rule for %1.%2")
                              .arg(fname, prop));
        }
        // A value the command may have written, or the element's declared
        // default (which it would use): checked. A value the element chose
        // itself (a temporary file's name) is its own business.
        if (!written && !isDefault(G_OBJECT(e), pspec)) {
            note(m_checked, QStringLiteral("%1, property %2 (set by the element itself)").arg(what, prop));
            return {};
        }
        const QString value = valueText(G_OBJECT(e), pspec);
        QString why;
        switch (rule->kind) {
        case K::ReadMediaFile: why = m_policy.pathRefusal(value); break;
        case K::WriteMediaFile:
            why = m_policy.pathRefusal(value);
            if (m_writer.isEmpty())
                m_writer = what;
            break;
        case K::NetworkHost: why = m_policy.hostRefusal(value); break;
        case K::HostList: why = m_policy.hostListRefusal(value); break;
        case K::Uri: why = m_policy.uriRefusal(value); break;
        case K::ElementFactory:
            if (!value.isEmpty()) {
                GstElementFactory *f = gst_element_factory_find(value.toUtf8().constData());
                if (!f) {
                    why = QStringLiteral("there is no element factory '%1'").arg(value);
                } else {
                    why = m_policy.elementRefusal(value, factoryClass(f));
                    gst_object_unref(f);
                }
            }
            break;
        case K::OneOf:
            if (!rule->values.contains(value))
                why = QStringLiteral("'%1' is not one of %2").arg(value, rule->values.join(QStringLiteral(", ")));
            break;
        case K::Unset:
            if (!value.isEmpty())
                why = QStringLiteral("the command may not set it");
            break;
        case K::Any: break;
        }
        if (!why.isEmpty())
            return breaks(QStringLiteral("%1, property %2=\"%3\",").arg(what, prop, value), rule->name(), why);
        note(m_checked, QStringLiteral("%1, property %2=\"%3\" (%4)").arg(what, prop, value, rule->name()));
        return {};
    }

    const PipelinePolicy &m_policy;
    const QSet<QString> m_written;
    QStringList *m_checked;
    QString m_writer;
    QString m_byteSource;
    bool m_fromUri = false; // the element being visited has a URI
};

} // namespace

QString pipelineRefusal(const QString &command, const PipelinePolicy &policy, QStringList *checked)
{
    const Result<QStringList> split = splitCommandLine(command);
    const QStringList &args = split.value;
    if (!split.ok || args.isEmpty()) {
        note(checked, QStringLiteral("the command cannot run (%1): nothing to check")
                          .arg(split.ok ? QStringLiteral("empty command") : split.message));
        return {};
    }
    qsizetype first = 0;
    if (QString why = optionRefusal(args, policy, &first, checked); !why.isEmpty())
        return why;
    const QStringList words = args.mid(first);
    if (words.isEmpty()) {
        note(checked, QStringLiteral("the command has no pipeline: nothing to check"));
        return {};
    }
    if (!gst_is_initialized()) {
        GError *err = nullptr;
        if (!gst_init_check(nullptr, nullptr, &err)) {
            const QString why = QString::fromUtf8(err ? err->message : "unknown error");
            if (err)
                g_error_free(err);
            return QStringLiteral("GStreamer could not be initialised to check the pipeline (%1)").arg(why);
        }
    }
    if (QString why = nameRefusal(words, policy); !why.isEmpty())
        return why;

    std::vector<QByteArray> bytes;
    for (const QString &w : words)
        bytes.push_back(w.toUtf8());
    std::vector<const gchar *> argv;
    for (const QByteArray &b : bytes)
        argv.push_back(b.constData());
    argv.push_back(nullptr);
    GError *err = nullptr;
    GstElement *top = gst_parse_launchv_full(argv.data(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
    if (!top || err) {
        note(checked, QStringLiteral("GStreamer cannot build the pipeline (%1): nothing of it can run")
                          .arg(QString::fromUtf8(err ? err->message : "unknown error")));
        if (err)
            g_error_free(err);
        if (top)
            gst_object_unref(gst_object_ref_sink(top));
        return {};
    }
    gst_object_ref_sink(top);
    const QString why = GraphCheck(policy, writtenNames(words), checked).run(top);
    gst_object_unref(top);
    return why;
}

} // namespace se::gst
