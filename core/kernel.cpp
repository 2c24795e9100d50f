#include "kernel.hpp"

#include <cerrno>
#include <cstring>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "ct/stats.hpp"
#include "log.hpp"

#ifndef NETLINK_BROADCAST_SEND_ERROR
#define NETLINK_BROADCAST_SEND_ERROR 4
#endif
#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif

namespace ctd {


KernelEvents::KernelEvents(EventLoop &loop, EventSettings settings, NetlinkCounters &counters)
    : loop_(loop), settings_(settings), counters_(counters) {}

KernelEvents::~KernelEvents() { stop(); }

void KernelEvents::start(FlowHandler on_flow, ExpectHandler on_expect, OverrunHandler on_overrun) {
    on_flow_ = std::move(on_flow);
    on_expect_ = std::move(on_expect);
    on_overrun_ = std::move(on_overrun);
    if (int err = socket_.open(settings_.groups); err < 0)
        throw std::runtime_error(std::string("can't open netlink event socket: ") + std::strerror(-err));
    if (settings_.filter_place == EventSettings::FilterPlace::kernel) {
        if (int err = attach_kernel_filter(socket_.fd(), settings_.kernel_filter); err < 0)
            throw std::runtime_error(std::string("cannot set event filtering: ") + std::strerror(-err));
        logger().log(log_notice, "using kernel-space event filtering");
    } else if (settings_.filter_place == EventSettings::FilterPlace::user) {
        logger().log(log_notice, "using user-space event filtering");
    }
    if (settings_.buffer_size && settings_.buffer_size <= settings_.buffer_max_growth) {
        // The kernel doubles what it is given; the reference halves the
        // configured size first so that the result is what was asked for.
        socket_.set_receive_buffer(settings_.buffer_size / 2);
    } else {
        logger().log(log_notice, "NetlinkBufferSize is either not set or is greater than "
                                 "NetlinkBufferSizeMaxGrowth. Using current system buffer size");
    }
    buffer_size_ = socket_.receive_buffer();
    counters_.current_buffer_size = buffer_size_;
    logger().logf(log_notice, "netlink event socket buffer size has been set to %zu bytes",
                  buffer_size_);
    if (settings_.reliable) {
        socket_.set_option(NETLINK_BROADCAST_SEND_ERROR, 1);
        socket_.set_option(NETLINK_NO_ENOBUFS, 1);
        logger().log(log_notice, "reliable ctnetlink event delivery is ENABLED.");
    }
    socket_.set_nonblocking(true);
    loop_.watch(socket_.fd(), EPOLLIN, [this](uint32_t) { readable(); });
}

bool KernelEvents::set_new_events(bool on) {
    if (!socket_.is_open() || !(settings_.groups & ct::msg::GroupNew))
        return false;
    int group = NFNLGRP_CONNTRACK_NEW;
    return setsockopt(socket_.fd(), SOL_NETLINK, on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP,
                      &group, sizeof(group)) == 0;
}

void KernelEvents::stop() {
    if (socket_.is_open() && loop_.watching(socket_.fd()))
        loop_.unwatch(socket_.fd());
}

void KernelEvents::grow_buffer() {
    // Without NetlinkBufferSizeMaxGrowth the reference cannot grow at all;
    // we grow up to a bound that is still sane for a busy firewall.
    constexpr std::size_t default_max_growth = 16u << 20;
    std::size_t limit = settings_.buffer_max_growth ? settings_.buffer_max_growth : default_max_growth;
    std::size_t wanted = buffer_size_ * 2;
    if (wanted > limit) {
        wanted = limit;
        if (!growth_warned_) {
            logger().logf(log_warning,
                          "netlink event socket buffer has reached NetlinkBufferSizeMaxGrowth "
                          "(%zu bytes): events are being lost; the cache is resynchronised with "
                          "the kernel table, but consider raising NetlinkBufferSize and "
                          "NetlinkBufferSizeMaxGrowth",
                          limit);
            growth_warned_ = true;
        }
    }
    if (wanted <= buffer_size_)
        return;
    socket_.set_receive_buffer(wanted / 2);
    buffer_size_ = socket_.receive_buffer();
    counters_.current_buffer_size = buffer_size_;
    logger().logf(log_notice, "netlink event socket buffer size has been increased to %zu bytes",
                  buffer_size_);
}

void KernelEvents::drain() {
    // Unbounded: the caller needs every event queued so far handled.
    while (read_events(settings_.iteration_limit) == ReadStop::limit) {
    }
}

void KernelEvents::readable() {
    // Bounded work per round (EventIterationLimit reads), so that a storm of
    // events cannot starve the sync links and the control socket.
    read_events(settings_.iteration_limit);
}

KernelEvents::ReadStop KernelEvents::read_events(unsigned rounds) {
    for (unsigned round = 0; round < rounds; ++round) {
        int handled = socket_.receive([this](const nlmsghdr *nlh) {
            uint8_t subsys = NFNL_SUBSYS_ID(nlh->nlmsg_type);
            ++counters_.events_received;
            if (nlh->nlmsg_pid && own_portids_.count(nlh->nlmsg_pid))
                return ct::CallbackContinue;
            if (subsys == ct::msg::SubsysConntrack) {
                if (ct::parse_flow(nlh, flow_) != ct::ParseResult::Ok) {
                    ++counters_.catch_event_failed;
                    return ct::CallbackContinue;
                }
                if (flow_.type == ct::MessageType::Unknown) {
                    ++counters_.events_unknown_type;
                    return ct::CallbackContinue;
                }
                if (on_flow_)
                    on_flow_(flow_);
            } else if (subsys == ct::msg::SubsysExpect) {
                if (ct::parse_expect(nlh, expect_) != ct::ParseResult::Ok) {
                    ++counters_.catch_event_failed;
                    return ct::CallbackContinue;
                }
                if (on_expect_)
                    on_expect_(expect_);
            } else {
                ++counters_.events_unknown_type;
            }
            return ct::CallbackContinue;
        });
        if (handled == -EAGAIN || handled == -EWOULDBLOCK)
            return ReadStop::empty;
        if (handled == -ENOBUFS) {
            ++counters_.netlink_overrun;
            grow_buffer();
            if (on_overrun_)
                on_overrun_();
            continue;
        }
        if (handled < 0) {
            ++counters_.catch_event_failed;
            logger().logf(log_error, "failed to receive netlink events: %s", std::strerror(-handled));
            return ReadStop::error;
        }
    }
    return ReadStop::limit;
}

KernelTable::KernelTable() = default;

void KernelTable::open() {
    if (int err = socket_.open(); err < 0)
        throw std::runtime_error(std::string("can't open netlink request socket: ") +
                                 std::strerror(-err));
}

int KernelTable::dump(const ct::DumpFilter &filter,
                      const std::function<void(const ct::Flow &)> &visit,
                      NetlinkCounters *counters) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_dump(buf, sizeof buf, socket_.next_seq(), filter);
    if (!req)
        return -EINVAL;
    ct::Flow flow;
    return socket_.dump(req, [&](const nlmsghdr *nlh) {
        if (ct::parse_flow(nlh, flow) != ct::ParseResult::Ok) {
            if (counters)
                ++counters->dump_unknown_type;
            return ct::CallbackContinue;
        }
        visit(flow);
        return ct::CallbackContinue;
    });
}

