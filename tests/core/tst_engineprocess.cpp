// The real program: started headless, driven by `streamengine ctl`, stopped by
// SIGTERM, killed by SIGKILL in the middle of edits, refused a corrupt file.
#include "TestEnv.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>

#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

QJsonArray listWorkers(const QString &dataDir)
{
    return ctl(dataDir, {QStringLiteral("list"), QStringLiteral("--json")}).json().value(QStringLiteral("data")).toArray();
}

int countInState(const QJsonArray &workers, int state)
{
    return int(std::count_if(workers.begin(), workers.end(), [&](const QJsonValue &v) { return v[QStringLiteral("state")].toInt() == state; }));
}

QByteArray sha(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

// systemd's side of its sockets (notify, journal): a datagram socket the engine writes to.
class DatagramInbox {
public:
    explicit DatagramInbox(const QString &path)
    {
        const QByteArray name = QFile::encodeName(path);
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
        m_bound = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
        if (m_fd >= 0) {
            const int size = 4 << 20;
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        }
    }
    ~DatagramInbox()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool isBound() const { return m_bound; }
    // Everything received so far.
    const QList<QByteArray> &received()
    {
        static thread_local QByteArray buffer(256 * 1024, Qt::Uninitialized);
        for (ssize_t n; (n = ::recv(m_fd, buffer.data(), size_t(buffer.size()), 0)) > 0;)
            m_received << buffer.left(n);
        return m_received;
    }

private:
    int m_fd = -1;
    bool m_bound = false;
    QList<QByteArray> m_received;
};

// One entry of journald's native protocol: KEY=value lines, or KEY, newline,
// a 64-bit little-endian length and the value.
QMultiHash<QByteArray, QByteArray> journalFields(const QByteArray &datagram)
{
    QMultiHash<QByteArray, QByteArray> fields;
    qsizetype at = 0;
    while (at < datagram.size()) {
        const qsizetype eol = datagram.indexOf('\n', at);
        if (eol < 0)
            break;
        const QByteArray line = datagram.mid(at, eol - at);
        if (const qsizetype eq = line.indexOf('='); eq > 0) {
            fields.insert(line.left(eq), line.mid(eq + 1));
            at = eol + 1;
            continue;
        }
        quint64 size = 0;
        std::memcpy(&size, datagram.constData() + eol + 1, sizeof size);
        size = qFromLittleEndian(size);
        fields.insert(line, datagram.mid(eol + 1 + 8, qsizetype(size)));
        at = eol + 1 + 8 + qsizetype(size) + 1;
    }
    return fields;
}
} // namespace

class TestEngineProcess : public QObject {
    Q_OBJECT

    std::unique_ptr<QProcess> startEngine(const QString &dataDir, QStringList extra = {})
    {
        auto p = std::make_unique<QProcess>();
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList args{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir};
        args << extra;
        p->start(engineBinary(), args);
        if (!p->waitForStarted(5000))
            return nullptr;
        return p;
    }

