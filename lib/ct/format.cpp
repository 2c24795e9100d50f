// The plain-text formatters: conntrack's default line (and its -o
// extended/id/ktimestamp/labels variants), -o save, event decorations,
// statistics, and the name tables.
#include "ct/format.hpp"

#include "ct/format_internal.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace ct {

using detail::lit;

// ---------------------------------------------------------------------------
// Name tables.

namespace {

const char *const kTcpStates[] = {
    "NONE",      "SYN_SENT",  "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",      "SYN_SENT2",
};
const char *const kSctpStates[] = {
    "NONE",          "CLOSED",        "COOKIE_WAIT",       "COOKIE_ECHOED",
    "ESTABLISHED",   "SHUTDOWN_SENT", "SHUTDOWN_RECD",     "SHUTDOWN_ACK_SENT",
    "HEARTBEAT_SENT", "HEARTBEAT_ACKED",
};
const char *const kDccpStates[] = {
    "NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN",
    "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE", "INVALID",
};

template <typename T, std::size_t N>
constexpr unsigned count_of(const T (&)[N]) {
    return N;
}

} // namespace

unsigned tcp_state_count() { return count_of(kTcpStates); }
unsigned sctp_state_count() { return count_of(kSctpStates); }
unsigned dccp_state_count() { return count_of(kDccpStates); }

// Out-of-range states print as NONE, as libnetfilter_conntrack does.
const char *tcp_state_name(std::uint8_t s) {
    return s < count_of(kTcpStates) ? kTcpStates[s] : kTcpStates[0];
}
const char *sctp_state_name(std::uint8_t s) {
    return s < count_of(kSctpStates) ? kSctpStates[s] : kSctpStates[0];
}
const char *dccp_state_name(std::uint8_t s) {
    return s < count_of(kDccpStates) ? kDccpStates[s] : kDccpStates[0];
}

const char *l3proto_name(std::uint8_t family) {
    switch (family) {
    case AF_INET:
        return "ipv4";
    case AF_INET6:
        return "ipv6";
    default:
        return "unknown";
    }
}

const char *l4proto_name(std::uint8_t proto) {
    switch (proto) {
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_UDPLITE:
        return "udplite";
    case IPPROTO_ICMP:
        return "icmp";
    case IPPROTO_ICMPV6:
        return "icmpv6";
    case IPPROTO_SCTP:
        return "sctp";
    case IPPROTO_GRE:
        return "gre";
    case IPPROTO_DCCP:
        return "dccp";
    default:
        return "unknown";
    }
}

