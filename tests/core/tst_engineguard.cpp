// Issue 11, "Nobody takes over the engine's machine": the real program, real
// files, real processes. Its data folder is private, one engine holds a folder
// through a kernel lock (also when it is out of descriptors), a control client
// that never reads costs bounded memory, hub keys stay off the command line,
// and SIGTERM ends the engine within its deadline whatever a streamer does.
#include "ChildProcesses.h"
#include "TestEnv.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <cstring>
#include <functional>
#include <memory>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// The deadline README.md documents for SIGTERM, and the exit code when it was reached.
constexpr int kShutdownDeadlineMs = 10000;
constexpr int kExitStopForced = 4;

// ctl that gives up on an engine that does not answer within 5 s.
CtlResult ctlWithin5s(const QString &dataDir, QStringList args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    return ctl(dataDir, args << QStringLiteral("--timeout") << QStringLiteral("5"), env);
}

bool controlUp(const QString &dataDir)
{
    return ctlWithin5s(dataDir, {QStringLiteral("engine")}).exitCode == 0;
}

int modeOf(const QString &path)
{
    struct stat st {};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

QString octal(int mode) { return mode < 0 ? QStringLiteral("missing") : QStringLiteral("0%1").arg(mode, 3, 8, QLatin1Char('0')); }

qint64 statusKb(qint64 pid, const char *field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').first().toLongLong();
    return -1;
}

int openDescriptors(qint64 pid)
{
    return int(QDir(QStringLiteral("/proc/%1/fd").arg(pid)).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).size());
}

QByteArray commandLineOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/cmdline").arg(pid));
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}


// A process that is gone, or dead and only waiting to be reaped by init.
bool processGone(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return true;
    const QByteArray stat = f.readAll();
    const QByteArray rest = stat.mid(stat.lastIndexOf(')') + 2);
    return rest.startsWith('Z') || rest.startsWith('X');
}

QByteArray request(const QJsonObject &o) { return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n'; }

// Sends requests on one reading connection and returns their answers.
QList<QJsonObject> converse(const QString &dataDir, const QList<QJsonObject> &requests, int timeoutMs = 30000)
{
    QLocalSocket s;
    s.connectToServer(dataDir + QStringLiteral("/control.sock"));
    if (!s.waitForConnected(5000))
        return {};
    for (const QJsonObject &r : requests)
        s.write(request(r));
    QList<QJsonObject> answers;
    QDeadlineTimer deadline(timeoutMs);
    while (answers.size() < requests.size() && !deadline.hasExpired()) {
        if (!s.canReadLine() && !s.waitForReadyRead(1000))
            continue;
        while (s.canReadLine())
            answers << QJsonDocument::fromJson(s.readLine()).object();
    }
    return answers;
}

// A StreamHub stand-in that only records the negotiate requests it gets and
// answers 503: enough to see which key an engine presents.
class RecordingHub : public QObject {
public:
    RecordingHub()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                auto head = std::make_shared<QByteArray>();
                connect(s, &QTcpSocket::readyRead, this, [this, s, head] {
                    head->append(s->readAll());
                    if (!head->contains("\r\n\r\n"))
                        return;
                    m_requests << *head;
                    head->clear();
                    s->write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
            }
        });
    }
    QString url(const QString &path = QStringLiteral("/enginehub")) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path);
    }
    bool sawBearer(const QByteArray &key) const
    {
        for (const QByteArray &r : m_requests)
            if (r.contains("Authorization: Bearer " + key + "\r\n"))
                return true;
        return false;
    }

private:
    QTcpServer m_server;
    QList<QByteArray> m_requests;
};

// One engine process; what it writes on stderr is kept.
class EngineRun {
public:
    EngineRun(const QString &dataDir, const QStringList &extra = {},
              const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
              std::function<void()> childSetup = {})
        : m_process(std::make_unique<QProcess>()), m_err(std::make_shared<QByteArray>())
    {
        QProcess *p = m_process.get();
        p->setProcessEnvironment(env);
        if (childSetup)
            p->setChildProcessModifier(childSetup);
        auto err = m_err;
        QObject::connect(p, &QProcess::readyReadStandardError, p, [p, err] { err->append(p->readAllStandardError()); });
        QStringList args{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir};
        args << extra;
        p->start(engineBinary(), args);
        p->waitForStarted(5000);
    }
    ~EngineRun()
    {
        if (m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    QProcess &process() { return *m_process; }
    qint64 pid() const { return m_process->processId(); }
    bool running() const { return m_process->state() == QProcess::Running; }
    QByteArray err() const
    {
        m_err->append(m_process->readAllStandardError());
        return *m_err;
    }
    bool finished(int ms)
    {
        const bool done = m_process->state() == QProcess::NotRunning || m_process->waitForFinished(ms);
        err();
        return done;
    }

private:
    std::unique_ptr<QProcess> m_process;
    std::shared_ptr<QByteArray> m_err;
};

} // namespace

class TestEngineGuard : public QObject {
    Q_OBJECT

