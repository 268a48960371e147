#include "CommandLine.h"

namespace se::gst {

Result<QStringList> splitCommandLine(const QString &command)
{
    QStringList args;
    QString word;
    bool inWord = false;
    const qsizetype n = command.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = command.at(i);
        if (c == QLatin1Char('\'')) {
            inWord = true;
            const qsizetype end = command.indexOf(QLatin1Char('\''), i + 1);
            if (end < 0) {
                return Result<QStringList>::failure(QStringLiteral("unterminated single quote at position %1").arg(i));
            }
            word += command.mid(i + 1, end - i - 1);
            i = end;
        } else if (c == QLatin1Char('"')) {
            inWord = true;
            qsizetype j = i + 1;
            bool closed = false;
            for (; j < n; ++j) {
                const QChar d = command.at(j);
                if (d == QLatin1Char('"')) {
                    closed = true;
                    break;
                }
                if (d == QLatin1Char('\\') && j + 1 < n) {
                    const QChar e = command.at(j + 1);
                    if (e == QLatin1Char('"') || e == QLatin1Char('\\') || e == QLatin1Char('$') || e == QLatin1Char('`')) {
                        word += e;
                        ++j;
                        continue;
                    }
                    if (e == QLatin1Char('\n')) {
                        ++j;
                        continue;
                    }
                }
                word += d;
            }
            if (!closed) {
                return Result<QStringList>::failure(QStringLiteral("unterminated double quote at position %1").arg(i));
            }
            i = j;
        } else if (c == QLatin1Char('\\')) {
            if (i + 1 >= n) {
                return Result<QStringList>::failure(QStringLiteral("trailing backslash"));
            }
            const QChar e = command.at(++i);
            if (e != QLatin1Char('\n')) {
                word += e;
                inWord = true;
            }
        } else if (c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\n') || c == QLatin1Char('\r')) {
            if (inWord) {
                args.append(word);
                word.clear();
                inWord = false;
            }
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        args.append(word);
    return Result<QStringList>::success(args);
}

bool gstOptionTakesValue(const QString &a)
{
    return !a.contains(QLatin1Char('=')) && a != QLatin1String("--gst-debug-no-color")
           && a != QLatin1String("--gst-debug-disable") && a != QLatin1String("--gst-disable-segtrap")
           && a != QLatin1String("--gst-disable-registry-update") && a != QLatin1String("--gst-disable-registry-fork")
           && a != QLatin1String("--gst-debug-help") && a != QLatin1String("--gst-version")
           && a != QLatin1String("--gst-fatal-warnings");
}

Result<LaunchOptions> parseLaunchOptions(const QStringList &args)
{
    LaunchOptions parsed;
    qsizetype i = 0;
    for (; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == QLatin1String("--")) {
            ++i;
            break;
        }
        if (!a.startsWith(QLatin1Char('-')) || a == QLatin1String("-"))
            break;
        if (a.startsWith(QLatin1String("--gst-"))) {
            // --gst-debug=3 or "--gst-debug 3"
            if (gstOptionTakesValue(a) && i + 1 < args.size()) {
                parsed.gstOptions << a + QLatin1Char('=') + args.at(i + 1);
                ++i;
            } else {
                parsed.gstOptions << a;
            }
            parsed.options << parsed.gstOptions.last();
            continue;
        } else if (a == QLatin1String("-v") || a == QLatin1String("--verbose")) {
            parsed.verbose = true;
        } else if (a == QLatin1String("-e") || a == QLatin1String("--eos-on-shutdown")) {
            parsed.eosOnShutdown = true;
        } else if (a == QLatin1String("-q") || a == QLatin1String("--quiet") || a == QLatin1String("-m")
                   || a == QLatin1String("--messages") || a == QLatin1String("-t") || a == QLatin1String("--tags")
                   || a == QLatin1String("-T") || a == QLatin1String("--toc") || a == QLatin1String("-f")
                   || a == QLatin1String("--no-fault") || a == QLatin1String("--no-position")
                   || a == QLatin1String("-i") || a == QLatin1String("--index") || a == QLatin1String("--no-sigusr-handler")) {
            parsed.ignored << a;
        } else if (a.startsWith(QLatin1String("-X")) || a.startsWith(QLatin1String("--exclude"))) {
            parsed.ignored << a;
            if (!a.contains(QLatin1Char('=')) && a.size() <= 2 && i + 1 < args.size()) {
                parsed.ignored << args.at(++i);
                parsed.options << a + QLatin1Char('=') + args.at(i);
                continue;
            }
        } else {
            return {false, QStringLiteral("unknown gst-launch-1.0 option '%1'").arg(a), parsed};
        }
        parsed.options << a;
    }
    parsed.pipeline = args.mid(i);
    if (parsed.pipeline.isEmpty())
        return {false, QStringLiteral("empty pipeline description"), parsed};
    return Result<LaunchOptions>::success(parsed);
}

int debugLevelOf(const QStringList &gstOptions)
{
    int level = -1;
    for (const QString &o : gstOptions) {
        QString value;
        if (o.startsWith(QLatin1String("--gst-debug-level=")))
            value = o.mid(18);
        else if (o.startsWith(QLatin1String("--gst-debug=")))
            value = o.mid(12);
        else
            continue;
        for (const QString &part : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString lv = part.section(QLatin1Char(':'), -1);
            bool ok = false;
            const int v = lv.trimmed().toInt(&ok);
            if (ok)
                level = std::max(level, v);
        }
    }
    return level;
}

} // namespace se::gst