namespace detail {

const char *tcp_state_or_none(std::uint8_t state) { return tcp_state_name(state); }

std::uint16_t shown_sport(const Tuple &t) {
    return t.has(TupleField::IcmpId) ? t.icmp_id : t.sport;
}
std::uint16_t shown_dport(const Tuple &t) {
    // In network order the destination port's bytes are ICMP type, code.
    std::uint16_t v = t.has(TupleField::DstPort) ? t.dport : 0;
    if (t.has(TupleField::IcmpType))
        v = static_cast<std::uint16_t>((v & 0x00ff) | t.icmp_type << 8);
    if (t.has(TupleField::IcmpCode))
        v = static_cast<std::uint16_t>((v & 0xff00) | t.icmp_code);
    if (!t.has(TupleField::DstPort) && !t.has(TupleField::IcmpType) && !t.has(TupleField::IcmpCode))
        v = t.dport;
    return v;
}
std::uint8_t shown_icmp_type(const Tuple &t) {
    if (t.has(TupleField::IcmpType) || !t.has(TupleField::DstPort))
        return t.icmp_type;
    return static_cast<std::uint8_t>(t.dport >> 8);
}
std::uint8_t shown_icmp_code(const Tuple &t) {
    if (t.has(TupleField::IcmpCode) || !t.has(TupleField::DstPort))
        return t.icmp_code;
    return static_cast<std::uint8_t>(t.dport & 0xff);
}
std::uint16_t shown_icmp_id(const Tuple &t) {
    if (t.has(TupleField::IcmpId) || !t.has(TupleField::SrcPort))
        return t.icmp_id;
    return t.sport;
}
std::uint8_t shown_family(const Expect &e, ExpectPart part) {
    switch (part) {
    case ExpectPart::Expected:
        return e.has(ExpectAttr::Master) ? e.family : 0;
    case ExpectPart::Mask:
        return e.has(ExpectAttr::Tuple) ? e.family : 0;
    case ExpectPart::Master:
        return e.has(ExpectAttr::Mask) ? e.family : 0;
    }
    return 0;
}

std::uint8_t shown_state(const Flow &f) {
    if (f.has(FlowAttr::DccpState))
        return f.dccp_state;
    if (f.has(FlowAttr::SctpState))
        return f.sctp_state;
    return f.tcp_state;
}

void append_ipv4(TextBuffer &out, std::uint32_t addr_be) {
    const auto *b = reinterpret_cast<const std::uint8_t *>(&addr_be);
    char *p = out.reserve(15);
    char *start = p;
    for (int i = 0; i < 4; ++i) {
        unsigned v = b[i];
        if (v >= 100) {
            *p++ = static_cast<char>('0' + v / 100);
            v %= 100;
            *p++ = static_cast<char>('0' + v / 10);
            *p++ = static_cast<char>('0' + v % 10);
        } else if (v >= 10) {
            *p++ = static_cast<char>('0' + v / 10);
            *p++ = static_cast<char>('0' + v % 10);
        } else {
            *p++ = static_cast<char>('0' + v);
        }
        if (i < 3)
            *p++ = '.';
    }
    out.commit(static_cast<std::size_t>(p - start));
}

void append_ipv6(TextBuffer &out, const std::uint8_t addr[16]) {
    char *p = out.reserve(INET6_ADDRSTRLEN);
    if (inet_ntop(AF_INET6, addr, p, INET6_ADDRSTRLEN))
        out.commit(std::strlen(p));
}

bool append_address(TextBuffer &out, const Address &a, std::uint8_t family) {
    if (family == AF_INET) {
        append_ipv4(out, a.v4);
        return true;
    }
    if (family == AF_INET6) {
        append_ipv6(out, a.v6);
        return true;
    }
    return false;
}

bool local_time(std::int64_t seconds, struct tm &out) {
    time_t t = static_cast<time_t>(seconds);
    return localtime_r(&t, &out) != nullptr;
}

std::int64_t now_seconds(const FormatOptions &options) {
    return options.now ? options.now : static_cast<std::int64_t>(std::time(nullptr));
}

} // namespace detail

// ---------------------------------------------------------------------------
// The default line.

