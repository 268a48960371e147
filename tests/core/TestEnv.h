#pragma once

#include <QString>
#include <QtGlobal>

// Where the build put the engine and its plugins (set by se_add_test).
inline QString buildDir() { return qEnvironmentVariable("SE_BUILD_DIR"); }
inline QString pluginDir() { return buildDir() + QStringLiteral("/plugins"); }
inline QString engineBinary() { return buildDir() + QStringLiteral("/bin/streamengine"); }
