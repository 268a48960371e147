#include "FakeCommand.h"

#include <QRegularExpression>
#include <QStringList>

namespace se::fake {

Result<FakeCommand> FakeCommand::parse(const QString &command)
{
    FakeCommand c;
    auto fail = [](const QString &why) { return Result<FakeCommand>::failure(QStringLiteral("FakeStreamer command: %1").arg(why)); };
    const QStringList words = command.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    for (const QString &word : words) {
        const qsizetype eq = word.indexOf(QLatin1Char('='));
        const QString key = eq < 0 ? word : word.left(eq);
        const QString value = eq < 0 ? QString() : word.mid(eq + 1);
        auto number = [&](double &out, double min, double max) {
            bool ok = false;
            const double v = value.toDouble(&ok);
            if (!ok || v < min || v > max)
                return false;
            out = v;
            return true;
        };
        bool ok = true;
        if (key == QLatin1String("fps")) ok = number(c.fps, 0.1, 120);
        else if (key == QLatin1String("start-delay")) ok = number(c.startDelay, 0, 3600);
        else if (key == QLatin1String("fail-after")) ok = number(c.failAfter, 0, 1e6);
        else if (key == QLatin1String("crash-after")) ok = number(c.crashAfter, 0, 1e6);
        else if (key == QLatin1String("stall-after")) ok = number(c.stallAfter, 0, 1e6);
        else if (key == QLatin1String("end-after")) ok = number(c.endAfter, 0, 1e6);
        else if (key == QLatin1String("log-every")) ok = number(c.logEvery, 0.01, 3600);
        else if (key == QLatin1String("stop-delay")) ok = number(c.stopDelay, 0, 3600);
        else if (key == QLatin1String("quality")) {
            double q = 0;
            ok = number(q, 1, 100);
            c.quality = int(q);
        } else if (key == QLatin1String("size")) {
            const QStringList wh = value.split(QLatin1Char('x'));
            ok = wh.size() == 2;
            if (ok) {
                c.width = wh[0].toInt(&ok);
                if (ok) c.height = wh[1].toInt(&ok);
                ok = ok && c.width >= 16 && c.height >= 16 && c.width <= 1920 && c.height <= 1080;
            }
        } else if (key == QLatin1String("pattern")) {
            ok = value == QLatin1String("bars") || value == QLatin1String("gradient") || value == QLatin1String("noise")
                || value == QLatin1String("solid");
            c.pattern = value;
        } else if (key == QLatin1String("never-start") && eq < 0) c.neverStart = true;
        else if (key == QLatin1String("fail-start") && eq < 0) c.failStart = true;
        else
            return fail(QStringLiteral("unknown word '%1'").arg(word));
        if (!ok)
            return fail(QStringLiteral("bad value in '%1'").arg(word));
    }
    return Result<FakeCommand>::success(c);
}

} // namespace se::fake
