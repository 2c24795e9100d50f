// to_string(): the model as text, every default visible.  Tests compare it;
// people debugging a config read it.
#include "config/config.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sched.h>
#include <sstream>

namespace ctd::config {

namespace {

const char *on_off(bool value) { return value ? "on" : "off"; }

std::string kind_name(PluginKind kind) {
    const char *name = plugin_kind_name(kind);
    return name ? name : "?";
}

void dump_block(std::ostringstream &out, const std::string &indent, const std::string &label,
                const PluginBlock &block) {
    out << indent << label << ": " << kind_name(block.kind) << "/" << block.name << " ["
        << block.block << "] line " << block.line << "\n";
    for (const ConfigEntry &e : block.entries)
        out << indent << "  " << e.key << " " << e.value << " (line " << e.line << ")\n";
}

std::string address_text(const FilterAddress &a) {
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(a.family, a.address.data(), text, sizeof text);
    return text;
}

std::string protocol_text(uint8_t protocol) {
    struct protoent entry {}, *found = nullptr;
    char buffer[1024];
    std::string name = "?";
    if (getprotobynumber_r(protocol, &entry, buffer, sizeof buffer, &found) == 0 && found)
        name = found->p_name;
    return name + "(" + std::to_string(protocol) + ")";
}

const char *policy_text(const std::optional<FilterPolicy> &policy) {
    if (!policy)
        return "not set";
    return *policy == FilterPolicy::accept ? "accept" : "ignore";
}

void dump_general(std::ostringstream &out, const General &g) {
    out << "General: " << (g.line ? "line " + std::to_string(g.line) : "not written") << "\n";
    auto optional_number = [](const std::optional<uint32_t> &n, const char *absent) {
        return n ? std::to_string(*n) : std::string(absent);
    };
    out << "  HashSize: " << optional_number(g.hash_size, "from nf_conntrack_max") << "\n";
    out << "  HashLimit: " << optional_number(g.hash_limit, "from nf_conntrack_max") << "\n";
    out << "  LogFile: " << (g.log_file.empty() ? "off" : g.log_file) << "\n";
    const char *facility = g.syslog_facility ? syslog_facility_name(*g.syslog_facility) : nullptr;
    out << "  Syslog: " << (g.syslog_facility ? (facility ? facility : "?") : "off") << "\n";
    out << "  LockFile: " << g.lock_file << "\n";
    out << "  UNIX Path: " << g.unix_path << "\n";
    out << "  NetlinkBufferSize: " << optional_number(g.netlink_buffer_size, "system default") << "\n";
    out << "  NetlinkBufferSizeMaxGrowth: "
        << optional_number(g.netlink_buffer_size_max_growth, "not set") << "\n";
    out << "  NetlinkOverrunResync: "
        << (g.netlink_overrun_resync < 0 ? std::string("off")
                                         : std::to_string(g.netlink_overrun_resync) + " s")
        << "\n";
    out << "  NetlinkEventsReliable: " << on_off(g.netlink_events_reliable) << "\n";
    out << "  PollSecs: " << (g.poll_secs ? std::to_string(*g.poll_secs) + " s" : "off (events)")
        << "\n";
    out << "  EventIterationLimit: " << g.event_iteration_limit << "\n";
    out << "  Scheduler: " << (g.scheduler.effective_type() == SCHED_FIFO ? "FIFO" : "RR")
        << " priority " << g.scheduler.effective_priority()
        << (g.scheduler.type ? "" : " (default)") << "\n";
    out << "  Systemd: " << on_off(g.systemd) << "\n";

    const Filter &f = g.filter;
    if (!f.configured) {
        out << "  Filter: none\n";
        return;
    }
    out << "  Filter: from " << (f.kernelspace ? "kernelspace" : "userspace") << ", line " << f.line
        << "\n";
    out << "    Protocol: " << policy_text(f.protocol.policy);
    for (uint8_t p : f.protocol.protocols)
        out << " " << protocol_text(p);
    out << "\n    Address: " << policy_text(f.address.policy);
    for (const FilterAddress &a : f.address.hosts)
        out << " " << address_text(a);
    for (const FilterAddress &a : f.address.networks)
        out << " " << address_text(a) << "/" << unsigned(a.prefix);
    out << "\n    State: " << policy_text(f.state.policy);
    for (uint8_t s : f.state.tcp_states) {
        const char *name = tcp_state_name(s);
        out << " " << (name ? name : "?");
    }
    out << "\n";
}

void dump_sync(std::ostringstream &out, const Sync &s) {
    if (!s.configured) {
        out << "Sync: not configured\n";
        return;
    }
    out << "Sync: line " << s.line << "\n";
    dump_block(out, "  ", s.mode_defaulted ? "Mode (default)" : "Mode", s.mode);
    for (const PluginBlock &other : s.other_modes)
        dump_block(out, "  ", "Unused mode", other);
    for (const ConfigEntry &e : s.legacy_timers)
        out << "  Sync-level " << e.key << " " << e.value << " (line " << e.line << ")\n";
    for (size_t i = 0; i < s.links.size(); ++i)
        dump_block(out, "  ",
                   "Link " + std::to_string(i + 1) + (i == s.default_link ? " (default)" : ""),
                   s.links[i]);
    out << "  TCPWindowTracking: " << on_off(s.tcp_window_tracking) << "\n";
    out << "  ExpectationSync: " << on_off(s.expectation_sync);
    if (s.expectation_sync) {
        if (s.expectation_helpers.empty())
            out << " (all helpers)";
        for (const std::string &h : s.expectation_helpers)
            out << " " << h;
    }
    out << "\n";
}

void dump_stats(std::ostringstream &out, const Stats &st) {
    if (!st.configured) {
        out << "Stats: not configured\n";
        return;
    }
    out << "Stats: line " << st.line << "\n";
    dump_block(out, "  ", "Output", st.output);
}

void dump_helper(std::ostringstream &out, const Helper &h) {
    if (!h.configured) {
        out << "Helper: not configured\n";
        return;
    }
    out << "Helper: line " << h.line << "\n";
    out << "  Setup: " << on_off(h.setup) << "\n";
    for (const HelperType &t : h.types) {
        dump_block(out, "  ", "Type", t.plugin);
        out << "    family " << (t.family == AF_INET6 ? "inet6" : "inet") << ", protocol "
            << (t.l4proto == IPPROTO_TCP ? "tcp" : "udp") << ", QueueNum " << t.queue_num
            << ", QueueLen " << t.queue_len << "\n";
        if (t.policies.empty())
            out << "    Policy: the helper's own\n";
        for (const HelperPolicy &p : t.policies)
            out << "    Policy " << p.name << ": ExpectMax " << p.expect_max << ", ExpectTimeout "
                << p.expect_timeout << " (line " << p.line << ")\n";
    }
}

} // namespace

std::string to_string(const Config &config) {
    std::ostringstream out;
    out << "File: " << config.file << "\n";
    dump_general(out, config.general);
    dump_sync(out, config.sync);
    dump_stats(out, config.stats);
    dump_helper(out, config.helper);
    for (const std::string &w : config.warnings)
        out << "Warning: " << w << "\n";
    return out.str();
}

} // namespace ctd::config
