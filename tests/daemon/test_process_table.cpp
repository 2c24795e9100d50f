// The child process table: `-s process` lines, exclusive kinds, reaping,
// and the reference's messages and counters for children that crashed.
#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_test_util.hpp"
#include "process_table.hpp"

using namespace ctd;

namespace {

// Forks a child that waits for its pipe to close, then ends as told.
struct Waiting {
    int release_fd = -1;
    pid_t pid = -1;
};

Waiting fork_waiting(ProcessTable &table, ProcessType type, bool exclusive,
                     ProcessTable::ExitCallback on_exit = {}) {
    int gate[2];
    if (pipe(gate) != 0)
        CPPUNIT_FAIL("pipe");
    pid_t pid = table.fork_child(type, exclusive, std::move(on_exit));
    if (pid == 0) {
        // Only our end of our own gate: inherited ends of the other
        // children's gates would keep them from seeing their EOF.
        for (int fd = 3; fd < 1024; ++fd)
            if (fd != gate[0])
                close(fd);
        char c;
        while (read(gate[0], &c, 1) > 0) {
        }
        _exit(0);
    }
    close(gate[0]);
    if (pid < 0) {
        close(gate[1]);
        return Waiting{-1, -1};
    }
    return Waiting{gate[1], pid};
}

// Forks a child that ends with `action` and reaps it through the table.
void run_child(ProcessTable &table, const std::function<void()> &action,
               ProcessTable::ExitCallback on_exit = {}) {
    pid_t pid = table.fork_child(ProcessType::any, false, std::move(on_exit));
    if (pid == 0) {
        rlimit no_core{0, 0};
        setrlimit(RLIMIT_CORE, &no_core); // a crash test must not leave a core file
        action();
        _exit(0);
    }
    CPPUNIT_ASSERT(pid > 0);
    CPPUNIT_ASSERT(daemon_test::eventually([&]() {
        table.reap();
        return table.size() == 0;
    }));
}

} // namespace

class ProcessTableTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ProcessTableTest);
    CPPUNIT_TEST(no_children_no_lines);
    CPPUNIT_TEST(lists_children_newest_first_with_types);
    CPPUNIT_TEST(exclusive_type_refused_while_one_runs);
    CPPUNIT_TEST(exit_callback_gets_status);
    CPPUNIT_TEST(normal_exit_is_not_a_failure);
    CPPUNIT_TEST(segfault_counted_and_logged_as_crash);
    CPPUNIT_TEST(termination_signals_counted_as_termsig);
    CPPUNIT_TEST(other_signal_logged_as_notice);
    CPPUNIT_TEST(child_setup_runs_in_the_child_only);
    CPPUNIT_TEST_SUITE_END();

