// Network namespaces for C++ integration tests: created in the constructor,
// removed with every process inside in the destructor, so a failing
// assertion (an exception) still cleans up.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace test_netns {

inline int run(const std::string &command) {
    int status = std::system(command.c_str());
    return status == -1 ? -1 : WEXITSTATUS(status);
}

class TestNamespace {
public:
    explicit TestNamespace(const std::string &suffix)
        : name_("ctdt" + std::to_string(getpid()) + "-" + suffix) {
        if (run("ip netns add " + name_) != 0)
            throw std::runtime_error("cannot create network namespace " + name_);
        run("ip -n " + name_ + " link set lo up");
    }
    TestNamespace(const TestNamespace &) = delete;
    TestNamespace &operator=(const TestNamespace &) = delete;
    ~TestNamespace() {
        run("pids=$(ip netns pids " + name_ + "); [ -n \"$pids\" ] && kill -KILL $pids; "
            "ip netns del " + name_ + " 2>/dev/null");
    }

    const std::string &name() const { return name_; }
    // Runs a shell command inside the namespace; returns its exit status.
    int exec(const std::string &command) const {
        return run("ip netns exec " + name_ + " sh -c '" + command + "'");
    }

private:
    std::string name_;
};

// Moves the calling thread into a namespace for its lifetime: sockets made
// meanwhile belong to that namespace.
class EnterNamespace {
public:
    explicit EnterNamespace(const TestNamespace &ns)
        : original_(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
        std::string path = "/run/netns/" + ns.name();
        int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
            if (target >= 0)
                close(target);
            if (original_ >= 0)
                close(original_);
            throw std::runtime_error("cannot enter network namespace " + ns.name());
        }
        close(target);
    }
    EnterNamespace(const EnterNamespace &) = delete;
    EnterNamespace &operator=(const EnterNamespace &) = delete;
    ~EnterNamespace() {
        if (setns(original_, CLONE_NEWNET) != 0)
            std::perror("setns back to the original network namespace");
        close(original_);
    }

private:
    int original_;
};

} // namespace test_netns