namespace {

void event_prefix(TextBuffer &out, MessageType type) {
    switch (type) {
    case MessageType::New:
        lit(out, "    [NEW] ");
        break;
    case MessageType::Update:
        lit(out, " [UPDATE] ");
        break;
    case MessageType::Destroy:
        lit(out, "[DESTROY] ");
        break;
    default:
        break;
    }
}

// "%-8s %u ": the name left-aligned in 8 columns, then the number.
void padded_name(TextBuffer &out, const char *name, unsigned number) {
    std::size_t n = std::strlen(name);
    out.append({name, n});
    for (; n < 8; ++n)
        out.push_back(' ');
    out.push_back(' ');
    out.append_u64(number);
    out.push_back(' ');
}

void tuple_addresses(TextBuffer &out, const Tuple &t) {
    if (t.l3proto != AF_INET && t.l3proto != AF_INET6)
        return;
    lit(out, "src=");
    detail::append_address(out, t.src, t.l3proto);
    lit(out, " dst=");
    detail::append_address(out, t.dst, t.l3proto);
    out.push_back(' ');
}

void tuple_l4(TextBuffer &out, const Tuple &t) {
    switch (t.l4proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
    case IPPROTO_DCCP:
        lit(out, "sport=");
        out.append_u64(detail::shown_sport(t));
        lit(out, " dport=");
        out.append_u64(detail::shown_dport(t));
        out.push_back(' ');
        break;
    case IPPROTO_GRE:
        lit(out, "srckey=0x");
        out.append_hex(detail::shown_sport(t));
        lit(out, " dstkey=0x");
        out.append_hex(detail::shown_dport(t));
        out.push_back(' ');
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        lit(out, "type=");
        out.append_u64(detail::shown_icmp_type(t));
        lit(out, " code=");
        out.append_u64(detail::shown_icmp_code(t));
        lit(out, " id=");
        out.append_u64(detail::shown_icmp_id(t));
        out.push_back(' ');
        break;
    default:
        break;
    }
}

void counters(TextBuffer &out, const Counters &c) {
    lit(out, "packets=");
    out.append_u64(c.packets);
    lit(out, " bytes=");
    out.append_u64(c.bytes);
    out.push_back(' ');
}

void ctime_field(TextBuffer &out, const char *tag, std::uint64_t ns) {
    time_t t = static_cast<time_t>(ns / 1000000000ull);
    char text[64];
    out.append(tag);
    if (ctime_r(&t, text)) {
        std::size_t n = std::strlen(text);
        if (n && text[n - 1] == '\n')
            --n;
        out.append({text, n});
    }
    lit(out, "] ");
}

void labels_field(TextBuffer &out, const Flow &f, const LabelMap &map) {
    lit(out, "labels=");
    for (unsigned bit = 0; bit < Labels::MaxBits; ++bit) {
        if (!f.labels.test(bit))
            continue;
        std::string_view name = map.name(bit);
        if (name.empty())
            continue;
        out.append(name);
        out.push_back(',');
    }
    // The last separator (or, with no name at all, the '=') gives way to
    // the field separator, as in the reference.
    out.truncate(out.size() - 1);
    out.push_back(' ');
}

void format_default(TextBuffer &out, const Flow &f, const FormatOptions &o, MessageType type) {
    std::size_t start = out.size();
    event_prefix(out, type);
    if (o.extended)
        padded_name(out, l3proto_name(f.orig.l3proto), f.orig.l3proto);
    padded_name(out, l4proto_name(f.orig.l4proto), f.orig.l4proto);
    if (f.has(FlowAttr::Timeout)) {
        out.append_u64(f.timeout);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::TcpState)) {
        out.append(tcp_state_name(detail::shown_state(f)));
        out.push_back(' ');
    }
    if (f.has(FlowAttr::SctpState)) {
        out.append(sctp_state_name(detail::shown_state(f)));
        out.push_back(' ');
    }
    if (f.has(FlowAttr::DccpState)) {
        out.append(dccp_state_name(detail::shown_state(f)));
        out.push_back(' ');
    }
    tuple_addresses(out, f.orig);
    tuple_l4(out, f.orig);
    if (f.orig.has(TupleField::Zone)) {
        lit(out, "zone-orig=");
        out.append_u64(f.orig.zone);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::OrigPackets) && f.has(FlowAttr::OrigBytes))
        counters(out, f.counters[Original]);
    if (f.has(FlowAttr::Status) && !(f.status & status::SeenReply))
        lit(out, "[UNREPLIED] ");
    tuple_addresses(out, f.reply);
    tuple_l4(out, f.reply);
    if (f.reply.has(TupleField::Zone)) {
        lit(out, "zone-reply=");
        out.append_u64(f.reply.zone);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::ReplyPackets) && f.has(FlowAttr::ReplyBytes))
        counters(out, f.counters[Reply]);
    if (f.has(FlowAttr::Status)) {
        if (f.status & status::HwOffload)
            lit(out, "[HW_OFFLOAD] ");
        else if (f.status & status::Offload)
            lit(out, "[OFFLOAD] ");
        else if (f.status & status::Assured)
            lit(out, "[ASSURED] ");
    }
    if (f.has(FlowAttr::Mark)) {
        lit(out, "mark=");
        out.append_u64(f.mark);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::Secmark)) {
        lit(out, "secmark=");
        out.append_u64(f.secmark);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::Secctx)) {
        lit(out, "secctx=");
        out.append(f.secctx);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::Zone)) {
        lit(out, "zone=");
        out.append_u64(f.zone);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::TimestampStart)) {
        // The stop time, or now for a live flow; the difference is printed
        // as unsigned even when the clock went backwards.
        std::int64_t stop = f.timestamp_stop
                                ? static_cast<std::int64_t>(f.timestamp_stop / 1000000000ull)
                                : detail::now_seconds(o);
        std::int64_t delta = stop - static_cast<std::int64_t>(f.timestamp_start / 1000000000ull);
        lit(out, "delta-time=");
        out.append_u64(static_cast<std::uint64_t>(delta));
        out.push_back(' ');
    }
    if (o.ktimestamp) {
        if (f.has(FlowAttr::TimestampStart))
            ctime_field(out, "[start=", f.timestamp_start);
        if (f.has(FlowAttr::TimestampStop))
            ctime_field(out, "[stop=", f.timestamp_stop);
    }
    if (f.has(FlowAttr::Helper)) {
        lit(out, "helper=");
        out.append(f.helper);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::Use)) {
        lit(out, "use=");
        out.append_u64(f.use);
        out.push_back(' ');
    }
    if (o.show_id && f.has(FlowAttr::Id)) {
        lit(out, "id=");
        out.append_u64(f.id);
        out.push_back(' ');
    }
    if (o.labels && f.has(FlowAttr::Labels))
        labels_field(out, f, *o.labels);
    // Every field ends with a space: drop the last one.
    if (out.size() > start)
        out.truncate(out.size() - 1);
}

