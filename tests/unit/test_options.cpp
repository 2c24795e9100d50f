// conntrackd's command line keeps the reference's parsing rules.
#include <cppunit/extensions/HelperMacros.h>

#include "options.hpp"

using namespace ctd;

namespace {
ParseOutcome parse(std::vector<std::string> words) {
    words.insert(words.begin(), "conntrackd");
    return parse_options(words);
}
} // namespace

class OptionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OptionsTest);
    CPPUNIT_TEST(no_arguments_runs_daemon_in_console);
    CPPUNIT_TEST(second_character_dispatch);
    CPPUNIT_TEST(table_words_are_prefixes);
    CPPUNIT_TEST(table_word_not_consumed_when_not_a_table);
    CPPUNIT_TEST(stats_parameters);
    CPPUNIT_TEST(flush_parameters);
    CPPUNIT_TEST(xml_needs_dump);
    CPPUNIT_TEST(daemon_and_request_conflict);
    CPPUNIT_TEST(config_file);
    CPPUNIT_TEST(unknown_option);
    CPPUNIT_TEST(long_options);
    CPPUNIT_TEST_SUITE_END();

public:
    void no_arguments_runs_daemon_in_console() {
        ParseOutcome r = parse({});
        CPPUNIT_ASSERT(!r.exit_now);
        CPPUNIT_ASSERT(r.options.mode == Options::Mode::none);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/conntrackd/conntrackd.conf"), r.options.config_file);
    }
    void second_character_dispatch() {
        CPPUNIT_ASSERT(parse({"-d"}).options.daemonize);
        CPPUNIT_ASSERT(parse({"xd"}).options.daemonize);
        CPPUNIT_ASSERT(parse({"-dfoo"}).options.daemonize);
        CPPUNIT_ASSERT_EQUAL(int(req_kill), *parse({"-k"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_send_bulk), *parse({"-B"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_request_dump), *parse({"-n"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_reset_timers), *parse({"-t"}).options.request);
    }
    void table_words_are_prefixes() {
        CPPUNIT_ASSERT_EQUAL(int(req_all_commit), *parse({"-c"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_ct_commit), *parse({"-c", "ct"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_exp_commit), *parse({"-c", "exp"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_exp_dump_internal), *parse({"-i", "e"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_ct_dump_external), *parse({"-e"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_all_flush_master), *parse({"-F"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_exp_resync_master), *parse({"-R", "expect"}).options.request);
    }
    void table_word_not_consumed_when_not_a_table() {
        // "foo" is then parsed as an option: its second character 'o' is
        // unknown.
        ParseOutcome r = parse({"-c", "foo"});
        CPPUNIT_ASSERT(r.exit_now);
        CPPUNIT_ASSERT_EQUAL(std::string("Unknown option: foo"), r.error);
    }
    void stats_parameters() {
        CPPUNIT_ASSERT_EQUAL(int(req_stats), *parse({"-s"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_network), *parse({"-s", "net"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_cache), *parse({"-s", "cache"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_runtime), *parse({"-s", "r"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_link), *parse({"-s", "link"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_rsqueue), *parse({"-s", "rs"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_process), *parse({"-s", "process"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats_queue), *parse({"-s", "queue"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_stats), *parse({"-s", "ct"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_exp_stats), *parse({"-s", "expect"}).options.request);
        ParseOutcome m = parse({"-s", "multicast"});
        CPPUNIT_ASSERT_EQUAL(int(req_stats_link), *m.options.request);
        CPPUNIT_ASSERT_EQUAL(size_t(1), m.warnings.size());
        CPPUNIT_ASSERT_EQUAL(std::string("use `link' instead of `multicast' as parameter."),
                             m.warnings[0]);
        ParseOutcome bad = parse({"-s", "bogus"});
        CPPUNIT_ASSERT(bad.exit_now);
        CPPUNIT_ASSERT_EQUAL(1, bad.exit_status);
        CPPUNIT_ASSERT(!bad.show_usage);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown parameter `bogus' for option `-s'"), bad.error);
    }
    void flush_parameters() {
        CPPUNIT_ASSERT_EQUAL(int(req_all_flush_cache), *parse({"-f"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_ct_flush_int_cache), *parse({"-f", "in"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_ct_flush_ext_cache), *parse({"-f", "external"}).options.request);
        ParseOutcome bad = parse({"-f", "bad"});
        CPPUNIT_ASSERT_EQUAL(std::string("unknown parameter `bad' for option `-f'"), bad.error);
        CPPUNIT_ASSERT_EQUAL(1, bad.exit_status);
    }
    void xml_needs_dump() {
        CPPUNIT_ASSERT_EQUAL(int(req_ct_dump_int_xml), *parse({"-i", "-x"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_ct_dump_ext_xml), *parse({"-e", "ct", "-x"}).options.request);
        CPPUNIT_ASSERT_EQUAL(int(req_exp_dump_int_xml), *parse({"-i", "exp", "-x"}).options.request);
        ParseOutcome bad = parse({"-x"});
        CPPUNIT_ASSERT(bad.exit_now && bad.show_usage);
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid parameters"), bad.error);
        CPPUNIT_ASSERT_EQUAL(1, bad.exit_status);
    }
    void daemon_and_request_conflict() {
        ParseOutcome r = parse({"-d", "-k"});
        CPPUNIT_ASSERT(r.exit_now && r.show_usage);
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid parameters"), r.error);
        CPPUNIT_ASSERT_EQUAL(1, r.exit_status);
    }
    void config_file() {
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/a.conf"), parse({"-C", "/tmp/a.conf", "-s"}).options.config_file);
        ParseOutcome missing = parse({"-C"});
        CPPUNIT_ASSERT(missing.exit_now && missing.show_usage);
        CPPUNIT_ASSERT_EQUAL(std::string("Missing config filename"), missing.error);
        CPPUNIT_ASSERT_EQUAL(1, missing.exit_status);
    }
    void unknown_option() {
        ParseOutcome r = parse({"-Z"});
        CPPUNIT_ASSERT(r.exit_now && r.show_usage);
        CPPUNIT_ASSERT_EQUAL(std::string("Unknown option: -Z"), r.error);
        CPPUNIT_ASSERT_EQUAL(1, r.exit_status);
        CPPUNIT_ASSERT_EQUAL(std::string("Unknown option: --bogus"), parse({"--bogus"}).error);
    }
    void long_options() {
        ParseOutcome r = parse({"--plugin-dir", "/a", "--plugin-dir=/b", "--plugins"});
        CPPUNIT_ASSERT(!r.exit_now);
        CPPUNIT_ASSERT(r.options.mode == Options::Mode::list_plugins);
        CPPUNIT_ASSERT_EQUAL(size_t(2), r.options.plugin_dirs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/b"), r.options.plugin_dirs[1]);
        ParseOutcome info = parse({"--plugin-info", "output/flowlog"});
        CPPUNIT_ASSERT(info.options.mode == Options::Mode::plugin_info);
        CPPUNIT_ASSERT_EQUAL(std::string("output/flowlog"), info.options.plugin_spec);
        ParseOutcome missing = parse({"--plugin-info"});
        CPPUNIT_ASSERT(missing.exit_now);
        CPPUNIT_ASSERT_EQUAL(std::string("option `--plugin-info' requires an argument"), missing.error);
        CPPUNIT_ASSERT(parse({"--config-test"}).options.config_test);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OptionsTest);
