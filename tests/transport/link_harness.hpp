// What the transport tests share: two network namespaces joined by veth
// links, and transport plugin links loaded through the core's loader and
// plugin host, driven by a real EventLoop.
//
// One process drives both ends, so the sockets of each link must be made
// inside its namespace: a link is created while the thread is inside it.
// The TCP client also makes sockets later, when it reconnects; tests that
// make a link reconnect run the loop inside that link's namespace (see
// LinkTest::run_in).
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <net/if.h>
#include <netinet/in.h>
#include <random>
#include <utility>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "../lib/netns.hpp"
#include "../unit/test_env.hpp"
#include "event_loop.hpp"
#include "log.hpp"
#include "plugin_config.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"

namespace transport_test {

using test_netns::EnterNamespace;
using test_netns::TestNamespace;

// Output of a shell command (run in the root namespace unless the command
// itself says otherwise, e.g. `ip -n` or `ip netns exec`).
inline std::string capture(const std::string &command) {
    std::string out;
    if (FILE *pipe = popen(command.c_str(), "r")) {
        char buffer[4096];
        size_t got;
        while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0)
            out.append(buffer, got);
        pclose(pipe);
    }
    return out;
}

inline void must(const std::string &command) {
    if (test_netns::run(command + " >/dev/null 2>&1") != 0)
        CPPUNIT_FAIL("command failed: " + command);
}

// A port nobody else on this machine uses at this moment, chosen per test so
// that tests running in parallel in other namespaces cannot collide even in
// their logs.
inline uint16_t test_port() {
    static std::mt19937 random(static_cast<unsigned>(getpid()));
    return static_cast<uint16_t>(20000 + random() % 20000);
}

inline std::string random_bytes(size_t len, uint32_t seed) {
    std::mt19937 random(seed);
    std::string out(len, '\0');
    for (char &c : out)
        c = static_cast<char>(random() & 0xff);
    return out;
}

// Namespaces "a" and "b" joined by veth eth0 (10.<n>.0.1/24, fd0<n>::1/64
// in a; .2 and ::2 in b).  `links` adds eth1, eth2... on subnets n+1...
class TwoNodes {
public:
    explicit TwoNodes(const std::string &name, int links = 1)
        : a_(name + "-a"), b_(name + "-b") {
        // Addresses usable at once, link-local ones included (IPv6
        // multicast to ff02:: needs one as its source).
        for (TestNamespace *ns : {&a_, &b_})
            must("ip netns exec " + ns->name() +
                 " sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0");
        for (int i = 0; i < links; ++i)
            add_link(i);
    }

    TestNamespace &a() { return a_; }
    TestNamespace &b() { return b_; }

    static std::string v4(int link, int node) {
        return "10." + std::to_string(101 + link) + ".0." + std::to_string(node);
    }
    static std::string v6(int link, int node) {
        return "fd0" + std::to_string(link + 1) + "::" + std::to_string(node);
    }

    void set_mtu(const std::string &device, int mtu) {
        must("ip -n " + a_.name() + " link set " + device + " mtu " + std::to_string(mtu));
        must("ip -n " + b_.name() + " link set " + device + " mtu " + std::to_string(mtu));
    }

private:
    void add_link(int index) {
        std::string device = "eth" + std::to_string(index);
        // Made directly inside the namespaces: nothing appears in the root
        // namespace, even for a moment.
        must("ip -n " + a_.name() + " link add " + device + " type veth peer name " + device +
             " netns " + b_.name());
        int node = 1;
        for (TestNamespace *ns : {&a_, &b_}) {
            must("ip -n " + ns->name() + " addr add " + v4(index, node) + "/24 dev " + device);
            must("ip -n " + ns->name() + " -6 addr add " + v6(index, node) + "/64 dev " + device +
                 " nodad");
            must("ip -n " + ns->name() + " link set " + device + " up");
            ++node;
        }
        // The kernel notices the carrier asynchronously, and only then sets
        // the link up for IPv6 (its multicast route among other things):
        // until then IPv6 multicast fails with ENETUNREACH.
        for (TestNamespace *ns : {&a_, &b_}) {
            std::string check = "ip -n " + ns->name() + " -6 route show table local type multicast dev " + device;
            int tries = 0;
            while (capture(check).find("ff00::/8") == std::string::npos) {
                if (++tries > 100)
                    CPPUNIT_FAIL(device + " in " + ns->name() + " did not become ready for IPv6");
                usleep(50000);
            }
        }
    }

    TestNamespace a_, b_;
};

class Harness;

// One link of a transport plugin, created inside a namespace.
class Link {
public:
    Link(Harness &harness, const std::string &plugin, TestNamespace &ns,
         const std::vector<ctd::ConfigEntry> &entries);
    Link(const Link &) = delete;
    Link &operator=(const Link &) = delete;
    ~Link() {
        if (self_)
            ops().destroy(self_);
    }

    bool created() const { return self_ != nullptr; }
    // Why the config or create refused the link.
    const std::string &error() const { return error_; }

