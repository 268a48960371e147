#include "CommandDiff.h"

#include <QRegularExpression>

#include <vector>

namespace se::ui {

QList<DiffPiece> diffWords(const QString &before, const QString &after)
{
    static const QRegularExpression space(QStringLiteral("\\s+"));
    const QStringList a = before.split(space, Qt::SkipEmptyParts);
    const QStringList b = after.split(space, Qt::SkipEmptyParts);
    qsizetype start = 0;
    while (start < a.size() && start < b.size() && a[start] == b[start])
        ++start;
    qsizetype endA = a.size(), endB = b.size();
    while (endA > start && endB > start && a[endA - 1] == b[endB - 1]) {
        --endA;
        --endB;
    }
    QList<DiffPiece> out;
    for (qsizetype i = 0; i < start; ++i)
        out.append({DiffPiece::Kind::Same, a[i]});
    const qsizetype n = endA - start, m = endB - start;
    if (n * m > kMaxDiffCells) {
        for (qsizetype i = start; i < endA; ++i)
            out.append({DiffPiece::Kind::Removed, a[i]});
        for (qsizetype j = start; j < endB; ++j)
            out.append({DiffPiece::Kind::Added, b[j]});
    } else {
        // lcs[i][j]: the longest common subsequence of a[start+i..endA) and b[start+j..endB).
        std::vector<int> lcs(size_t((n + 1) * (m + 1)), 0);
        const auto at = [m](qsizetype i, qsizetype j) { return size_t(i * (m + 1) + j); };
        for (qsizetype i = n - 1; i >= 0; --i)
            for (qsizetype j = m - 1; j >= 0; --j)
                lcs[at(i, j)] = a[start + i] == b[start + j] ? lcs[at(i + 1, j + 1)] + 1
                                                             : std::max(lcs[at(i + 1, j)], lcs[at(i, j + 1)]);
        qsizetype i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[start + i] == b[start + j]) {
                out.append({DiffPiece::Kind::Same, a[start + i]});
                ++i;
                ++j;
            } else if (j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)])) {
                out.append({DiffPiece::Kind::Added, b[start + j]});
                ++j;
            } else {
                out.append({DiffPiece::Kind::Removed, a[start + i]});
                ++i;
            }
        }
    }
    for (qsizetype i = endA; i < a.size(); ++i)
        out.append({DiffPiece::Kind::Same, a[i]});
    return out;
}

QString diffSideHtml(const QList<DiffPiece> &pieces, bool oldSide)
{
    const DiffPiece::Kind mine = oldSide ? DiffPiece::Kind::Removed : DiffPiece::Kind::Added;
    const QString style = oldSide ? QStringLiteral("background-color:#f6c6c6; color:#7a0000; text-decoration:line-through")
                                  : QStringLiteral("background-color:#c4ecc4; color:#004a00; font-weight:bold");
    QString html;
    bool lineStart = true;
    for (const DiffPiece &p : pieces) {
        if (p.kind != DiffPiece::Kind::Same && p.kind != mine)
            continue;
        if (!lineStart)
            html += QLatin1Char(' ');
        const QString text = p.text.toHtmlEscaped();
        html += p.kind == DiffPiece::Kind::Same ? text : QStringLiteral("<span style=\"%1\">%2</span>").arg(style, text);
        lineStart = p.text == QLatin1String("!");
        if (lineStart)
            html += QStringLiteral("<br>");
    }
    return QStringLiteral("<div style=\"white-space:pre-wrap\">%1</div>").arg(html);
}

} // namespace se::ui
