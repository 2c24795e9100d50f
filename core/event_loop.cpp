#include "event_loop.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <vector>

namespace ctd {

LoopTimer::LoopTimer(EventLoop &loop, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {}

LoopTimer::~LoopTimer() { disarm(); }

void LoopTimer::arm(uint64_t delay_us, uint64_t interval_us) {
    disarm();
    interval_us_ = interval_us;
    loop_.schedule(*this, EventLoop::monotonic_us() + delay_us);
}

void LoopTimer::disarm() {
    if (armed_)
        loop_.cancel(*this);
}

EventLoop::EventLoop() : epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_)
        throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

uint64_t EventLoop::monotonic_us() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

void EventLoop::watch(int fd, uint32_t events, FdCallback callback) {
    auto entry = std::make_shared<Watch>(Watch{++generation_, std::move(callback)});
    epoll_event ev{};
    ev.events = events;
    // The generation guards against a callback for an fd that was closed and
    // reused by another watch during the same dispatch round.
    ev.data.u64 = (static_cast<uint64_t>(entry->generation) << 32) | static_cast<uint32_t>(fd);
    bool existing = watches_.count(fd) != 0;
    if (epoll_ctl(epoll_.get(), existing ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0)
        throw std::runtime_error("epoll_ctl(" + std::to_string(fd) + "): " + std::strerror(errno));
    watches_[fd] = std::move(entry);
}

void EventLoop::unwatch(int fd) {
    if (watches_.erase(fd))
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::schedule(LoopTimer &timer, uint64_t deadline_us) {
    timer.position_ = timers_.emplace(deadline_us, &timer);
    timer.armed_ = true;
}

void EventLoop::cancel(LoopTimer &timer) {
    timers_.erase(timer.position_);
    timer.armed_ = false;
}

int EventLoop::next_timeout_ms(int max_wait_ms) const {
    if (timers_.empty())
        return max_wait_ms;
    uint64_t now = monotonic_us();
    uint64_t first = timers_.begin()->first;
    // Round up so that we never wake up just before a deadline and spin.
    int64_t wait = first <= now ? 0 : static_cast<int64_t>((first - now + 999) / 1000);
    if (max_wait_ms >= 0 && wait > max_wait_ms)
        wait = max_wait_ms;
    return static_cast<int>(wait);
}

void EventLoop::run_due_timers() {
    uint64_t now = monotonic_us();
    // At most the timers queued now run in this round: a callback that
    // re-arms its timer with no delay cannot starve the file descriptors.
    size_t budget = timers_.size();
    while (budget-- && !timers_.empty() && timers_.begin()->first <= now) {
        LoopTimer *timer = timers_.begin()->second;
        cancel(*timer);
        if (timer->interval_us_)
            schedule(*timer, now + timer->interval_us_);
        // Copy: the callback may destroy its own timer.
        LoopTimer::Callback callback = timer->callback_;
        callback();
    }
}

void EventLoop::run_once(int max_wait_ms) {
    epoll_event events[64];
    int n = epoll_wait(epoll_.get(), events, 64, next_timeout_ms(max_wait_ms));
    if (n < 0 && errno != EINTR)
        throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    for (int i = 0; i < n; ++i) {
        int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
        uint32_t generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
        auto it = watches_.find(fd);
        if (it == watches_.end() || it->second->generation != generation)
            continue;
        // Keep the watch alive while its callback may unwatch itself.
        std::shared_ptr<Watch> watch = it->second;
        watch->callback(events[i].events);
    }
    run_due_timers();
}

void EventLoop::run() {
    stopping_ = false;
    while (!stopping_)
        run_once(-1);
}

} // namespace ctd
