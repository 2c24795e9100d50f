// The conntrack data model: one conntrack entry (Flow) and one expectation
// (Expect), holding every attribute ctnetlink can report or accept.
//
// Both are plain value types.  Nothing in them allocates except the
// security context string (rare, and small strings stay inline), so a dump
// loop can reuse one Flow for every entry.  A bit set records which members
// hold a value: an absent attribute is different from a zero one (the
// formatters print `mark=0` but nothing for a missing mark).
//
// Byte order: addresses are kept in network order (as on the wire and as
// inet_ntop wants them); every other number is in host order.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace ct {

// ---------------------------------------------------------------------------
// A small fixed bit set over an enum, for "which attributes are present".
template <typename Enum, unsigned Bits = 64>
class AttrSet {
    static_assert(Bits == 64 || Bits == 128);

public:
    constexpr bool has(Enum a) const {
        unsigned i = static_cast<unsigned>(a);
        return (words_[i / 64] >> (i % 64)) & 1u;
    }
    constexpr void set(Enum a) {
        unsigned i = static_cast<unsigned>(a);
        words_[i / 64] |= std::uint64_t{1} << (i % 64);
    }
    constexpr void reset(Enum a) {
        unsigned i = static_cast<unsigned>(a);
        words_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
    }
    constexpr void clear() {
        for (auto &w : words_)
            w = 0;
    }
    constexpr bool empty() const {
        for (auto w : words_)
            if (w)
                return false;
        return true;
    }
    constexpr bool operator==(const AttrSet &) const = default;

private:
    std::uint64_t words_[Bits / 64] = {};
};

// ---------------------------------------------------------------------------
// Addresses and tuples.

union Address {
    std::uint32_t v4;      // network byte order
    std::uint8_t v6[16];   // network byte order
    std::uint32_t v6w[4];  // network byte order, word view
};

inline bool same_address(const Address &a, const Address &b, std::uint8_t family) {
    return family == AF_INET6 ? std::memcmp(a.v6, b.v6, 16) == 0 : a.v4 == b.v4;
}

// Which members of a Tuple hold a value.  For ICMP/ICMPv6 the kernel sends
// type, code and id; for every port-based protocol (tcp, udp, udplite,
// sctp, dccp) the ports; GRE keys travel as the ports too.
enum class TupleField : std::uint16_t {
    Src = 1u << 0,
    Dst = 1u << 1,
    L4Proto = 1u << 2,
    SrcPort = 1u << 3,  // also the GRE source key
    DstPort = 1u << 4,  // also the GRE destination key
    IcmpType = 1u << 5,
    IcmpCode = 1u << 6,
    IcmpId = 1u << 7,
    Zone = 1u << 8,     // per-direction zone (CTA_TUPLE_ZONE)
};

struct Tuple {
    std::uint16_t fields = 0;  // TupleField bits
    std::uint8_t l3proto = 0;  // AF_INET or AF_INET6 (the message's family)
    std::uint8_t l4proto = 0;  // IPPROTO_*
    std::uint16_t zone = 0;
    std::uint16_t sport = 0;   // host order; GRE: source key
    std::uint16_t dport = 0;   // host order; GRE: destination key
    std::uint8_t icmp_type = 0;
    std::uint8_t icmp_code = 0;
    std::uint16_t icmp_id = 0; // host order
    Address src{};
    Address dst{};

    bool has(TupleField f) const { return fields & static_cast<std::uint16_t>(f); }
    void set(TupleField f) { fields |= static_cast<std::uint16_t>(f); }
    bool empty() const { return fields == 0; }
    bool operator==(const Tuple &other) const;
};

enum Direction : unsigned { Original = 0, Reply = 1 };

// ---------------------------------------------------------------------------
// Message (event) types, as libnetfilter_conntrack names them.
enum class MessageType : std::uint8_t {
    Unknown = 0,  // a dump or a get reply: no event prefix
    New,
    Update,
    Destroy,
};

