// Stats mode (the Stats section): track every flow, and when one ends,
// write it through the configured output plugin (the reference's flow log
// by default).
//
// The stats cache is filled from a dump of the kernel table at start-up,
// then kept up to date from events.  A destroy event writes the event's
// flow (with its final counters) to the output; when a resync finds that a
// cached flow has vanished without its destroy event (lost in an overrun),
// the cached flow is written instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "control_server.hpp"
#include "event_loop.hpp"
#include "filter.hpp"
#include "flow_cache.hpp"
#include "kernel.hpp"

struct ctd_flow;

namespace ctd {

class LoadedPlugin;

struct StatsSettings {
    uint32_t hash_size = 65536;
    uint32_t hash_limit = 262144;
    int overrun_resync_secs = 30;  // -1: never
    unsigned poll_secs = 0;        // PollSecs: 0 means event-driven
    EventSettings events;
    FilterRules filter;
};

// The output an ended flow is written to: an output plugin instance.
class FlowOutput {
public:
    virtual ~FlowOutput() = default;
    virtual void write(const ct::Flow &flow, uint64_t when_us) = 0;
    virtual void flush() = 0;
    virtual void reopen() = 0;
};

class StatsMode {
public:
    StatsMode(EventLoop &loop, StatsSettings settings, FlowOutput &output,
              NetlinkCounters &counters, ProcessTable *processes = nullptr);
    ~StatsMode();

    // Dumps the table into the cache and subscribes to events.  Throws
    // std::runtime_error.
    void start();

    // Handles a control request.  Returns false for requests this mode
    // does not know.
    bool handle_request(ControlSession &session);

    // Re-dumps the table: updates cached flows, adds new ones, and (when
    // `purge`) writes and drops the cached flows the kernel no longer has.
    void resync(bool purge);

    FlowCache &cache() { return cache_; }
    const FlowCache &cache() const { return cache_; }
    uint64_t traffic_bytes() const { return traffic_bytes_; }
    uint64_t traffic_packets() const { return traffic_packets_; }
    KernelEvents &events() { return events_; }

private:
    void on_event(const ct::Flow &flow);
    void log_ended(const ct::Flow &flow);
    FlowCache::Entry *cache_flow(const ct::Flow &flow, bool update);
    void schedule_overrun_resync();
    void poll();
    std::string stats_text() const;
    void write_dump(ReplyWriter &out, bool xml) const;
    uint32_t now() const;

    StatsSettings settings_;
    FlowOutput &output_;
    NetlinkCounters &counters_;
    ProcessTable *processes_;
    FlowCache cache_;
    KernelEvents events_;
    KernelTable table_;
    LoopTimer resync_timer_;
    LoopTimer poll_timer_;
    LoopTimer flush_timer_;
    uint64_t traffic_bytes_ = 0, traffic_packets_ = 0;
    ct::Flow scratch_;
};

} // namespace ctd
