// The dashboard on a real engine (real SQLite store, real FakeStreamer
// plugin), driven the way an operator drives it: clicks on the toolbar, the
// tiles and the dialogs. Checks what the tiles show and what the store keeps.
#include "EnginePanel.h"
#include "MainWindow.h"
#include "MetricsChart.h"
#include "CommandDiff.h"
#include "UiTestKit.h"
#include "VersionHistory.h"
#include "WorkerDetail.h"
#include "WorkerTile.h"
#include "WorkerWall.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSlider>
#include <QTabWidget>
#include <QTest>
#include <QTreeWidget>

using namespace se;
using namespace se::ui;

namespace {

// A hub directory as the hub link layer would give it, without SignalR.
class FakeHubs : public HubDirectory {
public:
    QList<Hub> list;
    QStringList added, removed;
    QList<Hub> hubs() const override { return list; }
    Result<> addHub(const QString &url, const QString &) override
    {
        if (!url.startsWith(QStringLiteral("http")))
            return Result<>::failure(QStringLiteral("not an http(s) URL"));
        added << url;
        list.append(Hub{int(list.size()) + 1, url, HubDirectory::LinkState::Connecting, {}, QDateTime::currentDateTimeUtc(), 0, 0});
        Q_EMIT hubsChanged();
        return Result<>::success(QStringLiteral("added"));
    }
    Result<> removeHub(const QString &url) override
    {
        removed << url;
        list.removeIf([&](const Hub &h) { return h.url == url; });
        Q_EMIT hubsChanged();
        return Result<>::success(QStringLiteral("removed"));
    }
};

std::optional<StoredWorker> stored(Engine &engine, const QString &id)
{
    for (const StoredWorker &w : engine.store().workers().value)
        if (w.config.id == id)
            return w;
    return std::nullopt;
}

} // namespace

