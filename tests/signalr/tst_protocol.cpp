#include <QTest>
class F : public QObject { Q_OBJECT };
QTEST_MAIN(F)
#include "tst_protocol.moc"
