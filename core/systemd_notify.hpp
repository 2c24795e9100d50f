// systemd's notify protocol, without libsystemd: datagrams to the socket
// named by $NOTIFY_SOCKET (a path, or an abstract name written "@name").
//
//   READY=1 and MAINPID=<pid>   once the daemon has initialised
//   STOPPING=1                  when it begins to shut down
//   WATCHDOG=1                  every $WATCHDOG_USEC / 2, when $WATCHDOG_PID
//                               is unset or names this process
//
// Enabled by General/Systemd (default on); outside systemd, with no
// $NOTIFY_SOCKET, it does nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "event_loop.hpp"

namespace ctd {

class SystemdNotifier {
public:
    // Inactive.
    SystemdNotifier() = default;
    // socket: $NOTIFY_SOCKET; watchdog_usec: $WATCHDOG_USEC (0: none);
    // watchdog_pid: $WATCHDOG_PID if set.
    SystemdNotifier(std::string socket, uint64_t watchdog_usec, std::optional<pid_t> watchdog_pid);
    // From the environment.  `error` tells why a set variable was not usable.
    static SystemdNotifier from_environment(std::string &error);

    bool active() const { return !socket_.empty(); }
    // Sends one datagram; false (and `error`) if it could not be sent.
    bool notify(std::string_view state, std::string *error = nullptr) const;

    bool ready(pid_t main_pid, std::string *error = nullptr) const;
    bool stopping(std::string *error = nullptr) const;
    bool watchdog(std::string *error = nullptr) const;

    // How often to send WATCHDOG=1, in microseconds; 0 when the watchdog
    // is off or meant for another process.
    uint64_t watchdog_interval_us() const;

private:
    std::string socket_;
    uint64_t watchdog_usec_ = 0;
    std::optional<pid_t> watchdog_pid_;
};

// Sends WATCHDOG=1 from the main loop at the notifier's interval, so a hung
// loop stops the pings and systemd restarts the daemon.
class SystemdWatchdog {
public:
    SystemdWatchdog(EventLoop &loop, const SystemdNotifier &notifier);
    bool running() const { return timer_ && timer_->armed(); }

private:
    const SystemdNotifier &notifier_;
    std::unique_ptr<LoopTimer> timer_;
    bool warned_ = false;
};

} // namespace ctd
