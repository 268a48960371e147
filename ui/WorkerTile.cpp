#include "WorkerTile.h"

#include "core/worker/Worker.h"

#include <QBuffer>
#include <QContextMenuEvent>
#include <QImageReader>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace se::ui {

namespace {
constexpr int kPad = 6;
constexpr int kBorder = 3;
} // namespace

WorkerTile::WorkerTile(Worker *worker, QThreadPool *decoders, QWidget *parent)
    : QWidget(parent), m_worker(worker), m_id(worker->id()), m_decoders(decoders)
{
    setObjectName(QStringLiteral("tile:") + m_id);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::ClickFocus);
    connect(&m_watcher, &QFutureWatcher<Decoded>::finished, this, &WorkerTile::onDecoded);
    refresh();
    if (worker->pictureSequence() > 0)
        pictureArrived();
}

WorkerTile::~WorkerTile() = default;

int WorkerTile::textAreaHeight(const QFont &font)
{
    const QFontMetrics fm(font);
    return 4 * fm.height() + 2 * kPad;
}

void WorkerTile::refresh()
{
    if (!m_worker)
        return;
    const Worker &w = *m_worker;
    m_name = w.config().name.isEmpty() ? w.id() : w.config().name;
    m_enabled = w.config().enabled;
    m_look = lookOf(w);
    m_stateText = lookLabel(w.state(), w.isOnHold(), !w.lastError().isEmpty());
    if (!m_enabled)
        m_stateText += QStringLiteral(" · disabled");
    m_status = w.statusText();
    m_error = w.lastError();
    m_watchdogCount = w.watchdogEventCount();
    m_lastPictureTime = w.lastPictureTime();
    setToolTip(QStringLiteral("%1\n%2\n%3").arg(m_name, m_status, m_error).trimmed());
    update();
}

QString WorkerTile::ageText() const
{
    if (!m_lastPictureTime.isValid())
        return QStringLiteral("no picture yet");
    const qint64 ms = m_lastPictureTime.msecsTo(QDateTime::currentDateTimeUtc());
    if (ms < 1000)
        return QStringLiteral("picture now");
    const qint64 s = ms / 1000;
    if (s < 120)
        return QStringLiteral("picture %1 s ago").arg(s);
    if (s < 7200)
        return QStringLiteral("picture %1 min ago").arg(s / 60);
    return QStringLiteral("picture %1 h ago").arg(s / 3600);
}

void WorkerTile::setSelected(bool selected)
{
    if (m_selected == selected)
        return;
    m_selected = selected;
    update();
}

QRect WorkerTile::pictureRect() const
{
    const int w = width() - 2 * kPad;
    const int h = qMax(0, height() - textAreaHeight(font()) - kPad);
    return QRect(kPad, kPad, qMax(0, w), h);
}

void WorkerTile::pictureArrived()
{
    if (!m_worker)
        return;
    m_lastPictureTime = m_worker->lastPictureTime();
    // A tile nobody can see does not decode; it catches up when it is shown.
    if (!isVisible() || visibleRegion().isEmpty()) {
        m_wantDecode = true;
        return;
    }
    requestDecode();
}

void WorkerTile::requestDecode()
{
    if (!m_worker)
        return;
    if (m_decoding) { // keep only the newest: decode it when this one is done
        m_wantDecode = true;
        return;
    }
    const int sequence = m_worker->pictureSequence();
    const QSize box = pictureRect().size() * devicePixelRatioF();
    m_wantDecode = false;
    if (sequence <= 0 || box.isEmpty() || (sequence == m_shownSequence && box == m_decodedFor))
        return;
    m_decoding = true;
    m_decodedFor = box;
    m_watcher.setFuture(QtConcurrent::run(m_decoders, &WorkerTile::decode, m_worker->lastPicture(), sequence, box));
}

WorkerTile::Decoded WorkerTile::decode(const QByteArray &jpeg, int sequence, QSize box)
{
    QBuffer buffer;
    buffer.setData(jpeg);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer, "jpeg");
    const QSize full = reader.size();
    if (full.isValid()) {
        const QSize fit = full.scaled(box, Qt::KeepAspectRatio);
        if (fit.width() < full.width())
            reader.setScaledSize(fit); // libjpeg decodes straight to the smaller size
    }
    Decoded d;
    d.image = reader.read();
    if (!d.image.isNull() && d.image.format() != QImage::Format_RGB32)
        d.image = d.image.convertToFormat(QImage::Format_RGB32);
    d.sequence = sequence;
    return d;
}

void WorkerTile::onDecoded()
{
    m_decoding = false;
    const Decoded d = m_watcher.result();
    if (!d.image.isNull() && d.sequence >= m_shownSequence) { // a stale result never replaces a newer one
        m_image = d.image;
        m_image.setDevicePixelRatio(devicePixelRatioF());
        m_shownSequence = d.sequence;
        ++m_decodedCount;
        update(pictureRect());
    }
    if (m_wantDecode && isVisible() && !visibleRegion().isEmpty())
        requestDecode();
}

void WorkerTile::resizeEvent(QResizeEvent *)
{
    if (m_shownSequence > 0)
        m_wantDecode = true; // a sharper picture for the new size, at the next paint
}

