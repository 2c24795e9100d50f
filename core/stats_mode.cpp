#include "stats_mode.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <sys/time.h>
#include <unistd.h>

#include "cache_dump.hpp"
#include "ct/format.hpp"
#include "log.hpp"
#include "kernel_flush.hpp"
#include "options.hpp"

namespace ctd {

namespace {

// Entry flag: known alive since the current resync began (found by its
// dump, or created or updated by an event meanwhile).
constexpr uint16_t flag_seen = 0x1;

uint64_t realtime_us() {
    timeval tv;
    gettimeofday(&tv, nullptr);
    return static_cast<uint64_t>(tv.tv_sec) * 1000000u + static_cast<uint64_t>(tv.tv_usec);
}

} // namespace

StatsMode::StatsMode(EventLoop &loop, StatsSettings settings, FlowOutput &output,
                     NetlinkCounters &counters, ProcessTable *processes)
    : settings_(std::move(settings)), output_(output), counters_(counters),
      processes_(processes),
      cache_("stats", settings_.hash_size, settings_.hash_limit),
      events_(loop, settings_.events, counters),
      resync_timer_(loop, [this] { resync(true); }),
      poll_timer_(loop, [this] { poll(); }),
      flush_timer_(loop, [this] { output_.flush(); }) {}

StatsMode::~StatsMode() = default;

uint32_t StatsMode::now() const {
    return static_cast<uint32_t>(EventLoop::monotonic_us() / 1000000u);
}

void StatsMode::start() {
    table_.open();
    if (settings_.poll_secs) {
        logger().log(log_notice, "running in polling mode");
        resync(true);
        poll_timer_.arm(settings_.poll_secs * 1000000ull, settings_.poll_secs * 1000000ull);
        return;
    }
    // Subscribe first, then dump: a flow that ends during the dump is then
    // either in the dump or announced by an event, never missed.
    events_.ignore_origin(table_.portid());
    events_.start([this](const ct::Flow &flow) { on_event(flow); }, nullptr,
                  [this] { schedule_overrun_resync(); });
    resync(false);
    // Filling the cache at start-up is not a resync.
    counters_.resync_kernel_table = 0;
}

FlowCache::Entry *StatsMode::cache_flow(const ct::Flow &flow, bool update) {
    // The cache keeps what identifies and describes a flow, not what
    // changes with every packet.
    scratch_ = flow;
    using A = ct::FlowAttr;
    for (A a : {A::Timeout, A::Use, A::OrigPackets, A::OrigBytes, A::ReplyPackets, A::ReplyBytes})
        scratch_.present.reset(a);
    return update ? cache_.update_or_add(scratch_, now()) : cache_.add(scratch_, now());
}

void StatsMode::on_event(const ct::Flow &flow) {
    if (flow.type == ct::MessageType::Destroy) {
        FlowCache::Entry *entry = cache_.find(flow);
        // A flow we tracked is logged whatever the filter says now (its TCP
        // state may have moved out of an accepted set); others only if the
        // filter would have let them in.
        if (!entry && !filter_accepts(settings_.filter, flow)) {
            ++counters_.events_filtered;
            return;
        }
        log_ended(flow);
        if (entry)
            cache_.remove(entry);
        else
            ++cache_.counters().destroy_failed, ++cache_.counters().destroy_not_found;
        return;
    }
    if (!filter_accepts(settings_.filter, flow)) {
        ++counters_.events_filtered;
        return;
    }
    // Alive: a resync in progress must not purge it.
    if (FlowCache::Entry *entry = cache_flow(flow, true))
        entry->flags |= flag_seen;
}

void StatsMode::log_ended(const ct::Flow &flow) {
    using A = ct::FlowAttr;
    if (flow.has(A::OrigBytes))
        traffic_bytes_ += flow.counters[0].bytes;
    if (flow.has(A::ReplyBytes))
        traffic_bytes_ += flow.counters[1].bytes;
    if (flow.has(A::OrigPackets))
        traffic_packets_ += flow.counters[0].packets;
    if (flow.has(A::ReplyPackets))
        traffic_packets_ += flow.counters[1].packets;
    // The reference logs the flow, not the event: no [DESTROY] prefix, no
    // timeout or use count.
    scratch_ = flow;
    scratch_.type = ct::MessageType::Unknown;
    scratch_.present.reset(ct::FlowAttr::Timeout);
    scratch_.present.reset(ct::FlowAttr::Use);
    output_.write(scratch_, realtime_us());
    // Records are flushed once per loop round, not once per flow.
    if (!flush_timer_.armed())
        flush_timer_.arm(0);
}

void StatsMode::schedule_overrun_resync() {
    if (settings_.overrun_resync_secs < 0 || resync_timer_.armed())
        return;
    resync_timer_.arm(static_cast<uint64_t>(settings_.overrun_resync_secs) * 1000000u);
}

void StatsMode::resync(bool purge) {
    ++counters_.resync_kernel_table;
    // Each flow that ends must be logged once, by its destroy event or by
    // the purge below, never by both.  Events already queued are handled
    // first; the dump skips dying flows (their destroy event is out or on
    // its way: taking them back would log them again at the next resync);
    // and the events queued during the dump are handled before the purge,
    // so that it logs only the flows whose destroy event was lost.
    bool listening = settings_.poll_secs == 0;
    if (listening)
        events_.drain();
    cache_.for_each([](FlowCache::Entry *e) { e->flags &= ~flag_seen; });
    ct::DumpFilter filter;
    int err = table_.dump(
        filter,
        [&](const ct::Flow &flow) {
            if (flow.has(ct::FlowAttr::Status) && (flow.status & ct::status::Dying))
                return;
            if (!filter_accepts(settings_.filter, flow))
                return;
            if (FlowCache::Entry *e = cache_flow(flow, true))
                e->flags |= flag_seen;
        },
        &counters_);
    if (err < 0) {
        logger().logf(log_error, "can't dump the conntrack table: %s", std::strerror(-err));
        // The cache may still be missing what the overrun lost: try again.
        if (listening)
            schedule_overrun_resync();
        return;
    }
    if (!purge)
        return;
    if (listening)
        events_.drain();
    ct::Flow gone;
    cache_.for_each([&](FlowCache::Entry *e) {
        if (e->flags & flag_seen)
            return;
        cache_.unpack(e, gone);
        log_ended(gone);
        cache_.remove(e);
    });
}

void StatsMode::poll() { resync(true); }

std::string StatsMode::stats_text() const {
    std::string text = cache_.summary_text("cache stats");
    char traffic[256];
    std::snprintf(traffic, sizeof traffic, "traffic processed:\n%20llu Bytes      %20llu Pckts\n\n",
                  static_cast<unsigned long long>(traffic_bytes_),
                  static_cast<unsigned long long>(traffic_packets_));
    return text + traffic;
}

void StatsMode::write_dump(ReplyWriter &writer, bool xml) const {
    ct::FormatOptions options;
    options.format = xml ? ct::OutputFormat::Xml : ct::OutputFormat::Default;
    ct::Flow flow;
    uint32_t current = now();
    write_cache_lines(writer, const_cast<FlowCache &>(cache_), [&](FlowCache::Entry *e, ct::TextBuffer &out) {
        cache_.unpack(e, flow);
        ct::format_flow(out, flow, options);
        if (!xml)
            append_active_since(out, current, e->created);
    });
}

bool StatsMode::handle_request(ControlSession &session) {
    int request = session.request();
    switch (request) {
    case req_stats:
        session.reply(stats_text());
        return true;
    case req_stats_cache:
        session.reply(cache_.detail_text());
        return true;
    case req_ct_dump_internal:
    case req_ct_dump_int_xml: {
        bool xml = request == req_ct_dump_int_xml;
        // A child writes the dump, as the reference does: a slow reader
        // cannot stall the daemon, and the child sees a frozen cache.
        if (!session.reply_from_child(ProcessType::any, false,
                                      [this, xml](ReplyWriter &out) { write_dump(out, xml); })) {
            logger().logf(log_error, "can't fork to dump the cache: %s", std::strerror(errno));
        }
        return true;
    }
    case req_ct_flush_cache:
    case req_ct_flush_int_cache:
    case req_all_flush_cache:
        // The reference ignores a bare `-f` (45) in stats mode; flushing is
        // what it asks for (docs/compatibility.md).
        logger().log(log_notice, "flushing caches");
        cache_.clear();
        return true;
    case req_ct_resync_master:
    case req_all_resync_master:
        logger().log(log_notice, "resync requested");
        resync(false);
        return true;
    case req_ct_flush_master:
    case req_all_flush_master:
        logger().log(log_notice, "flushing kernel conntrack table");
        ++counters_.flush_kernel_table;
        if (processes_ && !flush_kernel_table(*processes_, settings_.filter, true, false))
            logger().logf(log_error, "can't flush the kernel table: %s", std::strerror(errno));
        return true;
    default:
        return false;
    }
}

} // namespace ctd