    static void terminate(EngineRun &engine, int expectedExit = 0)
    {
        ::kill(pid_t(engine.pid()), SIGTERM);
        QVERIFY(engine.finished(kShutdownDeadlineMs + 5000));
        QVERIFY2(engine.process().exitStatus() == QProcess::NormalExit && engine.process().exitCode() == expectedExit,
                 qPrintable(QStringLiteral("%1 %2, expected exit %3; the engine said:\n%4")
                                .arg(engine.process().exitStatus() == QProcess::NormalExit ? QStringLiteral("exit") : QStringLiteral("crash"))
                                .arg(engine.process().exitCode())
                                .arg(expectedExit)
                                .arg(QString::fromLocal8Bit(engine.err().right(4000)))));
    }

private Q_SLOTS:
    void aNewDataFolderIsPrivate()
    {
        QTemporaryDir tmp;
        const QString d = tmp.filePath(QStringLiteral("new/data")); // neither exists yet
        EngineRun engine(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        // A write, so that the database has its -wal and -shm files for sure.
        QCOMPARE(ctlWithin5s(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("w"), QStringLiteral("--name"), QStringLiteral("W"), QStringLiteral("--streamer"),
                         QStringLiteral("FakeStreamer"), QStringLiteral("--command"), QStringLiteral("fps=5")}).exitCode, 0);

        QCOMPARE(octal(modeOf(d)), QStringLiteral("0700"));
        for (const char *name : {"streamengine.db", "streamengine.db-wal", "streamengine.db-shm", "control.sock", "engine.lock"})
            QVERIFY2(modeOf(d + QLatin1Char('/') + QLatin1StringView(name)) == 0600,
                     qPrintable(QStringLiteral("%1 is %2").arg(QLatin1StringView(name), octal(modeOf(d + QLatin1Char('/') + QLatin1StringView(name))))));
        // Nothing else in it is open to others either.
        for (const QFileInfo &fi : QDir(d).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System | QDir::Hidden))
            QVERIFY2((modeOf(fi.filePath()) & 077) == 0, qPrintable(fi.fileName() + QStringLiteral(" is ") + octal(modeOf(fi.filePath()))));
        // The lock file names the engine that holds it.
        QFile lock(d + QStringLiteral("/engine.lock"));
        QVERIFY(lock.open(QIODevice::ReadOnly));
        QCOMPARE(lock.readAll().trimmed().toLongLong(), engine.pid());
        terminate(engine);
    }

    void aFolderOpenToOthersIsTightened()
    {
        QTemporaryDir tmp;
        const QString d = tmp.filePath(QStringLiteral("data"));
        QVERIFY(QDir().mkdir(d));
        {
            EngineRun first(d);
            QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
            terminate(first);
        }
        // Someone opened it up, as the old engines left it.
        QVERIFY(::chmod(QFile::encodeName(d).constData(), 0755) == 0);
        QFile notes(d + QStringLiteral("/notes.txt"));
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.close();
        for (const char *name : {"streamengine.db", "engine.lock", "notes.txt"})
            QVERIFY(::chmod(QFile::encodeName(d + QLatin1Char('/') + QLatin1StringView(name)).constData(), 0644) == 0);

        EngineRun engine(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        QCOMPARE(octal(modeOf(d)), QStringLiteral("0700"));
        for (const char *name : {"streamengine.db", "engine.lock", "notes.txt", "control.sock"})
            QCOMPARE(octal(modeOf(d + QLatin1Char('/') + QLatin1StringView(name))), QStringLiteral("0600"));
        // Said, naming what it was.
        QTRY_VERIFY2_WITH_TIMEOUT(engine.err().contains("0755") && engine.err().contains("0700") && engine.err().contains("notes.txt"),
                                  engine.err().constData(), 5000);
        terminate(engine);
    }

    void aFolderOfAnotherUserIsRefused()
    {
        if (::geteuid() != 0)
            QSKIP("needs root to give a folder to another user");
        QTemporaryDir tmp;
        const QString d = tmp.filePath(QStringLiteral("data"));
        QVERIFY(QDir().mkdir(d));
        QVERIFY(::chmod(QFile::encodeName(d).constData(), 0755) == 0);
        QVERIFY(::chown(QFile::encodeName(d).constData(), 65534, 65534) == 0);
        EngineRun engine(d);
        QVERIFY(engine.finished(15000));
        QCOMPARE(engine.process().exitCode(), 1);
        const QByteArray err = engine.err();
        QVERIFY2(err.contains(QFile::encodeName(d)) && err.contains("belongs to"), err.constData());
        // Refused as it was found: not tightened, nothing created in it.
        QCOMPARE(octal(modeOf(d)), QStringLiteral("0755"));
        QVERIFY(QDir(d).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System | QDir::Hidden));
    }

