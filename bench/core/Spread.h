#pragma once

#include <QString>

#include <algorithm>
#include <vector>

// Several runs of one figure: min / median / max.
struct Spread {
    double min = 0, median = 0, max = 0;
};

inline Spread spread(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? Spread{} : Spread{v.front(), v[v.size() / 2], v.back()};
}

inline QString fmt(const Spread &s, int precision)
{
    return QStringLiteral("%1 / %2 / %3").arg(s.min, 0, 'f', precision).arg(s.median, 0, 'f', precision).arg(s.max, 0, 'f', precision);
}