// ---------------------------------------------------------------------------
// -o save: a line that conntrack -R (or -I/-U/-D) can load again.

void save_l4(TextBuffer &out, const Flow &f) {
    const Tuple &o = f.orig;
    const Tuple &r = f.reply;
    switch (o.l4proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
    case IPPROTO_DCCP:
        if (o.has(TupleField::SrcPort)) {
            lit(out, "--sport ");
            out.append_u64(o.sport);
            out.push_back(' ');
        }
        if (o.has(TupleField::DstPort)) {
            lit(out, "--dport ");
            out.append_u64(o.dport);
            out.push_back(' ');
        }
        if (r.has(TupleField::SrcPort)) {
            lit(out, "--reply-port-src ");
            out.append_u64(r.sport);
            out.push_back(' ');
        }
        if (r.has(TupleField::DstPort)) {
            lit(out, "--reply-port-dst ");
            out.append_u64(r.dport);
            out.push_back(' ');
        }
        break;
    case IPPROTO_GRE:
        if (o.has(TupleField::SrcPort)) {
            lit(out, "--srckey ");
            out.append_u64(o.sport);
            out.push_back(' ');
        }
        if (o.has(TupleField::DstPort)) {
            lit(out, "--dstkey ");
            out.append_u64(o.dport);
            out.push_back(' ');
        }
        if (r.has(TupleField::SrcPort)) {
            lit(out, "--reply-key-src ");
            out.append_u64(r.sport);
            out.push_back(' ');
        }
        if (r.has(TupleField::DstPort)) {
            lit(out, "--reply-key-dst ");
            out.append_u64(r.dport);
            out.push_back(' ');
        }
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
        bool v6 = o.l4proto == IPPROTO_ICMPV6;
        if (o.has(TupleField::IcmpType)) {
            out.append(v6 ? "--icmpv6-type " : "--icmp-type ");
            out.append_u64(o.icmp_type);
            out.push_back(' ');
        }
        if (o.has(TupleField::IcmpCode)) {
            out.append(v6 ? "--icmpv6-code " : "--icmp-code ");
            out.append_u64(o.icmp_code);
            out.push_back(' ');
        }
        if (o.has(TupleField::IcmpId)) {
            out.append(v6 ? "--icmpv6-id " : "--icmp-id ");
            out.append_u64(o.icmp_id);
            out.push_back(' ');
        }
        break;
    }
    default:
        break;
    }
    switch (o.l4proto) {
    case IPPROTO_TCP:
        if (f.has(FlowAttr::TcpState)) {
            lit(out, "--state ");
            out.append(tcp_state_name(f.tcp_state));
            out.push_back(' ');
        }
        break;
    case IPPROTO_SCTP:
        if (f.has(FlowAttr::SctpState)) {
            lit(out, "--state ");
            out.append(sctp_state_name(f.sctp_state));
            out.push_back(' ');
        }
        // conntrack writes (and reads) vtags byte-swapped against the
        // kernel's value; keep the lines loadable by it.
        if (f.has(FlowAttr::SctpVtagOrig)) {
            lit(out, "--orig-vtag ");
            out.append_u64(__builtin_bswap32(f.sctp_vtag[Original]));
            out.push_back(' ');
        }
        if (f.has(FlowAttr::SctpVtagReply)) {
            lit(out, "--reply-vtag ");
            out.append_u64(__builtin_bswap32(f.sctp_vtag[Reply]));
            out.push_back(' ');
        }
        break;
    case IPPROTO_DCCP:
        if (f.has(FlowAttr::DccpState)) {
            lit(out, "--state ");
            out.append(dccp_state_name(f.dccp_state));
            out.push_back(' ');
        }
        if (f.has(FlowAttr::DccpRole)) {
            lit(out, "--role ");
            out.append(f.dccp_role == 0 ? "client" : f.dccp_role == 1 ? "server" : "unknown");
            out.push_back(' ');
        }
        break;
    default:
        break;
    }
}

