// The screenshot run: the dashboard on a real engine with 16 FakeStreamer
// workers (one of them failing), saved as PNGs for a person to look at:
//   wall.png            the wall, with the selected worker's log beside it
//   detail-watchdog.png the failing worker's watchdog events with their log lines
//   detail-log.png      a running worker's live log and configuration
//   engine.png          the engine panel: identity, load chart, hubs, engine log
//   dialog.png          the create dialog refusing a too short watchdog interval
//   changes-tab.png     a worker's versions after a broken edit the engine rolled
//                       back by itself, with the broken version's command diff
// Usage: se-ui-screenshots <output folder>   (ctest -L screenshots runs it under xvfb-run)
#include "EnginePanel.h"
#include "MainWindow.h"
#include "MetricsChart.h"
#include "UiTestKit.h"
#include "VersionHistory.h"
#include "WorkerDetail.h"
#include "WorkerDialog.h"
#include "WorkerTile.h"
#include "WorkerWall.h"

#ifdef SE_HAVE_HUB
#include "core/control/ControlServer.h"
#include "core/hub/HubLinks.h"
#endif

#include <QDir>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QLoggingCategory>
#include <QTest>
#include <QDockWidget>
#include <QTabWidget>
#include <QTextStream>
#include <QTreeWidget>

using namespace se;
using namespace se::ui;

namespace {
QTextStream out(stdout);

bool save(QWidget *w, const QString &path)
{
    const bool ok = w->grab().save(path);
    out << (ok ? "wrote " : "FAILED to write ") << path << '\n';
    out.flush();
    return ok;
}
} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false")); // as the program does
    const QString outDir = app.arguments().value(1, QDir::currentPath() + QStringLiteral("/screenshots"));
    QDir().mkpath(outDir);
    QTemporaryDir data;
    QString error;
    std::unique_ptr<Engine> engine = uitest::openEngine(data.path(), &error);
    if (!engine) {
        QTextStream(stderr) << error << '\n';
        return 1;
    }
    engine->log().installMessageHandler(); // as the program does: the engine log shows Qt's messages
    RestartPolicySettings quick; // the failing worker reaches its hold within seconds
    quick.firstBackoff = Millis(200);
    quick.maxBackoff = Millis(400);
    quick.maxRestartsInWindow = 3;
    quick.stableAfter = Millis(1500); // a version is good after 1.5 s of Running (60 s in service)
    engine->workers().setRestartPolicy(quick);
    if (const Result<> named = engine->setNameAndDescription(QStringLiteral("Control room 1"), QStringLiteral("screenshot run")); !named.ok)
        qFatal("%s", qPrintable(named.message));

    const char *names[] = {"Studio A", "Studio B", "Studio C", "Gate North", "Gate South", "Lobby", "Parking 1", "Parking 2",
                           "Roof East", "Roof West", "Newsroom", "Loading Dock", "Stage Left", "Stage Right", "Corridor 3", "Remote 9"};
    const char *patterns[] = {"bars", "gradient", "noise", "solid"};
    QString failingId, loggingId;
    for (int i = 0; i < 16; ++i) {
        WorkerConfig c;
        c.name = QString::fromLatin1(names[i]);
        c.streamerType = QStringLiteral("FakeStreamer");
        c.imageWatchdog.graceTime = Millis(2000);
        c.imageWatchdog.interval = Millis(2000);
        if (i == 15) {
            c.description = QStringLiteral("a feed that cannot start");
            c.command = QStringLiteral("fps=5 size=320x180 log-every=0.3 fail-after=0.6");
        } else {
            c.command = QStringLiteral("fps=5 size=320x180 pattern=%1%2")
                            .arg(QString::fromLatin1(patterns[i % 4]), i == 0 ? QStringLiteral(" log-every=0.5") : QString());
        }
        const Result<QString> r = engine->workers().create(c);
        if (!r.ok) {
            QTextStream(stderr) << "cannot create " << c.name << ": " << r.message << '\n';
            return 1;
        }
        if (i == 15) failingId = r.value;
        if (i == 0) loggingId = r.value;
    }

#ifdef SE_HAVE_HUB
    // Two hubs nobody answers at: the panel shows the link trying, and why it fails.
    HubLinks hubs(*engine);
    for (const auto &[url, key] : {std::pair{QStringLiteral("http://127.0.0.1:9/streamhub"), QString()},
                                   std::pair{QStringLiteral("http://streamhub.invalid:9000/streamhub"), QStringLiteral("secret")}}) {
        if (const Result<> added = hubs.addHub(url, key); !added.ok)
            qFatal("%s", qPrintable(added.message));
    }
    hubs.connectAll();
