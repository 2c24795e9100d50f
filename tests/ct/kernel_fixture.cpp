#include "kernel_fixture.hpp"

#include "ct/codec.hpp"
#include "ct/netlink.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace cttest {

std::string capture(const std::string &command) {
    std::FILE *p = popen(command.c_str(), "r");
    if (!p)
        throw std::runtime_error("cannot run " + command);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0)
        out.append(buf, n);
    pclose(p);
    return out;
}

namespace {
std::string scripts_dir() {
    const char *src = std::getenv("CTD_TESTS_SRCDIR");
    return std::string(src ? src : ".") + "/ct";
}
} // namespace

KernelTable &KernelTable::instance() {
    static KernelTable table;
    return table;
}

KernelTable::KernelTable()
    : a_(std::make_unique<test_netns::TestNamespace>("ctA")),
      b_(std::make_unique<test_netns::TestNamespace>("ctB")) {
    std::string dir = scripts_dir();
    if (test_netns::run("sh " + dir + "/kernel-setup.sh " + a_->name() + " " + b_->name() + " " +
                        dir) != 0)
        throw std::runtime_error("kernel-setup.sh failed");
    // The traffic keeps its connections open in the background (the
    // namespace's removal ends it).
    std::string log = capture("mktemp");
    log.erase(log.find_last_not_of('\n') + 1);
    test_netns::run("ip netns exec " + a_->name() + " python3 " + dir + "/traffic.py 3600 > " + log +
                    " 2>&1 &");
    bool done = false;
    for (int i = 0; i < 100 && !done; ++i) {
        done = test_netns::run("grep -q 'traffic done' " + log) == 0;
        if (!done)
            test_netns::run("sleep 0.05");
    }
    std::string traffic_log = capture("cat " + log);
    std::remove(log.c_str());
    if (!done)
        throw std::runtime_error("traffic.py failed: " + traffic_log);
    // Entries only conntrack -I can make: per-direction zones, SCTP vtags,
    // a protocol this kernel does not track (DCCP), odd status bits.
    const char *inserts[] = {
        "conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 1 --dport 65535 -t 100 -m 0xffffffff -u ASSURED,SEEN_REPLY",
        "conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 2 --dport 2 -t 100 --orig-zone 7",
        "conntrack -I -p tcp -s 192.0.2.1 -d 192.0.2.2 --sport 3 --dport 3 --state SYN_SENT2 -t 100 -w 65535",
        "conntrack -I -p sctp -s 192.0.2.1 -d 192.0.2.2 --sport 4 --dport 4 --state ESTABLISHED --orig-vtag 1 --reply-vtag 4294967295 -t 100",
        "conntrack -I -p dccp -s 2001:db8::1 -d 2001:db8::2 --sport 5 --dport 5 --state OPEN --role server -t 100",
        "conntrack -I -p icmp -s 192.0.2.1 -d 192.0.2.2 --icmp-type 13 --icmp-code 0 --icmp-id 65535 -t 100",
        "conntrack -I -p gre -s 192.0.2.1 -d 192.0.2.2 --srckey 0xffff --dstkey 1 -t 100 -u FIXED_TIMEOUT",
        "conntrack -I -p tcp -s 192.0.2.1 -d 192.0.2.2 --sport 6 --dport 6 --state TIME_WAIT -t 100 --src-nat 198.51.100.1:6000",
        "conntrack -I -p tcp -s 192.0.2.1 -d 192.0.2.2 --sport 7 --dport 7 --state ESTABLISHED -t 100 --dst-nat 198.51.100.2:7000",
    };
    for (const char *cmd : inserts)
        if (a_->exec(std::string(cmd) + " 2>/dev/null") != 0)
            throw std::runtime_error(std::string("failed: ") + cmd);
}

std::string KernelTable::run(const std::string &command) const {
    return capture("ip netns exec " + a_->name() + " sh -c '" + command + "'");
}

namespace {
std::vector<Message> dump(const test_netns::TestNamespace &ns, bool expectations) {
    test_netns::EnterNamespace inside(ns);
    ct::NetlinkSocket sock;
    if (sock.open() < 0)
        throw std::runtime_error("cannot open a netlink socket");
    std::vector<Message> out;
    unsigned char buf[ct::MaxRequestSize];
    nlmsghdr *req = expectations
                        ? ct::build_simple(buf, sizeof(buf), ct::msg::SubsysExpect, ct::msg::ExpGet,
                                           0, AF_UNSPEC, 0)
                        : ct::build_dump(buf, sizeof(buf), 0, ct::DumpFilter{});
    int r = sock.dump(req, [&](const nlmsghdr *nlh) {
        out.push_back(copy_message(nlh));
        return ct::CallbackContinue;
    });
    if (r < 0)
        throw std::runtime_error("dump failed");
    return out;
}
} // namespace

std::vector<Message> KernelTable::dump_flows() const { return dump(*a_, false); }
std::vector<Message> KernelTable::dump_expectations() const { return dump(*a_, true); }

} // namespace cttest