    void aSecondEngineIsRefusedByTheLockAlone()
    {
        QTemporaryDir tmp;
        const QString d = tmp.path();
        EngineRun first(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        // What issue 11 saw: the socket file gone while the engine lives.
        QVERIFY(QFile::remove(d + QStringLiteral("/control.sock")));
        EngineRun second(d);
        QVERIFY(second.finished(15000));
        QCOMPARE(second.process().exitCode(), 1);
        const QByteArray err = second.err();
        QVERIFY2(err.contains("another engine") && err.contains(QFile::encodeName(d)) && err.contains(QByteArray::number(first.pid())),
                 err.constData());
        // ctl tells the running engine from none.
        const CtlResult r = ctlWithin5s(d, {QStringLiteral("list")});
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.err.contains(QByteArray::number(first.pid())), r.err.constData());
        terminate(first);
    }

    void aSecondEngineIsRefusedWhileTheFirstIsOutOfDescriptors()
    {
        QTemporaryDir tmp;
        const QString d = tmp.path();
        const rlim_t limit = 64;
        EngineRun first(d, {}, QProcessEnvironment::systemEnvironment(), [limit] {
            const struct rlimit r{limit, limit};
            ::setrlimit(RLIMIT_NOFILE, &r);
        });
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        const QString sock = d + QStringLiteral("/control.sock");

        // Connections that never close, until every descriptor the engine may
        // have is taken, and then a few more that it cannot accept.
        std::vector<std::unique_ptr<QLocalSocket>> clients;
        auto connectOne = [&] {
            auto s = std::make_unique<QLocalSocket>();
            s->connectToServer(sock);
            s->waitForConnected(1000);
            clients.push_back(std::move(s));
        };
        auto full = [&] { return openDescriptors(first.pid()) >= int(limit); };
        for (int i = 0; i < int(limit) && !full(); ++i) {
            const int open = openDescriptors(first.pid());
            connectOne();
            // Each accepted connection costs the engine a descriptor: go on once it has taken this one.
            [[maybe_unused]] const bool taken = QTest::qWaitFor([&] { return openDescriptors(first.pid()) > open || full(); }, 2000);
        }
        QVERIFY2(full(), qPrintable(QStringLiteral("the engine has %1 descriptors open").arg(openDescriptors(first.pid()))));
        for (int i = 0; i < 4; ++i)
            connectOne();
        QTRY_VERIFY_WITH_TIMEOUT(first.err().contains("cannot accept") || !QFileInfo::exists(sock), 10000);
        QVERIFY2(QFileInfo::exists(sock), "the control socket file was removed");
        QVERIFY2(first.err().contains("cannot accept"), first.err().constData());
        QVERIFY(first.running());

        EngineRun second(d);
        QVERIFY(second.finished(15000));
        QCOMPARE(second.process().exitCode(), 1);
        const QByteArray err = second.err();
        QVERIFY2(err.contains("another engine") && err.contains(QByteArray::number(first.pid())), err.constData());
        QVERIFY(QFileInfo::exists(sock));

        clients.clear();
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(first.err().contains("accepting control connections again"), 5000);
        QCOMPARE(first.err().count("cannot accept"), 1); // told once
        terminate(first);
    }

