#pragma once

#include <QStringList>

namespace se {

// `streamengine ctl ...`: the headless operator's remote control. Sends one
// request to the running engine's control socket and prints the answer.
int runCtl(const QStringList &arguments);

} // namespace se
