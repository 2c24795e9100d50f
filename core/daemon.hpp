// conntrackd's process life cycle, shared by every mode (reference-behaviour
// §2, "Daemon start sequence"):
//
//   umask 0177; [-d: fork, setsid]; open the logs; take the lock file;
//   initialise (scheduler, control socket, signals, the mode's subsystems);
//   chdir /, stdin from /dev/null; "initialization completed";
//   "-- starting in daemon|console mode --"; [-d: detach from the caller,
//   whose parent process then exits 0]; systemd READY=1; main loop;
//   on SIGTERM, SIGINT or `conntrackd -k`: STOPPING=1, socket and
//   subsystems closed, lock file removed, "---- shutdown received ----",
//   exit 0.
//
// With -d the fork comes first and the parent waits for the child to report
// that it is initialised: any failure before that (lock held, socket path
// unusable, a subsystem that cannot start) still reaches the caller as exit
// status 1, and its messages reach the caller's stderr, while the daemon's
// pid is the same from the first log line on (lock file, MAINPID).
//
// The daemon's modes (sync, stats, helpers) plug in through Hooks; with no
// hooks, only the control socket runs, like a reference daemon whose config
// has neither Sync nor Stats.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "control_server.hpp"
#include "event_loop.hpp"
#include "lock_file.hpp"
#include "process_table.hpp"
#include "runtime_stats.hpp"
#include "signals.hpp"
#include "systemd_notify.hpp"
#include "unique_fd.hpp"

namespace ctd {

// What the life cycle needs from the configuration (General section).
struct DaemonSettings {
    std::string unix_path;                           // UNIX { Path }
    std::string lock_file = "/var/lock/conntrackd.lock";
    std::string log_file;                            // empty: no log file
    std::optional<int> syslog_facility;              // LOG_DAEMON, ...; empty: no syslog
    int scheduler_policy;                            // SCHED_RR or SCHED_FIFO
    int scheduler_priority;
    bool systemd = true;                             // notify protocol on
    ControlServer::Limits control_limits;

    DaemonSettings(); // the reference's defaults: SCHED_RR at its highest priority
};

class Daemon {
public:
    struct Hooks {
        // Starts the mode's subsystems once the lock is held and the control
        // socket is open (add request handlers with control().add_handler).
        // False, with `error` logged by the daemon, stops the start-up.
        std::function<bool(Daemon &daemon, std::string &error)> init;
        // Closes them at shutdown (after the control socket, before the lock).
        std::function<void(Daemon &daemon)> shutdown;
    };

    Daemon(DaemonSettings settings, bool daemonize, Hooks hooks = {});
    Daemon(const Daemon &) = delete;
    Daemon &operator=(const Daemon &) = delete;
    ~Daemon();

    // The whole life: returns the exit status.  With -d, the caller's
    // process returns too (0 once the daemon is initialised, 1 if it could
    // not start); the daemon returns when it stops.
    int run();

    // Valid while run() runs (from Hooks::init on).
    EventLoop &loop() { return *loop_; }
    ControlServer &control() { return *control_; }
    ProcessTable &processes() { return *processes_; }
    NetlinkCounters &netlink_counters() { return netlink_; }
    RuntimeCounters &runtime_counters() { return runtime_; }
    const DaemonSettings &settings() const { return settings_; }
    uint64_t uptime_seconds() const { return boottime_seconds() - started_; }

    // Ends the main loop; the daemon then shuts down cleanly.
    void request_shutdown();

private:
    bool fork_into_background(int &parent_status);
    int start_and_serve();
    bool initialise();
    bool generic_request(ControlSession &session);
    void on_signal(const signalfd_siginfo &info);
    void apply_scheduler();
    void detach_from_caller();
    void shut_down();

    DaemonSettings settings_;
    bool daemonize_;
    Hooks hooks_;
    uint64_t started_ = 0;
    NetlinkCounters netlink_;
    RuntimeCounters runtime_;
    UniqueFd ready_pipe_; // -d: tells the waiting parent that we are up
    std::optional<LockFile> lock_;
    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<ProcessTable> processes_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<SignalWatcher> signals_;
    SystemdNotifier notifier_;
    std::unique_ptr<SystemdWatchdog> watchdog_;
    bool subsystems_started_ = false;
    UniqueFd kill_client_; // the -k client, answered (EOF) once we are gone
};

} // namespace ctd
