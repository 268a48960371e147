#pragma once
// What the fault suite needs around the real pieces: the streamengine
// process and its `ctl` (blocking and not), the StreamHub stand-in steered
// over HTTP at any address (also one inside a network namespace), /proc
// readings (children, zombies, descriptors, RSS), a network namespace with a
// veth pair, a small tmpfs, and the suite's sizes and seed.
#include "ChildProcesses.h"
#include "TestEnv.h"
#include "../hub/HubView.h"
#include "TestHubProcess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <memory>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace faults {

// ---------------------------------------------------------------- sizes, seed

// The long form: SE_FAULTS_LONG=1 in the environment, or --long on the
// command line (main() turns that into the variable).
inline bool longForm() { return qEnvironmentVariableIntValue("SE_FAULTS_LONG") != 0; }
inline int sized(int ci, int soak) { return longForm() ? soak : ci; }

// One seed per test function: SE_FAULTS_SEED replays a run, else a fresh one.
// Printed, with how to replay it.
inline quint32 seedFor(const char *test)
{
    bool ok = false;
    quint32 seed = qEnvironmentVariable("SE_FAULTS_SEED").toUInt(&ok);
    if (!ok)
        seed = QRandomGenerator::system()->generate();
    qInfo("%s: seed %u (replay with SE_FAULTS_SEED=%u%s)", test, seed, seed, longForm() ? " SE_FAULTS_LONG=1" : "");
    return seed;
}

inline double msSince(const QElapsedTimer &t) { return double(t.nsecsElapsed()) / 1e6; }

inline double median(QList<double> v)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Processes events until `done` or the deadline: the suite never sleeps to
// wait for something.
inline bool waitFor(const std::function<bool()> &done, int timeoutMs, int pollMs = 50)
{
    QDeadlineTimer deadline(timeoutMs);
    while (true) {
        if (done())
            return true;
        if (deadline.hasExpired())
            return false;
        QTest::qWait(int(std::min<qint64>(pollMs, std::max<qint64>(1, deadline.remainingTime()))));
    }
}

// ---------------------------------------------------------------- ctl

// `streamengine ctl …` without blocking: `done` runs on the main thread when
// it has ended. Returns the process (owned by `context`, deleted after `done`).
inline QProcess *ctlAsync(QObject *context, const QString &dataDir, const QStringList &args, std::function<void(const CtlResult &)> done)
{
    auto *p = new QProcess(context);
    auto finish = [p, done = std::move(done)](bool started) {
        CtlResult r;
        if (started && p->exitStatus() == QProcess::NormalExit)
            r.exitCode = p->exitCode();
        r.out = p->readAllStandardOutput();
        r.err = p->readAllStandardError();
        p->disconnect();
        p->deleteLater();
        done(r);
    };
    QObject::connect(p, &QProcess::finished, p, [finish] { finish(true); });
    QObject::connect(p, &QProcess::errorOccurred, p, [p, finish](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            finish(false);
    });
    p->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    p->start(engineBinary(), ctlArguments(dataDir, args));
    return p;
}

inline QJsonArray listWorkers(const QString &dataDir) { return ctl(dataDir, {QStringLiteral("list"), QStringLiteral("--json")}).dataArray(); }

inline QHash<QString, QJsonObject> workersById(const QJsonArray &workers)
{
    QHash<QString, QJsonObject> out;
    for (const QJsonValue &w : workers)
        out.insert(w[QStringLiteral("workerId")].toString(), w.toObject());
    return out;
}

// The engine's hub links as `ctl hub list --json` has them: url -> {state, lastError, ...}.
inline QHash<QString, QJsonObject> hubLinks(const QString &dataDir)
{
    QHash<QString, QJsonObject> out;
    for (const QJsonValue &h : ctl(dataDir, {QStringLiteral("hub"), QStringLiteral("list"), QStringLiteral("--json")}).dataArray())
        out.insert(h[QStringLiteral("hubUrl")].toString(), h.toObject());
    return out;
}
inline QString hubLinkState(const QString &dataDir, const QString &url)
{
    return hubLinks(dataDir).value(url).value(QStringLiteral("state")).toString();
}

