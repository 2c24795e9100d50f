// The sync engine: everything the sync modes share (reference-behaviour 4
// and 5).  It keeps the internal cache (flows of this firewall, fed by
// kernel events) and the external cache (flows received from peers), owns
// the links (transport plugins) with their batching and fail-over, numbers
// and frames messages, checks what arrives, and commits or injects received
// flows into the kernel.  What to send when, and what control messages
// mean, is the sync mode plugin's business: it talks to the engine through
// the host's sync services (SyncServices).
#pragma once

#include <conntrackd/plugin.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control_server.hpp"
#include "event_loop.hpp"
#include "filter.hpp"
#include "flow_cache.hpp"
#include "kernel.hpp"
#include "plugin_config.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"
#include "sync/wire.hpp"
#include "unique_fd.hpp"

namespace ctd::sync {

struct SyncSettings {
    uint32_t hash_size = 65536;
    uint32_t hash_limit = 262144;
    FilterRules filter;
    EventSettings events;
    int overrun_resync_secs = 30;  // -1: never
    unsigned poll_secs = 0;
    bool disable_internal_cache = false;
    bool disable_external_cache = false;
    uint32_t commit_timeout = 0;   // 0: unset
    uint32_t purge_timeout = 60;
    bool startup_resync = false;
    bool tcp_window_tracking = false;
    // ExpectationSync: expectations of these helpers (a case-insensitive
    // prefix match; empty: all) whose master flow is synced.
    bool expectation_sync = false;
    std::vector<std::string> expectation_helpers;
};

// A configured link: its transport plugin and checked config.
struct LinkSetup {
    std::shared_ptr<LoadedPlugin> plugin;
    std::unique_ptr<PluginConfig> config;
    bool is_default = false;
};

struct NetworkCounters {
    uint64_t recv_malformed = 0, recv_wrong_version = 0, recv_bad_header = 0,
             recv_bad_payload = 0, recv_bad_type = 0, recv_truncated = 0, recv_bad_size = 0;
    uint64_t send_malformed = 0;
    uint64_t seq_lost = 0, seq_before = 0;
};

class Engine : public SyncServices {
public:
    Engine(EventLoop &loop, PluginHost &host, SyncSettings settings,
           std::shared_ptr<LoadedPlugin> mode, std::unique_ptr<PluginConfig> mode_config,
           std::vector<LinkSetup> links, NetlinkCounters &netlink,
           ProcessTable *processes = nullptr);
    ~Engine() override;
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    // Opens the links, the kernel sockets and the mode; fills the internal
    // cache from the kernel table.  Throws std::runtime_error.
    void start();

    // A control request.  Returns false for codes the engine does not
    // know.  A commit keeps the client waiting until it is done.
    bool handle_request(ControlSession &session);

    // Whether a fork()ed child is allowed to run now (the daemon's process
    // table decides; the engine only asks).
    FlowCache *internal_cache() { return internal_.get(); }
    FlowCache *external_cache() { return external_.get(); }
    const NetworkCounters &network_counters() const { return net_; }

    // SyncServices.
    void *object_area(ctd_object *object) override;
    ctd_object *object_of_area(void *area) override;
    uint32_t object_state(ctd_object *object) override;
    void object_hold(ctd_object *object) override;
    void object_release(ctd_object *object) override;
    void cache_iterate(void (*visit)(void *, ctd_object *), void *user) override;
    uint32_t send_object(ctd_object *object, uint8_t flags) override;
    uint32_t send_control(uint8_t flags, uint32_t from, uint32_t to) override;
    void send_flush() override;
    uint32_t seq_track(uint32_t seq) override;
    void seq_update(uint32_t seq) override;
    void set_external_timeout(uint32_t seconds) override;
    void send_kernel_table() override;

private:
    struct Link;
    class CarrierMonitor;
    class Commit;

