// The tcp transport plugin between two network namespaces.
//
// The TCP client makes a new socket each time it reconnects, and sockets
// belong to the namespace the thread is in when they are made: every test
// runs with the thread inside a's namespace, so that a's reconnections stay
// there (b never reconnects: a is always up before b).
#include "link_harness.hpp"

#include <algorithm>

using namespace transport_test;
using ctd::ConfigEntry;

namespace {

std::vector<ConfigEntry> tcp_config(bool v6, int node, uint16_t port,
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

bool saw(const Link &link, uint32_t event) {
    return std::find(link.events.begin(), link.events.end(), event) != link.events.end();
}

size_t count(const Link &link, uint32_t event) {
    return static_cast<size_t>(std::count(link.events.begin(), link.events.end(), event));
}

bool fully_connected(Link &link) {
    return link.describe() == "server=connected client=connected";
}

// b is made after a, so b's client connects at once; a's first attempt was
// refused, and (like the reference) it tries again only when it has
// something to send.
bool b_connected_to_a(Link &a, Link &b) {
    return saw(a, CTD_TRANSPORT_EVENT_PEER_UP) && saw(b, CTD_TRANSPORT_EVENT_CLIENT_UP);
}

void exchange_both_ways(bool v6) {
    TwoNodes nodes(v6 ? "tcp6" : "tcp4");
    EnterNamespace in_a(nodes.a());
    Harness harness;
    uint16_t port = test_port();
    Link a(harness, "tcp", nodes.a(), tcp_config(v6, 1, port));
    Link b(harness, "tcp", nodes.b(), tcp_config(v6, 2, port));
    CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
    CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
    CPPUNIT_ASSERT_EQUAL(CTD_TRANSPORT_STREAM, a.flags() & CTD_TRANSPORT_STREAM);
    CPPUNIT_ASSERT(harness.run_until([&] { return b_connected_to_a(a, b); }));

    std::string to_b, to_a;
    for (uint32_t i = 0; i < 20; ++i) {
        std::string batch = random_bytes(i * 70 + 1, i);
        CPPUNIT_ASSERT_EQUAL(0, a.send(batch));
        to_b += batch;
        std::string back = random_bytes(i * 30 + 4, i + 1000);
        CPPUNIT_ASSERT_EQUAL(0, b.send(back));
        to_a += back;
    }
    harness.run_until([&] { return a.received.size() >= to_a.size() && b.received.size() >= to_b.size(); });
    for (Link *link : {&a, &b}) {
        CPPUNIT_ASSERT(fully_connected(*link));
        CPPUNIT_ASSERT_EQUAL(size_t{1}, count(*link, CTD_TRANSPORT_EVENT_PEER_UP));
        CPPUNIT_ASSERT_EQUAL(size_t{1}, count(*link, CTD_TRANSPORT_EVENT_CLIENT_UP));
    }
    // A byte stream: the concatenation of the batches, byte for byte.
    CPPUNIT_ASSERT_EQUAL(hex(to_b), hex(b.received));
    CPPUNIT_ASSERT_EQUAL(hex(to_a), hex(a.received));
    ctd_transport_stats sa = a.stats(), sb = b.stats();
    CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(to_b.size()), sa.bytes_sent);
    CPPUNIT_ASSERT_EQUAL(uint64_t{20}, sa.packets_sent);
    CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(to_b.size()), sb.bytes_received);
    CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(to_a.size()), sa.bytes_received);
    CPPUNIT_ASSERT_EQUAL(uint64_t{128}, sa.queue_capacity);
    CPPUNIT_ASSERT_EQUAL(uint64_t{0}, sa.queue_length);
    // At most a's refused attempt at start-up (an IPv6 SYN may wait for
    // neighbour discovery long enough for b to be listening); nothing else.
    CPPUNIT_ASSERT(sa.send_errors <= 1);
    CPPUNIT_ASSERT_EQUAL(uint64_t{0}, sa.receive_errors + sb.send_errors + sb.receive_errors);

    // The server listens with a backlog of 1 (ss shows it as Send-Q).
    std::string listener = capture("ip netns exec " + nodes.a().name() +
                                   " ss -tlnH '( sport = :" + std::to_string(port) + " )'");
    std::istringstream fields(listener);
    std::string state, queued, backlog;
    fields >> state >> queued >> backlog;
    CPPUNIT_ASSERT_EQUAL_MESSAGE(listener, std::string("1"), backlog);
    // The accepted connection has keepalive on (inherited from the listener).
    std::string sockets = capture("ip netns exec " + nodes.a().name() +
                                  " ss -tnoH state established '( sport = :" + std::to_string(port) + " )'");
    CPPUNIT_ASSERT_MESSAGE(sockets, sockets.find("keepalive") != std::string::npos);
}