// ---------------------------------------------------------------------------
// Kernel status bits (IPS_*), for readability at call sites.
namespace status {
inline constexpr std::uint32_t Expected = 1u << 0;
inline constexpr std::uint32_t SeenReply = 1u << 1;
inline constexpr std::uint32_t Assured = 1u << 2;
inline constexpr std::uint32_t Confirmed = 1u << 3;
inline constexpr std::uint32_t SrcNat = 1u << 4;
inline constexpr std::uint32_t DstNat = 1u << 5;
inline constexpr std::uint32_t SeqAdjust = 1u << 6;
inline constexpr std::uint32_t SrcNatDone = 1u << 7;
inline constexpr std::uint32_t DstNatDone = 1u << 8;
inline constexpr std::uint32_t Dying = 1u << 9;
inline constexpr std::uint32_t FixedTimeout = 1u << 10;
inline constexpr std::uint32_t Template = 1u << 11;
inline constexpr std::uint32_t NatClash = 1u << 12;  // was UNTRACKED
inline constexpr std::uint32_t Helper = 1u << 13;
inline constexpr std::uint32_t Offload = 1u << 14;
inline constexpr std::uint32_t HwOffload = 1u << 15;
} // namespace status

// TCP per-direction flags (IP_CT_TCP_FLAG_*).
namespace tcp_flag {
inline constexpr std::uint8_t WindowScale = 0x01;
inline constexpr std::uint8_t SackPerm = 0x02;
inline constexpr std::uint8_t CloseInit = 0x04;
inline constexpr std::uint8_t BeLiberal = 0x08;
inline constexpr std::uint8_t DataUnacknowledged = 0x10;
inline constexpr std::uint8_t MaxackSet = 0x20;
inline constexpr std::uint8_t ChallengeAck = 0x40;
inline constexpr std::uint8_t SimultaneousOpen = 0x80;
} // namespace tcp_flag

// ---------------------------------------------------------------------------
// Pieces of a flow.

struct Counters {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
};

struct TcpFlags {
    std::uint8_t flags = 0;
    std::uint8_t mask = 0;
};

// NAT sequence adjustment of one direction (CTA_SEQ_ADJ_ORIG/REPLY).
struct SeqAdj {
    std::uint32_t correction_pos = 0;
    std::uint32_t offset_before = 0;
    std::uint32_t offset_after = 0;
};

struct Synproxy {
    std::uint32_t isn = 0;
    std::uint32_t its = 0;
    std::uint32_t tsoff = 0;
};

// Connection labels: up to 128 bits.  Word w holds labels 32w..32w+31 (bit
// b of the word is label 32w+b), as the kernel lays them out in memory on a
// little-endian host and as libnetfilter_conntrack stores them.
struct Labels {
    static constexpr unsigned MaxBits = 128;
    std::uint32_t words[MaxBits / 32] = {};
    std::uint8_t size = 0;  // bytes the kernel sent (multiple of 4, <= 16)

    bool test(unsigned bit) const {
        return bit < MaxBits && (words[bit / 32] >> (bit % 32)) & 1u;
    }
    void set(unsigned bit) {
        if (bit < MaxBits)
            words[bit / 32] |= 1u << (bit % 32);
    }
    bool any() const { return words[0] | words[1] | words[2] | words[3]; }
    bool operator==(const Labels &) const = default;
};

// NAT setup sent with CT_NEW (CTA_NAT_SRC / CTA_NAT_DST).  The kernel never
// reports it; a dump shows NAT through the reply tuple instead.
struct NatRange {
    enum : std::uint8_t { MinIp = 1, MaxIp = 2, MinPort = 4, MaxPort = 8 };
    std::uint8_t fields = 0;
    std::uint8_t family = 0;  // of min_ip/max_ip
    std::uint16_t min_port = 0;  // host order
    std::uint16_t max_port = 0;  // host order
    Address min_ip{};
    Address max_ip{};
    bool operator==(const NatRange &other) const;
};

// Which members of a Flow hold a value.
enum class FlowAttr : std::uint8_t {
    OrigTuple,      // orig holds at least one field
    ReplyTuple,
    MasterTuple,    // the expectation that created the flow
    Status,
    StatusMask,     // request only: CTA_STATUS_MASK (dump filter)
    Timeout,
    Mark,
    MarkMask,       // request only: CTA_MARK_MASK (dump filter, update)
    Secmark,
    Id,
    Use,
    Zone,
    TcpState,
    TcpWscaleOrig,
    TcpWscaleReply,
    TcpFlagsOrig,
    TcpFlagsReply,
    SctpState,
    SctpVtagOrig,
    SctpVtagReply,
    DccpState,
    DccpRole,
    DccpHandshakeSeq,
    OrigPackets,
    OrigBytes,
    ReplyPackets,
    ReplyBytes,
    TimestampStart,
    TimestampStop,
    TimestampEvent, // CTA_TIMESTAMP_EVENT (kernel >= 6.0 with timestamps on)
    SeqAdjOrig,
    SeqAdjReply,
    Helper,
    Labels,
    LabelsMask,     // request only
    Secctx,
    Synproxy,
    NatSrc,         // request only
    NatDst,         // request only
    Count
};
static_assert(static_cast<unsigned>(FlowAttr::Count) <= 64);