// libnetfilter_conntrack's "is SNAT/DNAT": the NAT was done and the reply
// address differs from the original one.
bool reply_dst_translated(const Flow &f) {
    return f.has(FlowAttr::Status) && (f.status & status::SrcNatDone) &&
           !same_address(f.reply.dst, f.orig.src, f.orig.l3proto);
}
bool reply_src_translated(const Flow &f) {
    return f.has(FlowAttr::Status) && (f.status & status::DstNatDone) &&
           !same_address(f.reply.src, f.orig.dst, f.orig.l3proto);
}

bool format_save(TextBuffer &out, const Flow &f, MessageType type) {
    std::uint8_t family = f.orig.l3proto;
    if (family != AF_INET && family != AF_INET6)
        return false;
    std::size_t start = out.size();
    switch (type) {
    case MessageType::Update:
        lit(out, "-U ");
        break;
    case MessageType::Destroy:
        lit(out, "-D ");
        break;
    default:
        lit(out, "-A ");
        break;
    }
    lit(out, "-t ");
    out.append_u64(f.timeout);
    lit(out, " -u ");
    static const struct {
        std::uint32_t bit;
        const char *name;
    } kStatusNames[] = {
        {status::Expected, "EXPECTED"},
        {status::SeenReply, "SEEN_REPLY"},
        {status::Assured, "ASSURED"},
        {status::FixedTimeout, "FIXED_TIMEOUT"},
    };
    bool any = false;
    for (const auto &s : kStatusNames) {
        if (f.status & s.bit) {
            if (any)
                out.push_back(',');
            out.append(s.name);
            any = true;
        }
    }
    if (!any)
        lit(out, "UNSET");
    out.push_back(' ');
    if (f.has(FlowAttr::Secmark)) {
        lit(out, "-c ");
        out.append_u64(f.secmark);
        out.push_back(' ');
    }
    if (f.has(FlowAttr::Zone)) {
        lit(out, "-w ");
        out.append_u64(f.zone);
        out.push_back(' ');
    }
    if (f.orig.has(TupleField::Zone)) {
        lit(out, "--orig-zone ");
        out.append_u64(f.orig.zone);
        out.push_back(' ');
    }
    if (f.reply.has(TupleField::Zone)) {
        lit(out, "--reply-zone ");
        out.append_u64(f.reply.zone);
        out.push_back(' ');
    }
    lit(out, "-s ");
    detail::append_address(out, f.orig.src, family);
    lit(out, " -d ");
    detail::append_address(out, f.orig.dst, family);
    out.append(reply_src_translated(f) ? " -g " : " -r ");
    detail::append_address(out, f.reply.src, family);
    out.append(reply_dst_translated(f) ? " -n " : " -q ");
    detail::append_address(out, f.reply.dst, family);
    lit(out, " -p ");
    const char *name = l4proto_name(f.orig.l4proto);
    if (std::strcmp(name, "unknown") == 0)
        out.append_u64(f.orig.l4proto);
    else
        out.append(name);
    out.push_back(' ');
    save_l4(out, f);
    if (out.size() > start)
        out.truncate(out.size() - 1);
    return true;
}

} // namespace

bool format_flow(TextBuffer &out, const Flow &flow, const FormatOptions &options) {
    MessageType type = options.override_type ? options.type : flow.type;
    switch (options.format) {
    case OutputFormat::Default:
        format_default(out, flow, options, type);
        return true;
    case OutputFormat::Xml:
        detail::format_flow_xml(out, flow, options, type);
        return true;
    case OutputFormat::Save:
        return format_save(out, flow, type);
    case OutputFormat::Json:
        detail::format_flow_json(out, flow, options, type);
        return true;
    }
    return false;
}

// ---------------------------------------------------------------------------
// Expectations, default format.

