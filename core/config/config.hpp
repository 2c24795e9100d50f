// The conntrackd.conf model: what a configuration file says, typed, with the
// reference's defaults and quirks applied (conntrack-tools 1.4.7, spec
// sections 2 and 3).
//
// Core-owned settings (General, the structure of Sync, Filter, Scheduler,
// Helper Types...) are parsed and checked here.  The blocks that belong to a
// plugin (the sync mode, each dedicated link, the stats output, each helper)
// are kept as a PluginBlock: plugin kind and name, the block's line, and its
// `Key value` entries in file order.  The core checks those later with
// PluginConfig against the keys the loaded plugin declares:
//
//     for (const ctd::config::PluginBlock *block : config.plugin_blocks()) {
//         auto plugin = loader.load(block->kind, block->name);
//         ctd::PluginConfig checked(config.file, block->block, block->line,
//                                   plugin->config_keys(),
//                                   ctd::config::effective_entries(config, *block,
//                                                                  plugin->config_keys()));
//         ...
//     }
//
// Parsing is a pure function: it returns a new Config or throws ConfigError
// (one line, "file:line: what was found and what was expected"); nothing
// else changes.  Warnings (deprecated keywords, ignored values...) are
// returned in Config::warnings for the caller to log.
#pragma once

#include "plugin_config.hpp"
#include "plugin_loader.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>

namespace ctd::config {

// Defaults and limits of the reference.
inline constexpr const char *default_lock_file = "/var/lock/conntrackd.lock";
inline constexpr const char *default_log_file = "/var/log/conntrackd.log";           // General LogFile on
inline constexpr const char *default_stats_log_file = "/var/log/conntrackd-stats.log"; // Stats LogFile on
inline constexpr const char *default_output = "flowlog";                              // Stats Output
inline constexpr uint32_t default_event_iteration_limit = 100;
inline constexpr int default_netlink_overrun_resync = 30; // seconds
inline constexpr size_t max_path_length = 256;            // LogFile, LockFile
inline constexpr size_t max_unix_path_length = 107;       // UNIX Path (sun_path minus the NUL)
inline constexpr size_t max_links = 4;                    // dedicated links in Sync
inline constexpr size_t max_helper_policy_name = 16;      // Policy <name>

// A block that belongs to a plugin.
struct PluginBlock {
    PluginKind kind = PluginKind::sync;
    std::string name;  // plugin name: "ftfw", "udp", "mcast", "flowlog", "ftp", ...
    std::string block; // the block as messages name it: "Sync/Mode FTFW", "Sync/UDP",
                       // "Stats", "Helper/Type ftp inet tcp"
    uint32_t line = 0; // line of the block's first word (0: implied, e.g. no Mode block)
    std::vector<ConfigEntry> entries; // the keys the plugin owns, in file order, as written
};

// ---------------------------------------------------------------------------
// General

enum class FilterPolicy { accept, ignore };

// One IPv4_address / IPv6_address of a Filter's Address set.
struct FilterAddress {
    int family = AF_INET;               // AF_INET or AF_INET6
    std::array<uint8_t, 16> address{};  // network byte order; IPv4 uses the first 4 bytes
    uint8_t prefix = 32;                // 32 or 128 for a host
    std::string text;                   // as written
    uint32_t line = 0;
};

// Filter [From Userspace|From Kernelspace] { Protocol/Address/State ... }.
// A set whose policy is empty was never configured: it lets everything pass.
// A configured set with no members is still a set: `Protocol Accept { }`
// accepts no protocol at all, as in the reference.
struct Filter {
    bool configured = false;  // at least one Filter block
    bool kernelspace = false; // From Kernelspace (the last Filter block decides)
    uint32_t line = 0;        // first Filter block

    struct ProtocolSet {
        std::optional<FilterPolicy> policy;
        std::vector<uint8_t> protocols; // IPPROTO_* values, each once, in file order
    } protocol;

    // Hosts match the original source or the reply source exactly; networks
    // (written with a prefix shorter than the address) match them under the
    // mask.  The user-space filter tests networks first.
    struct AddressSet {
        std::optional<FilterPolicy> policy;
        std::vector<FilterAddress> hosts;    // each once
        std::vector<FilterAddress> networks; // each (address, prefix) once
    } address;

    // TCP states (TCP_CONNTRACK_* values); the set only applies to TCP flows.
    struct StateSet {
        std::optional<FilterPolicy> policy;
        std::vector<uint8_t> tcp_states; // each once, in file order
    } state;
};

// Scheduler { Type RR|FIFO  Priority N }.
struct Scheduler {
    std::optional<int> type;     // SCHED_RR or SCHED_FIFO, when Type was given
    std::optional<int> priority; // Priority as given
    // What the daemon asks sched_setscheduler() for.  The reference ignores
    // Priority without Type and then uses SCHED_RR at the highest priority;
    // with Type it uses Priority (0 when absent, which the kernel refuses
    // for a real-time policy: the daemon then warns and keeps its scheduler).
    int effective_type() const;
    int effective_priority() const;
};

struct General {
    uint32_t line = 0; // first General block (0: none)
    // HashSize / HashLimit: absent (or 0, which the reference treats as
    // absent) lets the daemon size the caches from nf_conntrack_max.
    std::optional<uint32_t> hash_size;
    std::optional<uint32_t> hash_limit;
    std::string log_file;                // empty: off
    std::optional<int> syslog_facility;  // LOG_DAEMON, LOG_LOCAL0..7; empty: off
    std::string lock_file = default_lock_file;
    std::string unix_path;               // required (checked by the parser)
    std::optional<uint32_t> netlink_buffer_size;            // empty: system default
    std::optional<uint32_t> netlink_buffer_size_max_growth; // empty: never grows
    int netlink_overrun_resync = default_netlink_overrun_resync; // seconds, -1: off
    bool netlink_events_reliable = false;
    std::optional<uint32_t> poll_secs;   // set: poll the table every N s instead of events
    uint32_t event_iteration_limit = default_event_iteration_limit;
    Scheduler scheduler;
    bool systemd = true;
    Filter filter;
};

// ---------------------------------------------------------------------------
// Sync

struct Sync {
    bool configured = false;
    uint32_t line = 0; // first Sync block

