#pragma once

#include <QList>
#include <QString>

namespace se::ui {

// One word of a compared command: in both, only in the old one, only in the new one.
struct DiffPiece {
    enum class Kind { Same, Removed, Added };
    Kind kind = Kind::Same;
    QString text;
    friend bool operator==(const DiffPiece &, const DiffPiece &) = default;
};

// The words (split at white space) of `before` and `after`, in order, each
// marked: a longest common subsequence, after the common start and end are
// set aside. Past kMaxCells of comparison the middle is shown as replaced.
QList<DiffPiece> diffWords(const QString &before, const QString &after);
inline constexpr qsizetype kMaxDiffCells = 2'000'000;

// One side of a side-by-side view, as HTML: the old side shows what stayed
// and what went (struck out, red), the new side what stayed and what came
// (green). A pipeline reads one element a line: a "!" ends the line.
QString diffSideHtml(const QList<DiffPiece> &pieces, bool oldSide);

} // namespace se::ui
