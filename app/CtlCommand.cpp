#include "CtlCommand.h"

#include "core/control/ControlServer.h"
#include "core/engine/DataFolder.h"
#include "core/engine/Engine.h"
#include "HubKey.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QTextStream>

#include <cmath>
#include <tuple>

namespace se {

namespace {
const char *kVerbs = "list | show ID | start ID | stop ID | restart ID | enable ID | disable ID | remove ID | "
                     "reset-watchdog ID | create [fields] | edit ID [fields] [--auto-rollback yes|no] | history ID | "
                     "rollback ID [--to N] | engine | shutdown | hub list | "
                     "hub add URL [--api-key-file FILE] | hub remove URL | policy show | "
                     "policy check [--streamer TYPE] -- PIPELINE (or --command PIPELINE)";

QString stateName(int state)
{
    static const char *names[] = {"Idle", "Starting", "Running", "Stopping", "Restarting"};
    return state >= 0 && state < 5 ? QString::fromLatin1(names[state]) : QString::number(state);
}

// What reaches the terminal: control characters (a stored name from before
// they were refused, a log line) are shown as escapes, never obeyed.
QString printable(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c.category() == QChar::Other_Control || c.category() == QChar::Other_Format)
            out += QStringLiteral("\\u%1").arg(QString::number(c.unicode(), 16).rightJustified(4, QLatin1Char('0')));
        else
            out += c;
    }
    return out;
}

void printTable(QTextStream &out, const QJsonArray &workers)
{
    const QString format = QStringLiteral("%1  %2  %3  %4  %5  %6  %7");
    out << format.arg(QStringLiteral("ID"), -36).arg(QStringLiteral("NAME"), -20).arg(QStringLiteral("STATE"), -10)
               .arg(QStringLiteral("ENABLED"), -7).arg(QStringLiteral("WD#"), 4).arg(QStringLiteral("STREAMER"), -14)
               .arg(QStringLiteral("STATUS"))
        << '\n';
    for (const QJsonValue &v : workers) {
        const QJsonObject w = v.toObject();
        out << format.arg(printable(w.value(QStringLiteral("workerId")).toString()), -36)
                   .arg(printable(w.value(QStringLiteral("name")).toString()).left(20), -20)
                   .arg(stateName(w.value(QStringLiteral("state")).toInt()), -10)
                   .arg(w.value(QStringLiteral("isEnabled")).toBool() ? QStringLiteral("yes") : QStringLiteral("no"), -7)
                   .arg(w.value(QStringLiteral("watchdogEventCount")).toInt(), 4)
                   .arg(w.value(QStringLiteral("streamer")).toString(), -14)
                   .arg(printable(w.value(QStringLiteral("statusText")).toString()))
            << '\n';
    }
}

// `policy show` and `policy check`, for a person.
void printPolicy(QTextStream &out, const QJsonObject &reply)
{
    const QJsonObject data = reply.value(QStringLiteral("data")).toObject();
    out << reply.value(QStringLiteral("message")).toString() << '\n';
    if (data.contains(QStringLiteral("allowed"))) {
        const QJsonArray checked = data.value(QStringLiteral("checked")).toArray();
        if (!checked.isEmpty())
            out << "checked:\n";
        for (const QJsonValue &c : checked)
            out << "  " << c.toString() << '\n';
        return;
    }
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("trustLocalOperators:"), -20)
               .arg(data.value(QStringLiteral("trustLocalOperators")).toBool() ? QStringLiteral("yes") : QStringLiteral("no"));
    for (const char *key : {"mediaFolders", "networkHosts", "uriSchemes", "launcherOptions", "elements", "elementClasses",
                            "refusedElements", "byteSources"}) {
        QStringList items;
        for (const QJsonValue &v : data.value(QLatin1StringView(key)).toArray())
            items << v.toString();
        out << QStringLiteral("%1 %2\n").arg(QString::fromLatin1(key) + QLatin1Char(':'), -20).arg(items.join(QStringLiteral(", ")));
    }
    out << "propertyRules:\n";
    const QJsonObject rules = data.value(QStringLiteral("propertyRules")).toObject();
    for (auto it = rules.begin(); it != rules.end(); ++it) {
        QString rule = it.value().toString();
        if (it.value().isObject()) {
            QStringList values;
            for (const QJsonValue &v : it.value()[QStringLiteral("oneOf")].toArray())
                values << v.toString();
            rule = QStringLiteral("one-of %1").arg(values.join(QStringLiteral(", ")));
        }
        out << QStringLiteral("  %1 %2\n").arg(it.key(), -32).arg(rule);
    }
}