    // The sync mode plugin.  Without a Mode block it is FTFW (line 0) and
    // mode_defaulted is set.  With several Mode blocks the reference's
    // precedence FTFW > ALARM > NOTRACK chooses; blocks of the same mode are
    // merged (entries in file order).
    PluginBlock mode;
    bool mode_defaulted = false;
    // Mode blocks of the modes that lost, in file order.  The reference
    // keeps every timer globally, so effective_entries() passes their
    // entries on when the chosen mode declares the same key.
    std::vector<PluginBlock> other_modes;
    // Legacy RefreshTime / CacheTimeout / CommitTimeout / PurgeTimeout
    // written directly in Sync; effective_entries() passes them to the mode.
    std::vector<ConfigEntry> legacy_timers;

    // Dedicated links, in file order: 1 to max_links, all of one transport.
    std::vector<PluginBlock> links;
    size_t default_link = 0; // the (last) one marked Default, else the first

    // Options { }
    bool tcp_window_tracking = false;
    bool expectation_sync = false;
    // Helper names whose expectations are synced (a case-insensitive prefix
    // match); empty means every helper.
    std::vector<std::string> expectation_helpers;
};

// ---------------------------------------------------------------------------
// Stats

struct Stats {
    bool configured = false;
    uint32_t line = 0; // first Stats block
    // The output plugin: `Output <name>` (default flowlog) and every other
    // key of the Stats block (LogFile and Syslog for flowlog).
    PluginBlock output;
};

// ---------------------------------------------------------------------------
// Helper

struct HelperPolicy {
    std::string name;
    uint32_t expect_max = 0;     // fields left out are 0, as in the reference
    uint32_t expect_timeout = 0;
    uint32_t line = 0;
};

// Type <helper> inet|inet6 tcp|udp { QueueNum QueueLen Policy ... }
struct HelperType {
    PluginBlock plugin; // kind helper, name <helper>; entries: keys the core does not own
    int family = AF_INET;          // inet: AF_INET, inet6: AF_INET6
    uint8_t l4proto = IPPROTO_TCP; // IPPROTO_TCP or IPPROTO_UDP
    uint16_t queue_num = 0;        // NFQUEUE number
    uint32_t queue_len = 0;        // NFQA_CFG_QUEUE_MAXLEN; 0: not sent (kernel default)
    // When not empty, these replace the helper's built-in policies (check
    // them with check_helper_type()).  One per name: like the
    // reference, the first block of a name counts.
    std::vector<HelperPolicy> policies;
};

struct Helper {
    bool configured = false;
    uint32_t line = 0; // first Helper block
    bool setup = false; // Setup on: create the kernel helpers (send PRIV_DATA_LEN)
    std::vector<HelperType> types; // in file order
};

// ---------------------------------------------------------------------------

struct Config {
    std::string file; // the name used in messages
    General general;
    Sync sync;
    Stats stats;
    Helper helper;
    // "file:line: text", in the order found.  The caller logs them at
    // warning level.
    std::vector<std::string> warnings;

    // Every plugin block, in the order the daemon sets them up: the sync
    // mode, the links, the stats output, the helpers.
    std::vector<const PluginBlock *> plugin_blocks() const;
};

// Reads and parses a file.  Throws ConfigError if it cannot be read or is
// not valid.
Config parse_file(const std::string &path);

// Parses text; `file_name` is only used in messages.
Config parse_text(std::string_view text, const std::string &file_name);

// The entries to check with PluginConfig for `block`, given the keys the
// loaded plugin declares:
//  - for the sync mode, the legacy Sync-level timers and the entries of the
//    other Mode blocks whose key the mode declares are merged in, in file
//    order (the reference stores all of them globally);
//  - a key given several times that the plugin does not declare
//    CTD_CONFIG_REPEATABLE keeps its last value (the reference's rule), and
//    a warning "file:line: ..." is appended to `warnings` if it is given.
std::vector<ConfigEntry> effective_entries(const Config &config, const PluginBlock &block,
                                           const std::vector<ctd_config_key> &declared,
                                           std::vector<std::string> *warnings = nullptr);

// Checks a Helper Type against the helper plugin that was loaded for it
// (struct ctd_helper_ops): the layer 4 protocol must be the plugin's (0 in
// the plugin means any), and every Policy name must be one of the plugin's
// built-in policies.  Throws ConfigError "file:line: ..." otherwise.
void check_helper_type(const Config &config, const HelperType &type, const ctd_helper_ops &ops);

// A readable dump of the whole model, one setting per line, with every
// default made visible.  For debugging and tests; not a config file.
std::string to_string(const Config &config);

// Names used in messages and dumps.
const char *syslog_facility_name(int facility); // "daemon", "local0", ...; nullptr if unknown
const char *tcp_state_name(uint8_t state);      // "ESTABLISHED", ...; nullptr if unknown

} // namespace ctd::config
