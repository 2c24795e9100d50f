// The daemon's life cycle end to end, each daemon in a forked process of
// its own: start-up order, requests, clean shutdown on -k and signals, -d,
// start-up failures, the lock, systemd, and children reaped on SIGCHLD.
#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.hpp"
#include "daemon.hpp"
#include "daemon_test_util.hpp"
#include "options.hpp"

using namespace ctd;
using daemon_test::eventually;
using daemon_test::read_file;

namespace {

struct DaemonFiles {
    test_env::TempDir dir;
    std::string socket = dir.path() + "/ctl.sock";
    std::string lock = dir.path() + "/lock";
    std::string log = dir.path() + "/log";

    DaemonSettings settings() const {
        DaemonSettings s;
        s.unix_path = socket;
        s.lock_file = lock;
        s.log_file = log;
        // Not the reference's real-time default: a test daemon has no
        // business competing with the machine at priority 99.
        s.scheduler_policy = SCHED_OTHER;
        s.scheduler_priority = 0;
        s.systemd = false;
        return s;
    }
    bool up() const {
        struct stat st;
        return lstat(socket.c_str(), &st) == 0;
    }
    bool gone() const { return access(socket.c_str(), F_OK) != 0 && access(lock.c_str(), F_OK) != 0; }

    // A daemon that outlived a failed test (a -d one is not our child):
    // the pid in its lock file names it.
    ~DaemonFiles() {
        std::string text = read_file(lock);
        pid_t pid = text.empty() ? 0 : static_cast<pid_t>(std::atol(text.c_str()));
        if (pid > 1 && pid != getpid() && kill(pid, 0) == 0)
            kill(pid, SIGKILL);
    }
};

// Runs a daemon in a child; `before` runs in the child first.  Its console
// output goes to `console` (a file), away from the TAP stream.
pid_t start_daemon(const DaemonSettings &settings, bool daemonize, Daemon::Hooks hooks = {},
                   const std::function<void()> &before = {}, const std::string &console = "/dev/null") {
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        int out = open(console.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        if (before)
            before();
        int status;
        {
            Daemon daemon(settings, daemonize, std::move(hooks));
            status = daemon.run();
        }
        std::fflush(nullptr);
        _exit(status);
    }
    return pid;
}

// Sends a request as `conntrackd -x` would; returns the reply (or "!" + status).
// Its complaint when the daemon is not there (yet) stays off the console.
std::string ask(const std::string &socket, int request) {
    std::FILE *out = std::tmpfile();
    bool console = logger().console();
    logger().set_console(false);
    int status = send_control_request(socket, request, out);
    logger().set_console(console);
    std::string reply;
    std::rewind(out);
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, out)) > 0)
        reply.append(buffer, n);
    std::fclose(out);
    return status == 0 ? reply : "!" + std::to_string(status);
}

// Stops a test daemon whatever happened to the test.
struct Reaper {
    pid_t pid;
    ~Reaper() {
        if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
};

size_t position(const std::string &text, const std::string &what) {
    size_t at = text.find(what);
    if (at == std::string::npos)
        CPPUNIT_FAIL("not found: `" + what + "' in:\n" + text);
    return at;
}

std::string proc_field(pid_t pid, const std::string &name) {
    std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    size_t at = status.find(name + ":\t");
    if (at == std::string::npos)
        return "";
    at += name.size() + 2;
    return status.substr(at, status.find('\n', at) - at);
}

std::string link_target(const std::string &path) {
    char target[256];
    ssize_t n = readlink(path.c_str(), target, sizeof target);
    return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

} // namespace

class DaemonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DaemonTest);
    CPPUNIT_TEST(console_daemon_serves_then_kill_request_stops_it);
    CPPUNIT_TEST(sigterm_and_sigint_shut_down_cleanly);
    CPPUNIT_TEST(second_instance_refused_first_unharmed);
    CPPUNIT_TEST(restart_after_sigkill_takes_over_stale_lock);
    CPPUNIT_TEST(init_hook_failure_cleans_up_and_exits_1);
    CPPUNIT_TEST(mode_handlers_follow_generic_ones);
    CPPUNIT_TEST(daemonized_parent_returns_once_daemon_is_up);
    CPPUNIT_TEST(daemonized_start_failure_reaches_caller);
    CPPUNIT_TEST(systemd_ready_and_stopping);
    CPPUNIT_TEST(systemd_off_sends_nothing);
    CPPUNIT_TEST(children_reaped_and_crashes_counted);
    CPPUNIT_TEST(failing_scheduler_only_warns);
    CPPUNIT_TEST_SUITE_END();

