#pragma once
#include <QLoggingCategory>

namespace signalr {
// Category "signalr": QT_LOGGING_RULES="signalr.debug=true" shows the wire.
Q_DECLARE_LOGGING_CATEGORY(lcSignalR)
} // namespace signalr