    // Links and sending.
    void open_links();
    static void deliver(void *context, const void *data, size_t len);
    void on_transport_event(void *context, uint32_t event);
    uint8_t *reserve(size_t length);
    void queue_message(size_t length);
    void flush_links();
    uint32_t next_seq();
    void carrier_changed(uint32_t ifindex, bool up);
    void make_active(size_t index, const char *why);

    // Receiving.
    void receive(Link &link, const uint8_t *data, size_t len);
    size_t receive_messages(Link &link, const uint8_t *data, size_t len);
    void handle_message(Link &link, const Header &header, const uint8_t *message);
    void apply_flow(uint8_t type, ct::Flow &flow);
    void inject_flow(uint8_t type, ct::Flow &flow);
    void apply_expect(uint8_t type, const ct::Expect &exp);

    // The kernel side.
    void on_kernel_event(const ct::Flow &flow);
    void on_kernel_expect(const ct::Expect &exp);
    bool expectation_wanted(const ct::Expect &exp) const;
    FlowCache &cache_of(FlowCache::Entry *entry);
    void resync_with_kernel(bool purge);
    void schedule_overrun_resync();
    void catch_up_unreplied_flows();
    void send_bypass(const ct::Flow &flow, uint8_t type);
    void expire_external();

    // Requests.
    std::string stats_text() const;
    std::string network_text() const;
    std::string link_text(bool all) const;
    std::string queue_text() const;
    void write_dump(ReplyWriter &out, FlowCache &cache, bool xml, bool external);
    void write_expect_dump(ReplyWriter &out, FlowCache &cache, bool xml);
    void dump(ControlSession &session, FlowCache *cache, bool xml, bool external, bool expectations);
    void purge_kernel_table();
    uint32_t now() const;

    EventLoop &loop_;
    PluginHost &host_;
    SyncSettings settings_;
    NetlinkCounters &netlink_;
    ProcessTable *processes_;
    EncodeOptions encode_options_;

    std::shared_ptr<LoadedPlugin> mode_plugin_;
    std::unique_ptr<PluginConfig> mode_config_;
    const ctd_sync_ops *mode_ops_ = nullptr;
    void *mode_ = nullptr;

    std::vector<LinkSetup> link_setups_;
    std::vector<std::unique_ptr<Link>> links_;
    size_t active_ = 0;
    std::unique_ptr<CarrierMonitor> carrier_;
    LoopTimer flush_timer_;

    std::unique_ptr<FlowCache> internal_;
    std::unique_ptr<FlowCache> external_;
    // Expectations (ExpectationSync), in caches of their own so that
    // `-s expect` counts them apart.
    std::unique_ptr<FlowCache> internal_expect_;
    std::unique_ptr<FlowCache> external_expect_;
    uint32_t external_timeout_ = 0;
    LoopTimer expire_timer_;

    KernelEvents events_;
    KernelTable table_;        // dumps
    KernelTable inject_;       // direct injection (DisableExternalCache)
    LoopTimer resync_timer_;
    LoopTimer catch_up_timer_;  // after a commit: see catch_up_unreplied_flows()
    bool catch_up_all_ = false;
    LoopTimer purge_timer_;
    std::unique_ptr<Commit> commit_;

    // Sequence numbers: ours, and the peer's as last seen.
    bool seq_started_ = false;
    uint32_t seq_ = 0;
    bool peer_seq_known_ = false;
    uint32_t peer_last_seq_ = 0;
    NetworkCounters net_;

    // Counters of the bypass/inject blocks of `-s`.
    uint64_t bypass_new_ = 0, bypass_update_ = 0, bypass_destroy_ = 0;
    uint64_t inject_ok_[3] = {}, inject_failed_[3] = {};
    uint64_t traffic_bytes_ = 0, traffic_packets_ = 0;

    ct::Flow flow_;
    ct::Expect expect_;
    uint8_t message_[max_message_size];
};

} // namespace ctd::sync
