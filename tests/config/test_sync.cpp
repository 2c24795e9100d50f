// Sync: the mode, the dedicated links, Options, the legacy Sync-level
// timers, and the entries each plugin finally gets.
#include "reference_plugins.hpp"
#include "test_support.hpp"

using namespace ctd::config;
using cfg_test::entries;
using cfg_test::joined;
using cfg_test::parse_with_general;

namespace {

const std::string udp = "UDP { IPv4_address 1.1.1.1 Port 3780 Interface eth0 }\n";

const ctd_config_value *value_of(const ctd::PluginConfig &c, const char *key) {
    const ctd_config *config = c.get();
    for (size_t i = 0; i < config->count; ++i)
        if (std::string(config->values[i].key) == key)
            return &config->values[i];
    return nullptr;
}

} // namespace

class SyncTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SyncTest);
    CPPUNIT_TEST(mode_blocks);
    CPPUNIT_TEST(mode_entries_as_written);
    CPPUNIT_TEST(no_mode_is_ftfw_with_a_warning);
    CPPUNIT_TEST(legacy_mode_names_warn);
    CPPUNIT_TEST(several_modes_ftfw_alarm_notrack);
    CPPUNIT_TEST(same_mode_twice_merges);
    CPPUNIT_TEST(third_party_mode);
    CPPUNIT_TEST(links_and_their_plugins);
    CPPUNIT_TEST(default_link);
    CPPUNIT_TEST(several_default_links_last_wins);
    CPPUNIT_TEST(four_links_allowed);
    CPPUNIT_TEST(options);
    CPPUNIT_TEST(expectation_sync_lists_add_up);
    CPPUNIT_TEST(legacy_timers_reach_the_mode);
    CPPUNIT_TEST(timers_of_other_modes_reach_the_chosen_one);
    CPPUNIT_TEST(repeated_plugin_key_last_value_counts);
    CPPUNIT_TEST(repeatable_plugin_key_keeps_all);
    CPPUNIT_TEST(unknown_plugin_key_is_reported_by_plugin_config);
    CPPUNIT_TEST(plugin_blocks_order);
    CPPUNIT_TEST_SUITE_END();

