// Every example Debian's conntrackd package installs (copied into
// tests/config/examples/) and the examples of conntrackd.conf(5) parse, and
// their plugin blocks pass the reference's keyword sets.
#include "reference_plugins.hpp"
#include "test_support.hpp"

#include <cstdlib>
#include <syslog.h>

using namespace ctd::config;
using cfg_test::entries;
using cfg_test::joined;

namespace {

std::string example(const std::string &name) {
    const char *dir = std::getenv("CTD_TESTS_SRCDIR");
    if (!dir || !*dir)
        CPPUNIT_FAIL("CTD_TESTS_SRCDIR is not set: run the tests with `make check'");
    return std::string(dir) + "/config/examples/" + name;
}

// Parses and checks the plugin blocks; returns the model.
Config load(const std::string &name) {
    Config c = parse_file(example(name));
    reference_plugins::check(c, &c.warnings);
    return c;
}

// The Filter of the sync examples: TCP, SCTP, DCCP accepted; the firewall's
// own addresses ignored.
void check_sync_filter(const Config &c) {
    const Filter &f = c.general.filter;
    CPPUNIT_ASSERT(f.configured);
    CPPUNIT_ASSERT(!f.kernelspace);
    CPPUNIT_ASSERT(f.protocol.policy == FilterPolicy::accept);
    CPPUNIT_ASSERT(f.protocol.protocols.size() >= 1 && f.protocol.protocols[0] == IPPROTO_TCP);
    CPPUNIT_ASSERT(f.address.policy == FilterPolicy::ignore);
    CPPUNIT_ASSERT_EQUAL(size_t(6), f.address.hosts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), f.address.hosts[0].text);
    CPPUNIT_ASSERT_EQUAL(std::string("192.168.100.100"), f.address.hosts[5].text);
    CPPUNIT_ASSERT(!f.state.policy);
}

void check_sync_general(const Config &c) {
    const General &g = c.general;
    CPPUNIT_ASSERT_EQUAL(32768u, *g.hash_size);
    CPPUNIT_ASSERT_EQUAL(131072u, *g.hash_limit);
    CPPUNIT_ASSERT_EQUAL(std::string("/var/log/conntrackd.log"), g.log_file);
    CPPUNIT_ASSERT_EQUAL(std::string("/var/lock/conntrack.lock"), g.lock_file);
    CPPUNIT_ASSERT_EQUAL(std::string("/var/run/conntrackd.ctl"), g.unix_path);
    CPPUNIT_ASSERT_EQUAL(2097152u, *g.netlink_buffer_size);
    CPPUNIT_ASSERT_EQUAL(8388608u, *g.netlink_buffer_size_max_growth);
    check_sync_filter(c);
}

void check_multicast(const Config &c) {
    CPPUNIT_ASSERT_EQUAL(size_t(1), c.sync.links.size());
    CPPUNIT_ASSERT_EQUAL(std::string("mcast"), c.sync.links[0].name);
    std::string e = entries(c.sync.links[0].entries);
    CPPUNIT_ASSERT(e.find("IPv4_address=225.0.0.50@") == 0);
    CPPUNIT_ASSERT(e.find(" Group=3780@") != std::string::npos);
    CPPUNIT_ASSERT(e.find(" Interface=eth2@") != std::string::npos);
    CPPUNIT_ASSERT(e.find(" Checksum=on@") != std::string::npos);
}

} // namespace

class ExamplesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ExamplesTest);
    CPPUNIT_TEST(debian_default);
    CPPUNIT_TEST(stats);
    CPPUNIT_TEST(sync_ftfw);
    CPPUNIT_TEST(sync_alarm);
    CPPUNIT_TEST(sync_notrack);
    CPPUNIT_TEST(manual_sync_1);
    CPPUNIT_TEST(manual_sync_2);
    CPPUNIT_TEST(manual_helper);
    CPPUNIT_TEST(manual_stats_is_refused);
    CPPUNIT_TEST(dump_of_an_example);
    CPPUNIT_TEST_SUITE_END();

