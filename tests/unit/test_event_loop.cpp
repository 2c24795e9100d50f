// The main loop: fd readiness, timers, and callbacks that change the loop.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <sys/epoll.h>
#include <unistd.h>

#include "event_loop.hpp"

using namespace ctd;

class EventLoopTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventLoopTest);
    CPPUNIT_TEST(fd_callback_runs_when_readable);
    CPPUNIT_TEST(unwatch_inside_callback);
    CPPUNIT_TEST(timers_fire_in_deadline_order);
    CPPUNIT_TEST(periodic_timer_repeats);
    CPPUNIT_TEST(disarmed_timer_does_not_fire);
    CPPUNIT_TEST(timer_may_destroy_itself);
    CPPUNIT_TEST(stop_ends_run);
    CPPUNIT_TEST_SUITE_END();

public:
    void fd_callback_runs_when_readable() {
        EventLoop loop;
        int fds[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
        int calls = 0;
        loop.watch(fds[0], EPOLLIN, [&](uint32_t events) {
            CPPUNIT_ASSERT(events & EPOLLIN);
            char c;
            CPPUNIT_ASSERT_EQUAL(ssize_t(1), read(fds[0], &c, 1));
            ++calls;
        });
        loop.run_once(0);
        CPPUNIT_ASSERT_EQUAL(0, calls);
        CPPUNIT_ASSERT_EQUAL(ssize_t(1), write(fds[1], "x", 1));
        loop.run_once(1000);
        CPPUNIT_ASSERT_EQUAL(1, calls);
        close(fds[0]);
        close(fds[1]);
    }

    void unwatch_inside_callback() {
        EventLoop loop;
        int a[2], b[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(a));
        CPPUNIT_ASSERT_EQUAL(0, pipe(b));
        int calls = 0;
        // Whichever runs first removes the other: only one may run.
        loop.watch(a[0], EPOLLIN, [&](uint32_t) { ++calls; loop.unwatch(b[0]); loop.unwatch(a[0]); });
        loop.watch(b[0], EPOLLIN, [&](uint32_t) { ++calls; loop.unwatch(a[0]); loop.unwatch(b[0]); });
        CPPUNIT_ASSERT_EQUAL(ssize_t(1), write(a[1], "x", 1));
        CPPUNIT_ASSERT_EQUAL(ssize_t(1), write(b[1], "x", 1));
        loop.run_once(1000);
        CPPUNIT_ASSERT_EQUAL(1, calls);
        for (int fd : {a[0], a[1], b[0], b[1]})
            close(fd);
    }

    void timers_fire_in_deadline_order() {
        EventLoop loop;
        std::string order;
        LoopTimer late(loop, [&] { order += "L"; });
        LoopTimer early(loop, [&] { order += "E"; });
        late.arm(20000);
        early.arm(5000);
        uint64_t deadline = EventLoop::monotonic_us() + 1000000;
        while (order.size() < 2 && EventLoop::monotonic_us() < deadline)
            loop.run_once(100);
        CPPUNIT_ASSERT_EQUAL(std::string("EL"), order);
        CPPUNIT_ASSERT(!late.armed() && !early.armed());
    }

    void periodic_timer_repeats() {
        EventLoop loop;
        int fired = 0;
        LoopTimer tick(loop, [&] { ++fired; });
        tick.arm(1000, 1000);
        uint64_t deadline = EventLoop::monotonic_us() + 2000000;
        while (fired < 3 && EventLoop::monotonic_us() < deadline)
            loop.run_once(100);
        CPPUNIT_ASSERT(fired >= 3);
        CPPUNIT_ASSERT(tick.armed());
    }

    void disarmed_timer_does_not_fire() {
        EventLoop loop;
        bool fired = false;
        LoopTimer t(loop, [&] { fired = true; });
        t.arm(1000);
        t.disarm();
        usleep(3000);
        loop.run_once(0);
        CPPUNIT_ASSERT(!fired);
    }

    void timer_may_destroy_itself() {
        EventLoop loop;
        auto timer = std::make_unique<LoopTimer>(loop, [] {});
        bool fired = false;
        timer = std::make_unique<LoopTimer>(loop, [&] { fired = true; timer.reset(); });
        timer->arm(0);
        usleep(1000);
        loop.run_once(0);
        CPPUNIT_ASSERT(fired);
        CPPUNIT_ASSERT(!timer);
    }

    void stop_ends_run() {
        EventLoop loop;
        LoopTimer t(loop, [&] { loop.stop(); });
        t.arm(1000);
        loop.run();
        CPPUNIT_ASSERT(loop.stopping());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventLoopTest);
