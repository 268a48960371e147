#include "MetricsChart.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <functional>

namespace se::ui {

namespace {
const QColor kCpu(0x2e, 0xa0, 0x4a);
const QColor kProcess(0x3d, 0x7c, 0xd6);
const QColor kMemory(0xe8, 0x8a, 0x17);
const QColor kRx(0x8e, 0x5c, 0xd9);
const QColor kTx(0x1f, 0xa8, 0xa8);
} // namespace

MetricsChart::MetricsChart(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("metricsChart"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void MetricsChart::setHistory(const QList<EngineMetrics> &history)
{
    m_samples = history;
    update();
}

void MetricsChart::append(const EngineMetrics &sample)
{
    m_samples.append(sample);
    const QDateTime oldest = sample.measureTimestamp.addSecs(-m_spanSeconds - 10);
    while (!m_samples.isEmpty() && m_samples.first().measureTimestamp < oldest)
        m_samples.removeFirst();
    update();
}

void MetricsChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFontMetrics fm(font());
    const int lh = fm.height();
    const int left = fm.horizontalAdvance(QStringLiteral("100 %")) + 8;
    const int gap = lh * 2 + 6;
    const int plotH = qMax(20, (height() - 2 * gap - 8) / 2);
    const QRect top(left, gap, width() - left - 6, plotH);
    const QRect bottom(left, top.bottom() + gap, width() - left - 6, plotH);

    const QDateTime now = m_samples.isEmpty() ? QDateTime::currentDateTimeUtc() : m_samples.last().measureTimestamp;
    // The x axis covers the data there is, from 20 s up to the full span.
    const double dataSpan = m_samples.isEmpty() ? 0.0 : double(m_samples.first().measureTimestamp.msecsTo(now)) / 1000.0;
    const double span = std::clamp(dataSpan, 20.0, double(m_spanSeconds));
    const auto xOf = [&](const QRect &r, const QDateTime &t) {
        const double age = double(t.msecsTo(now)) / 1000.0;
        return r.right() - age / span * r.width();
    };
    const auto plot = [&](const QRect &r, double max, const QColor &c, const std::function<double(const EngineMetrics &)> &value) {
        QPainterPath path;
        bool first = true;
        for (const EngineMetrics &m : std::as_const(m_samples)) {
            const double x = xOf(r, m.measureTimestamp);
            if (x < r.left())
                continue;
            const double y = r.bottom() - std::clamp(value(m) / max, 0.0, 1.0) * r.height();
            if (first)
                path.moveTo(x, y);
            else
                path.lineTo(x, y);
            first = false;
        }
        p.setPen(QPen(c, 1.6));
        p.drawPath(path);
    };
    const auto frame = [&](const QRect &r, const QString &topLabel) {
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(r);
        for (int i = 1; i < 4; ++i)
            p.drawLine(r.left(), r.top() + r.height() * i / 4, r.right(), r.top() + r.height() * i / 4);
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(QRect(0, r.top() - lh / 2, left - 4, lh), Qt::AlignRight | Qt::AlignVCenter, topLabel);
        p.drawText(QRect(0, r.bottom() - lh / 2, left - 4, lh), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("0"));
    };
    const auto legend = [&](int y, const QList<std::pair<QColor, QString>> &items) {
        int x = left;
        for (const auto &[colour, text] : items) {
            p.fillRect(QRect(x, y + lh / 2 - 3, 12, 6), colour);
            p.setPen(palette().color(QPalette::Text));
            p.drawText(QPoint(x + 16, y + fm.ascent()), text);
            x += 16 + fm.horizontalAdvance(text) + 14;
        }
    };

    const EngineMetrics last = m_samples.isEmpty() ? EngineMetrics{} : m_samples.last();
    const double memPercent = last.totalMemory > 0 ? 100.0 * last.memoryUsage / last.totalMemory : 0.0;
    p.setRenderHint(QPainter::Antialiasing, false);
    frame(top, QStringLiteral("100 %"));
    legend(2, {{kCpu, QStringLiteral("CPU %1 %").arg(last.cpuUsage, 0, 'f', 0)},
               {kProcess, QStringLiteral("engine %1 %").arg(last.currentProcessCpuUsage, 0, 'f', 1)},
               {kMemory, QStringLiteral("memory %1 % (%2 of %3 GB)")
                             .arg(memPercent, 0, 'f', 0)
                             .arg(last.memoryUsage / 1024.0, 0, 'f', 1)
                             .arg(last.totalMemory / 1024.0, 0, 'f', 1)}});
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(QPoint(left, 2 + lh + fm.ascent()),
               QStringLiteral("engine memory %1 MB · %2 cores · last %3")
                   .arg(last.currentProcessMemoryUsage, 0, 'f', 0)
                   .arg(last.perCoreCpuUsage.size())
                   .arg(span >= 90 ? QStringLiteral("%1 min").arg(qRound(span / 60)) : QStringLiteral("%1 s").arg(qRound(span))));

    double netMax = 1.0;
    for (const EngineMetrics &m : std::as_const(m_samples))
        netMax = std::max({netMax, m.rxMbps, m.txMbps});
    // A round scale: 1, 2, 5, 10, 20, 50...
    double scale = 1.0;
    while (scale < netMax)
        scale *= (QString::number(scale).startsWith(QLatin1Char('2')) ? 2.5 : 2.0);
    frame(bottom, QString::number(scale));
    const QString iface = last.networkInterfaceName.isEmpty() ? QStringLiteral("no interface") : last.networkInterfaceName;
    const QString link = last.linkSpeedGbps > 0 ? QStringLiteral("%1 Gbit/s link").arg(last.linkSpeedGbps) : QStringLiteral("link speed unknown");
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(QPoint(left, top.bottom() + 2 + lh + fm.ascent()), QStringLiteral("%1 · %2 · Mbit/s").arg(iface, link));
    legend(top.bottom() + 2, {{kRx, QStringLiteral("in %1").arg(last.rxMbps, 0, 'f', 2)},
                              {kTx, QStringLiteral("out %1").arg(last.txMbps, 0, 'f', 2)}});

    p.setRenderHint(QPainter::Antialiasing, true);
    p.setClipRect(top.adjusted(0, -2, 1, 2));
    plot(top, 100.0, kMemory, [](const EngineMetrics &m) { return m.totalMemory > 0 ? 100.0 * m.memoryUsage / m.totalMemory : 0.0; });
    plot(top, 100.0, kCpu, [](const EngineMetrics &m) { return m.cpuUsage; });
    plot(top, 100.0, kProcess, [](const EngineMetrics &m) { return m.currentProcessCpuUsage; });
    p.setClipRect(bottom.adjusted(0, -2, 1, 2));
    plot(bottom, scale, kRx, [](const EngineMetrics &m) { return m.rxMbps; });
    plot(bottom, scale, kTx, [](const EngineMetrics &m) { return m.txMbps; });
}

} // namespace se::ui
