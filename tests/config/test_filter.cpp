// General/Filter: sets, policies, netmasks and the warnings for bad or
// repeated entries (each observed on the reference).
#include "test_support.hpp"

#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netdb.h>

using namespace ctd::config;
using cfg_test::general;
using cfg_test::joined;

namespace {

std::string addresses(const std::vector<FilterAddress> &list) {
    std::string out;
    for (const FilterAddress &a : list) {
        char text[INET6_ADDRSTRLEN];
        inet_ntop(a.family, a.address.data(), text, sizeof text);
        out += (out.empty() ? "" : " ") + std::string(text) + "/" + std::to_string(a.prefix) + "@" +
               std::to_string(a.line);
    }
    return out;
}

int protocol_number(const char *name) {
    const protoent *p = getprotobyname(name);
    return p ? p->p_proto : -1;
}

} // namespace

class FilterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FilterTest);
    CPPUNIT_TEST(no_filter);
    CPPUNIT_TEST(plain_filter_is_userspace);
    CPPUNIT_TEST(from_kernelspace);
    CPPUNIT_TEST(last_filter_block_chooses_the_side);
    CPPUNIT_TEST(protocols);
    CPPUNIT_TEST(unknown_protocol_warns);
    CPPUNIT_TEST(empty_set_is_still_a_set);
    CPPUNIT_TEST(addresses_hosts_and_networks);
    CPPUNIT_TEST(ipv4_addresses_follow_inet_aton);
    CPPUNIT_TEST(bad_addresses_are_ignored_with_a_warning);
    CPPUNIT_TEST(repeated_addresses_warn);
    CPPUNIT_TEST(states);
    CPPUNIT_TEST(later_policy_wins_entries_add_up);
    CPPUNIT_TEST_SUITE_END();

