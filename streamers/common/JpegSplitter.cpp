#include "JpegSplitter.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace se::gst {

namespace {

const unsigned char *findFF(const unsigned char *from, qsizetype n)
{
    return static_cast<const unsigned char *>(std::memchr(from, 0xFF, size_t(n)));
}

} // namespace

JpegSplitter::JpegSplitter(qsizetype maxPictureBytes) : m_max(maxPictureBytes) {}

void JpegSplitter::reset()
{
    if (inPicture())
        drop();
    m_state = State::Seek;
}

void JpegSplitter::drop(qsizetype pendingBytes)
{
    ++m_dropped;
    m_skipped += m_buf.size() + pendingBytes;
    m_buf.clear();
    m_overflow = false;
    m_state = State::Seek;
}

void JpegSplitter::rescan(QList<QByteArray> *out)
{
    // The structure broke: this was no picture, or one cut off whose missing
    // part swallowed the start of the next. Look again at what was taken,
    // after its SOI, so that a following picture is not lost with it.
    ++m_dropped;
    if (m_overflow || m_depth >= 8) {
        m_skipped += m_buf.size();
        m_buf.clear();
        m_overflow = false;
        m_state = State::Seek;
        return;
    }
    const QByteArray rest = m_buf.mid(2);
    m_skipped += 2;
    m_buf.clear();
    m_state = State::Seek;
    ++m_depth;
    feed(rest.constData(), rest.size(), out);
    --m_depth;
}

qsizetype JpegSplitter::beginPicture(qsizetype d8)
{
    m_buf.clear();
    m_innerSoi = false;
    m_overflow = false;
    m_state = State::Marker;
    if (d8 > 0)
        return d8 - 1; // its FF is in this chunk too
    m_buf.append(char(0xFF)); // the FF ended the chunk before
    return d8;
}

void JpegSplitter::keep(const char *p, qsizetype n)
{
    if (m_overflow || n <= 0)
        return;
    if (m_buf.size() + n > m_max) {
        // Too large to be a thumbnail: stop keeping it, resynchronise later.
        m_overflow = true;
        return;
    }
    m_buf.append(p, n);
}

