#include "filter.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <netinet/in.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

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

namespace {

struct NfctFilterDeleter {
    void operator()(nfct_filter *f) const { nfct_filter_destroy(f); }
};

// libnfct's BPF compares 32-bit words as loaded by BPF_LD|BPF_ABS, that is
// in host order: network-order addresses and masks are converted per word.
uint32_t word_of(const uint8_t *bytes) {
    uint32_t word;
    std::memcpy(&word, bytes, 4);
    return ntohl(word);
}

void add_ipv4(nfct_filter *f, uint32_t address, uint32_t mask) {
    nfct_filter_ipv4 v4{ntohl(address), ntohl(mask)};
    nfct_filter_add_attr(f, NFCT_FILTER_SRC_IPV4, &v4);
    nfct_filter_add_attr(f, NFCT_FILTER_DST_IPV4, &v4);
}

void add_ipv6(nfct_filter *f, const std::array<uint8_t, 16> &address,
              const std::array<uint8_t, 16> &mask) {
    nfct_filter_ipv6 v6{};
    for (int i = 0; i < 4; ++i) {
        v6.addr[i] = word_of(address.data() + 4 * i);
        v6.mask[i] = word_of(mask.data() + 4 * i);
    }
    nfct_filter_add_attr(f, NFCT_FILTER_SRC_IPV6, &v6);
    nfct_filter_add_attr(f, NFCT_FILTER_DST_IPV6, &v6);
}

} // namespace

int attach_kernel_filter(int fd, const FilterRules &r) {
    std::unique_ptr<nfct_filter, NfctFilterDeleter> filter(nfct_filter_create());
    if (!filter)
        return -ENOMEM;
    nfct_filter *f = filter.get();
    auto logic = [](Policy p) {
        return p == Policy::accept ? NFCT_FILTER_LOGIC_POSITIVE : NFCT_FILTER_LOGIC_NEGATIVE;
    };
    if (r.protocol_policy != Policy::none) {
        for (unsigned proto = 0; proto < r.protocols.size(); ++proto)
            if (r.protocols.test(proto))
                nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, proto);
        nfct_filter_set_logic(f, NFCT_FILTER_L4PROTO, logic(r.protocol_policy));
    }
    if (r.address_policy != Policy::none) {
        for (uint32_t host : r.ipv4_hosts)
            add_ipv4(f, host, 0xffffffffu);
        for (const FilterRules::Ipv4Net &net : r.ipv4_nets)
            add_ipv4(f, net.address, net.mask);
        std::array<uint8_t, 16> all_ones;
        all_ones.fill(0xff);
        for (const FilterRules::Ipv6 &host : r.ipv6_hosts)
            add_ipv6(f, host.bytes, all_ones);
        for (const FilterRules::Ipv6Net &net : r.ipv6_nets)
            add_ipv6(f, net.address, net.mask);
        for (nfct_filter_attr attr : {NFCT_FILTER_SRC_IPV4, NFCT_FILTER_DST_IPV4,
                                      NFCT_FILTER_SRC_IPV6, NFCT_FILTER_DST_IPV6})
            nfct_filter_set_logic(f, attr, logic(r.address_policy));
    }
    if (r.state_policy != Policy::none) {
        for (unsigned state = 0; state < r.tcp_states.size(); ++state) {
            if (!r.tcp_states.test(state))
                continue;
            nfct_filter_proto proto{IPPROTO_TCP, static_cast<uint16_t>(state)};
            nfct_filter_add_attr(f, NFCT_FILTER_L4PROTO_STATE, &proto);
        }
        nfct_filter_set_logic(f, NFCT_FILTER_L4PROTO_STATE, logic(r.state_policy));
    }
    if (nfct_filter_attach(fd, f) < 0)
        return errno ? -errno : -EINVAL;
    return 0;
}

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
