#include "plugin_host.hpp"

#include <cerrno>
#include <cstdio>
#include <sys/epoll.h>

#include "log.hpp"

ctd_host::~ctd_host() {
    // Undo what the plugin registered and did not release itself, so that no
    // callback into unloaded code can remain.
    if (owner && owner->loop())
        for (int fd : watched_fds)
            owner->loop()->unwatch(fd);
    for (ctd_timer *timer : timers)
        delete timer;
}

namespace ctd {

PluginHost::PluginHost(EventLoop *loop) : loop_(loop) {
    api_ = ctd_host_api{};
    api_.size = sizeof api_;
    api_.abi_major = CTD_PLUGIN_ABI_MAJOR;
    api_.abi_minor = CTD_PLUGIN_ABI_MINOR;
    api_.log = &PluginHost::log;
    api_.fd_watch = &PluginHost::fd_watch;
    api_.fd_unwatch = &PluginHost::fd_unwatch;
    api_.timer_new = &PluginHost::timer_new;
    api_.timer_arm = &PluginHost::timer_arm;
    api_.timer_disarm = &PluginHost::timer_disarm;
    api_.timer_free = &PluginHost::timer_free;
    api_.monotonic_us = &PluginHost::monotonic_us;
    api_.counter_new = &PluginHost::counter_new;
    api_.counter_add = &PluginHost::counter_add;
    api_.flow_format = &PluginHost::flow_format;
    api_.transport_event = &PluginHost::transport_event;
    // Sync services: each call goes to the engine that is running, if any.
    api_.object_area = [](ctd_host *h, ctd_object *o) -> void * {
        SyncServices *s = sync_of(h);
        return s && o ? s->object_area(o) : nullptr;
    };
    api_.object_of_area = [](ctd_host *h, void *area) -> ctd_object * {
        SyncServices *s = sync_of(h);
        return s && area ? s->object_of_area(area) : nullptr;
    };
    api_.object_state = [](ctd_host *h, ctd_object *o) -> uint32_t {
        SyncServices *s = sync_of(h);
        return s && o ? s->object_state(o) : CTD_OBJECT_DEAD;
    };
    api_.object_hold = [](ctd_host *h, ctd_object *o) {
        if (SyncServices *s = sync_of(h); s && o)
            s->object_hold(o);
    };
    api_.object_release = [](ctd_host *h, ctd_object *o) {
        if (SyncServices *s = sync_of(h); s && o)
            s->object_release(o);
    };
    api_.cache_iterate = [](ctd_host *h, void (*visit)(void *, ctd_object *), void *user) {
        if (SyncServices *s = sync_of(h); s && visit)
            s->cache_iterate(visit, user);
    };
    api_.send_object = [](ctd_host *h, ctd_object *o, uint8_t flags) -> uint32_t {
        SyncServices *s = sync_of(h);
        return s && o ? s->send_object(o, flags) : 0;
    };
    api_.send_control = [](ctd_host *h, uint8_t flags, uint32_t from, uint32_t to) -> uint32_t {
        SyncServices *s = sync_of(h);
        return s ? s->send_control(flags, from, to) : 0;
    };
    api_.send_flush = [](ctd_host *h) {
        if (SyncServices *s = sync_of(h))
            s->send_flush();
    };
    api_.seq_track = [](ctd_host *h, uint32_t seq) -> uint32_t {
        SyncServices *s = sync_of(h);
        return s ? s->seq_track(seq) : CTD_SEQ_UNSET;
    };
    api_.seq_update = [](ctd_host *h, uint32_t seq) {
        if (SyncServices *s = sync_of(h))
            s->seq_update(seq);
    };
    api_.set_external_timeout = [](ctd_host *h, uint32_t seconds) {
        if (SyncServices *s = sync_of(h))
            s->set_external_timeout(seconds);
    };
    api_.send_kernel_table = [](ctd_host *h) {
        if (SyncServices *s = sync_of(h))
            s->send_kernel_table();
    };
}

std::unique_ptr<ctd_host> PluginHost::make_handle(const std::string &label) {
    auto handle = std::make_unique<ctd_host>();
    handle->owner = this;
    handle->label = label;
    return handle;
}

void PluginHost::log(ctd_host *host, uint32_t priority, const char *message) {
    if (!message)
        return;
    int level = priority < log_error ? log_error : priority > log_debug ? log_debug
                                                                          : static_cast<int>(priority);
    logger().logf(level, "%s: %s", host ? host->label.c_str() : "plugin", message);
}

int PluginHost::fd_watch(ctd_host *host, int fd, uint32_t events, ctd_fd_callback cb, void *user) {
    if (!host || !host->owner->loop_ || !cb || fd < 0)
        return -EINVAL;
    uint32_t epoll_events = 0;
    if (events & CTD_FD_READ)
        epoll_events |= EPOLLIN;
    if (events & CTD_FD_WRITE)
        epoll_events |= EPOLLOUT;
    try {
        host->owner->loop_->watch(fd, epoll_events, [cb, user, fd](uint32_t happened) {
            uint32_t out = 0;
            if (happened & (EPOLLIN | EPOLLHUP | EPOLLERR))
                out |= CTD_FD_READ;
            if (happened & EPOLLOUT)
                out |= CTD_FD_WRITE;
            cb(user, fd, out);
        });
    } catch (const std::exception &e) {
        logger().logf(log_error, "%s: %s", host->label.c_str(), e.what());
        return -EBADF;
    }
    host->watched_fds.insert(fd);
    return 0;
}

void PluginHost::fd_unwatch(ctd_host *host, int fd) {
    if (!host || !host->owner->loop_)
        return;
    if (host->watched_fds.erase(fd))
        host->owner->loop_->unwatch(fd);
}

ctd_timer *PluginHost::timer_new(ctd_host *host, ctd_timer_callback cb, void *user) {
    if (!host || !host->owner->loop_ || !cb)
        return nullptr;
    auto *timer = new ctd_timer{host, LoopTimer(*host->owner->loop_, [cb, user] { cb(user); })};
    host->timers.insert(timer);
    return timer;
}

void PluginHost::timer_arm(ctd_timer *timer, uint64_t delay_us, uint64_t interval_us) {
    if (timer)
        timer->timer.arm(delay_us, interval_us);
}

void PluginHost::timer_disarm(ctd_timer *timer) {
    if (timer)
        timer->timer.disarm();
}

void PluginHost::timer_free(ctd_timer *timer) {
    if (!timer)
        return;
    timer->host->timers.erase(timer);
    delete timer;
}

uint64_t PluginHost::monotonic_us(ctd_host *) { return EventLoop::monotonic_us(); }

uint32_t PluginHost::counter_new(ctd_host *host, const char *name, const char *help) {
    if (!host || !name)
        return UINT32_MAX;
    auto &counters = host->owner->counters_;
    counters.push_back(Counter{host->label, name, help ? help : "", 0});
    return static_cast<uint32_t>(counters.size() - 1);
}

void PluginHost::counter_add(ctd_host *host, uint32_t counter, uint64_t delta) {
    if (!host)
        return;
    auto &counters = host->owner->counters_;
    // A plugin may only move its own counters.
    if (counter < counters.size() && counters[counter].plugin == host->label)
        counters[counter].value += delta;
}

size_t PluginHost::flow_format(ctd_host *host, const ctd_flow *flow, uint32_t format, char *buf,
                               size_t len) {
    if (!host || !flow || !host->owner->formatter_) {
        if (buf && len)
            buf[0] = '\0';
        return 0;
    }
    return host->owner->formatter_(*flow, format, buf, len);
}

void PluginHost::transport_event(ctd_host *host, void *link_context, uint32_t event) {
    if (host && host->owner->transport_event_handler_)
        host->owner->transport_event_handler_(link_context, event);
}

} // namespace ctd
