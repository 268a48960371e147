#pragma once

#include "common/Result.h"

#include <QString>
#include <QStringList>

namespace se::gst {

// Splits a command line into arguments the way a POSIX shell would split
// words, without ever running a shell: blanks separate words; '…' is literal;
// "…" keeps blanks and honours \" \\ \$ \` and backslash-newline; a backslash
// outside quotes escapes the next character. Nothing is expanded ($, *, ~ and
// ` stay as they are). Fails on an unterminated quote or a trailing backslash.
Result<QStringList> splitCommandLine(const QString &command);

// Options of gst-launch-1.0 that a StreamHub command may carry before the
// pipeline description.
struct LaunchOptions {
    QStringList gstOptions;  // --gst-debug=…, --gst-debug-level=…, --gst-plugin-path=… (for gst_init)
    bool verbose = false;    // -v
    bool eosOnShutdown = false; // -e
    QStringList ignored;     // other gst-launch flags we accept and ignore (-q, -m, -t, …)
    QStringList pipeline;    // what is left: the pipeline description, one word per element
    QStringList options;     // every option word as given, a separate value joined with '=' (for the pipeline policy)
};

// Whether a --gst-… option takes a value ("--gst-debug 3" as well as
// "--gst-debug=3"); the flags (--gst-debug-no-color, …) do not.
bool gstOptionTakesValue(const QString &option);

// Separates gst-launch-1.0 options from the pipeline description. Fails for
// an option gst-launch-1.0 would not accept (with what was read before it)
// and for an empty pipeline (with the options).
Result<LaunchOptions> parseLaunchOptions(const QStringList &args);

// The numeric default threshold of --gst-debug=… / --gst-debug-level=…
// options (e.g. "3", "*:3", "2,videotestsrc:5" → the highest level named),
// or -1 when none is given.
int debugLevelOf(const QStringList &gstOptions);

} // namespace se::gst
