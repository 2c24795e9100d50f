// Finds, checks and loads plugins.
//
// A plugin is the file ct_<kind>_<name>.so in one of the plugin directories:
// the extra ones given on the command line or in the config (searched first)
// and the default one chosen at configure time.  Before any plugin code but
// its entry function runs, the loader checks the descriptor; each way a
// plugin can be wrong has its own error code (CTD_LOAD_* in plugin.h) and a
// message that says what to do.
#pragma once

#include <conntrackd/plugin.h>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ctd {

class PluginHost;


enum class PluginKind : uint32_t {
    sync = CTD_PLUGIN_KIND_SYNC,
    transport = CTD_PLUGIN_KIND_TRANSPORT,
    helper = CTD_PLUGIN_KIND_HELPER,
    output = CTD_PLUGIN_KIND_OUTPUT,
};

// "sync", "transport", "helper", "output"; nullptr for an unknown value.
const char *plugin_kind_name(uint32_t kind);
inline const char *plugin_kind_name(PluginKind kind) {
    return plugin_kind_name(static_cast<uint32_t>(kind));
}
std::optional<PluginKind> plugin_kind_from_name(std::string_view name);

// The file name a plugin of this kind and name has.
std::string plugin_file_name(PluginKind kind, std::string_view name);

class PluginError : public std::runtime_error {
public:
    PluginError(int code, const std::string &message) : std::runtime_error(message), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

// Short stable name of a CTD_LOAD_* code, e.g. "abi-major".
const char *plugin_error_name(int code);

struct PluginFile {
    std::string path;
    PluginKind kind;
    std::string name;
};

using PluginOps = std::variant<std::monostate, ctd_sync_ops, ctd_transport_ops, ctd_helper_ops,
                               ctd_output_ops>;

// A plugin whose descriptor passed every check.  Owns the library handle;
// runs the plugin's fini and unloads it when destroyed.
class LoadedPlugin {
public:
    LoadedPlugin(const LoadedPlugin &) = delete;
    LoadedPlugin &operator=(const LoadedPlugin &) = delete;
    ~LoadedPlugin();

    const std::string &path() const { return path_; }
    PluginKind kind() const { return static_cast<PluginKind>(descriptor_.kind); }
    std::string name() const { return descriptor_.name; }
    std::string version() const { return descriptor_.version ? descriptor_.version : ""; }
    std::string description() const {
        return descriptor_.description ? descriptor_.description : "";
    }
    uint16_t abi_major() const { return descriptor_.abi_major; }
    uint16_t abi_minor() const { return descriptor_.abi_minor; }
    const std::vector<ctd_config_key> &config_keys() const { return keys_; }
    bool initialised() const { return initialised_; }
    ctd_host *host() const;

    // The kind's operation table, normalised to this core's layout (members
    // the plugin did not know about are zero).
    template <class Ops>
    const Ops &ops() const {
        return std::get<Ops>(ops_);
    }

private:
    friend class PluginLoader;
    struct LibraryCloser {
        void operator()(void *handle) const;
    };
    LoadedPlugin() = default;

    std::string path_;
    std::unique_ptr<void, LibraryCloser> library_;
    ctd_plugin_descriptor descriptor_{};
    std::vector<ctd_config_key> keys_;
    PluginOps ops_;
    std::unique_ptr<ctd_host> host_;
    bool initialised_ = false;
};

class PluginLoader {
public:
    // `host` provides the services each plugin's init receives; it must
    // outlive every plugin loaded.  It may be null when plugins are only
    // inspected (--plugins), never initialised.
    PluginLoader(std::string default_directory, PluginHost *host);

    // Extra directories are searched before the default one, in the order
    // they were added.
    void add_directory(std::string directory);
    std::vector<std::string> directories() const;

    // Every ct_<kind>_<name>.so file in the directories, in search order.
    std::vector<PluginFile> scan() const;

    // Opens and checks a plugin file, calling nothing but its entry
    // function.  `expected` gives the kind and name the caller asked for.
    std::unique_ptr<LoadedPlugin> inspect(const std::string &path,
                                          std::optional<PluginKind> expected_kind,
                                          std::optional<std::string> expected_name) const;

    // Finds, checks and initialises a plugin, once: a second request for
    // the same plugin returns the same object.  Throws PluginError.
    std::shared_ptr<LoadedPlugin> load(PluginKind kind, std::string_view name);

    // Plugins loaded so far.
    std::vector<std::shared_ptr<LoadedPlugin>> loaded() const;

private:
    std::vector<std::string> candidates(PluginKind kind, std::string_view name) const;

    std::string default_directory_;
    std::vector<std::string> extra_directories_;
    PluginHost *host_;
    std::map<std::pair<PluginKind, std::string>, std::shared_ptr<LoadedPlugin>, std::less<>> loaded_;
};

} // namespace ctd
