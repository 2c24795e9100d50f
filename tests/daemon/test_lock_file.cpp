// The lock file: one daemon per file, the reference's refusal, and a file
// left by a dead daemon taken over instead of blocking every restart.
#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_test_util.hpp"
#include "lock_file.hpp"

using namespace ctd;
using daemon_test::read_file;

namespace {

// A child process that takes the lock, reports it on a pipe, and waits to
// be killed (or exits at once when `exit_at_once`).
pid_t child_holding_lock(const std::string &path, bool exit_at_once) {
    int report[2];
    if (pipe(report) != 0)
        CPPUNIT_FAIL("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        char answer = lock ? 'y' : 'n';
        if (write(report[1], &answer, 1) != 1)
            _exit(2);
        if (exit_at_once)
            _exit(0); // no destructor: the file stays, as after a crash
        for (;;)
            pause();
    }
    close(report[1]);
    char answer = 0;
    ssize_t n = read(report[0], &answer, 1);
    close(report[0]);
    if (n != 1 || answer != 'y') {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        CPPUNIT_FAIL("the child could not take the lock");
    }
    return pid;
}

std::string refused(const std::string &path) {
    return "lockfile `" + path + "' exists, perhaps conntrackd already running?";
}

} // namespace

class LockFileTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LockFileTest);
    CPPUNIT_TEST(creates_file_0600_with_pid);
    CPPUNIT_TEST(second_instance_refused_with_reference_message);
    CPPUNIT_TEST(release_removes_file_and_frees_lock);
    CPPUNIT_TEST(live_holder_in_other_process_refuses);
    CPPUNIT_TEST(stale_lock_of_sigkilled_process_taken_over);
    CPPUNIT_TEST(stale_lock_of_unreaped_process_taken_over);
    CPPUNIT_TEST(empty_file_refused_with_hint);
    CPPUNIT_TEST(foreign_text_refused);
    CPPUNIT_TEST(missing_directory_explained);
    CPPUNIT_TEST(release_spares_a_file_that_is_not_ours);
    CPPUNIT_TEST(closing_a_copy_in_a_child_keeps_the_lock);
    CPPUNIT_TEST_SUITE_END();

