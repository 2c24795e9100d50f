// The udp transport plugin between two network namespaces.
#include "link_harness.hpp"

using namespace transport_test;
using ctd::ConfigEntry;

namespace {

std::vector<ConfigEntry> udp_config(bool v6, int node, uint16_t port,
                                    std::vector<ConfigEntry> extra = {}) {
    int peer = node == 1 ? 2 : 1;
    std::vector<ConfigEntry> out = {
        {v6 ? "IPv6_address" : "IPv4_address", v6 ? TwoNodes::v6(0, node) : TwoNodes::v4(0, node), 2},
        {v6 ? "IPv6_Destination_Address" : "IPv4_Destination_Address",
         v6 ? TwoNodes::v6(0, peer) : TwoNodes::v4(0, peer), 3},
        {"Port", std::to_string(port), 4},
        {"Interface", "eth0", 5},
    };
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

// Batches of several sizes, up to the largest the link takes.
std::vector<std::string> sample_batches(uint32_t max_payload, uint32_t seed) {
    std::vector<std::string> out;
    for (size_t len : {size_t{8}, size_t{1}, size_t{100}, size_t{max_payload / 2}, size_t{max_payload}})
        out.push_back(random_bytes(len, seed++));
    return out;
}

void exchange_both_ways(bool v6) {
    TwoNodes nodes(v6 ? "udp6" : "udp4");
    Harness harness;
    uint16_t port = test_port();
    Link a(harness, "udp", nodes.a(), udp_config(v6, 1, port));
    Link b(harness, "udp", nodes.b(), udp_config(v6, 2, port));
    CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
    CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
    CPPUNIT_ASSERT_EQUAL(0u, a.flags() & CTD_TRANSPORT_STREAM);

    std::vector<std::string> to_b = sample_batches(a.max_payload(), 1);
    std::vector<std::string> to_a = sample_batches(b.max_payload(), 100);
    for (const std::string &batch : to_b)
        CPPUNIT_ASSERT_EQUAL(0, a.send(batch));
    for (const std::string &batch : to_a)
        CPPUNIT_ASSERT_EQUAL(0, b.send(batch));
    harness.run_until([&] { return a.deliveries.size() >= to_a.size() && b.deliveries.size() >= to_b.size(); });
    // Each batch arrives as one datagram, byte for byte, in order.
    CPPUNIT_ASSERT_EQUAL(to_b.size(), b.deliveries.size());
    CPPUNIT_ASSERT_EQUAL(to_a.size(), a.deliveries.size());
    for (size_t i = 0; i < to_b.size(); ++i)
        CPPUNIT_ASSERT_EQUAL(hex(to_b[i]), hex(b.deliveries[i]));
    for (size_t i = 0; i < to_a.size(); ++i)
        CPPUNIT_ASSERT_EQUAL(hex(to_a[i]), hex(a.deliveries[i]));
}

uint64_t total_size(const std::vector<std::string> &batches) {
    uint64_t sum = 0;
    for (const std::string &b : batches)
        sum += b.size();
    return sum;
}

std::string refusal(const std::string &plugin, std::vector<ConfigEntry> entries) {
    TwoNodes nodes("udpcfg");
    Harness harness;
    Link link(harness, plugin, nodes.a(), entries);
    if (link.created())
        return "(accepted)";
    return link.error();
}

} // namespace

class UdpTransportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UdpTransportTest);
    CPPUNIT_TEST(ipv4_batches_both_ways_byte_for_byte);
    CPPUNIT_TEST(ipv6_batches_both_ways_byte_for_byte);
    CPPUNIT_TEST(ipv6_link_local_scope_from_interface);
    CPPUNIT_TEST(max_payload_is_mtu_minus_headers);
    CPPUNIT_TEST(info_names_the_interface);
    CPPUNIT_TEST(counters_follow_the_traffic);
    CPPUNIT_TEST(send_failure_is_counted_not_logged);
    CPPUNIT_TEST(checksum_off_puts_zero_on_the_wire);
    CPPUNIT_TEST(socket_buffers_are_forced);
    CPPUNIT_TEST(source_is_not_checked);
    CPPUNIT_TEST(refuses_missing_interface);
    CPPUNIT_TEST(refuses_unknown_interface);
    CPPUNIT_TEST(refuses_bad_addresses);
    CPPUNIT_TEST(refuses_missing_destination);
    CPPUNIT_TEST(refuses_unknown_keyword_and_bad_port);
    CPPUNIT_TEST(refuses_address_that_is_not_local);
    CPPUNIT_TEST_SUITE_END();

