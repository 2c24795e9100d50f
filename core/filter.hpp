// The user-space event filter of General/Filter (reference-behaviour 3.5):
// which flows the daemon tracks.  Each configured part (protocol, address,
// TCP state) has an Accept or Ignore policy; a flow is kept only if every
// configured part lets it through.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "ct/flow.hpp"

namespace ctd {

struct FilterRules {
    enum class Policy : uint8_t { none, accept, ignore };

    Policy protocol_policy = Policy::none;
    std::bitset<256> protocols;

    Policy address_policy = Policy::none;
    std::unordered_set<uint32_t> ipv4_hosts;  // network order
    struct Ipv6 {
        std::array<uint8_t, 16> bytes;
        bool operator==(const Ipv6 &) const = default;
    };
    struct Ipv6Hash {
        std::size_t operator()(const Ipv6 &a) const;
    };
    std::unordered_set<Ipv6, Ipv6Hash> ipv6_hosts;
    struct Ipv4Net {
        uint32_t address, mask;  // network order
    };
    struct Ipv6Net {
        std::array<uint8_t, 16> address, mask;
    };
    std::vector<Ipv4Net> ipv4_nets;
    std::vector<Ipv6Net> ipv6_nets;

    Policy state_policy = Policy::none;
    std::bitset<16> tcp_states;  // TCP_CONNTRACK_* values

    bool kernel_space = false;   // Filter From Kernelspace (also applied here)

    bool empty() const {
        return protocol_policy == Policy::none && address_policy == Policy::none &&
               state_policy == Policy::none;
    }
};

// Whether the daemon keeps (tracks, syncs, logs) this flow.
bool filter_accepts(const FilterRules &rules, const ct::Flow &flow);

} // namespace ctd
