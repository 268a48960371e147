#pragma once

#include <QImage>
#include <QString>

namespace se::fake {

// A 5x7 bitmap font drawn straight into pixels: the fake streamer needs text
// without a QGuiApplication (the engine runs headless) and at hundreds of
// pictures a second.
void drawText(QImage &image, int x, int y, const QString &text, int scale, QRgb colour);
int textWidth(const QString &text, int scale);

} // namespace se::fake
