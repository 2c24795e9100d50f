// One test per kind of mistake, with the exact message: file, line, what
// was found and what was expected.  tests/config/reference.sh checks that
// the reference rejects the same files (or records where it does not).
#include "test_support.hpp"

#include <cstdio>
#include <unistd.h>

using cfg_test::error_of;
using cfg_test::general_text;
using cfg_test::with_general;

#define CHECK_ERROR(expected, text) CPPUNIT_ASSERT_EQUAL(std::string(expected), error_of(text))

class ErrorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ErrorTest);
    CPPUNIT_TEST(unknown_section);
    CPPUNIT_TEST(unknown_keyword_with_suggestion);
    CPPUNIT_TEST(unclosed_block);
    CPPUNIT_TEST(stray_closing_brace);
    CPPUNIT_TEST(stray_character);
    CPPUNIT_TEST(missing_open_brace);
    CPPUNIT_TEST(value_not_a_number);
    CPPUNIT_TEST(value_with_a_sign);
    CPPUNIT_TEST(value_out_of_range);
    CPPUNIT_TEST(value_too_large);
    CPPUNIT_TEST(value_not_a_boolean);
    CPPUNIT_TEST(value_relative_path);
    CPPUNIT_TEST(path_too_long);
    CPPUNIT_TEST(unix_path_too_long);
    CPPUNIT_TEST(poll_secs_zero);
    CPPUNIT_TEST(unknown_scheduler);
    CPPUNIT_TEST(nice_without_sign);
    CPPUNIT_TEST(syslog_bad_value);
    CPPUNIT_TEST(missing_unix_path);
    CPPUNIT_TEST(filter_policy_missing);
    CPPUNIT_TEST(filter_from_unknown);
    CPPUNIT_TEST(filter_protocol_number);
    CPPUNIT_TEST(filter_states_without_for);
    CPPUNIT_TEST(filter_states_for_udp);
    CPPUNIT_TEST(filter_address_not_an_address);
    CPPUNIT_TEST(sync_unknown_keyword);
    CPPUNIT_TEST(sync_mode_not_a_mode);
    CPPUNIT_TEST(sync_mode_persistent_lower_case);
    CPPUNIT_TEST(sync_mode_without_block);
    CPPUNIT_TEST(sync_mode_custom_and_builtin);
    CPPUNIT_TEST(sync_too_many_links);
    CPPUNIT_TEST(sync_mixed_link_protocols);
    CPPUNIT_TEST(sync_without_link);
    CPPUNIT_TEST(sync_and_stats);
    CPPUNIT_TEST(plugin_value_missing);
    CPPUNIT_TEST(plugin_value_is_a_block);
    CPPUNIT_TEST(plugin_key_not_a_word);
    CPPUNIT_TEST(expectation_sync_hex_word);
    CPPUNIT_TEST(stats_netlink_events_reliable);
    CPPUNIT_TEST(stats_output_twice);
    CPPUNIT_TEST(stats_output_bad_name);
    CPPUNIT_TEST(helper_unknown_layer3);
    CPPUNIT_TEST(helper_unknown_layer4);
    CPPUNIT_TEST(helper_upper_case_layer4);
    CPPUNIT_TEST(helper_policy_empty);
    CPPUNIT_TEST(helper_policy_name_too_long);
    CPPUNIT_TEST(helper_queue_num_out_of_range);
    CPPUNIT_TEST(helper_type_without_block);
    CPPUNIT_TEST(cannot_open_file);
    CPPUNIT_TEST(error_changes_nothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void unknown_section() {
        CHECK_ERROR("test.conf:1: unexpected 'general' at top level: expected General, Sync, Stats or Helper "
                    "(keywords are case-sensitive: did you mean 'General'?)",
                    "general {\n}\n");
        CHECK_ERROR("test.conf:4: unexpected 'Foo' at top level: expected General, Sync, Stats or Helper",
                    with_general("Foo { }\n"));
    }

    void unknown_keyword_with_suggestion() {
        CHECK_ERROR("test.conf:3: unexpected 'HashSze' in General block: expected a keyword of this block or "
                    "'}' (did you mean 'HashSize'?)",
                    general_text("HashSze 5"));
        CHECK_ERROR("test.conf:3: unexpected keyword 'Port' in General block: expected a keyword of this block "
                    "or '}'",
                    general_text("Port 5"));
        CHECK_ERROR("test.conf:3: unexpected 'Prio' in General/Scheduler block: expected Type, Priority or '}' "
                    "(did you mean 'Priority'?)",
                    general_text("Scheduler { Prio 5 }"));
    }

    void unclosed_block() {
        CHECK_ERROR("test.conf:4: unexpected end of file in General block (opened at line 1): expected a "
                    "keyword of this block or '}'",
                    "General {\n UNIX { Path /p }\n HashSize 5\n");
        CHECK_ERROR("test.conf:2: unexpected end of file in General/UNIX block (opened at line 2): expected "
                    "Path, Backlog or '}'",
                    "General {\n UNIX { Path /p}");
    }

    void stray_closing_brace() {
        CHECK_ERROR("test.conf:4: unexpected '}' at top level: expected General, Sync, Stats or Helper",
                    with_general("}\n"));
    }

    void stray_character() {
        CHECK_ERROR("test.conf:3: unexpected ';' in General block: expected a keyword of this block or '}'",
                    general_text("HashSize 5;"));
        CHECK_ERROR("test.conf:1: unexpected '\\x0b' in General block: expected a keyword of this block or '}'",
                    "General {\v}\n");
        // A byte of a multi-byte character is shown escaped, not as half a character.
        CHECK_ERROR("test.conf:1: unexpected '\\xc3' in General block: expected a keyword of this block or '}'",
                    "General { \xc3\xa9 }\n");
    }

    void missing_open_brace() {
        CHECK_ERROR("test.conf:4: unexpected keyword 'UDP' in Sync block: expected '{' to open the Mode block",
                    with_general("Sync { Mode FTFW UDP { } }\n"));
    }

    void value_not_a_number() {
        CHECK_ERROR("test.conf:3: unexpected 'abc' in General block: HashSize expects a number",
                    general_text("HashSize abc"));
        CHECK_ERROR("test.conf:3: unexpected '1.2.3.4' in General block: HashLimit expects a number",
                    general_text("HashLimit 1.2.3.4"));
    }

    void value_with_a_sign() {
        CHECK_ERROR("test.conf:3: unexpected '-5' in General block: HashSize expects a number",
                    general_text("HashSize -5"));
        CHECK_ERROR("test.conf:3: unexpected '+5' in General block: HashSize expects a number (written without "
                    "a sign)",
                    general_text("HashSize +5"));
    }

    void value_out_of_range() {
        CHECK_ERROR("test.conf:3: bad value '100' for Priority in General/Scheduler block: expected a number "
                    "from 0 to 99",
                    general_text("Scheduler { Type RR Priority 100 }"));
    }

    void value_too_large() {
        // The reference wraps such numbers silently (4294967296 becomes 0).
        CHECK_ERROR("test.conf:3: bad value '4294967296' for HashSize in General block: expected a number from 0 "
                    "to 4294967295",
                    general_text("HashSize 4294967296"));
        CHECK_ERROR("test.conf:3: bad value '99999999999999999999999' for NetlinkOverrunResync in General "
                    "block: expected a number from 0 to 2147483647",
                    general_text("NetlinkOverrunResync 99999999999999999999999"));
    }

    void value_not_a_boolean() {
        CHECK_ERROR("test.conf:3: unexpected '1' in General block: Systemd expects on or off (yes or no)",
                    general_text("Systemd 1"));
        CHECK_ERROR("test.conf:3: unexpected '-1' in General block: NetlinkOverrunResync expects on, off or a "
                    "number of seconds",
                    general_text("NetlinkOverrunResync -1"));
    }

    void value_relative_path() {
        CHECK_ERROR("test.conf:3: unexpected 'lock' in General block: LockFile expects an absolute path (a path "
                    "starts with '/')",
                    general_text("LockFile lock"));
        CHECK_ERROR("test.conf:3: unexpected 'foo' in General block: LogFile expects on, off or an absolute "
                    "path (a path starts with '/')",
                    general_text("LogFile foo"));
        CHECK_ERROR("test.conf:3: unexpected '\"' in General block: LockFile expects an absolute path",
                    general_text("LockFile \"/tmp/x\""));
    }

    void path_too_long() {
        std::string path = "/" + std::string(256, 'a');
        CHECK_ERROR("test.conf:3: LogFile path is longer than 256 characters in General block (it has 257)",
                    general_text("LogFile " + path));
        CHECK_ERROR("test.conf:3: LockFile path is longer than 256 characters in General block (it has 257)",
                    general_text("LockFile " + path));
    }

    void unix_path_too_long() {
        CHECK_ERROR("test.conf:2: Path path is longer than 107 characters in General/UNIX block (it has 108)",
                    "General {\n UNIX { Path /" + std::string(107, 's') + " }\n}\n");
    }

    void poll_secs_zero() {
        CHECK_ERROR("test.conf:3: bad value '0' for PollSecs in General block: the polling period must be > 0 "
                    "seconds (leave PollSecs out to follow events)",
                    general_text("PollSecs 0"));
    }

    void unknown_scheduler() {
        CHECK_ERROR("test.conf:3: unknown scheduler 'OTHER' in General/Scheduler block: expected RR or FIFO",
                    general_text("Scheduler { Type OTHER }"));
        CHECK_ERROR("test.conf:3: unexpected 'cafe' in General/Scheduler block: Type expects RR or FIFO",
                    general_text("Scheduler { Type cafe }"));
    }

    void nice_without_sign() {
        CHECK_ERROR("test.conf:3: unexpected '5' in General block: Nice expects a signed number such "
                    "as -5 or +5 (Nice is deprecated and ignored: remove it, and use nice(1) if needed)",
                    general_text("Nice 5"));
    }

    void syslog_bad_value() {
        CHECK_ERROR("test.conf:3: unexpected '/dev/log' in General block: Syslog expects on, off or a facility "
                    "(daemon, local0 to local7)",
                    general_text("Syslog /dev/log"));
    }

    void missing_unix_path() {
        // The reference starts anyway and binds a nameless abstract socket.
        CHECK_ERROR("test.conf:2: there is no General block with UNIX { Path ... }: the control socket needs an "
                    "absolute path, e.g. UNIX { Path /var/run/conntrackd.ctl }",
                    "# nothing\n");
        CHECK_ERROR("test.conf:1: the General block has no UNIX { Path ... }: the control socket needs an "
                    "absolute path, e.g. UNIX { Path /var/run/conntrackd.ctl }",
                    "General {\n HashSize 5\n}\n");
        CHECK_ERROR("test.conf:2: the UNIX block has no Path: the control socket needs an absolute path, e.g. "
                    "UNIX { Path /var/run/conntrackd.ctl }",
                    "General {\n UNIX { Backlog 5 }\n}\n");
    }

    void filter_policy_missing() {
        CHECK_ERROR("test.conf:3: unexpected '{' in General/Filter block: Protocol expects Accept or "
                    "Ignore",
                    general_text("Filter { Protocol { TCP } }"));
        CHECK_ERROR("test.conf:3: unexpected 'Drop' in General/Filter block: Protocol expects Accept or "
                    "Ignore",
                    general_text("Filter { Protocol Drop { TCP } }"));
    }

    void filter_from_unknown() {
        CHECK_ERROR("test.conf:3: unexpected 'Userland' in General block: expected Userspace or Kernelspace "
                    "after 'Filter From'",
                    general_text("Filter From Userland { }"));
    }

    void filter_protocol_number() {
        CHECK_ERROR("test.conf:3: unexpected '17' in General/Filter/Protocol block: expected a protocol name "
                    "(TCP, UDP or a name from /etc/protocols) or '}' (write the protocol's name, not its number)",
                    general_text("Filter { Protocol Accept { 17 } }"));
    }

    void filter_states_without_for() {
        CHECK_ERROR("test.conf:4: unexpected '}' in General/Filter/State block: the states from line 3 need "
                    "'for TCP' after them",
                    general_text("Filter { State Accept { ESTABLISHED\n} }"));
    }

    void filter_states_for_udp() {
        CHECK_ERROR("test.conf:3: unexpected keyword 'UDP' in General/Filter/State block: expected TCP after "
                    "'for' (states only apply to TCP)",
                    general_text("Filter { State Accept { ESTABLISHED for UDP } }"));
    }

    void filter_address_not_an_address() {
        CHECK_ERROR("test.conf:3: unexpected '10' in General/Filter/Address block: IPv4_address expects "
                    "an IPv4 address, optionally with a /prefix",
                    general_text("Filter { Address Ignore { IPv4_address 10 } }"));
    }

    void sync_unknown_keyword() {
        CHECK_ERROR("test.conf:5: unexpected keyword 'Checksum' in Sync block: expected a keyword of this block "
                    "or '}'",
                    with_general("Sync {\n Checksum on\n}\n"));
    }

    void sync_mode_not_a_mode() {
        CHECK_ERROR("test.conf:4: unexpected keyword 'UDP' in Sync block: expected a sync mode after Mode: FTFW, "
                    "ALARM or NOTRACK",
                    with_general("Sync { Mode UDP { } }\n"));
    }

    void sync_mode_persistent_lower_case() {
        CHECK_ERROR("test.conf:4: unexpected 'persistent' in Sync block: expected a sync mode after Mode: FTFW, "
                    "ALARM or NOTRACK (persistent is the old name of ALARM: write Mode ALARM)",
                    with_general("Sync { Mode persistent { } }\n"));
    }

    void sync_mode_without_block() {
        CHECK_ERROR("test.conf:5: unexpected '}' in Sync block: expected '{' to open the Mode block",
                    with_general("Sync { Mode ftfw\n}\n"));
    }

    void sync_mode_custom_and_builtin() {
        CHECK_ERROR("test.conf:5: cannot combine Mode quorum with Mode FTFW (line 4): give one sync mode",
                    with_general("Sync { Mode FTFW { }\n Mode quorum { } UDP { } }\n"));
    }

    void sync_too_many_links() {
        CHECK_ERROR("test.conf:9: too many dedicated links: this UDP block is number 5, the maximum is 4",
                    with_general("Sync {\n UDP { }\n UDP { }\n UDP { }\n UDP { }\n UDP { }\n}\n"));
    }

    void sync_mixed_link_protocols() {
        CHECK_ERROR("test.conf:6: cannot use Multicast with the UDP link at line 5: all dedicated links must use "
                    "the same protocol",
                    with_general("Sync {\n UDP { }\n Multicast { }\n}\n"));
    }

    void sync_without_link() {
        CHECK_ERROR("test.conf:4: the Sync block has no dedicated link: add a Multicast, UDP or TCP block",
                    with_general("Sync {\n Mode FTFW { }\n}\n"));
    }

    void sync_and_stats() {
        CHECK_ERROR("test.conf:5: cannot use both Stats and Sync (line 4): conntrackd either collects statistics "
                    "or synchronises",
                    with_general("Sync { UDP { } }\nStats { }\n"));
        CHECK_ERROR("test.conf:5: cannot use both Sync and Stats (line 4): conntrackd either synchronises or "
                    "collects statistics",
                    with_general("Stats { }\nSync { UDP { } }\n"));
    }

    void plugin_value_missing() {
        CHECK_ERROR("test.conf:6: unexpected '}' in Sync/UDP block: expected a value for Port",
                    with_general("Sync { UDP {\n Port\n} }\n"));
        CHECK_ERROR("test.conf:6: unexpected keyword 'Interface' in Sync/UDP block: expected a value for Port (is "
                    "the value missing?)",
                    with_general("Sync { UDP {\n Port\n Interface eth0\n} }\n"));
    }

    void plugin_value_is_a_block() {
        CHECK_ERROR("test.conf:4: unexpected '{' in Sync/Mode FTFW block: ResendQueueSize expects a value, not a "
                    "block",
                    with_general("Sync { Mode FTFW { ResendQueueSize { } } }\n"));
    }

    void plugin_key_not_a_word() {
        // `relative/x` is the word `relative` then the path `/x`.
        CHECK_ERROR("test.conf:4: unexpected '/x' in Stats block: expected a keyword or '}'",
                    with_general("Stats { LogFile relative/x }\n"));
    }

    void expectation_sync_hex_word() {
        CHECK_ERROR("test.conf:4: unexpected 'cafe' in Sync/Options/ExpectationSync block: expected a helper "
                    "name or '}' (a word of 1 to 4 hex digits reads as an address)",
                    with_general("Sync { Options { ExpectationSync { ftp cafe } } UDP { } }\n"));
    }

    void stats_netlink_events_reliable() {
        CHECK_ERROR("test.conf:6: NetlinkEventsReliable belongs in the General block, not in Stats (the manual "
                    "lists it under Stats, but conntrackd never accepted it there)",
                    with_general("Stats {\n LogFile yes\n NetlinkEventsReliable no\n}\n"));
    }

    void stats_output_twice() {
        CHECK_ERROR("test.conf:6: Output is given twice in Stats block (first at line 5): the Stats mode has one "
                    "output",
                    with_general("Stats {\n Output flowlog\n Output xml\n}\n"));
    }

    void stats_output_bad_name() {
        CHECK_ERROR("test.conf:4: unexpected 'Flow-Log' in Stats block: Output expects the name of an "
                    "output plugin, e.g. flowlog or xml",
                    with_general("Stats { Output Flow-Log }\n"));
    }

    void helper_unknown_layer3() {
        CHECK_ERROR("test.conf:4: unknown layer 3 protocol 'ipv4' in Helper block: expected inet or inet6",
                    with_general("Helper { Type ftp ipv4 tcp { } }\n"));
    }

    void helper_unknown_layer4() {
        CHECK_ERROR("test.conf:4: unknown layer 4 protocol 'sctp' in Helper block: expected tcp or udp",
                    with_general("Helper { Type ftp inet sctp { } }\n"));
    }

    void helper_upper_case_layer4() {
        CHECK_ERROR("test.conf:4: unexpected keyword 'TCP' in Helper block: expected the layer 4 protocol in "
                    "lower case: tcp or udp",
                    with_general("Helper { Type ftp inet TCP { } }\n"));
    }

    void helper_policy_empty() {
        CHECK_ERROR("test.conf:4: Policy ftp in Helper/Type ftp inet tcp block is empty: set ExpectMax and "
                    "ExpectTimeout",
                    with_general("Helper { Type ftp inet tcp { Policy ftp { } } }\n"));
    }

    void helper_policy_name_too_long() {
        CHECK_ERROR("test.conf:4: policy name 'abcdefghijklmnopq' is longer than 16 characters",
                    with_general("Helper { Type ftp inet tcp { Policy abcdefghijklmnopq { ExpectMax 1 } } }\n"));
    }

    void helper_queue_num_out_of_range() {
        CHECK_ERROR("test.conf:4: bad value '65536' for QueueNum in Helper/Type ftp inet tcp block: expected a "
                    "number from 0 to 65535",
                    with_general("Helper { Type ftp inet tcp { QueueNum 65536 } }\n"));
    }

    void helper_type_without_block() {
        CHECK_ERROR("test.conf:4: unexpected '}' in Helper block: expected '{' to open the Type block",
                    with_general("Helper { Type ftp inet tcp }\n"));
    }

    void cannot_open_file() {
        std::string error;
        try {
            ctd::config::parse_file("/nonexistent/conntrackd.conf");
        } catch (const ctd::ConfigError &e) {
            error = e.what();
        }
        CPPUNIT_ASSERT_EQUAL(std::string("can't open config file `/nonexistent/conntrackd.conf': No such file or "
                                         "directory"),
                             error);
    }

    void error_changes_nothing() {
        // A failed parse leaves no trace: the next parse of a good text
        // gives exactly what it gives alone.
        std::string good = general_text("HashSize 5");
        std::string alone = ctd::config::to_string(cfg_test::parse(good));
        CPPUNIT_ASSERT(error_of(general_text("HashSize 7\nHashLimit x")) != "(accepted)");
        CPPUNIT_ASSERT_EQUAL(alone, ctd::config::to_string(cfg_test::parse(good)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ErrorTest);
