#pragma once
// QVERIFY for an se::Result: it must be ok, and when it is not the test says why.
#include <QtTest>

#define QVERIFY_OK(expression)                                                                                                             \
    do {                                                                                                                                   \
        const auto &result_ = (expression);                                                                                                \
        QVERIFY2(result_.ok, qPrintable(result_.message));                                                                                 \
    } while (false)