public:
    void creates_file_0600_with_pid() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        mode_t previous = umask(0); // the file's mode must not depend on it
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        umask(previous);
        CPPUNIT_ASSERT(lock);
        CPPUNIT_ASSERT(outcome.errors.empty());
        CPPUNIT_ASSERT(outcome.warnings.empty());
        struct stat st;
        CPPUNIT_ASSERT_EQUAL(0, stat(path.c_str(), &st));
        CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(st.st_mode & 07777));
        CPPUNIT_ASSERT_EQUAL(std::to_string(getpid()) + "\n", read_file(path));
    }

    void second_instance_refused_with_reference_message() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        LockFile::Outcome first, second;
        std::optional<LockFile> lock = LockFile::acquire(path, first);
        CPPUNIT_ASSERT(lock);
        std::optional<LockFile> again = LockFile::acquire(path, second);
        CPPUNIT_ASSERT(!again);
        CPPUNIT_ASSERT_EQUAL(size_t(1), second.errors.size());
        CPPUNIT_ASSERT_EQUAL(refused(path), second.errors[0]);
        // The refusal touched nothing.
        CPPUNIT_ASSERT_EQUAL(std::to_string(getpid()) + "\n", read_file(path));
    }

    void release_removes_file_and_frees_lock() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        CPPUNIT_ASSERT(lock);
        lock->release();
        CPPUNIT_ASSERT(access(path.c_str(), F_OK) != 0);
        lock.reset();
        std::optional<LockFile> again = LockFile::acquire(path, outcome);
        CPPUNIT_ASSERT(again);
        CPPUNIT_ASSERT(outcome.warnings.empty());
    }

    void live_holder_in_other_process_refuses() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        pid_t holder = child_holding_lock(path, false);
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        kill(holder, SIGKILL);
        waitpid(holder, nullptr, 0);
        CPPUNIT_ASSERT(!lock);
        CPPUNIT_ASSERT_EQUAL(refused(path), outcome.errors.at(0));
    }

    void stale_lock_of_sigkilled_process_taken_over() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        pid_t holder = child_holding_lock(path, false);
        kill(holder, SIGKILL);
        waitpid(holder, nullptr, 0);
        CPPUNIT_ASSERT_EQUAL(std::to_string(holder) + "\n", read_file(path));

        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        CPPUNIT_ASSERT(lock);
        CPPUNIT_ASSERT(outcome.errors.empty());
        CPPUNIT_ASSERT_EQUAL(holder, outcome.stale_pid);
        CPPUNIT_ASSERT_EQUAL(size_t(1), outcome.warnings.size());
        CPPUNIT_ASSERT_EQUAL("lockfile `" + path + "' is stale: the conntrackd that created it (pid " +
                                 std::to_string(holder) + ") is no longer running; taking it over",
                             outcome.warnings[0]);
        CPPUNIT_ASSERT_EQUAL(std::to_string(getpid()) + "\n", read_file(path));
        // And it is really held now.
        LockFile::Outcome second;
        CPPUNIT_ASSERT(!LockFile::acquire(path, second));
    }

    void stale_lock_of_unreaped_process_taken_over() {
        // A zombie still answers kill(pid, 0), but holds no lock.
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        pid_t holder = child_holding_lock(path, true);
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            return read_file("/proc/" + std::to_string(holder) + "/stat").find(") Z ") !=
                   std::string::npos;
        }));
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        waitpid(holder, nullptr, 0);
        CPPUNIT_ASSERT(lock);
        CPPUNIT_ASSERT_EQUAL(holder, outcome.stale_pid);
        CPPUNIT_ASSERT(outcome.warnings.at(0).find("is no longer running") != std::string::npos);
    }

    void empty_file_refused_with_hint() {
        // What the reference leaves: an empty file and no flock.
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        close(open(path.c_str(), O_CREAT | O_WRONLY, 0600));
        LockFile::Outcome outcome;
        CPPUNIT_ASSERT(!LockFile::acquire(path, outcome));
        CPPUNIT_ASSERT_EQUAL(size_t(2), outcome.errors.size());
        CPPUNIT_ASSERT_EQUAL(refused(path), outcome.errors[0]);
        CPPUNIT_ASSERT_EQUAL("the lockfile holds no process id (it was not written by this "
                             "conntrackd): if no conntrackd is running, remove `" +
                                 path + "' and start again",
                             outcome.errors[1]);
        CPPUNIT_ASSERT(access(path.c_str(), F_OK) == 0);
    }

    void foreign_text_refused() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        std::ofstream(path) << "12abc\n";
        LockFile::Outcome outcome;
        CPPUNIT_ASSERT(!LockFile::acquire(path, outcome));
        CPPUNIT_ASSERT_EQUAL(refused(path), outcome.errors.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("12abc\n"), read_file(path));
    }

    void missing_directory_explained() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/no/such/dir/lock";
        LockFile::Outcome outcome;
        CPPUNIT_ASSERT(!LockFile::acquire(path, outcome));
        CPPUNIT_ASSERT_EQUAL("can't create lockfile `" + path + "': No such file or directory",
                             outcome.errors.at(0));
    }

    void release_spares_a_file_that_is_not_ours() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        CPPUNIT_ASSERT(lock);
        // Someone removed ours and put another file there.
        unlink(path.c_str());
        std::ofstream(path) << "another\n";
        lock->release();
        CPPUNIT_ASSERT_EQUAL(std::string("another\n"), read_file(path));
    }

    void closing_a_copy_in_a_child_keeps_the_lock() {
        // What the daemon's forked children do with the lock descriptor.
        test_env::TempDir dir;
        std::string path = dir.path() + "/lock";
        LockFile::Outcome outcome;
        std::optional<LockFile> lock = LockFile::acquire(path, outcome);
        CPPUNIT_ASSERT(lock);
        pid_t child = fork();
        if (child == 0) {
            close(lock->fd());
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        CPPUNIT_ASSERT(WIFEXITED(status));
        LockFile::Outcome second;
        CPPUNIT_ASSERT(!LockFile::acquire(path, second));
        CPPUNIT_ASSERT_EQUAL(refused(path), second.errors.at(0));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LockFileTest);
