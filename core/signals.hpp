// Signals as main-loop events: the watched signals are blocked and read
// from a signalfd, so their handlers run in the loop like any other event
// (no async-signal-safety traps, no lost SIGCHLD while a handler runs).
#pragma once

#include <csignal>
#include <functional>
#include <initializer_list>
#include <sys/signalfd.h>

#include "event_loop.hpp"
#include "unique_fd.hpp"

namespace ctd {

class SignalWatcher {
public:
    using Handler = std::function<void(const signalfd_siginfo &info)>;

    // Blocks `signals` and watches them.  Throws std::runtime_error if the
    // signalfd cannot be created.
    SignalWatcher(EventLoop &loop, std::initializer_list<int> signals, Handler handler);
    SignalWatcher(const SignalWatcher &) = delete;
    SignalWatcher &operator=(const SignalWatcher &) = delete;
    // Stops watching and restores the signal mask found at construction.
    ~SignalWatcher();

    // For a forked child: restores the signal mask found at construction, so
    // that the child dies of SIGTERM like any process, and closes the
    // signalfd.  Safe to call between fork and _exit.
    void restore_in_child();

    int fd() const { return fd_.get(); }

private:
    void drain();

    EventLoop &loop_;
    Handler handler_;
    sigset_t previous_mask_;
    UniqueFd fd_;
};

// SIGPIPE would kill the daemon when a control client goes away before
// reading its reply; writes get EPIPE instead.
void ignore_sigpipe();

} // namespace ctd