void printDetail(QTextStream &out, const QJsonObject &w)
{
    for (const char *key : {"workerId", "name", "description", "streamer", "command", "isEnabled", "state", "statusText",
                            "lastError", "watchdogEventCount", "imgWatchdogEnabled", "imgWatchdogGraceTime",
                            "imgWatchdogInterval", "pictureCount"}) {
        QJsonValue v = w.value(QLatin1StringView(key));
        QString text = v.isBool() ? (v.toBool() ? QStringLiteral("yes") : QStringLiteral("no"))
                     : v.isDouble() ? QString::number(v.toDouble()) : v.toString();
        if (qstrcmp(key, "state") == 0)
            text = stateName(v.toInt());
        out << QStringLiteral("%1 %2\n").arg(QString::fromLatin1(key) + QLatin1Char(':'), -22).arg(printable(text));
    }
    // Since the engine started, by cause: "crash 2, error 0, end_of_stream 1, …".
    const QJsonObject restarts = w.value(QStringLiteral("restarts")).toObject();
    QStringList byCause;
    for (const char *cause : {"crash", "error", "end_of_stream", "picture_stall", "start_failure"})
        byCause << QStringLiteral("%1 %2").arg(QLatin1StringView(cause)).arg(restarts.value(QLatin1StringView(cause)).toInteger());
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("restarts:"), -22).arg(byCause.join(QStringLiteral(", ")));
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("watchdogHolds:"), -22).arg(w.value(QStringLiteral("watchdogHolds")).toInteger());
    // Which version runs, and the one a rollback goes back to (ctl history, ctl rollback).
    const int lastGood = w.value(QStringLiteral("lastGoodVersion")).toInt();
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("version:"), -22).arg(w.value(QStringLiteral("version")).toInt());
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("lastGoodVersion:"), -22)
               .arg(lastGood > 0 ? QString::number(lastGood) : QStringLiteral("none yet"));
    out << QStringLiteral("%1 %2\n").arg(QStringLiteral("autoRollback:"), -22)
               .arg(w.value(QStringLiteral("autoRollback")).toBool() ? QStringLiteral("yes") : QStringLiteral("no"));
    out << "\nrecent log:\n";
    for (const QJsonValue &l : w.value(QStringLiteral("logs")).toArray())
        out << "  " << l[QStringLiteral("logTimestamp")].toString() << "  " << printable(l[QStringLiteral("message")].toString()) << '\n';
    out << "\nchanges:\n";
    for (const QJsonValue &c : w.value(QStringLiteral("changes")).toArray())
        out << "  " << c[QStringLiteral("changeTimestamp")].toString() << "  " << printable(c[QStringLiteral("changeDescription")].toString())
            << "  " << printable(c[QStringLiteral("changeDetails")].toString()) << '\n';
    out << "\nwatchdog events:\n";
    for (const QJsonValue &e : w.value(QStringLiteral("events")).toArray())
        out << "  " << e[QStringLiteral("eventTimestamp")].toString() << "  " << printable(e[QStringLiteral("eventMessage")].toString()) << '\n';
}
// `history ID`: one line per version, newest first.
void printHistory(QTextStream &out, const QJsonObject &reply)
{
    const QJsonObject data = reply.value(QStringLiteral("data")).toObject();
    out << printable(reply.value(QStringLiteral("message")).toString()) << "\n\n";
    const QString format = QStringLiteral("%1  %2  %3  %4  %5");
    out << format.arg(QStringLiteral("VERSION"), -7).arg(QStringLiteral("WHEN"), -19).arg(QStringLiteral("BY"), -36)
               .arg(QStringLiteral("STATUS"), -14).arg(QStringLiteral("CHANGED"))
        << '\n';
    for (const QJsonValue &v : data.value(QStringLiteral("versions")).toArray()) {
        QStringList status;
        if (v[QStringLiteral("current")].toBool())
            status << QStringLiteral("current");
        if (v[QStringLiteral("good")].toBool())
            status << QStringLiteral("good");
        if (v[QStringLiteral("bad")].toBool())
            status << QStringLiteral("bad");
        // The contract's 7 fractional digits are more than Qt reads; seconds will do.
        const QDateTime when = QDateTime::fromString(v[QStringLiteral("timestamp")].toString().left(19) + QLatin1Char('Z'), Qt::ISODate);
        out << format.arg(QStringLiteral("v%1").arg(v[QStringLiteral("version")].toInt()), -7)
                   .arg(when.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), -19)
                   .arg(printable(v[QStringLiteral("actor")].toString()), -36)
                   .arg(status.join(QStringLiteral(", ")), -14)
                   .arg(printable(v[QStringLiteral("changes")].toString()))
            << '\n';
    }
}
} // namespace