namespace {

void expect_tuple(TextBuffer &out, const Tuple &t, std::uint8_t family, const char *src_tag,
                  const char *dst_tag) {
    if (family == AF_INET || family == AF_INET6) {
        out.append(src_tag);
        out.push_back('=');
        detail::append_address(out, t.src, family);
        out.push_back(' ');
        out.append(dst_tag);
        out.push_back('=');
        detail::append_address(out, t.dst, family);
        out.push_back(' ');
    }
    tuple_l4(out, t);
}

void format_expect_default(TextBuffer &out, const Expect &e, MessageType type) {
    std::size_t start = out.size();
    event_prefix(out, type);
    if (e.has(ExpectAttr::Timeout)) {
        out.append_u64(e.timeout);
        out.push_back(' ');
    }
    lit(out, "proto=");
    out.append_u64(e.tuple.l4proto);
    out.push_back(' ');
    using detail::ExpectPart;
    expect_tuple(out, e.tuple, detail::shown_family(e, ExpectPart::Expected), "src", "dst");
    expect_tuple(out, e.mask, detail::shown_family(e, ExpectPart::Mask), "mask-src", "mask-dst");
    expect_tuple(out, e.master, detail::shown_family(e, ExpectPart::Master), "master-src",
                 "master-dst");
    if (e.has(ExpectAttr::Zone)) {
        lit(out, "zone=");
        out.append_u64(e.zone);
        out.push_back(' ');
    }
    if (e.has(ExpectAttr::Flags) && e.flags) {
        bool any = false;
        static const struct {
            std::uint32_t bit;
            const char *name;
        } kFlags[] = {
            {expect_flag::Permanent, "PERMANENT"},
            {expect_flag::Inactive, "INACTIVE"},
            {expect_flag::Userspace, "USERSPACE"},
        };
        for (const auto &fl : kFlags) {
            if (e.flags & fl.bit) {
                if (any)
                    out.push_back(',');
                out.append(fl.name);
                any = true;
            }
        }
        // The separator comes even when only unknown flags are set (a
        // double space in the reference's output).
        out.push_back(' ');
    }
    if (e.has(ExpectAttr::Class)) {
        lit(out, "class=");
        out.append_u64(e.expect_class);
        out.push_back(' ');
    }
    if (e.has(ExpectAttr::Helper)) {
        lit(out, "helper=");
        out.append(e.helper);
        out.push_back(' ');
    }
    if (out.size() > start)
        out.truncate(out.size() - 1);
}

} // namespace

void format_expect(TextBuffer &out, const Expect &exp, const FormatOptions &options) {
    MessageType type = options.override_type ? options.type : exp.type;
    switch (options.format) {
    case OutputFormat::Xml:
        detail::format_expect_xml(out, exp, options, type);
        break;
    case OutputFormat::Json:
        detail::format_expect_json(out, exp, options, type);
        break;
    default:
        format_expect_default(out, exp, type);
        break;
    }
}

void xml_header(TextBuffer &out, bool expect) {
    lit(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.append(expect ? "<expect>\n" : "<conntrack>\n");
}

void xml_footer(TextBuffer &out, bool expect) {
    out.append(expect ? "</expect>\n" : "</conntrack>\n");
}

// ---------------------------------------------------------------------------
// Event decorations.

void format_event_time(TextBuffer &out, const timeval &when, bool expect) {
    if (expect)
        out.appendf("[%-8ld.%-6ld]\t", static_cast<long>(when.tv_sec),
                    static_cast<long>(when.tv_usec));
    else
        out.appendf("[%-.8ld.%-.6ld]\t", static_cast<long>(when.tv_sec),
                    static_cast<long>(when.tv_usec));
}

timeval event_time(const Flow &flow) {
    timeval tv{};
    if (flow.has(FlowAttr::TimestampEvent)) {
        tv.tv_sec = static_cast<time_t>(flow.timestamp_event / 1000000000ull);
        tv.tv_usec = static_cast<suseconds_t>(flow.timestamp_event % 1000000000ull / 1000);
    } else {
        gettimeofday(&tv, nullptr);
    }
    return tv;
}

void format_userspace(TextBuffer &out, std::uint32_t portid, std::string_view progname) {
    lit(out, " [USERSPACE] portid=");
    out.append_u64(portid);
    if (!progname.empty()) {
        lit(out, " progname=");
        out.append(progname);
    }
}

namespace {

// The inode of the netlink socket bound to `portid`, from /proc/net/netlink
// (columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode).
unsigned long netlink_inode(std::uint32_t portid) {
    std::FILE *fp = std::fopen("/proc/net/netlink", "re");
    if (!fp)
        return 0;
    char line[512];
    unsigned long found = 0;
    if (std::fgets(line, sizeof(line), fp)) {  // the header
        while (std::fgets(line, sizeof(line), fp)) {
            unsigned long long pid;
            unsigned long inode;
            if (std::sscanf(line, "%*x %*d %llu %*x %*d %*d %*d %*d %*d %lu", &pid, &inode) != 2)
                continue;
            if (pid == portid) {
                found = inode;
                break;
            }
        }
    }
    std::fclose(fp);
    return found;
}

std::string process_comm(unsigned long pid) {
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%lu/stat", pid);
    std::FILE *fp = std::fopen(path, "re");
    if (!fp)
        return {};
    char buf[512];
    std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, fp);
    std::fclose(fp);
    buf[n] = '\0';
    const char *open = std::strchr(buf, '(');
    if (!open)
        return {};
    const char *close = std::strchr(open + 1, ')');
    if (!close)
        return {};
    return std::string(open + 1, close);
}

} // namespace

