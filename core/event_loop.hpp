// The daemon's single-threaded main loop: epoll for file descriptors and an
// ordered timer queue.  Everything the daemon does (netlink events, sync
// links, the control socket, plugin timers) runs from here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "unique_fd.hpp"

namespace ctd {

class EventLoop;

// A timer owned by its creator.  Re-arming moves it in the queue; destroying
// it disarms it.
class LoopTimer {
public:
    using Callback = std::function<void()>;
    LoopTimer(EventLoop &loop, Callback callback);
    LoopTimer(const LoopTimer &) = delete;
    LoopTimer &operator=(const LoopTimer &) = delete;
    ~LoopTimer();

    // First expiry `delay_us` from now, then every `interval_us` (0: once).
    void arm(uint64_t delay_us, uint64_t interval_us = 0);
    void disarm();
    bool armed() const { return armed_; }

private:
    friend class EventLoop;
    EventLoop &loop_;
    Callback callback_;
    uint64_t interval_us_ = 0;
    bool armed_ = false;
    std::multimap<uint64_t, LoopTimer *>::iterator position_;
};

class EventLoop {
public:
    using FdCallback = std::function<void(uint32_t events)>;

    EventLoop();
    EventLoop(const EventLoop &) = delete;
    EventLoop &operator=(const EventLoop &) = delete;

    // events: EPOLLIN / EPOLLOUT bits.  Replaces an existing watch on fd.
    void watch(int fd, uint32_t events, FdCallback callback);
    void unwatch(int fd);
    bool watching(int fd) const { return watches_.count(fd) != 0; }

    // Runs until stop().  Returns normally after stop().
    void run();
    // One round: waits at most `max_wait_ms` (-1: until something happens),
    // dispatches what is ready and the timers that are due.
    void run_once(int max_wait_ms);
    void stop() { stopping_ = true; }
    bool stopping() const { return stopping_; }

    static uint64_t monotonic_us();

private:
    friend class LoopTimer;
    struct Watch {
        uint32_t generation;
        FdCallback callback;
    };
    void schedule(LoopTimer &timer, uint64_t deadline_us);
    void cancel(LoopTimer &timer);
    int next_timeout_ms(int max_wait_ms) const;
    void run_due_timers();

    UniqueFd epoll_;
    uint32_t generation_ = 0;
    std::unordered_map<int, std::shared_ptr<Watch>> watches_;
    std::multimap<uint64_t, LoopTimer *> timers_;
    bool stopping_ = false;
};

} // namespace ctd