std::string refusal(std::vector<ConfigEntry> entries) {
    TwoNodes nodes("tcpcfg");
    EnterNamespace in_a(nodes.a());
    Harness harness;
    Link link(harness, "tcp", nodes.a(), entries);
    return link.created() ? "(accepted)" : link.error();
}

// A plain TCP client, for feeding the link's server by hand.
class RawClient {
public:
    RawClient(TestNamespace &ns, const std::string &address, uint16_t port) {
        EnterNamespace inside(ns);
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        inet_pton(AF_INET, address.c_str(), &to.sin_addr);
        if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr *>(&to), sizeof to) != 0)
            CPPUNIT_FAIL(std::string("connect: ") + std::strerror(errno));
    }
    ~RawClient() { close(fd_); }
    void write(const std::string &bytes) {
        CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(bytes.size()),
                             ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL));
    }
    // True once the other end has closed the connection.
    bool closed_by_peer() {
        char c;
        return recv(fd_, &c, 1, MSG_DONTWAIT) == 0;
    }

private:
    int fd_ = -1;
};

// Batches that say who they are: index, length, then bytes derived from
// the index, so a receiver can check each one is whole and in order.
std::string numbered_batch(uint32_t index, uint32_t len) {
    std::string out = random_bytes(len, index);
    for (int i = 0; i < 4; ++i) {
        out[static_cast<size_t>(i)] = static_cast<char>(index >> (8 * i));
        out[static_cast<size_t>(4 + i)] = static_cast<char>(len >> (8 * i));
    }
    return out;
}

uint32_t read_u32(const std::string &bytes, size_t at) {
    uint32_t out = 0;
    for (int i = 0; i < 4; ++i)
        out |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)])) << (8 * i);
    return out;
}

} // namespace

class TcpTransportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TcpTransportTest);
    CPPUNIT_TEST(ipv4_batches_both_ways_as_a_stream);
    CPPUNIT_TEST(ipv6_batches_both_ways_as_a_stream);
    CPPUNIT_TEST(max_payload_is_mtu_minus_headers);
    CPPUNIT_TEST(stream_chunks_split_across_reads);
    CPPUNIT_TEST(new_connection_replaces_the_old);
    CPPUNIT_TEST(peer_restart_reconnects_and_retries_the_queue);
    CPPUNIT_TEST(error_queue_keeps_the_newest_batches);
    CPPUNIT_TEST(no_error_queue_refuses_batches_while_down);
    CPPUNIT_TEST(backpressure_keeps_batches_whole);
    CPPUNIT_TEST(refuses_bad_configs);
    CPPUNIT_TEST_SUITE_END();

