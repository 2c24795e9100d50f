// What the core does with the model once plugins are loaded: the entries a
// plugin block really gets, and the checks of a helper Type against its
// plugin.
#include "config/config.hpp"

#include <algorithm>
#include <sched.h>

namespace ctd::config {

int Scheduler::effective_type() const { return type ? *type : SCHED_RR; }

int Scheduler::effective_priority() const {
    if (!type)
        return sched_get_priority_max(SCHED_RR);
    return priority.value_or(0);
}

std::vector<const PluginBlock *> Config::plugin_blocks() const {
    std::vector<const PluginBlock *> blocks;
    if (sync.configured) {
        blocks.push_back(&sync.mode);
        for (const PluginBlock &link : sync.links)
            blocks.push_back(&link);
    }
    if (stats.configured)
        blocks.push_back(&stats.output);
    for (const HelperType &type : helper.types)
        blocks.push_back(&type.plugin);
    return blocks;
}

namespace {

const ctd_config_key *find_key(const std::vector<ctd_config_key> &declared, const std::string &name) {
    for (const ctd_config_key &key : declared)
        if (key.name && name == key.name)
            return &key;
    return nullptr;
}

} // namespace

std::vector<ConfigEntry> effective_entries(const Config &config, const PluginBlock &block,
                                           const std::vector<ctd_config_key> &declared,
                                           std::vector<std::string> *warnings) {
    std::vector<ConfigEntry> entries;
    if (&block == &config.sync.mode) {
        // The reference keeps the timers of every Mode block and of the Sync
        // level in one place, so the last one written counts whatever block
        // it is in.  Entries the chosen mode does not know are dropped
        // unless they are in its own block (where they are an error).
        for (const ConfigEntry &e : config.sync.legacy_timers)
            if (find_key(declared, e.key))
                entries.push_back(e);
        for (const PluginBlock &other : config.sync.other_modes)
            for (const ConfigEntry &e : other.entries)
                if (find_key(declared, e.key))
                    entries.push_back(e);
        entries.insert(entries.end(), block.entries.begin(), block.entries.end());
        std::stable_sort(entries.begin(), entries.end(),
                         [](const ConfigEntry &a, const ConfigEntry &b) { return a.line < b.line; });
    } else {
        entries = block.entries;
    }

    // A key that may appear once keeps its last value, as with the
    // reference; an undeclared key keeps its first occurrence, for
    // PluginConfig to report.
    std::vector<ConfigEntry> result;
    for (size_t i = 0; i < entries.size(); ++i) {
        const ConfigEntry &e = entries[i];
        const ctd_config_key *key = find_key(declared, e.key);
        bool repeatable = key && (key->flags & CTD_CONFIG_REPEATABLE);
        if (repeatable) {
            result.push_back(e);
            continue;
        }
        auto earlier = std::find_if(result.begin(), result.end(),
                                    [&](const ConfigEntry &r) { return r.key == e.key; });
        if (earlier == result.end()) {
            result.push_back(e);
            continue;
        }
        if (!key)
            continue;
        if (warnings)
            warnings->push_back(config.file + ":" + std::to_string(e.line) + ": " + e.key +
                                " is given again in " + block.block + " (also line " +
                                std::to_string(earlier->line) + "): the last value counts");
        result.erase(earlier);
        result.push_back(e);
    }
    return result;
}

void check_helper_type(const Config &config, const HelperType &type, const ctd_helper_ops &ops) {
    auto at = [&](uint32_t line) { return config.file + ":" + std::to_string(line) + ": "; };
    if (ops.l4proto && ops.l4proto != type.l4proto)
        throw ConfigError(at(type.plugin.line) + "helper " + type.plugin.name + " does not handle " +
                          (type.l4proto == IPPROTO_TCP ? "tcp" : "udp") + ": write " +
                          type.plugin.name + " " + (type.family == AF_INET6 ? "inet6" : "inet") +
                          " " + (ops.l4proto == IPPROTO_TCP ? "tcp" : "udp") + " in " +
                          type.plugin.block);
    for (const HelperPolicy &policy : type.policies) {
        bool known = false;
        std::string names;
        for (uint32_t i = 0; i < ops.policy_count && ops.policies; ++i) {
            const char *name = ops.policies[i].name;
            if (!name)
                continue;
            if (policy.name == name)
                known = true;
            names += std::string(names.empty() ? "" : ", ") + name;
        }
        if (!known)
            throw ConfigError(at(policy.line) + "unknown policy '" + policy.name + "' in " +
                              type.plugin.block + ": helper " + type.plugin.name +
                              (names.empty() ? std::string(" has no policy")
                                             : " has the policy " + names));
    }
}

} // namespace ctd::config
