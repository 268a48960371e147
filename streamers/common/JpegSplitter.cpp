#include "JpegSplitter.h"

#include <cstring>

namespace se::gst {

JpegSplitter::JpegSplitter(qsizetype maxPictureBytes) : m_max(maxPictureBytes) {}

void JpegSplitter::reset()
{
    if (inPicture())
        drop();
    m_state = State::Seek;
}

void JpegSplitter::drop()
{
    ++m_dropped;
    m_skipped += m_buf.size();
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

void JpegSplitter::beginPicture()
{
    m_buf.clear();
    m_innerSoi = false;
    m_overflow = false;
    m_buf.append(char(0xFF));
    m_buf.append(char(0xD8));
    m_state = State::Marker;
}

void JpegSplitter::append(const char *p, qsizetype n)
{
    if (m_overflow)
        return;
    if (m_buf.size() + n > m_max) {
        // Too large to be a thumbnail: stop keeping it, resynchronise later.
        m_overflow = true;
        return;
    }
    m_buf.append(p, n);
}

void JpegSplitter::feed(const char *data, qsizetype size, QList<QByteArray> *out)
{
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    qsizetype i = 0;
    while (i < size) {
        switch (m_state) {
        case State::Seek: {
            const void *ff = std::memchr(p + i, 0xFF, size_t(size - i));
            if (!ff) {
                m_skipped += size - i;
                return;
            }
            const qsizetype at = static_cast<const unsigned char *>(ff) - p;
            m_skipped += at - i;
            i = at + 1;
            m_state = State::SeekFF;
            break;
        }
        case State::SeekFF: {
            const unsigned char b = p[i];
            if (b == 0xD8) {
                ++i;
                beginPicture();
            } else if (b == 0xFF) {
                ++m_skipped;
                ++i;
            } else {
                ++m_skipped; // the FF before it
                m_state = State::Seek;
            }
            break;
        }
        case State::Marker: {
            if (p[i] != 0xFF) {
                rescan(out); // not a marker where one must be: broken picture
                break;       // this byte is read again
            }
            append(reinterpret_cast<const char *>(p + i), 1);
            ++i;
            m_state = State::MarkerFF;
            break;
        }
        case State::MarkerFF:
        case State::EntropyFF: {
            const unsigned char b = p[i];
            const bool entropy = m_state == State::EntropyFF;
            if (b == 0xFF) { // fill byte
                append(reinterpret_cast<const char *>(p + i), 1);
                ++i;
                break;
            }
            if (b == 0xD8) { // a new SOI: the picture before it was cut off
                drop();
                ++i;
                beginPicture();
                break;
            }
            if (entropy && (b == 0x00 || (b >= 0xD0 && b <= 0xD7))) {
                append(reinterpret_cast<const char *>(p + i), 1);
                ++i;
                m_state = State::Entropy;
                break;
            }
            if (b == 0xD9) { // EOI
                append(reinterpret_cast<const char *>(p + i), 1);
                ++i;
                if (m_overflow) {
                    drop();
                } else {
                    out->append(m_buf);
                    ++m_pictures;
                    m_buf.clear();
                    m_state = State::Seek;
                }
                break;
            }
            if (b == 0x00 || (!entropy && b >= 0xD0 && b <= 0xD7)) {
                rescan(out); // no such marker here
                break;
            }
            append(reinterpret_cast<const char *>(p + i), 1);
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
            append(reinterpret_cast<const char *>(p + i), 1);
            ++i;
            m_state = State::Len2;
            break;
        case State::Len2:
            m_len |= int(p[i]);
            append(reinterpret_cast<const char *>(p + i), 1);
            ++i;
            if (m_len < 2) {
                rescan(out);
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
            bool broken = false;
            qsizetype k = 0;
            if (!m_overflow) {
                for (; k < n; ++k) {
                    const unsigned char b = p[i + k];
                    if (b != 0xD8 && b != 0xD9)
                        continue;
                    const bool afterFF = k > 0 ? p[i + k - 1] == 0xFF
                                               : (!m_buf.isEmpty() && quint8(m_buf.back()) == 0xFF);
                    if (!afterFF)
                        continue;
                    if (b == 0xD8 && !app) {
                        broken = true;
                        break;
                    }
                    if (b == 0xD8)
                        m_innerSoi = true;
                    else if (m_innerSoi)
                        m_innerSoi = false; // the embedded picture ended
                }
            }
            if (broken) {
                append(reinterpret_cast<const char *>(p + i), k);
                i += k;
                rescan(out);
                break;
            }
            append(reinterpret_cast<const char *>(p + i), n);
            i += n;
            m_remaining -= n;
            if (m_remaining == 0) {
                if (m_innerSoi) {
                    m_innerSoi = false;
                    rescan(out);
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
            const void *ff = std::memchr(p + i, 0xFF, size_t(size - i));
            const qsizetype end = ff ? static_cast<const unsigned char *>(ff) - p : size;
            append(reinterpret_cast<const char *>(p + i), end - i);
            i = end;
            if (ff) {
                append(reinterpret_cast<const char *>(p + i), 1);
                ++i;
                m_state = State::EntropyFF;
            }
            break;
        }
        }
    }
}

} // namespace se::gst
