#include "Logging.h"

namespace signalr {
Q_LOGGING_CATEGORY(lcSignalR, "signalr", QtInfoMsg)
}