public:
    void no_filter() {
        const Filter &f = general("").general.filter;
        CPPUNIT_ASSERT(!f.configured);
        CPPUNIT_ASSERT(!f.protocol.policy);
        CPPUNIT_ASSERT(!f.address.policy);
        CPPUNIT_ASSERT(!f.state.policy);
    }

    void plain_filter_is_userspace() {
        Config c = general("Filter {\n Protocol Accept { TCP }\n}");
        CPPUNIT_ASSERT(c.general.filter.configured);
        CPPUNIT_ASSERT(!c.general.filter.kernelspace);
        CPPUNIT_ASSERT_EQUAL(3u, c.general.filter.line);
        CPPUNIT_ASSERT(!general("Filter From Userspace { }").general.filter.kernelspace);
    }

    void from_kernelspace() {
        CPPUNIT_ASSERT(general("Filter From Kernelspace { }").general.filter.kernelspace);
    }

    void last_filter_block_chooses_the_side() {
        CPPUNIT_ASSERT(!general("Filter From Kernelspace { }\nFilter { }").general.filter.kernelspace);
        CPPUNIT_ASSERT(general("Filter { }\nFilter From Kernelspace { }").general.filter.kernelspace);
    }

    void protocols() {
        Config c = general("Filter { Protocol Accept {\n TCP\n UDP\n udp\n SCTP\n dccp\n IPv6-ICMP\n} }");
        const auto &set = c.general.filter.protocol;
        CPPUNIT_ASSERT(set.policy == FilterPolicy::accept);
        // TCP and UDP are keywords; other names go through /etc/protocols.
        std::vector<uint8_t> expected = {IPPROTO_TCP, IPPROTO_UDP};
        for (const char *name : {"SCTP", "dccp", "IPv6-ICMP"})
            if (int n = protocol_number(name); n >= 0)
                expected.push_back(static_cast<uint8_t>(n));
        CPPUNIT_ASSERT(set.protocols == expected);
        CPPUNIT_ASSERT(c.warnings.empty() || protocol_number("sctp") < 0);
        CPPUNIT_ASSERT(general("Filter { Protocol Ignore { TCP } }").general.filter.protocol.policy ==
                       FilterPolicy::ignore);
    }

    void unknown_protocol_warns() {
        Config c = general("Filter { Protocol Accept {\n Tcp\n TCP\n} }");
        CPPUNIT_ASSERT(c.general.filter.protocol.protocols == std::vector<uint8_t>{IPPROTO_TCP});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: unknown protocol 'Tcp' (getprotobyname() cannot "
                                         "find it in /etc/protocols): ignored\n"),
                             joined(c.warnings));
    }

    void empty_set_is_still_a_set() {
        // `Accept { }` configures the set: nothing is accepted.
        Config c = general("Filter { Protocol Accept { } Address Ignore { } State Accept { for TCP } }");
        const Filter &f = c.general.filter;
        CPPUNIT_ASSERT(f.protocol.policy == FilterPolicy::accept && f.protocol.protocols.empty());
        CPPUNIT_ASSERT(f.address.policy == FilterPolicy::ignore && f.address.hosts.empty());
        CPPUNIT_ASSERT(f.state.policy == FilterPolicy::accept && f.state.tcp_states.empty());
    }

    void addresses_hosts_and_networks() {
        Config c = general("Filter { Address Ignore {\n"
                           " IPv4_address 127.0.0.1 # loopback\n"
                           " IPv4_address 192.168.0.0/24\n"
                           " IPv4_address 10.1.2.3/32\n"
                           " IPv4_address 0.0.0.0/0\n"
                           " IPv6_address ::1\n"
                           " IPv6_address 2001:db8::/32\n"
                           " IPv6_address fe80::1/128\n"
                           "} }");
        const auto &set = c.general.filter.address;
        CPPUNIT_ASSERT(set.policy == FilterPolicy::ignore);
        // A prefix as wide as the address is a host.
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1/32@4 10.1.2.3/32@6 ::1/128@8 fe80::1/128@10"),
                             addresses(set.hosts));
        CPPUNIT_ASSERT_EQUAL(std::string("192.168.0.0/24@5 0.0.0.0/0@7 2001:db8::/32@9"),
                             addresses(set.networks));
        CPPUNIT_ASSERT_EQUAL(AF_INET6, set.hosts[2].family);
        CPPUNIT_ASSERT_EQUAL(std::string("192.168.0.0/24"), set.networks[0].text);
        CPPUNIT_ASSERT(c.warnings.empty());
    }

    void ipv4_addresses_follow_inet_aton() {
        // Leading zeros are octal, as for the reference (inet_aton).
        Config c = general("Filter { Address Accept { IPv4_address 010.0.0.1 IPv4_address 192.168.001.010 } }");
        CPPUNIT_ASSERT_EQUAL(std::string("8.0.0.1/32@3 192.168.1.8/32@3"),
                             addresses(c.general.filter.address.hosts));
    }

    void bad_addresses_are_ignored_with_a_warning() {
        Config c = general("Filter { Address Ignore {\n"
                           " IPv4_address 1.2.3.4/33\n"
                           " IPv4_address 999.1.1.1\n"
                           " IPv4_address cafe\n"
                           " IPv4_address ::1\n"
                           " IPv6_address 1.2.3.4\n"
                           " IPv6_address 2001:db8::/129\n"
                           " IPv4_address 1.2.3.4/024\n"
                           "} }");
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3.4/24@10"), addresses(c.general.filter.address.networks));
        CPPUNIT_ASSERT(c.general.filter.address.hosts.empty());
        CPPUNIT_ASSERT_EQUAL(
            std::string("test.conf:4: '1.2.3.4/33' is not a valid network (the prefix must be 0 to 32): ignored\n"
                        "test.conf:5: '999.1.1.1' is not a valid IPv4 address: ignored\n"
                        "test.conf:6: 'cafe' is not a valid IPv4 address: ignored\n"
                        "test.conf:7: '::1' is not a valid IPv4 address: ignored\n"
                        "test.conf:8: '1.2.3.4' is not a valid IPv6 address: ignored\n"
                        "test.conf:9: '2001:db8::/129' is not a valid network (the prefix must be 0 to 128): ignored\n"),
            joined(c.warnings));
    }

    void repeated_addresses_warn() {
        Config c = general("Filter { Address Ignore {\n"
                           " IPv4_address 10.0.0.0/8\n"
                           " IPv4_address 10.0.0.0/8\n"
                           " IPv4_address 10.0.0.1/8\n"
                           " IPv4_address 1.2.3.4\n"
                           " IPv4_address 1.2.3.4/32\n"
                           "} }");
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.0/8@4 10.0.0.1/8@6"), addresses(c.general.filter.address.networks));
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3.4/32@7"), addresses(c.general.filter.address.hosts));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: network '10.0.0.0/8' is repeated in the Address set "
                                         "(first at line 4)\n"
                                         "test.conf:8: address '1.2.3.4/32' is repeated in the Address set "
                                         "(first at line 7)\n"),
                             joined(c.warnings));
    }

    void states() {
        Config c = general("Filter { State Ignore {\n"
                           " ESTABLISHED CLOSED TIME_WAIT for TCP\n"
                           " SYN_SENT SYN_RECV FIN_WAIT CLOSE_WAIT LAST_ACK CLOSE LISTEN ESTABLISHED for TCP\n"
                           " for TCP\n"
                           "} }");
        const auto &set = c.general.filter.state;
        CPPUNIT_ASSERT(set.policy == FilterPolicy::ignore);
        // CLOSE and CLOSED are one state; each state once.
        std::vector<uint8_t> expected = {TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_CLOSE,
                                         TCP_CONNTRACK_TIME_WAIT,   TCP_CONNTRACK_SYN_SENT,
                                         TCP_CONNTRACK_SYN_RECV,    TCP_CONNTRACK_FIN_WAIT,
                                         TCP_CONNTRACK_CLOSE_WAIT,  TCP_CONNTRACK_LAST_ACK,
                                         TCP_CONNTRACK_LISTEN};
        CPPUNIT_ASSERT(set.tcp_states == expected);
        CPPUNIT_ASSERT_EQUAL(std::string("ESTABLISHED"), std::string(tcp_state_name(TCP_CONNTRACK_ESTABLISHED)));
    }

    void later_policy_wins_entries_add_up() {
        Config c = general("Filter { Protocol Accept { TCP } }\nFilter { Protocol Ignore { UDP } }");
        const auto &set = c.general.filter.protocol;
        CPPUNIT_ASSERT(set.policy == FilterPolicy::ignore);
        CPPUNIT_ASSERT((set.protocols == std::vector<uint8_t>{IPPROTO_TCP, IPPROTO_UDP}));
        CPPUNIT_ASSERT_EQUAL(3u, c.general.filter.line);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FilterTest);
