// The services the core offers to plugins (struct ctd_host_api), and the
// per-plugin handle (struct ctd_host) every service call carries, so that
// log lines name the plugin and what a plugin registered can be undone when
// it is unloaded.
#pragma once

#include <conntrackd/plugin.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "event_loop.hpp"

namespace ctd {
class PluginHost;
}

// Completes the opaque type of plugin.h.
struct ctd_host {
    ctd::PluginHost *owner = nullptr;
    std::string label; // "<kind>/<name>", printed on every log line
    std::set<int> watched_fds;
    std::set<ctd_timer *> timers;
    ~ctd_host();
};

// Completes the opaque timer type.
struct ctd_timer {
    ctd_host *host;
    ctd::LoopTimer timer;
};

namespace ctd {

class PluginHost {
public:
    using FlowFormatter =
        std::function<size_t(const ctd_flow &, uint32_t format, char *buf, size_t len)>;
    // Receives a transport's CTD_TRANSPORT_EVENT_* for the link created
    // with `link_context`.
    using TransportEventHandler = std::function<void(void *link_context, uint32_t event)>;

    // `loop` may be null for inspection-only uses; fd and timer services
    // then fail cleanly.
    explicit PluginHost(EventLoop *loop);
    PluginHost(const PluginHost &) = delete;
    PluginHost &operator=(const PluginHost &) = delete;

    const ctd_host_api *api() const { return &api_; }
    EventLoop *loop() const { return loop_; }

    std::unique_ptr<ctd_host> make_handle(const std::string &label);

    void set_flow_formatter(FlowFormatter formatter) { formatter_ = std::move(formatter); }
    void set_transport_event_handler(TransportEventHandler handler) {
        transport_event_handler_ = std::move(handler);
    }

    struct Counter {
        std::string plugin;
        std::string name;
        std::string help;
        uint64_t value = 0;
    };
    const std::vector<Counter> &counters() const { return counters_; }

private:
    static void log(ctd_host *host, uint32_t priority, const char *message);
    static int fd_watch(ctd_host *host, int fd, uint32_t events, ctd_fd_callback cb, void *user);
    static void fd_unwatch(ctd_host *host, int fd);
    static ctd_timer *timer_new(ctd_host *host, ctd_timer_callback cb, void *user);
    static void timer_arm(ctd_timer *timer, uint64_t delay_us, uint64_t interval_us);
    static void timer_disarm(ctd_timer *timer);
    static void timer_free(ctd_timer *timer);
    static uint64_t monotonic_us(ctd_host *host);
    static uint32_t counter_new(ctd_host *host, const char *name, const char *help);
    static void counter_add(ctd_host *host, uint32_t counter, uint64_t delta);
    static size_t flow_format(ctd_host *host, const ctd_flow *flow, uint32_t format, char *buf,
                              size_t len);
    static void transport_event(ctd_host *host, void *link_context, uint32_t event);

    EventLoop *loop_;
    ctd_host_api api_;
    FlowFormatter formatter_;
    TransportEventHandler transport_event_handler_;
    std::vector<Counter> counters_;
};

} // namespace ctd