int KernelTable::dump_expect(uint8_t family, const std::function<void(const ct::Expect &)> &visit) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_simple(buf, sizeof buf, ct::msg::SubsysExpect, ct::msg::ExpGet, 0,
                                     family, socket_.next_seq());
    if (!req)
        return -EINVAL;
    ct::Expect exp;
    return socket_.dump(req, [&](const nlmsghdr *nlh) {
        if (ct::parse_expect(nlh, exp) == ct::ParseResult::Ok)
            visit(exp);
        return ct::CallbackContinue;
    });
}

int KernelTable::flush(uint8_t family) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_simple(buf, sizeof buf, ct::msg::SubsysConntrack, ct::msg::CtDelete,
                                     0, family, 0);
    return req ? socket_.request(req) : -EINVAL;
}

int KernelTable::ctnetlink_insertions(uint64_t &total) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_simple(buf, sizeof buf, ct::msg::SubsysConntrack,
                                     ct::msg::CtGetStatsCpu, NLM_F_DUMP, AF_UNSPEC, 0);
    if (!req)
        return -EINVAL;
    total = 0;
    bool seen = false;
    ct::CpuStats cpu;
    int err = socket_.dump(req, [&](const nlmsghdr *m) {
        if (ct::parse_cpu_stats(m, cpu) == ct::ParseResult::Ok && cpu.has(CTA_STATS_INSERT)) {
            total += cpu.value[CTA_STATS_INSERT];
            seen = true;
        }
        return ct::CallbackContinue;
    });
    if (err < 0)
        return err;
    return seen ? 0 : -EOPNOTSUPP;
}

int KernelTable::flush_expect(uint8_t family) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_simple(buf, sizeof buf, ct::msg::SubsysExpect, ct::msg::ExpDelete,
                                     0, family, 0);
    return req ? socket_.request(req) : -EINVAL;
}

int KernelTable::create(const ct::Flow &flow, bool exclusive) {
    unsigned char buf[ct::MaxRequestSize];
    uint16_t flags = NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0);
    nlmsghdr *req = ct::build_flow(buf, sizeof buf, ct::msg::CtNew, flags, 0, flow);
    return req ? socket_.request(req) : -EINVAL;
}

int KernelTable::update(const ct::Flow &flow) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_flow(buf, sizeof buf, ct::msg::CtNew, 0, 0, flow);
    return req ? socket_.request(req) : -EINVAL;
}

int KernelTable::destroy(const ct::Flow &flow) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_flow(buf, sizeof buf, ct::msg::CtDelete, 0, 0, flow);
    return req ? socket_.request(req) : -EINVAL;
}

int KernelTable::get(const ct::Flow &key, ct::Flow &out) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_flow(buf, sizeof buf, ct::msg::CtGet, 0, 0, key);
    if (!req)
        return -EINVAL;
    bool found = false;
    int err = socket_.request(req, [&](const nlmsghdr *nlh) {
        found = ct::parse_flow(nlh, out) == ct::ParseResult::Ok;
        return ct::CallbackContinue;
    });
    return err ? err : found ? 0 : -ENOENT;
}

int KernelTable::create_expect(const ct::Expect &exp) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_expect(buf, sizeof buf, ct::msg::ExpNew, NLM_F_CREATE | NLM_F_EXCL, 0, exp);
    return req ? socket_.request(req) : -EINVAL;
}

int KernelTable::destroy_expect(const ct::Expect &exp) {
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = ct::build_expect(buf, sizeof buf, ct::msg::ExpDelete, 0, 0, exp);
    return req ? socket_.request(req) : -EINVAL;
}

} // namespace ctd