int runCtl(const QStringList &arguments)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Control a running StreamEngine.\nVerbs: ") + QString::fromLatin1(kVerbs));
    p.addHelpOption();
    p.addPositionalArgument(QStringLiteral("verb"), QStringLiteral("what to do"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("the engine's data folder"), QStringLiteral("dir"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("print the answer as JSON"));
    const QCommandLineOption id(QStringLiteral("id"), QStringLiteral("worker id (create)"), QStringLiteral("id"));
    const QCommandLineOption name(QStringLiteral("name"), QStringLiteral("worker name"), QStringLiteral("text"));
    const QCommandLineOption description(QStringLiteral("description"), QStringLiteral("worker description"), QStringLiteral("text"));
    const QCommandLineOption streamer(QStringLiteral("streamer"), QStringLiteral("streamer type"), QStringLiteral("type"));
    const QCommandLineOption command(QStringLiteral("command"), QStringLiteral("streamer command"), QStringLiteral("text"));
    const QCommandLineOption enabled(QStringLiteral("enabled"), QStringLiteral("enabled: yes|no"), QStringLiteral("yes|no"));
    const QCommandLineOption watchdog(QStringLiteral("watchdog"), QStringLiteral("picture watchdog: on|off"), QStringLiteral("on|off"));
    const QCommandLineOption grace(QStringLiteral("grace"), QStringLiteral("watchdog grace time, seconds"), QStringLiteral("s"));
    const QCommandLineOption interval(QStringLiteral("interval"), QStringLiteral("watchdog interval, seconds"), QStringLiteral("s"));
    const QCommandLineOption apiKey(QStringLiteral("api-key"),
                                    QStringLiteral("hub API key (hub add); seen by every local user in the process list"),
                                    QStringLiteral("key"));
    const QCommandLineOption apiKeyFile(QStringLiteral("api-key-file"),
                                        QStringLiteral("file whose first line is the hub API key (hub add); or set %1")
                                            .arg(QLatin1StringView(kHubApiKeyVariable)),
                                        QStringLiteral("file"));
    const QCommandLineOption autoRollback(QStringLiteral("auto-rollback"),
                                          QStringLiteral("go back to the last good version by itself when an edit never runs (edit, create): yes|no"),
                                          QStringLiteral("yes|no"));
    const QCommandLineOption toVersion(QStringLiteral("to"), QStringLiteral("the version to go back to (rollback; default: the last good one)"),
                                       QStringLiteral("N"));
    const QCommandLineOption timeout(QStringLiteral("timeout"), QStringLiteral("seconds to wait for the engine"), QStringLiteral("s"), QStringLiteral("10"));
    p.addOptions({dataDir, json, id, name, description, streamer, command, enabled, watchdog, grace, interval, apiKey, apiKeyFile,
                  autoRollback, toVersion, timeout});
    p.process(arguments);

    const QStringList args = p.positionalArguments();
    if (args.isEmpty()) {
        err << "usage: streamengine ctl <verb> [--data-dir DIR] [--json]\nverbs: " << kVerbs << '\n';
        return 2;
    }
    QJsonObject request{{QStringLiteral("verb"), args[0]}};
    QJsonObject fields;
    auto put = [&](const QCommandLineOption &o, const char *key) {
        if (p.isSet(o)) fields.insert(QLatin1StringView(key), p.value(o));
    };
    put(name, "name");
    put(description, "description");
    put(streamer, "streamerType");
    put(command, "command");
    // Exact words only: "--enabled maybe" is a mistake to point out, not a "no".
    for (const auto &[opt, key, on, off] : {std::tuple{&enabled, "isEnabled", "yes", "no"},
                                            std::tuple{&watchdog, "imgWatchdogEnabled", "on", "off"}}) {
        if (!p.isSet(*opt))
            continue;
        const QString v = p.value(*opt);
        if (v != QLatin1String(on) && v != QLatin1String(off)) {
            err << "--" << opt->names().first() << " takes " << on << " or " << off << ", not '" << v << "'\n";
            return 2;
        }
        fields.insert(QLatin1StringView(key), v == QLatin1String(on));
    }
    // Not a contract field: beside the fields, so that a hub's EditWorker never meets it.
    if (p.isSet(autoRollback)) {
        const QString v = p.value(autoRollback);
        if (v != QLatin1String("yes") && v != QLatin1String("no")) {
            err << "--auto-rollback takes yes or no, not '" << v << "'\n";
            return 2;
        }
        request.insert(QStringLiteral("autoRollback"), v == QLatin1String("yes"));
    }
    if (p.isSet(toVersion)) {
        bool ok = false;
        const int n = p.value(toVersion).toInt(&ok);
        if (!ok || n < 1) {
            err << "--to takes a version number (1, 2, 3 …), not '" << p.value(toVersion) << "'\n";
            return 2;
        }
        request.insert(QStringLiteral("toVersion"), n);
    }
    // The engine checks the range (the same rule for hubs and the dashboard).
    for (const auto &[opt, key] : {std::pair{&grace, "imgWatchdogGraceTime"}, std::pair{&interval, "imgWatchdogInterval"}}) {
        if (!p.isSet(*opt))
            continue;
        bool ok = false;
        const double s = p.value(*opt).toDouble(&ok);
        if (!ok || !std::isfinite(s)) {
            err << "--" << opt->names().first() << " takes a number of seconds, not '" << p.value(*opt) << "'\n";
            return 2;
        }
        fields.insert(QLatin1StringView(key), s);
    }
    if (args[0] == QLatin1String("policy")) {
        request.insert(QStringLiteral("action"), args.value(1));
        if (args.size() > 2) // the pipeline, best quoted as one argument
            fields.insert(QStringLiteral("command"), args.mid(2).join(QLatin1Char(' ')));
    } else if (args[0] == QLatin1String("hub")) {
        request.insert(QStringLiteral("action"), args.value(1));
        request.insert(QStringLiteral("hubUrl"), args.value(2));
        if (args.value(1) == QLatin1String("add")) {
            const HubKeyChoice key = hubApiKey(p, apiKeyFile, apiKey);
            if (!key.ok) {
                err << key.error << '\n';
                return 2;
            }
            if (!key.warning.isEmpty())
                err << "warning: " << key.warning << '\n';
            if (!key.key.isEmpty())
                request.insert(QStringLiteral("apiKey"), key.key);
        }
    } else if (args[0] == QLatin1String("create")) {
        request.insert(QStringLiteral("workerId"), p.value(id));
    } else {
        request.insert(QStringLiteral("workerId"), args.value(1, p.value(id)));
    }
    request.insert(QStringLiteral("fields"), fields);

    const QString dir = p.isSet(dataDir) ? p.value(dataDir) : Engine::defaultDataDir();
    QLocalSocket socket;
    const int ms = int(p.value(timeout).toDouble() * 1000);
    // The folder's lock tells a running engine that does not answer from none.
    auto noEngine = [&](const QString &why) {
        if (const qint64 pid = DataFolder::holder(dir); pid != 0)
            err << "an engine" << (pid > 0 ? QStringLiteral(" (pid %1)").arg(pid) : QString()) << " holds the data folder " << dir
                << " but does not answer on its control socket (" << why << ")\n";
        else
            err << "no engine is running with the data folder " << dir << (why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why)) << '\n';
        return 3;
    };
    if (!QFileInfo::exists(ControlServer::socketPath(dir)))
        return noEngine(QStringLiteral("no socket file"));
    socket.connectToServer(ControlServer::socketPath(dir));
    if (!socket.waitForConnected(ms))
        return noEngine(socket.errorString());
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    while (!socket.canReadLine())
        if (!socket.waitForReadyRead(ms)) {
            err << "the engine did not answer within " << p.value(timeout) << " s\n";
            return 3;
        }
    const QJsonObject reply = QJsonDocument::fromJson(socket.readLine()).object();
    const bool success = reply.value(QStringLiteral("success")).toBool();
    if (p.isSet(json)) {
        out << QJsonDocument(reply).toJson(QJsonDocument::Indented);
    } else if (args[0] == QLatin1String("policy") && reply.value(QStringLiteral("data")).isObject()) {
        printPolicy(out, reply); // a refused check is an answer, not an error
    } else if (!success) {
        err << "error: " << printable(reply.value(QStringLiteral("message")).toString()) << '\n';
    } else if (args[0] == QLatin1String("list")) {
        printTable(out, reply.value(QStringLiteral("data")).toArray());
    } else if (args[0] == QLatin1String("show")) {
        printDetail(out, reply.value(QStringLiteral("data")).toObject());
    } else if (args[0] == QLatin1String("history")) {
        printHistory(out, reply);
    } else if (reply.value(QStringLiteral("data")).isArray() || reply.value(QStringLiteral("data")).isObject()) {
        out << printable(reply.value(QStringLiteral("message")).toString()) << '\n'
            << QJsonDocument::fromVariant(reply.value(QStringLiteral("data")).toVariant()).toJson(QJsonDocument::Indented);
    } else {
        out << printable(reply.value(QStringLiteral("message")).toString()) << '\n';
    }
    return success ? 0 : 1;
}

} // namespace se
