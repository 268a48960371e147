#include "HubKey.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>

#include <cstring>

#include <sys/stat.h>

namespace se {

namespace {
constexpr qint64 kMaxKeyFileBytes = 64 * 1024;

HubKeyChoice fromFile(const QString &path)
{
    HubKeyChoice c;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        c.ok = false;
        c.error = QStringLiteral("cannot read the hub API key file %1: %2").arg(path, f.errorString());
        return c;
    }
    if (f.size() > kMaxKeyFileBytes) {
        c.ok = false;
        c.error = QStringLiteral("the hub API key file %1 is larger than %2 bytes; it should hold the key alone").arg(path).arg(kMaxKeyFileBytes);
        return c;
    }
    const QByteArray content = f.readAll();
    const qsizetype eol = content.indexOf('\n');
    c.key = QString::fromUtf8(eol < 0 ? content : content.left(eol)).trimmed();
    if (c.key.isEmpty()) {
        c.ok = false;
        c.error = QStringLiteral("the hub API key file %1 holds no key").arg(path);
        return c;
    }
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) == 0 && (st.st_mode & 077))
        c.warning = QStringLiteral("the hub API key file %1 can be read by other users (mode 0%2); make it 0600")
                        .arg(path)
                        .arg(uint(st.st_mode & 0777), 3, 8, QLatin1Char('0'));
    return c;
}
} // namespace

HubKeyChoice hubApiKey(const QCommandLineParser &parser, const QCommandLineOption &fileOption, const QCommandLineOption &valueOption)
{
    const QString fileFlag = QStringLiteral("--") + fileOption.names().constFirst();
    const QString valueFlag = QStringLiteral("--") + valueOption.names().constFirst();
    if (parser.isSet(fileOption) && parser.isSet(valueOption)) {
        HubKeyChoice c;
        c.ok = false;
        c.error = QStringLiteral("give the hub API key once: %1 or %2").arg(fileFlag, valueFlag);
        return c;
    }
    if (parser.isSet(fileOption))
        return fromFile(parser.value(fileOption));
    if (parser.isSet(valueOption)) {
        HubKeyChoice c;
        c.key = parser.value(valueOption);
        c.warning = QStringLiteral("%1 on the command line can be read by every local user in the process list; "
                                   "use %2 FILE or the environment variable %3")
                        .arg(valueFlag, fileFlag, QLatin1StringView(kHubApiKeyVariable));
        return c;
    }
    HubKeyChoice c;
    c.key = qEnvironmentVariable(kHubApiKeyVariable).trimmed();
    return c;
}

void wipeArgumentValue(int argc, char **argv, const char *name)
{
    const size_t length = std::strlen(name);
    for (int i = 1; i < argc; ++i) {
        char *a = argv[i];
        if (std::strcmp(a, "--") == 0)
            return;
        if (std::strncmp(a, "--", 2) != 0 || std::strncmp(a + 2, name, length) != 0)
            continue;
        if (a[2 + length] == '=')
            std::memset(a + 3 + length, 'x', std::strlen(a + 3 + length));
        else if (a[2 + length] == '\0' && i + 1 < argc)
            std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
    }
}

} // namespace se
