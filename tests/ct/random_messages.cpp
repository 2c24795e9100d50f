#include "random_messages.hpp"

#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctime>

#ifndef CTA_TIMESTAMP_EVENT
#define CTA_TIMESTAMP_EVENT 27
#endif

namespace cttest {

std::uint64_t MessageGenerator::edgy(std::uint64_t max) {
    switch (below(6)) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return max;
    default:
        return max == UINT64_MAX ? u64() : u64() % (max + 1);
    }
}

std::uint8_t MessageGenerator::pick_family() {
    std::uint32_t r = below(100);
    if (r < 47)
        return AF_INET;
    if (r < 94)
        return AF_INET6;
    if (r < 97)
        return AF_UNSPEC;
    return 7;  // AF_BRIDGE: a family the formatters do not know
}

std::uint8_t MessageGenerator::pick_l4proto() {
    static const std::uint8_t common[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
                                          IPPROTO_SCTP, IPPROTO_DCCP, IPPROTO_ICMP,
                                          IPPROTO_ICMPV6, IPPROTO_GRE, 0, 2, 99, 253, 255};
    if (chance(0.85))
        return common[below(sizeof(common))];
    return static_cast<std::uint8_t>(below(256));
}

std::string MessageGenerator::word(unsigned max_len, const char *alphabet) {
    unsigned len = 1 + below(max_len);
    std::string s;
    std::size_t n = std::strlen(alphabet);
    for (unsigned i = 0; i < len; ++i)
        s += alphabet[below(static_cast<std::uint32_t>(n))];
    return s;
}

void MessageGenerator::tuple(RawMessage &m, std::uint16_t type, std::uint8_t family,
                             std::uint8_t l4proto, bool with_zone) {
    nlattr *t = m.nest(type);
    if (chance(0.95)) {
        nlattr *ip = m.nest(CTA_TUPLE_IP);
        // Mostly the family's own addresses; sometimes the other family's.
        bool v6 = family == AF_INET6 ? chance(0.97) : chance(0.05);
        for (int i = 0; i < 2; ++i) {
            if (!chance(0.93))
                continue;
            if (v6) {
                unsigned char a[16] = {};
                switch (below(4)) {
                case 0:  // ::1-like
                    a[15] = static_cast<unsigned char>(below(256));
                    break;
                case 1:  // v4-mapped
                    a[10] = a[11] = 0xff;
                    for (int k = 12; k < 16; ++k)
                        a[k] = static_cast<unsigned char>(below(256));
                    break;
                case 2:  // zero runs
                    a[0] = 0x20;
                    a[1] = 0x01;
                    a[2] = static_cast<unsigned char>(below(2) ? 0 : 0xd);
                    a[14] = static_cast<unsigned char>(below(256));
                    break;
                default:
                    for (auto &b : a)
                        b = static_cast<unsigned char>(below(256));
                }
                m.put(i == 0 ? CTA_IP_V6_SRC : CTA_IP_V6_DST, a, 16);
            } else {
                std::uint32_t a = static_cast<std::uint32_t>(edgy(UINT32_MAX));
                m.put(i == 0 ? CTA_IP_V4_SRC : CTA_IP_V4_DST, &a, 4);
            }
        }
        m.end(ip);
    }
    if (chance(0.95)) {
        nlattr *p = m.nest(CTA_TUPLE_PROTO);
        if (chance(0.95))
            m.u8(CTA_PROTO_NUM, l4proto);
        bool icmp = l4proto == IPPROTO_ICMP || l4proto == IPPROTO_ICMPV6;
        if (icmp || chance(0.05)) {
            bool v6 = l4proto == IPPROTO_ICMPV6;
            if (chance(0.9))
                m.u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, static_cast<std::uint8_t>(edgy(255)));
            if (chance(0.9))
                m.u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, static_cast<std::uint8_t>(edgy(255)));
            if (chance(0.9))
                m.be16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, static_cast<std::uint16_t>(edgy(65535)));
        }
        if (!icmp || chance(0.05)) {
            if (chance(0.9))
                m.be16(CTA_PROTO_SRC_PORT, static_cast<std::uint16_t>(edgy(65535)));
            if (chance(0.9))
                m.be16(CTA_PROTO_DST_PORT, static_cast<std::uint16_t>(edgy(65535)));
        }
        m.end(p);
    }
    if (with_zone)
        m.be16(CTA_TUPLE_ZONE, static_cast<std::uint16_t>(edgy(65535)));
    m.end(t);
}

