#include "plugin_config.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <strings.h>

namespace ctd {

namespace {

std::string range_text(const ctd_config_key &key) {
    if (key.min == 0 && key.max == 0)
        return key.type == CTD_CONFIG_UINT ? "a non-negative number" : "a number";
    return "a number from " + std::to_string(key.min) + " to " + std::to_string(key.max);
}

bool valid_address(const std::string &text) {
    std::string address = text;
    if (size_t slash = text.find('/'); slash != std::string::npos) {
        address = text.substr(0, slash);
        std::string prefix = text.substr(slash + 1);
        if (prefix.empty() || prefix.size() > 3 ||
            !std::all_of(prefix.begin(), prefix.end(), ::isdigit))
            return false;
        int bits = std::atoi(prefix.c_str());
        if (bits > (address.find(':') != std::string::npos ? 128 : 32))
            return false;
    }
    unsigned char buffer[16];
    return inet_pton(AF_INET, address.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, address.c_str(), buffer) == 1;
}

} // namespace

bool parse_config_value(const ctd_config_key &key, const std::string &text, int64_t &number,
                        std::string &why) {
    number = 0;
    switch (key.type) {
    case CTD_CONFIG_STRING:
        if (text.empty()) {
            why = "a word";
            return false;
        }
        return true;
    case CTD_CONFIG_PATH:
        if (text.empty() || text[0] != '/') {
            why = "an absolute path";
            return false;
        }
        return true;
    case CTD_CONFIG_ADDRESS:
        if (!valid_address(text)) {
            why = "an IPv4 or IPv6 address";
            return false;
        }
        return true;
    case CTD_CONFIG_BOOL:
        if (!strcasecmp(text.c_str(), "on") || !strcasecmp(text.c_str(), "yes")) {
            number = 1;
            return true;
        }
        if (!strcasecmp(text.c_str(), "off") || !strcasecmp(text.c_str(), "no"))
            return true;
        why = "on, off, yes or no";
        return false;
    case CTD_CONFIG_UINT:
    case CTD_CONFIG_INT: {
        bool is_signed = key.type == CTD_CONFIG_INT;
        const char *begin = text.c_str();
        bool digits_only = !text.empty() &&
                           std::all_of(text.begin() + ((is_signed && (text[0] == '-' || text[0] == '+')) ? 1 : 0),
                                       text.end(), ::isdigit) &&
                           text.find_first_of("0123456789") != std::string::npos;
        errno = 0;
        char *end = nullptr;
        long long value = std::strtoll(begin, &end, 10);
        if (!digits_only || errno || *end) {
            why = range_text(key);
            return false;
        }
        if ((key.min != 0 || key.max != 0) && (value < key.min || value > key.max)) {
            why = range_text(key);
            return false;
        }
        if (!is_signed && value < 0) {
            why = range_text(key);
            return false;
        }
        number = value;
        return true;
    }
    }
    why = "a value of a known type";
    return false;
}

PluginConfig::PluginConfig(const std::string &file, const std::string &block, uint32_t block_line,
                           const std::vector<ctd_config_key> &keys,
                           const std::vector<ConfigEntry> &entries)
    : file_(file), block_(block) {
    auto where = [&](uint32_t line) { return file + ":" + std::to_string(line) + ": "; };
    auto find_key = [&](const std::string &name) -> const ctd_config_key * {
        for (const ctd_config_key &key : keys)
            if (name == key.name)
                return &key;
        return nullptr;
    };

    std::vector<std::string> seen;
    for (const ConfigEntry &entry : entries) {
        const ctd_config_key *key = find_key(entry.key);
        if (!key) {
            std::string known;
            for (const ctd_config_key &k : keys)
                known += (known.empty() ? "" : ", ") + std::string(k.name);
            throw ConfigError(where(entry.line) + "unknown keyword '" + entry.key + "' in " + block +
                              (known.empty() ? std::string(" (it takes no keywords)")
                                             : " (expected one of: " + known + ")"));
        }
        if (!(key->flags & CTD_CONFIG_REPEATABLE) &&
            std::find(seen.begin(), seen.end(), entry.key) != seen.end())
            throw ConfigError(where(entry.line) + "'" + entry.key + "' is given twice in " + block);
        seen.push_back(entry.key);
        int64_t number = 0;
        std::string why;
        if (!parse_config_value(*key, entry.value, number, why))
            throw ConfigError(where(entry.line) + "'" + entry.key + "' expects " + why +
                              ", found '" + entry.value + "'");
        const std::string &stored = strings_.emplace_back(entry.value);
        values_.push_back(ctd_config_value{key->name, stored.c_str(), number, entry.line, 0});
    }

    for (const ctd_config_key &key : keys) {
        if (std::find(seen.begin(), seen.end(), key.name) != seen.end())
            continue;
        if (key.flags & CTD_CONFIG_REQUIRED)
            throw ConfigError(where(block_line) + block + " needs '" + key.name + "'" +
                              (key.help && *key.help ? std::string(" (") + key.help + ")" : ""));
        int64_t number = 0;
        std::string why;
        const char *text = nullptr;
        if (key.default_value) {
            if (!parse_config_value(key, key.default_value, number, why))
                throw ConfigError(block + ": the plugin's default for '" + key.name +
                                  "' is not valid: expected " + why);
            text = strings_.emplace_back(key.default_value).c_str();
        }
        values_.push_back(ctd_config_value{key.name, text, number, 0, 1});
    }

    config_.size = sizeof config_;
    config_.file = file_.c_str();
    config_.block = block_.c_str();
    config_.values = values_.data();
    config_.count = values_.size();
}

} // namespace ctd
