#include "filter.hpp"

#include "protocols.hpp"

namespace cli {

using ct::FlowAttr;
using ct::TupleField;

void build_tuples(const CommandLine &cmd, ct::Tuple &orig, ct::Tuple &reply) {
    orig = cmd.orig;
    reply = cmd.reply;
    if (orig.has(TupleField::Src) || orig.has(TupleField::Dst))
        orig.l3proto = cmd.family;
    if (reply.has(TupleField::Src) || reply.has(TupleField::Dst))
        reply.l3proto = cmd.family;
    if (cmd.has(OptProto)) {
        orig.l4proto = reply.l4proto = cmd.l4proto;
        orig.set(TupleField::L4Proto);
        reply.set(TupleField::L4Proto);
    }
    const ProtocolValues &v = cmd.proto_values;
    const ProtocolExtension *e = cmd.proto;
    if (e && (e->kind == ExtensionKind::Ports || e->kind == ExtensionKind::Keys)) {
        if (v.given & 1u) { orig.sport = v.orig_sport; orig.set(TupleField::SrcPort); }
        if (v.given & 2u) { orig.dport = v.orig_dport; orig.set(TupleField::DstPort); }
        if (v.given & 4u) { reply.sport = v.reply_sport; reply.set(TupleField::SrcPort); }
        if (v.given & 8u) { reply.dport = v.reply_dport; reply.set(TupleField::DstPort); }
    } else if (e && e->kind == ExtensionKind::Icmp) {
        if (v.given & 1u) { orig.icmp_type = v.icmp_type; orig.set(TupleField::IcmpType); }
        if (v.given & 2u) { orig.icmp_code = v.icmp_code; orig.set(TupleField::IcmpCode); }
        if (v.given & 4u) { orig.icmp_id = v.icmp_id; orig.set(TupleField::IcmpId); }
    }
    if (cmd.has(OptOrigZone)) {
        orig.zone = cmd.orig_zone;
        orig.set(TupleField::Zone);
    }
    if (cmd.has(OptReplyZone)) {
        reply.zone = cmd.reply_zone;
        reply.set(TupleField::Zone);
    }
}

// libnetfilter_conntrack's NAT tests: the status bit says NAT was done and
// the reply tuple differs from the original where NAT would change it.
bool is_snat(const ct::Flow &f) {
    return (!f.has(FlowAttr::Status) || (f.status & ct::status::SrcNatDone)) &&
           !ct::same_address(f.reply.dst, f.orig.src, f.orig.l3proto);
}
bool is_dnat(const ct::Flow &f) {
    return (!f.has(FlowAttr::Status) || (f.status & ct::status::DstNatDone)) &&
           !ct::same_address(f.reply.src, f.orig.dst, f.orig.l3proto);
}
// libnetfilter_conntrack keeps the layer 4 part of a tuple in two 16-bit
// unions and its port tests compare them whole, whatever the protocol: for
// ICMP the source half holds the id and the destination half the type and
// code bytes (so an ICMP entry that went through NAT usually "has" port
// translation, and 1.4.7's -n/-g/-j list it).  These give the halves as
// the host-order values such a compare sees.
bool is_icmp(const ct::Tuple &t) { return t.l4proto == IPPROTO_ICMP || t.l4proto == IPPROTO_ICMPV6; }
std::uint16_t l4_source_half(const ct::Tuple &t) { return is_icmp(t) ? t.icmp_id : t.sport; }
std::uint16_t l4_destination_half(const ct::Tuple &t) {
    return is_icmp(t) ? static_cast<std::uint16_t>(t.icmp_type << 8 | t.icmp_code) : t.dport;
}
bool is_spat(const ct::Flow &f) {
    return (!f.has(FlowAttr::Status) || (f.status & ct::status::SrcNatDone)) &&
           l4_destination_half(f.reply) != l4_source_half(f.orig);
}
bool is_dpat(const ct::Flow &f) {
    return (!f.has(FlowAttr::Status) || (f.status & ct::status::DstNatDone)) &&
           l4_source_half(f.reply) != l4_destination_half(f.orig);
}

FlowFilter::FlowFilter(const CommandLine &cmd) : cmd_(cmd) {
    build_tuples(cmd, orig_, reply_);
    // libnetfilter_conntrack compares layer 4 ports only for the protocols
    // that have ports: GRE keys select nothing (1.4.7 lists and deletes
    // every GRE entry whatever --srckey says).  -G and -I still use them.
    if (cmd.proto && cmd.proto->kind == ExtensionKind::Keys) {
        const auto keys = static_cast<std::uint16_t>(static_cast<unsigned>(TupleField::SrcPort) |
                                                     static_cast<unsigned>(TupleField::DstPort));
        orig_.fields &= static_cast<std::uint16_t>(~keys);
        reply_.fields &= static_cast<std::uint16_t>(~keys);
    }
    constexpr std::uint32_t comparison =
        (1u << OptSrc) | (1u << OptDst) | (1u << OptReplySrc) | (1u << OptReplyDst) |
        (1u << OptProto) | (1u << OptMark) | (1u << OptSecmark) | (1u << OptStatus) |
        (1u << OptId) | (1u << OptZone) | (1u << OptLabel) | (1u << OptOrigZone) |
        (1u << OptReplyZone);
    compare_ = cmd.options & comparison;
}

namespace {

// One direction of NAT: -n looks at the reply destination, -g at the
// reply source.  With an address and a port both must match.
bool nat_direction(const ct::Flow &f, const NatOption &want, bool source) {
    const bool nat = source ? is_snat(f) : is_dnat(f);
    const bool pat = source ? is_spat(f) : is_dpat(f);
    if (!want.has_address && !want.has_port)
        return nat || pat;
    bool ok = true;
    if (want.has_address) {
        const ct::Address &a = source ? f.reply.dst : f.reply.src;
        ok = nat && ct::same_address(a, want.address, f.orig.l3proto) &&
             f.orig.l3proto == want.family;
    }
    if (want.has_port) {
        const std::uint16_t port = source ? l4_destination_half(f.reply) : l4_source_half(f.reply);
        ok = ok && pat && port == want.port;
    }
    return ok;
}

} // namespace

bool FlowFilter::nat_ok(const ct::Flow &f) const {
    const bool any = cmd_.has(OptAnyNat);
    const bool src = cmd_.has(OptSrcNat);
    const bool dst = cmd_.has(OptDstNat);
    if (!any && !src && !dst)
        return true;
    if (any)
        return nat_direction(f, cmd_.any_nat, true) || nat_direction(f, cmd_.any_nat, false);
    const bool has_src = src && nat_direction(f, cmd_.snat, true);
    const bool has_dst = dst && nat_direction(f, cmd_.dnat, false);
    if (src && dst)
        return has_src && has_dst;
    return src ? has_src : has_dst;
}

bool FlowFilter::mark_ok(const ct::Flow &f) const {
    if (!cmd_.has(OptMark))
        return true;
    return f.has(FlowAttr::Mark) && (f.mark & cmd_.mark_mask) == cmd_.mark_value;
}

bool FlowFilter::labels_ok(const ct::Flow &f) const {
    if (!cmd_.has(OptLabel))
        return true;
    if (!f.has(FlowAttr::Labels))
        return false;
    for (unsigned w = 0; w < 4; ++w)
        if ((f.labels.words[w] & cmd_.labels.words[w]) != cmd_.labels.words[w])
            return false;
    return true;
}

bool FlowFilter::network_ok(const ct::Flow &f) const {
    auto masked_equal = [&](const ct::Address &a, const ct::Address &b, const ct::Address &m) {
        const unsigned words = cmd_.family == AF_INET6 ? 4 : 1;
        for (unsigned w = 0; w < words; ++w)
            if ((a.v6w[w] & m.v6w[w]) != (b.v6w[w] & m.v6w[w]))
                return false;
        return true;
    };
    if (cmd_.has(OptMaskSrc)) {
        if (f.orig.l3proto != cmd_.family ||
            !masked_equal(f.orig.src, cmd_.orig.src, cmd_.src_mask.mask))
            return false;
    }
    if (cmd_.has(OptMaskDst)) {
        if (f.orig.l3proto != cmd_.family ||
            !masked_equal(f.orig.dst, cmd_.orig.dst, cmd_.dst_mask.mask))
            return false;
    }
    return true;
}

// A template tuple against an entry's: every field the template has must
// be present and equal.  An address under a netmask is left to
// network_ok().
bool FlowFilter::tuple_ok(const ct::Tuple &want, const ct::Tuple &have) const {
    if (want.empty())
        return true;
    const bool src_masked = &want == &orig_ && cmd_.has(OptMaskSrc);
    const bool dst_masked = &want == &orig_ && cmd_.has(OptMaskDst);
    if ((want.has(TupleField::Src) || want.has(TupleField::Dst)) && want.l3proto != have.l3proto)
        return false;
    if (want.has(TupleField::Src) && !src_masked &&
        (!have.has(TupleField::Src) || !ct::same_address(want.src, have.src, want.l3proto)))
        return false;
    if (want.has(TupleField::Dst) && !dst_masked &&
        (!have.has(TupleField::Dst) || !ct::same_address(want.dst, have.dst, want.l3proto)))
        return false;
    auto field = [&](TupleField f, auto a, auto b) { return !want.has(f) || (have.has(f) && a == b); };
    return field(TupleField::L4Proto, want.l4proto, have.l4proto) &&
           field(TupleField::SrcPort, want.sport, have.sport) &&
           field(TupleField::DstPort, want.dport, have.dport) &&
           field(TupleField::IcmpType, want.icmp_type, have.icmp_type) &&
           field(TupleField::IcmpCode, want.icmp_code, have.icmp_code) &&
           field(TupleField::IcmpId, want.icmp_id, have.icmp_id) &&
           // The kernel leaves a zone of 0 out: an absent zone is zone 0.
           (!want.has(TupleField::Zone) ||
            (have.has(TupleField::Zone) ? have.zone : 0) == want.zone);
}

bool FlowFilter::compare_ok(const ct::Flow &f) const {
    if (!compare_)
        return true;
    if (!tuple_ok(orig_, f.orig) || !tuple_ok(reply_, f.reply))
        return false;
    if (cmd_.has(OptStatus) &&
        (!f.has(FlowAttr::Status) || (f.status & cmd_.status_value) != cmd_.status_value))
        return false;
    // The reference's template never carries -c: the secmark selects
    // nothing (it only counts as a filter for -z).
    if (cmd_.has(OptId) && (!f.has(FlowAttr::Id) || f.id != cmd_.id))
        return false;
    if (cmd_.has(OptZone) && (f.has(FlowAttr::Zone) ? f.zone : 0) != cmd_.zone)
        return false;
    // The protocol state, when the extension's --state was given.
    const ProtocolExtension *e = cmd_.proto;
    if (e && (cmd_.proto_values.given & (1u << 6)) && e->kind == ExtensionKind::Ports) {
        const std::uint8_t want = cmd_.proto_values.state;
        switch (e->number) {
        case IPPROTO_TCP:
            if (!f.has(FlowAttr::TcpState) || f.tcp_state != want)
                return false;
            break;
        case IPPROTO_SCTP:
            if (!f.has(FlowAttr::SctpState) || f.sctp_state != want)
                return false;
            break;
        case IPPROTO_DCCP:
            if (!f.has(FlowAttr::DccpState) || f.dccp_state != want)
                return false;
            break;
        default:
            break;
        }
    }
    return true;
}

bool FlowFilter::matches(const ct::Flow &f) const {
    return nat_ok(f) && mark_ok(f) && labels_ok(f) && network_ok(f) && compare_ok(f);
}

bool FlowFilter::matches_for_update(const ct::Flow &f) const {
    if (!nat_ok(f) || !labels_ok(f) || !network_ok(f))
        return false;
    if (cmd_.has(OptId) && f.has(FlowAttr::Id) && f.id != cmd_.id)
        return false;
    const bool orig = cmd_.has(OptSrc) || cmd_.has(OptDst) || cmd_.has(OptProto);
    const bool reply = cmd_.has(OptReplySrc) || cmd_.has(OptReplyDst) || cmd_.has(OptProto);
    if (orig && !tuple_ok(orig_, f.orig))
        return false;
    if (reply && !tuple_ok(reply_, f.reply))
        return false;
    return true;
}

ct::DumpFilter FlowFilter::kernel_filter(std::uint8_t msg_type, bool with_tuples) const {
    return kernel_filter(msg_type, with_tuples, cmd_.family);
}

ct::DumpFilter FlowFilter::kernel_filter(std::uint8_t msg_type, bool with_tuples,
                                         std::uint8_t family) const {
    ct::DumpFilter k;
    k.msg_type = msg_type;
    k.family = family;
    if (cmd_.has(OptMark)) {
        k.has_mark = true;
        k.mark_value = cmd_.mark_value;
        k.mark_mask = cmd_.mark_mask;
    }
    if (cmd_.has(OptStatus)) {
        k.has_status = true;
        k.status_value = cmd_.status_value;
        k.status_mask = cmd_.status_mask;
    }
    if (with_tuples) {
        // Only exact fields: an address under a netmask stays in user space.
        k.orig = orig_;
        k.reply = reply_;
        if (cmd_.has(OptMaskSrc))
            k.orig.fields &= static_cast<std::uint16_t>(~static_cast<unsigned>(TupleField::Src));
        if (cmd_.has(OptMaskDst))
            k.orig.fields &= static_cast<std::uint16_t>(~static_cast<unsigned>(TupleField::Dst));
        // The kernel's CTA_FILTER finds no IPv6 address equal (it tests
        // ipv6_addr_cmp() the wrong way round): IPv6 addresses stay in user
        // space.
        if (family == AF_INET6) {
            const auto addresses = static_cast<std::uint16_t>(
                static_cast<unsigned>(TupleField::Src) | static_cast<unsigned>(TupleField::Dst));
            k.orig.fields &= static_cast<std::uint16_t>(~addresses);
            k.reply.fields &= static_cast<std::uint16_t>(~addresses);
        }
        // Zones are compared by the user-space test only.
        k.orig.fields &= static_cast<std::uint16_t>(~static_cast<unsigned>(TupleField::Zone));
        k.reply.fields &= static_cast<std::uint16_t>(~static_cast<unsigned>(TupleField::Zone));
        if (!ct::tuple_filter_usable(k)) {
            k.orig = ct::Tuple{};
            k.reply = ct::Tuple{};
        }
    }
    return k;
}

} // namespace cli
