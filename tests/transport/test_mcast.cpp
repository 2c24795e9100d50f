// The mcast transport plugin between two network namespaces.
#include "link_harness.hpp"

using namespace transport_test;
using ctd::ConfigEntry;

namespace {

const char *const group4 = "225.0.0.50";
const char *const group6 = "ff02::db8:50";

std::vector<ConfigEntry> mcast_config(bool v6, uint16_t port, const std::string &device,
                                      std::vector<ConfigEntry> extra = {}) {
    std::vector<ConfigEntry> out = {
        {v6 ? "IPv6_address" : "IPv4_address", v6 ? group6 : group4, 2},
        {"Group", std::to_string(port), 3},
        {"Interface", device, 4},
    };
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

// The groups an interface of a namespace has joined (`ip maddr`).
std::string memberships(TestNamespace &ns, const std::string &device) {
    return capture("ip -n " + ns.name() + " maddr show dev " + device);
}

bool has_group(const std::string &maddr, const std::string &group) {
    std::istringstream lines(maddr);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string family, address;
        words >> family >> address;
        if ((family == "inet" || family == "inet6") && address == group)
            return true;
    }
    return false;
}

uint64_t tx_packets(TestNamespace &ns, const std::string &device) {
    return std::stoull(capture("ip netns exec " + ns.name() + " cat /sys/class/net/" + device +
                               "/statistics/tx_packets"));
}

void exchange_without_loopback(bool v6) {
    TwoNodes nodes(v6 ? "mc6" : "mc4");
    Harness harness;
    uint16_t port = test_port();
    std::vector<ConfigEntry> extra_a, extra_b;
    if (!v6) {
        extra_a.push_back({"IPv4_interface", TwoNodes::v4(0, 1), 5});
        extra_b.push_back({"IPv4_interface", TwoNodes::v4(0, 2), 5});
    }
    Link a(harness, "mcast", nodes.a(), mcast_config(v6, port, "eth0", extra_a));
    Link b(harness, "mcast", nodes.b(), mcast_config(v6, port, "eth0", extra_b));
    CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
    CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
    CPPUNIT_ASSERT_EQUAL(0u, a.flags() & CTD_TRANSPORT_STREAM);

    std::vector<std::string> to_b = {random_bytes(8, 1), random_bytes(a.max_payload(), 2),
                                     random_bytes(333, 3)};
    std::vector<std::string> to_a = {random_bytes(16, 4), random_bytes(b.max_payload(), 5)};
    for (const std::string &batch : to_b)
        CPPUNIT_ASSERT_EQUAL(0, a.send(batch));
    for (const std::string &batch : to_a)
        CPPUNIT_ASSERT_EQUAL(0, b.send(batch));
    harness.run_until([&] { return a.deliveries.size() >= to_a.size() && b.deliveries.size() >= to_b.size(); });
    // Give a looped-back copy of our own datagrams time to show up, if any.
    harness.run_for(200);
    // Each node hears the other, byte for byte, and never itself.
    CPPUNIT_ASSERT_EQUAL(to_b.size(), b.deliveries.size());
    CPPUNIT_ASSERT_EQUAL(to_a.size(), a.deliveries.size());
    for (size_t i = 0; i < to_b.size(); ++i)
        CPPUNIT_ASSERT_EQUAL(hex(to_b[i]), hex(b.deliveries[i]));
    for (size_t i = 0; i < to_a.size(); ++i)
        CPPUNIT_ASSERT_EQUAL(hex(to_a[i]), hex(a.deliveries[i]));
    ctd_transport_stats sa = a.stats();
    CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(to_b.size()), sa.packets_sent);
    CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(to_a.size()), sa.packets_received);
    CPPUNIT_ASSERT_EQUAL(uint64_t{0}, sa.send_errors + sa.receive_errors);
}

std::string refusal(std::vector<ConfigEntry> entries, std::string *log_text = nullptr) {
    TwoNodes nodes("mccfg");
    Harness harness;
    LogCapture log;
    Link link(harness, "mcast", nodes.a(), entries);
    if (log_text)
        *log_text = log.text();
    return link.created() ? "(accepted)" : link.error();
}

} // namespace

class MulticastTransportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MulticastTransportTest);
    CPPUNIT_TEST(ipv4_both_ways_without_loopback);
    CPPUNIT_TEST(ipv6_both_ways_without_loopback);
    CPPUNIT_TEST(joins_and_sends_on_ipv4_interface);
    CPPUNIT_TEST(joins_on_interface_without_ipv4_interface);
    CPPUNIT_TEST(ipv6_joins_on_interface);
    CPPUNIT_TEST(ignores_traffic_to_other_groups);
    CPPUNIT_TEST(max_payload_is_mtu_minus_headers);
    CPPUNIT_TEST(checksum_off_puts_zero_on_the_wire);
    CPPUNIT_TEST(ipv6_interface_is_ignored_with_a_warning);
    CPPUNIT_TEST(refuses_bad_configs);
    CPPUNIT_TEST_SUITE_END();