public:
    void mode_blocks() {
        for (auto [word, name, label] : {std::tuple{"FTFW", "ftfw", "FTFW"},
                                         std::tuple{"alarm", "alarm", "ALARM"},
                                         std::tuple{"NoTrack", "notrack", "NOTRACK"}}) {
            Config c = parse_with_general(std::string("Sync {\n Mode ") + word + " { }\n" + udp + "}\n");
            CPPUNIT_ASSERT(c.sync.configured);
            CPPUNIT_ASSERT_EQUAL(4u, c.sync.line);
            CPPUNIT_ASSERT(c.sync.mode.kind == ctd::PluginKind::sync);
            CPPUNIT_ASSERT_EQUAL(std::string(name), c.sync.mode.name);
            CPPUNIT_ASSERT_EQUAL("Sync/Mode " + std::string(label), c.sync.mode.block);
            CPPUNIT_ASSERT_EQUAL(5u, c.sync.mode.line);
            CPPUNIT_ASSERT(!c.sync.mode_defaulted);
            CPPUNIT_ASSERT(c.warnings.empty());
        }
    }

    void mode_entries_as_written() {
        Config c = parse_with_general("Sync {\n Mode FTFW {\n  ResendQueueSize 131072\n"
                                      "  DisableExternalCache Off\n  StartupResync ||\n }\n" + udp + "}\n");
        // Values as written, except the reference's `|` spellings of on/off.
        CPPUNIT_ASSERT_EQUAL(std::string("ResendQueueSize=131072@6 DisableExternalCache=Off@7 StartupResync=on@8"),
                             entries(c.sync.mode.entries));
    }

    void no_mode_is_ftfw_with_a_warning() {
        Config c = parse_with_general("Sync {\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), c.sync.mode.name);
        CPPUNIT_ASSERT(c.sync.mode_defaulted);
        CPPUNIT_ASSERT_EQUAL(0u, c.sync.mode.line);
        CPPUNIT_ASSERT_EQUAL(std::string("Sync/Mode FTFW"), c.sync.mode.block);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: no synchronization mode specified (no Mode block "
                                         "in Sync): using FTFW\n"),
                             joined(c.warnings));
    }

    void legacy_mode_names_warn() {
        Config nack = parse_with_general("Sync {\n Mode NACK { }\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), nack.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: 'NACK' is the old name of mode FTFW: write Mode FTFW\n"),
                             joined(nack.warnings));
        Config persistent = parse_with_general("Sync {\n Mode PERSISTENT { RefreshTime 5 }\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("alarm"), persistent.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: 'PERSISTENT' is the old name of mode ALARM: write "
                                         "Mode ALARM\n"),
                             joined(persistent.warnings));
    }

    void several_modes_ftfw_alarm_notrack() {
        Config c = parse_with_general("Sync {\n Mode NOTRACK { DisableInternalCache on }\n"
                                      " Mode ALARM { RefreshTime 5 }\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("alarm"), c.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.sync.other_modes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("notrack"), c.sync.other_modes[0].name);
        Config f = parse_with_general("Sync {\n Mode ALARM { }\n Mode FTFW { }\n Mode NOTRACK { }\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), f.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(6u, f.sync.mode.line);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: several sync modes (Mode ALARM at line 5, Mode FTFW): "
                                         "using FTFW, as the reference prefers FTFW, then ALARM, then NOTRACK\n"
                                         "test.conf:7: several sync modes (Mode FTFW at line 6, Mode NOTRACK): "
                                         "using FTFW, as the reference prefers FTFW, then ALARM, then NOTRACK\n"),
                             joined(f.warnings));
    }

    void same_mode_twice_merges() {
        Config c = parse_with_general("Sync {\n Mode FTFW { ACKWindowSize 5 }\n Mode ftfw { ResendQueueSize 9 }\n" +
                                      udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("ACKWindowSize=5@5 ResendQueueSize=9@6"), entries(c.sync.mode.entries));
        CPPUNIT_ASSERT(c.sync.other_modes.empty());
        CPPUNIT_ASSERT(c.warnings.empty());
    }

    void third_party_mode() {
        // Any other word names a sync plugin of that name (lower case).
        Config c = parse_with_general("Sync {\n Mode Quorum { Peers 3 }\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("quorum"), c.sync.mode.name);
        CPPUNIT_ASSERT_EQUAL(std::string("Sync/Mode quorum"), c.sync.mode.block);
        CPPUNIT_ASSERT_EQUAL(std::string("Peers=3@5"), entries(c.sync.mode.entries));
    }

    void links_and_their_plugins() {
        Config m = parse_with_general("Sync {\n Mode FTFW { }\n Multicast {\n IPv4_address 225.0.0.50\n"
                                      " Group 3780\n Interface eth2\n Checksum on\n }\n}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(1), m.sync.links.size());
        const PluginBlock &link = m.sync.links[0];
        CPPUNIT_ASSERT(link.kind == ctd::PluginKind::transport);
        CPPUNIT_ASSERT_EQUAL(std::string("mcast"), link.name);
        CPPUNIT_ASSERT_EQUAL(std::string("Sync/Multicast"), link.block);
        CPPUNIT_ASSERT_EQUAL(6u, link.line);
        CPPUNIT_ASSERT_EQUAL(std::string("IPv4_address=225.0.0.50@7 Group=3780@8 Interface=eth2@9 Checksum=on@10"),
                             entries(link.entries));
        CPPUNIT_ASSERT_EQUAL(size_t(0), m.sync.default_link);
        Config t = parse_with_general("Sync {\n TCP { IPv6_address fe80::1 IPv6_Destination_Address fe80::2 "
                                      "ErrorQueueLength 64 Interface bad0 }\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), t.sync.links[0].name);
        CPPUNIT_ASSERT_EQUAL(std::string("Sync/TCP"), t.sync.links[0].block);
        // Deliberately more lenient than the reference: an interface name of
        // 1 to 4 hex digits (an IP token) is taken as a word.
        CPPUNIT_ASSERT_EQUAL(std::string("IPv6_address=fe80::1@5 IPv6_Destination_Address=fe80::2@5 "
                                         "ErrorQueueLength=64@5 Interface=bad0@5"),
                             entries(t.sync.links[0].entries));
    }

    void default_link() {
        Config c = parse_with_general("Sync {\n" + udp + " UDP Default { Port 1 }\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(3), c.sync.links.size());
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.sync.default_link);
        CPPUNIT_ASSERT_EQUAL(std::string("Port=1@6"), entries(c.sync.links[1].entries));
    }

    void several_default_links_last_wins() {
        Config c = parse_with_general("Sync {\n Mode FTFW { }\n UDP Default { }\n UDP Default { }\n UDP { }\n}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.sync.default_link);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:7: several dedicated links are marked Default (also line "
                                         "6): the last one is used\n"),
                             joined(c.warnings));
    }

    void four_links_allowed() {
        Config c = parse_with_general("Sync {\n" + udp + udp + udp + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(size_t(4), c.sync.links.size());
    }

    void options() {
        Config none = parse_with_general("Sync {\n" + udp + "}\n");
        CPPUNIT_ASSERT(!none.sync.tcp_window_tracking);
        CPPUNIT_ASSERT(!none.sync.expectation_sync);
        Config on = parse_with_general("Sync {\n Options { TCPWindowTracking on ExpectationSync On }\n" + udp + "}\n");
        CPPUNIT_ASSERT(on.sync.tcp_window_tracking);
        CPPUNIT_ASSERT(on.sync.expectation_sync);
        CPPUNIT_ASSERT(on.sync.expectation_helpers.empty());
        Config list = parse_with_general("Sync {\n Options {\n ExpectationSync {\n ftp\n ras\n q.931\n h.245\n sip\n"
                                         " }\n }\n" + udp + "}\n");
        CPPUNIT_ASSERT(list.sync.expectation_sync);
        CPPUNIT_ASSERT((list.sync.expectation_helpers ==
                        std::vector<std::string>{"ftp", "ras", "q.931", "h.245", "sip"}));
        Config off = parse_with_general("Sync {\n Options { ExpectationSync on ExpectationSync off }\n" + udp + "}\n");
        CPPUNIT_ASSERT(!off.sync.expectation_sync);
        // An empty list turns it on for every helper, as `on` does.
        Config empty = parse_with_general("Sync {\n Options { ExpectationSync { } }\n" + udp + "}\n");
        CPPUNIT_ASSERT(empty.sync.expectation_sync);
        CPPUNIT_ASSERT(empty.sync.expectation_helpers.empty());
    }

    void expectation_sync_lists_add_up() {
        Config c = parse_with_general("Sync {\n Options { ExpectationSync { ftp } ExpectationSync on "
                                      "ExpectationSync { sip } }\n" + udp + "}\n");
        CPPUNIT_ASSERT(c.sync.expectation_sync);
        CPPUNIT_ASSERT((c.sync.expectation_helpers == std::vector<std::string>{"ftp", "sip"}));
    }

    void legacy_timers_reach_the_mode() {
        Config c = parse_with_general("Sync {\n RefreshTime 15\n Mode FTFW { }\n CommitTimeout 180\n" + udp + "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("RefreshTime=15@5 CommitTimeout=180@7"), entries(c.sync.legacy_timers));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: RefreshTime directly in Sync is the old form: it belongs "
                                         "in the Mode block\n"
                                         "test.conf:7: CommitTimeout directly in Sync is the old form: it belongs "
                                         "in the Mode block\n"),
                             joined(c.warnings));
        const auto &keys = *reference_plugins::keys_of(ctd::PluginKind::sync, "ftfw");
        // FTFW has no RefreshTime: only CommitTimeout reaches it.
        CPPUNIT_ASSERT_EQUAL(std::string("CommitTimeout=180@7"),
                             entries(effective_entries(c, c.sync.mode, keys)));
        ctd::PluginConfig checked(c.file, c.sync.mode.block, c.sync.mode.line, keys,
                                  effective_entries(c, c.sync.mode, keys));
        CPPUNIT_ASSERT_EQUAL(int64_t(180), value_of(checked, "CommitTimeout")->number);
        CPPUNIT_ASSERT_EQUAL(int64_t(300), value_of(checked, "ACKWindowSize")->number);
    }

    void timers_of_other_modes_reach_the_chosen_one() {
        // The reference stores timers globally: the last one written counts.
        Config c = parse_with_general("Sync {\n Mode FTFW { CommitTimeout 5 }\n"
                                      " Mode NOTRACK { CommitTimeout 9 DisableInternalCache on }\n"
                                      " PurgeTimeout 20\n" + udp + "}\n");
        const auto &keys = *reference_plugins::keys_of(ctd::PluginKind::sync, "ftfw");
        std::vector<std::string> warnings;
        CPPUNIT_ASSERT_EQUAL(std::string("CommitTimeout=9@6 PurgeTimeout=20@7"),
                             entries(effective_entries(c, c.sync.mode, keys, &warnings)));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: CommitTimeout is given again in Sync/Mode FTFW (also "
                                         "line 5): the last value counts\n"),
                             joined(warnings));
    }

    void repeated_plugin_key_last_value_counts() {
        Config c = parse_with_general("Sync {\n UDP {\n Port 1\n Interface eth0\n Port 2\n }\n}\n");
        const auto &keys = *reference_plugins::keys_of(ctd::PluginKind::transport, "udp");
        std::vector<std::string> warnings;
        std::vector<ctd::ConfigEntry> list = effective_entries(c, c.sync.links[0], keys, &warnings);
        CPPUNIT_ASSERT_EQUAL(std::string("Interface=eth0@7 Port=2@8"), entries(list));
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:8: Port is given again in Sync/UDP (also line 6): the "
                                         "last value counts\n"),
                             joined(warnings));
        ctd::PluginConfig checked(c.file, "Sync/UDP", 5, keys, list);
        CPPUNIT_ASSERT_EQUAL(int64_t(2), value_of(checked, "Port")->number);
    }

    void repeatable_plugin_key_keeps_all() {
        Config c = parse_with_general("Sync {\n UDP { Peer 1.1.1.1 Peer 2.2.2.2 }\n}\n");
        std::vector<ctd_config_key> keys = {
            {"Peer", CTD_CONFIG_ADDRESS, CTD_CONFIG_REPEATABLE, nullptr, "", 0, 0}};
        CPPUNIT_ASSERT_EQUAL(std::string("Peer=1.1.1.1@5 Peer=2.2.2.2@5"),
                             entries(effective_entries(c, c.sync.links[0], keys)));
    }

    void unknown_plugin_key_is_reported_by_plugin_config() {
        // The reference rejects RefreshTime in an FTFW block (syntax error);
        // here the ftfw plugin's declaration does.
        Config c = parse_with_general("Sync {\n Mode FTFW {\n RefreshTime 5\n }\n" + udp + "}\n");
        std::string error;
        try {
            reference_plugins::check(c);
        } catch (const ctd::ConfigError &e) {
            error = e.what();
        }
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:6: unknown keyword 'RefreshTime' in Sync/Mode FTFW "
                                         "(expected one of: ResendQueueSize, CommitTimeout, PurgeTimeout, "
                                         "ACKWindowSize, DisableExternalCache, StartupResync)"),
                             error);
    }

    void plugin_blocks_order() {
        Config c = parse_with_general("Sync {\n" + udp + " Mode ALARM { }\n" + udp + "}\n"
                                      "Helper { Type ftp inet tcp { } }\n");
        std::vector<const PluginBlock *> blocks = c.plugin_blocks();
        CPPUNIT_ASSERT_EQUAL(size_t(4), blocks.size());
        CPPUNIT_ASSERT(blocks[0] == &c.sync.mode);
        CPPUNIT_ASSERT(blocks[1] == &c.sync.links[0]);
        CPPUNIT_ASSERT(blocks[2] == &c.sync.links[1]);
        CPPUNIT_ASSERT(blocks[3] == &c.helper.types[0].plugin);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SyncTest);
