#pragma once

#include "common/Result.h"

#include <QString>

namespace se::fake {

// A FakeStreamer command: `key=value` words and flags, e.g.
//   fps=5 size=320x180 pattern=bars stall-after=8 log-every=2
// See streamers/fake/README.md for every word.
struct FakeCommand {
    double fps = 5.0;
    int width = 160;
    int height = 90;
    QString pattern = QStringLiteral("bars");
    int quality = 60;
    double startDelay = 0;    // s before the first picture
    double failAfter = -1;    // s after the start: failed()
    double crashAfter = -1;   // s: failed() as a crash
    double stallAfter = -1;   // s: pictures stop, the streamer stays alive
    double endAfter = -1;     // s: ended()
    double logEvery = 0;      // s between log lines; 0: none
    double stopDelay = 0;     // s a stop takes
    bool neverStart = false;  // never produces, never reports
    bool failStart = false;   // fails at once

    static Result<FakeCommand> parse(const QString &command);
};

} // namespace se::fake
