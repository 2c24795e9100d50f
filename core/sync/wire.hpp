// The sync wire protocol, version 1 (reference-behaviour section 4): the
// message header, and conntrack and expectation state messages encoded as
// "netattr" attributes in the reference's order and byte orders, so that a
// replica running the reference and one running this daemon understand
// each other.
//
// Decoding is strict (4.4): every message is checked before anything of it
// is used, and a malformed one is rejected as a whole.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ct/flow.hpp"

namespace ctd::sync {

inline constexpr uint8_t protocol_version = 1;

// Message types.
enum MessageType : uint8_t {
    msg_ct_new = 0,
    msg_ct_update = 1,
    msg_ct_delete = 2,
    msg_exp_new = 3,
    msg_exp_update = 4,
    msg_exp_delete = 5,
    msg_control = 10,
};
inline bool is_state_message(uint8_t type) { return type <= msg_exp_delete; }
inline bool is_expect_message(uint8_t type) { return type >= msg_exp_new && type <= msg_exp_delete; }

// Header flags.
enum Flag : uint8_t {
    flag_unused = 0x01,
    flag_resync = 0x02,
    flag_nack = 0x04,
    flag_ack = 0x08,
    flag_alive = 0x10,
    flag_hello = 0x20,
    flag_hello_back = 0x40,
};

inline constexpr std::size_t header_size = 8;
inline constexpr std::size_t range_header_size = 16;  // ACK, NACK, RESYNC
// The largest message the reference builds (and so the largest it accepts
// into its fixed buffer).
inline constexpr std::size_t max_message_size = 4096;

struct Header {
    uint8_t version = protocol_version;
    uint8_t type = 0;
    uint8_t flags = 0;
    uint16_t length = 0;
    uint32_t seq = 0;
    uint32_t from = 0;  // ACK, NACK, RESYNC only
    uint32_t to = 0;

    // A control message whose header carries a [from, to] range.
    bool has_range() const {
        return type == msg_control && (flags & (flag_ack | flag_nack | flag_resync));
    }
    std::size_t size() const { return has_range() ? range_header_size : header_size; }
};

// Writes the header into `out` (header_size or range_header_size bytes).
void write_header(const Header &header, uint8_t *out);

// Checks of 4.4, in order; each failure is counted separately by the caller.
enum class HeaderCheck {
    ok,
    truncated,         // fewer bytes than a header
    bad_size,          // length 0, longer than what is left, or shorter than its header
    wrong_version,     // only this message is skipped
};
// Reads the header at `data` (with `available` bytes from there on).
HeaderCheck read_header(const uint8_t *data, std::size_t available, Header &out);

// Options of the encoder that come from the config.
struct EncodeOptions {
    bool commit_timeout_set = false;   // CommitTimeout: no TIMEOUT attribute
    bool tcp_window_tracking = false;  // TCPWindowTracking: send the window scales
};

// Encodes the payload of a conntrack state message (attributes only) into
// `out`, which must have max_message_size bytes.  Returns its length (a
// multiple of 4).
std::size_t encode_flow(const ct::Flow &flow, const EncodeOptions &options, uint8_t *out);

// Encodes an expectation state message's payload.
std::size_t encode_expect(const ct::Expect &exp, const EncodeOptions &options, uint8_t *out);

// Decodes a conntrack state message's payload.  Network address
// translation arrives as attributes of the original direction (the reply
// tuple is not sent): it is returned as the flow's NAT setup (nat_src /
// nat_dst), which is what a commit needs.  Returns false for a malformed
// payload.
bool decode_flow(const uint8_t *payload, std::size_t length, ct::Flow &out);
bool decode_expect(const uint8_t *payload, std::size_t length, ct::Expect &out);

// Sequence numbers compare modulo 2^32, as TCP's do.
inline bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_after(uint32_t a, uint32_t b) { return seq_before(b, a); }

// The reply tuple a flow without NAT has: the original one reversed (ICMP
// requests map to their replies, as the kernel and libnetfilter_conntrack
// do).  Returns false for an ICMP type that has no reply.
bool reverse_tuple(const ct::Tuple &orig, ct::Tuple &reply);

} // namespace ctd::sync
