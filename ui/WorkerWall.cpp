#include "WorkerWall.h"

#include "core/manager/WorkerManager.h"
#include "WorkerTile.h"

#include <QEvent>
#include <QScrollBar>

namespace se::ui {

namespace {
constexpr int kSpacing = 8;
}

WorkerWall::WorkerWall(WorkerManager &manager, QWidget *parent) : QScrollArea(parent), m_manager(manager)
{
    setObjectName(QStringLiteral("workerWall"));
    m_decoders.setObjectName(QStringLiteral("se-ui-decoders"));
    m_decoders.setMaxThreadCount(2);

    QPalette dark = palette();
    dark.setColor(QPalette::Window, QColor(0x20, 0x23, 0x28));
    dark.setColor(QPalette::Base, QColor(0x20, 0x23, 0x28));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::PlaceholderText, QColor(0xa0, 0xa4, 0xaa));
    setPalette(dark);
    setBackgroundRole(QPalette::Window);
    setAutoFillBackground(true);

    m_canvas = new QWidget;
    m_canvas->setObjectName(QStringLiteral("wallCanvas"));
    m_canvas->setAutoFillBackground(true);
    m_canvas->installEventFilter(this);
    setWidget(m_canvas);
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn); // a fixed width: no reflow ping-pong
    verticalScrollBar()->setSingleStep(40);

    for (Worker *w : manager.workers())
        add(w);
    connect(&manager, &WorkerManager::workerAdded, this, &WorkerWall::add);
    connect(&manager, &WorkerManager::workerRemoved, this, [this](const QString &id) { removeTile(id); });
    connect(&manager, &WorkerManager::workerChanged, this, [this](Worker *w) {
        if (WorkerTile *t = m_tiles.value(w->id()))
            t->refresh();
    });
    connect(&manager, &WorkerManager::workerPicture, this, [this](Worker *w) {
        if (WorkerTile *t = m_tiles.value(w->id()))
            t->pictureArrived();
    });
    // Status texts count seconds ("no picture for 7 s"), and pictures age.
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        for (WorkerTile *t : std::as_const(m_order))
            t->refresh();
    });
    m_tick.start();
    // Scrolled into view: tiles that skipped pictures catch up at their paint.
    connect(verticalScrollBar(), &QScrollBar::valueChanged, m_canvas, qOverload<>(&QWidget::update));
}

WorkerWall::~WorkerWall()
{
    m_decoders.clear();
    m_decoders.waitForDone();
}

void WorkerWall::setMinimumTileWidth(int px)
{
    m_minTileWidth = qMax(80, px);
    m_laidOutWidth = -1;
    relayout();
}

void WorkerWall::add(Worker *worker)
{
    if (m_tiles.contains(worker->id()))
        return;
    auto *t = new WorkerTile(worker, &m_decoders, m_canvas);
    m_tiles.insert(worker->id(), t);
    m_order.append(t);
    connect(t, &WorkerTile::clicked, this, [this](WorkerTile *tile) { select(tile->workerId()); });
    connect(t, &WorkerTile::activated, this, [this](WorkerTile *tile) {
        select(tile->workerId());
        Q_EMIT activated(tile->workerId());
    });
    connect(t, &WorkerTile::menuRequested, this, [this](WorkerTile *tile, const QPoint &pos) {
        select(tile->workerId());
        Q_EMIT menuRequested(tile->workerId(), pos);
    });
    t->show();
    m_laidOutWidth = -1;
    relayout();
}

void WorkerWall::removeTile(const QString &id)
{
    WorkerTile *t = m_tiles.take(id);
    if (!t)
        return;
    m_order.removeOne(t);
    t->hide();
    t->deleteLater();
    if (m_selected == id)
        select(QString());
    m_laidOutWidth = -1;
    relayout();
}

void WorkerWall::select(const QString &workerId)
{
    const QString id = m_tiles.contains(workerId) ? workerId : QString();
    if (id == m_selected)
        return;
    if (WorkerTile *old = m_tiles.value(m_selected))
        old->setSelected(false);
    m_selected = id;
    if (WorkerTile *t = m_tiles.value(id)) {
        t->setSelected(true);
        ensureWidgetVisible(t, 0, 0);
    }
    Q_EMIT selectionChanged(id);
}

bool WorkerWall::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_canvas && event->type() == QEvent::Resize)
        relayout();
    return QScrollArea::eventFilter(watched, event);
}

void WorkerWall::relayout()
{
    const int width = m_canvas->width();
    if (width <= 0 || width == m_laidOutWidth)
        return;
    m_laidOutWidth = width;
    const int usable = width - kSpacing;
    m_columns = qMax(1, usable / (m_minTileWidth + kSpacing));
    const int tileW = qMax(40, usable / m_columns - kSpacing);
    const int tileH = (tileW - 12) * 9 / 16 + WorkerTile::textAreaHeight(font()) + 6;
    for (int i = 0; i < m_order.size(); ++i) {
        const int row = i / m_columns, col = i % m_columns;
        m_order[i]->setGeometry(kSpacing + col * (tileW + kSpacing), kSpacing + row * (tileH + kSpacing), tileW, tileH);
    }
    const int rows = (int(m_order.size()) + m_columns - 1) / m_columns;
    m_canvas->setMinimumHeight(kSpacing + rows * (tileH + kSpacing));
}

} // namespace se::ui
