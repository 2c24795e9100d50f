#include "process_table.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include "log.hpp"

namespace ctd {

const char *process_type_name(ProcessType type) {
    switch (type) {
    case ProcessType::flush: return "flush";
    case ProcessType::commit: return "commit";
    default: return "any";
    }
}

int ProcessTable::add_child_setup(std::function<void()> setup) {
    child_setups_.emplace_back(next_setup_id_, std::move(setup));
    return next_setup_id_++;
}

void ProcessTable::remove_child_setup(int id) {
    child_setups_.remove_if([id](const auto &setup) { return setup.first == id; });
}

pid_t ProcessTable::fork_child(ProcessType type, bool exclusive, ExitCallback on_exit) {
    if (exclusive && running(type)) {
        errno = EBUSY;
        return -1;
    }
    // Buffered log output would otherwise be written twice, by both processes.
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        // The child owns no children of its parent.
        children_.clear();
        for (auto &setup : child_setups_)
            setup.second();
        return 0;
    }
    children_.push_front(Child{pid, type, std::move(on_exit)});
    return pid;
}

bool ProcessTable::running(ProcessType type) const {
    for (const Child &child : children_)
        if (child.type == type)
            return true;
    return false;
}

void ProcessTable::reap() {
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0)
            return;
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            if (errno != ECHILD) {
                ++counters_.wait_failed;
                logger().logf(log_error, "waitpid failed: %s", std::strerror(errno));
            }
            return;
        }
        child_ended(pid, status);
    }
}

void ProcessTable::child_ended(pid_t pid, int status) {
    if (WIFSIGNALED(status)) {
        int signal = WTERMSIG(status);
        ++counters_.child_process_failed;
        switch (signal) {
        case SIGSEGV:
            ++counters_.child_process_segfault;
            logger().logf(log_error,
                          "child process (pid=%u) has aborted, received signal SIGSEGV (crashed)",
                          static_cast<unsigned>(pid));
            break;
        case SIGINT:
        case SIGTERM:
        case SIGKILL:
            ++counters_.child_process_termsig;
            logger().logf(log_error,
                          "child process (pid=%u) has aborted, received termination signal (%d)",
                          static_cast<unsigned>(pid), signal);
            break;
        default:
            logger().logf(log_notice, "child process (pid=%u) received signal (%d)",
                          static_cast<unsigned>(pid), signal);
            break;
        }
    }
    for (auto it = children_.begin(); it != children_.end(); ++it) {
        if (it->pid != pid)
            continue;
        // Unlink first: the callback may fork a new child of the same type.
        ExitCallback on_exit = std::move(it->on_exit);
        children_.erase(it);
        if (on_exit)
            on_exit(status);
        return;
    }
}

std::string ProcessTable::format() const {
    std::string text;
    for (const Child &child : children_) {
        text += "PID=";
        text += std::to_string(static_cast<unsigned>(child.pid));
        text += " type=";
        text += process_type_name(child.type);
        text += '\n';
    }
    return text;
}

} // namespace ctd
