// Signals as loop events, and what a forked child gets back.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_test_util.hpp"
#include "signals.hpp"

using namespace ctd;

namespace {

bool blocked(int signal) {
    sigset_t set;
    sigprocmask(SIG_BLOCK, nullptr, &set);
    return sigismember(&set, signal) == 1;
}

} // namespace

class SignalsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SignalsTest);
    CPPUNIT_TEST(signal_arrives_as_loop_event);
    CPPUNIT_TEST(mask_restored_on_destruction);
    CPPUNIT_TEST(child_gets_default_signals_back);
    CPPUNIT_TEST(sigpipe_becomes_epipe);
    CPPUNIT_TEST_SUITE_END();

public:
    void signal_arrives_as_loop_event() {
        EventLoop loop;
        std::vector<uint32_t> seen;
        SignalWatcher watcher(loop, {SIGUSR1, SIGUSR2},
                              [&](const signalfd_siginfo &info) { seen.push_back(info.ssi_signo); });
        raise(SIGUSR2);
        raise(SIGUSR1);
        loop.run_once(1000);
        CPPUNIT_ASSERT_EQUAL(size_t(2), seen.size());
        CPPUNIT_ASSERT(std::find(seen.begin(), seen.end(), uint32_t(SIGUSR1)) != seen.end());
        CPPUNIT_ASSERT(std::find(seen.begin(), seen.end(), uint32_t(SIGUSR2)) != seen.end());
    }

    void mask_restored_on_destruction() {
        CPPUNIT_ASSERT(!blocked(SIGUSR1));
        {
            EventLoop loop;
            SignalWatcher watcher(loop, {SIGUSR1}, [](const signalfd_siginfo &) {});
            CPPUNIT_ASSERT(blocked(SIGUSR1));
        }
        CPPUNIT_ASSERT(!blocked(SIGUSR1));
    }

    void child_gets_default_signals_back() {
        // A daemon's child must die of SIGTERM (the reference's do not).
        EventLoop loop;
        SignalWatcher watcher(loop, {SIGTERM}, [](const signalfd_siginfo &) {});
        pid_t child = fork();
        if (child == 0) {
            watcher.restore_in_child();
            kill(getpid(), SIGTERM);
            _exit(0);
        }
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(child, status));
        CPPUNIT_ASSERT(WIFSIGNALED(status));
        CPPUNIT_ASSERT_EQUAL(SIGTERM, WTERMSIG(status));
        CPPUNIT_ASSERT(blocked(SIGTERM)); // the parent's watcher still has it
    }

    void sigpipe_becomes_epipe() {
        pid_t child = fork();
        if (child == 0) {
            ignore_sigpipe();
            int fds[2];
            if (pipe(fds) != 0)
                _exit(2);
            close(fds[0]);
            _exit(write(fds[1], "x", 1) < 0 && errno == EPIPE ? 0 : 1);
        }
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(child, status));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SignalsTest);
