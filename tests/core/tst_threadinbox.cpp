// ThreadInbox: calls posted from other threads run on the inbox's thread, in
// order, and those still pending when it goes are dropped with their captures.
// The suite is in the TSan set (./dev sanitize tsan): the hand-over it checks
// is the one a queued functor made invisible to ThreadSanitizer.
#include "core/streamer/ThreadInbox.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace se;

class TestThreadInbox : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void callsFromManyThreadsRunOnTheInboxThreadInTheirOrder()
    {
        constexpr int kThreads = 4;
        constexpr int kCalls = 2000;
        ThreadInbox inbox;
        std::vector<std::vector<int>> seen(kThreads);
        int offThread = 0;
        int ran = 0;
        std::vector<std::thread> posters;
        for (int t = 0; t < kThreads; ++t)
            posters.emplace_back([&, t] {
                for (int i = 0; i < kCalls; ++i) {
                    // Each call carries data built on the poster's thread.
                    auto payload = std::make_shared<std::vector<int>>(8, i);
                    inbox.post([&, t, payload] {
                        if (QThread::currentThread() != inbox.thread())
                            ++offThread;
                        seen[t].push_back(payload->back());
                        ++ran;
                    });
                }
            });
        // The receiving thread keeps turning its loop meanwhile: the moment a
        // call can be taken before the dispatcher's wake-up is.
        QTRY_COMPARE_WITH_TIMEOUT(ran, kThreads * kCalls, 30000);
        for (auto &p : posters)
            p.join();
        QCOMPARE(offThread, 0);
        for (int t = 0; t < kThreads; ++t) {
            QCOMPARE(int(seen[t].size()), kCalls);
            for (int i = 0; i < kCalls; ++i)
                QCOMPARE(seen[t][i], i);
        }
    }

    void callsPendingWhenTheInboxGoesAreDroppedWithTheirCaptures()
    {
        auto inbox = std::make_unique<ThreadInbox>();
        auto token = std::make_shared<int>(7);
        std::weak_ptr<int> watch = token;
        std::atomic<int> ran{0};
        std::thread poster([&, t = std::move(token)]() mutable {
            for (int i = 0; i < 100; ++i)
                inbox->post([t, &ran] { ran += *t; });
            t.reset();
        });
        poster.join();
        QVERIFY(!watch.expired()); // held by the pending calls
        inbox.reset();
        QVERIFY(watch.expired());
        QCoreApplication::processEvents();
        QCOMPARE(ran.load(), 0);
    }

    void aCallMayPostAnother()
    {
        ThreadInbox inbox;
        QStringList order;
        std::thread poster([&] {
            inbox.post([&] {
                order << QStringLiteral("first");
                inbox.post([&] { order << QStringLiteral("second"); });
            });
        });
        poster.join();
        QTRY_COMPARE(order, (QStringList{QStringLiteral("first"), QStringLiteral("second")}));
    }
};

QTEST_GUILESS_MAIN(TestThreadInbox)
#include "tst_threadinbox.moc"