Message MessageGenerator::flow() {
    std::uint8_t family = pick_family();
    std::uint8_t l4proto = pick_l4proto();
    std::uint8_t msg_type = IPCTNL_MSG_CT_NEW;
    std::uint16_t flags = 0;
    switch (below(4)) {
    case 0:
        flags = NLM_F_MULTI;  // a dump entry
        break;
    case 1:
        flags = NLM_F_CREATE | NLM_F_EXCL;  // [NEW]
        break;
    case 2:
        break;  // [UPDATE]
    default:
        msg_type = IPCTNL_MSG_CT_DELETE;
    }
    RawMessage m(NFNL_SUBSYS_CTNETLINK, msg_type, flags, family, 0,
                 chance(0.2) ? static_cast<std::uint32_t>(edgy(UINT32_MAX)) : 0);

    if (chance(0.97))
        tuple(m, CTA_TUPLE_ORIG, family, l4proto, chance(0.15));
    if (chance(0.92))
        tuple(m, CTA_TUPLE_REPLY, family, chance(0.95) ? l4proto : pick_l4proto(), chance(0.15));
    if (chance(0.08))
        tuple(m, CTA_TUPLE_MASTER, family, pick_l4proto(), false);
    if (chance(0.9)) {
        std::uint32_t status;
        switch (below(3)) {
        case 0:
            status = static_cast<std::uint32_t>(edgy(UINT32_MAX));
            break;
        case 1:
            status = static_cast<std::uint32_t>(below(1u << 16));
            break;
        default:
            status = 0x8 | (chance(0.5) ? 0x2 : 0) | (chance(0.5) ? 0x4 : 0) |
                     (chance(0.1) ? 0x4000 : 0) | (chance(0.1) ? 0x8000 : 0);
        }
        m.be32(CTA_STATUS, status);
    }
    if (chance(0.8))
        m.be32(CTA_TIMEOUT, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    bool tcp = l4proto == IPPROTO_TCP ? chance(0.8) : chance(0.08);
    bool sctp = l4proto == IPPROTO_SCTP ? chance(0.8) : chance(0.08);
    bool dccp = l4proto == IPPROTO_DCCP ? chance(0.8) : chance(0.08);
    if (tcp || sctp || dccp) {
        nlattr *info = m.nest(CTA_PROTOINFO);
        auto state = [&] { return static_cast<std::uint8_t>(chance(0.9) ? below(12) : edgy(255)); };
        if (tcp) {
            nlattr *n = m.nest(CTA_PROTOINFO_TCP);
            if (chance(0.9))
                m.u8(CTA_PROTOINFO_TCP_STATE, state());
            if (chance(0.5))
                m.u8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, static_cast<std::uint8_t>(below(15)));
            if (chance(0.5))
                m.u8(CTA_PROTOINFO_TCP_WSCALE_REPLY, static_cast<std::uint8_t>(below(15)));
            if (chance(0.5)) {
                std::uint8_t f[2] = {static_cast<std::uint8_t>(below(256)), static_cast<std::uint8_t>(below(256))};
                m.put(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, f, 2);
            }
            if (chance(0.5)) {
                std::uint8_t f[2] = {static_cast<std::uint8_t>(below(256)), static_cast<std::uint8_t>(below(256))};
                m.put(CTA_PROTOINFO_TCP_FLAGS_REPLY, f, 2);
            }
            m.end(n);
        }
        if (sctp) {
            nlattr *n = m.nest(CTA_PROTOINFO_SCTP);
            if (chance(0.9))
                m.u8(CTA_PROTOINFO_SCTP_STATE, state());
            if (chance(0.7))
                m.be32(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
            if (chance(0.7))
                m.be32(CTA_PROTOINFO_SCTP_VTAG_REPLY, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
            m.end(n);
        }
        if (dccp) {
            nlattr *n = m.nest(CTA_PROTOINFO_DCCP);
            if (chance(0.9))
                m.u8(CTA_PROTOINFO_DCCP_STATE, state());
            if (chance(0.7))
                m.u8(CTA_PROTOINFO_DCCP_ROLE, static_cast<std::uint8_t>(below(3)));
            if (chance(0.5))
                m.be64(CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, edgy(UINT64_MAX));
            m.end(n);
        }
        m.end(info);
    }
    if (chance(0.7))
        m.be32(CTA_MARK, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    if (chance(0.15))
        m.be32(CTA_SECMARK, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    for (std::uint16_t dir : {CTA_COUNTERS_ORIG, CTA_COUNTERS_REPLY}) {
        if (!chance(0.4))
            continue;
        nlattr *n = m.nest(dir);
        if (chance(0.92))
            m.be64(CTA_COUNTERS_PACKETS, edgy(UINT64_MAX));
        if (chance(0.92))
            m.be64(CTA_COUNTERS_BYTES, edgy(UINT64_MAX));
        m.end(n);
    }
    if (chance(0.8))
        m.be32(CTA_USE, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    if (chance(0.8))
        m.be32(CTA_ID, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    if (chance(0.15))
        m.be16(CTA_ZONE, static_cast<std::uint16_t>(edgy(65535)));
    if (chance(0.3)) {
        // Times around now (live flows, ended flows), the epoch, or far ahead.
        std::uint64_t now_ns = static_cast<std::uint64_t>(std::time(nullptr)) * 1000000000ull;
        auto when = [&]() -> std::uint64_t {
            switch (below(5)) {
            case 0:
                return 0;
            case 1:
                return now_ns + (u64() % 4000000000000ull);
            case 2:
                return (u64() % 8000000000000000000ull);
            default:
                return now_ns - (u64() % 400000000000000ull);
            }
        };
        nlattr *n = m.nest(CTA_TIMESTAMP);
        if (chance(0.9))
            m.be64(CTA_TIMESTAMP_START, when());
        if (chance(0.5))
            m.be64(CTA_TIMESTAMP_STOP, when());
        m.end(n);
    }
    if (chance(0.1))
        m.be64(CTA_TIMESTAMP_EVENT, u64() % 4000000000000000000ull);
    if (chance(0.2)) {
        nlattr *n = m.nest(CTA_HELP);
        m.str(CTA_HELP_NAME, word(15, "abcdefghijklmnopqrstuvwxyz0123456789-_"));
        m.end(n);
    }
    if (chance(0.1)) {
        nlattr *n = m.nest(CTA_SECCTX);
        m.str(CTA_SECCTX_NAME, word(40, "abcdefghijklmnopqrstuvwxyz_:0123456789"));
        m.end(n);
    }
    if (chance(0.3)) {
        std::uint32_t words[4] = {};
        unsigned n = 1 + below(4);
        for (unsigned i = 0; i < n; ++i)
            words[i] = chance(0.5) ? static_cast<std::uint32_t>(u64()) : (1u << below(32));
        m.put(CTA_LABELS, words, 4 * n);
    }
    for (std::uint16_t dir : {CTA_SEQ_ADJ_ORIG, CTA_SEQ_ADJ_REPLY}) {
        if (!chance(0.1))
            continue;
        nlattr *n = m.nest(dir);
        m.be32(CTA_SEQADJ_CORRECTION_POS, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
        m.be32(CTA_SEQADJ_OFFSET_BEFORE, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
        m.be32(CTA_SEQADJ_OFFSET_AFTER, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
        m.end(n);
    }
    if (chance(0.1)) {
        nlattr *n = m.nest(CTA_SYNPROXY);
        m.be32(CTA_SYNPROXY_ISN, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
        m.be32(CTA_SYNPROXY_ITS, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
        m.be32(CTA_SYNPROXY_TSOFF, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
        m.end(n);
    }
    if (chance(0.05))
        m.be32(40 + below(20), static_cast<std::uint32_t>(u64()));  // unknown attribute
    return Message{m.bytes()};
}

Message MessageGenerator::expect() {
    std::uint8_t family = chance(0.5) ? AF_INET : AF_INET6;
    std::uint8_t l4proto = pick_l4proto();
    std::uint8_t msg_type = IPCTNL_MSG_EXP_NEW;
    std::uint16_t flags = 0;
    switch (below(4)) {
    case 0:
        flags = NLM_F_MULTI;
        break;
    case 1:
        flags = NLM_F_CREATE | NLM_F_EXCL;
        break;
    case 2:
        break;
    default:
        msg_type = IPCTNL_MSG_EXP_DELETE;
    }
    RawMessage m(NFNL_SUBSYS_CTNETLINK_EXP, msg_type, flags, family);
    if (chance(0.95))
        tuple(m, CTA_EXPECT_MASTER, family, l4proto, false);
    if (chance(0.95))
        tuple(m, CTA_EXPECT_TUPLE, family, l4proto, false);
    if (chance(0.95))
        tuple(m, CTA_EXPECT_MASK, family, l4proto, false);
    if (chance(0.9))
        m.be32(CTA_EXPECT_TIMEOUT, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    if (chance(0.9))
        m.be32(CTA_EXPECT_ID, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    if (chance(0.6))
        m.str(CTA_EXPECT_HELP_NAME, word(15, "abcdefghijklmnopqrstuvwxyz0123456789-"));
    if (chance(0.3))
        m.be16(CTA_EXPECT_ZONE, static_cast<std::uint16_t>(edgy(65535)));
    if (chance(0.8))
        m.be32(CTA_EXPECT_FLAGS, static_cast<std::uint32_t>(chance(0.7) ? below(8) : edgy(UINT32_MAX)));
    if (chance(0.6))
        m.be32(CTA_EXPECT_CLASS, static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    if (chance(0.2)) {
        nlattr *n = m.nest(CTA_EXPECT_NAT);
        if (chance(0.9))
            m.be32(CTA_EXPECT_NAT_DIR, static_cast<std::uint32_t>(below(2)));
        if (chance(0.9))
            tuple(m, CTA_EXPECT_NAT_TUPLE, family, l4proto, false);
        m.end(n);
    }
    if (chance(0.3))
        m.str(CTA_EXPECT_FN, word(20, "abcdefghijklmnopqrstuvwxyz-"));
    return Message{m.bytes()};
}

Message MessageGenerator::cpu_stats(bool expect) {
    RawMessage m(expect ? NFNL_SUBSYS_CTNETLINK_EXP : NFNL_SUBSYS_CTNETLINK,
                 static_cast<std::uint8_t>(expect ? int(IPCTNL_MSG_EXP_GET_STATS_CPU) : int(IPCTNL_MSG_CT_GET_STATS_CPU)), NLM_F_MULTI,
                 AF_UNSPEC);
    m.res_id(static_cast<std::uint16_t>(edgy(65535)));
    unsigned max = expect ? 3 : 19;
    for (unsigned a = 1; a <= max; ++a)
        if (chance(0.8))
            m.be32(static_cast<std::uint16_t>(a), static_cast<std::uint32_t>(edgy(UINT32_MAX)));
    return Message{m.bytes()};
}

} // namespace cttest
