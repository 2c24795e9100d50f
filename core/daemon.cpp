#include "daemon.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.hpp"
#include "options.hpp"

namespace ctd {

namespace {

// The byte the daemon sends its waiting parent once it is initialised.
constexpr char ready_byte = 'R';

// Points `target` (0, 1 or 2) at /dev/null.
void to_dev_null(int target, int flags) {
    int fd = open("/dev/null", flags | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fd != target) {
        dup2(fd, target); // dup2 clears O_CLOEXEC on the target
        close(fd);
    }
}

} // namespace

DaemonSettings::DaemonSettings()
    : scheduler_policy(SCHED_RR), scheduler_priority(sched_get_priority_max(SCHED_RR)) {}

Daemon::Daemon(DaemonSettings settings, bool daemonize, Hooks hooks)
    : settings_(std::move(settings)), daemonize_(daemonize), hooks_(std::move(hooks)) {}

Daemon::~Daemon() = default;

int Daemon::run() {
    // Files the daemon creates (socket, lock, logs) are 0600.
    umask(0177);
    if (daemonize_) {
        int parent_status = 0;
        if (fork_into_background(parent_status))
            return parent_status; // the caller's process
    }
    return start_and_serve();
}

bool Daemon::fork_into_background(int &parent_status) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        logger().logf(log_error, "can't fork into the background: pipe: %s", std::strerror(errno));
        parent_status = 1;
        return true;
    }
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        logger().logf(log_error, "can't fork into the background: %s", std::strerror(errno));
        parent_status = 1;
        return true;
    }
    if (pid == 0) {
        // The daemon: its own session, no controlling terminal.
        read_end.reset();
        setsid();
        ready_pipe_ = std::move(write_end);
        return false;
    }
    // The caller's process waits for the daemon to come up or fail.
    write_end.reset();
    char byte = 0;
    ssize_t n;
    do
        n = read(read_end.get(), &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1 && byte == ready_byte) {
        parent_status = 0;
        return true;
    }
    // It failed (and said why on stderr and in its logs) or it died.
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
        logger().logf(log_error, "conntrackd cannot start: the daemon process was killed by "
                                 "signal %d during its initialisation",
                      WTERMSIG(status));
    parent_status = 1;
    return true;
}

int Daemon::start_and_serve() {
    Logger &log = logger();
    started_ = boottime_seconds();
    // A daemon still attached to the caller's terminal shows it only what
    // goes wrong; its notices go to the log file and syslog.
    if (daemonize_)
        log.set_console_max_priority(log_warning);

    if (!settings_.log_file.empty()) {
        std::string error;
        errno = 0;
        if (!log.open_file(settings_.log_file, error)) {
            log.logf(log_error, "can't open logfile `%s'. Reason: %s", settings_.log_file.c_str(),
                     std::strerror(errno ? errno : EINVAL));
            return 1;
        }
    }
    if (settings_.syslog_facility)
        log.open_syslog(*settings_.syslog_facility);

    LockFile::Outcome outcome;
    lock_ = LockFile::acquire(settings_.lock_file, outcome);
    for (const std::string &warning : outcome.warnings)
        log.log(log_warning, warning);
    if (!lock_) {
        for (const std::string &error : outcome.errors)
            log.log(log_error, error);
        return 1;
    }

    if (!initialise()) {
        log.log(log_error, "conntrackd cannot start, please review your configuration");
        shut_down();
        return 1;
    }
    // Do not keep the directory we were started from busy, nor read the terminal.
    if (chdir("/") != 0)
        log.logf(log_warning, "can't change directory to /: %s", std::strerror(errno));
    to_dev_null(STDIN_FILENO, O_RDONLY);

    log.log(log_notice, "initialization completed");
    log.log(log_notice, daemonize_ ? "-- starting in daemon mode --"
                                   : "-- starting in console mode --");
    if (daemonize_)
        detach_from_caller();

    if (settings_.systemd) {
        std::string error;
        notifier_ = SystemdNotifier::from_environment(error);
        if (!error.empty())
            log.log(log_warning, error);
        if (!notifier_.ready(getpid(), &error))
            log.log(log_warning, error);
        watchdog_ = std::make_unique<SystemdWatchdog>(*loop_, notifier_);
    }

    while (!loop_->stopping()) {
        try {
            loop_->run_once(-1);
        } catch (const std::exception &e) {
            // The wait itself failed, or a handler threw: the daemon goes on.
            ++runtime_.select_failed;
            log.logf(log_error, "main loop: %s", e.what());
        }
    }
    shut_down();
    log.log(log_notice, "---- shutdown received ----");
    log.close();
    kill_client_.reset();
    return 0;
}