public:
    void ipv4_batches_both_ways_byte_for_byte() { exchange_both_ways(false); }
    void ipv6_batches_both_ways_byte_for_byte() { exchange_both_ways(true); }

    void ipv6_link_local_scope_from_interface() {
        TwoNodes nodes("udpll");
        must("ip -n " + nodes.a().name() + " -6 addr add fe80::a/64 dev eth0 nodad");
        must("ip -n " + nodes.b().name() + " -6 addr add fe80::b/64 dev eth0 nodad");
        Harness harness;
        uint16_t port = test_port();
        // Link-local addresses mean nothing without a scope: Interface gives it.
        Link a(harness, "udp", nodes.a(),
               {{"IPv6_address", "fe80::a", 2}, {"IPv6_Destination_Address", "fe80::b", 3},
                {"Port", std::to_string(port), 4}, {"Interface", "eth0", 5}});
        Link b(harness, "udp", nodes.b(),
               {{"IPv6_address", "fe80::b", 2}, {"IPv6_Destination_Address", "fe80::a", 3},
                {"Port", std::to_string(port), 4}, {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        std::string batch = random_bytes(64, 7);
        CPPUNIT_ASSERT_EQUAL(0, a.send(batch));
        CPPUNIT_ASSERT_EQUAL(0, b.send(batch + batch));
        harness.run_until([&] { return !a.deliveries.empty() && !b.deliveries.empty(); });
        CPPUNIT_ASSERT_EQUAL(size_t{1}, b.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(hex(batch), hex(b.deliveries[0]));
        CPPUNIT_ASSERT_EQUAL(size_t{1}, a.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(hex(batch + batch), hex(a.deliveries[0]));
    }

    void max_payload_is_mtu_minus_headers() {
        TwoNodes nodes("udpmtu");
        Harness harness;
        uint16_t port = test_port();
        {
            Link v4(harness, "udp", nodes.a(), udp_config(false, 1, port));
            CPPUNIT_ASSERT_MESSAGE(v4.error(), v4.created());
            CPPUNIT_ASSERT_EQUAL(1500u - 28u, v4.max_payload());
        }
        nodes.set_mtu("eth0", 1400);
        Link v4(harness, "udp", nodes.a(), udp_config(false, 1, port));
        Link v6(harness, "udp", nodes.a(), udp_config(true, 1, port));
        CPPUNIT_ASSERT_MESSAGE(v4.error(), v4.created());
        CPPUNIT_ASSERT_MESSAGE(v6.error(), v6.created());
        CPPUNIT_ASSERT_EQUAL(1400u - 28u, v4.max_payload());
        // 40 bytes of IPv6 header and 8 of UDP.
        CPPUNIT_ASSERT_EQUAL(1400u - 48u, v6.max_payload());
        // A full batch crosses the link in one unfragmented datagram.
        Link peer(harness, "udp", nodes.b(), udp_config(false, 2, port));
        Link peer6(harness, "udp", nodes.b(), udp_config(true, 2, port));
        CPPUNIT_ASSERT_MESSAGE(peer.error(), peer.created());
        CPPUNIT_ASSERT_MESSAGE(peer6.error(), peer6.created());
        std::string full = random_bytes(v4.max_payload(), 3);
        std::string full6 = random_bytes(v6.max_payload(), 4);
        CPPUNIT_ASSERT_EQUAL(0, v4.send(full));
        CPPUNIT_ASSERT_EQUAL(0, v6.send(full6));
        harness.run_until([&] { return !peer.deliveries.empty() && !peer6.deliveries.empty(); });
        CPPUNIT_ASSERT_EQUAL(size_t{1}, peer.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(hex(full), hex(peer.deliveries[0]));
        CPPUNIT_ASSERT_EQUAL(size_t{1}, peer6.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(hex(full6), hex(peer6.deliveries[0]));
        std::string fragments6 = capture("ip netns exec " + nodes.b().name() +
                                         " awk '$1 == \"Ip6ReasmReqds\" {print $2}' /proc/net/snmp6");
        CPPUNIT_ASSERT_EQUAL(std::string("0\n"), fragments6);
        // Fragments the peer had to reassemble.
        std::string fragments = capture(
            "ip netns exec " + nodes.b().name() +
            " awk '/^Ip:/ { if (!column) { for (i = 1; i <= NF; i++) if ($i == \"ReasmReqds\") "
            "column = i } else print $column }' /proc/net/snmp");
        CPPUNIT_ASSERT_EQUAL(std::string("0\n"), fragments);
    }

    void info_names_the_interface() {
        TwoNodes nodes("udpinfo");
        nodes.set_mtu("eth0", 1320);
        Harness harness;
        Link a(harness, "udp", nodes.a(), udp_config(true, 1, test_port()));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        ctd_transport_info info = a.info();
        unsigned index;
        {
            EnterNamespace inside(nodes.a());
            index = if_nametoindex("eth0");
        }
        CPPUNIT_ASSERT(index != 0);
        CPPUNIT_ASSERT_EQUAL(index, info.ifindex);
        CPPUNIT_ASSERT_EQUAL(std::string("eth0"), std::string(info.ifname));
        CPPUNIT_ASSERT_EQUAL(1320u, info.mtu);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint32_t>(AF_INET6), info.family);
        CPPUNIT_ASSERT_EQUAL(std::string(""), a.describe());
    }

    void counters_follow_the_traffic() {
        TwoNodes nodes("udpstat");
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "udp", nodes.a(), udp_config(false, 1, port));
        Link b(harness, "udp", nodes.b(), udp_config(false, 2, port));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        std::vector<std::string> batches = sample_batches(a.max_payload(), 40);
        for (const std::string &batch : batches)
            CPPUNIT_ASSERT_EQUAL(0, a.send(batch));
        CPPUNIT_ASSERT_EQUAL(0, b.send("back"));
        harness.run_until([&] { return b.deliveries.size() >= batches.size() && !a.deliveries.empty(); });
        ctd_transport_stats sa = a.stats(), sb = b.stats();
        CPPUNIT_ASSERT_EQUAL(total_size(batches), sa.bytes_sent);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(batches.size()), sa.packets_sent);
        CPPUNIT_ASSERT_EQUAL(uint64_t{4}, sa.bytes_received);
        CPPUNIT_ASSERT_EQUAL(uint64_t{1}, sa.packets_received);
        CPPUNIT_ASSERT_EQUAL(total_size(batches), sb.bytes_received);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(batches.size()), sb.packets_received);
        CPPUNIT_ASSERT_EQUAL(uint64_t{4}, sb.bytes_sent);
        CPPUNIT_ASSERT_EQUAL(uint64_t{1}, sb.packets_sent);
        for (const ctd_transport_stats &s : {sa, sb}) {
            CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.send_errors);
            CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.receive_errors);
            CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.queue_capacity);
        }
    }

    void send_failure_is_counted_not_logged() {
        TwoNodes nodes("udperr");
        Harness harness;
        LogCapture log;
        // No route to 10.250.0.2 in the namespace.
        Link a(harness, "udp", nodes.a(),
               {{"IPv4_address", TwoNodes::v4(0, 1), 2}, {"IPv4_Destination_Address", "10.250.0.2", 3},
                {"Port", std::to_string(test_port()), 4}, {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_EQUAL(-ENETUNREACH, a.send("12345678"));
        CPPUNIT_ASSERT_EQUAL(-ENETUNREACH, a.send("12345678"));
        ctd_transport_stats s = a.stats();
        CPPUNIT_ASSERT_EQUAL(uint64_t{2}, s.send_errors);
        CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.packets_sent);
        CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.bytes_sent);
        std::string text = log.text();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("unreachable") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("[ERROR]") == std::string::npos);
    }

    void checksum_off_puts_zero_on_the_wire() {
        TwoNodes nodes("udpsum");
        Harness harness;
        uint16_t port_off = test_port(), port_on = static_cast<uint16_t>(port_off + 1);
        UdpSniffer sniffer(nodes.b(), AF_INET);
        Link off(harness, "udp", nodes.a(), udp_config(false, 1, port_off, {{"Checksum", "off", 6}}));
        Link on(harness, "udp", nodes.a(), udp_config(false, 1, port_on, {{"Checksum", "on", 6}}));
        Link off_peer(harness, "udp", nodes.b(), udp_config(false, 2, port_off));
        Link on_peer(harness, "udp", nodes.b(), udp_config(false, 2, port_on));
        for (Link *link : {&off, &on, &off_peer, &on_peer})
            CPPUNIT_ASSERT_MESSAGE(link->error(), link->created());
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            CPPUNIT_ASSERT_EQUAL(0, off.send(random_bytes(200, seed)));
            CPPUNIT_ASSERT_EQUAL(0, on.send(random_bytes(200, seed + 10)));
        }
        harness.run_until([&] { return off_peer.deliveries.size() >= 3 && on_peer.deliveries.size() >= 3; });
        // Still delivered: a zero checksum means "none" to the receiver.
        CPPUNIT_ASSERT_EQUAL(size_t{3}, off_peer.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(size_t{3}, on_peer.deliveries.size());
        std::vector<uint16_t> sums_off = sniffer.checksums_to(port_off);
        std::vector<uint16_t> sums_on = sniffer.checksums_to(port_on);
        CPPUNIT_ASSERT_EQUAL(size_t{3}, sums_off.size());
        CPPUNIT_ASSERT_EQUAL(size_t{3}, sums_on.size());
        for (uint16_t sum : sums_off)
            CPPUNIT_ASSERT_EQUAL(uint16_t{0}, sum);
        for (uint16_t sum : sums_on)
            CPPUNIT_ASSERT(sum != 0);
    }

    // Beyond the system's rmem_max/wmem_max (SO_*BUFFORCE); the kernel
    // doubles the value for its bookkeeping, as `ss -m` shows.
    void socket_buffers_are_forced() {
        TwoNodes nodes("udpbuf");
        must("ip netns exec " + nodes.a().name() + " sysctl -qw net.core.rmem_max=212992 net.core.wmem_max=212992");
        Harness harness;
        Link a(harness, "udp", nodes.a(),
               udp_config(false, 1, test_port(),
                          {{"RcvSocketBuffer", "1000000", 6}, {"SndSocketBuffer", "1500000", 7}}));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        // The sender gets its ephemeral port (and shows in ss) when it sends.
        CPPUNIT_ASSERT_EQUAL(0, a.send("x"));
        std::string sockets = capture("ip netns exec " + nodes.a().name() + " ss -uamn");
        CPPUNIT_ASSERT_MESSAGE(sockets, sockets.find(",rb2000000,") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(sockets, sockets.find(",tb3000000,") != std::string::npos);
    }

    void source_is_not_checked() {
        TwoNodes nodes("udpsrc");
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "udp", nodes.a(), udp_config(false, 1, port));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        // A socket that is not the peer's link, from another port.
        {
            EnterNamespace inside(nodes.b());
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            CPPUNIT_ASSERT(fd >= 0);
            sockaddr_in to{};
            to.sin_family = AF_INET;
            to.sin_port = htons(port);
            inet_pton(AF_INET, TwoNodes::v4(0, 1).c_str(), &to.sin_addr);
            const char message[] = "from anywhere";
            ssize_t sent = sendto(fd, message, sizeof message - 1, 0,
                                  reinterpret_cast<sockaddr *>(&to), sizeof to);
            close(fd);
            CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(sizeof message - 1), sent);
        }
        harness.run_until([&] { return !a.deliveries.empty(); });
        CPPUNIT_ASSERT_EQUAL(size_t{1}, a.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("from anywhere"), a.deliveries[0]);
    }

    void refuses_missing_interface() {
        std::string why = refusal("udp", {{"IPv4_address", TwoNodes::v4(0, 1), 2},
                                          {"IPv4_Destination_Address", TwoNodes::v4(0, 2), 3},
                                          {"Port", "3780", 4}});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:1: Sync/udp needs 'Interface' (network interface "
                                         "of the link: its MTU sizes the batches, its index scopes "
                                         "IPv6 addresses)"),
                             why);
    }

    void refuses_unknown_interface() {
        std::string why = refusal("udp", {{"IPv4_address", TwoNodes::v4(0, 1), 2},
                                          {"IPv4_Destination_Address", TwoNodes::v4(0, 2), 3},
                                          {"Port", "3780", 4},
                                          {"Interface", "nosuch0", 5}});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: `nosuch0' is an invalid interface: No such "
                                         "device (see `ip link' for the interfaces of this host)"),
                             why);
    }

    void refuses_bad_addresses() {
        auto with = [](const std::string &key, const std::string &value) {
            std::vector<ConfigEntry> entries = {{"Port", "3780", 4}, {"Interface", "eth0", 5}};
            if (key != "IPv4_Destination_Address")
                entries.push_back({"IPv4_Destination_Address", TwoNodes::v4(0, 2), 3});
            entries.push_back({key, value, 7});
            return refusal("udp", entries);
        };
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:7: IPv4_address: fd01::1 is not a valid IPv4 address"),
                             with("IPv4_address", "fd01::1"));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:7: IPv4_Destination_Address: 10.101.0.0/24 has a "
                                         "netmask; give the single IPv4 address of the link"),
                             with("IPv4_Destination_Address", "10.101.0.0/24"));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:7: 'IPv4_address' expects an IPv4 or IPv6 "
                                         "address, found '10.0.0.300'"),
                             with("IPv4_address", "10.0.0.300"));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:7: IPv6_address fd01::1 and "
                                         "IPv4_Destination_Address 10.101.0.2 are of different "
                                         "address families; a link uses one"),
                             with("IPv6_address", "fd01::1"));
    }

    void refuses_missing_destination() {
        std::string why = refusal("udp", {{"IPv4_address", TwoNodes::v4(0, 1), 2},
                                          {"Port", "3780", 4},
                                          {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: Sync/udp needs IPv4_Destination_Address or "
                                         "IPv6_Destination_Address: the peer this link sends to"),
                             why);
        why = refusal("udp", {{"IPv4_Destination_Address", TwoNodes::v4(0, 2), 2},
                              {"IPv6_Destination_Address", TwoNodes::v6(0, 2), 3},
                              {"Port", "3780", 4},
                              {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:3: both IPv4_Destination_Address and "
                                         "IPv6_Destination_Address are given; a link uses one "
                                         "address family"),
                             why);
    }

    void refuses_unknown_keyword_and_bad_port() {
        std::string why = refusal("udp", {{"IPv4_Destination_Address", TwoNodes::v4(0, 2), 2},
                                          {"Group", "3780", 4},
                                          {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_MESSAGE(why, why.find("test.conf:4: unknown keyword 'Group' in Sync/udp") == 0);
        why = refusal("udp", {{"IPv4_Destination_Address", TwoNodes::v4(0, 2), 2},
                              {"Port", "70000", 4},
                              {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: 'Port' expects a number from 1 to 65535, "
                                         "found '70000'"),
                             why);
    }

    void refuses_address_that_is_not_local() {
        std::string why = refusal("udp", {{"IPv4_address", "10.200.0.1", 2},
                                          {"IPv4_Destination_Address", TwoNodes::v4(0, 2), 3},
                                          {"Port", "3780", 4},
                                          {"Interface", "eth0", 5}});
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:2: cannot bind the UDP receiver to "
                                         "10.200.0.1:3780: Cannot assign requested address"),
                             why);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UdpTransportTest);
