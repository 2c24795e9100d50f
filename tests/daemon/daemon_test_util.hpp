// Helpers shared by the daemon's unit tests.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "../unit/test_env.hpp"
#include "log.hpp"

namespace daemon_test {

inline std::string read_file(const std::string &path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sends the logger's lines to a file (and not to the console, where they
// would break the TAP stream) while it exists.
class CapturedLog {
public:
    CapturedLog() : path_(dir_.path() + "/log") {
        std::string error;
        ctd::logger().set_console(false);
        if (!ctd::logger().open_file(path_, error))
            CPPUNIT_FAIL(error);
    }
    ~CapturedLog() {
        ctd::logger().close();
        ctd::logger().set_console(true);
    }
    std::string text() const { return read_file(path_); }

private:
    test_env::TempDir dir_;
    std::string path_;
};

// Polls `condition` every 5 ms for up to `timeout_ms`.
inline bool eventually(const std::function<bool()> &condition, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// waitpid with a deadline; returns false (and kills the child) on timeout.
inline bool wait_child(pid_t pid, int &status, int timeout_ms = 10000) {
    bool done = eventually([&]() { return waitpid(pid, &status, WNOHANG) == pid; }, timeout_ms);
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return done;
}

inline int connect_unix(const std::string &path, bool nonblocking) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// A native-int request, as conntrackd's client sends it.
inline std::string request_bytes(int code) {
    return std::string(reinterpret_cast<const char *>(&code), sizeof code);
}

} // namespace daemon_test
