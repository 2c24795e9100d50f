// ctnetlink codec: netlink messages <-> ct::Flow / ct::Expect.
//
// Parsing is strict: every length is checked against its container and
// against the attribute's type, a malformed message is rejected as a whole
// (never read out of bounds), and attributes this code does not know are
// skipped, so newer kernels keep working.
//
// Building writes into a caller-supplied buffer (no allocation) and fails
// cleanly when the buffer is too small.
#pragma once

#include "ct/flow.hpp"

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>

namespace ct {

// Netfilter subsystems and message types (from linux/netfilter/nfnetlink*.h,
// repeated here so that callers need not include kernel headers).
namespace msg {
inline constexpr std::uint8_t SubsysConntrack = 1;   // NFNL_SUBSYS_CTNETLINK
inline constexpr std::uint8_t SubsysExpect = 2;      // NFNL_SUBSYS_CTNETLINK_EXP

// IPCTNL_MSG_CT_*
inline constexpr std::uint8_t CtNew = 0;
inline constexpr std::uint8_t CtGet = 1;
inline constexpr std::uint8_t CtDelete = 2;
inline constexpr std::uint8_t CtGetCtrZero = 3;
inline constexpr std::uint8_t CtGetStatsCpu = 4;
inline constexpr std::uint8_t CtGetStats = 5;
inline constexpr std::uint8_t CtGetDying = 6;
inline constexpr std::uint8_t CtGetUnconfirmed = 7;

// IPCTNL_MSG_EXP_*
inline constexpr std::uint8_t ExpNew = 0;
inline constexpr std::uint8_t ExpGet = 1;
inline constexpr std::uint8_t ExpDelete = 2;
inline constexpr std::uint8_t ExpGetStatsCpu = 3;

// Multicast groups for event subscription (NF_NETLINK_CONNTRACK_* bits,
// for NetlinkSocket::open).
inline constexpr unsigned GroupNew = 0x1;
inline constexpr unsigned GroupUpdate = 0x2;
inline constexpr unsigned GroupDestroy = 0x4;
inline constexpr unsigned GroupExpNew = 0x8;
inline constexpr unsigned GroupExpUpdate = 0x10;
inline constexpr unsigned GroupExpDestroy = 0x20;

constexpr std::uint16_t type(std::uint8_t subsys, std::uint8_t msg_type) {
    return static_cast<std::uint16_t>(subsys << 8 | msg_type);
}
} // namespace msg

// ---------------------------------------------------------------------------
// Parsing.

enum class ParseResult {
    Ok = 0,
    Truncated,        // a header or attribute runs past the end of its container
    Malformed,        // an attribute has the wrong size or an impossible value
    WrongMessage,     // not a ctnetlink message of the expected subsystem
};
const char *to_string(ParseResult r);

// The event type of a ctnetlink message the way libnetfilter_conntrack
// reports it: CT_NEW with NLM_F_CREATE|NLM_F_EXCL is New, other CT_NEW are
// Update, CT_DELETE is Destroy; replies to requests are Unknown.
MessageType message_type(const nlmsghdr *nlh);

// Parses a conntrack message (subsystem 1, any message type carrying a
// flow: a dump entry, a get reply, an event).  `out` is cleared first;
// `out.type` and `out.portid` are taken from the header.
ParseResult parse_flow(const nlmsghdr *nlh, Flow &out);

// Parses an expectation message (subsystem 2).
ParseResult parse_expect(const nlmsghdr *nlh, Expect &out);

// ---------------------------------------------------------------------------
// Building.  Each builder writes one complete message (header, nfgenmsg and
// attributes) at the start of `buf` and returns it, or nullptr if it does
// not fit in `size` bytes.  NLM_F_REQUEST is always set; `flags` adds to it.
// The family in nfgenmsg is flow.family (AF_UNSPEC when 0).

// CT_NEW / CT_GET / CT_DELETE carrying the flow's present attributes:
// tuples (orig, reply, master), status, timeout, mark (+ mask), secmark is
// never sent (the kernel refuses it), zone, protoinfo, helper, labels (+
// mask), NAT setup (CTA_NAT_SRC/DST), sequence adjustment, synproxy and id.
nlmsghdr *build_flow(void *buf, std::size_t size, std::uint8_t msg_type,
                     std::uint16_t flags, std::uint32_t seq, const Flow &flow);

// Expectation requests (EXP_NEW / EXP_GET / EXP_DELETE).
nlmsghdr *build_expect(void *buf, std::size_t size, std::uint8_t msg_type,
                       std::uint16_t flags, std::uint32_t seq, const Expect &exp);

// A request with no attributes: flush (CT_DELETE), stats (CT_GET_STATS,
// CT_GET_STATS_CPU with NLM_F_DUMP), expectation dumps and flushes.
nlmsghdr *build_simple(void *buf, std::size_t size, std::uint8_t subsys,
                       std::uint8_t msg_type, std::uint16_t flags,
                       std::uint8_t family, std::uint32_t seq);

// What the kernel can filter during a conntrack dump (or a filtered delete
// on the caller's side).  Whatever is left unset matches everything.
struct DumpFilter {
    std::uint8_t msg_type = msg::CtGet;  // or CtGetCtrZero, CtGetDying, CtGetUnconfirmed
    std::uint8_t family = 0;             // AF_UNSPEC: both IPv4 and IPv6

    bool has_mark = false;  // (mark & mark_mask) == mark_value
    std::uint32_t mark_value = 0;
    std::uint32_t mark_mask = 0xffffffff;

    bool has_status = false;  // (status & status_mask) == status_value (kernel >= 5.13)
    std::uint32_t status_value = 0;
    std::uint32_t status_mask = 0;

    bool has_zone = false;  // the flow's zone equals `zone` (kernel >= 5.19)
    std::uint16_t zone = 0;

    // Tuple match in the kernel (CTA_FILTER, kernel >= 5.8).  Only the
    // fields present in the tuples are compared, exactly (no netmasks).  The
    // kernel needs a family (not AF_UNSPEC) and the L4 protocol whenever a
    // port or ICMP field is given; build_dump leaves the tuple filter out
    // when these conditions are not met (tuple_filter_usable says so).
    //
    // The kernel may return MORE than asked, never less: IPv6 addresses are
    // not sent to it, because its IPv6 address match is inverted (Linux
    // 5.8 to at least 6.18: an IPv6 source/destination filter returns the
    // entries that do NOT have the address).  Callers filter in user space
    // as well; the kernel filter only saves work.
    Tuple orig, reply;
};

// Whether the kernel can apply the tuple part of the filter.
bool tuple_filter_usable(const DumpFilter &filter);

// A dump request (NLM_F_DUMP) with the kernel-side filter attributes.
nlmsghdr *build_dump(void *buf, std::size_t size, std::uint32_t seq,
                     const DumpFilter &filter);

// Buffer size that fits any message the builders produce.
inline constexpr std::size_t MaxRequestSize = 4096;

} // namespace ct
