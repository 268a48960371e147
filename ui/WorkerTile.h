#pragma once

#include "StateStyle.h"
#include "core/worker/Worker.h"

#include <QFutureWatcher>
#include <QImage>
#include <QPointer>
#include <QWidget>

class QThreadPool;

namespace se {
class Worker;
}

namespace se::ui {

// One worker on the wall: its newest picture, name, state colour, watchdog
// count, status, last error and the age of its picture. Painted in one pass;
// pictures are decoded on a thread pool, one at a time per tile, always the
// newest, and only while the tile can be seen.
class WorkerTile : public QWidget {
    Q_OBJECT
public:
    WorkerTile(Worker *worker, QThreadPool *decoders, QWidget *parent = nullptr);
    ~WorkerTile() override;

    Worker *worker() const { return m_worker; }
    QString workerId() const { return m_id; }

    // Re-reads the worker's description (state, status, counts, error).
    void refresh();
    // The worker has a new picture.
    void pictureArrived();

    void setSelected(bool selected);
    bool isSelected() const { return m_selected; }

    // What the tile shows, for tests and accessibility.
    QString nameText() const { return m_name; }
    QString stateText() const { return m_stateText; }
    QString statusText() const { return m_status; }
    QString errorText() const { return m_error; }
    QString ageText() const;
    int watchdogCount() const { return m_watchdogCount; }
    Look look() const { return m_look; }
    int shownPictureSequence() const { return m_shownSequence; }
    int decodedPictures() const { return m_decodedCount; }
    bool hasPicture() const { return !m_image.isNull(); }

    static int textAreaHeight(const QFont &font);

Q_SIGNALS:
    void clicked(se::ui::WorkerTile *tile);
    void activated(se::ui::WorkerTile *tile);
    void menuRequested(se::ui::WorkerTile *tile, const QPoint &globalPos);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Decoded {
        QImage image;
        int sequence = -1;
    };
    static Decoded decode(const QByteArray &jpeg, int sequence, QSize box);
    QRect pictureRect() const;
    void requestDecode();
    void onDecoded();

    QPointer<Worker> m_worker;
    QString m_id;
    QThreadPool *m_decoders;
    QFutureWatcher<Decoded> m_watcher;
    bool m_decoding = false;
    bool m_wantDecode = false; // a newer picture (or size) waits for the running decode
    QImage m_image;
    int m_shownSequence = -1;
    int m_decodedCount = 0;
    QSize m_decodedFor;

    QString m_name;
    QString m_stateText;
    QString m_status;
    QString m_error;
    QDateTime m_lastPictureTime;
    int m_watchdogCount = 0;
    bool m_enabled = true;
    Look m_look = Look::Idle;
    bool m_selected = false;
};

} // namespace se::ui