// ---------------------------------------------------------------- the engine

// The real program, headless, on a data folder; its output (both channels)
// kept for a failure's report. The destructor SIGKILLs what is left.
class EngineProcess {
public:
    bool start(const QString &dataDir, const QStringList &extra = {})
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        // A test that dies (a QtTest timeout, a crash) takes its engine along;
        // the engine's own children die with it.
        m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        QObject::connect(m_process.get(), &QProcess::readyRead, m_process.get(), [this] { keep(m_process->readAll()); });
        m_process->start(engineBinary(), QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir} + extra);
        return m_process->waitForStarted(10000);
    }
    ~EngineProcess() { sigkill(); }

    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    // "runs", or how it ended: a crash names its signal.
    QString fate() const
    {
        if (!m_process)
            return QStringLiteral("was never started");
        if (running())
            return QStringLiteral("runs (pid %1)").arg(m_process->processId());
        if (m_process->exitStatus() == QProcess::CrashExit)
            return QStringLiteral("died of signal %1 (%2)").arg(m_process->exitCode()).arg(QString::fromLocal8Bit(strsignal(m_process->exitCode())));
        return QStringLiteral("exited with code %1").arg(m_process->exitCode());
    }
    bool running() const { return m_process && m_process->state() != QProcess::NotRunning; }
    QProcess *process() const { return m_process.get(); }

    void sigkill()
    {
        if (!running())
            return;
        ::kill(pid_t(m_process->processId()), SIGKILL);
        m_process->waitForFinished(10000);
        keep(m_process->readAll());
    }
    // SIGTERM; true when it exited 0 within the time.
    bool terminate(int timeoutMs = 30000)
    {
        if (!running())
            return false;
        m_process->terminate();
        const bool done = m_process->waitForFinished(timeoutMs);
        keep(m_process->readAll());
        if (!done)
            sigkill();
        return done && m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
    }
    // The newest lines it wrote, for a failure's report.
    QByteArray tail(int lines = 60) const
    {
        if (m_process)
            keep(m_process->readAll());
        QList<QByteArray> all = m_output.split('\n');
        return all.mid(std::max<qsizetype>(0, all.size() - lines)).join('\n');
    }
    const QByteArray &output() const { return m_output; }

private:
    void keep(const QByteArray &bytes) const
    {
        m_output += bytes;
        if (m_output.size() > (4 << 20))
            m_output = m_output.right(2 << 20);
    }
    std::unique_ptr<QProcess> m_process;
    mutable QByteArray m_output;
};

// The control socket answers.
inline bool controlUp(const QString &dataDir) { return ctl(dataDir, {QStringLiteral("engine")}, QProcessEnvironment::systemEnvironment(), 5000).ok(); }

// ---------------------------------------------------------------- /proc

struct ProcInfo {
    int pid = 0;
    int ppid = 0;
    char state = '?';
    qint64 startTime = 0; // clock ticks after boot: with the pid, names one process
    QByteArray cmdline;   // words joined by spaces
};

inline std::optional<ProcInfo> procInfo(int pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray s = stat.readAll();
    // The name may hold spaces and ')': fields are counted after the last ')'.
    const QList<QByteArray> rest = s.mid(s.lastIndexOf(')') + 2).split(' ');
    if (rest.size() < 20)
        return std::nullopt;
    ProcInfo p;
    p.pid = pid;
    p.state = rest.at(0).isEmpty() ? '?' : rest.at(0).at(0);
    p.ppid = rest.at(1).toInt();
    p.startTime = rest.at(19).toLongLong();
    QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (cmd.open(QIODevice::ReadOnly))
        p.cmdline = cmd.readAll().replace('\0', ' ').trimmed();
    return p;
}

inline QList<ProcInfo> allProcesses()
{
    QList<ProcInfo> out;
    for (const QString &name : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const int pid = name.toInt(&ok);
        if (ok)
            if (auto p = procInfo(pid))
                out << *p;
    }
    return out;
}