#endif

    engine->boot(); // the sampler, as the program starts it
    MainWindow window(*engine);
    window.resize(1920, 1160);
    window.sampler().setInterval(250); // a chart with some history within the run
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return 1;

    WorkerWall *wall = window.wall();
    const bool settled = uitest::waitFor([&] {
        int running = 0, pictured = 0;
        for (WorkerTile *t : wall->tiles()) {
            running += t->look() == Look::Running;
            pictured += t->hasPicture() || t->visibleRegion().isEmpty();
        }
        WorkerTile *bad = wall->tile(failingId);
        return running == 15 && pictured == 16 && bad && bad->look() == Look::Trouble;
    }, 30000);
    if (!settled)
        out << "warning: the wall did not settle in 30 s (the pictures show how far it got)\n";
    uitest::waitFor([] { return false; }, 1200); // a few more pictures and chart samples

    bool ok = true;
    window.selectWorker(loggingId);
    window.workerDock()->raise();
    uitest::waitFor([] { return false; }, 300);
    ok &= save(&window, outDir + QStringLiteral("/wall.png"));

    window.selectWorker(failingId);
    WorkerDetail *detail = window.detail();
    detail->tabs()->setCurrentIndex(2);
    if (QTreeWidgetItem *first = detail->watchdogView()->topLevelItem(0))
        first->setExpanded(true);
    uitest::waitFor([] { return false; }, 300);
    ok &= save(&window, outDir + QStringLiteral("/detail-watchdog.png"));

    window.selectWorker(loggingId);
    detail->tabs()->setCurrentIndex(0);
    detail->setMinimumLevel(int(LogLevel::Trace));
    uitest::waitFor([] { return false; }, 300);
    ok &= save(window.workerDock(), outDir + QStringLiteral("/detail-log.png"));
    detail->tabs()->setCurrentIndex(3);
    uitest::waitFor([] { return false; }, 100);
    ok &= save(window.workerDock(), outDir + QStringLiteral("/detail-config.png"));

    window.engineDock()->raise();
    uitest::waitFor([] { return false; }, 300);
    ok &= save(&window, outDir + QStringLiteral("/engine.png"));

    {   // The create dialog, with a mistake in it: it says what is wrong before anything is sent.
        QMap<QString, QString> types;
        for (const QString &t : engine->workers().streamerTypes())
            types.insert(t, engine->factory().description(t));
        WorkerDialog dialog(types, std::nullopt, [](const WorkerConfig &, bool) { return Result<QString>::success({}); }, &window);
        dialog.findChild<QLineEdit *>(QStringLiteral("nameEdit"))->setText(QStringLiteral("Gate West"));
        dialog.findChild<QPlainTextEdit *>(QStringLiteral("commandEdit"))->setPlainText(QStringLiteral("fps=5 size=320x180 pattern=bars"));
        dialog.findChild<QDoubleSpinBox *>(QStringLiteral("intervalSpin"))->setValue(0.5);
        dialog.show();
        uitest::waitFor([] { return false; }, 200);
        ok &= save(&dialog, outDir + QStringLiteral("/dialog.png"));
    }

    {   // Versions: made by a hub, then the dashboard; a broken edit from ctl that the engine undid by itself.
        WorkerManager &m = engine->workers();
        using A = WorkerManager::Actor;
        WorkerConfig c;
        c.id = QStringLiteral("gate-west");
        c.name = QStringLiteral("Gate West");
        c.description = QStringLiteral("the west gate, day and night");
        c.streamerType = QStringLiteral("FakeStreamer");
        c.command = QStringLiteral("fps=5 size=320x180 pattern=gradient quality=60 log-every=1");
        c.imageWatchdog.graceTime = Millis(2000);
        c.imageWatchdog.interval = Millis(2000);
        const auto state = [&] { return m.versionState(c.id); };
        bool made = m.create(c, WorkerManager::StartNow::IfEnabled, A{WorkerManager::Origin::Hub, QStringLiteral("hub http://streamhub.local:5000/streamhub")}).ok
            && uitest::waitFor([&] { return state().lastGood == 1; }, 15000);
        WorkerPatch p;
        p.command = QStringLiteral("fps=10 size=320x180 pattern=gradient quality=80 log-every=1");
        p.description = QStringLiteral("the west gate: faster for the night shift");
        made = made && m.edit(c.id, p, A{WorkerManager::Origin::LocalOperator, QStringLiteral("dashboard")}).ok
            && uitest::waitFor([&] { return state().lastGood == 2; }, 15000) && m.setAutoRollback(c.id, true).ok;
        p = {};
        p.command = QStringLiteral("fps=10 size=640x360 patern=gradient quality=80 log-every=1"); // a typo: it never starts
        made = made && m.edit(c.id, p, A{WorkerManager::Origin::LocalOperator, QStringLiteral("ctl")}).ok
            && uitest::waitFor([&] { return state().current == 4 && m.worker(c.id)->state() == WorkerState::Running; }, 20000);
        if (!made)
            out << "warning: the versions of Gate West did not come about as planned (the picture shows how far they got)\n";
        window.workerDock()->raise();
        window.selectWorker(c.id);
        window.resizeDocks({window.workerDock()}, {980}, Qt::Horizontal);
        detail->tabs()->setCurrentIndex(1);
        detail->versionHistory()->selectVersion(3); // the broken edit: what it did to the command
        uitest::waitFor([] { return false; }, 400);
        ok &= save(window.workerDock(), outDir + QStringLiteral("/changes-tab.png"));
    }

    out << "chart samples: " << window.enginePanel()->chart()->sampleCount() << '\n';
    window.hide();
    uitest::shutDown(*engine);
    return ok ? 0 : 1;
}
