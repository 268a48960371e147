#pragma once

// Shared by the dashboard's tests and its screenshot run: a real engine on a
// temporary data folder with the real FakeStreamer plugin.
#include "core/engine/Engine.h"
#include "TestEngine.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDeadlineTimer>
#include <QDialog>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>

#include <functional>
#include <memory>

namespace uitest {

inline std::unique_ptr<se::Engine> openEngine(const QString &dataDir, QString *error)
{
    auto opened = openTestEngine(dataDir);
    if (!opened.ok && error)
        *error = opened.message;
    return std::move(opened.value);
}

inline bool waitFor(const std::function<bool()> &done, int ms = 10000)
{
    QDeadlineTimer deadline(ms);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return true;
}

// Stops every worker and waits until the engine says it is done.
inline bool shutDown(se::Engine &engine, int ms = 15000)
{
    bool finished = false;
    QObject::connect(&engine, &se::Engine::finished, [&finished] { finished = true; });
    engine.shutdown();
    return waitFor([&] { return finished; }, ms);
}

// Runs `act` on the next modal dialog once it is open (from inside its exec()).
inline void onNextModal(std::function<void(QWidget *)> act, int ms = 10000)
{
    auto *timer = new QTimer;
    auto *deadline = new QDeadlineTimer(ms);
    timer->setInterval(10);
    QObject::connect(timer, &QTimer::timeout, [timer, deadline, act] {
        QWidget *modal = QApplication::activeModalWidget();
        if (!modal && !deadline->hasExpired())
            return;
        timer->stop();
        timer->deleteLater();
        delete deadline;
        if (modal)
            act(modal);
    });
    timer->start();
}

} // namespace uitest