// One conntrack entry.
struct Flow {
    AttrSet<FlowAttr> present;
    std::uint8_t family = 0;  // nfgen_family of the message (AF_INET/AF_INET6)
    MessageType type = MessageType::Unknown;
    std::uint32_t portid = 0;  // nlmsg_pid: non-zero for events caused by a process

    Tuple orig, reply, master;
    std::uint32_t status = 0;
    std::uint32_t status_mask = 0;
    std::uint32_t timeout = 0;   // seconds
    std::uint32_t mark = 0;
    std::uint32_t mark_mask = 0;
    std::uint32_t secmark = 0;
    std::uint32_t id = 0;
    std::uint32_t use = 0;
    std::uint16_t zone = 0;

    // Protocol information.
    std::uint8_t tcp_state = 0;
    std::uint8_t tcp_wscale[2] = {};
    TcpFlags tcp_flags[2];
    std::uint8_t sctp_state = 0;
    std::uint32_t sctp_vtag[2] = {};
    std::uint8_t dccp_state = 0;
    std::uint8_t dccp_role = 0;
    std::uint64_t dccp_handshake_seq = 0;

    Counters counters[2];
    std::uint64_t timestamp_start = 0;  // CLOCK_REALTIME nanoseconds
    std::uint64_t timestamp_stop = 0;
    std::uint64_t timestamp_event = 0;
    SeqAdj seqadj[2];
    Synproxy synproxy;
    char helper[16] = {};  // NUL-terminated (kernel limit: 15 characters)
    Labels labels, labels_mask;
    NatRange nat_src, nat_dst;
    std::string secctx;

    bool has(FlowAttr a) const { return present.has(a); }
    void set(FlowAttr a) { present.set(a); }
    // Resets to the empty flow while keeping secctx's storage.
    void clear();
    // Attribute-wise equality of the present members (absent ones are ignored).
    bool operator==(const Flow &other) const;

    // Setters that also mark the attribute present.
    void set_status(std::uint32_t v) { status = v; set(FlowAttr::Status); }
    void set_timeout(std::uint32_t v) { timeout = v; set(FlowAttr::Timeout); }
    void set_mark(std::uint32_t v) { mark = v; set(FlowAttr::Mark); }
    void set_zone(std::uint16_t v) { zone = v; set(FlowAttr::Zone); }
    void set_helper(const char *name);
};

// ---------------------------------------------------------------------------
// Expectations.

enum class ExpectAttr : std::uint8_t {
    Master,
    Tuple,
    Mask,
    Timeout,
    Id,
    Helper,
    Zone,
    Flags,
    Class,
    NatDir,
    NatTuple,
    Fn,
    Count
};

// Expectation flags (NF_CT_EXPECT_*).
namespace expect_flag {
inline constexpr std::uint32_t Permanent = 0x1;
inline constexpr std::uint32_t Inactive = 0x2;
inline constexpr std::uint32_t Userspace = 0x4;
} // namespace expect_flag

struct Expect {
    AttrSet<ExpectAttr> present;
    std::uint8_t family = 0;
    MessageType type = MessageType::Unknown;
    std::uint32_t portid = 0;

    ct::Tuple master, tuple, mask, nat_tuple;
    std::uint32_t timeout = 0;
    std::uint32_t id = 0;
    std::uint32_t flags = 0;
    std::uint32_t expect_class = 0;
    std::uint32_t nat_dir = 0;
    std::uint16_t zone = 0;
    char helper[16] = {};
    char fn[32] = {};  // expectfn name, e.g. "nat-follow-master"

    bool has(ExpectAttr a) const { return present.has(a); }
    void set(ExpectAttr a) { present.set(a); }
    void clear() { *this = Expect{}; }
    bool operator==(const Expect &other) const;
};

} // namespace ct
