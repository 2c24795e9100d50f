// Checks a plugin's config block against the keys the plugin declared, and
// builds the struct ctd_config the plugin's create() receives.
#pragma once

#include <conntrackd/plugin.h>

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

namespace ctd {

// One `Key value` line of a block, as the config parser found it.
struct ConfigEntry {
    std::string key;
    std::string value;
    uint32_t line = 0;
};

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PluginConfig {
public:
    // Throws ConfigError with "file:line: ..." for an unknown key, a value of
    // the wrong type or out of range, a repeated key that may not repeat, or
    // a required key that is missing (reported at `block_line`).
    PluginConfig(const std::string &file, const std::string &block, uint32_t block_line,
                 const std::vector<ctd_config_key> &keys, const std::vector<ConfigEntry> &entries);
    PluginConfig(const PluginConfig &) = delete;
    PluginConfig &operator=(const PluginConfig &) = delete;

    const ctd_config *get() const { return &config_; }

private:
    std::deque<std::string> strings_; // stable addresses for the C view
    std::vector<ctd_config_value> values_;
    std::string file_, block_;
    ctd_config config_{};
};

// Parses a value of a declared type; returns an explanation on failure.
// On success `number` holds the numeric or boolean value.
bool parse_config_value(const ctd_config_key &key, const std::string &text, int64_t &number,
                        std::string &why);

} // namespace ctd
