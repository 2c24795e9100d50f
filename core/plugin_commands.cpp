#include "plugin_commands.hpp"

#include <cstdio>
#include <map>

#include "log.hpp"
#include "plugin_loader.hpp"

namespace ctd {

namespace {

const char *config_type_name(uint32_t type) {
    switch (type) {
    case CTD_CONFIG_STRING: return "word";
    case CTD_CONFIG_BOOL: return "on|off";
    case CTD_CONFIG_UINT: return "number";
    case CTD_CONFIG_INT: return "signed number";
    case CTD_CONFIG_PATH: return "path";
    case CTD_CONFIG_ADDRESS: return "address";
    default: return "?";
    }
}

} // namespace

int list_plugins(const PluginLoader &loader) {
    std::vector<PluginFile> files = loader.scan();
    std::map<std::pair<PluginKind, std::string>, int> seen;
    for (const PluginFile &file : files)
        ++seen[{file.kind, file.name}];

    std::printf("%-10s %-16s %-10s %-5s %s\n", "KIND", "NAME", "VERSION", "ABI", "FILE");
    int status = 0;
    for (const PluginFile &file : files) {
        std::string error;
        std::string version = "-", abi = "-";
        if (seen[{file.kind, file.name}] > 1) {
            error = std::string(plugin_error_name(CTD_LOAD_DUPLICATE)) +
                    ": provided more than once in the plugin directories";
        } else {
            try {
                auto plugin = loader.inspect(file.path, file.kind, file.name);
                version = plugin->version();
                abi = std::to_string(plugin->abi_major()) + "." + std::to_string(plugin->abi_minor());
            } catch (const PluginError &e) {
                error = std::string(plugin_error_name(e.code())) + ": " + e.what();
            }
        }
        std::printf("%-10s %-16s %-10s %-5s %s\n", plugin_kind_name(file.kind), file.name.c_str(),
                    error.empty() ? version.c_str() : "BROKEN", abi.c_str(), file.path.c_str());
        if (!error.empty()) {
            std::printf("           error: %s\n", error.c_str());
            status = 1;
        }
    }
    if (files.empty()) {
        std::string dirs;
        for (const std::string &d : loader.directories())
            dirs += (dirs.empty() ? "" : ", ") + d;
        std::printf("(no plugins found in %s)\n", dirs.c_str());
    }
    return status;
}

int describe_plugin(PluginLoader &loader, const std::string &spec) {
    size_t sep = spec.find_first_of("/:");
    auto kind = sep == std::string::npos ? std::nullopt : plugin_kind_from_name(spec.substr(0, sep));
    if (!kind) {
        logger().logf(log_error,
                      "--plugin-info takes KIND/NAME with KIND one of sync, transport, helper, "
                      "output; got `%s'",
                      spec.c_str());
        return 1;
    }
    std::string name = spec.substr(sep + 1);
    try {
        auto plugin = loader.load(*kind, name);
        std::printf("name:        %s\n", plugin->name().c_str());
        std::printf("kind:        %s\n", plugin_kind_name(plugin->kind()));
        std::printf("version:     %s\n", plugin->version().c_str());
        std::printf("ABI:         %u.%u (this conntrackd: %u.%u)\n", plugin->abi_major(),
                    plugin->abi_minor(), CTD_PLUGIN_ABI_MAJOR, CTD_PLUGIN_ABI_MINOR);
        std::printf("file:        %s\n", plugin->path().c_str());
        std::printf("description: %s\n", plugin->description().c_str());
        if (plugin->config_keys().empty()) {
            std::printf("keywords:    none\n");
        } else {
            std::printf("keywords:\n");
            for (const ctd_config_key &key : plugin->config_keys()) {
                std::string detail = config_type_name(key.type);
                if ((key.type == CTD_CONFIG_UINT || key.type == CTD_CONFIG_INT) &&
                    (key.min || key.max))
                    detail += " " + std::to_string(key.min) + ".." + std::to_string(key.max);
                if (key.flags & CTD_CONFIG_REQUIRED)
                    detail += ", required";
                if (key.flags & CTD_CONFIG_REPEATABLE)
                    detail += ", repeatable";
                if (key.default_value)
                    detail += std::string(", default ") + key.default_value;
                std::printf("  %-24s %s\n", key.name, detail.c_str());
                if (key.help && *key.help)
                    std::printf("  %-24s %s\n", "", key.help);
            }
        }
        return 0;
    } catch (const PluginError &e) {
        logger().log(log_error, e.what());
        return e.code();
    }
}

} // namespace ctd