    int send(const std::string &bytes) { return ops().send(self_, bytes.data(), bytes.size()); }
    uint32_t max_payload() { return ops().max_payload(self_); }
    ctd_transport_stats stats() {
        ctd_transport_stats out{};
        out.size = sizeof out;
        ops().stats(self_, &out);
        return out;
    }
    std::string describe() {
        char text[256] = "";
        ops().describe(self_, text, sizeof text);
        return text;
    }
    ctd_transport_info info() {
        ctd_transport_info out{};
        out.size = sizeof out;
        ops().info(self_, &out);
        return out;
    }
    uint32_t flags() const { return ops().flags; }

    // Everything delivered, as one string, and each delivery.
    std::string received;
    std::vector<std::string> deliveries;
    std::vector<uint32_t> events;

private:
    static void deliver(void *context, const void *data, size_t len) {
        auto *self = static_cast<Link *>(context);
        self->received.append(static_cast<const char *>(data), len);
        self->deliveries.emplace_back(static_cast<const char *>(data), len);
    }
    const ctd_transport_ops &ops() const { return plugin_->ops<ctd_transport_ops>(); }

    std::shared_ptr<ctd::LoadedPlugin> plugin_;
    std::unique_ptr<ctd::PluginConfig> config_;
    void *self_ = nullptr;
    std::string error_;
};

// The core's side: loop, plugin host (with the transport event service)
// and loader reading the plugins built in this tree.
class Harness {
public:
    Harness() : host_(&loop_), loader_(test_env::staged_plugins(), &host_) {
        host_.set_transport_event_handler([](void *context, uint32_t event) {
            static_cast<Link *>(context)->events.push_back(event);
        });
    }

    ctd::PluginLoader &loader() { return loader_; }
    ctd::PluginHost &host() { return host_; }

    // Runs the loop until `done` holds or `timeout_ms` passed; returns done().
    bool run_until(const std::function<bool()> &done, int timeout_ms = 3000) {
        uint64_t deadline = ctd::EventLoop::monotonic_us() + static_cast<uint64_t>(timeout_ms) * 1000;
        while (!done()) {
            if (ctd::EventLoop::monotonic_us() >= deadline)
                return done();
            loop_.run_once(10);
        }
        return true;
    }
    void run_for(int ms) {
        run_until([] { return false; }, ms);
    }

private:
    ctd::EventLoop loop_;
    ctd::PluginHost host_;
    ctd::PluginLoader loader_;
};

inline Link::Link(Harness &harness, const std::string &plugin, TestNamespace &ns,
                  const std::vector<ctd::ConfigEntry> &entries) {
    plugin_ = harness.loader().load(ctd::PluginKind::transport, plugin);
    try {
        config_ = std::make_unique<ctd::PluginConfig>("test.conf", "Sync/" + plugin, 1,
                                                      plugin_->config_keys(), entries);
    } catch (const ctd::ConfigError &e) {
        error_ = e.what();
        return;
    }
    EnterNamespace inside(ns);
    char error[512] = "";
    self_ = ops().create(plugin_->host(), config_->get(), &Link::deliver, this, error, sizeof error);
    error_ = error;
}

// Collects log lines while it lives (the console stays quiet).
class LogCapture {
public:
    LogCapture() {
        char pattern[] = "/tmp/ctd-transport-log-XXXXXX";
        int fd = mkstemp(pattern);
        if (fd >= 0)
            close(fd);
        path_ = pattern;
        std::string error;
        ctd::logger().set_console(false);
        if (!ctd::logger().open_file(path_, error))
            CPPUNIT_FAIL("cannot capture the log: " + error);
    }
    ~LogCapture() {
        ctd::logger().close();
        ctd::logger().set_console(true);
        unlink(path_.c_str());
    }
    std::string text() const {
        std::ifstream in(path_);
        std::stringstream out;
        out << in.rdbuf();
        return out.str();
    }

private:
    std::string path_;
};

// Sees every UDP datagram that reaches a namespace (a raw socket gets a
// copy of each before UDP takes it), to check what is on the wire.
class UdpSniffer {
public:
    UdpSniffer(TestNamespace &ns, int family) : family_(family) {
        EnterNamespace inside(ns);
        fd_ = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
        if (fd_ < 0)
            CPPUNIT_FAIL(std::string("raw socket: ") + std::strerror(errno));
    }
    ~UdpSniffer() { close(fd_); }

    // The checksum field of each UDP datagram to `port` seen so far.
    std::vector<uint16_t> checksums_to(uint16_t port) {
        drain();
        std::vector<uint16_t> out;
        for (const auto &[destination, checksum] : seen_)
            if (destination == port)
                out.push_back(checksum);
        return out;
    }

private:
    void drain() {
        unsigned char packet[65536];
        ssize_t got;
        while ((got = recv(fd_, packet, sizeof packet, 0)) > 0) {
            // IPv4 raw sockets include the IP header; IPv6 ones do not.
            size_t offset = family_ == AF_INET ? static_cast<size_t>(packet[0] & 0x0f) * 4 : 0;
            if (static_cast<size_t>(got) < offset + 8)
                continue;
            const unsigned char *udp = packet + offset;
            seen_.emplace_back(static_cast<uint16_t>(udp[2] << 8 | udp[3]),
                               static_cast<uint16_t>(udp[6] << 8 | udp[7]));
        }
    }

    int family_;
    int fd_ = -1;
    std::vector<std::pair<uint16_t, uint16_t>> seen_; // destination port, checksum
};

inline std::string hex(const std::string &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

} // namespace transport_test