// The picture in progress is m_buf followed by data[from, i): bytes are only
// looked at where they lie and copied as whole spans, when the chunk ends, the
// picture ends, or the structure breaks (never one at a time).
void JpegSplitter::feed(const char *data, qsizetype size, QList<QByteArray> *out)
{
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    qsizetype i = 0;
    qsizetype from = 0;
    // The structure broke at i: keep what was taken, look at it again; the
    // byte at i is read again after whatever the rescan left.
    auto broke = [&] {
        keep(data + from, i - from);
        rescan(out);
        from = i;
    };
    while (i < size) {
        switch (m_state) {
        case State::Seek: {
            const unsigned char *ff = findFF(p + i, size - i);
            if (!ff) {
                m_skipped += size - i;
                return;
            }
            const qsizetype at = ff - p;
            m_skipped += at - i;
            i = at + 1;
            m_state = State::SeekFF;
            break;
        }
        case State::SeekFF: {
            const unsigned char b = p[i];
            if (b == 0xD8) {
                from = beginPicture(i);
                ++i;
            } else if (b == 0xFF) {
                ++m_skipped;
                ++i;
            } else {
                ++m_skipped; // the FF before it
                m_state = State::Seek;
            }
            break;
        }
        case State::Marker:
            if (p[i] != 0xFF) {
                broke(); // not a marker where one must be: broken picture
                break;
            }
            ++i;
            m_state = State::MarkerFF;
            break;
        case State::MarkerFF:
        case State::EntropyFF: {
            const unsigned char b = p[i];
            const bool entropy = m_state == State::EntropyFF;
            if (b == 0xFF) { // fill byte
                ++i;
                break;
            }
            if (b == 0xD8) { // a new SOI: the picture before it was cut off
                drop(i > from ? i - 1 - from : 0);
                from = beginPicture(i);
                ++i;
                break;
            }
            if (entropy && (b == 0x00 || (b >= 0xD0 && b <= 0xD7))) {
                ++i;
                m_state = State::Entropy;
                break;
            }
            if (b == 0xD9) { // EOI
                ++i;
                endPicture(data + from, i - from, out);
                break;
            }
            if (b == 0x00 || (!entropy && b >= 0xD0 && b <= 0xD7)) {
                broke(); // no such marker here
                break;
            }
            ++i;
            if (b == 0x01 || (b >= 0xD0 && b <= 0xD7)) { // standalone markers
                m_state = State::Marker;
            } else {
                m_marker = b;
                m_state = State::Len1;
            }
            break;
        }
        case State::Len1:
            m_len = int(p[i]) << 8;
            ++i;
            m_state = State::Len2;
            break;
        case State::Len2:
            m_len |= int(p[i]);
            ++i;
            if (m_len < 2) {
                broke();
                break;
            }
            m_remaining = m_len - 2;
            m_state = m_remaining > 0 ? State::Segment : (m_marker == 0xDA ? State::Entropy : State::Marker);
            break;
        case State::Segment: {
            const qsizetype n = std::min(m_remaining, size - i);
            // Tables and headers never hold an SOI. Application segments and
            // comments may (an EXIF thumbnail), but then whole, up to its EOI;
            // an SOI whose picture does not end inside the segment means the
            // segment's length swallowed the start of the next picture.
            const bool app = (m_marker >= 0xE0 && m_marker <= 0xEF) || m_marker == 0xFE;
            qsizetype brokenAt = -1;
            // FF D8 / FF D9 at k (k in [0, n)): the FF may be the byte before.
            auto marker = [&](qsizetype k) {
                const unsigned char b = p[i + k];
                if (b == 0xD8 && !app) {
                    brokenAt = k;
                    return false;
                }
                if (b == 0xD8)
                    m_innerSoi = true;
                else if (b == 0xD9 && m_innerSoi)
                    m_innerSoi = false; // the embedded picture ended
                return true;
            };
            if (!m_overflow) {
                const bool prevFF = i > from ? p[i - 1] == 0xFF : (!m_buf.isEmpty() && quint8(m_buf.back()) == 0xFF);
                bool go = !prevFF || marker(0);
                for (const unsigned char *ff = findFF(p + i, n); go && ff;) {
                    const qsizetype k = ff - (p + i) + 1;
                    if (k >= n)
                        break;
                    go = marker(k);
                    ff = findFF(p + i + k, n - k);
                }
            }
            if (brokenAt >= 0) {
                i += brokenAt;
                broke();
                break;
            }
            i += n;
            m_remaining -= n;
            if (m_remaining == 0) {
                if (m_innerSoi) {
                    m_innerSoi = false;
                    broke();
                    break;
                }
                // A segment that ends in FF leaves a marker half read; in valid
                // data the next byte is a marker anyway, in a cut-off picture
                // it may be the D8 of the next picture's SOI.
                const bool lastFF = p[i - 1] == 0xFF;
                if (m_marker == 0xDA)
                    m_state = lastFF ? State::EntropyFF : State::Entropy;
                else
                    m_state = lastFF ? State::MarkerFF : State::Marker;
            }
            break;
        }
        case State::Entropy: {
            const unsigned char *ff = findFF(p + i, size - i);
            if (!ff) {
                i = size;
                break;
            }
            i = ff - p + 1;
            m_state = State::EntropyFF;
            break;
        }
        }
    }
    if (inPicture())
        keep(data + from, size - from);
}

void JpegSplitter::endPicture(const char *tail, qsizetype n, QList<QByteArray> *out)
{
    if (m_buf.isEmpty() && !m_overflow && n <= m_max) {
        out->append(QByteArray(tail, n)); // the whole picture in this chunk: one copy
    } else {
        keep(tail, n);
        if (m_overflow)
            return drop();
        out->append(std::exchange(m_buf, {}));
    }
    ++m_pictures;
    m_state = State::Seek;
}

} // namespace se::gst