public:
    void no_children_no_lines() {
        RuntimeCounters counters;
        ProcessTable table(counters);
        CPPUNIT_ASSERT_EQUAL(std::string(), table.format());
        table.reap(); // nothing to reap is not an error
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.wait_failed);
    }

    void lists_children_newest_first_with_types() {
        RuntimeCounters counters;
        ProcessTable table(counters);
        Waiting first = fork_waiting(table, ProcessType::any, false);
        Waiting second = fork_waiting(table, ProcessType::flush, true);
        Waiting third = fork_waiting(table, ProcessType::commit, false);
        CPPUNIT_ASSERT_EQUAL("PID=" + std::to_string(third.pid) + " type=commit\n" +
                                 "PID=" + std::to_string(second.pid) + " type=flush\n" +
                                 "PID=" + std::to_string(first.pid) + " type=any\n",
                             table.format());
        CPPUNIT_ASSERT(table.running(ProcessType::flush));
        close(second.release_fd);
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            table.reap();
            return table.size() == 2;
        }));
        CPPUNIT_ASSERT(!table.running(ProcessType::flush));
        CPPUNIT_ASSERT_EQUAL("PID=" + std::to_string(third.pid) + " type=commit\n" +
                                 "PID=" + std::to_string(first.pid) + " type=any\n",
                             table.format());
        close(first.release_fd);
        close(third.release_fd);
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            table.reap();
            return table.size() == 0;
        }));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.child_process_failed);
    }

    void exclusive_type_refused_while_one_runs() {
        RuntimeCounters counters;
        ProcessTable table(counters);
        Waiting flush = fork_waiting(table, ProcessType::flush, true);
        CPPUNIT_ASSERT(flush.pid > 0);
        errno = 0;
        Waiting refused = fork_waiting(table, ProcessType::flush, true);
        CPPUNIT_ASSERT_EQUAL(pid_t(-1), refused.pid);
        CPPUNIT_ASSERT_EQUAL(EBUSY, errno);
        // Not exclusive: another kind, or the same kind without the flag.
        Waiting any = fork_waiting(table, ProcessType::any, true);
        Waiting another_flush = fork_waiting(table, ProcessType::flush, false);
        CPPUNIT_ASSERT(any.pid > 0 && another_flush.pid > 0);
        CPPUNIT_ASSERT_EQUAL(size_t(3), table.size());
        for (int fd : {flush.release_fd, any.release_fd, another_flush.release_fd})
            close(fd);
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            table.reap();
            return table.size() == 0;
        }));
    }

    void exit_callback_gets_status() {
        RuntimeCounters counters;
        ProcessTable table(counters);
        int seen = -1;
        run_child(table, []() { _exit(7); }, [&](int status) { seen = status; });
        CPPUNIT_ASSERT(WIFEXITED(seen));
        CPPUNIT_ASSERT_EQUAL(7, WEXITSTATUS(seen));
    }

    void normal_exit_is_not_a_failure() {
        daemon_test::CapturedLog log;
        RuntimeCounters counters;
        ProcessTable table(counters);
        run_child(table, []() { _exit(1); });
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.child_process_failed);
        CPPUNIT_ASSERT_EQUAL(std::string(), log.text());
    }

    void segfault_counted_and_logged_as_crash() {
        daemon_test::CapturedLog log;
        RuntimeCounters counters;
        ProcessTable table(counters);
        run_child(table, []() {
            signal(SIGSEGV, SIG_DFL);
            raise(SIGSEGV);
        });
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), counters.child_process_failed);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), counters.child_process_segfault);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.child_process_termsig);
        std::string text = log.text();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("[ERROR] child process (pid=") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find(") has aborted, received signal SIGSEGV (crashed)\n") !=
                                         std::string::npos);
    }

    void termination_signals_counted_as_termsig() {
        daemon_test::CapturedLog log;
        RuntimeCounters counters;
        ProcessTable table(counters);
        pid_t killed = -1;
        run_child(table, []() { raise(SIGKILL); });
        run_child(table, []() {
            signal(SIGTERM, SIG_DFL);
            raise(SIGTERM);
        }, [&](int status) { killed = WTERMSIG(status); });
        CPPUNIT_ASSERT_EQUAL(SIGTERM, killed);
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), counters.child_process_failed);
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), counters.child_process_termsig);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.child_process_segfault);
        std::string text = log.text();
        CPPUNIT_ASSERT_MESSAGE(text, text.find(") has aborted, received termination signal (9)\n") !=
                                         std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find(") has aborted, received termination signal (15)\n") !=
                                         std::string::npos);
    }

    void other_signal_logged_as_notice() {
        daemon_test::CapturedLog log;
        RuntimeCounters counters;
        ProcessTable table(counters);
        run_child(table, []() {
            signal(SIGUSR1, SIG_DFL);
            raise(SIGUSR1);
        });
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), counters.child_process_failed);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.child_process_termsig);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), counters.child_process_segfault);
        std::string text = log.text();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("[notice] child process (pid=") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find(") received signal (10)\n") != std::string::npos);
    }

    void child_setup_runs_in_the_child_only() {
        RuntimeCounters counters;
        ProcessTable table(counters);
        int marker[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(marker));
        bool ran_here = false;
        table.add_child_setup([&]() {
            ran_here = true;
            if (write(marker[1], "k", 1) != 1)
                _exit(3);
        });
        int removed = table.add_child_setup([&]() {
            if (write(marker[1], "r", 1) != 1)
                _exit(3);
        });
        table.remove_child_setup(removed);
        int seen = -1;
        run_child(table, []() { _exit(0); }, [&](int status) { seen = status; });
        close(marker[1]);
        std::string written;
        char c;
        while (read(marker[0], &c, 1) == 1)
            written += c;
        close(marker[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("k"), written);
        CPPUNIT_ASSERT(!ran_here);
        CPPUNIT_ASSERT(WIFEXITED(seen) && WEXITSTATUS(seen) == 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProcessTableTest);
