// ct::Flow <-> struct ctd_flow (the plugin ABI's flow).
#include "ct/plugin_flow.hpp"

#include <algorithm>
#include <cstring>

namespace ct {

namespace {

bool uses_ports(std::uint8_t proto) {
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
           proto == IPPROTO_SCTP || proto == IPPROTO_DCCP || proto == IPPROTO_GRE;
}
bool is_icmp(std::uint8_t proto) { return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6; }

void to_tuple(const Tuple &t, ctd_tuple &out) {
    out.l3proto = t.l3proto;
    out.l4proto = t.l4proto;
    std::memcpy(&out.src, &t.src, sizeof(out.src));
    std::memcpy(&out.dst, &t.dst, sizeof(out.dst));
    if (is_icmp(t.l4proto)) {
        out.l4.icmp.type = t.icmp_type;
        out.l4.icmp.code = t.icmp_code;
        out.l4.icmp.id = t.icmp_id;
    } else {
        out.l4.port.sport = t.sport;
        out.l4.port.dport = t.dport;
    }
}

void from_tuple(const ctd_tuple &in, Tuple &t) {
    t = Tuple{};
    t.l3proto = in.l3proto;
    t.l4proto = in.l4proto;
    std::memcpy(&t.src, &in.src, sizeof(t.src));
    std::memcpy(&t.dst, &in.dst, sizeof(t.dst));
    t.set(TupleField::Src);
    t.set(TupleField::Dst);
    t.set(TupleField::L4Proto);
    if (is_icmp(in.l4proto)) {
        t.icmp_type = in.l4.icmp.type;
        t.icmp_code = in.l4.icmp.code;
        t.icmp_id = in.l4.icmp.id;
        t.set(TupleField::IcmpType);
        t.set(TupleField::IcmpCode);
        t.set(TupleField::IcmpId);
    } else if (uses_ports(in.l4proto)) {
        t.sport = in.l4.port.sport;
        t.dport = in.l4.port.dport;
        t.set(TupleField::SrcPort);
        t.set(TupleField::DstPort);
    }
}

} // namespace

void to_plugin_flow(const Flow &f, ctd_flow &out) {
    std::memset(&out, 0, sizeof(out));
    out.size = sizeof(out);
    std::uint64_t p = 0;
    if (f.has(FlowAttr::OrigTuple)) {
        to_tuple(f.orig, out.orig);
        p |= CTD_FLOW_ORIG;
        if (f.orig.has(TupleField::Zone)) {
            out.orig_zone = f.orig.zone;
            p |= CTD_FLOW_ORIG_ZONE;
        }
    }
    if (f.has(FlowAttr::ReplyTuple)) {
        to_tuple(f.reply, out.reply);
        p |= CTD_FLOW_REPLY;
        if (f.reply.has(TupleField::Zone)) {
            out.reply_zone = f.reply.zone;
            p |= CTD_FLOW_REPLY_ZONE;
        }
    }
    if (f.has(FlowAttr::Status)) {
        out.status = f.status;
        p |= CTD_FLOW_STATUS;
    }
    if (f.has(FlowAttr::Timeout)) {
        out.timeout = f.timeout;
        p |= CTD_FLOW_TIMEOUT;
    }
    if (f.has(FlowAttr::Mark)) {
        out.mark = f.mark;
        p |= CTD_FLOW_MARK;
    }
    if (f.has(FlowAttr::Secmark)) {
        out.secmark = f.secmark;
        p |= CTD_FLOW_SECMARK;
    }
    if (f.has(FlowAttr::Id)) {
        out.id = f.id;
        p |= CTD_FLOW_ID;
    }
    if (f.has(FlowAttr::Use)) {
        out.use = f.use;
        p |= CTD_FLOW_USE;
    }
    if (f.has(FlowAttr::Zone)) {
        out.zone = f.zone;
        p |= CTD_FLOW_ZONE;
    }
    if (f.has(FlowAttr::TcpState)) {
        out.state = f.tcp_state;
        p |= CTD_FLOW_STATE;
    } else if (f.has(FlowAttr::SctpState)) {
        out.state = f.sctp_state;
        p |= CTD_FLOW_STATE;
    } else if (f.has(FlowAttr::DccpState)) {
        out.state = f.dccp_state;
        p |= CTD_FLOW_STATE;
    }
    if (f.has(FlowAttr::OrigPackets) || f.has(FlowAttr::OrigBytes) ||
        f.has(FlowAttr::ReplyPackets) || f.has(FlowAttr::ReplyBytes)) {
        out.orig_packets = f.counters[Original].packets;
        out.orig_bytes = f.counters[Original].bytes;
        out.reply_packets = f.counters[Reply].packets;
        out.reply_bytes = f.counters[Reply].bytes;
        p |= CTD_FLOW_COUNTERS;
    }
    if (f.has(FlowAttr::TimestampStart)) {
        out.start_ns = f.timestamp_start;
        out.stop_ns = f.has(FlowAttr::TimestampStop) ? f.timestamp_stop : 0;
        p |= CTD_FLOW_TIMESTAMP;
    }
    if (f.has(FlowAttr::Helper)) {
        static_assert(sizeof(out.helper) == sizeof(f.helper));
        std::memcpy(out.helper, f.helper, sizeof(out.helper));
        p |= CTD_FLOW_HELPER;
    }
    if (f.has(FlowAttr::Labels)) {
        static_assert(sizeof(out.labels) == sizeof(f.labels.words));
        std::memcpy(out.labels, f.labels.words, sizeof(out.labels));
        p |= CTD_FLOW_LABELS;
    }
    if (f.has(FlowAttr::Secctx)) {
        out.secctx = f.secctx.c_str();
        p |= CTD_FLOW_SECCTX;
    }
    out.present = p;
}

void from_plugin_flow(const ctd_flow &given, Flow &f) {
    // Read no further than the producer's struct: later members are absent.
    ctd_flow in;
    std::memset(&in, 0, sizeof(in));
    std::memcpy(&in, &given, std::min<std::size_t>(given.size, sizeof(in)));
    std::uint64_t p = in.present;
    // A member the producer's struct did not reach is absent, whatever
    // its presence bit says.
    static const struct {
        std::uint64_t flag;
        std::size_t end;
    } kEnds[] = {
        {CTD_FLOW_ORIG, offsetof(ctd_flow, orig) + sizeof(ctd_tuple)},
        {CTD_FLOW_REPLY, offsetof(ctd_flow, reply) + sizeof(ctd_tuple)},
        {CTD_FLOW_STATUS, offsetof(ctd_flow, status) + 4},
        {CTD_FLOW_TIMEOUT, offsetof(ctd_flow, timeout) + 4},
        {CTD_FLOW_MARK, offsetof(ctd_flow, mark) + 4},
        {CTD_FLOW_SECMARK, offsetof(ctd_flow, secmark) + 4},
        {CTD_FLOW_ID, offsetof(ctd_flow, id) + 4},
        {CTD_FLOW_USE, offsetof(ctd_flow, use) + 4},
        {CTD_FLOW_ZONE, offsetof(ctd_flow, zone) + 2},
        {CTD_FLOW_ORIG_ZONE, offsetof(ctd_flow, orig_zone) + 2},
        {CTD_FLOW_REPLY_ZONE, offsetof(ctd_flow, reply_zone) + 2},
        {CTD_FLOW_STATE, offsetof(ctd_flow, state) + 1},
        {CTD_FLOW_COUNTERS, offsetof(ctd_flow, reply_bytes) + 8},
        {CTD_FLOW_TIMESTAMP, offsetof(ctd_flow, stop_ns) + 8},
        {CTD_FLOW_HELPER, offsetof(ctd_flow, helper) + sizeof(in.helper)},
        {CTD_FLOW_LABELS, offsetof(ctd_flow, labels) + sizeof(in.labels)},
        {CTD_FLOW_SECCTX, offsetof(ctd_flow, secctx) + sizeof(in.secctx)},
    };
    for (const auto &e : kEnds)
        if (given.size < e.end)
            p &= ~e.flag;

    f.clear();
    if (p & CTD_FLOW_ORIG) {
        from_tuple(in.orig, f.orig);
        f.family = in.orig.l3proto;
        f.set(FlowAttr::OrigTuple);
        if (p & CTD_FLOW_ORIG_ZONE) {
            f.orig.zone = in.orig_zone;
            f.orig.set(TupleField::Zone);
        }
    }
    if (p & CTD_FLOW_REPLY) {
        from_tuple(in.reply, f.reply);
        if (!f.family)
            f.family = in.reply.l3proto;
        f.set(FlowAttr::ReplyTuple);
        if (p & CTD_FLOW_REPLY_ZONE) {
            f.reply.zone = in.reply_zone;
            f.reply.set(TupleField::Zone);
        }
    }
    if (p & CTD_FLOW_STATUS)
        f.set_status(in.status);
    if (p & CTD_FLOW_TIMEOUT)
        f.set_timeout(in.timeout);
    if (p & CTD_FLOW_MARK)
        f.set_mark(in.mark);
    if (p & CTD_FLOW_SECMARK) {
        f.secmark = in.secmark;
        f.set(FlowAttr::Secmark);
    }
    if (p & CTD_FLOW_ID) {
        f.id = in.id;
        f.set(FlowAttr::Id);
    }
    if (p & CTD_FLOW_USE) {
        f.use = in.use;
        f.set(FlowAttr::Use);
    }
    if (p & CTD_FLOW_ZONE)
        f.set_zone(in.zone);
    if (p & CTD_FLOW_STATE) {
        switch (in.orig.l4proto) {
        case IPPROTO_SCTP:
            f.sctp_state = in.state;
            f.set(FlowAttr::SctpState);
            break;
        case IPPROTO_DCCP:
            f.dccp_state = in.state;
            f.set(FlowAttr::DccpState);
            break;
        default:
            f.tcp_state = in.state;
            f.set(FlowAttr::TcpState);
            break;
        }
    }
    if (p & CTD_FLOW_COUNTERS) {
        f.counters[Original] = {in.orig_packets, in.orig_bytes};
        f.counters[Reply] = {in.reply_packets, in.reply_bytes};
        f.set(FlowAttr::OrigPackets);
        f.set(FlowAttr::OrigBytes);
        f.set(FlowAttr::ReplyPackets);
        f.set(FlowAttr::ReplyBytes);
    }
    if (p & CTD_FLOW_TIMESTAMP) {
        f.timestamp_start = in.start_ns;
        f.set(FlowAttr::TimestampStart);
        if (in.stop_ns) {
            f.timestamp_stop = in.stop_ns;
            f.set(FlowAttr::TimestampStop);
        }
    }
    if (p & CTD_FLOW_HELPER) {
        std::memcpy(f.helper, in.helper, sizeof(f.helper));
        f.helper[sizeof(f.helper) - 1] = '\0';
        f.set(FlowAttr::Helper);
    }
    if (p & CTD_FLOW_LABELS) {
        std::memcpy(f.labels.words, in.labels, sizeof(f.labels.words));
        f.labels.size = sizeof(f.labels.words);
        f.set(FlowAttr::Labels);
    }
    if ((p & CTD_FLOW_SECCTX) && in.secctx) {
        f.secctx = in.secctx;
        f.set(FlowAttr::Secctx);
    }
}

} // namespace ct
