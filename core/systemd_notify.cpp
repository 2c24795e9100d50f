#include "systemd_notify.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.hpp"
#include "unique_fd.hpp"

namespace ctd {

namespace {

bool parse_unsigned(const char *text, uint64_t &value) {
    if (!text || !*text)
        return false;
    errno = 0;
    char *end = nullptr;
    unsigned long long parsed = std::strtoull(text, &end, 10);
    if (errno || *end || text[0] == '-')
        return false;
    value = parsed;
    return true;
}

} // namespace

SystemdNotifier::SystemdNotifier(std::string socket, uint64_t watchdog_usec,
                                 std::optional<pid_t> watchdog_pid)
    : socket_(std::move(socket)), watchdog_usec_(watchdog_usec), watchdog_pid_(watchdog_pid) {}

SystemdNotifier SystemdNotifier::from_environment(std::string &error) {
    error.clear();
    const char *socket = std::getenv("NOTIFY_SOCKET");
    if (!socket || !*socket)
        return SystemdNotifier();
    std::string name = socket;
    if (name[0] != '/' && name[0] != '@') {
        error = "NOTIFY_SOCKET `" + name + "' is neither a path nor an abstract socket name";
        return SystemdNotifier();
    }
    if (name.size() >= sizeof(sockaddr_un::sun_path)) {
        error = "NOTIFY_SOCKET `" + name + "' is too long";
        return SystemdNotifier();
    }
    uint64_t usec = 0;
    const char *usec_text = std::getenv("WATCHDOG_USEC");
    if (usec_text && !parse_unsigned(usec_text, usec)) {
        error = std::string("WATCHDOG_USEC `") + usec_text + "' is not a number: no watchdog";
        usec = 0;
    }
    std::optional<pid_t> pid;
    uint64_t pid_value = 0;
    const char *pid_text = std::getenv("WATCHDOG_PID");
    if (pid_text && *pid_text) {
        if (parse_unsigned(pid_text, pid_value) && pid_value > 0 && pid_value < 0x7fffffff) {
            pid = static_cast<pid_t>(pid_value);
        } else {
            error = std::string("WATCHDOG_PID `") + pid_text + "' is not a pid: no watchdog";
            usec = 0;
        }
    }
    return SystemdNotifier(std::move(name), usec, pid);
}

bool SystemdNotifier::notify(std::string_view state, std::string *error) const {
    if (!active())
        return true;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_.data(), socket_.size());
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
    if (socket_[0] == '@')
        address.sun_path[0] = '\0'; // abstract: no terminating NUL counted
    else
        length += 1;
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd || sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                      reinterpret_cast<const sockaddr *>(&address), length) < 0) {
        if (error)
            *error = "can't notify systemd through `" + socket_ + "': " + std::strerror(errno);
        return false;
    }
    return true;
}

bool SystemdNotifier::ready(pid_t main_pid, std::string *error) const {
    return notify("READY=1\nMAINPID=" + std::to_string(main_pid), error);
}

bool SystemdNotifier::stopping(std::string *error) const { return notify("STOPPING=1", error); }

bool SystemdNotifier::watchdog(std::string *error) const { return notify("WATCHDOG=1", error); }

uint64_t SystemdNotifier::watchdog_interval_us() const {
    if (!active() || watchdog_usec_ == 0)
        return 0;
    if (watchdog_pid_ && *watchdog_pid_ != getpid())
        return 0;
    return watchdog_usec_ / 2 ? watchdog_usec_ / 2 : 1;
}

SystemdWatchdog::SystemdWatchdog(EventLoop &loop, const SystemdNotifier &notifier)
    : notifier_(notifier) {
    uint64_t interval = notifier_.watchdog_interval_us();
    if (!interval)
        return;
    timer_ = std::make_unique<LoopTimer>(loop, [this]() {
        std::string error;
        // One warning, not one per ping: systemd will act on the silence.
        if (!notifier_.watchdog(&error) && !warned_) {
            warned_ = true;
            logger().log(log_warning, error);
        }
    });
    timer_->arm(interval, interval);
}

} // namespace ctd
