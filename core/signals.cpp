#include "signals.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>

namespace ctd {

SignalWatcher::SignalWatcher(EventLoop &loop, std::initializer_list<int> signals, Handler handler)
    : loop_(loop), handler_(std::move(handler)) {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : signals)
        sigaddset(&set, signal);
    if (sigprocmask(SIG_BLOCK, &set, &previous_mask_) != 0)
        throw std::runtime_error(std::string("sigprocmask: ") + std::strerror(errno));
    fd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) {
        int error = errno;
        sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
        throw std::runtime_error(std::string("signalfd: ") + std::strerror(error));
    }
    loop_.watch(fd_.get(), EPOLLIN, [this](uint32_t) { drain(); });
}

SignalWatcher::~SignalWatcher() {
    loop_.unwatch(fd_.get());
    fd_.reset();
    sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void SignalWatcher::restore_in_child() {
    // No loop_.unwatch(): the epoll set is shared with the parent.
    ::close(fd_.release());
    sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void SignalWatcher::drain() {
    signalfd_siginfo infos[16];
    for (;;) {
        ssize_t n = read(fd_.get(), infos, sizeof infos);
        if (n <= 0)
            return; // EAGAIN: all read
        for (size_t i = 0; i < static_cast<size_t>(n) / sizeof infos[0]; ++i) {
            handler_(infos[i]);
            if (!fd_)
                return; // the handler forked and we are the child now
        }
    }
}

void ignore_sigpipe() {
    struct sigaction action{};
    action.sa_handler = SIG_IGN;
    sigemptyset(&action.sa_mask);
    sigaction(SIGPIPE, &action, nullptr);
}

} // namespace ctd
