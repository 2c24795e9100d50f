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

// What the sync engine offers sync-mode plugins (ctd_host_api, ABI 1.1).
class SyncServices {
public:
    virtual ~SyncServices() = default;
    virtual void *object_area(ctd_object *object) = 0;
    virtual ctd_object *object_of_area(void *area) = 0;
    virtual uint32_t object_state(ctd_object *object) = 0;
    virtual void object_hold(ctd_object *object) = 0;
    virtual void object_release(ctd_object *object) = 0;
    virtual void cache_iterate(void (*visit)(void *, ctd_object *), void *user) = 0;
    virtual uint32_t send_object(ctd_object *object, uint8_t flags) = 0;
    virtual uint32_t send_control(uint8_t flags, uint32_t from, uint32_t to) = 0;
    virtual void send_flush() = 0;
    virtual uint32_t seq_track(uint32_t seq) = 0;
    virtual void seq_update(uint32_t seq) = 0;
    virtual void set_external_timeout(uint32_t seconds) = 0;
    virtual void send_kernel_table() = 0;
};

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
    // The sync engine, while one runs; its services fail cleanly otherwise.
    void set_sync_services(SyncServices *services) { sync_ = services; }

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
    static SyncServices *sync_of(ctd_host *host) { return host ? host->owner->sync_ : nullptr; }

    EventLoop *loop_;
    ctd_host_api api_;
    FlowFormatter formatter_;
    TransportEventHandler transport_event_handler_;
    SyncServices *sync_ = nullptr;
    std::vector<Counter> counters_;
};

} // namespace ctd
