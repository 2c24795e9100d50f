// Stats (the output plugin and its keys) and Helper (Types, queues, policies).
#include "reference_plugins.hpp"
#include "test_support.hpp"

#include <syslog.h>

using namespace ctd::config;
using cfg_test::entries;
using cfg_test::joined;
using cfg_test::parse;
using cfg_test::parse_with_general;

namespace {

std::string helper_error(const Config &c, const HelperType &type, const ctd_helper_ops &ops) {
    try {
        check_helper_type(c, type, ops);
    } catch (const ctd::ConfigError &e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

class StatsHelperTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StatsHelperTest);
    CPPUNIT_TEST(stats_default_output_is_flowlog);
    CPPUNIT_TEST(stats_keys_go_to_the_output);
    CPPUNIT_TEST(stats_output_keyword);
    CPPUNIT_TEST(stats_blocks_add_up);
    CPPUNIT_TEST(stats_unknown_facility_is_ignored);
    CPPUNIT_TEST(stats_syslog_conflict_uses_general);
    CPPUNIT_TEST(stats_entries_pass_flowlog_check);
    CPPUNIT_TEST(helper_setup);
    CPPUNIT_TEST(helper_type);
    CPPUNIT_TEST(helper_queue_first_value_counts);
    CPPUNIT_TEST(helper_policies);
    CPPUNIT_TEST(helper_policy_first_block_counts);
    CPPUNIT_TEST(helper_type_twice_warns);
    CPPUNIT_TEST(helper_other_keys_go_to_the_plugin);
    CPPUNIT_TEST(check_helper_type_against_plugin);
    CPPUNIT_TEST_SUITE_END();

public:
    void stats_default_output_is_flowlog() {
        Config c = parse_with_general("Stats {\n}\n");
        CPPUNIT_ASSERT(c.stats.configured);
        CPPUNIT_ASSERT_EQUAL(4u, c.stats.line);
        CPPUNIT_ASSERT(c.stats.output.kind == ctd::PluginKind::output);
        CPPUNIT_ASSERT_EQUAL(std::string("flowlog"), c.stats.output.name);
        CPPUNIT_ASSERT_EQUAL(std::string("Stats"), c.stats.output.block);
        CPPUNIT_ASSERT_EQUAL(4u, c.stats.output.line);
        CPPUNIT_ASSERT(c.stats.output.entries.empty());
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.plugin_blocks().size());
    }

    void stats_keys_go_to_the_output() {
        Config c = parse_with_general("Stats {\n LogFile on\n Syslog local2\n LogFile /tmp/s.log\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("LogFile=on@5 Syslog=local2@6 LogFile=/tmp/s.log@7"),
                             entries(c.stats.output.entries));
    }

    void stats_output_keyword() {
        Config c = parse_with_general("Stats {\n LogFile /x.xml\n Output xml\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("xml"), c.stats.output.name);
        // Output is the core's: not an entry of the plugin.
        CPPUNIT_ASSERT_EQUAL(std::string("LogFile=/x.xml@5"), entries(c.stats.output.entries));
    }

    void stats_blocks_add_up() {
        Config c = parse_with_general("Stats { LogFile on }\nStats { Syslog on }\n");
        CPPUNIT_ASSERT_EQUAL(std::string("LogFile=on@4 Syslog=on@5"), entries(c.stats.output.entries));
        CPPUNIT_ASSERT_EQUAL(4u, c.stats.line);
    }

    void stats_unknown_facility_is_ignored() {
        // As for General: the reference warns and keeps the previous value.
        Config c = parse_with_general("Stats {\n Syslog local1\n Syslog LOCAL2\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("Syslog=local1@5"), entries(c.stats.output.entries));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: 'LOCAL2' is not a known syslog facility (daemon, local0 "
                                         "to local7): Syslog ignored\n"),
                             joined(c.warnings));
    }