// A process's children as ProcInfo (tests/common finds them).
inline QList<ProcInfo> childInfos(qint64 parent)
{
    QList<ProcInfo> out;
    for (const qint64 pid : childrenOf(parent))
        if (auto p = procInfo(int(pid)))
            out << *p;
    return out;
}

inline int zombieChildren(qint64 parent)
{
    const QList<ProcInfo> children = childInfos(parent);
    return int(std::count_if(children.begin(), children.end(), [](const ProcInfo &p) { return p.state == 'Z'; }));
}

// Processes anywhere whose command line holds `tag` (a worker's pipeline).
inline QList<ProcInfo> processesMentioning(const QByteArray &tag)
{
    QList<ProcInfo> out;
    for (const ProcInfo &p : allProcesses())
        if (p.cmdline.contains(tag) && p.pid != ::getpid())
            out << p;
    return out;
}

inline int openDescriptors(qint64 pid)
{
    return int(QDir(QStringLiteral("/proc/%1/fd").arg(pid)).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).size());
}

// The smallest of a few readings a little apart: descriptors the engine opens
// for a moment (a control client being answered, a /proc file the metrics
// sampler reads) do not count.
inline int steadyDescriptors(qint64 pid, int samples = 5)
{
    int least = INT_MAX;
    for (int i = 0; i < samples; ++i) {
        least = std::min(least, openDescriptors(pid));
        QTest::qWait(100); // the sampling period, not a wait for something
    }
    return least;
}

inline qint64 rssKb(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return 0;
}

// ---------------------------------------------------------------- a hub, over HTTP

// The StreamHub stand-in's test API (tests/testhub/StreamHub/StreamHubEndpoints.cs)
// at any base URL: also one in another network namespace. No proxy, ever.
class HubHttp {
public:
    explicit HubHttp(QUrl base = {}) : m_base(std::move(base)) { m_nam.setProxy(QNetworkProxy::NoProxy); }
    void setBase(const QUrl &base) { m_base = base; }
    QUrl url(const QString &path) const
    {
        QUrl u = m_base;
        const int q = path.indexOf(QLatin1Char('?'));
        u.setPath(q < 0 ? path : path.left(q));
        if (q >= 0)
            u.setQuery(path.mid(q + 1));
        return u;
    }

