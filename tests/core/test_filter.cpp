// The user-space filter's semantics (reference-behaviour 3.5).
#include <cppunit/extensions/HelperMacros.h>

#include "filter.hpp"
#include "flows.hpp"

using namespace ctd;
using Policy = FilterRules::Policy;

class FilterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FilterTest);
    CPPUNIT_TEST(empty_filter_keeps_all);
    CPPUNIT_TEST(protocol_accept_and_ignore);
    CPPUNIT_TEST(address_tests_orig_source_and_reply_source);
    CPPUNIT_TEST(netmask_hit_decides);
    CPPUNIT_TEST(ipv6_hosts_and_nets);
    CPPUNIT_TEST(state_applies_to_tcp_only);
    CPPUNIT_TEST(all_parts_must_pass);
    CPPUNIT_TEST_SUITE_END();

public:
    void empty_filter_keeps_all() {
        FilterRules r;
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp()));
        CPPUNIT_ASSERT(filter_accepts(r, sample::icmpv6_everything()));
    }
    void protocol_accept_and_ignore() {
        FilterRules r;
        r.protocol_policy = Policy::accept;
        r.protocols.set(IPPROTO_TCP);
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp()));
        CPPUNIT_ASSERT(!filter_accepts(r, sample::udp_snat()));
        r.protocol_policy = Policy::ignore;
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp()));
        CPPUNIT_ASSERT(filter_accepts(r, sample::udp_snat()));
    }
    void address_tests_orig_source_and_reply_source() {
        FilterRules r;
        r.address_policy = Policy::ignore;
        r.ipv4_hosts.insert(sample::v4("127.0.0.1").v4);
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp("127.0.0.1", "10.0.0.2")));
        // The destination is tested through the reply source.
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp("10.0.0.9", "127.0.0.1")));
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp("10.0.0.9", "10.0.0.2")));
        r.address_policy = Policy::accept;
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp("10.0.0.9", "127.0.0.1")));
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp("10.0.0.9", "10.0.0.2")));
    }
    void netmask_hit_decides() {
        FilterRules r;
        r.address_policy = Policy::ignore;
        r.ipv4_nets.push_back({sample::v4("192.168.0.0").v4, sample::v4("255.255.0.0").v4});
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp("192.168.7.7", "10.0.0.2")));
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp("10.0.0.1", "10.0.0.2")));
        r.address_policy = Policy::accept;
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp("192.168.7.7", "10.0.0.2")));
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp("10.0.0.1", "10.0.0.2")));
    }
    void ipv6_hosts_and_nets() {
        FilterRules r;
        r.address_policy = Policy::ignore;
        FilterRules::Ipv6 host;
        ct::Address a = sample::v6("fd00::2");
        std::memcpy(host.bytes.data(), a.v6, 16);
        r.ipv6_hosts.insert(host);
        CPPUNIT_ASSERT(!filter_accepts(r, sample::icmpv6_everything())); // reply source fd00::2
        r.ipv6_hosts.clear();
        FilterRules::Ipv6Net net{};
        ct::Address n = sample::v6("fd00::"), m = sample::v6("ffff:ffff::");
        std::memcpy(net.address.data(), n.v6, 16);
        std::memcpy(net.mask.data(), m.v6, 16);
        r.ipv6_nets.push_back(net);
        CPPUNIT_ASSERT(!filter_accepts(r, sample::icmpv6_everything()));
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp())); // IPv4 flows are not tested against IPv6 nets
    }
    void state_applies_to_tcp_only() {
        FilterRules r;
        r.state_policy = Policy::accept;
        r.tcp_states.set(3); // ESTABLISHED
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp()));
        ct::Flow closing = sample::tcp();
        closing.tcp_state = 7;
        CPPUNIT_ASSERT(!filter_accepts(r, closing));
        CPPUNIT_ASSERT(filter_accepts(r, sample::udp_snat()));
    }
    void all_parts_must_pass() {
        FilterRules r;
        r.protocol_policy = Policy::accept;
        r.protocols.set(IPPROTO_TCP);
        r.address_policy = Policy::ignore;
        r.ipv4_hosts.insert(sample::v4("10.0.0.1").v4);
        CPPUNIT_ASSERT(!filter_accepts(r, sample::tcp("10.0.0.1")));
        CPPUNIT_ASSERT(filter_accepts(r, sample::tcp("10.0.0.5")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FilterTest);