public:
    void ipv4_batches_both_ways_as_a_stream() { exchange_both_ways(false); }
    void ipv6_batches_both_ways_as_a_stream() { exchange_both_ways(true); }

    void max_payload_is_mtu_minus_headers() {
        TwoNodes nodes("tcpmtu");
        EnterNamespace in_a(nodes.a());
        nodes.set_mtu("eth0", 1400);
        Harness harness;
        uint16_t port = test_port();
        Link v4(harness, "tcp", nodes.a(), tcp_config(false, 1, port));
        Link v6(harness, "tcp", nodes.a(), tcp_config(true, 1, static_cast<uint16_t>(port + 1)));
        CPPUNIT_ASSERT_MESSAGE(v4.error(), v4.created());
        CPPUNIT_ASSERT_MESSAGE(v6.error(), v6.created());
        CPPUNIT_ASSERT_EQUAL(1400u - 40u, v4.max_payload());
        CPPUNIT_ASSERT_EQUAL(1400u - 60u, v6.max_payload());
        CPPUNIT_ASSERT_EQUAL(1400u, v4.info().mtu);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint32_t>(AF_INET), v4.info().family);
    }

    // A message split by the sender arrives in pieces, as written: the
    // core, told the link is a stream, puts them back together.
    void stream_chunks_split_across_reads() {
        TwoNodes nodes("tcpsplit");
        EnterNamespace in_a(nodes.a());
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "tcp", nodes.a(), tcp_config(false, 1, port));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        RawClient client(nodes.b(), TwoNodes::v4(0, 1), port);
        CPPUNIT_ASSERT(harness.run_until([&] { return saw(a, CTD_TRANSPORT_EVENT_PEER_UP); }));
        std::string message = random_bytes(20, 77);
        client.write(message.substr(0, 5));
        CPPUNIT_ASSERT(harness.run_until([&] { return a.received.size() >= 5; }));
        client.write(message.substr(5, 9));
        CPPUNIT_ASSERT(harness.run_until([&] { return a.received.size() >= 14; }));
        client.write(message.substr(14));
        CPPUNIT_ASSERT(harness.run_until([&] { return a.received.size() >= 20; }));
        CPPUNIT_ASSERT_EQUAL(size_t{3}, a.deliveries.size());
        CPPUNIT_ASSERT_EQUAL(hex(message.substr(0, 5)), hex(a.deliveries[0]));
        CPPUNIT_ASSERT_EQUAL(hex(message.substr(5, 9)), hex(a.deliveries[1]));
        CPPUNIT_ASSERT_EQUAL(hex(message.substr(14)), hex(a.deliveries[2]));
        CPPUNIT_ASSERT_EQUAL(hex(message), hex(a.received));
        ctd_transport_stats s = a.stats();
        CPPUNIT_ASSERT_EQUAL(uint64_t{20}, s.bytes_received);
        CPPUNIT_ASSERT_EQUAL(uint64_t{3}, s.packets_received);
    }

    // One peer at a time: a new connection means a new stream, and the
    // core hears it so that it drops a half-received message.
    void new_connection_replaces_the_old() {
        TwoNodes nodes("tcprepl");
        EnterNamespace in_a(nodes.a());
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "tcp", nodes.a(), tcp_config(false, 1, port));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        RawClient first(nodes.b(), TwoNodes::v4(0, 1), port);
        CPPUNIT_ASSERT(harness.run_until([&] { return count(a, CTD_TRANSPORT_EVENT_PEER_UP) == 1; }));
        first.write("half a mes");
        CPPUNIT_ASSERT(harness.run_until([&] { return a.received.size() >= 10; }));
        RawClient second(nodes.b(), TwoNodes::v4(0, 1), port);
        CPPUNIT_ASSERT(harness.run_until([&] { return count(a, CTD_TRANSPORT_EVENT_PEER_UP) == 2; }));
        std::vector<uint32_t> expected = {CTD_TRANSPORT_EVENT_PEER_UP, CTD_TRANSPORT_EVENT_PEER_DOWN,
                                          CTD_TRANSPORT_EVENT_PEER_UP};
        std::vector<uint32_t> server_events;
        for (uint32_t e : a.events)
            if (e == CTD_TRANSPORT_EVENT_PEER_UP || e == CTD_TRANSPORT_EVENT_PEER_DOWN)
                server_events.push_back(e);
        CPPUNIT_ASSERT(expected == server_events);
        CPPUNIT_ASSERT(harness.run_until([&] { return first.closed_by_peer(); }));
        second.write("fresh");
        CPPUNIT_ASSERT(harness.run_until([&] { return a.received.size() >= 15; }));
        CPPUNIT_ASSERT_EQUAL(std::string("half a mesfresh"), a.received);
        CPPUNIT_ASSERT(a.describe().find("server=connected") == 0);
    }

    void peer_restart_reconnects_and_retries_the_queue() {
        TwoNodes nodes("tcprst");
        EnterNamespace in_a(nodes.a());
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "tcp", nodes.a(), tcp_config(false, 1, port));
        auto b = std::make_unique<Link>(harness, "tcp", nodes.b(), tcp_config(false, 2, port));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b->error(), b->created());
        CPPUNIT_ASSERT(harness.run_until([&] { return b_connected_to_a(a, *b); }));
        std::string first = random_bytes(300, 1);
        CPPUNIT_ASSERT_EQUAL(0, a.send(first));
        CPPUNIT_ASSERT(harness.run_until([&] { return b->received.size() >= first.size(); }));
        CPPUNIT_ASSERT_EQUAL(hex(first), hex(b->received));
        CPPUNIT_ASSERT(fully_connected(a));

        // The peer goes away: both connections end, and a notices at once.
        b.reset();
        CPPUNIT_ASSERT(harness.run_until([&] {
            return saw(a, CTD_TRANSPORT_EVENT_CLIENT_DOWN) && saw(a, CTD_TRANSPORT_EVENT_PEER_DOWN);
        }));
        CPPUNIT_ASSERT_EQUAL(std::string("server=disconnected client=disconnected"), a.describe());
        std::string second = random_bytes(500, 2), third = random_bytes(40, 3);
        CPPUNIT_ASSERT_EQUAL(0, a.send(second));
        CPPUNIT_ASSERT_EQUAL(0, a.send(third));
        CPPUNIT_ASSERT_EQUAL(uint64_t{2}, a.stats().queue_length);
        uint64_t errors_before = a.stats().send_errors;
        uint64_t down_since = ctd::EventLoop::monotonic_us();
        harness.run_for(2500);
        // Refused reconnections, at most one per second.
        uint64_t attempts = a.stats().send_errors - errors_before;
        uint64_t seconds = (ctd::EventLoop::monotonic_us() - down_since) / 1000000;
        CPPUNIT_ASSERT_MESSAGE(std::to_string(attempts), attempts >= 1 && attempts <= seconds + 1);
        CPPUNIT_ASSERT_EQUAL(uint64_t{2}, a.stats().queue_length);

        // The peer is back: what waited goes out, in order, and only that.
        b = std::make_unique<Link>(harness, "tcp", nodes.b(), tcp_config(false, 2, port));
        CPPUNIT_ASSERT_MESSAGE(b->error(), b->created());
        CPPUNIT_ASSERT(harness.run_until([&] { return b->received.size() >= second.size() + third.size(); }));
        harness.run_for(100);
        CPPUNIT_ASSERT_EQUAL(hex(second + third), hex(b->received));
        CPPUNIT_ASSERT_EQUAL(uint64_t{0}, a.stats().queue_length);
        CPPUNIT_ASSERT(harness.run_until([&] { return fully_connected(a); }));
        CPPUNIT_ASSERT_EQUAL(size_t{2}, count(a, CTD_TRANSPORT_EVENT_CLIENT_UP));
    }

    void error_queue_keeps_the_newest_batches() {
        TwoNodes nodes("tcpq");
        EnterNamespace in_a(nodes.a());
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "tcp", nodes.a(), tcp_config(false, 1, port, {{"ErrorQueueLength", "3", 6}}));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        std::vector<std::string> batches;
        for (uint32_t i = 0; i < 5; ++i) {
            batches.push_back(random_bytes(100 + i, i));
            CPPUNIT_ASSERT_EQUAL(0, a.send(batches.back()));
        }
        ctd_transport_stats s = a.stats();
        CPPUNIT_ASSERT_EQUAL(uint64_t{3}, s.queue_length);
        CPPUNIT_ASSERT_EQUAL(uint64_t{3}, s.queue_capacity);
        CPPUNIT_ASSERT_EQUAL(uint64_t{2}, s.queue_overflows);
        CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.packets_sent);
        Link b(harness, "tcp", nodes.b(), tcp_config(false, 2, port));
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        std::string expected = batches[2] + batches[3] + batches[4];
        CPPUNIT_ASSERT(harness.run_until([&] { return b.received.size() >= expected.size(); }));
        harness.run_for(100);
        CPPUNIT_ASSERT_EQUAL(hex(expected), hex(b.received));
        s = a.stats();
        CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.queue_length);
        CPPUNIT_ASSERT_EQUAL(uint64_t{3}, s.packets_sent);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(expected.size()), s.bytes_sent);
    }

    void no_error_queue_refuses_batches_while_down() {
        TwoNodes nodes("tcpq0");
        EnterNamespace in_a(nodes.a());
        Harness harness;
        LogCapture log;
        Link a(harness, "tcp", nodes.a(), tcp_config(false, 1, test_port(), {{"ErrorQueueLength", "0", 6}}));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT(harness.run_until([&] { return a.stats().send_errors == 1; }));
        CPPUNIT_ASSERT_EQUAL(-ENOTCONN, a.send("lost"));
        CPPUNIT_ASSERT_EQUAL(-ENOTCONN, a.send("lost"));
        ctd_transport_stats s = a.stats();
        CPPUNIT_ASSERT_EQUAL(uint64_t{0}, s.queue_capacity);
        CPPUNIT_ASSERT_EQUAL(uint64_t{2}, s.queue_overflows);
        // Said once, at the start, not once per batch.
        std::string text = log.text();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("cannot connect to 10.101.0.2:") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("batch dropped") == std::string::npos);
    }

    // The sender outruns a peer with tiny buffers: writes stop half-way
    // through batches.  Every batch that arrives must be whole and in order;
    // the ones that do not arrive are the ones counted as dropped.
    void backpressure_keeps_batches_whole() {
        TwoNodes nodes("tcpbp");
        EnterNamespace in_a(nodes.a());
        Harness harness;
        uint16_t port = test_port();
        Link a(harness, "tcp", nodes.a(), tcp_config(false, 1, port, {{"SndSocketBuffer", "4096", 6}}));
        Link b(harness, "tcp", nodes.b(), tcp_config(false, 2, port, {{"RcvSocketBuffer", "4096", 6}}));
        CPPUNIT_ASSERT_MESSAGE(a.error(), a.created());
        CPPUNIT_ASSERT_MESSAGE(b.error(), b.created());
        CPPUNIT_ASSERT(harness.run_until([&] { return b_connected_to_a(a, b); }));
        // The first batch gets a's client connected; then the burst.
        CPPUNIT_ASSERT_EQUAL(0, a.send(numbered_batch(0, 100)));
        CPPUNIT_ASSERT(harness.run_until([&] { return b.received.size() >= 100; }));
        CPPUNIT_ASSERT(fully_connected(a));
        const uint32_t total = 400;
        for (uint32_t i = 1; i < total; ++i)
            CPPUNIT_ASSERT_EQUAL(0, a.send(numbered_batch(i, 700 + (i * 37) % 700)));
        ctd_transport_stats s = a.stats();
        CPPUNIT_ASSERT(s.queue_length > 0);
        CPPUNIT_ASSERT(harness.run_until([&] {
            ctd_transport_stats now = a.stats();
            return now.queue_length == 0 && now.packets_sent + now.queue_overflows == total &&
                   b.stats().bytes_received == now.bytes_sent;
        }, 10000));
        s = a.stats();
        CPPUNIT_ASSERT(s.queue_overflows > 0);
        size_t at = 0;
        uint32_t whole = 0;
        int64_t last_index = -1;
        while (at + 8 <= b.received.size()) {
            uint32_t index = read_u32(b.received, at);
            uint32_t len = read_u32(b.received, at + 4);
            CPPUNIT_ASSERT(index < total);
            CPPUNIT_ASSERT(static_cast<int64_t>(index) > last_index);
            CPPUNIT_ASSERT(at + len <= b.received.size());
            CPPUNIT_ASSERT(b.received.compare(at, len, numbered_batch(index, len)) == 0);
            last_index = index;
            at += len;
            ++whole;
        }
        CPPUNIT_ASSERT_EQUAL(b.received.size(), at);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(whole), s.packets_sent);
        CPPUNIT_ASSERT_EQUAL(static_cast<uint64_t>(total), whole + s.queue_overflows);
        CPPUNIT_ASSERT_EQUAL(static_cast<int64_t>(total - 1), last_index);
    }

    void refuses_bad_configs() {
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: Sync/tcp needs IPv4_Destination_Address or "
                                         "IPv6_Destination_Address: the peer this link connects to"),
                             refusal({{"IPv4_address", TwoNodes::v4(0, 1), 2}, {"Port", "3780", 4},
                                      {"Interface", "eth0", 5}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: 'ErrorQueueLength' expects a number from 0 "
                                         "to 1048576, found '-1'"),
                             refusal(tcp_config(false, 1, 3780, {{"ErrorQueueLength", "-1", 6}})));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:1: Sync/tcp needs 'Interface' (network interface "
                                         "of the link: its MTU sizes the batches, its index scopes "
                                         "IPv6 addresses)"),
                             refusal({{"IPv4_Destination_Address", TwoNodes::v4(0, 2), 3},
                                      {"Port", "3780", 4}}));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:2: IPv6_address: 10.101.0.1 is not a valid IPv6 "
                                         "address"),
                             refusal({{"IPv6_address", TwoNodes::v4(0, 1), 2},
                                      {"IPv6_Destination_Address", TwoNodes::v6(0, 2), 3},
                                      {"Port", "3780", 4},
                                      {"Interface", "eth0", 5}}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TcpTransportTest);