std::string netlink_owner_name(std::uint32_t portid) {
    unsigned long inode = netlink_inode(portid);
    if (!inode)
        return {};
    // The reference looks for the socket among the descriptors of the
    // process whose pid equals the port id (the default netlink binding).
    char dir_path[64];
    std::snprintf(dir_path, sizeof(dir_path), "/proc/%u/fd", portid);
    DIR *dir = opendir(dir_path);
    if (!dir)
        return {};
    char want[64];
    std::snprintf(want, sizeof(want), "socket:[%lu]", inode);
    std::string name;
    while (dirent *ent = readdir(dir)) {
        if (ent->d_name[0] == '.')
            continue;
        char link_path[sizeof(dir_path) + sizeof(ent->d_name) + 2];
        char target[128];
        std::snprintf(link_path, sizeof(link_path), "%s/%s", dir_path, ent->d_name);
        ssize_t n = readlink(link_path, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (std::strcmp(target, want) == 0) {
            name = process_comm(portid);
            break;
        }
    }
    closedir(dir);
    return name;
}

// ---------------------------------------------------------------------------
// Statistics.

const char *cpu_stat_name(bool expect, unsigned attr) {
    static const char *const kConntrack[] = {
        nullptr,         "searched",    "found",         "new",      "invalid",
        "ignore",        "delete",      "delete_list",   "insert",   "insert_failed",
        "drop",          "early_drop",  "error",         "search_restart",
        "clash_resolve", "chaintoolong", "unknown1",     "unknown2", "unknown3",
        "unknown4",
    };
    static const char *const kExpect[] = {
        nullptr, "expect_new", "expect_create", "expect_delete",
    };
    if (expect)
        return attr < count_of(kExpect) ? kExpect[attr] : nullptr;
    return attr < count_of(kConntrack) ? kConntrack[attr] : nullptr;
}

void format_cpu_stats(TextBuffer &out, const CpuStats &s, OutputFormat format) {
    if (format == OutputFormat::Json) {
        lit(out, "{\"v\":");
        out.append_u64(JsonSchemaVersion);
        out.append(s.expect ? ",\"kind\":\"expect_cpu_stats\",\"cpu\":"
                            : ",\"kind\":\"cpu_stats\",\"cpu\":");
        out.append_u64(s.cpu);
        for (unsigned a = 1; a <= CpuStats::MaxAttr; ++a) {
            const char *name = cpu_stat_name(s.expect, a);
            if (!name || !s.has(a))
                continue;
            lit(out, ",\"");
            out.append(name);
            lit(out, "\":");
            out.append_u64(s.value[a]);
        }
        lit(out, "}\n");
        return;
    }
    // "cpu=%-4u\t" then "name=%u " per attribute, trailing space kept.
    char head[32];
    int n = std::snprintf(head, sizeof(head), "cpu=%-4u\t", static_cast<unsigned>(s.cpu));
    out.append({head, static_cast<std::size_t>(n)});
    for (unsigned a = 1; a <= CpuStats::MaxAttr; ++a) {
        const char *name = cpu_stat_name(s.expect, a);
        if (!name || !s.has(a))
            continue;
        out.append(name);
        out.push_back('=');
        out.append_u64(s.value[a]);
        out.push_back(' ');
    }
    out.push_back('\n');
}

void format_count(TextBuffer &out, std::uint32_t count, OutputFormat format, bool expect) {
    if (format == OutputFormat::Json) {
        lit(out, "{\"v\":");
        out.append_u64(JsonSchemaVersion);
        out.append(expect ? ",\"kind\":\"expect_count\",\"count\":" : ",\"kind\":\"count\",\"count\":");
        out.append_u64(count);
        lit(out, "}\n");
        return;
    }
    out.append_u64(count);
    out.push_back('\n');
}

} // namespace ct