    void stats_syslog_conflict_uses_general() {
        Config c = parse("General {\n UNIX { Path /p }\n Syslog local0\n}\nStats {\n Syslog local1\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("Syslog=local0@6"), entries(c.stats.output.entries));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: conflicting Syslog facilities in General and Stats: "
                                         "using General's (local0) for both\n"),
                             joined(c.warnings));
        Config same = parse("General {\n UNIX { Path /p }\n Syslog daemon\n}\nStats {\n Syslog on\n}\n");
        CPPUNIT_ASSERT(same.warnings.empty());
        Config off = parse("General {\n UNIX { Path /p }\n Syslog off\n}\nStats {\n Syslog local1\n}\n");
        CPPUNIT_ASSERT(off.warnings.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("Syslog=local1@6"), entries(off.stats.output.entries));
    }

    void stats_entries_pass_flowlog_check() {
        Config c = parse_with_general("Stats {\n LogFile on\n Syslog yes\n}\n");
        reference_plugins::check(c);
        Config bad = parse_with_general("Stats {\n HashSize 5\n}\n");
        std::string error;
        try {
            reference_plugins::check(bad);
        } catch (const ctd::ConfigError &e) {
            error = e.what();
        }
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: unknown keyword 'HashSize' in Stats (expected one of: "
                                         "LogFile, Syslog)"),
                             error);
    }

    void helper_setup() {
        CPPUNIT_ASSERT(!parse_with_general("Helper { }\n").helper.setup);
        CPPUNIT_ASSERT(parse_with_general("Helper { Setup on }\n").helper.setup);
        CPPUNIT_ASSERT(!parse_with_general("Helper { Setup on Setup off }\n").helper.setup);
        CPPUNIT_ASSERT(parse_with_general("Helper { }\n").helper.configured);
        CPPUNIT_ASSERT(!parse_with_general("").helper.configured);
    }

    void helper_type() {
        Config c = parse_with_general("Helper {\n Type ftp inet tcp {\n QueueNum 5\n QueueLen 10240\n }\n"
                                      " Type dhcpv6 inet6 udp { }\n}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(2), c.helper.types.size());
        const HelperType &ftp = c.helper.types[0];
        CPPUNIT_ASSERT(ftp.plugin.kind == ctd::PluginKind::helper);
        CPPUNIT_ASSERT_EQUAL(std::string("ftp"), ftp.plugin.name);
        CPPUNIT_ASSERT_EQUAL(std::string("Helper/Type ftp inet tcp"), ftp.plugin.block);
        CPPUNIT_ASSERT_EQUAL(5u, ftp.plugin.line);
        CPPUNIT_ASSERT_EQUAL(AF_INET, ftp.family);
        CPPUNIT_ASSERT_EQUAL(uint8_t(IPPROTO_TCP), ftp.l4proto);
        CPPUNIT_ASSERT_EQUAL(uint16_t(5), ftp.queue_num);
        CPPUNIT_ASSERT_EQUAL(10240u, ftp.queue_len);
        CPPUNIT_ASSERT(ftp.policies.empty());
        CPPUNIT_ASSERT(ftp.plugin.entries.empty());
        const HelperType &dhcp = c.helper.types[1];
        CPPUNIT_ASSERT_EQUAL(AF_INET6, dhcp.family);
        CPPUNIT_ASSERT_EQUAL(uint8_t(IPPROTO_UDP), dhcp.l4proto);
        CPPUNIT_ASSERT_EQUAL(uint16_t(0), dhcp.queue_num);
        CPPUNIT_ASSERT_EQUAL(0u, dhcp.queue_len);
    }

    void helper_queue_first_value_counts() {
        // Observed on 1.4.7: "QueueNum 1 QueueNum 2" configures queue 1.
        Config c = parse_with_general("Helper {\n Type ftp inet tcp {\n QueueNum 1\n QueueLen 7\n QueueNum 2\n"
                                      " QueueLen 8\n }\n}\n");
        CPPUNIT_ASSERT_EQUAL(uint16_t(1), c.helper.types[0].queue_num);
        CPPUNIT_ASSERT_EQUAL(7u, c.helper.types[0].queue_len);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:8: QueueNum is given twice in Helper/Type ftp inet tcp "
                                         "block: the first one (line 6) counts\n"
                                         "test.conf:9: QueueLen is given twice in Helper/Type ftp inet tcp "
                                         "block: the first one (line 7) counts\n"),
                             joined(c.warnings));
    }

    void helper_policies() {
        Config c = parse_with_general("Helper {\n Type ftp inet tcp {\n Policy ftp {\n ExpectMax 1\n"
                                      " ExpectTimeout 300\n ExpectTimeout 200\n }\n }\n"
                                      " Type tftp inet udp { Policy tftp { ExpectMax 4 } }\n}\n");
        const HelperPolicy &p = c.helper.types[0].policies.at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("ftp"), p.name);
        CPPUNIT_ASSERT_EQUAL(1u, p.expect_max);
        // Inside a Policy block the last value counts (observed).
        CPPUNIT_ASSERT_EQUAL(200u, p.expect_timeout);
        CPPUNIT_ASSERT_EQUAL(6u, p.line);
        // Fields left out are 0: the block replaces the whole policy.
        const HelperPolicy &t = c.helper.types[1].policies.at(0);
        CPPUNIT_ASSERT_EQUAL(4u, t.expect_max);
        CPPUNIT_ASSERT_EQUAL(0u, t.expect_timeout);
        std::string sixteen(16, 'p');
        Config longest = parse_with_general("Helper { Type ftp inet tcp { Policy " + sixteen +
                                            " { ExpectMax 1 } } }\n");
        CPPUNIT_ASSERT_EQUAL(sixteen, longest.helper.types[0].policies[0].name);
    }

    void helper_policy_first_block_counts() {
        Config c = parse_with_general("Helper {\n Type ftp inet tcp {\n Policy ftp { ExpectMax 1 }\n"
                                      " Policy ftp { ExpectMax 2 }\n }\n}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.helper.types[0].policies.size());
        CPPUNIT_ASSERT_EQUAL(1u, c.helper.types[0].policies[0].expect_max);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:7: Policy ftp is given twice in Helper/Type ftp inet tcp "
                                         "block: the first one (line 6) counts\n"),
                             joined(c.warnings));
    }

    void helper_type_twice_warns() {
        Config c = parse_with_general("Helper {\n Type ftp inet tcp { }\n Type ftp inet tcp { }\n"
                                      " Type ftp inet6 tcp { }\n}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(3), c.helper.types.size());
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: helper ftp inet tcp is configured twice (also line 5)\n"),
                             joined(c.warnings));
    }

    void helper_other_keys_go_to_the_plugin() {
        Config c = parse_with_general("Helper {\n Type sip inet udp {\n QueueNum 3\n Ports 5060\n }\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("Ports=5060@7"), entries(c.helper.types[0].plugin.entries));
        // The reference's helpers take none: ExpectMax in a Type block is refused.
        Config ftp = parse_with_general("Helper {\n Type ftp inet tcp {\n ExpectMax 5\n }\n}\n");
        std::string error;
        try {
            reference_plugins::check(ftp);
        } catch (const ctd::ConfigError &e) {
            error = e.what();
        }
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: unknown keyword 'ExpectMax' in Helper/Type ftp inet tcp "
                                         "(it takes no keywords)"),
                             error);
    }

    void check_helper_type_against_plugin() {
        Config c = parse_with_general("Helper {\n Type ftp inet tcp {\n Policy ftp { ExpectMax 1 }\n }\n"
                                      " Type ftp inet udp { }\n Type rpc inet tcp {\n Policy ftp { ExpectMax 1 }\n"
                                      " }\n}\n");
        static const ctd_helper_policy ftp_policy[] = {{"ftp", 1, 300}};
        static const ctd_helper_policy rpc_policy[] = {{"rpc", 1, 300}};
        ctd_helper_ops ftp{};
        ftp.l4proto = IPPROTO_TCP;
        ftp.policies = ftp_policy;
        ftp.policy_count = 1;
        ctd_helper_ops rpc{};
        rpc.policies = rpc_policy;
        rpc.policy_count = 1;
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), helper_error(c, c.helper.types[0], ftp));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:8: helper ftp does not handle udp: write ftp inet tcp in "
                                         "Helper/Type ftp inet udp"),
                             helper_error(c, c.helper.types[1], ftp));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:10: unknown policy 'ftp' in Helper/Type rpc inet tcp: "
                                         "helper rpc has the policy rpc"),
                             helper_error(c, c.helper.types[2], rpc));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StatsHelperTest);
