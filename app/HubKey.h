#pragma once

#include <QString>

class QCommandLineOption;
class QCommandLineParser;

namespace se {

// A StreamHub API key is a secret: it comes from a file or the environment.
// On the command line every local user can read it in the process list, so it
// is still taken there, but with a warning.
inline constexpr char kHubApiKeyVariable[] = "STREAMENGINE_HUB_API_KEY";

struct HubKeyChoice {
    bool ok = true;
    QString key;     // empty: no key
    QString error;   // when !ok; never holds the key
    QString warning; // to tell once; never holds the key
};

// From `fileOption` (the file's first line), else `valueOption` (warned), else
// the STREAMENGINE_HUB_API_KEY environment variable. Both options at once is
// an error.
HubKeyChoice hubApiKey(const QCommandLineParser &parser, const QCommandLineOption &fileOption,
                       const QCommandLineOption &valueOption);

// Overwrites the value of `--name VALUE` or `--name=VALUE` in argv with 'x's,
// so that the process list stops showing it.
void wipeArgumentValue(int argc, char **argv, const char *name);

} // namespace se