class TestDashboard : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<MainWindow> m_window;

    QWidget *button(const char *actionName)
    {
        auto *bar = m_window->findChild<QToolBar *>(QStringLiteral("workerToolBar"));
        auto *action = m_window->findChild<QAction *>(QString::fromLatin1(actionName));
        return bar && action ? bar->widgetForAction(action) : nullptr;
    }

    void click(const char *actionName)
    {
        QWidget *b = button(actionName);
        QVERIFY2(b, actionName);
        QVERIFY2(b->isEnabled(), actionName);
        QTest::mouseClick(b, Qt::LeftButton);
    }

    void openWindow()
    {
        m_window = std::make_unique<MainWindow>(*m_engine);
        m_window->resize(1400, 850);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    Worker *workerNamed(const QString &name)
    {
        for (Worker *w : m_engine->workers().workers())
            if (w->config().name == name)
                return w;
        return nullptr;
    }

    QString createFake(const QString &name, const QString &command, bool startNow)
    {
        WorkerConfig c;
        c.name = name;
        c.command = command;
        c.streamerType = QStringLiteral("FakeStreamer");
        c.imageWatchdog.graceTime = Millis(1000);
        c.imageWatchdog.interval = Millis(1000);
        const Result<QString> r = m_engine->workers().create(c, startNow ? WorkerManager::StartNow::IfEnabled : WorkerManager::StartNow::No);
        return r.ok ? r.value : QString();
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QString error;
        m_engine = uitest::openEngine(m_dir->path(), &error);
        QVERIFY2(m_engine, qPrintable(error));
        QVERIFY2(m_engine->factory().hasType(QStringLiteral("FakeStreamer")), "build se_streamer_fake");
        m_engine->boot(); // as the program does: the sampler runs from here
    }

    void cleanup()
    {
        m_window.reset();
        if (m_engine)
            QVERIFY(uitest::shutDown(*m_engine));
        m_engine.reset();
        m_dir.reset();
    }

    // create → start → stop → edit → remove, by clicks, as an operator would.
    void clickThroughAWorkersLife()
    {
        openWindow();
        QVERIFY(m_window->wall()->tiles().isEmpty());

        // Create, in the dialog; not started yet.
        bool dialogSeen = false;
        uitest::onNextModal([&](QWidget *modal) {
            auto *d = qobject_cast<QDialog *>(modal);
            QVERIFY(d);
            dialogSeen = true;
            auto *type = d->findChild<QComboBox *>(QStringLiteral("typeCombo"));
            QVERIFY(type->findText(QStringLiteral("FakeStreamer")) >= 0); // the factory's list
            type->setCurrentIndex(type->findText(QStringLiteral("FakeStreamer")));
            QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("nameEdit")), QStringLiteral("Camera 7"));
            QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("descriptionEdit")), QStringLiteral("the north gate"));
            QTest::keyClicks(d->findChild<QPlainTextEdit *>(QStringLiteral("commandEdit")), QStringLiteral("fps=5 size=320x180"));
            auto *startNow = d->findChild<QCheckBox *>(QStringLiteral("startNowCheck"));
            startNow->setChecked(false);
            auto *interval = d->findChild<QDoubleSpinBox *>(QStringLiteral("intervalSpin"));
            interval->setValue(3.0);
            auto *ok = d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
            QVERIFY(ok->isEnabled());
            QTest::mouseClick(ok, Qt::LeftButton);
        });
        click("actionNew");
        QVERIFY(dialogSeen);

        Worker *w = workerNamed(QStringLiteral("Camera 7"));
        QVERIFY(w);
        const QString id = w->id();
        QTRY_VERIFY(m_window->wall()->tile(id));
        WorkerTile *tile = m_window->wall()->tile(id);
        QCOMPARE(tile->nameText(), QStringLiteral("Camera 7"));
        QCOMPARE(tile->look(), Look::Idle);
        QCOMPARE(tile->stateText(), QStringLiteral("Idle"));
        QVERIFY(!tile->hasPicture());
        auto s = stored(*m_engine, id);
        QVERIFY(s);
        QCOMPARE(s->config.command, QStringLiteral("fps=5 size=320x180"));
        QCOMPARE(s->config.description, QStringLiteral("the north gate"));
        QCOMPARE(s->config.streamerType, QStringLiteral("FakeStreamer"));
        QCOMPARE(s->config.imageWatchdog.interval, Millis(3000));
        QCOMPARE(m_window->selectedWorker(), id); // the new worker is selected

        // Select it on the wall by a click, then Start.
        m_window->selectWorker(QString());
        QVERIFY(!button("actionStart")->isEnabled());
        QTest::mouseClick(tile, Qt::LeftButton, {}, QPoint(20, 20));
        QCOMPARE(m_window->selectedWorker(), id);
        QVERIFY(tile->isSelected());
        QCOMPARE(m_window->detail()->workerId(), id);
        click("actionStart");
        QTRY_COMPARE_WITH_TIMEOUT(tile->look(), Look::Running, 10000);
        QCOMPARE(tile->stateText(), QStringLiteral("Running"));
        // Pictures arrive, are decoded off the main thread and shown.
        QTRY_VERIFY_WITH_TIMEOUT(tile->hasPicture() && tile->shownPictureSequence() >= 2, 10000);
        QVERIFY(tile->shownPictureSequence() <= w->pictureSequence());
        QTRY_VERIFY(tile->ageText().startsWith(QStringLiteral("picture")));
        QVERIFY(!button("actionStart")->isEnabled());

        // Stop.
        click("actionStop");
        QTRY_COMPARE_WITH_TIMEOUT(tile->look(), Look::Idle, 10000);
        QCOMPARE(tile->stateText(), QStringLiteral("Idle"));
        QCOMPARE(tile->statusText(), QStringLiteral("stopped"));
        QCOMPARE(w->state(), WorkerState::Idle);

        // Edit: a new name, command and watchdog interval; the store keeps them with a change log.
        uitest::onNextModal([&](QWidget *modal) {
            auto *d = qobject_cast<QDialog *>(modal);
            QVERIFY(d);
            auto *name = d->findChild<QLineEdit *>(QStringLiteral("nameEdit"));
            QCOMPARE(name->text(), QStringLiteral("Camera 7"));
            name->selectAll();
            QTest::keyClicks(name, QStringLiteral("Camera 7 (east)"));
            auto *command = d->findChild<QPlainTextEdit *>(QStringLiteral("commandEdit"));
            command->selectAll();
            QTest::keyClicks(command, QStringLiteral("fps=2 size=160x90 pattern=gradient"));
            d->findChild<QDoubleSpinBox *>(QStringLiteral("intervalSpin"))->setValue(4.5);
            QTest::mouseClick(d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        });
        click("actionEdit");
        QTRY_COMPARE(tile->nameText(), QStringLiteral("Camera 7 (east)"));
        s = stored(*m_engine, id);
        QCOMPARE(s->config.name, QStringLiteral("Camera 7 (east)"));
        QCOMPARE(s->config.command, QStringLiteral("fps=2 size=160x90 pattern=gradient"));
        QCOMPARE(s->config.imageWatchdog.interval, Millis(4500));
        QCOMPARE(s->config.description, QStringLiteral("the north gate")); // untouched
        QVERIFY(m_engine->workers().changeLog(id).size() >= 4);          // created + 3 fields
        QTRY_VERIFY(m_window->detail()->changeView()->topLevelItemCount() >= 4);
        QVERIFY(m_window->lastMessage().contains(QStringLiteral("changed")));

        // Start again, then remove while it runs: Cancel first, then Yes.
        click("actionStart");
        QTRY_COMPARE_WITH_TIMEOUT(tile->look(), Look::Running, 10000);
        uitest::onNextModal([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            QVERIFY(box->text().contains(QStringLiteral("Camera 7 (east)")));
            QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        });
        click("actionRemove");
        QVERIFY(stored(*m_engine, id));
        QVERIFY(m_window->wall()->tile(id));

        uitest::onNextModal([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        });
        click("actionRemove");
        QVERIFY(!stored(*m_engine, id));
        QVERIFY(!m_engine->workers().worker(id));
        QTRY_VERIFY(!m_window->wall()->tile(id));
        QVERIFY(m_window->wall()->tiles().isEmpty());
        QVERIFY(m_window->selectedWorker().isEmpty());
        QVERIFY(!button("actionRemove")->isEnabled());
    }

    // The dialog refuses what the manager would refuse, before sending.
    void theDialogValidatesBeforeSending()
    {
        openWindow();
        QString problems;
        uitest::onNextModal([&](QWidget *modal) {
            auto *d = qobject_cast<QDialog *>(modal);
            QVERIFY(d);
            auto *ok = d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
            auto *error = d->findChild<QLabel *>(QStringLiteral("errorLabel"));
            auto *type = d->findChild<QComboBox *>(QStringLiteral("typeCombo"));
            type->setCurrentIndex(type->findText(QStringLiteral("FakeStreamer")));
            QVERIFY(!ok->isEnabled()); // empty form
            problems += error->text() + QLatin1Char('|');
            QTest::keyClicks(d->findChild<QLineEdit *>(QStringLiteral("nameEdit")), QStringLiteral("X"));
            QVERIFY(!ok->isEnabled());
            problems += error->text() + QLatin1Char('|');
            QTest::keyClicks(d->findChild<QPlainTextEdit *>(QStringLiteral("commandEdit")), QStringLiteral("fps=5"));
            QVERIFY(ok->isEnabled());
            d->findChild<QDoubleSpinBox *>(QStringLiteral("intervalSpin"))->setValue(0.5);
            QVERIFY(!ok->isEnabled());
            problems += error->text();
            d->reject();
        });
        click("actionNew");
        QCOMPARE(problems, QStringLiteral("Give the worker a name.|The command is empty.|"
                                     "The picture watchdog interval must be from 1 s to 1 day (86400 s); 0.5 s was given."));
        QVERIFY(m_engine->workers().workers().isEmpty());
        QVERIFY(m_engine->store().workers().value.isEmpty());
    }

    // A worker that cannot start turns red and says why; its tile keeps the
    // watchdog count; disable and enable go through the manager.
    void aFailingWorkerIsRedAndExplained()
    {
        RestartPolicySettings quick;
        quick.firstBackoff = Millis(50);
        quick.maxBackoff = Millis(100);
        quick.maxRestartsInWindow = 2;
        quick.holdFor = Millis(60000);
        m_engine->workers().setRestartPolicy(quick);
        openWindow();
        const QString id = createFake(QStringLiteral("Broken"), QStringLiteral("fail-start"), true);
        QVERIFY(!id.isEmpty());
        WorkerTile *tile = m_window->wall()->tile(id);
        QVERIFY(tile);
        QTRY_COMPARE_WITH_TIMEOUT(tile->look(), Look::Trouble, 15000);
        QCOMPARE(tile->stateText(), QStringLiteral("On hold"));
        QVERIFY(!tile->errorText().isEmpty());
        QVERIFY(tile->watchdogCount() >= 2);
        // The worker's own words, kept current (they count seconds).
        QTRY_COMPARE(tile->statusText(), m_engine->workers().worker(id)->statusText());
        QVERIFY(tile->statusText().contains(QStringLiteral("next try")));

        m_window->selectWorker(id);
        QTRY_VERIFY(m_window->detail()->watchdogView()->topLevelItemCount() >= 2);
        click("actionResetWatchdog");
        QTRY_COMPARE(tile->watchdogCount(), 0);
        QCOMPARE(stored(*m_engine, id)->watchdogEventCount, 0);

        click("actionDisable");
        QTRY_VERIFY(tile->stateText().contains(QStringLiteral("disabled")));
        QCOMPARE(stored(*m_engine, id)->config.enabled, false);
        QVERIFY(!button("actionStart")->isEnabled());
        click("actionEnable");
        QCOMPARE(stored(*m_engine, id)->config.enabled, true);
    }

    // The detail: live log with a level filter, watchdog events with their log lines, configuration.
    void theDetailShowsLogsAndWatchdogEvents()
    {
        openWindow();
        const QString id = createFake(QStringLiteral("Staller"), QStringLiteral("fps=5 stall-after=1 log-every=0.2"), true);
        QVERIFY(!id.isEmpty());
        m_window->selectWorker(id);
        WorkerDetail *d = m_window->detail();
        QCOMPARE(d->workerId(), id);
        // The picture watchdog fires (grace 1 s, interval 1 s) and keeps the lines that led to it.
        QTRY_VERIFY_WITH_TIMEOUT(d->watchdogView()->topLevelItemCount() >= 1, 15000);
        QTreeWidgetItem *event = d->watchdogView()->topLevelItem(0);
        QVERIFY(event->childCount() > 0);
        QVERIFY(!event->text(2).isEmpty());
        QTRY_VERIFY(d->logView()->toPlainText().contains(QStringLiteral("Info")));
        const int lines = d->logView()->blockCount();
        d->setMinimumLevel(int(LogLevel::Critical));
        QVERIFY(d->logView()->blockCount() < lines);
        QVERIFY(!d->logView()->toPlainText().contains(QStringLiteral("Info ")));
        d->setMinimumLevel(int(LogLevel::Trace));
        QVERIFY(d->logView()->blockCount() >= lines);
        auto *command = d->findChild<QLabel *>(QStringLiteral("config:Command"));
        QVERIFY(command);
        QCOMPARE(command->text(), QStringLiteral("fps=5 stall-after=1 log-every=0.2"));
    }

    // Issue 15: the Changes tab lists the versions, shows what a version did
    // to the command, and restores one; the edit dialog sets automatic rollback.
    void theChangesTabShowsVersionsADiffAndRestores()
    {
        openWindow();
        const QString id = createFake(QStringLiteral("Gate"), QStringLiteral("fps=5 size=160x90 pattern=bars"), true);
        QVERIFY(!id.isEmpty());
        WorkerManager &m = m_engine->workers();
        WorkerPatch p;
        p.command = QStringLiteral("fps=5 size=320x180 pattern=bars");
        QVERIFY(m.edit(id, p, WorkerManager::Actor{WorkerManager::Origin::Hub, QStringLiteral("hub http://hub.test/streamhub")}).ok);
        m_window->selectWorker(id);
        m_window->detail()->tabs()->setCurrentIndex(1);
        VersionHistory *h = m_window->detail()->versionHistory();
        QTRY_COMPARE(h->versionView()->topLevelItemCount(), 2);
        QCOMPARE(h->selectedVersion(), 2); // the current one
        QCOMPARE(h->versionView()->topLevelItem(0)->text(2), QStringLiteral("hub http://hub.test/streamhub"));
        QCOMPARE(h->versionView()->topLevelItem(0)->text(3), QStringLiteral("command"));
        QVERIFY(h->versionView()->topLevelItem(0)->text(4).contains(QStringLiteral("runs now")));
        QVERIFY(!h->restoreButton()->isEnabled()); // it is what runs
        // Side by side: the old word struck out on the left, the new one marked on the right.
        QVERIFY(h->oldCommandView()->toPlainText().contains(QStringLiteral("size=160x90")));
        QVERIFY(!h->oldCommandView()->toPlainText().contains(QStringLiteral("size=320x180")));
        QVERIFY(h->newCommandView()->toPlainText().contains(QStringLiteral("size=320x180")));
        QVERIFY(h->oldCommandView()->toHtml().contains(QStringLiteral("line-through")));

        // Restore version 1: asked first, then a new version by the dashboard.
        h->selectVersion(1);
        QVERIFY(h->restoreButton()->isEnabled());
        uitest::onNextModal([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            QVERIFY(box->text().contains(QStringLiteral("version 1")));
            QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        });
        h->restoreButton()->click();
        QTRY_COMPARE(h->versionView()->topLevelItemCount(), 3);
        QCOMPARE(m.worker(id)->config().command, QStringLiteral("fps=5 size=160x90 pattern=bars"));
        QCOMPARE(m.versions(id).value.last().actor, QStringLiteral("dashboard (rollback to v1)"));
        QVERIFY2(m_window->lastMessage().contains(QStringLiteral("rolled back to version 1")), qPrintable(m_window->lastMessage()));
        QVERIFY(h->summary()->text().contains(QStringLiteral("version 3")));
        QTRY_COMPARE_WITH_TIMEOUT(m.worker(id)->state(), WorkerState::Running, 10000);

        // The edit dialog: automatic rollback, a setting of the worker's own (no version).
        uitest::onNextModal([](QWidget *modal) {
            auto *d = qobject_cast<QDialog *>(modal);
            QVERIFY(d);
            auto *box = d->findChild<QCheckBox *>(QStringLiteral("autoRollbackCheck"));
            QVERIFY(box);
            QVERIFY(!box->isChecked());
            box->setChecked(true);
            QTest::mouseClick(d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        });
        click("actionEdit");
        QTRY_VERIFY(m.versionState(id).autoRollback);
        QCOMPARE(m.versions(id).value.size(), 3);
        QTRY_VERIFY(h->summary()->text().contains(QStringLiteral("automatic rollback: on")));
        QVERIFY(m_window->lastMessage().contains(QStringLiteral("automatic rollback on")));
    }

    void theCommandDiffMarksChangedWords()
    {
        using K = DiffPiece::Kind;
        const QList<DiffPiece> d = diffWords(QStringLiteral("videotestsrc ! video/x-raw,width=320 ! jpegenc ! fdsink fd=2"),
                                             QStringLiteral("videotestsrc  is-live=true ! video/x-raw,width=640 ! jpegenc ! fdsink fd=2"));
        const QList<DiffPiece> expected{{K::Same, QStringLiteral("videotestsrc")}, {K::Added, QStringLiteral("is-live=true")},
                                        {K::Same, QStringLiteral("!")}, {K::Added, QStringLiteral("video/x-raw,width=640")},
                                        {K::Removed, QStringLiteral("video/x-raw,width=320")}, {K::Same, QStringLiteral("!")},
                                        {K::Same, QStringLiteral("jpegenc")}, {K::Same, QStringLiteral("!")},
                                        {K::Same, QStringLiteral("fdsink")}, {K::Same, QStringLiteral("fd=2")}};
        QCOMPARE(d, expected);
        QVERIFY(diffWords(QString(), QStringLiteral("a b")) == (QList<DiffPiece>{{K::Added, QStringLiteral("a")}, {K::Added, QStringLiteral("b")}}));
        QVERIFY(diffWords(QStringLiteral("same"), QStringLiteral("same")) == (QList<DiffPiece>{{K::Same, QStringLiteral("same")}}));
        // One side shows only its own words; a "!" ends a line; text is escaped.
        const QString left = diffSideHtml(diffWords(QStringLiteral("a ! <b>"), QStringLiteral("a ! c")), true);
        QVERIFY(left.contains(QStringLiteral("&lt;b&gt;")));
        QVERIFY(left.contains(QStringLiteral("!<br>")));
        QVERIFY(!left.contains(QStringLiteral(">c<")));
        // Huge commands do not make a huge table: past the bound the middle is replaced whole.
        QStringList many, other;
        for (int i = 0; i < 3000; ++i) {
            many << QStringLiteral("w%1").arg(i);
            other << QStringLiteral("v%1").arg(i);
        }
        const QList<DiffPiece> big = diffWords(QStringLiteral("x ") + many.join(QLatin1Char(' ')), QStringLiteral("x ") + other.join(QLatin1Char(' ')));
        QCOMPARE(big.size(), 6001);
    }

    // The engine: rename, hubs with their state (add, remove), load chart, log.
    void theEnginePanel()
    {
        FakeHubs hubs;
        hubs.list.append({1, QStringLiteral("http://hub-a:9000/streamhub"), HubDirectory::LinkState::Connected, {}, QDateTime::currentDateTimeUtc(), 0, 0});
        m_engine->setHubDirectory(&hubs);
        openWindow();
        EnginePanel *p = m_window->enginePanel();
        m_window->engineDock()->raise();

        auto *name = p->findChild<QLineEdit *>(QStringLiteral("engineName"));
        name->clear();
        QTest::keyClicks(name, QStringLiteral("Control room 2"));
        auto *desc = p->findChild<QLineEdit *>(QStringLiteral("engineDescription"));
        desc->clear();
        QTest::keyClicks(desc, QStringLiteral("second floor"));
        QTest::mouseClick(p->findChild<QPushButton *>(QStringLiteral("engineSave")), Qt::LeftButton);
        QCOMPARE(m_engine->identity().name, QStringLiteral("Control room 2"));
        QCOMPARE(m_engine->identity().description, QStringLiteral("second floor"));
        QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("Control room 2")));

        QCOMPARE(p->hubView()->topLevelItemCount(), 1);
        QVERIFY(p->hubView()->topLevelItem(0)->text(1).startsWith(QStringLiteral("Connected since")));
        QTest::keyClicks(p->findChild<QLineEdit *>(QStringLiteral("hubUrl")), QStringLiteral("http://hub-b:9000/streamhub"));
        QTest::mouseClick(p->findChild<QPushButton *>(QStringLiteral("hubAdd")), Qt::LeftButton);
        QCOMPARE(hubs.added, QStringList{QStringLiteral("http://hub-b:9000/streamhub")});
        QCOMPARE(p->hubView()->topLevelItemCount(), 2);
        QVERIFY(p->hubView()->topLevelItem(1)->text(1).startsWith(QStringLiteral("Connecting since")));
        // The link reports a new state: the list follows.
        hubs.list[1].state = HubDirectory::LinkState::Connected;
        Q_EMIT hubs.hubsChanged();
        QVERIFY(p->hubView()->topLevelItem(1)->text(1).startsWith(QStringLiteral("Connected since")));
        p->hubView()->setCurrentItem(p->hubView()->topLevelItem(0));
        QTest::mouseClick(p->findChild<QPushButton *>(QStringLiteral("hubRemove")), Qt::LeftButton);
        QCOMPARE(hubs.removed, QStringList{QStringLiteral("http://hub-a:9000/streamhub")});
        QCOMPARE(p->hubView()->topLevelItemCount(), 1);

        const int before = p->chart()->sampleCount();
        m_window->sampler().sampleNow();
        QCOMPARE(p->chart()->sampleCount(), before + 1);
        QCOMPARE(m_window->sampler().interval(), 2000);
        QVERIFY(m_window->sampler().isActive());

        qInfo("an engine log line from the test");
        m_engine->log().append(LogLevel::Warning, QStringLiteral("a line for the panel"));
        QTRY_VERIFY(p->logView()->toPlainText().contains(QStringLiteral("a line for the panel")));
        m_window.reset(); // before `hubs` goes
        m_engine->setHubDirectory(nullptr);
    }

    // Without hub links the panel says so and offers nothing to click.
    void noHubLinkInThisBuild()
    {
        openWindow();
        EnginePanel *p = m_window->enginePanel();
        QVERIFY(p->hubView()->isHidden());
        auto *note = p->findChild<QLabel *>(QStringLiteral("noHubLink"));
        QVERIFY(note && !note->isHidden());
        QVERIFY(note->text().contains(QStringLiteral("no StreamHub link")));
        QVERIFY(!p->findChild<QPushButton *>(QStringLiteral("hubAdd"))->isEnabled());

        // Hub links that come after the window are shown, and their changes too.
        FakeHubs hubs;
        hubs.list.append({1, QStringLiteral("http://late:9000/streamhub"), HubDirectory::LinkState::Connecting, {}, QDateTime::currentDateTimeUtc(), 0, 0});
        m_engine->setHubDirectory(&hubs);
        QVERIFY(!p->hubView()->isHidden());
        QVERIFY(p->findChild<QPushButton *>(QStringLiteral("hubAdd"))->isEnabled());
        QCOMPARE(p->hubView()->topLevelItemCount(), 1);
        QCOMPARE(p->hubView()->topLevelItem(0)->text(0), QStringLiteral("http://late:9000/streamhub"));
        hubs.list.append({2, QStringLiteral("http://later:9000/streamhub"), HubDirectory::LinkState::Connected, {}, QDateTime::currentDateTimeUtc(), 0, 0});
        Q_EMIT hubs.hubsChanged();
        QCOMPARE(p->hubView()->topLevelItemCount(), 2);
        m_engine->setHubDirectory(nullptr);
        QVERIFY(p->hubView()->isHidden());
    }

    // The grid reflows with the width and scrolls when it is taller than the window.
    void theWallReflowsAndScrolls()
    {
        for (int i = 0; i < 12; ++i)
            QVERIFY(!createFake(QStringLiteral("W%1").arg(i), QStringLiteral("fps=1"), false).isEmpty());
        openWindow();
        WorkerWall *wall = m_window->wall();
        QCOMPARE(wall->tiles().size(), 12);
        m_window->resize(1800, 900);
        QTRY_VERIFY(wall->columns() >= 3);
        const int wide = wall->columns();
        const int wideTile = wall->tiles().first()->width();
        m_window->resize(1000, 700);
        QTRY_VERIFY(wall->columns() < wide);
        QVERIFY(wall->tiles().first()->width() > 0);
        // Tiles stay in order, left to right, top to bottom, without overlapping.
        const QList<WorkerTile *> tiles = wall->tiles();
        for (int i = 1; i < tiles.size(); ++i)
            QVERIFY(!tiles[i]->geometry().intersects(tiles[i - 1]->geometry()));
        QVERIFY(tiles.last()->geometry().bottom() > wall->viewport()->height());
        QVERIFY(wall->verticalScrollBar()->maximum() > 0);
        // The tile size slider: larger tiles, fewer columns.
        m_window->resize(1800, 900);
        QTRY_COMPARE(wall->columns(), wide);
        const int before = wall->columns();
        auto *zoom = m_window->findChild<QSlider *>(QStringLiteral("tileSize"));
        QVERIFY(zoom);
        zoom->setValue(zoom->maximum());
        QTRY_COMPARE(wall->columns(), 1);
        QVERIFY(before > 1);
        Q_UNUSED(wideTile);
    }

    // Only tiles in view decode; one scrolled into view catches up with the
    // newest picture; what a tile shows never goes back to an older picture.
    void tilesDecodeOnlyInViewAndOnlyTheNewest()
    {
        QList<QString> ids;
        for (int i = 0; i < 12; ++i)
            ids << createFake(QStringLiteral("V%1").arg(i), QStringLiteral("fps=10 size=320x180"), true);
        openWindow();
        m_window->resize(900, 600);
        WorkerWall *wall = m_window->wall();
        QTRY_VERIFY(wall->columns() <= 2);
        WorkerTile *first = wall->tile(ids.first());
        WorkerTile *last = wall->tile(ids.last());
        QTRY_VERIFY(!last->visibleRegion().isEmpty() || wall->verticalScrollBar()->maximum() > 0);
        QVERIFY(last->visibleRegion().isEmpty());

        int shown = -1;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 1500) { // follow the first tile for a while
            QVERIFY(first->shownPictureSequence() >= shown);
            shown = first->shownPictureSequence();
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        }
        QTRY_VERIFY(first->decodedPictures() >= 3);
        Worker *lastWorker = m_engine->workers().worker(ids.last());
        QTRY_VERIFY(lastWorker->pictureSequence() >= 3);
        QCOMPARE(last->decodedPictures(), 0); // out of view: nothing decoded

        const int newestBeforeScroll = lastWorker->pictureSequence();
        wall->verticalScrollBar()->setValue(wall->verticalScrollBar()->maximum());
        QTRY_VERIFY(!last->visibleRegion().isEmpty());
        QTRY_VERIFY(last->hasPicture());
        // Its first picture is the newest there was, not the first one it missed.
        QVERIFY(last->shownPictureSequence() >= newestBeforeScroll);
    }

    // Closing the window asks the program to stop the engine, and the engine stops.
    void closingTheWindowStopsTheEngine()
    {
        QVERIFY(!createFake(QStringLiteral("Runner"), QStringLiteral("fps=5"), true).isEmpty());
        openWindow();
        QSignalSpy closeSpy(m_window.get(), &MainWindow::closeRequested);
        QSignalSpy finished(m_engine.get(), &Engine::finished);
        connect(m_window.get(), &MainWindow::closeRequested, m_engine.get(), &Engine::shutdown);
        m_window->close();
        QCOMPARE(closeSpy.size(), 1);
        QVERIFY(m_window->isVisible()); // until the workers are stopped
        QVERIFY(finished.wait(15000) || finished.size() == 1);
        QVERIFY(m_engine->workers().allIdle());
        m_window.reset();
        m_engine.reset();
    }
};

QTEST_MAIN(TestDashboard)
#include "tst_dashboard.moc"
