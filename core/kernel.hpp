// The daemon's link to the kernel's conntrack table: the event socket, and
// request sockets for dumps and batched changes.
//
// Events: subscribed with the configured receive buffer, which doubles on
// each overrun (ENOBUFS) up to NetlinkBufferSizeMaxGrowth.  An overrun means
// events were lost, so the owner is told and schedules a resync with the
// table (NetlinkOverrunResync).  Events caused by the daemon's own request
// sockets (commit, inject, flush) are recognised by their netlink port id
// and not handed on, so that a replica never echoes what it was told.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "ct/codec.hpp"
#include "ct/flow.hpp"
#include "ct/netlink.hpp"
#include "event_loop.hpp"
#include "filter.hpp"
#include "runtime_stats.hpp"

namespace ctd {


struct EventSettings {
    unsigned groups = ct::msg::GroupNew | ct::msg::GroupUpdate | ct::msg::GroupDestroy;
    std::size_t buffer_size = 0;        // NetlinkBufferSize; 0: the system default
    std::size_t buffer_max_growth = 0;  // NetlinkBufferSizeMaxGrowth
    bool reliable = false;              // NetlinkEventsReliable
    unsigned iteration_limit = 100;     // EventIterationLimit
    // General/Filter: where events are filtered.  With `kernel`, the rules
    // are attached to the event socket as a BPF program.
    enum class FilterPlace { none, user, kernel } filter_place = FilterPlace::none;
    FilterRules kernel_filter;
};

class KernelEvents {
public:
    using FlowHandler = std::function<void(const ct::Flow &)>;
    using ExpectHandler = std::function<void(const ct::Expect &)>;
    using OverrunHandler = std::function<void()>;

    KernelEvents(EventLoop &loop, EventSettings settings, NetlinkCounters &counters);
    ~KernelEvents();

    // Opens the socket and starts watching it.  Throws std::runtime_error.
    void start(FlowHandler on_flow, ExpectHandler on_expect, OverrunHandler on_overrun);
    void stop();

    // Events caused by this socket (a request socket of the daemon) are
    // skipped.
    void ignore_origin(uint32_t portid) { own_portids_.insert(portid); }
    void forget_origin(uint32_t portid) { own_portids_.erase(portid); }

    std::size_t buffer_size() const { return buffer_size_; }
    int fd() const { return socket_.fd(); }

    // Leaves (false) or joins again (true) the NEW event group, if the
    // socket subscribes to it.  With no listener left in the group, the
    // kernel does not build NEW events at all.  Returns whether the
    // membership changed.
    bool set_new_events(bool on);

    // Reads everything pending now, however much (used around a resync).
    void drain();

private:
    void readable();
    // Reads at most `rounds` times; says why it stopped.
    enum class ReadStop { empty, limit, error };
    ReadStop read_events(unsigned rounds);
    void grow_buffer();

    EventLoop &loop_;
    EventSettings settings_;
    NetlinkCounters &counters_;
    ct::NetlinkSocket socket_;
    FlowHandler on_flow_;
    ExpectHandler on_expect_;
    OverrunHandler on_overrun_;
    std::set<uint32_t> own_portids_;
    std::size_t buffer_size_ = 0;
    bool growth_warned_ = false;
    ct::Flow flow_;     // reused for every event
    ct::Expect expect_;
};

// Request socket: dumps, gets, and batches of create/update/delete.
class KernelTable {
public:
    KernelTable();
    // Opens the socket.  Throws std::runtime_error.
    void open();
    uint32_t portid() const { return socket_.portid(); }

    // Calls `visit` for every flow of the table (filtered by the kernel as
    // far as `filter` allows).  Returns 0 or -errno.
    int dump(const ct::DumpFilter &filter, const std::function<void(const ct::Flow &)> &visit,
             NetlinkCounters *counters = nullptr);
    int dump_expect(uint8_t family, const std::function<void(const ct::Expect &)> &visit);

    // Flushes the whole table of `family` (AF_UNSPEC: both).
    int flush(uint8_t family = AF_UNSPEC);
    int flush_expect(uint8_t family = AF_UNSPEC);

    // One change; 0 or -errno.
    int create(const ct::Flow &flow, bool exclusive = true);
    int update(const ct::Flow &flow);
    int destroy(const ct::Flow &flow);
    int get(const ct::Flow &key, ct::Flow &out);
    int create_expect(const ct::Expect &exp);
    int destroy_expect(const ct::Expect &exp);

    // The kernel's count of flows inserted through ctnetlink (the "insert"
    // statistic, summed over the CPUs; traffic does not count there), into
    // `total`.  0 or -errno.
    int ctnetlink_insertions(uint64_t &total);

    ct::NetlinkSocket &socket() { return socket_; }

private:
    ct::NetlinkSocket socket_;
};

} // namespace ctd
