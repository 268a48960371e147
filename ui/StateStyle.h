#pragma once

#include "core/worker/WorkerConfig.h"

#include <QColor>
#include <QString>

namespace se {
class Worker;
}

namespace se::ui {

// How a worker looks on the wall: one colour an operator reads from across the room.
enum class Look {
    Running,  // green
    Starting, // amber: Starting or Restarting
    Stopping, // grey-blue
    Idle,     // grey: stopped on purpose, no error
    Trouble,  // red: stopped with an error, or on hold after too many restarts
};

Look lookOf(WorkerState state, bool onHold, bool hasError);
Look lookOf(const Worker &worker);
QColor colourOf(Look look);
// "Running", "Starting", ..., "On hold", "Failed".
QString lookLabel(WorkerState state, bool onHold, bool hasError);
QString levelLabel(int level);

} // namespace se::ui
