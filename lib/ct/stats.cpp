// Parsing of the statistics replies.
#include "ct/stats.hpp"

#include "ct/wire.hpp"

#include <linux/netfilter/nfnetlink_conntrack.h>

namespace ct {

ParseResult parse_cpu_stats(const nlmsghdr *nlh, CpuStats &out) {
    out = CpuStats{};
    constexpr std::size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg))
        return ParseResult::Truncated;
    std::uint8_t subsys = static_cast<std::uint8_t>(nlh->nlmsg_type >> 8);
    if (subsys != NFNL_SUBSYS_CTNETLINK && subsys != NFNL_SUBSYS_CTNETLINK_EXP)
        return ParseResult::WrongMessage;
    // The kernel answers EXP_GET_STATS_CPU (3) under the conntrack
    // subsystem, where type 3 is otherwise a dump request, never a reply.
    std::uint8_t type = static_cast<std::uint8_t>(nlh->nlmsg_type & 0xff);
    out.expect = subsys == NFNL_SUBSYS_CTNETLINK_EXP || type == IPCTNL_MSG_EXP_GET_STATS_CPU;
    const auto *nfg = reinterpret_cast<const nfgenmsg *>(
        reinterpret_cast<const unsigned char *>(nlh) + NLMSG_HDRLEN);
    out.cpu = __builtin_bswap16(nfg->res_id);
    if (nlh->nlmsg_len <= head)
        return ParseResult::Ok;
    wire::AttrReader rd(reinterpret_cast<const unsigned char *>(nlh) + head, nlh->nlmsg_len - head);
    wire::Attr a;
    while (rd.next(a)) {
        if (a.type == 0 || a.type > CpuStats::MaxAttr)
            continue;
        if (a.len != 4)
            return ParseResult::Malformed;
        out.value[a.type] = a.be32();
        out.present |= 1u << a.type;
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

ParseResult parse_global_stats(const nlmsghdr *nlh, GlobalStats &out) {
    out = GlobalStats{};
    constexpr std::size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg))
        return ParseResult::Truncated;
    if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
        return ParseResult::WrongMessage;
    if (nlh->nlmsg_len <= head)
        return ParseResult::Ok;
    wire::AttrReader rd(reinterpret_cast<const unsigned char *>(nlh) + head, nlh->nlmsg_len - head);
    wire::Attr a;
    while (rd.next(a)) {
        if (a.type == CTA_STATS_GLOBAL_ENTRIES) {
            if (a.len != 4)
                return ParseResult::Malformed;
            out.entries = a.be32();
            out.has_entries = true;
        } else if (a.type == CTA_STATS_GLOBAL_MAX_ENTRIES) {
            if (a.len != 4)
                return ParseResult::Malformed;
            out.max_entries = a.be32();
            out.has_max_entries = true;
        }
    }
    return rd.truncated() ? ParseResult::Truncated : ParseResult::Ok;
}

} // namespace ct
