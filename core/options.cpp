#include "options.hpp"

#include "config.h"

#include <cstring>

namespace ctd {

namespace {

// strncmp(word, full, strlen(word)) == 0: the reference's prefix match,
// under which an empty word matches too.
bool prefix_of(const std::string &word, const char *full) {
    return std::strncmp(word.c_str(), full, word.size()) == 0;
}

bool takes_parameter(const std::vector<std::string> &args, size_t i) {
    return i + 1 < args.size() && (args[i + 1].empty() || args[i + 1][0] != '-');
}

} // namespace

std::string version_text() {
    return "Connection tracking userspace daemon v" CTD_REFERENCE_VERSION
           ". Licensed under GPLv2.\n(C) 2006-2009 Pablo Neira Ayuso <pablo@netfilter.org>\n";
}

std::string usage_text(const std::string &program) {
    return "Connection tracking userspace daemon v" CTD_REFERENCE_VERSION "\n"
           "Usage: " + program + " [commands] [options]\n"
           "\n"
           "General commands:\n"
           "  -d, run in daemon mode\n"
           "  -C [configfile], configuration file path\n"
           "  -v, display conntrackd version\n"
           "  -h, display this help information\n"
           "\n"
           "Client mode commands:\n"
           "  -c [ct|expect], commit external cache to conntrack table\n"
           "  -f [internal|external], flush internal and external cache\n"
           "  -F [ct|expect], flush kernel conntrack table\n"
           "  -i [ct|expect], display content of the internal cache\n"
           "  -e [ct|expect], display the content of the external cache\n"
           "  -k, kill conntrack daemon\n"
           "  -s  [network|cache|runtime|link|rsqueue|queue|ct|expect], dump statistics\n"
           "  -R [ct|expect], resync with kernel conntrack table\n"
           "  -n, request resync with other node (only FT-FW and NOTRACK modes)\n"
           "  -B, force a bulk send to other replica firewalls\n"
           "  -x, dump cache in XML format (requires -i or -e)\n"
           "  -t, reset the kernel timeout (see PurgeTimeout clause)\n"
           "\n"
           "Options of this implementation:\n"
           "  --config-test, check the configuration and its plugins, then exit\n"
           "  --plugins, list the plugins found, with kind, name, version and ABI\n"
           "  --plugin-info KIND/NAME, load one plugin and describe it and its keywords\n"
           "  --plugin-dir DIR, also look for plugins in DIR (before the default)\n"
           "\n";
}

ParseOutcome parse_options(const std::vector<std::string> &args) {
    ParseOutcome out;
    Options &o = out.options;
    const std::string program = args.empty() ? "conntrackd" : args[0];

    auto fail_usage = [&](const std::string &error, int status) {
        out.exit_now = true;
        out.show_usage = true;
        out.error = error;
        out.exit_status = status;
    };
    // Daemon mode and client requests cannot be mixed.
    auto set_mode = [&](Options::Mode mode) {
        if (o.mode != Options::Mode::none && o.mode != mode) {
            fail_usage("Invalid parameters", 1);
            return false;
        }
        o.mode = mode;
        return true;
    };
    // "-c [ct|expect]" and its siblings: the table word is consumed only if
    // it names a table; anything else is parsed as the next option.
    auto set_by_table = [&](size_t &i, int ct, int expect, int both) {
        if (takes_parameter(args, i)) {
            if (prefix_of(args[i + 1], "ct")) {
                o.request = ct;
                ++i;
                return;
            }
            if (prefix_of(args[i + 1], "expect")) {
                o.request = expect;
                ++i;
                return;
            }
        }
        o.request = both;
    };

    for (size_t i = 1; i < args.size() && !out.exit_now; ++i) {
        const std::string &word = args[i];
        if (word.size() > 2 && word.compare(0, 2, "--") == 0) {
            // Our long options.
            std::string name = word.substr(2), value;
            bool has_value = false;
            if (size_t eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                has_value = true;
            }
            auto need_value = [&]() {
                if (has_value)
                    return true;
                if (i + 1 < args.size()) {
                    value = args[++i];
                    return true;
                }
                fail_usage("option `--" + name + "' requires an argument", 1);
                return false;
            };
            if (name == "plugins") {
                set_mode(Options::Mode::list_plugins);
            } else if (name == "plugin-dir") {
                if (need_value())
                    o.plugin_dirs.push_back(value);
            } else if (name == "plugin-info") {
                if (need_value() && set_mode(Options::Mode::plugin_info))
                    o.plugin_spec = value;
            } else if (name == "config-test") {
                o.config_test = true;
            } else if (name == "help") {
                out.exit_now = true;
                out.show_usage = true;
                out.exit_status = 0;
            } else if (name == "version") {
                o.mode = Options::Mode::version;
                out.exit_now = true;
            } else {
                fail_usage("Unknown option: " + word, 1);
            }
            continue;
        }

        char letter = word.size() > 1 ? word[1] : '\0';
        switch (letter) {
        case 'd':
            if (set_mode(Options::Mode::daemon))
                o.daemonize = true;
            break;
        case 'c':
            if (set_mode(Options::Mode::request))
                set_by_table(i, req_ct_commit, req_exp_commit, req_all_commit);
            break;
        case 'i':
            if (set_mode(Options::Mode::request))
                set_by_table(i, req_ct_dump_internal, req_exp_dump_internal, req_ct_dump_internal);
            break;
        case 'e':
            if (set_mode(Options::Mode::request))
                set_by_table(i, req_ct_dump_external, req_exp_dump_external, req_ct_dump_external);
            break;
        case 'C':
            if (i + 1 < args.size()) {
                o.config_file = args[++i];
            } else {
                // 1.4.7 goes on with the default file after this message, a
                // bug 1.4.9 fixed by exiting 1; we follow 1.4.9.
                fail_usage("Missing config filename", 1);
            }
            break;
        case 'F':
            if (set_mode(Options::Mode::request))
                set_by_table(i, req_ct_flush_master, req_exp_flush_master, req_all_flush_master);
            break;
        case 'f':
            if (!set_mode(Options::Mode::request))
                break;
            if (takes_parameter(args, i)) {
                if (prefix_of(args[i + 1], "internal")) {
                    o.request = req_ct_flush_int_cache;
                    ++i;
                } else if (prefix_of(args[i + 1], "external")) {
                    o.request = req_ct_flush_ext_cache;
                    ++i;
                } else {
                    out.exit_now = true;
                    out.exit_status = 1;
                    out.error = "unknown parameter `" + args[i + 1] + "' for option `-f'";
                }
            } else {
                o.request = req_all_flush_cache;
            }
            break;
        case 'R':
            if (set_mode(Options::Mode::request))
                set_by_table(i, req_ct_resync_master, req_exp_resync_master, req_all_resync_master);
            break;
        case 'B':
            if (set_mode(Options::Mode::request))
                o.request = req_send_bulk;
            break;
        case 't':
            if (set_mode(Options::Mode::request))
                o.request = req_reset_timers;
            break;
        case 'k':
            if (set_mode(Options::Mode::request))
                o.request = req_kill;
            break;
        case 'n':
            if (set_mode(Options::Mode::request))
                o.request = req_request_dump;
            break;
        case 's':
            if (!set_mode(Options::Mode::request))
                break;
            o.request = req_stats;
            if (takes_parameter(args, i)) {
                const std::string &p = args[i + 1];
                static const struct {
                    const char *word;
                    int request;
                } params[] = {
                    {"network", req_stats_network}, {"cache", req_stats_cache},
                    {"runtime", req_stats_runtime}, {"multicast", req_stats_link},
                    {"link", req_stats_link},       {"rsqueue", req_stats_rsqueue},
                    {"process", req_stats_process}, {"queue", req_stats_queue},
                    {"ct", req_stats},              {"expect", req_exp_stats},
                };
                bool matched = false;
                for (const auto &param : params) {
                    if (prefix_of(p, param.word)) {
                        if (std::strcmp(param.word, "multicast") == 0)
                            out.warnings.push_back(
                                "use `link' instead of `multicast' as parameter.");
                        o.request = param.request;
                        matched = true;
                        ++i;
                        break;
                    }
                }
                if (!matched) {
                    out.exit_now = true;
                    out.exit_status = 1;
                    out.error = "unknown parameter `" + p + "' for option `-s'";
                }
            }
            break;
        case 'x':
            if (o.request == req_ct_dump_internal)
                o.request = req_ct_dump_int_xml;
            else if (o.request == req_ct_dump_external)
                o.request = req_ct_dump_ext_xml;
            else if (o.request == req_exp_dump_internal)
                o.request = req_exp_dump_int_xml;
            else if (o.request == req_exp_dump_external)
                o.request = req_exp_dump_ext_xml;
            else
                fail_usage("Invalid parameters", 1);
            break;
        case 'v':
            o.mode = Options::Mode::version;
            out.exit_now = true;
            break;
        case 'h':
            out.exit_now = true;
            out.show_usage = true;
            out.exit_status = 0;
            break;
        default:
            // 1.4.7 exits 0 here, a bug 1.4.9 fixed: we exit 1 like 1.4.9
            // (docs/compatibility.md).
            fail_usage("Unknown option: " + word, 1);
            break;
        }
    }
    return out;
}

} // namespace ctd
