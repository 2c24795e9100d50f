#include "filter.hpp"

#include <cstring>

namespace ctd {

std::size_t FilterRules::Ipv6Hash::operator()(const Ipv6 &a) const {
    uint64_t lo, hi;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    return static_cast<std::size_t>((lo * 0x9e3779b97f4a7c15ull) ^ hi);
}

namespace {

using Policy = FilterRules::Policy;

// What the address part decides for one flow: the original source and the
// reply source (the real destination, after NAT) are what is tested.
bool address_passes(const FilterRules &r, const ct::Flow &flow) {
    const ct::Address *candidates[2] = {&flow.orig.src, nullptr};
    if (flow.has(ct::FlowAttr::ReplyTuple))
        candidates[1] = &flow.reply.src;
    bool ipv6 = flow.orig.l3proto == AF_INET6;
    bool accept = r.address_policy == Policy::accept;

    // Netmasks first: a hit settles it.
    for (const ct::Address *a : candidates) {
        if (!a)
            continue;
        if (!ipv6) {
            for (const auto &net : r.ipv4_nets)
                if ((a->v4 & net.mask) == (net.address & net.mask))
                    return accept;
        } else {
            for (const auto &net : r.ipv6_nets) {
                bool match = true;
                for (int i = 0; i < 16 && match; ++i)
                    match = (a->v6[i] & net.mask[i]) == (net.address[i] & net.mask[i]);
                if (match)
                    return accept;
            }
        }
    }
    bool found = false;
    for (const ct::Address *a : candidates) {
        if (!a)
            continue;
        if (!ipv6) {
            found = found || r.ipv4_hosts.count(a->v4);
        } else {
            FilterRules::Ipv6 key;
            std::memcpy(key.bytes.data(), a->v6, 16);
            found = found || r.ipv6_hosts.count(key);
        }
    }
    return found == accept;
}

} // namespace

bool filter_accepts(const FilterRules &r, const ct::Flow &flow) {
    if (r.protocol_policy != Policy::none) {
        bool listed = r.protocols.test(flow.orig.l4proto);
        if (listed != (r.protocol_policy == Policy::accept))
            return false;
    }
    if (r.address_policy != Policy::none && !address_passes(r, flow))
        return false;
    if (r.state_policy != Policy::none && flow.orig.l4proto == IPPROTO_TCP &&
        flow.has(ct::FlowAttr::TcpState)) {
        bool listed = flow.tcp_state < r.tcp_states.size() && r.tcp_states.test(flow.tcp_state);
        if (listed != (r.state_policy == Policy::accept))
            return false;
    }
    return true;
}

} // namespace ctd
