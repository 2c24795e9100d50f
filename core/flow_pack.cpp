#include "flow_pack.hpp"

#include <cstring>
#include <type_traits>

namespace ctd {

namespace {

using ct::FlowAttr;

class Writer {
public:
    explicit Writer(std::uint8_t *out) : start_(out), at_(out) {}
    void u8(std::uint8_t v) { *at_++ = v; }
    void u16(std::uint16_t v) { raw(&v, 2); }
    void u32(std::uint32_t v) { raw(&v, 4); }
    void u64(std::uint64_t v) { raw(&v, 8); }
    void raw(const void *p, std::size_t n) {
        std::memcpy(at_, p, n);
        at_ += n;
    }
    std::size_t size() const { return static_cast<std::size_t>(at_ - start_); }

private:
    std::uint8_t *start_;
    std::uint8_t *at_;
};

class Reader {
public:
    Reader(const std::uint8_t *data, std::size_t length) : at_(data), end_(data + length) {}
    bool more() const { return at_ < end_; }
    bool ok() const { return ok_; }
    std::uint8_t u8() {
        std::uint8_t v = 0;
        raw(&v, 1);
        return v;
    }
    std::uint16_t u16() {
        std::uint16_t v = 0;
        raw(&v, 2);
        return v;
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        raw(&v, 4);
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        raw(&v, 8);
        return v;
    }
    void raw(void *p, std::size_t n) {
        if (static_cast<std::size_t>(end_ - at_) < n) {
            ok_ = false;
            at_ = end_;
            std::memset(p, 0, n);
            return;
        }
        std::memcpy(p, at_, n);
        at_ += n;
    }

private:
    const std::uint8_t *at_;
    const std::uint8_t *end_;
    bool ok_ = true;
};

std::size_t address_size(std::uint8_t family) { return family == AF_INET6 ? 16 : 4; }

// A tuple in fixed order: fields, l3, l4, zone, l4 data, addresses.
void write_tuple(Writer &w, const ct::Tuple &t) {
    w.u16(t.fields);
    w.u8(t.l3proto);
    w.u8(t.l4proto);
    w.u16(t.zone);
    w.u16(t.sport);
    w.u16(t.dport);
    w.u8(t.icmp_type);
    w.u8(t.icmp_code);
    w.u16(t.icmp_id);
    std::size_t n = address_size(t.l3proto);
    w.raw(&t.src, n);
    w.raw(&t.dst, n);
}

void read_tuple(Reader &r, ct::Tuple &t) {
    t.fields = r.u16();
    t.l3proto = r.u8();
    t.l4proto = r.u8();
    t.zone = r.u16();
    t.sport = r.u16();
    t.dport = r.u16();
    t.icmp_type = r.u8();
    t.icmp_code = r.u8();
    t.icmp_id = r.u16();
    std::size_t n = address_size(t.l3proto);
    r.raw(&t.src, n);
    r.raw(&t.dst, n);
}

// The reply a flow without NAT has: the original tuple reversed.  ICMP is
// left out (the reply's type differs from the request's).
bool is_plain_reverse(const ct::Tuple &orig, const ct::Tuple &reply) {
    if (orig.l4proto == IPPROTO_ICMP || orig.l4proto == IPPROTO_ICMPV6)
        return false;
    ct::Tuple reversed = orig;
    reversed.src = orig.dst;
    reversed.dst = orig.src;
    reversed.sport = orig.dport;
    reversed.dport = orig.sport;
    std::uint16_t swapped = orig.fields & ~static_cast<std::uint16_t>(
                                              static_cast<std::uint16_t>(ct::TupleField::Src) |
                                              static_cast<std::uint16_t>(ct::TupleField::Dst) |
                                              static_cast<std::uint16_t>(ct::TupleField::SrcPort) |
                                              static_cast<std::uint16_t>(ct::TupleField::DstPort));
    auto moved = [&](ct::TupleField from, ct::TupleField to) {
        return orig.has(from) ? static_cast<std::uint16_t>(to) : std::uint16_t{0};
    };
    swapped |= moved(ct::TupleField::Src, ct::TupleField::Dst) |
               moved(ct::TupleField::Dst, ct::TupleField::Src) |
               moved(ct::TupleField::SrcPort, ct::TupleField::DstPort) |
               moved(ct::TupleField::DstPort, ct::TupleField::SrcPort);
    reversed.fields = swapped;
    // Tuple equality ignores values of absent fields; the packed form must
    // be exact, so absent fields have to be zero on both sides too.
    return reversed == reply && reply.sport == reversed.sport && reply.dport == reversed.dport &&
           reply.zone == orig.zone;
}

void reverse_into(const ct::Tuple &orig, ct::Tuple &reply) {
    reply = orig;
    reply.src = orig.dst;
    reply.dst = orig.src;
    reply.sport = orig.dport;
    reply.dport = orig.sport;
    std::uint16_t f = orig.fields;
    auto bit = [](ct::TupleField x) { return static_cast<std::uint16_t>(x); };
    std::uint16_t out = f & ~(bit(ct::TupleField::Src) | bit(ct::TupleField::Dst) |
                              bit(ct::TupleField::SrcPort) | bit(ct::TupleField::DstPort));
    if (f & bit(ct::TupleField::Src))
        out |= bit(ct::TupleField::Dst);
    if (f & bit(ct::TupleField::Dst))
        out |= bit(ct::TupleField::Src);
    if (f & bit(ct::TupleField::SrcPort))
        out |= bit(ct::TupleField::DstPort);
    if (f & bit(ct::TupleField::DstPort))
        out |= bit(ct::TupleField::SrcPort);
    reply.fields = out;
}

// Tags beyond the FlowAttr values.
constexpr std::uint8_t tag_reply_reversed = 200;

} // namespace

// Expectation keys start with a byte no flow key starts with (flow keys
// start with the family: AF_INET, AF_INET6 or 0).
constexpr std::uint8_t expect_key_marker = 0xee;

std::size_t pack_expect_key(const ct::Expect &exp, std::uint8_t *out) {
    Writer w(out);
    w.u8(expect_key_marker);
    w.u8(exp.family);
    w.u16(exp.zone);
    write_tuple(w, exp.tuple);
    return w.size();
}

std::size_t pack_expect(const ct::Expect &exp, std::uint8_t *out, std::size_t *key_length) {
    static_assert(std::is_trivially_copyable_v<ct::Expect>);
    std::size_t key = pack_expect_key(exp, out);
    if (key_length)
        *key_length = key;
    std::memcpy(out + key, &exp, sizeof exp);
    return key + sizeof exp;
}

bool unpack_expect(const std::uint8_t *data, std::size_t length, ct::Expect &out) {
    if (length < sizeof out || data[0] != expect_key_marker)
        return false;
    std::memcpy(&out, data + length - sizeof out, sizeof out);
    return true;
}

std::size_t pack_flow_key(const ct::Flow &flow, std::uint8_t *out) {
    Writer w(out);
    w.u8(flow.family);
    w.u8(flow.has(FlowAttr::Zone) ? 1 : 0);
    w.u16(flow.has(FlowAttr::Zone) ? flow.zone : 0);
    write_tuple(w, flow.orig);
    return w.size();
}

std::size_t pack_flow(const ct::Flow &flow, std::uint8_t *out, std::size_t *key_length) {
    std::size_t key = pack_flow_key(flow, out);
    if (key_length)
        *key_length = key;
    Writer w(out + key);
    auto has = [&](FlowAttr a) { return flow.has(a); };
    auto tag = [&](FlowAttr a) { w.u8(static_cast<std::uint8_t>(a)); };

    if (has(FlowAttr::ReplyTuple)) {
        if (is_plain_reverse(flow.orig, flow.reply)) {
            w.u8(tag_reply_reversed);
        } else {
            tag(FlowAttr::ReplyTuple);
            write_tuple(w, flow.reply);
        }
    }
    if (has(FlowAttr::MasterTuple)) {
        tag(FlowAttr::MasterTuple);
        write_tuple(w, flow.master);
    }
    auto u32_attr = [&](FlowAttr a, std::uint32_t v) {
        if (has(a)) {
            tag(a);
            w.u32(v);
        }
    };
    auto u8_attr = [&](FlowAttr a, std::uint8_t v) {
        if (has(a)) {
            tag(a);
            w.u8(v);
        }
    };
    auto u64_attr = [&](FlowAttr a, std::uint64_t v) {
        if (has(a)) {
            tag(a);
            w.u64(v);
        }
    };
    u32_attr(FlowAttr::Status, flow.status);
    u32_attr(FlowAttr::Timeout, flow.timeout);
    u32_attr(FlowAttr::Mark, flow.mark);
    u32_attr(FlowAttr::Secmark, flow.secmark);
    u32_attr(FlowAttr::Id, flow.id);
    u32_attr(FlowAttr::Use, flow.use);
    if (has(FlowAttr::Zone))
        tag(FlowAttr::Zone); // the value is in the key
    u8_attr(FlowAttr::TcpState, flow.tcp_state);
    u8_attr(FlowAttr::TcpWscaleOrig, flow.tcp_wscale[0]);
    u8_attr(FlowAttr::TcpWscaleReply, flow.tcp_wscale[1]);
    if (has(FlowAttr::TcpFlagsOrig)) {
        tag(FlowAttr::TcpFlagsOrig);
        w.u8(flow.tcp_flags[0].flags);
        w.u8(flow.tcp_flags[0].mask);
    }
    if (has(FlowAttr::TcpFlagsReply)) {
        tag(FlowAttr::TcpFlagsReply);
        w.u8(flow.tcp_flags[1].flags);
        w.u8(flow.tcp_flags[1].mask);
    }
    u8_attr(FlowAttr::SctpState, flow.sctp_state);
    u32_attr(FlowAttr::SctpVtagOrig, flow.sctp_vtag[0]);
    u32_attr(FlowAttr::SctpVtagReply, flow.sctp_vtag[1]);
    u8_attr(FlowAttr::DccpState, flow.dccp_state);
    u8_attr(FlowAttr::DccpRole, flow.dccp_role);
    u64_attr(FlowAttr::DccpHandshakeSeq, flow.dccp_handshake_seq);
    u64_attr(FlowAttr::OrigPackets, flow.counters[0].packets);
    u64_attr(FlowAttr::OrigBytes, flow.counters[0].bytes);
    u64_attr(FlowAttr::ReplyPackets, flow.counters[1].packets);
    u64_attr(FlowAttr::ReplyBytes, flow.counters[1].bytes);
    u64_attr(FlowAttr::TimestampStart, flow.timestamp_start);
    u64_attr(FlowAttr::TimestampStop, flow.timestamp_stop);
    u64_attr(FlowAttr::TimestampEvent, flow.timestamp_event);
    for (int dir = 0; dir < 2; ++dir) {
        FlowAttr a = dir ? FlowAttr::SeqAdjReply : FlowAttr::SeqAdjOrig;
        if (has(a)) {
            tag(a);
            w.u32(flow.seqadj[dir].correction_pos);
            w.u32(flow.seqadj[dir].offset_before);
            w.u32(flow.seqadj[dir].offset_after);
        }
    }
    if (has(FlowAttr::Synproxy)) {
        tag(FlowAttr::Synproxy);
        w.u32(flow.synproxy.isn);
        w.u32(flow.synproxy.its);
        w.u32(flow.synproxy.tsoff);
    }
    if (has(FlowAttr::Helper)) {
        tag(FlowAttr::Helper);
        std::size_t n = strnlen(flow.helper, sizeof flow.helper - 1);
        w.u8(static_cast<std::uint8_t>(n));
        w.raw(flow.helper, n);
    }
    if (has(FlowAttr::Labels)) {
        tag(FlowAttr::Labels);
        w.u8(flow.labels.size);
        w.raw(flow.labels.words, sizeof flow.labels.words);
    }
    for (FlowAttr a : {FlowAttr::NatSrc, FlowAttr::NatDst}) {
        if (!has(a))
            continue;
        const ct::NatRange &nat = a == FlowAttr::NatSrc ? flow.nat_src : flow.nat_dst;
        tag(a);
        w.u8(nat.fields);
        w.u8(nat.family);
        w.u16(nat.min_port);
        w.u16(nat.max_port);
        w.raw(&nat.min_ip, address_size(nat.family));
        w.raw(&nat.max_ip, address_size(nat.family));
    }
    if (has(FlowAttr::Secctx)) {
        tag(FlowAttr::Secctx);
        std::size_t n = flow.secctx.size() > 255 ? 255 : flow.secctx.size();
        w.u8(static_cast<std::uint8_t>(n));
        w.raw(flow.secctx.data(), n);
    }
    return key + w.size();
}

bool unpack_flow(const std::uint8_t *data, std::size_t length, ct::Flow &out) {
    out.clear();
    Reader r(data, length);
    out.family = r.u8();
    bool has_zone = r.u8();
    out.zone = r.u16();
    read_tuple(r, out.orig);
    if (!out.orig.empty())
        out.set(FlowAttr::OrigTuple);
    (void)has_zone; // the Zone tag below marks presence

    while (r.more() && r.ok()) {
        std::uint8_t t = r.u8();
        if (t == tag_reply_reversed) {
            reverse_into(out.orig, out.reply);
            out.set(FlowAttr::ReplyTuple);
            continue;
        }
        if (t >= static_cast<std::uint8_t>(FlowAttr::Count))
            return false;
        FlowAttr a = static_cast<FlowAttr>(t);
        out.set(a);
        switch (a) {
        case FlowAttr::ReplyTuple: read_tuple(r, out.reply); break;
        case FlowAttr::MasterTuple: read_tuple(r, out.master); break;
        case FlowAttr::Status: out.status = r.u32(); break;
        case FlowAttr::Timeout: out.timeout = r.u32(); break;
        case FlowAttr::Mark: out.mark = r.u32(); break;
        case FlowAttr::Secmark: out.secmark = r.u32(); break;
        case FlowAttr::Id: out.id = r.u32(); break;
        case FlowAttr::Use: out.use = r.u32(); break;
        case FlowAttr::Zone: break;
        case FlowAttr::TcpState: out.tcp_state = r.u8(); break;
        case FlowAttr::TcpWscaleOrig: out.tcp_wscale[0] = r.u8(); break;
        case FlowAttr::TcpWscaleReply: out.tcp_wscale[1] = r.u8(); break;
        case FlowAttr::TcpFlagsOrig:
            out.tcp_flags[0].flags = r.u8();
            out.tcp_flags[0].mask = r.u8();
            break;
        case FlowAttr::TcpFlagsReply:
            out.tcp_flags[1].flags = r.u8();
            out.tcp_flags[1].mask = r.u8();
            break;
        case FlowAttr::SctpState: out.sctp_state = r.u8(); break;
        case FlowAttr::SctpVtagOrig: out.sctp_vtag[0] = r.u32(); break;
        case FlowAttr::SctpVtagReply: out.sctp_vtag[1] = r.u32(); break;
        case FlowAttr::DccpState: out.dccp_state = r.u8(); break;
        case FlowAttr::DccpRole: out.dccp_role = r.u8(); break;
        case FlowAttr::DccpHandshakeSeq: out.dccp_handshake_seq = r.u64(); break;
        case FlowAttr::OrigPackets: out.counters[0].packets = r.u64(); break;
        case FlowAttr::OrigBytes: out.counters[0].bytes = r.u64(); break;
        case FlowAttr::ReplyPackets: out.counters[1].packets = r.u64(); break;
        case FlowAttr::ReplyBytes: out.counters[1].bytes = r.u64(); break;
        case FlowAttr::TimestampStart: out.timestamp_start = r.u64(); break;
        case FlowAttr::TimestampStop: out.timestamp_stop = r.u64(); break;
        case FlowAttr::TimestampEvent: out.timestamp_event = r.u64(); break;
        case FlowAttr::SeqAdjOrig:
        case FlowAttr::SeqAdjReply: {
            ct::SeqAdj &s = out.seqadj[a == FlowAttr::SeqAdjReply];
            s.correction_pos = r.u32();
            s.offset_before = r.u32();
            s.offset_after = r.u32();
            break;
        }
        case FlowAttr::Synproxy:
            out.synproxy.isn = r.u32();
            out.synproxy.its = r.u32();
            out.synproxy.tsoff = r.u32();
            break;
        case FlowAttr::Helper: {
            std::uint8_t n = r.u8();
            if (n >= sizeof out.helper)
                return false;
            r.raw(out.helper, n);
            out.helper[n] = '\0';
            break;
        }
        case FlowAttr::Labels:
            out.labels.size = r.u8();
            r.raw(out.labels.words, sizeof out.labels.words);
            break;
        case FlowAttr::Secctx: {
            std::uint8_t n = r.u8();
            out.secctx.resize(n);
            r.raw(out.secctx.data(), n);
            break;
        }
        case FlowAttr::NatSrc:
        case FlowAttr::NatDst: {
            ct::NatRange &nat = a == FlowAttr::NatSrc ? out.nat_src : out.nat_dst;
            nat.fields = r.u8();
            nat.family = r.u8();
            nat.min_port = r.u16();
            nat.max_port = r.u16();
            r.raw(&nat.min_ip, address_size(nat.family));
            r.raw(&nat.max_ip, address_size(nat.family));
            break;
        }
        default:
            return false; // request-only masks are never packed
        }
    }
    return r.ok();
}

} // namespace ctd
