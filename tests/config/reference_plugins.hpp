// The keywords each plugin block takes in the reference's grammar, declared
// the way a plugin declares them (ctd_config_key).  Stand-ins for the real
// sync, transport and helper plugins, so that a whole file can be checked
// as the daemon will: the parser, then PluginConfig for every plugin block.
#pragma once

#include "config/config.hpp"
#include "plugin_config.hpp"

#include <map>
#include <netinet/in.h>
#include <string>
#include <utility>
#include <vector>

namespace reference_plugins {

// The reference's helpers (spec 6.1): layer 4 protocol (0: both) and their
// one built-in policy, named after the helper.
inline const ctd_helper_ops *helper_ops(const std::string &name) {
    struct Helper {
        const char *name;
        uint8_t l4proto;
        ctd_helper_policy policy;
    };
    static const Helper helpers[] = {
        {"amanda", IPPROTO_UDP, {"amanda", 3, 180}}, {"dhcpv6", IPPROTO_UDP, {"dhcpv6", 1, 300}},
        {"ftp", IPPROTO_TCP, {"ftp", 1, 300}},       {"mdns", IPPROTO_UDP, {"mdns", 8, 30}},
        {"rpc", 0, {"rpc", 1, 300}},                 {"sane", IPPROTO_TCP, {"sane", 1, 300}},
        {"slp", IPPROTO_UDP, {"slp", 8, 16}},        {"ssdp", 0, {"ssdp", 8, 300}},
        {"tftp", IPPROTO_UDP, {"tftp", 1, 300}},     {"tns", IPPROTO_TCP, {"tns", 1, 300}},
    };
    static std::map<std::string, ctd_helper_ops> table;
    if (table.empty()) {
        for (const Helper &h : helpers) {
            ctd_helper_ops ops{};
            ops.size = sizeof ops;
            ops.l4proto = h.l4proto;
            ops.policies = &h.policy;
            ops.policy_count = 1;
            table[h.name] = ops;
        }
    }
    auto it = table.find(name);
    return it == table.end() ? nullptr : &it->second;
}

inline const std::vector<ctd_config_key> *keys_of(ctd::PluginKind kind, const std::string &name) {
    using K = std::vector<ctd_config_key>;
    const uint32_t u = CTD_CONFIG_UINT, b = CTD_CONFIG_BOOL, a = CTD_CONFIG_ADDRESS,
                   s = CTD_CONFIG_STRING;
    static const std::map<std::pair<ctd::PluginKind, std::string>, K> table = {
        {{ctd::PluginKind::sync, "ftfw"},
         {{"ResendQueueSize", u, 0, "131072", "", 0, 0},
          {"CommitTimeout", u, 0, nullptr, "", 0, 0},
          {"PurgeTimeout", u, 0, "60", "", 0, 0},
          {"ACKWindowSize", u, 0, "300", "", 0, 0},
          {"DisableExternalCache", b, 0, "off", "", 0, 0},
          {"StartupResync", b, 0, "off", "", 0, 0}}},
        {{ctd::PluginKind::sync, "alarm"},
         {{"RefreshTime", u, 0, "60", "", 0, 0},
          {"CacheTimeout", u, 0, "180", "", 0, 0},
          {"CommitTimeout", u, 0, nullptr, "", 0, 0},
          {"PurgeTimeout", u, 0, "60", "", 0, 0}}},
        {{ctd::PluginKind::sync, "notrack"},
         {{"CommitTimeout", u, 0, nullptr, "", 0, 0},
          {"PurgeTimeout", u, 0, "60", "", 0, 0},
          {"DisableInternalCache", b, 0, "off", "", 0, 0},
          {"DisableExternalCache", b, 0, "off", "", 0, 0},
          {"StartupResync", b, 0, "off", "", 0, 0}}},
        {{ctd::PluginKind::transport, "mcast"},
         {{"IPv4_address", a, 0, nullptr, "", 0, 0},
          {"IPv6_address", a, 0, nullptr, "", 0, 0},
          {"Group", u, 0, nullptr, "", 0, 0},
          {"IPv4_interface", a, 0, nullptr, "", 0, 0},
          {"IPv6_interface", a, 0, nullptr, "", 0, 0},
          {"Interface", s, 0, nullptr, "", 0, 0},
          {"SndSocketBuffer", u, 0, nullptr, "", 0, 0},
          {"RcvSocketBuffer", u, 0, nullptr, "", 0, 0},
          {"Checksum", b, 0, "on", "", 0, 0}}},
        {{ctd::PluginKind::transport, "udp"},
         {{"IPv4_address", a, 0, nullptr, "", 0, 0},
          {"IPv6_address", a, 0, nullptr, "", 0, 0},
          {"IPv4_Destination_Address", a, 0, nullptr, "", 0, 0},
          {"IPv6_Destination_Address", a, 0, nullptr, "", 0, 0},
          {"Port", u, 0, nullptr, "", 0, 0},
          {"Interface", s, 0, nullptr, "", 0, 0},
          {"SndSocketBuffer", u, 0, nullptr, "", 0, 0},
          {"RcvSocketBuffer", u, 0, nullptr, "", 0, 0},
          {"Checksum", b, 0, "on", "", 0, 0}}},
        {{ctd::PluginKind::transport, "tcp"},
         {{"IPv4_address", a, 0, nullptr, "", 0, 0},
          {"IPv6_address", a, 0, nullptr, "", 0, 0},
          {"IPv4_Destination_Address", a, 0, nullptr, "", 0, 0},
          {"IPv6_Destination_Address", a, 0, nullptr, "", 0, 0},
          {"Port", u, 0, nullptr, "", 0, 0},
          {"Interface", s, 0, nullptr, "", 0, 0},
          {"SndSocketBuffer", u, 0, nullptr, "", 0, 0},
          {"RcvSocketBuffer", u, 0, nullptr, "", 0, 0},
          {"Checksum", b, 0, "on", "", 0, 0},
          {"ErrorQueueLength", u, 0, "128", "", 0, 0}}},
        {{ctd::PluginKind::output, "flowlog"},
         {{"LogFile", s, 0, "off", "", 0, 0}, {"Syslog", s, 0, "off", "", 0, 0}}},
    };
    auto it = table.find({kind, name});
    if (it != table.end())
        return &it->second;
    // The reference's helpers take no keyword of their own in a Type block.
    static const std::vector<ctd_config_key> none;
    if (kind == ctd::PluginKind::helper && helper_ops(name))
        return &none;
    return nullptr;
}

// Checks every plugin block of `config` as the daemon will; throws
// ctd::ConfigError for the first problem.  Warnings go to `warnings`.
inline void check(const ctd::config::Config &config, std::vector<std::string> *warnings = nullptr) {
    for (const ctd::config::PluginBlock *block : config.plugin_blocks()) {
        const std::vector<ctd_config_key> *keys = keys_of(block->kind, block->name);
        if (!keys)
            throw ctd::ConfigError(config.file + ":" + std::to_string(block->line) + ": no " +
                                   ctd::plugin_kind_name(block->kind) + " plugin named '" +
                                   block->name + "' in the reference");
        ctd::PluginConfig checked(config.file, block->block, block->line, *keys,
                                  ctd::config::effective_entries(config, *block, *keys, warnings));
    }
    for (const ctd::config::HelperType &type : config.helper.types)
        ctd::config::check_helper_type(config, type, *helper_ops(type.plugin.name));
}

} // namespace reference_plugins