public:
    void ipv4_both_ways_without_loopback() { exchange_without_loopback(false); }
    void ipv6_both_ways_without_loopback() { exchange_without_loopback(true); }

    // Two links between the nodes; the sync link is the second one.
    void joins_and_sends_on_ipv4_interface() {
        TwoNodes nodes("mcif", 2);
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "mcast", nodes.a(),
               mcast_config(false, port, "eth1", {{"IPv4_interface", TwoNodes::v4(1, 1), 5}}));
        Link b(harness, "mcast", nodes.b(),
               mcast_config(false, port, "eth1", {{"IPv4_interface", TwoNodes::v4(1, 2), 5}}));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        CPPUNIT_ASSERT(has_group(memberships(nodes.a(), "eth1"), group4));
        CPPUNIT_ASSERT(!has_group(memberships(nodes.a(), "eth0"), group4));
        uint64_t eth0_before = tx_packets(nodes.a(), "eth0");
        uint64_t eth1_before = tx_packets(nodes.a(), "eth1");
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT_EQUAL(0, a.send(random_bytes(100, static_cast<uint32_t>(i))));
        harness.run_until([&] { return b.deliveries.size() >= 5; });
        CPPUNIT_ASSERT_EQUAL(size_t{5}, b.deliveries.size());
        // The datagrams left through eth1 (eth0 may carry the odd IPv6
        // router or MLD packet, but not these five).
        CPPUNIT_ASSERT(tx_packets(nodes.a(), "eth1") - eth1_before >= 5);
        CPPUNIT_ASSERT(tx_packets(nodes.a(), "eth0") - eth0_before < 5);
    }

    void joins_on_interface_without_ipv4_interface() {
        TwoNodes nodes("mcix", 2);
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "mcast", nodes.a(), mcast_config(false, port, "eth1"));
        Link b(harness, "mcast", nodes.b(), mcast_config(false, port, "eth1"));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        CPPUNIT_ASSERT(has_group(memberships(nodes.b(), "eth1"), group4));
        CPPUNIT_ASSERT(!has_group(memberships(nodes.b(), "eth0"), group4));
        CPPUNIT_ASSERT_EQUAL(0, a.send("over eth1"));
        harness.run_until([&] { return !b.deliveries.empty(); });
        CPPUNIT_ASSERT_EQUAL(size_t{1}, b.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("over eth1"), b.deliveries[0]);
    }

    void ipv6_joins_on_interface() {
        TwoNodes nodes("mc6if", 2);
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "mcast", nodes.a(), mcast_config(true, port, "eth1"));
        Link b(harness, "mcast", nodes.b(), mcast_config(true, port, "eth1"));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        CPPUNIT_ASSERT(has_group(memberships(nodes.a(), "eth1"), group6));
        CPPUNIT_ASSERT(!has_group(memberships(nodes.a(), "eth0"), group6));
        CPPUNIT_ASSERT_EQUAL(0, a.send("v6 over eth1"));
        harness.run_until([&] { return !b.deliveries.empty(); });
        CPPUNIT_ASSERT_EQUAL(size_t{1}, b.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("v6 over eth1"), b.deliveries[0]);
    }

    // The receiver is bound to the group (as 1.4.9): a unicast datagram to
    // the same port is not taken for a sync message.
    void ignores_traffic_to_other_groups() {
        TwoNodes nodes("mcbind");
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "mcast", nodes.a(), mcast_config(false, port, "eth0"));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        {
            EnterNamespace inside(nodes.b());
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            CPPUNIT_ASSERT(fd >= 0);
            sockaddr_in to{};
            to.sin_family = AF_INET;
            to.sin_port = htons(port);
            inet_pton(AF_INET, TwoNodes::v4(0, 1).c_str(), &to.sin_addr);
            ssize_t sent = sendto(fd, "unicast", 7, 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
            inet_pton(AF_INET, group4, &to.sin_addr);
            ip_mreqn via{};
            via.imr_ifindex = static_cast<int>(if_nametoindex("eth0"));
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &via, sizeof via);
            ssize_t sent_group = sendto(fd, "group", 5, 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
            close(fd);
            CPPUNIT_ASSERT_EQUAL(ssize_t{7}, sent);
            CPPUNIT_ASSERT_EQUAL(ssize_t{5}, sent_group);
        }
        harness.run_until([&] { return !a.deliveries.empty(); });
        harness.run_for(200);
        CPPUNIT_ASSERT_EQUAL(size_t{1}, a.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("group"), a.deliveries[0]);
    }

    void max_payload_is_mtu_minus_headers() {
        TwoNodes nodes("mcmtu");
        nodes.set_mtu("eth0", 1280);
        Harness harness;
        uint16_t port = test_port();
        Link v4(harness, "mcast", nodes.a(), mcast_config(false, port, "eth0"));
        Link v6(harness, "mcast", nodes.a(), mcast_config(true, port, "eth0"));
        CPPUNIT_ASSERT_MESSAGE(v4.error(), v4.created());
        CPPUNIT_ASSERT_MESSAGE(v6.error(), v6.created());
        CPPUNIT_ASSERT_EQUAL(1280u - 28u, v4.max_payload());
        CPPUNIT_ASSERT_EQUAL(1280u - 48u, v6.max_payload());
        CPPUNIT_ASSERT_EQUAL(1280u, v4.info().mtu);
        CPPUNIT_ASSERT_EQUAL(std::string("eth0"), std::string(v6.info().ifname));
    }

    void checksum_off_puts_zero_on_the_wire() {
        TwoNodes nodes("mcsum");
        Harness harness;
        uint16_t port = test_port();
        UdpSniffer sniffer(nodes.b(), AF_INET);
        Link a(harness, "mcast", nodes.a(), mcast_config(false, port, "eth0", {{"Checksum", "off", 6}}));
        Link b(harness, "mcast", nodes.b(), mcast_config(false, port, "eth0"));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        CPPUNIT_ASSERT_EQUAL(0, a.send(random_bytes(120, 9)));
        CPPUNIT_ASSERT_EQUAL(0, a.send(random_bytes(120, 10)));
        harness.run_until([&] { return b.deliveries.size() >= 2; });
        CPPUNIT_ASSERT_EQUAL(size_t{2}, b.deliveries.size());
        std::vector<uint16_t> sums = sniffer.checksums_to(port);
        CPPUNIT_ASSERT_EQUAL(size_t{2}, sums.size());
        for (uint16_t sum : sums)
            CPPUNIT_ASSERT_EQUAL(uint16_t{0}, sum);
    }

    void ipv6_interface_is_ignored_with_a_warning() {
        std::string log;
        std::string why = refusal(mcast_config(true, test_port(), "eth0", {{"IPv6_interface", "eth0", 7}}),
                                  &log);
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), why);
        CPPUNIT_ASSERT_MESSAGE(log, log.find("[warning] transport/mcast: `IPv6_interface' not "
                                             "required, ignoring") != std::string::npos);
    }

    void refuses_bad_configs() {
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:2: IPv4_address: 10.101.0.1 is not a multicast "
                                         "address (224.0.0.0/4)"),
                             refusal({{"IPv4_address", "10.101.0.1", 2}, {"Group", "3780", 3},
                                      {"Interface", "eth0", 4}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:2: IPv6_address: fd01::9 is not a multicast "
                                         "address (ff00::/8)"),
                             refusal({{"IPv6_address", "fd01::9", 2}, {"Group", "3780", 3},
                                      {"Interface", "eth0", 4}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:3: Sync/mcast needs IPv4_address or "
                                         "IPv6_address: the multicast group"),
                             refusal({{"Group", "3780", 3}, {"Interface", "eth0", 4}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: your multicast address is IPv6 but is binded "
                                         "to an IPv4 interface? Surely this is not what you want "
                                         "(IPv6_address ff02::db8:50, IPv4_interface 10.101.0.1)"),
                             refusal(mcast_config(true, 3780, "eth0",
                                                  {{"IPv4_interface", TwoNodes::v4(0, 1), 5}})));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:1: Sync/mcast needs 'Group' (UDP port of the "
                                         "group, the same on every node)"),
                             refusal({{"IPv4_address", group4, 2}, {"Interface", "eth0", 4}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: `eth9' is an invalid interface: No such "
                                         "device (see `ip link' for the interfaces of this host)"),
                             refusal(mcast_config(false, 3780, "eth9")));
        std::string why = refusal(mcast_config(false, 3780, "eth0", {{"IPv4_interface", "10.77.0.1", 5}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:2: cannot join multicast group 225.0.0.50 on "
                                         "10.77.0.1: No such device (IPv4_interface must be the "
                                         "address of the dedicated link)"),
                             why);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MulticastTransportTest);