public:
    void console_daemon_serves_then_kill_request_stops_it() {
        DaemonFiles files;
        Reaper daemon{start_daemon(files.settings(), false)};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
        CPPUNIT_ASSERT_EQUAL(std::to_string(daemon.pid) + "\n", read_file(files.lock));

        std::string runtime = ask(files.socket, req_stats_runtime);
        CPPUNIT_ASSERT_EQUAL(size_t(0), runtime.find("daemon uptime: 0 min\n\nnetlink stats:\n"));
        CPPUNIT_ASSERT(runtime.find("\tlocal unknown request:\t\t           0\n\n") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_stats_process));
        // Nothing else is served without a mode: empty replies, exit 0.
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_stats));
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_ct_dump_internal));

        // -k: its EOF comes once the socket and the lock are gone.
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        CPPUNIT_ASSERT(files.gone());
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));

        std::string log = read_file(files.log);
        size_t initialised = position(log, "[notice] initialization completed\n");
        size_t starting = position(log, "[notice] -- starting in console mode --\n");
        size_t shutdown = position(log, "[notice] ---- shutdown received ----\n");
        CPPUNIT_ASSERT(initialised < starting && starting < shutdown);
        CPPUNIT_ASSERT(log.find("(pid=" + std::to_string(daemon.pid) + ") ") != std::string::npos);
        daemon_test::CapturedLog client_log; // the client's complaint, off the console
        CPPUNIT_ASSERT_EQUAL(std::string("!1"), ask(files.socket, req_kill));
        position(client_log.text(),
                 "[ERROR] can't connect: is conntrackd running? appropriate permissions?\n");
    }

    void sigterm_and_sigint_shut_down_cleanly() {
        for (int signal : {SIGTERM, SIGINT}) {
            DaemonFiles files;
            Reaper daemon{start_daemon(files.settings(), false)};
            CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
            kill(daemon.pid, signal);
            int status = 0;
            CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
            CPPUNIT_ASSERT(WIFEXITED(status));
            CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
            CPPUNIT_ASSERT(files.gone());
            position(read_file(files.log), "---- shutdown received ----");
        }
    }

    void second_instance_refused_first_unharmed() {
        DaemonFiles files;
        Reaper first{start_daemon(files.settings(), false)};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
        Reaper second{start_daemon(files.settings(), false)};
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(second.pid, status));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(1, WEXITSTATUS(status));
        position(read_file(files.log), "(pid=" + std::to_string(second.pid) + ") [ERROR] lockfile `" +
                                           files.lock + "' exists, perhaps conntrackd already running?\n");
        // The first still owns both its files and answers.
        CPPUNIT_ASSERT_EQUAL(std::to_string(first.pid) + "\n", read_file(files.lock));
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_stats_process));
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        CPPUNIT_ASSERT(daemon_test::wait_child(first.pid, status));
    }

    void restart_after_sigkill_takes_over_stale_lock() {
        DaemonFiles files;
        Reaper crashed{start_daemon(files.settings(), false)};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
        kill(crashed.pid, SIGKILL);
        waitpid(crashed.pid, nullptr, 0);
        CPPUNIT_ASSERT(!files.gone()); // both files left behind

        Reaper restarted{start_daemon(files.settings(), false)};
        CPPUNIT_ASSERT(eventually([&]() { return read_file(files.lock) == std::to_string(restarted.pid) + "\n"; }));
        CPPUNIT_ASSERT(eventually([&]() { return ask(files.socket, req_stats_process).empty(); }));
        position(read_file(files.log), "(pid=" + std::to_string(restarted.pid) + ") [warning] lockfile `" +
                                           files.lock + "' is stale: the conntrackd that created it (pid " +
                                           std::to_string(crashed.pid) +
                                           ") is no longer running; taking it over\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(restarted.pid, status));
        CPPUNIT_ASSERT(files.gone());
    }

    void init_hook_failure_cleans_up_and_exits_1() {
        DaemonFiles files;
        Daemon::Hooks hooks;
        hooks.init = [](Daemon &, std::string &error) {
            error = "sync mode: no coffee";
            return false;
        };
        hooks.shutdown = [](Daemon &) { logger().log(log_notice, "hook: shutdown"); };
        Reaper daemon{start_daemon(files.settings(), false, hooks)};
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(1, WEXITSTATUS(status));
        CPPUNIT_ASSERT(files.gone());
        std::string log = read_file(files.log);
        size_t reason = position(log, "[ERROR] sync mode: no coffee\n");
        size_t verdict = position(log, "[ERROR] conntrackd cannot start, please review your configuration\n");
        CPPUNIT_ASSERT(reason < verdict);
        position(log, "[notice] hook: shutdown\n"); // undoes what init may have done
        CPPUNIT_ASSERT(log.find("initialization completed") == std::string::npos);
    }

    void mode_handlers_follow_generic_ones() {
        DaemonFiles files;
        Daemon::Hooks hooks;
        hooks.init = [](Daemon &daemon, std::string &) {
            daemon.netlink_counters().current_buffer_size = 212992;
            daemon.control().add_handler([](ControlSession &session) {
                // Sees everything the generic handler leaves, never KILL.
                if (session.request() == req_kill)
                    session.reply("must not happen\n");
                if (session.request() != req_stats)
                    return false;
                session.reply("cache stats:\n");
                return true;
            });
            return true;
        };
        Reaper daemon{start_daemon(files.settings(), false, hooks)};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
        CPPUNIT_ASSERT_EQUAL(std::string("cache stats:\n"), ask(files.socket, req_stats));
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_stats_network));
        std::string runtime = ask(files.socket, req_stats_runtime);
        position(runtime, "\tcurrent buffer size (in bytes):\t      212992\n");
        position(runtime, "\tlocal unknown request:\t\t           1\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    }

    void daemonized_parent_returns_once_daemon_is_up() {
        DaemonFiles files;
        pid_t caller = start_daemon(files.settings(), true);
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(caller, status));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
        // No waiting: the daemon was serving before its caller returned.
        CPPUNIT_ASSERT(files.up());
        pid_t daemon = std::stoi(read_file(files.lock));
        CPPUNIT_ASSERT(daemon != caller);
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_stats_process));
        std::string proc = "/proc/" + std::to_string(daemon);
        CPPUNIT_ASSERT_EQUAL(std::string("/"), link_target(proc + "/cwd"));
        for (int fd = 0; fd <= 2; ++fd)
            CPPUNIT_ASSERT_EQUAL(std::string("/dev/null"), link_target(proc + "/fd/" + std::to_string(fd)));
        CPPUNIT_ASSERT_EQUAL(std::string("0177"), proc_field(daemon, "Umask"));
        CPPUNIT_ASSERT_EQUAL(getsid(daemon), daemon); // a session of its own
        std::string log = read_file(files.log);
        position(log, "(pid=" + std::to_string(daemon) + ") [notice] -- starting in daemon mode --\n");

        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        CPPUNIT_ASSERT(files.gone());
        CPPUNIT_ASSERT(eventually([&]() { return kill(daemon, 0) != 0; }));
    }

    void daemonized_start_failure_reaches_caller() {
        DaemonFiles files;
        DaemonSettings settings = files.settings();
        settings.unix_path = files.dir.path() + "/missing-dir/ctl.sock";
        std::string console = files.dir.path() + "/console";
        pid_t caller = start_daemon(settings, true, {}, {}, console);
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(caller, status));
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(1, WEXITSTATUS(status));
        CPPUNIT_ASSERT(access(files.lock.c_str(), F_OK) != 0);
        // The caller's terminal is told why; notices stay in the log.
        std::string told = read_file(console);
        position(told, "[ERROR] can't open unix socket `" + settings.unix_path +
                           "': bind: No such file or directory\n");
        position(told, "[ERROR] conntrackd cannot start, please review your configuration\n");
        CPPUNIT_ASSERT(told.find("[notice]") == std::string::npos);
        position(read_file(files.log), "conntrackd cannot start");
    }

    void systemd_ready_and_stopping() {
        DaemonFiles files;
        std::string notify_path = files.dir.path() + "/notify";
        UniqueFd systemd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        notify_path.copy(address.sun_path, sizeof address.sun_path - 1);
        CPPUNIT_ASSERT_EQUAL(0, bind(systemd.get(), reinterpret_cast<sockaddr *>(&address), sizeof address));

        DaemonSettings settings = files.settings();
        settings.systemd = true;
        Reaper daemon{start_daemon(settings, false, {}, [&]() {
            setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
            setenv("WATCHDOG_USEC", "200000", 1);
            unsetenv("WATCHDOG_PID");
        })};
        auto receive = [&]() {
            pollfd p{systemd.get(), POLLIN, 0};
            if (poll(&p, 1, 5000) != 1)
                return std::string("(nothing)");
            char buffer[256];
            ssize_t n = recv(systemd.get(), buffer, sizeof buffer, 0);
            return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
        };
        CPPUNIT_ASSERT_EQUAL("READY=1\nMAINPID=" + std::to_string(daemon.pid), receive());
        CPPUNIT_ASSERT(files.up()); // ready means serving
        CPPUNIT_ASSERT_EQUAL(std::string("WATCHDOG=1"), receive());
        CPPUNIT_ASSERT_EQUAL(std::string("WATCHDOG=1"), receive());
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        std::string message;
        do
            message = receive();
        while (message == "WATCHDOG=1");
        CPPUNIT_ASSERT_EQUAL(std::string("STOPPING=1"), message);
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
    }

    void systemd_off_sends_nothing() {
        DaemonFiles files;
        std::string notify_path = files.dir.path() + "/notify";
        UniqueFd systemd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        notify_path.copy(address.sun_path, sizeof address.sun_path - 1);
        CPPUNIT_ASSERT_EQUAL(0, bind(systemd.get(), reinterpret_cast<sockaddr *>(&address), sizeof address));
        Reaper daemon{start_daemon(files.settings(), false, {}, [&]() {
            setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
            setenv("WATCHDOG_USEC", "20000", 1);
        })};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_stats_process));
        usleep(100000);
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
        char buffer[64];
        CPPUNIT_ASSERT_EQUAL(ssize_t(-1), recv(systemd.get(), buffer, sizeof buffer, 0));
    }

    void children_reaped_and_crashes_counted() {
        DaemonFiles files;
        Daemon::Hooks hooks;
        hooks.init = [](Daemon &daemon, std::string &) {
            daemon.control().add_handler([](ControlSession &session) {
                if (session.request() == req_ct_dump_internal)
                    return session.reply_from_child(ProcessType::any, false, [](ReplyWriter &out) {
                        usleep(300000);
                        out.write("dumped\n");
                    });
                if (session.request() == req_ct_flush_master)
                    return session.reply_from_child(ProcessType::flush, true, [](ReplyWriter &) {
                        rlimit no_core{0, 0};
                        setrlimit(RLIMIT_CORE, &no_core);
                        signal(SIGSEGV, SIG_DFL);
                        raise(SIGSEGV);
                    });
                return false;
            });
            return true;
        };
        Reaper daemon{start_daemon(files.settings(), false, hooks)};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));

        // A dump in progress shows in the process table, then goes away.
        pid_t client = fork();
        if (client == 0) {
            std::FILE *out = std::fopen((files.dir.path() + "/dump").c_str(), "w");
            _exit(send_control_request(files.socket, req_ct_dump_internal, out) == 0 && std::fclose(out) == 0 ? 0 : 1);
        }
        CPPUNIT_ASSERT(eventually([&]() { return ask(files.socket, req_stats_process).find(" type=any\n") != std::string::npos; }));
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(client, status));
        CPPUNIT_ASSERT_EQUAL(std::string("dumped\n"), read_file(files.dir.path() + "/dump"));
        CPPUNIT_ASSERT(eventually([&]() { return ask(files.socket, req_stats_process).empty(); }));

        // A child that crashes is logged and counted.
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_ct_flush_master));
        CPPUNIT_ASSERT(eventually([&]() {
            return ask(files.socket, req_stats_runtime).find("\t\tchild process segfault:\t           1\n") != std::string::npos;
        }));
        std::string runtime = ask(files.socket, req_stats_runtime);
        position(runtime, "\tchild process failed:\t\t           1\n");
        position(read_file(files.log), ") has aborted, received signal SIGSEGV (crashed)\n");

        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    }

    void failing_scheduler_only_warns() {
        DaemonFiles files;
        DaemonSettings settings = files.settings();
        settings.scheduler_policy = SCHED_FIFO; // priority 0 is invalid for it
        settings.scheduler_priority = 0;
        Reaper daemon{start_daemon(settings, false)};
        CPPUNIT_ASSERT(eventually([&]() { return files.up(); }));
        position(read_file(files.log), "[warning] scheduler configuration failed: Invalid argument. Likely "
                                       "a bug in conntrackd, please report it. Continuing with system "
                                       "default scheduler.\n");
        CPPUNIT_ASSERT_EQUAL(SCHED_OTHER, sched_getscheduler(daemon.pid));
        CPPUNIT_ASSERT_EQUAL(std::string(), ask(files.socket, req_kill));
        int status = 0;
        CPPUNIT_ASSERT(daemon_test::wait_child(daemon.pid, status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonTest);