void WorkerTile::paintEvent(QPaintEvent *event)
{
    if (m_wantDecode && !m_decoding)
        QMetaObject::invokeMethod(this, &WorkerTile::requestDecode, Qt::QueuedConnection);

    QPainter p(this);
    const QColor bg = palette().color(QPalette::Window).darker(m_selected ? 135 : 115);
    p.fillRect(rect(), palette().color(QPalette::Window));
    const QColor stateColour = colourOf(m_look);
    QPainterPath frame;
    frame.addRoundedRect(QRectF(rect()).adjusted(1.5, 1.5, -1.5, -1.5), 6, 6);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.fillPath(frame, bg);
    p.setPen(QPen(stateColour, m_selected ? kBorder + 2 : kBorder));
    p.drawPath(frame);
    if (m_selected) { // a light ring inside the state colour: which tile the toolbar acts on
        QPainterPath inner;
        inner.addRoundedRect(QRectF(rect()).adjusted(5, 5, -5, -5), 4, 4);
        p.setPen(QPen(QColor(0xf0, 0xf0, 0xf0), 1.5));
        p.drawPath(inner);
    }
    p.setRenderHint(QPainter::Antialiasing, false);

    // The picture, letterboxed.
    const QRect pic = pictureRect();
    if (event->rect().intersects(pic)) {
        p.fillRect(pic, Qt::black);
        if (!m_image.isNull()) {
            const QSize shown = (m_image.size() / m_image.devicePixelRatio()).scaled(pic.size(), Qt::KeepAspectRatio);
            const QRect target(pic.x() + (pic.width() - shown.width()) / 2, pic.y() + (pic.height() - shown.height()) / 2,
                               shown.width(), shown.height());
            p.drawImage(target, m_image);
        } else {
            p.setPen(QColor(0x9a, 0x9a, 0x9a));
            p.drawText(pic, Qt::AlignCenter, QStringLiteral("no picture"));
        }
        // An old picture must not look live: dimmed when the worker is not
        // running, or runs without a new picture for more than 3 s.
        const bool stale = m_look != Look::Running
            || (m_lastPictureTime.isValid() && m_lastPictureTime.msecsTo(QDateTime::currentDateTimeUtc()) > 3000);
        if (stale && !m_image.isNull())
            p.fillRect(pic, QColor(0, 0, 0, 110));
    }

    // The words.
    const QFontMetrics fm(font());
    const int lh = fm.height();
    int y = pic.bottom() + kPad;
    const int x = kPad + 2;
    const int w = width() - 2 * x;

    QFont bold = font();
    bold.setBold(true);
    const QFontMetrics bfm(bold);
    QString badge;
    if (m_watchdogCount > 0)
        badge = QStringLiteral("watchdog %1").arg(m_watchdogCount);
    const int badgeW = badge.isEmpty() ? 0 : fm.horizontalAdvance(badge) + 10;
    p.setFont(bold);
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(x, y, w - badgeW, lh), Qt::AlignLeft | Qt::AlignVCenter, bfm.elidedText(m_name, Qt::ElideRight, w - badgeW));
    p.setFont(font());
    if (!badge.isEmpty()) {
        const QRect b(x + w - badgeW + 4, y + 1, badgeW - 4, lh - 2);
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(Qt::NoPen);
        p.setBrush(m_watchdogCount >= 3 ? colourOf(Look::Trouble) : colourOf(Look::Starting));
        p.drawRoundedRect(b, 4, 4);
        p.setRenderHint(QPainter::Antialiasing, false);
        p.setPen(Qt::white);
        p.drawText(b, Qt::AlignCenter, badge);
    }
    y += lh;

    // State: a dot in its colour, its name, the picture's age.
    const int dot = lh / 2;
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setPen(Qt::NoPen);
    p.setBrush(stateColour);
    p.drawEllipse(QRect(x, y + (lh - dot) / 2, dot, dot));
    p.setRenderHint(QPainter::Antialiasing, false);
    p.setPen(stateColour.lighter(115));
    p.setFont(bold);
    const QString state = m_stateText;
    const int stateW = bfm.horizontalAdvance(state);
    p.drawText(QRect(x + dot + 5, y, stateW + 2, lh), Qt::AlignLeft | Qt::AlignVCenter, state);
    p.setFont(font());
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(QRect(x + dot + 12 + stateW, y, w - dot - 12 - stateW, lh), Qt::AlignRight | Qt::AlignVCenter,
               fm.elidedText(ageText(), Qt::ElideLeft, qMax(0, w - dot - 12 - stateW)));
    y += lh;

    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(x, y, w, lh), Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(m_status, Qt::ElideRight, w));
    y += lh;
    if (!m_error.isEmpty()) {
        p.setPen(colourOf(Look::Trouble).lighter(120));
        p.drawText(QRect(x, y, w, lh), Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(m_error, Qt::ElideRight, w));
    }
}

void WorkerTile::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton || event->button() == Qt::RightButton)
        Q_EMIT clicked(this);
    QWidget::mousePressEvent(event);
}

void WorkerTile::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton)
        Q_EMIT activated(this);
}

void WorkerTile::contextMenuEvent(QContextMenuEvent *event)
{
    Q_EMIT menuRequested(this, event->globalPos());
}

} // namespace se::ui