    void aClientThatNeverReadsIsDropped()
    {
        QTemporaryDir tmp;
        const QString d = tmp.path();
        EngineRun engine(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        // 100 large workers: a `list` answer of about 1.6 MB.
        QList<QJsonObject> creates;
        for (int i = 0; i < 100; ++i)
            creates << QJsonObject{{QStringLiteral("verb"), QStringLiteral("create")},
                                   {QStringLiteral("workerId"), QStringLiteral("w%1").arg(i)},
                                   {QStringLiteral("fields"), QJsonObject{{QStringLiteral("name"), QStringLiteral("large %1").arg(i)},
                                                                          {QStringLiteral("streamerType"), QStringLiteral("FakeStreamer")},
                                                                          {QStringLiteral("command"), QStringLiteral("fps=5")},
                                                                          {QStringLiteral("isEnabled"), false},
                                                                          {QStringLiteral("description"), QString(16000, QLatin1Char('d'))}}}};
        const QList<QJsonObject> created = converse(d, creates);
        QCOMPARE(created.size(), creates.size());
        for (const QJsonObject &c : created)
            QVERIFY2(c.value(QStringLiteral("success")).toBool(), qPrintable(c.value(QStringLiteral("message")).toString()));
        // One answer read whole, so that the peak so far includes making one.
        const QList<QJsonObject> listed = converse(d, {QJsonObject{{QStringLiteral("verb"), QStringLiteral("list")}}});
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed[0].value(QStringLiteral("data")).toArray().size(), 100);
        const qint64 before = statusKb(engine.pid(), "VmHWM");

        // 600 `list` requests on a connection that never reads.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        const int small = 4096;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(d + QStringLiteral("/control.sock"));
        std::memcpy(addr.sun_path, path.constData(), size_t(path.size()) + 1);
        QVERIFY(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
        QByteArray flood;
        for (int i = 0; i < 600; ++i)
            flood += request(QJsonObject{{QStringLiteral("verb"), QStringLiteral("list")}});
        QCOMPARE(::write(fd, flood.constData(), size_t(flood.size())), ssize_t(flood.size()));

        QTRY_VERIFY_WITH_TIMEOUT(engine.err().contains("control client dropped"), 60000);
        const qint64 after = statusKb(engine.pid(), "VmHWM");
        ::close(fd);
        // The bound: the 8 MB cap, one more answer, and the work of making it.
        const qint64 boundKb = 32 * 1024;
        qInfo("VmHWM before the flood %lld kB, after %lld kB (growth %lld kB, bound %lld kB)", before, after, after - before, boundKb);
        QVERIFY2(after - before < boundKb, qPrintable(QStringLiteral("VmHWM grew from %1 kB to %2 kB").arg(before).arg(after)));
        QVERIFY(controlUp(d)); // the others are served as before
        terminate(engine);
    }

    void hubKeysComeFromAFileOrTheEnvironment()
    {
        RecordingHub hub;
        QTemporaryDir tmp;
        const QByteArray fileKey = "file-key-7c1e94", envKey = "env-key-5a2b77", argKey = "arg-key-90d3ff", ctlKey = "ctl-key-41f0aa";
        auto keyFile = [&](const char *name, const QByteArray &key) {
            const QString path = tmp.filePath(QLatin1StringView(name));
            QFile f(path);
            f.open(QIODevice::WriteOnly);
            f.write(key + '\n');
            f.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
            return path;
        };
        auto noKeys = [&](const QByteArray &text) {
            for (const QByteArray &k : {fileKey, envKey, argKey, ctlKey})
                if (text.contains(k))
                    return false;
            return true;
        };

        // From a file.
        {
            const QString d = tmp.filePath(QStringLiteral("a"));
            EngineRun engine(d, {QStringLiteral("--hub"), hub.url(), QStringLiteral("--hub-api-key-file"), keyFile("a.key", fileKey)});
            QTRY_VERIFY_WITH_TIMEOUT(hub.sawBearer(fileKey), 15000);
            QVERIFY(noKeys(commandLineOf(engine.pid())));
            // ctl hub add with a key from a file.
            const QString other = hub.url(QStringLiteral("/other"));
            const CtlResult added = ctlWithin5s(d, {QStringLiteral("hub"), QStringLiteral("add"), other, QStringLiteral("--api-key-file"), keyFile("c.key", ctlKey)});
            QCOMPARE(added.exitCode, 0);
            QTRY_VERIFY_WITH_TIMEOUT(hub.sawBearer(ctlKey), 15000);
            const CtlResult list = ctlWithin5s(d, {QStringLiteral("hub"), QStringLiteral("list"), QStringLiteral("--json")});
            QCOMPARE(list.exitCode, 0);
            QCOMPARE(list.json().value(QStringLiteral("data")).toArray().size(), 2);
            QVERIFY(noKeys(added.out + added.err + list.out + list.err));
            terminate(engine);
            QVERIFY2(noKeys(engine.err()), engine.err().constData());
        }
        // From the environment; the engine's children do not inherit it.
        {
            const QString d = tmp.filePath(QStringLiteral("b"));
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("STREAMENGINE_HUB_API_KEY"), QString::fromLatin1(envKey));
            EngineRun engine(d, {QStringLiteral("--hub"), hub.url()}, env);
            QTRY_VERIFY_WITH_TIMEOUT(hub.sawBearer(envKey), 15000);
            QVERIFY(noKeys(commandLineOf(engine.pid())));
            const CtlResult list = ctlWithin5s(d, {QStringLiteral("hub"), QStringLiteral("list"), QStringLiteral("--json")});
            QCOMPARE(list.exitCode, 0);
            QVERIFY(noKeys(list.out + list.err));
            terminate(engine);
            QVERIFY2(noKeys(engine.err()), engine.err().constData());
        }
        // On the command line: still taken, with a warning, and wiped from the process list.
        {
            const QString d = tmp.filePath(QStringLiteral("c"));
            EngineRun engine(d, {QStringLiteral("--hub"), hub.url(), QStringLiteral("--hub-api-key"), QString::fromLatin1(argKey)});
            QTRY_VERIFY_WITH_TIMEOUT(hub.sawBearer(argKey), 15000);
            QTRY_VERIFY2_WITH_TIMEOUT(engine.err().contains("process list"), engine.err().constData(), 5000);
            QTRY_VERIFY_WITH_TIMEOUT(noKeys(commandLineOf(engine.pid())), 5000);
            terminate(engine);
            QVERIFY2(noKeys(engine.err()), engine.err().constData());
        }
        // A key file that cannot be read stops the engine with a message.
        {
            const QString d = tmp.filePath(QStringLiteral("d"));
            EngineRun engine(d, {QStringLiteral("--hub"), hub.url(), QStringLiteral("--hub-api-key-file"), tmp.filePath(QStringLiteral("missing.key"))});
            QVERIFY(engine.finished(15000));
            QCOMPARE(engine.process().exitCode(), 2);
            QVERIFY2(engine.err().contains("missing.key"), engine.err().constData());
        }
    }

