#pragma once

#include "core/metrics/MetricsSampler.h"

#include <QList>
#include <QWidget>

namespace se::ui {

// CPU, memory and network of the last minutes as two small line charts:
// percentages (machine CPU, this process's CPU, memory in use) above, the
// main interface's Mbit/s below. Painted; no chart library.
class MetricsChart : public QWidget {
    Q_OBJECT
public:
    explicit MetricsChart(QWidget *parent = nullptr);

    void setHistory(const QList<EngineMetrics> &history);
    void append(const EngineMetrics &sample);
    int sampleCount() const { return int(m_samples.size()); }
    void setSpanSeconds(int seconds) { m_spanSeconds = seconds; }

    QSize sizeHint() const override { return {420, 220}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<EngineMetrics> m_samples;
    int m_spanSeconds = 300;
};

} // namespace se::ui