    static bool controlUp(const QString &dataDir)
    {
        return ctl(dataDir, {QStringLiteral("engine")}).exitCode == 0;
    }

private Q_SLOTS:
    void demoRunsAndCtlDrivesEveryVerb()
    {
        QTemporaryDir dir;
        const QString d = dir.path();
        auto engine = startEngine(d, {QStringLiteral("--demo")});
        QVERIFY(engine);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(countInState(listWorkers(d), 2) >= 3, 10000);
        const QJsonArray demo = listWorkers(d);
        QVERIFY(demo.size() >= 4); // and a GstStreamer one when that plugin is built
        for (const char *key : {"workerId", "name", "state", "isEnabled", "watchdogEventCount", "streamer", "command",
                                "imgWatchdogEnabled", "imgWatchdogGraceTime", "imgWatchdogInterval"})
            QVERIFY2(demo[0].toObject().contains(QLatin1StringView(key)), key);

        // The table a person reads.
        const CtlResult table = ctl(d, {QStringLiteral("list")});
        QCOMPARE(table.exitCode, 0);
        QVERIFY(table.out.contains("Studio A"));
        QVERIFY(table.out.contains("Running"));

        CtlResult created = ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("cam-7"), QStringLiteral("--name"),
                                    QStringLiteral("Cam 7"), QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"),
                                    QStringLiteral("--command"), QStringLiteral("fps=10"), QStringLiteral("--interval"),
                                    QStringLiteral("3"), QStringLiteral("--json")});
        QCOMPARE(created.exitCode, 0);
        QVERIFY(created.json().value(QStringLiteral("success")).toBool());
        auto stateOf = [&](const QString &id) {
            for (const QJsonValue &v : listWorkers(d))
                if (v[QStringLiteral("workerId")].toString() == id)
                    return v[QStringLiteral("state")].toInt();
            return -1;
        };
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("cam-7")), 2, 10000);

        const CtlResult dup = ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("cam-7"), QStringLiteral("--streamer"),
                                      QStringLiteral("FakeStreamer"), QStringLiteral("--command"), QStringLiteral("fps=10")});
        QCOMPARE(dup.exitCode, 1);
        QVERIFY2(dup.err.contains("exists already"), dup.err.constData());

        QCOMPARE(ctl(d, {QStringLiteral("edit"), QStringLiteral("cam-7"), QStringLiteral("--description"), QStringLiteral("north gate")}).exitCode, 0);
        QCOMPARE(ctl(d, {QStringLiteral("stop"), QStringLiteral("cam-7")}).exitCode, 0);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("cam-7")), 0, 10000);
        const CtlResult again = ctl(d, {QStringLiteral("stop"), QStringLiteral("cam-7")});
        QCOMPARE(again.exitCode, 0);
        QVERIFY(again.out.contains("already stopped"));
        QCOMPARE(ctl(d, {QStringLiteral("start"), QStringLiteral("cam-7")}).exitCode, 0);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("cam-7")), 2, 10000);
        QCOMPARE(ctl(d, {QStringLiteral("disable"), QStringLiteral("cam-7")}).exitCode, 0);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("cam-7")), 0, 10000);

        const CtlResult show = ctl(d, {QStringLiteral("show"), QStringLiteral("cam-7"), QStringLiteral("--json")});
        const QJsonObject detail = show.json().value(QStringLiteral("data")).toObject();
        QCOMPARE(detail.value(QStringLiteral("description")).toString(), QStringLiteral("north gate"));
        QCOMPARE(detail.value(QStringLiteral("isEnabled")).toBool(), false);
        QCOMPARE(detail.value(QStringLiteral("imgWatchdogInterval")).toString(), QStringLiteral("00:00:03"));
        QVERIFY(detail.value(QStringLiteral("changes")).toArray().size() >= 3);

        const CtlResult unknown = ctl(d, {QStringLiteral("start"), QStringLiteral("nope")});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY(unknown.err.contains("no worker with id 'nope'"));
        QCOMPARE(ctl(d, {QStringLiteral("remove"), QStringLiteral("cam-7")}).exitCode, 0);
        QCOMPARE(listWorkers(d).size(), demo.size());

        // SIGTERM: every worker stops, the engine exits 0.
        engine->terminate();
        QVERIFY(engine->waitForFinished(15000));
        QCOMPARE(engine->exitStatus(), QProcess::NormalExit);
        QCOMPARE(engine->exitCode(), 0);
        QVERIFY(!QFile::exists(d + QStringLiteral("/control.sock")));
    }

    void everyAcknowledgedEditSurvivesSigkill()
    {
        QTemporaryDir dir;
        const QString d = dir.path();
        auto engine = startEngine(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        QCOMPARE(ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("w"), QStringLiteral("--name"), QStringLiteral("W"), QStringLiteral("--streamer"),
                         QStringLiteral("FakeStreamer"), QStringLiteral("--command"), QStringLiteral("fps=5")}).exitCode, 0);

        // Many edits in flight on the control socket; kill the engine while
        // they are being answered.
        QLocalSocket socket;
        socket.connectToServer(d + QStringLiteral("/control.sock"));
        QVERIFY(socket.waitForConnected(5000));
        const int total = 400;
        for (int i = 1; i <= total; ++i) {
            const QJsonObject req{{QStringLiteral("verb"), QStringLiteral("edit")}, {QStringLiteral("workerId"), QStringLiteral("w")},
                                  {QStringLiteral("fields"), QJsonObject{{QStringLiteral("description"), QStringLiteral("edit %1").arg(i)}}}};
            socket.write(QJsonDocument(req).toJson(QJsonDocument::Compact) + '\n');
        }
        socket.flush();
        int acknowledged = 0;
        QDeadlineTimer deadline(20000);
        while (acknowledged < 60 && !deadline.hasExpired()) {
            if (!socket.canReadLine() && !socket.waitForReadyRead(1000))
                continue;
            while (socket.canReadLine()) {
                const QJsonObject reply = QJsonDocument::fromJson(socket.readLine()).object();
                QVERIFY2(reply.value(QStringLiteral("success")).toBool(), qPrintable(reply.value(QStringLiteral("message")).toString()));
                ++acknowledged;
            }
        }
        ::kill(pid_t(engine->processId()), SIGKILL);
        QVERIFY(engine->waitForFinished(5000));
        QCOMPARE(engine->exitStatus(), QProcess::CrashExit);
        QVERIFY(acknowledged >= 60);

        auto second = startEngine(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000); // a stale socket file does not stop it
        const QJsonObject detail = ctl(d, {QStringLiteral("show"), QStringLiteral("w"), QStringLiteral("--json")})
                                       .json().value(QStringLiteral("data")).toObject();
        const int stored = detail.value(QStringLiteral("description")).toString().mid(5).toInt();
        QVERIFY2(stored >= acknowledged, qPrintable(QStringLiteral("stored edit %1, acknowledged %2").arg(stored).arg(acknowledged)));
        QVERIFY(detail.value(QStringLiteral("changes")).toArray().size() >= acknowledged + 1);
        second->terminate();
        QVERIFY(second->waitForFinished(15000));
        QCOMPARE(second->exitCode(), 0);
    }

    // Issue 12: the history is written by the store's writer thread; SIGTERM
    // (a clean stop) loses none of it, however many events are queued.
    void aCleanStopKeepsEveryWatchdogEvent()
    {
        QTemporaryDir dir;
        const QString d = dir.path();
        auto engine = startEngine(d);
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("f%1").arg(i), QStringLiteral("--name"),
                             QStringLiteral("F"), QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"), QStringLiteral("--command"),
                             QStringLiteral("fps=10 size=64x36 crash-after=0.2 log-every=0.05")}).exitCode, 0);
        auto seen = [&] {
            int total = 0;
            for (const QJsonValue &w : listWorkers(d))
                total += w[QStringLiteral("watchdogEventCount")].toInt();
            return total;
        };
        QTRY_VERIFY_WITH_TIMEOUT(seen() >= 60, 20000);
        const int before = seen();
        ::kill(pid_t(engine->processId()), SIGTERM);
        QVERIFY(engine->waitForFinished(15000));
        QCOMPARE(engine->exitCode(), 0);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("history-check"));
            db.setDatabaseName(d + QStringLiteral("/streamengine.db"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT w.id, w.watchdog_event_count, (SELECT count(*) FROM watchdog_events e WHERE e.worker_id = w.id),"
                                          " (SELECT count(*) FROM watchdog_event_logs l JOIN watchdog_events e ON l.event_id = e.id"
                                          "  WHERE e.worker_id = w.id) FROM workers w")));
            int stored = 0;
            while (q.next()) {
                QCOMPARE(q.value(2).toInt(), q.value(1).toInt()); // each event, and the count that says how many
                QVERIFY(q.value(3).toInt() >= q.value(2).toInt()); // with their log lines
                stored += q.value(1).toInt();
            }
            QVERIFY2(stored >= before, qPrintable(QStringLiteral("%1 events stored, %2 seen before the stop").arg(stored).arg(before)));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("history-check"));
    }

    void aCorruptDatabaseStopsTheEngineAndIsKept()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("streamengine.db"));
        QFile f(db);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, '\x5A'));
        f.close();
        const QByteArray before = sha(db);
        QProcess p;
        p.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path()});
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("cannot use the database") && err.contains("kept"), err.constData());
        QCOMPARE(sha(db), before);
    }

    void aHubAddressThatIsNoHubStopsTheEngine()
    {
#ifndef SE_HAVE_HUB
        QSKIP("this build has no StreamHub link");
#endif
        // It used to be dropped without a word, the engine running with no hub.
        QTemporaryDir dir;
        QProcess p;
        p.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--hub"),
                                 QStringLiteral("ftp://hub.example/streamhub")});
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitCode(), 1);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("--hub ftp://hub.example/streamhub: 'ftp://hub.example/streamhub' is not a hub URL"), err.constData());
    }

    void aSecondEngineOnTheSameFolderIsRefused()
    {
        QTemporaryDir dir;
        auto first = startEngine(dir.path());
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(dir.path()), 10000);
        QProcess second;
        second.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path()});
        QVERIFY(second.waitForFinished(15000));
        QCOMPARE(second.exitCode(), 1);
        QVERIFY(second.readAllStandardError().contains("another engine is already running"));
        first->terminate();
        QVERIFY(first->waitForFinished(15000));
    }

    void withoutADisplayItAsksForHeadless_data()
    {
        QTest::addColumn<QStringList>("environment"); // NAME=value; everything display-related is removed first
        QTest::newRow("nothing set") << QStringList{};
        // A desktop session's variable, reached over ssh: Qt itself would abort.
        QTest::newRow("QT_QPA_PLATFORM=xcb, no DISPLAY") << QStringList{QStringLiteral("QT_QPA_PLATFORM=xcb")};
        QTest::newRow("a DISPLAY nobody serves") << QStringList{QStringLiteral("DISPLAY=:97")};
        QTest::newRow("QT_QPA_PLATFORM=wayland, no WAYLAND_DISPLAY") << QStringList{QStringLiteral("QT_QPA_PLATFORM=wayland")};
        QTest::newRow("a platform that does not exist") << QStringList{QStringLiteral("QT_QPA_PLATFORM=nosuchplatform")};
    }
    void withoutADisplayItAsksForHeadless()
    {
#ifndef SE_HAVE_UI
        QSKIP("this build has no dashboard: the engine is always headless");
#endif
        QFETCH(QStringList, environment);
        QTemporaryDir dir;
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XAUTHORITY"})
            env.remove(QLatin1StringView(v));
        for (const QString &e : environment)
            env.insert(e.section(QLatin1Char('='), 0, 0), e.section(QLatin1Char('='), 1));
        p.setProcessEnvironment(env);
        p.start(engineBinary(), {QStringLiteral("--data-dir"), dir.path()});
        QVERIFY(p.waitForFinished(15000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(err.contains("--headless"), err.constData());
        QVERIFY2(err.trimmed().count('\n') == 0, err.constData()); // one line
    }

    void underSystemdItSaysReadyPingsItsWatchdogAndStops()
    {
        // systemd's side of Type=notify: a datagram socket named by NOTIFY_SOCKET.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("notify.sock"));
        DatagramInbox inbox(path);
        QVERIFY(inbox.isBound());
        QStringList said;
        auto receive = [&] {
            said.clear();
            for (const QByteArray &m : inbox.received())
                said << QString::fromUtf8(m);
            return said.join(QLatin1Char('|'));
        };

        const QString d = dir.filePath(QStringLiteral("data"));
        QProcess engine;
        engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NOTIFY_SOCKET"), path);
        env.insert(QStringLiteral("WATCHDOG_USEC"), QStringLiteral("200000"));
        engine.setProcessEnvironment(env);
        engine.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--demo"), QStringLiteral("--data-dir"), d,
                                      QStringLiteral("--plugin-dir"), pluginDir()});
        QVERIFY(engine.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(receive().contains(QStringLiteral("READY=1")), 15000);
        const QString ready = *std::find_if(said.begin(), said.end(), [](const QString &m) { return m.contains(QStringLiteral("READY=1")); });
        QVERIFY2(ready.contains(QRegularExpression(QStringLiteral("STATUS=\\d+ workers, \\d+ running"))), qPrintable(ready));
        // Pings from the event loop, at half the watchdog's period.
        QTRY_VERIFY_WITH_TIMEOUT(receive().count(QStringLiteral("WATCHDOG=1")) >= 3, 10000);
        engine.terminate();
        QVERIFY(engine.waitForFinished(15000));
        QVERIFY2(receive().contains(QStringLiteral("STOPPING=1")), qPrintable(said.join(QLatin1Char('|'))));
        // Without NOTIFY_SOCKET nothing of this happens (every other test here).
    }

    void underSystemdLinesGoToTheJournalWithPriorityAndWorker()
    {
        // journald's side: its native socket, and the stream systemd connects
        // to stderr, named in JOURNAL_STREAM as device:inode.
        QTemporaryDir dir;
        DatagramInbox journal(dir.filePath(QStringLiteral("journal.sock")));
        QVERIFY(journal.isBound());
        const QString errPath = dir.filePath(QStringLiteral("stderr.txt"));
        QFile errFile(errPath);
        QVERIFY(errFile.open(QIODevice::WriteOnly));
        struct stat st {};
        QCOMPARE(::fstat(errFile.handle(), &st), 0);

        const QString d = dir.filePath(QStringLiteral("data"));
        QProcess engine;
        engine.setStandardErrorFile(errPath);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SE_JOURNAL_SOCKET"), dir.filePath(QStringLiteral("journal.sock")));
        env.insert(QStringLiteral("JOURNAL_STREAM"), QStringLiteral("%1:%2").arg(qulonglong(st.st_dev)).arg(qulonglong(st.st_ino)));
        engine.setProcessEnvironment(env);
        engine.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), d, QStringLiteral("--plugin-dir"), pluginDir()});
        QVERIFY(engine.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(controlUp(d), 10000);
        QCOMPARE(ctl(d, {QStringLiteral("create"), QStringLiteral("--id"), QStringLiteral("cam-crash"), QStringLiteral("--name"),
                         QStringLiteral("Crashing cam"), QStringLiteral("--streamer"), QStringLiteral("FakeStreamer"),
                         QStringLiteral("--command"), QStringLiteral("fps=5 crash-after=1")})
                     .exitCode,
                 0);

        // The watchdog's restart: a warning, filed under the worker.
        auto restartEntry = [&]() -> QMultiHash<QByteArray, QByteArray> {
            for (const QByteArray &datagram : journal.received()) {
                const auto fields = journalFields(datagram);
                if (fields.value("WORKER_ID") == "cam-crash" && fields.value("MESSAGE").contains("restart"))
                    return fields;
            }
            return {};
        };
        QTRY_VERIFY_WITH_TIMEOUT(!restartEntry().isEmpty(), 15000);
        const auto restart = restartEntry();
        QCOMPARE(restart.value("PRIORITY"), QByteArray("4"));
        QCOMPARE(restart.value("SYSLOG_IDENTIFIER"), QByteArray("streamengine"));
        QCOMPARE(restart.value("QT_CATEGORY"), QByteArray("se.worker"));
        // Lines about no worker have no WORKER_ID; informational ones are priority 6.
        bool engineInfo = false;
        for (const QByteArray &datagram : journal.received()) {
            const auto fields = journalFields(datagram);
            engineInfo = engineInfo || (fields.value("PRIORITY") == "6" && !fields.contains("WORKER_ID") && fields.value("MESSAGE").contains("running headless"));
        }
        QVERIFY(engineInfo);

        engine.terminate();
        QVERIFY(engine.waitForFinished(15000));
        QCOMPARE(engine.exitCode(), 0);
        // Nothing was written twice: the journal had the lines, stderr did not.
        QFile written(errPath);
        QVERIFY(written.open(QIODevice::ReadOnly));
        const QByteArray err = written.readAll();
        QVERIFY2(!err.contains("cam-crash"), err.constData());
    }

    void onATerminalLinesStayPlainText()
    {
        // JOURNAL_STREAM inherited but stderr redirected elsewhere: plain text, no journal.
        QTemporaryDir dir;
        DatagramInbox journal(dir.filePath(QStringLiteral("journal.sock")));
        const QString d = dir.filePath(QStringLiteral("data"));
        QProcess engine;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SE_JOURNAL_SOCKET"), dir.filePath(QStringLiteral("journal.sock")));
        env.insert(QStringLiteral("JOURNAL_STREAM"), QStringLiteral("1:1"));
        engine.setProcessEnvironment(env);
        engine.start(engineBinary(), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), d, QStringLiteral("--plugin-dir"), pluginDir()});
        QVERIFY(engine.waitForStarted());
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += engine.readAllStandardError()).contains("running headless"), 10000);
        QVERIFY2(!err.startsWith('<'), err.constData());
        engine.terminate();
        QVERIFY(engine.waitForFinished(15000));
        QVERIFY(journal.received().isEmpty());
    }

    void ctlWithoutAnEngineSaysSo()
    {
        QTemporaryDir dir;
        const CtlResult r = ctl(dir.path(), {QStringLiteral("list")});
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains("no engine is running"));
    }
};

QTEST_GUILESS_MAIN(TestEngineProcess)
#include "tst_engineprocess.moc"