public:
    void debian_default() {
        Config c = load("debian-default.conf");
        const General &g = c.general;
        CPPUNIT_ASSERT_EQUAL(8192u, *g.hash_size);
        CPPUNIT_ASSERT_EQUAL(65535u, *g.hash_limit);
        CPPUNIT_ASSERT_EQUAL(int(LOG_DAEMON), *g.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lock/conntrackd.lock"), g.lock_file);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/run/conntrackd.sock"), g.unix_path);
        CPPUNIT_ASSERT_EQUAL(262142u, *g.netlink_buffer_size);
        CPPUNIT_ASSERT_EQUAL(655355u, *g.netlink_buffer_size_max_growth);
        CPPUNIT_ASSERT(g.systemd);
        CPPUNIT_ASSERT(c.stats.configured);
        CPPUNIT_ASSERT_EQUAL(std::string("flowlog"), c.stats.output.name);
        CPPUNIT_ASSERT_EQUAL(std::string("LogFile=on@24"), entries(c.stats.output.entries));
        std::string w = joined(c.warnings);
        CPPUNIT_ASSERT(w.find("debian-default.conf:13: Backlog is deprecated") != std::string::npos);
        CPPUNIT_ASSERT(w.find("debian-default.conf:16: SocketBufferSize is the old name") != std::string::npos);
    }

    void stats() {
        Config c = load("stats.conf");
        CPPUNIT_ASSERT_EQUAL(8192u, *c.general.hash_size);
        CPPUNIT_ASSERT(c.general.filter.protocol.protocols == std::vector<uint8_t>{IPPROTO_TCP});
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.general.filter.address.hosts.size());
        CPPUNIT_ASSERT(c.stats.configured);
        CPPUNIT_ASSERT(!c.sync.configured);
        CPPUNIT_ASSERT(c.warnings.empty());
    }

    void sync_ftfw() {
        Config c = load("sync-ftfw.conf");
        check_sync_general(c);
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), c.sync.mode.name);
        CPPUNIT_ASSERT(c.sync.mode.entries.empty()); // every setting is commented out
        check_multicast(c);
        CPPUNIT_ASSERT(!c.sync.expectation_sync);
        CPPUNIT_ASSERT(c.warnings.empty());
    }

    void sync_alarm() {
        Config c = load("sync-alarm.conf");
        check_sync_general(c);
        CPPUNIT_ASSERT_EQUAL(std::string("alarm"), c.sync.mode.name);
        std::string e = entries(c.sync.mode.entries);
        CPPUNIT_ASSERT(e.find("RefreshTime=15@") == 0);
        CPPUNIT_ASSERT(e.find(" CacheTimeout=180@") != std::string::npos);
        check_multicast(c);
    }

    void sync_notrack() {
        Config c = load("sync-notrack.conf");
        check_sync_general(c);
        CPPUNIT_ASSERT_EQUAL(std::string("notrack"), c.sync.mode.name);
        check_multicast(c);
    }

    void manual_sync_1() {
        Config c = load("man-sync1.conf");
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), c.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(size_t(2), c.sync.links.size());
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.sync.default_link);
        CPPUNIT_ASSERT(c.sync.expectation_sync);
        CPPUNIT_ASSERT(!c.sync.tcp_window_tracking);
        CPPUNIT_ASSERT_EQUAL(30, c.general.netlink_overrun_resync);
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.general.filter.address.networks.size());
        CPPUNIT_ASSERT_EQUAL(std::string("192.168.100.0/24"), c.general.filter.address.networks[0].text);
    }

    void manual_sync_2() {
        Config c = load("man-sync2.conf");
        CPPUNIT_ASSERT_EQUAL(std::string("notrack"), c.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), c.sync.links.at(0).name);
        CPPUNIT_ASSERT(c.general.filter.state.policy == FilterPolicy::accept);
        CPPUNIT_ASSERT_EQUAL(size_t(4), c.general.filter.state.tcp_states.size());
    }

    void manual_helper() {
        Config c = load("man-helper.conf");
        CPPUNIT_ASSERT_EQUAL(size_t(6), c.helper.types.size());
        CPPUNIT_ASSERT_EQUAL(std::string("rpc"), c.helper.types[2].plugin.name);
        CPPUNIT_ASSERT_EQUAL(uint8_t(IPPROTO_UDP), c.helper.types[2].l4proto);
        CPPUNIT_ASSERT_EQUAL(uint16_t(2), c.helper.types[2].queue_num);
        CPPUNIT_ASSERT_EQUAL(10240u, c.helper.types[2].queue_len);
        CPPUNIT_ASSERT_EQUAL(AF_INET6, c.helper.types[4].family);
        CPPUNIT_ASSERT_EQUAL(300u, c.helper.types[5].policies.at(0).expect_timeout);
    }

    void manual_stats_is_refused() {
        // The man page's Stats example puts NetlinkEventsReliable in Stats,
        // which the reference refuses too (spec 3.7).
        std::string error;
        try {
            load("man-stats.conf");
        } catch (const ctd::ConfigError &e) {
            error = e.what();
        }
        CPPUNIT_ASSERT_EQUAL(example("man-stats.conf") +
                                 ":4: NetlinkEventsReliable belongs in the General block, not in Stats (the "
                                 "manual lists it under Stats, but conntrackd never accepted it there)",
                             error);
    }

    void dump_of_an_example() {
        Config c = load("sync-alarm.conf");
        c.file = "sync-alarm.conf";
        std::string dump = to_string(c);
        std::string expected_start = "File: sync-alarm.conf\n"
                                     "General: line 219\n"
                                     "  HashSize: 32768\n"
                                     "  HashLimit: 131072\n"
                                     "  LogFile: /var/log/conntrackd.log\n"
                                     "  Syslog: off\n"
                                     "  LockFile: /var/lock/conntrack.lock\n"
                                     "  UNIX Path: /var/run/conntrackd.ctl\n"
                                     "  NetlinkBufferSize: 2097152\n"
                                     "  NetlinkBufferSizeMaxGrowth: 8388608\n"
                                     "  NetlinkOverrunResync: 30 s\n"
                                     "  NetlinkEventsReliable: off\n"
                                     "  PollSecs: off (events)\n"
                                     "  EventIterationLimit: 100\n"
                                     "  Scheduler: RR priority 99 (default)\n"
                                     "  Systemd: on\n"
                                     "  Filter: from userspace, line 343\n";
        CPPUNIT_ASSERT_EQUAL(expected_start, dump.substr(0, expected_start.size()));
        CPPUNIT_ASSERT(dump.find("\nSync: line 4\n  Mode: sync/alarm [Sync/Mode ALARM] line 5\n"
                                 "    RefreshTime 15 (line 11)\n    CacheTimeout 180 (line 18)\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(dump.find("\n  Link 1 (default): transport/mcast [Sync/Multicast] line ") != std::string::npos);
        CPPUNIT_ASSERT(dump.find("\nStats: not configured\nHelper: not configured\n") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ExamplesTest);
