// ctnetlink codec: strict parsing into ct::Flow / ct::Expect, and builders.
#include "ct/codec.hpp"

#include "ct/wire.hpp"

#include <linux/netfilter/nfnetlink_conntrack.h>

#include <algorithm>

// Newer than the installed kernel headers (Linux 5.19+).
#ifndef CTA_TIMESTAMP_EVENT
#define CTA_TIMESTAMP_EVENT 27
#endif

namespace ct {

using wire::Attr;
using wire::AttrReader;

const char *to_string(ParseResult r) {
    switch (r) {
    case ParseResult::Ok:
        return "ok";
    case ParseResult::Truncated:
        return "truncated message";
    case ParseResult::Malformed:
        return "malformed attribute";
    case ParseResult::WrongMessage:
        return "not a ctnetlink message";
    }
    return "?";
}

MessageType message_type(const nlmsghdr *nlh) {
    // Dump entries carry NLM_F_MULTI and replies to requests the request's
    // sequence number; events have neither.
    if ((nlh->nlmsg_flags & NLM_F_MULTI) || nlh->nlmsg_seq != 0)
        return MessageType::Unknown;
    switch (nlh->nlmsg_type & 0xff) {
    case IPCTNL_MSG_CT_NEW:  // == IPCTNL_MSG_EXP_NEW
        return (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ? MessageType::New
                                                                 : MessageType::Update;
    case IPCTNL_MSG_CT_DELETE:  // == IPCTNL_MSG_EXP_DELETE
        return MessageType::Destroy;
    default:
        return MessageType::Unknown;
    }
}

namespace {

// Checks the netlink and nfgenmsg headers; on success `attrs` covers the
// attribute area.
ParseResult open_message(const nlmsghdr *nlh, std::uint8_t subsys, std::uint8_t &family,
                         const unsigned char *&attrs, std::size_t &attrs_len) {
    constexpr std::size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg))
        return ParseResult::Truncated;
    if ((nlh->nlmsg_type >> 8) != subsys)
        return ParseResult::WrongMessage;
    const auto *nfg = reinterpret_cast<const nfgenmsg *>(
        reinterpret_cast<const unsigned char *>(nlh) + NLMSG_HDRLEN);
    family = nfg->nfgen_family;
    if (nlh->nlmsg_len <= head) {
        attrs = nullptr;
        attrs_len = 0;
    } else {
        attrs = reinterpret_cast<const unsigned char *>(nlh) + head;
        attrs_len = nlh->nlmsg_len - head;
    }
    return ParseResult::Ok;
}

// Fixed sizes: an attribute of another size makes the message malformed.
inline bool size_is(const Attr &a, std::size_t n) { return a.len == n; }

#define CT_REQUIRE_SIZE(attr, n) \
    do { \
        if (!size_is(attr, n)) \
            return ParseResult::Malformed; \
    } while (0)

#define CT_TRY(expr) \
    do { \
        ParseResult r_ = (expr); \
        if (r_ != ParseResult::Ok) \
            return r_; \
    } while (0)

ParseResult parse_ip(const Attr &nest, Tuple &t) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_IP_V4_SRC:
            CT_REQUIRE_SIZE(a, 4);
            t.src.v4 = a.raw32();
            t.set(TupleField::Src);
            break;
        case CTA_IP_V4_DST:
            CT_REQUIRE_SIZE(a, 4);
            t.dst.v4 = a.raw32();
            t.set(TupleField::Dst);
            break;
        case CTA_IP_V6_SRC:
            CT_REQUIRE_SIZE(a, 16);
            std::memcpy(t.src.v6, a.data, 16);
            t.set(TupleField::Src);
            break;
        case CTA_IP_V6_DST:
            CT_REQUIRE_SIZE(a, 16);
            std::memcpy(t.dst.v6, a.data, 16);
            t.set(TupleField::Dst);
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_proto(const Attr &nest, Tuple &t) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_PROTO_NUM:
            CT_REQUIRE_SIZE(a, 1);
            t.l4proto = a.u8();
            t.set(TupleField::L4Proto);
            break;
        case CTA_PROTO_SRC_PORT:
            CT_REQUIRE_SIZE(a, 2);
            t.sport = a.be16();
            t.set(TupleField::SrcPort);
            break;
        case CTA_PROTO_DST_PORT:
            CT_REQUIRE_SIZE(a, 2);
            t.dport = a.be16();
            t.set(TupleField::DstPort);
            break;
        case CTA_PROTO_ICMP_ID:
        case CTA_PROTO_ICMPV6_ID:
            CT_REQUIRE_SIZE(a, 2);
            t.icmp_id = a.be16();
            t.set(TupleField::IcmpId);
            break;
        case CTA_PROTO_ICMP_TYPE:
        case CTA_PROTO_ICMPV6_TYPE:
            CT_REQUIRE_SIZE(a, 1);
            t.icmp_type = a.u8();
            t.set(TupleField::IcmpType);
            break;
        case CTA_PROTO_ICMP_CODE:
        case CTA_PROTO_ICMPV6_CODE:
            CT_REQUIRE_SIZE(a, 1);
            t.icmp_code = a.u8();
            t.set(TupleField::IcmpCode);
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_tuple(const Attr &nest, Tuple &t, std::uint8_t family) {
    t.l3proto = family;
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_TUPLE_IP:
            CT_TRY(parse_ip(a, t));
            break;
        case CTA_TUPLE_PROTO:
            CT_TRY(parse_proto(a, t));
            break;
        case CTA_TUPLE_ZONE:
            CT_REQUIRE_SIZE(a, 2);
            t.zone = a.be16();
            t.set(TupleField::Zone);
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_protoinfo(const Attr &nest, Flow &f) {
    AttrReader rd(nest);
    Attr p;
    while (rd.next(p)) {
        AttrReader in(p);
        Attr a;
        switch (p.type) {
        case CTA_PROTOINFO_TCP:
            while (in.next(a)) {
                switch (a.type) {
                case CTA_PROTOINFO_TCP_STATE:
                    CT_REQUIRE_SIZE(a, 1);
                    f.tcp_state = a.u8();
                    f.set(FlowAttr::TcpState);
                    break;
                case CTA_PROTOINFO_TCP_WSCALE_ORIGINAL:
                    CT_REQUIRE_SIZE(a, 1);
                    f.tcp_wscale[Original] = a.u8();
                    f.set(FlowAttr::TcpWscaleOrig);
                    break;
                case CTA_PROTOINFO_TCP_WSCALE_REPLY:
                    CT_REQUIRE_SIZE(a, 1);
                    f.tcp_wscale[Reply] = a.u8();
                    f.set(FlowAttr::TcpWscaleReply);
                    break;
                case CTA_PROTOINFO_TCP_FLAGS_ORIGINAL:
                case CTA_PROTOINFO_TCP_FLAGS_REPLY: {
                    CT_REQUIRE_SIZE(a, 2);
                    bool orig = a.type == CTA_PROTOINFO_TCP_FLAGS_ORIGINAL;
                    TcpFlags &tf = f.tcp_flags[orig ? Original : Reply];
                    tf.flags = a.data[0];
                    tf.mask = a.data[1];
                    f.set(orig ? FlowAttr::TcpFlagsOrig : FlowAttr::TcpFlagsReply);
                    break;
                }
                default:
                    break;
                }
            }
            break;
        case CTA_PROTOINFO_SCTP:
            while (in.next(a)) {
                switch (a.type) {
                case CTA_PROTOINFO_SCTP_STATE:
                    CT_REQUIRE_SIZE(a, 1);
                    f.sctp_state = a.u8();
                    f.set(FlowAttr::SctpState);
                    break;
                case CTA_PROTOINFO_SCTP_VTAG_ORIGINAL:
                    CT_REQUIRE_SIZE(a, 4);
                    f.sctp_vtag[Original] = a.be32();
                    f.set(FlowAttr::SctpVtagOrig);
                    break;
                case CTA_PROTOINFO_SCTP_VTAG_REPLY:
                    CT_REQUIRE_SIZE(a, 4);
                    f.sctp_vtag[Reply] = a.be32();
                    f.set(FlowAttr::SctpVtagReply);
                    break;
                default:
                    break;
                }
            }
            break;
        case CTA_PROTOINFO_DCCP:
            while (in.next(a)) {
                switch (a.type) {
                case CTA_PROTOINFO_DCCP_STATE:
                    CT_REQUIRE_SIZE(a, 1);
                    f.dccp_state = a.u8();
                    f.set(FlowAttr::DccpState);
                    break;
                case CTA_PROTOINFO_DCCP_ROLE:
                    CT_REQUIRE_SIZE(a, 1);
                    f.dccp_role = a.u8();
                    f.set(FlowAttr::DccpRole);
                    break;
                case CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ:
                    CT_REQUIRE_SIZE(a, 8);
                    f.dccp_handshake_seq = a.be64();
                    f.set(FlowAttr::DccpHandshakeSeq);
                    break;
                default:
                    break;
                }
            }
            break;
        default:
            continue;
        }
        if (in.truncated())
            return ParseResult::Truncated;
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_counters(const Attr &nest, Flow &f, Direction dir) {
    AttrReader rd(nest);
    Attr a;
    FlowAttr packets = dir == Original ? FlowAttr::OrigPackets : FlowAttr::ReplyPackets;
    FlowAttr bytes = dir == Original ? FlowAttr::OrigBytes : FlowAttr::ReplyBytes;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_COUNTERS_PACKETS:
            CT_REQUIRE_SIZE(a, 8);
            f.counters[dir].packets = a.be64();
            f.set(packets);
            break;
        case CTA_COUNTERS_BYTES:
            CT_REQUIRE_SIZE(a, 8);
            f.counters[dir].bytes = a.be64();
            f.set(bytes);
            break;
        case CTA_COUNTERS32_PACKETS:
            CT_REQUIRE_SIZE(a, 4);
            f.counters[dir].packets = a.be32();
            f.set(packets);
            break;
        case CTA_COUNTERS32_BYTES:
            CT_REQUIRE_SIZE(a, 4);
            f.counters[dir].bytes = a.be32();
            f.set(bytes);
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_seqadj(const Attr &nest, SeqAdj &s) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_SEQADJ_CORRECTION_POS:
            CT_REQUIRE_SIZE(a, 4);
            s.correction_pos = a.be32();
            break;
        case CTA_SEQADJ_OFFSET_BEFORE:
            CT_REQUIRE_SIZE(a, 4);
            s.offset_before = a.be32();
            break;
        case CTA_SEQADJ_OFFSET_AFTER:
            CT_REQUIRE_SIZE(a, 4);
            s.offset_after = a.be32();
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

// A NUL-terminated string attribute into a fixed buffer.
ParseResult parse_name(const Attr &a, char *out, std::size_t size) {
    const void *nul = a.len ? std::memchr(a.data, '\0', a.len) : nullptr;
    if (!nul)
        return ParseResult::Malformed;
    std::size_t n = static_cast<std::size_t>(static_cast<const unsigned char *>(nul) - a.data);
    if (n >= size)
        return ParseResult::Malformed;
    std::memcpy(out, a.data, n + 1);
    return ParseResult::Ok;
}

ParseResult parse_help(const Attr &nest, Flow &f) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        if (a.type == CTA_HELP_NAME) {
            CT_TRY(parse_name(a, f.helper, sizeof(f.helper)));
            f.set(FlowAttr::Helper);
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_secctx(const Attr &nest, Flow &f) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        if (a.type == CTA_SECCTX_NAME) {
            const void *nul = a.len ? std::memchr(a.data, '\0', a.len) : nullptr;
            if (!nul)
                return ParseResult::Malformed;
            f.secctx.assign(reinterpret_cast<const char *>(a.data),
                            static_cast<const unsigned char *>(nul) - a.data);
            f.set(FlowAttr::Secctx);
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_timestamp(const Attr &nest, Flow &f) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_TIMESTAMP_START:
            CT_REQUIRE_SIZE(a, 8);
            f.timestamp_start = a.be64();
            f.set(FlowAttr::TimestampStart);
            break;
        case CTA_TIMESTAMP_STOP:
            CT_REQUIRE_SIZE(a, 8);
            f.timestamp_stop = a.be64();
            f.set(FlowAttr::TimestampStop);
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_synproxy(const Attr &nest, Flow &f) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_SYNPROXY_ISN:
            CT_REQUIRE_SIZE(a, 4);
            f.synproxy.isn = a.be32();
            break;
        case CTA_SYNPROXY_ITS:
            CT_REQUIRE_SIZE(a, 4);
            f.synproxy.its = a.be32();
            break;
        case CTA_SYNPROXY_TSOFF:
            CT_REQUIRE_SIZE(a, 4);
            f.synproxy.tsoff = a.be32();
            break;
        default:
            break;
        }
    }
    f.set(FlowAttr::Synproxy);
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_nat(const Attr &nest, NatRange &n, std::uint8_t family) {
    AttrReader rd(nest);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_NAT_V4_MINIP:
            CT_REQUIRE_SIZE(a, 4);
            n.min_ip.v4 = a.raw32();
            n.family = AF_INET;
            n.fields |= NatRange::MinIp;
            break;
        case CTA_NAT_V4_MAXIP:
            CT_REQUIRE_SIZE(a, 4);
            n.max_ip.v4 = a.raw32();
            n.family = AF_INET;
            n.fields |= NatRange::MaxIp;
            break;
        case CTA_NAT_V6_MINIP:
            CT_REQUIRE_SIZE(a, 16);
            std::memcpy(n.min_ip.v6, a.data, 16);
            n.family = AF_INET6;
            n.fields |= NatRange::MinIp;
            break;
        case CTA_NAT_V6_MAXIP:
            CT_REQUIRE_SIZE(a, 16);
            std::memcpy(n.max_ip.v6, a.data, 16);
            n.family = AF_INET6;
            n.fields |= NatRange::MaxIp;
            break;
        case CTA_NAT_PROTO: {
            AttrReader pr(a);
            Attr p;
            while (pr.next(p)) {
                if (p.type == CTA_PROTONAT_PORT_MIN) {
                    CT_REQUIRE_SIZE(p, 2);
                    n.min_port = p.be16();
                    n.fields |= NatRange::MinPort;
                } else if (p.type == CTA_PROTONAT_PORT_MAX) {
                    CT_REQUIRE_SIZE(p, 2);
                    n.max_port = p.be16();
                    n.fields |= NatRange::MaxPort;
                }
            }
            if (pr.truncated())
                return ParseResult::Truncated;
            break;
        }
        default:
            break;
        }
    }
    if (!n.family)
        n.family = family;
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

void read_labels(const Attr &a, Labels &l) {
    std::size_t n = std::min<std::size_t>(a.len, sizeof(l.words));
    std::memcpy(l.words, a.data, n);
    l.size = static_cast<std::uint8_t>(n);
}

} // namespace

ParseResult parse_flow(const nlmsghdr *nlh, Flow &f) {
    f.clear();
    const unsigned char *attrs;
    std::size_t len;
    std::uint8_t family;
    CT_TRY(open_message(nlh, NFNL_SUBSYS_CTNETLINK, family, attrs, len));
    f.family = family;
    f.type = message_type(nlh);
    f.portid = nlh->nlmsg_pid;

    AttrReader rd(attrs, len);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_TUPLE_ORIG:
            CT_TRY(parse_tuple(a, f.orig, family));
            f.set(FlowAttr::OrigTuple);
            break;
        case CTA_TUPLE_REPLY:
            CT_TRY(parse_tuple(a, f.reply, family));
            f.set(FlowAttr::ReplyTuple);
            break;
        case CTA_TUPLE_MASTER:
            CT_TRY(parse_tuple(a, f.master, family));
            f.set(FlowAttr::MasterTuple);
            break;
        case CTA_STATUS:
            CT_REQUIRE_SIZE(a, 4);
            f.set_status(a.be32());
            break;
        case CTA_STATUS_MASK:
            CT_REQUIRE_SIZE(a, 4);
            f.status_mask = a.be32();
            f.set(FlowAttr::StatusMask);
            break;
        case CTA_PROTOINFO:
            CT_TRY(parse_protoinfo(a, f));
            break;
        case CTA_HELP:
            CT_TRY(parse_help(a, f));
            break;
        case CTA_NAT_SRC:
            CT_TRY(parse_nat(a, f.nat_src, family));
            f.set(FlowAttr::NatSrc);
            break;
        case CTA_NAT_DST:
            CT_TRY(parse_nat(a, f.nat_dst, family));
            f.set(FlowAttr::NatDst);
            break;
        case CTA_TIMEOUT:
            CT_REQUIRE_SIZE(a, 4);
            f.set_timeout(a.be32());
            break;
        case CTA_MARK:
            CT_REQUIRE_SIZE(a, 4);
            f.set_mark(a.be32());
            break;
        case CTA_MARK_MASK:
            CT_REQUIRE_SIZE(a, 4);
            f.mark_mask = a.be32();
            f.set(FlowAttr::MarkMask);
            break;
        case CTA_COUNTERS_ORIG:
            CT_TRY(parse_counters(a, f, Original));
            break;
        case CTA_COUNTERS_REPLY:
            CT_TRY(parse_counters(a, f, Reply));
            break;
        case CTA_USE:
            CT_REQUIRE_SIZE(a, 4);
            f.use = a.be32();
            f.set(FlowAttr::Use);
            break;
        case CTA_ID:
            CT_REQUIRE_SIZE(a, 4);
            f.id = a.be32();
            f.set(FlowAttr::Id);
            break;
        case CTA_SEQ_ADJ_ORIG:
            CT_TRY(parse_seqadj(a, f.seqadj[Original]));
            f.set(FlowAttr::SeqAdjOrig);
            break;
        case CTA_SEQ_ADJ_REPLY:
            CT_TRY(parse_seqadj(a, f.seqadj[Reply]));
            f.set(FlowAttr::SeqAdjReply);
            break;
        case CTA_SECMARK:
            CT_REQUIRE_SIZE(a, 4);
            f.secmark = a.be32();
            f.set(FlowAttr::Secmark);
            break;
        case CTA_ZONE:
            CT_REQUIRE_SIZE(a, 2);
            f.set_zone(a.be16());
            break;
        case CTA_SECCTX:
            CT_TRY(parse_secctx(a, f));
            break;
        case CTA_TIMESTAMP:
            CT_TRY(parse_timestamp(a, f));
            break;
        case CTA_TIMESTAMP_EVENT:
            CT_REQUIRE_SIZE(a, 8);
            f.timestamp_event = a.be64();
            f.set(FlowAttr::TimestampEvent);
            break;
        case CTA_LABELS:
            if (a.len == 0 || a.len % 4)
                return ParseResult::Malformed;
            read_labels(a, f.labels);
            f.set(FlowAttr::Labels);
            break;
        case CTA_LABELS_MASK:
            if (a.len == 0 || a.len % 4)
                return ParseResult::Malformed;
            read_labels(a, f.labels_mask);
            f.set(FlowAttr::LabelsMask);
            break;
        case CTA_SYNPROXY:
            CT_TRY(parse_synproxy(a, f));
            break;
        default:
            break;  // unknown or request-only (CTA_FILTER): ignored
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_expect(const nlmsghdr *nlh, Expect &e) {
    e.clear();
    const unsigned char *attrs;
    std::size_t len;
    std::uint8_t family;
    CT_TRY(open_message(nlh, NFNL_SUBSYS_CTNETLINK_EXP, family, attrs, len));
    e.family = family;
    e.type = message_type(nlh);
    e.portid = nlh->nlmsg_pid;

    AttrReader rd(attrs, len);
    Attr a;
    while (rd.next(a)) {
        switch (a.type) {
        case CTA_EXPECT_MASTER:
            CT_TRY(parse_tuple(a, e.master, family));
            e.set(ExpectAttr::Master);
            break;
        case CTA_EXPECT_TUPLE:
            CT_TRY(parse_tuple(a, e.tuple, family));
            e.set(ExpectAttr::Tuple);
            break;
        case CTA_EXPECT_MASK:
            CT_TRY(parse_tuple(a, e.mask, family));
            e.set(ExpectAttr::Mask);
            break;
        case CTA_EXPECT_TIMEOUT:
            CT_REQUIRE_SIZE(a, 4);
            e.timeout = a.be32();
            e.set(ExpectAttr::Timeout);
            break;
        case CTA_EXPECT_ID:
            CT_REQUIRE_SIZE(a, 4);
            e.id = a.be32();
            e.set(ExpectAttr::Id);
            break;
        case CTA_EXPECT_HELP_NAME:
            CT_TRY(parse_name(a, e.helper, sizeof(e.helper)));
            e.set(ExpectAttr::Helper);
            break;
        case CTA_EXPECT_ZONE:
            CT_REQUIRE_SIZE(a, 2);
            e.zone = a.be16();
            e.set(ExpectAttr::Zone);
            break;
        case CTA_EXPECT_FLAGS:
            CT_REQUIRE_SIZE(a, 4);
            e.flags = a.be32();
            e.set(ExpectAttr::Flags);
            break;
        case CTA_EXPECT_CLASS:
            CT_REQUIRE_SIZE(a, 4);
            e.expect_class = a.be32();
            e.set(ExpectAttr::Class);
            break;
        case CTA_EXPECT_NAT: {
            AttrReader nr(a);
            Attr n;
            while (nr.next(n)) {
                if (n.type == CTA_EXPECT_NAT_DIR) {
                    CT_REQUIRE_SIZE(n, 4);
                    e.nat_dir = n.be32();
                    e.set(ExpectAttr::NatDir);
                } else if (n.type == CTA_EXPECT_NAT_TUPLE) {
                    CT_TRY(parse_tuple(n, e.nat_tuple, family));
                    e.set(ExpectAttr::NatTuple);
                }
            }
            if (nr.truncated())
                return ParseResult::Truncated;
            break;
        }
        case CTA_EXPECT_FN:
            CT_TRY(parse_name(a, e.fn, sizeof(e.fn)));
            e.set(ExpectAttr::Fn);
            break;
        default:
            break;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

// ---------------------------------------------------------------------------
// Building.

namespace {

void put_tuple(wire::Writer &w, std::uint16_t type, const Tuple &t, std::uint8_t family,
               bool with_zone = true) {
    std::uint8_t l3 = t.l3proto ? t.l3proto : family;
    nlattr *nest = w.nest_begin(type);
    if (t.has(TupleField::Src) || t.has(TupleField::Dst)) {
        nlattr *ip = w.nest_begin(CTA_TUPLE_IP);
        if (l3 == AF_INET6) {
            if (t.has(TupleField::Src))
                w.put(CTA_IP_V6_SRC, t.src.v6, 16);
            if (t.has(TupleField::Dst))
                w.put(CTA_IP_V6_DST, t.dst.v6, 16);
        } else {
            if (t.has(TupleField::Src))
                w.put(CTA_IP_V4_SRC, &t.src.v4, 4);
            if (t.has(TupleField::Dst))
                w.put(CTA_IP_V4_DST, &t.dst.v4, 4);
        }
        w.nest_end(ip);
    }
    constexpr std::uint16_t l4fields =
        static_cast<std::uint16_t>(TupleField::L4Proto) | static_cast<std::uint16_t>(TupleField::SrcPort) |
        static_cast<std::uint16_t>(TupleField::DstPort) | static_cast<std::uint16_t>(TupleField::IcmpType) |
        static_cast<std::uint16_t>(TupleField::IcmpCode) | static_cast<std::uint16_t>(TupleField::IcmpId);
    if (t.fields & l4fields) {
        bool v6 = l3 == AF_INET6;
        nlattr *proto = w.nest_begin(CTA_TUPLE_PROTO);
        if (t.has(TupleField::L4Proto))
            w.u8(CTA_PROTO_NUM, t.l4proto);
        if (t.has(TupleField::SrcPort))
            w.be16(CTA_PROTO_SRC_PORT, t.sport);
        if (t.has(TupleField::DstPort))
            w.be16(CTA_PROTO_DST_PORT, t.dport);
        if (t.has(TupleField::IcmpId))
            w.be16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, t.icmp_id);
        if (t.has(TupleField::IcmpType))
            w.u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, t.icmp_type);
        if (t.has(TupleField::IcmpCode))
            w.u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, t.icmp_code);
        w.nest_end(proto);
    }
    if (with_zone && t.has(TupleField::Zone))
        w.be16(CTA_TUPLE_ZONE, t.zone);
    w.nest_end(nest);
}

void put_nat(wire::Writer &w, std::uint16_t type, const NatRange &n, std::uint8_t family) {
    std::uint8_t l3 = n.family ? n.family : family;
    nlattr *nest = w.nest_begin(type);
    if (n.fields & NatRange::MinIp) {
        if (l3 == AF_INET6)
            w.put(CTA_NAT_V6_MINIP, n.min_ip.v6, 16);
        else
            w.put(CTA_NAT_V4_MINIP, &n.min_ip.v4, 4);
    }
    if (n.fields & NatRange::MaxIp) {
        if (l3 == AF_INET6)
            w.put(CTA_NAT_V6_MAXIP, n.max_ip.v6, 16);
        else
            w.put(CTA_NAT_V4_MAXIP, &n.max_ip.v4, 4);
    }
    if (n.fields & (NatRange::MinPort | NatRange::MaxPort)) {
        nlattr *proto = w.nest_begin(CTA_NAT_PROTO);
        if (n.fields & NatRange::MinPort)
            w.be16(CTA_PROTONAT_PORT_MIN, n.min_port);
        if (n.fields & NatRange::MaxPort)
            w.be16(CTA_PROTONAT_PORT_MAX, n.max_port);
        w.nest_end(proto);
    }
    w.nest_end(nest);
}

void put_seqadj(wire::Writer &w, std::uint16_t type, const SeqAdj &s) {
    nlattr *nest = w.nest_begin(type);
    w.be32(CTA_SEQADJ_CORRECTION_POS, s.correction_pos);
    w.be32(CTA_SEQADJ_OFFSET_BEFORE, s.offset_before);
    w.be32(CTA_SEQADJ_OFFSET_AFTER, s.offset_after);
    w.nest_end(nest);
}

void put_labels(wire::Writer &w, std::uint16_t type, const Labels &l) {
    std::size_t size = l.size ? l.size : sizeof(l.words);
    w.put(type, l.words, size);
}

void put_protoinfo(wire::Writer &w, const Flow &f) {
    bool tcp = f.has(FlowAttr::TcpState) || f.has(FlowAttr::TcpWscaleOrig) ||
               f.has(FlowAttr::TcpWscaleReply) || f.has(FlowAttr::TcpFlagsOrig) ||
               f.has(FlowAttr::TcpFlagsReply);
    bool sctp = f.has(FlowAttr::SctpState) || f.has(FlowAttr::SctpVtagOrig) ||
                f.has(FlowAttr::SctpVtagReply);
    bool dccp = f.has(FlowAttr::DccpState) || f.has(FlowAttr::DccpRole) ||
                f.has(FlowAttr::DccpHandshakeSeq);
    if (!tcp && !sctp && !dccp)
        return;
    nlattr *info = w.nest_begin(CTA_PROTOINFO);
    if (tcp) {
        nlattr *n = w.nest_begin(CTA_PROTOINFO_TCP);
        if (f.has(FlowAttr::TcpState))
            w.u8(CTA_PROTOINFO_TCP_STATE, f.tcp_state);
        if (f.has(FlowAttr::TcpWscaleOrig))
            w.u8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, f.tcp_wscale[Original]);
        if (f.has(FlowAttr::TcpWscaleReply))
            w.u8(CTA_PROTOINFO_TCP_WSCALE_REPLY, f.tcp_wscale[Reply]);
        if (f.has(FlowAttr::TcpFlagsOrig)) {
            std::uint8_t v[2] = {f.tcp_flags[Original].flags, f.tcp_flags[Original].mask};
            w.put(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, v, 2);
        }
        if (f.has(FlowAttr::TcpFlagsReply)) {
            std::uint8_t v[2] = {f.tcp_flags[Reply].flags, f.tcp_flags[Reply].mask};
            w.put(CTA_PROTOINFO_TCP_FLAGS_REPLY, v, 2);
        }
        w.nest_end(n);
    }
    if (sctp) {
        nlattr *n = w.nest_begin(CTA_PROTOINFO_SCTP);
        if (f.has(FlowAttr::SctpState))
            w.u8(CTA_PROTOINFO_SCTP_STATE, f.sctp_state);
        if (f.has(FlowAttr::SctpVtagOrig))
            w.be32(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, f.sctp_vtag[Original]);
        if (f.has(FlowAttr::SctpVtagReply))
            w.be32(CTA_PROTOINFO_SCTP_VTAG_REPLY, f.sctp_vtag[Reply]);
        w.nest_end(n);
    }
    if (dccp) {
        nlattr *n = w.nest_begin(CTA_PROTOINFO_DCCP);
        if (f.has(FlowAttr::DccpState))
            w.u8(CTA_PROTOINFO_DCCP_STATE, f.dccp_state);
        if (f.has(FlowAttr::DccpRole))
            w.u8(CTA_PROTOINFO_DCCP_ROLE, f.dccp_role);
        if (f.has(FlowAttr::DccpHandshakeSeq))
            w.be64(CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, f.dccp_handshake_seq);
        w.nest_end(n);
    }
    w.nest_end(info);
}

} // namespace

nlmsghdr *build_flow(void *buf, std::size_t size, std::uint8_t msg_type, std::uint16_t flags,
                     std::uint32_t seq, const Flow &f) {
    wire::Writer w(buf, size);
    w.begin(msg::type(msg::SubsysConntrack, msg_type), flags, seq, f.family);
    if (f.has(FlowAttr::OrigTuple))
        put_tuple(w, CTA_TUPLE_ORIG, f.orig, f.family);
    if (f.has(FlowAttr::ReplyTuple))
        put_tuple(w, CTA_TUPLE_REPLY, f.reply, f.family);
    if (f.has(FlowAttr::MasterTuple))
        put_tuple(w, CTA_TUPLE_MASTER, f.master, f.family);
    if (f.has(FlowAttr::NatSrc))
        put_nat(w, CTA_NAT_SRC, f.nat_src, f.family);
    if (f.has(FlowAttr::NatDst))
        put_nat(w, CTA_NAT_DST, f.nat_dst, f.family);
    if (f.has(FlowAttr::Status))
        w.be32(CTA_STATUS, f.status);
    if (f.has(FlowAttr::StatusMask))
        w.be32(CTA_STATUS_MASK, f.status_mask);
    if (f.has(FlowAttr::Timeout))
        w.be32(CTA_TIMEOUT, f.timeout);
    if (f.has(FlowAttr::Mark))
        w.be32(CTA_MARK, f.mark);
    if (f.has(FlowAttr::MarkMask))
        w.be32(CTA_MARK_MASK, f.mark_mask);
    if (f.has(FlowAttr::Id))
        w.be32(CTA_ID, f.id);
    if (f.has(FlowAttr::Zone))
        w.be16(CTA_ZONE, f.zone);
    put_protoinfo(w, f);
    if (f.has(FlowAttr::Helper)) {
        nlattr *help = w.nest_begin(CTA_HELP);
        w.str(CTA_HELP_NAME, f.helper);
        w.nest_end(help);
    }
    if (f.has(FlowAttr::SeqAdjOrig))
        put_seqadj(w, CTA_SEQ_ADJ_ORIG, f.seqadj[Original]);
    if (f.has(FlowAttr::SeqAdjReply))
        put_seqadj(w, CTA_SEQ_ADJ_REPLY, f.seqadj[Reply]);
    if (f.has(FlowAttr::Labels))
        put_labels(w, CTA_LABELS, f.labels);
    if (f.has(FlowAttr::LabelsMask))
        put_labels(w, CTA_LABELS_MASK, f.labels_mask);
    if (f.has(FlowAttr::Synproxy)) {
        nlattr *n = w.nest_begin(CTA_SYNPROXY);
        w.be32(CTA_SYNPROXY_ISN, f.synproxy.isn);
        w.be32(CTA_SYNPROXY_ITS, f.synproxy.its);
        w.be32(CTA_SYNPROXY_TSOFF, f.synproxy.tsoff);
        w.nest_end(n);
    }
    return w.finish();
}

nlmsghdr *build_expect(void *buf, std::size_t size, std::uint8_t msg_type, std::uint16_t flags,
                       std::uint32_t seq, const Expect &e) {
    wire::Writer w(buf, size);
    w.begin(msg::type(msg::SubsysExpect, msg_type), flags, seq, e.family);
    if (e.has(ExpectAttr::Master))
        put_tuple(w, CTA_EXPECT_MASTER, e.master, e.family);
    if (e.has(ExpectAttr::Tuple))
        put_tuple(w, CTA_EXPECT_TUPLE, e.tuple, e.family);
    if (e.has(ExpectAttr::Mask))
        put_tuple(w, CTA_EXPECT_MASK, e.mask, e.family);
    if (e.has(ExpectAttr::Timeout))
        w.be32(CTA_EXPECT_TIMEOUT, e.timeout);
    if (e.has(ExpectAttr::Id))
        w.be32(CTA_EXPECT_ID, e.id);
    if (e.has(ExpectAttr::Helper))
        w.str(CTA_EXPECT_HELP_NAME, e.helper);
    if (e.has(ExpectAttr::Zone))
        w.be16(CTA_EXPECT_ZONE, e.zone);
    if (e.has(ExpectAttr::Flags))
        w.be32(CTA_EXPECT_FLAGS, e.flags);
    if (e.has(ExpectAttr::Class))
        w.be32(CTA_EXPECT_CLASS, e.expect_class);
    if (e.has(ExpectAttr::NatDir) || e.has(ExpectAttr::NatTuple)) {
        nlattr *nat = w.nest_begin(CTA_EXPECT_NAT);
        if (e.has(ExpectAttr::NatDir))
            w.be32(CTA_EXPECT_NAT_DIR, e.nat_dir);
        if (e.has(ExpectAttr::NatTuple))
            put_tuple(w, CTA_EXPECT_NAT_TUPLE, e.nat_tuple, e.family);
        w.nest_end(nat);
    }
    if (e.has(ExpectAttr::Fn))
        w.str(CTA_EXPECT_FN, e.fn);
    return w.finish();
}

nlmsghdr *build_simple(void *buf, std::size_t size, std::uint8_t subsys, std::uint8_t msg_type,
                       std::uint16_t flags, std::uint8_t family, std::uint32_t seq) {
    wire::Writer w(buf, size);
    w.begin(msg::type(subsys, msg_type), flags, seq, family);
    return w.finish();
}

// CTA_FILTER flag bits (kernel: CTA_FILTER_FLAG(attr) = 1 << attr index
// in its private list, stable ABI since 5.8).
namespace {
constexpr std::uint32_t FilterIpSrc = 1u << 0;
constexpr std::uint32_t FilterIpDst = 1u << 1;
constexpr std::uint32_t FilterTupleZone = 1u << 2;
constexpr std::uint32_t FilterProtoNum = 1u << 3;
constexpr std::uint32_t FilterSrcPort = 1u << 4;
constexpr std::uint32_t FilterDstPort = 1u << 5;
constexpr std::uint32_t FilterIcmpType = 1u << 6;
constexpr std::uint32_t FilterIcmpCode = 1u << 7;
constexpr std::uint32_t FilterIcmpId = 1u << 8;
constexpr std::uint32_t FilterIcmpv6Type = 1u << 9;
constexpr std::uint32_t FilterIcmpv6Code = 1u << 10;
constexpr std::uint32_t FilterIcmpv6Id = 1u << 11;

// The tuple the kernel can be trusted with: IPv6 addresses left out (see
// DumpFilter: the kernel's IPv6 address match is inverted).
Tuple kernel_filter_tuple(const Tuple &t, std::uint8_t family) {
    Tuple k = t;
    if (family == AF_INET6)
        k.fields &= static_cast<std::uint16_t>(
            ~(static_cast<std::uint16_t>(TupleField::Src) | static_cast<std::uint16_t>(TupleField::Dst)));
    return k;
}

std::uint32_t filter_flags(const Tuple &t, std::uint8_t family) {
    bool v6 = family == AF_INET6;
    std::uint32_t flags = 0;
    if (t.has(TupleField::Src))
        flags |= FilterIpSrc;
    if (t.has(TupleField::Dst))
        flags |= FilterIpDst;
    if (t.has(TupleField::Zone))
        flags |= FilterTupleZone;
    if (t.has(TupleField::L4Proto))
        flags |= FilterProtoNum;
    if (t.has(TupleField::SrcPort))
        flags |= FilterSrcPort;
    if (t.has(TupleField::DstPort))
        flags |= FilterDstPort;
    if (t.has(TupleField::IcmpType))
        flags |= v6 ? FilterIcmpv6Type : FilterIcmpType;
    if (t.has(TupleField::IcmpCode))
        flags |= v6 ? FilterIcmpv6Code : FilterIcmpCode;
    if (t.has(TupleField::IcmpId))
        flags |= v6 ? FilterIcmpv6Id : FilterIcmpId;
    return flags;
}

bool tuple_usable(const Tuple &t, std::uint8_t family) {
    if (t.empty())
        return true;
    if (family != AF_INET && family != AF_INET6)
        return false;
    if (t.l3proto && t.l3proto != family)
        return false;
    constexpr std::uint16_t needs_proto =
        static_cast<std::uint16_t>(TupleField::SrcPort) | static_cast<std::uint16_t>(TupleField::DstPort) |
        static_cast<std::uint16_t>(TupleField::IcmpType) | static_cast<std::uint16_t>(TupleField::IcmpCode) |
        static_cast<std::uint16_t>(TupleField::IcmpId);
    if ((t.fields & needs_proto) && !t.has(TupleField::L4Proto))
        return false;
    return true;
}
} // namespace

bool tuple_filter_usable(const DumpFilter &filter) {
    return tuple_usable(filter.orig, filter.family) && tuple_usable(filter.reply, filter.family);
}

nlmsghdr *build_dump(void *buf, std::size_t size, std::uint32_t seq, const DumpFilter &filter) {
    wire::Writer w(buf, size);
    w.begin(msg::type(msg::SubsysConntrack, filter.msg_type), NLM_F_DUMP, seq, filter.family);
    if (filter.has_mark) {
        w.be32(CTA_MARK, filter.mark_value);
        w.be32(CTA_MARK_MASK, filter.mark_mask);
    }
    if (filter.has_status) {
        w.be32(CTA_STATUS, filter.status_value);
        w.be32(CTA_STATUS_MASK, filter.status_mask);
    }
    if (filter.has_zone)
        w.be16(CTA_ZONE, filter.zone);
    Tuple orig = kernel_filter_tuple(filter.orig, filter.family);
    Tuple reply = kernel_filter_tuple(filter.reply, filter.family);
    if ((!orig.empty() || !reply.empty()) && tuple_filter_usable(filter)) {
        std::uint32_t orig_flags = filter_flags(orig, filter.family);
        std::uint32_t reply_flags = filter_flags(reply, filter.family);
        nlattr *n = w.nest_begin(CTA_FILTER);
        // Host byte order: the kernel reads these two with nla_get_u32.
        w.u32(CTA_FILTER_ORIG_FLAGS, orig_flags);
        w.u32(CTA_FILTER_REPLY_FLAGS, reply_flags);
        w.nest_end(n);
        if (orig_flags)
            put_tuple(w, CTA_TUPLE_ORIG, orig, filter.family);
        if (reply_flags)
            put_tuple(w, CTA_TUPLE_REPLY, reply, filter.family);
    }
    return w.finish();
}

} // namespace ct
