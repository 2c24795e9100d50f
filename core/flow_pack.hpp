// A compact, lossless byte encoding of a ct::Flow, for the daemon's caches.
//
// A ct::Flow is a convenient working value (~400 bytes); a cache holding
// hundreds of thousands of them needs something far smaller.  The packed
// form is the flow's identity (the key: original tuple and zone, in a fixed
// layout that lookups compare with memcmp) followed by each present
// attribute as a one-byte tag and its value.  A reply tuple that is just
// the original one reversed (no NAT) costs one byte.  A typical IPv4 TCP
// flow packs into about 40 bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ct/flow.hpp"

namespace ctd {

// Large enough for any flow (every attribute present, IPv6, long secctx
// truncated to 255 bytes).
inline constexpr std::size_t max_packed_flow = 768;
inline constexpr std::size_t max_packed_key = 64;

// Writes the flow's key; returns its length.
std::size_t pack_flow_key(const ct::Flow &flow, std::uint8_t *out);

// Writes key and attributes; returns the total length and sets key_length.
// Request-only masks and the per-message members (type, portid) are not
// stored; the NAT setup is (flows received from peers carry theirs).
std::size_t pack_flow(const ct::Flow &flow, std::uint8_t *out, std::size_t *key_length);

// Rebuilds the flow.  Returns false for bytes not made by pack_flow.
bool unpack_flow(const std::uint8_t *data, std::size_t length, ct::Flow &out);

// Expectations: keyed by their expected tuple and zone (a key no flow key
// can equal), stored whole after the key (they are few).
std::size_t pack_expect_key(const ct::Expect &exp, std::uint8_t *out);
std::size_t pack_expect(const ct::Expect &exp, std::uint8_t *out, std::size_t *key_length);
bool unpack_expect(const std::uint8_t *data, std::size_t length, ct::Expect &out);

} // namespace ctd