    void shutdownEndsWithinTheDeadlineWhateverAStreamerDoes()
    {
        QTemporaryDir tmp;
        const QString d = tmp.path();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SE_GST_STOP_TIMEOUT_MS"), QStringLiteral("120000")); // the streamer's own SIGKILL comes too late
        EngineRun engine(d, {}, env);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        QCOMPARE(ctlWithin5s(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("slow"), QStringLiteral("--name"), QStringLiteral("Slow"), QStringLiteral("--streamer"),
                         QStringLiteral("FakeStreamer"), QStringLiteral("--command"), QStringLiteral("fps=5 stop-delay=120")}).exitCode, 0);
        QCOMPARE(ctlWithin5s(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("gst"), QStringLiteral("--name"), QStringLiteral("Gst"), QStringLiteral("--streamer"),
                         QStringLiteral("GstStreamer"), QStringLiteral("--command"),
                         QStringLiteral("videotestsrc is-live=true ! video/x-raw,width=64,height=36,framerate=5/1 ! jpegenc ! fdsink fd=2")})
                     .exitCode, 0);
        auto running = [&] {
            const QJsonArray list = ctlWithin5s(d, {QStringLiteral("list"), QStringLiteral("--json")}).json().value(QStringLiteral("data")).toArray();
            return list.size() == 2 && std::all_of(list.begin(), list.end(), [](const QJsonValue &v) { return v[QStringLiteral("state")].toInt() == 2; });
        };
        QTRY_VERIFY_WITH_TIMEOUT(running(), 20000);
        const QList<qint64> children = childrenOf(engine.pid());
        QVERIFY2(!children.isEmpty(), "the GstStreamer worker has no process");
        // A pipeline process that does not act on SIGTERM.
        for (qint64 child : children)
            ::kill(pid_t(child), SIGSTOP);

        QElapsedTimer clock;
        clock.start();
        ::kill(pid_t(engine.pid()), SIGTERM);
        QVERIFY2(engine.finished(kShutdownDeadlineMs), "the engine was still running at its shutdown deadline");
        const qint64 took = clock.elapsed();
        qInfo("SIGTERM to exit with a stuck FakeStreamer and a stopped GstStreamer process: %lld ms", took);
        QCOMPARE(engine.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(engine.process().exitCode(), kExitStopForced);
        QVERIFY2(engine.err().contains("did not stop"), engine.err().constData());
        for (qint64 child : children)
            QTRY_VERIFY2_WITH_TIMEOUT(processGone(child), qPrintable(QStringLiteral("pipeline process %1 outlived the engine").arg(child)), 5000);
    }
};

QTEST_GUILESS_MAIN(TestEngineGuard)
#include "tst_engineguard.moc"
