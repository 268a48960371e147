#pragma once

#include <QByteArray>
#include <QList>

namespace se::gst {

// Cuts a byte stream of concatenated JPEG pictures (what `jpegenc ! fdsink`
// writes) into whole pictures, whatever the chunking of the reads.
//
// It follows the JPEG marker structure rather than looking for the bytes
// FF D9 alone: marker segments are skipped by their length (so an EXIF
// thumbnail inside APP1 does not end the picture early), entropy-coded data is
// scanned for markers with FF 00 stuffing and RSTn honoured, and progressive
// pictures with several scans work. A picture is only ever emitted whole, from
// SOI to EOI; a picture broken off by garbage or by a new SOI is dropped, bytes
// outside pictures are skipped until the next SOI, and a picture larger than
// `maxPictureBytes` is dropped so the buffer stays bounded.
//
// Bytes are scanned where they lie (memchr for FF in entropy-coded data and in
// segments) and copied as whole spans: a picture that lies within one chunk is
// copied once, straight out of it; only a picture cut by the end of a chunk is
// kept in a buffer, one append per chunk.
class JpegSplitter {
public:
    explicit JpegSplitter(qsizetype maxPictureBytes = 8 * 1024 * 1024);

    // Feeds the next bytes; complete pictures are appended to `out`.
    void feed(const char *data, qsizetype size, QList<QByteArray> *out);
    void feed(const QByteArray &bytes, QList<QByteArray> *out) { feed(bytes.constData(), bytes.size(), out); }

    // Forgets a picture in progress (e.g. at the end of a stream).
    void reset();

    bool inPicture() const { return m_state != State::Seek && m_state != State::SeekFF; }
    qint64 skippedBytes() const { return m_skipped; }  // bytes outside any picture
    qint64 droppedPictures() const { return m_dropped; } // broken or oversized pictures
    qint64 pictures() const { return m_pictures; }

private:
    enum class State { Seek, SeekFF, Marker, MarkerFF, Len1, Len2, Segment, Entropy, EntropyFF };
    void drop(qsizetype pendingBytes = 0);
    void rescan(QList<QByteArray> *out);
    qsizetype beginPicture(qsizetype d8); // where the picture starts in the chunk
    void endPicture(const char *tail, qsizetype n, QList<QByteArray> *out);
    void keep(const char *p, qsizetype n);

    qsizetype m_max;
    State m_state = State::Seek;
    QByteArray m_buf;
    quint8 m_marker = 0;
    int m_len = 0;
    qsizetype m_remaining = 0;
    bool m_overflow = false;
    int m_depth = 0;
    bool m_innerSoi = false; // an SOI inside an application segment, not yet ended
    qint64 m_skipped = 0;
    qint64 m_dropped = 0;
    qint64 m_pictures = 0;
};

} // namespace se::gst