bool Daemon::initialise() {
    Logger &log = logger();
    apply_scheduler();
    try {
        loop_ = std::make_unique<EventLoop>();
        processes_ = std::make_unique<ProcessTable>(runtime_);
        // Signals first: from now on SIGTERM means a clean shutdown.
        ignore_sigpipe();
        signals_ = std::make_unique<SignalWatcher>(
            *loop_, std::initializer_list<int>{SIGTERM, SIGINT, SIGCHLD},
            [this](const signalfd_siginfo &info) { on_signal(info); });
    } catch (const std::exception &e) {
        log.log(log_error, e.what());
        return false;
    }
    // What a forked child must not keep: the lock (a crashed daemon's
    // lingering child would otherwise keep it held) and the blocked signals.
    processes_->add_child_setup([this]() {
        if (lock_)
            ::close(lock_->fd());
        if (signals_)
            signals_->restore_in_child();
        if (ready_pipe_)
            ::close(ready_pipe_.release());
    });

    control_ = std::make_unique<ControlServer>(*loop_, *processes_, runtime_,
                                               settings_.control_limits);
    std::string error;
    if (!control_->open(settings_.unix_path, error)) {
        log.log(log_error, error);
        return false;
    }
    control_->add_handler([this](ControlSession &session) { return generic_request(session); });

    if (hooks_.init) {
        subsystems_started_ = true;
        error.clear();
        if (!hooks_.init(*this, error)) {
            if (!error.empty())
                log.log(log_error, error);
            return false;
        }
    }
    return true;
}

void Daemon::apply_scheduler() {
    sched_param param{};
    param.sched_priority = settings_.scheduler_priority;
    if (sched_setscheduler(0, settings_.scheduler_policy, &param) != 0)
        logger().logf(log_warning,
                      "scheduler configuration failed: %s. Likely a bug in conntrackd, please "
                      "report it. Continuing with system default scheduler.",
                      std::strerror(errno));
}

bool Daemon::generic_request(ControlSession &session) {
    switch (session.request()) {
    case req_kill:
        // Answered by our exit: the client's EOF comes once the socket and
        // the lock file are gone, so `conntrackd -k && conntrackd -d` works.
        kill_client_ = session.defer().release_connection();
        request_shutdown();
        return true;
    case req_stats_runtime:
        session.reply(format_runtime_stats(uptime_seconds(), netlink_, runtime_));
        return true;
    case req_stats_process:
        session.reply(processes_->format());
        return true;
    default:
        return false;
    }
}

void Daemon::on_signal(const signalfd_siginfo &info) {
    switch (info.ssi_signo) {
    case SIGCHLD:
        processes_->reap();
        break;
    case SIGTERM:
    case SIGINT:
        request_shutdown();
        break;
    default:
        break;
    }
}

void Daemon::request_shutdown() {
    if (loop_)
        loop_->stop();
}

void Daemon::detach_from_caller() {
    // Nothing more for the caller's terminal: logs go to the log file and
    // syslog only, as in the reference's daemon mode.
    logger().set_console(false);
    std::fflush(nullptr);
    to_dev_null(STDOUT_FILENO, O_WRONLY);
    to_dev_null(STDERR_FILENO, O_WRONLY);
    if (ready_pipe_) {
        ssize_t n;
        do
            n = write(ready_pipe_.get(), &ready_byte, 1);
        while (n < 0 && errno == EINTR);
        ready_pipe_.reset();
    }
}

void Daemon::shut_down() {
    std::string error;
    if (!notifier_.stopping(&error))
        logger().log(log_warning, error);
    watchdog_.reset();
    if (control_)
        control_->close();
    if (subsystems_started_ && hooks_.shutdown)
        hooks_.shutdown(*this);
    subsystems_started_ = false;
    // The signals stay blocked until we exit: a SIGTERM arriving now must
    // not kill a daemon that is already stopping cleanly.
    control_.reset();
    if (lock_)
        lock_->release();
    lock_.reset();
}

} // namespace ctd