    // Blocking (with an event loop). `ok`: an HTTP answer came.
    QByteArray http(const QByteArray &verb, const QString &path, const QByteArray &body = {}, int timeoutMs = 15000, bool *ok = nullptr)
    {
        QNetworkReply *reply = send(verb, path, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
        const bool answered = reply->isFinished() && reply->error() == QNetworkReply::NoError;
        if (ok)
            *ok = answered;
        const QByteArray out = reply->isFinished() ? reply->readAll() : QByteArray();
        if (!reply->isFinished())
            reply->abort();
        reply->deleteLater();
        return out;
    }

    QStringList engines() { return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/engines"), {}, 5000)).toVariant().toStringList(); }
    QJsonObject view(const QString &engineId)
    {
        return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/view/%1").arg(engineId))).object();
    }
    QHash<QString, QString> shownView(const QString &engineId) { return shownById(view(engineId)[QStringLiteral("workers")].toArray()); }
    void post(const QString &path) { http("POST", path); }

    static QByteArray argumentBody(const QJsonValue &argument)
    {
        return argument.isObject() ? QJsonDocument(argument.toObject()).toJson(QJsonDocument::Compact)
                                   : QJsonDocument(QJsonArray{argument}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    }
    static QString invokePath(const QString &engineId, const QString &method)
    {
        return QStringLiteral("/streamhub-test/invoke/%1/%2").arg(engineId, method);
    }
    // The engine's CommandResult as StreamHub gets it: {ok, result: {success, message, data}} or {ok: false, error}.
    QJsonObject invoke(const QString &engineId, const QString &method, const QJsonValue &argument)
    {
        return QJsonDocument::fromJson(http("POST", invokePath(engineId, method), argumentBody(argument))).object();
    }
    // The same, not blocking; `done` gets the answer ({} when none came),
    // unless `context` is gone by then.
    void invokeAsync(QObject *context, const QString &engineId, const QString &method, const QJsonValue &argument,
                     std::function<void(const QJsonObject &)> done)
    {
        QNetworkReply *reply = send("POST", invokePath(engineId, method), argumentBody(argument));
        QObject::connect(reply, &QNetworkReply::finished, context, [reply, done = std::move(done)] {
            const QJsonObject answer = reply->error() == QNetworkReply::NoError ? QJsonDocument::fromJson(reply->readAll()).object() : QJsonObject();
            reply->deleteLater();
            done(answer);
        });
    }
    // N sequential client-result round trips timed by the hub: {n, failures, p50Ms, p99Ms, maxMs}.
    QJsonObject bench(const QString &engineId, const QString &method, const QJsonValue &argument, int n)
    {
        return QJsonDocument::fromJson(http("POST", QStringLiteral("/streamhub-test/bench/%1/%2?n=%3").arg(engineId, method).arg(n),
                                            argumentBody(argument), 60000))
            .object();
    }
    // {workers, fresh, maxAgeMs, images}: workers whose newest picture is younger than maxAgeMs.
    QJsonObject freshness(int maxAgeMs)
    {
        return QJsonDocument::fromJson(http("GET", QStringLiteral("/streamhub-test/freshness?maxAgeMs=%1").arg(maxAgeMs))).object();
    }

private:
    QNetworkReply *send(const QByteArray &verb, const QString &path, const QByteArray &body)
    {
        QNetworkRequest request(url(path));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        request.setTransferTimeout(30000);
        return m_nam.sendCustomRequest(request, verb, body);
    }
    QUrl m_base;
    QNetworkAccessManager m_nam;
};

// ---------------------------------------------------------------- privileges, tools

inline bool hasCapability(int bit)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("CapEff:"))
            return (line.mid(7).trimmed().toULongLong(nullptr, 16) >> bit) & 1;
    return false;
}
constexpr int kCapNetAdmin = 12;

inline QString findTool(const QString &name)
{
    const QString found = QStandardPaths::findExecutable(name);
    return found.isEmpty() ? QStandardPaths::findExecutable(name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"),
                                                                   QStringLiteral("/usr/bin"), QStringLiteral("/bin")})
                           : found;
}

struct ToolResult {
    bool ok = false;
    QString output; // the command and what it wrote, for a message
    QString raw;    // what it wrote
};
inline ToolResult runTool(const QString &program, const QStringList &args, int timeoutMs = 15000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        return {false, QStringLiteral("%1 %2: did not finish (%3)").arg(program, args.join(QLatin1Char(' ')), p.errorString()), {}};
    }
    const QString out = QString::fromLocal8Bit(p.readAll()).trimmed();
    return {p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
            QStringLiteral("%1 %2: %3").arg(QFileInfo(program).fileName(), args.join(QLatin1Char(' ')), out), out};
}

// ---------------------------------------------------------------- a network namespace

