// conntrackd's command line.
//
// The reference parses its options by hand and dispatches each word on its
// second character only ("-x", "-xyz" and "xd"... all count), with optional
// table/parameter words taken from the next word when it does not start
// with '-'.  Scripts rely on those rules, so they are kept exactly.  New
// options are long ones ("--name"), which the reference would reject.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ctd {

// Request codes of the UNIX control socket (reference-behaviour §5).
enum ControlRequest : int {
    req_ct_flush_master = 0,
    req_ct_resync_master = 1,
    req_ct_dump_internal = 16,
    req_ct_dump_external = 17,
    req_ct_commit = 18,
    req_ct_flush_cache = 19,
    req_kill = 20,
    req_stats = 21,
    req_send_bulk = 22,
    req_request_dump = 23,
    req_ct_dump_int_xml = 24,
    req_ct_dump_ext_xml = 25,
    req_reset_timers = 26,
    req_debug_info = 27,
    req_stats_network = 28,
    req_stats_cache = 29,
    req_stats_runtime = 30,
    req_stats_link = 31,
    req_stats_rsqueue = 32,
    req_ct_flush_int_cache = 33,
    req_ct_flush_ext_cache = 34,
    req_stats_process = 35,
    req_stats_queue = 36,
    req_exp_stats = 37,
    req_exp_flush_master = 38,
    req_exp_resync_master = 39,
    req_exp_dump_internal = 40,
    req_exp_dump_external = 41,
    req_exp_commit = 42,
    req_all_flush_master = 43,
    req_all_resync_master = 44,
    req_all_flush_cache = 45,
    req_all_commit = 46,
    req_exp_dump_int_xml = 47,
    req_exp_dump_ext_xml = 48,
};

struct Options {
    enum class Mode { none, daemon, request, version, help, list_plugins, plugin_info };
    Mode mode = Mode::none;
    bool daemonize = false;             // -d
    std::optional<int> request;         // REQUEST mode: the code to send
    std::string config_file = "/etc/conntrackd/conntrackd.conf";
    std::vector<std::string> plugin_dirs; // --plugin-dir, repeatable
    std::string plugin_spec;            // --plugin-info KIND/NAME
    bool config_test = false;           // --config-test
};

// What parsing ended with: either options to act on, or an exit now with
// text already decided (usage, messages) and a status.
struct ParseOutcome {
    Options options;
    bool exit_now = false;
    int exit_status = 0;
    bool show_usage = false;
    std::vector<std::string> warnings; // logged as [warning]
    std::string error;                 // logged as [ERROR]
};

ParseOutcome parse_options(const std::vector<std::string> &args);

// The usage text, for -h and errors.
std::string usage_text(const std::string &program);
std::string version_text();

} // namespace ctd
