#pragma once

#include <QHash>
#include <QList>
#include <QScrollArea>
#include <QThreadPool>
#include <QTimer>

namespace se {
class Worker;
class WorkerManager;
struct WorkerSnapshot;
}

namespace se::ui {

class WorkerTile;

// The wall: every worker as a tile, in the manager's order, in a grid that
// reflows to the width and scrolls. Follows the manager's signals; decodes
// pictures on its own small thread pool, never on the main thread.
class WorkerWall : public QScrollArea {
    Q_OBJECT
public:
    explicit WorkerWall(WorkerManager &manager, QWidget *parent = nullptr);
    ~WorkerWall() override;

    WorkerTile *tile(const QString &workerId) const { return m_tiles.value(workerId); }
    QList<WorkerTile *> tiles() const { return m_order; }
    int columns() const { return m_columns; }

    QString selectedId() const { return m_selected; }
    void select(const QString &workerId);

    // Smallest tile width before the grid drops a column.
    void setMinimumTileWidth(int px);

Q_SIGNALS:
    void selectionChanged(const QString &workerId);
    void activated(const QString &workerId);
    void menuRequested(const QString &workerId, const QPoint &globalPos);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void add(Worker *worker);
    void removeTile(const QString &id);
    void relayout();

    WorkerManager &m_manager;
    QThreadPool m_decoders;
    QWidget *m_canvas;
    QHash<QString, WorkerTile *> m_tiles;
    QList<WorkerTile *> m_order;
    QString m_selected;
    QTimer m_tick;
    int m_columns = 1;
    int m_minTileWidth = 260;
    int m_laidOutWidth = -1;
};

} // namespace se::ui