// A network namespace joined to this one by a veth pair: `outside` (here,
// hostAddress) and `inside` (in the namespace, innerAddress), both /30. The
// destructor deletes the namespace, which takes the pair with it.
class NetnsLink {
public:
    // Empty on success, else why it cannot be made here (for QSKIP).
    QString create()
    {
        m_ip = findTool(QStringLiteral("ip"));
        if (m_ip.isEmpty())
            return QStringLiteral("no `ip` program (iproute2) on PATH or in /usr/sbin, /sbin");
        if (!hasCapability(kCapNetAdmin))
            return QStringLiteral("no CAP_NET_ADMIN (not root, or a container without it): cannot make a network namespace");
        const int id = ::getpid();
        m_name = QStringLiteral("se-faults-%1").arg(id);
        m_outside = QStringLiteral("sef%1o").arg(id); // at most 11 characters (IFNAMSIZ 16)
        m_inside = QStringLiteral("sef%1i").arg(id);
        // 10.254.x.y/30, from the pid: parallel runs do not collide.
        const int net = (id % 16384) * 4;
        hostAddress = QStringLiteral("10.254.%1.%2").arg(net / 256).arg(net % 256 + 1);
        innerAddress = QStringLiteral("10.254.%1.%2").arg(net / 256).arg(net % 256 + 2);
        // Namespaces of runs that were killed before they could clean up (their pid is gone).
        static const QRegularExpression ours(QStringLiteral("^se-faults-(\\d+)\\b"));
        for (const QString &line : runTool(m_ip, {QStringLiteral("netns"), QStringLiteral("list")}).raw.split(QLatin1Char('\n'))) {
            const QRegularExpressionMatch m = ours.match(line.trimmed());
            if (m.hasMatch() && (m.captured(1).toInt() == id || (::kill(m.captured(1).toInt(), 0) != 0 && errno == ESRCH)))
                runTool(m_ip, {QStringLiteral("netns"), QStringLiteral("del"), QStringLiteral("se-faults-") + m.captured(1)});
        }
        if (const ToolResult r = runTool(m_ip, {QStringLiteral("netns"), QStringLiteral("add"), m_name}); !r.ok)
            return QStringLiteral("cannot make a network namespace (%1)").arg(r.output);
        m_made = true;
        const QList<QStringList> steps{
            {QStringLiteral("link"), QStringLiteral("add"), m_outside, QStringLiteral("type"), QStringLiteral("veth"), QStringLiteral("peer"),
             QStringLiteral("name"), m_inside, QStringLiteral("netns"), m_name},
            {QStringLiteral("addr"), QStringLiteral("add"), hostAddress + QStringLiteral("/30"), QStringLiteral("dev"), m_outside},
            {QStringLiteral("link"), QStringLiteral("set"), m_outside, QStringLiteral("up")},
            {QStringLiteral("-n"), m_name, QStringLiteral("addr"), QStringLiteral("add"), innerAddress + QStringLiteral("/30"), QStringLiteral("dev"), m_inside},
            {QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"), m_inside, QStringLiteral("up")},
            {QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
        };
        for (const QStringList &step : steps)
            if (const ToolResult r = runTool(m_ip, step); !r.ok)
                return QStringLiteral("cannot set up a veth pair into the namespace (%1)").arg(r.output);
        // `ip netns exec` remounts /sys for the namespace: a container may not allow that.
        if (const ToolResult r = runTool(m_ip, {QStringLiteral("netns"), QStringLiteral("exec"), m_name, QStringLiteral("true")}); !r.ok)
            return QStringLiteral("cannot run a program inside the namespace (%1)").arg(r.output);
        return {};
    }
    ~NetnsLink()
    {
        if (m_made)
            runTool(m_ip, {QStringLiteral("netns"), QStringLiteral("del"), m_name});
    }
    // The cable: the namespace's end of the pair down (the host's end loses
    // its carrier; packets vanish, nothing is refused), or up again.
    ToolResult setCable(bool connected)
    {
        return runTool(m_ip, {QStringLiteral("-n"), m_name, QStringLiteral("link"), QStringLiteral("set"), m_inside,
                              connected ? QStringLiteral("up") : QStringLiteral("down")});
    }
    QString ip() const { return m_ip; }
    QString name() const { return m_name; }

    QString hostAddress;
    QString innerAddress;

private:
    QString m_ip;
    QString m_name;
    QString m_outside;
    QString m_inside;
    bool m_made = false;
};

// The test hub (TestHub.dll) run by `ip netns exec` inside a namespace,
// listening on the namespace's address. Dies with the test (PDEATHSIG).
class NetnsHub {
public:
    ~NetnsHub() { kill(); }
    bool start(const NetnsLink &ns, int timeoutMs = 90000)
    {
        m_process.setProcessEnvironment(TestHubProcess::environment());
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        const QString dotnet = findTool(QStringLiteral("dotnet"));
        m_process.start(ns.ip(), {QStringLiteral("netns"), QStringLiteral("exec"), ns.name(), dotnet, TestHubProcess::dllPath(),
                                  QStringLiteral("--urls"), QStringLiteral("http://%1:0").arg(ns.innerAddress)});
        if (!m_process.waitForStarted(10000)) {
            m_error = m_process.errorString();
            return false;
        }
        const QRegularExpression listening(QStringLiteral("LISTENING (http://[0-9.]+:\\d+)"));
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            const QRegularExpressionMatch m = listening.match(QString::fromUtf8(m_output));
            if (m.hasMatch()) {
                m_base = QUrl(m.captured(1));
                return true;
            }
            if (m_process.state() == QProcess::NotRunning) {
                m_error = QStringLiteral("the hub in the namespace exited: %1").arg(QString::fromUtf8(m_output));
                return false;
            }
            if (m_process.waitForReadyRead(int(std::min<qint64>(200, deadline.remainingTime()))))
                m_output += m_process.readAll();
        }
        m_error = QStringLiteral("the hub in the namespace did not listen: %1").arg(QString::fromUtf8(m_output));
        kill();
        return false;
    }
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    QUrl baseUrl() const { return m_base; }
    QString errorString() const { return m_error; }

private:
    QProcess m_process;
    QByteArray m_output;
    QUrl m_base;
    QString m_error;
};

// ---------------------------------------------------------------- a small disk

// A tmpfs of `megabytes` mounted on a folder of its own; unmounted (lazily,
// should anything still hold it) by the destructor.
class SmallDisk {
public:
    // A folder for it, named after this process: see unmountLeftovers().
    static QString folderTemplate() { return QDir::tempPath() + QStringLiteral("/se-faults-disk-%1-XXXXXX").arg(::getpid()); }

    // Disks of runs that were killed before they could unmount (their pid is gone).
    static void unmountLeftovers()
    {
        QFile mounts(QStringLiteral("/proc/self/mounts"));
        if (!mounts.open(QIODevice::ReadOnly))
            return;
        const QRegularExpression ours(QStringLiteral("^%1/se-faults-disk-(\\d+)-\\w+/disk$").arg(QRegularExpression::escape(QDir::tempPath())));
        for (const QByteArray &line : mounts.readAll().split('\n')) {
            const QList<QByteArray> fields = line.split(' ');
            if (fields.size() < 3 || fields[2] != "tmpfs")
                continue;
            const QString where = QString::fromLocal8Bit(fields[1]);
            const QRegularExpressionMatch m = ours.match(where);
            if (m.hasMatch() && ::kill(m.captured(1).toInt(), 0) != 0 && errno == ESRCH
                && ::umount2(QFile::encodeName(where).constData(), MNT_DETACH) == 0)
                QDir(QFileInfo(where).path()).removeRecursively();
        }
    }

    // Empty on success, else why not (for QSKIP).
    QString mount(const QString &where, int megabytes)
    {
        unmountLeftovers();
        m_path = where;
        QDir().mkpath(where);
        const QByteArray options = QByteArrayLiteral("size=") + QByteArray::number(megabytes) + "m,mode=0700";
        if (::mount("tmpfs", QFile::encodeName(where).constData(), "tmpfs", MS_NOSUID | MS_NODEV, options.constData()) != 0)
            return QStringLiteral("cannot mount a %1 MB tmpfs on %2: %3 (needs root or CAP_SYS_ADMIN in this mount namespace)")
                .arg(megabytes)
                .arg(where, QString::fromLocal8Bit(std::strerror(errno)));
        m_mounted = true;
        return {};
    }
    ~SmallDisk()
    {
        if (m_mounted)
            ::umount2(QFile::encodeName(m_path).constData(), MNT_DETACH);
    }
    qint64 freeBytes() const
    {
        struct statvfs s {};
        if (::statvfs(QFile::encodeName(m_path).constData(), &s) != 0)
            return -1;
        return qint64(s.f_bavail) * qint64(s.f_frsize);
    }
    // Writes a file until the disk takes no more; returns its size.
    qint64 fill(const QString &file)
    {
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
            return -1;
        for (const qint64 chunk : {qint64(1) << 20, qint64(64) << 10, qint64(4096), qint64(512), qint64(1)}) {
            const QByteArray block(chunk, 'x');
            while (f.write(block) == chunk) {
            }
        }
        const qint64 size = f.size();
        f.close();
        return size;
    }
    QString path() const { return m_path; }

private:
    QString m_path;
    bool m_mounted = false;
};

} // namespace faults
