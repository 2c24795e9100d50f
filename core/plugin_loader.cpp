#include "plugin_loader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include "plugin_host.hpp"

namespace ctd {

namespace {

constexpr const char *kind_names[] = {nullptr, "sync", "transport", "helper", "output"};

// Longest name we accept; also keeps log prefixes readable.
constexpr size_t max_name_length = 32;

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_length)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool is_regular_file(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Parses "ct_<kind>_<name>.so".
std::optional<PluginFile> parse_file_name(const std::string &directory, const std::string &file) {
    static constexpr std::string_view prefix = "ct_", suffix = ".so";
    if (file.size() <= prefix.size() + suffix.size() || file.compare(0, prefix.size(), prefix) != 0 ||
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    std::string_view middle(file);
    middle = middle.substr(prefix.size(), middle.size() - prefix.size() - suffix.size());
    size_t underscore = middle.find('_');
    if (underscore == std::string_view::npos)
        return std::nullopt;
    auto kind = plugin_kind_from_name(middle.substr(0, underscore));
    std::string_view name = middle.substr(underscore + 1);
    if (!kind || !valid_name(name))
        return std::nullopt;
    return PluginFile{directory + "/" + file, *kind, std::string(name)};
}

std::string with_article(const char *word) {
    return std::string(std::strchr("aeiou", word[0]) ? "an " : "a ") + word;
}

std::string join(const std::vector<std::string> &items, const char *separator) {
    std::string out;
    for (const auto &item : items) {
        if (!out.empty())
            out += separator;
        out += item;
    }
    return out;
}

// Sizes of the structs as ABI 1.0 defined them: a plugin must provide at
// least this much.  They only change with the major version.
constexpr uint32_t descriptor_size_1_0 = sizeof(ctd_plugin_descriptor);

template <class Ops>
constexpr uint32_t ops_size_1_0() {
    return sizeof(Ops);
}
// ABI 1.1 appended `info` to the transport table: a 1.0 plugin's table ends
// before it.
template <>
constexpr uint32_t ops_size_1_0<ctd_transport_ops>() {
    return offsetof(ctd_transport_ops, info);
}
// ABI 1.1 gave sync modes their real table after create/destroy.
template <>
constexpr uint32_t ops_size_1_0<ctd_sync_ops>() {
    return offsetof(ctd_sync_ops, object_area_size);
}

// Copies a table the plugin built with its own idea of the struct's size
// into ours: never reads past the plugin's size, zero-fills what it lacks.
template <class T>
T normalised_copy(const void *source, uint32_t source_size) {
    T out{};
    std::memcpy(&out, source, std::min<size_t>(source_size, sizeof(T)));
    out.size = sizeof(T);
    return out;
}

} // namespace

const char *plugin_kind_name(uint32_t kind) {
    return kind >= 1 && kind <= 4 ? kind_names[kind] : nullptr;
}

std::optional<PluginKind> plugin_kind_from_name(std::string_view name) {
    for (uint32_t kind = 1; kind <= 4; ++kind)
        if (name == kind_names[kind])
            return static_cast<PluginKind>(kind);
    return std::nullopt;
}

std::string plugin_file_name(PluginKind kind, std::string_view name) {
    return std::string("ct_") + plugin_kind_name(kind) + "_" + std::string(name) + ".so";
}

const char *plugin_error_name(int code) {
    switch (code) {
    case CTD_LOAD_OK: return "ok";
    case CTD_LOAD_NOT_FOUND: return "not-found";
    case CTD_LOAD_NOT_LOADABLE: return "not-loadable";
    case CTD_LOAD_NO_ENTRY: return "no-entry";
    case CTD_LOAD_BAD_DESCRIPTOR: return "bad-descriptor";
    case CTD_LOAD_ABI_MAJOR: return "abi-major";
    case CTD_LOAD_ABI_MINOR_NEWER: return "abi-minor-newer";
    case CTD_LOAD_WRONG_KIND: return "wrong-kind";
    case CTD_LOAD_WRONG_NAME: return "wrong-name";
    case CTD_LOAD_DUPLICATE: return "duplicate";
    case CTD_LOAD_INIT_FAILED: return "init-failed";
    default: return "unknown";
    }
}

void LoadedPlugin::LibraryCloser::operator()(void *handle) const {
    if (handle)
        dlclose(handle);
}

LoadedPlugin::~LoadedPlugin() {
    if (initialised_ && descriptor_.fini)
        descriptor_.fini();
    // The host handle goes before the library: it unwatches fds and frees
    // timers whose callbacks live in the library.
    host_.reset();
}

ctd_host *LoadedPlugin::host() const { return host_.get(); }

PluginLoader::PluginLoader(std::string default_directory, PluginHost *host)
    : default_directory_(std::move(default_directory)), host_(host) {}

void PluginLoader::add_directory(std::string directory) {
    while (directory.size() > 1 && directory.back() == '/')
        directory.pop_back();
    if (std::find(extra_directories_.begin(), extra_directories_.end(), directory) ==
            extra_directories_.end() &&
        directory != default_directory_)
        extra_directories_.push_back(std::move(directory));
}

std::vector<std::string> PluginLoader::directories() const {
    std::vector<std::string> all = extra_directories_;
    all.push_back(default_directory_);
    return all;
}

std::vector<PluginFile> PluginLoader::scan() const {
    std::vector<PluginFile> found;
    for (const std::string &directory : directories()) {
        std::unique_ptr<DIR, int (*)(DIR *)> dir(opendir(directory.c_str()), &closedir);
        if (!dir)
            continue;
        std::vector<PluginFile> here;
        while (dirent *entry = readdir(dir.get())) {
            auto file = parse_file_name(directory, entry->d_name);
            if (file && is_regular_file(file->path))
                here.push_back(std::move(*file));
        }
        std::sort(here.begin(), here.end(), [](const PluginFile &a, const PluginFile &b) {
            return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
        });
        found.insert(found.end(), here.begin(), here.end());
    }
    return found;
}

std::vector<std::string> PluginLoader::candidates(PluginKind kind, std::string_view name) const {
    std::vector<std::string> paths;
    for (const std::string &directory : directories()) {
        std::string path = directory + "/" + plugin_file_name(kind, name);
        if (is_regular_file(path))
            paths.push_back(path);
    }
    return paths;
}

std::unique_ptr<LoadedPlugin> PluginLoader::inspect(const std::string &path,
                                                    std::optional<PluginKind> expected_kind,
                                                    std::optional<std::string> expected_name) const {
    std::unique_ptr<LoadedPlugin> plugin(new LoadedPlugin());
    plugin->path_ = path;

    // RTLD_NOW: a missing symbol is found here, not in the middle of a sync.
    // RTLD_LOCAL: plugins cannot see, or clash with, each other's symbols.
    dlerror();
    plugin->library_.reset(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!plugin->library_) {
        const char *why = dlerror();
        throw PluginError(CTD_LOAD_NOT_LOADABLE,
                          "cannot load plugin " + path + ": " + (why ? why : "unknown dlopen error") +
                              " (check its library dependencies with: ldd " + path + ")");
    }

    dlerror();
    void *symbol = dlsym(plugin->library_.get(), CTD_PLUGIN_ENTRY_SYMBOL);
    if (!symbol)
        throw PluginError(CTD_LOAD_NO_ENTRY,
                          "plugin " + path + " has no entry function " CTD_PLUGIN_ENTRY_SYMBOL
                          "(): it is not a conntrackd plugin, or it was not built with the SDK's "
                          "CTD_*_PLUGIN macro");
    ctd_plugin_entry_fn entry;
    static_assert(sizeof entry == sizeof symbol);
    std::memcpy(&entry, &symbol, sizeof entry);

    const ctd_plugin_descriptor *raw = entry();
    if (!raw)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                          "plugin " + path + ": its entry function returned no descriptor");

    // Only the leading size and version fields are read before the version
    // is known to be one whose layout we understand.
    constexpr size_t version_end = offsetof(ctd_plugin_descriptor, abi_minor) + sizeof(uint16_t);
    if (raw->size < version_end)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR, "plugin " + path + ": descriptor size " +
                                                       std::to_string(raw->size) + " is too small");
    std::string built_with =
        std::to_string(raw->abi_major) + "." + std::to_string(raw->abi_minor);
    std::string core_abi =
        std::to_string(CTD_PLUGIN_ABI_MAJOR) + "." + std::to_string(CTD_PLUGIN_ABI_MINOR);
    if (raw->abi_major != CTD_PLUGIN_ABI_MAJOR)
        throw PluginError(CTD_LOAD_ABI_MAJOR,
                          "plugin " + path + " was built for plugin ABI " + built_with +
                              ", but this conntrackd has ABI " + core_abi +
                              ": the major versions differ; rebuild the plugin against this "
                              "conntrackd's SDK");
    if (raw->abi_minor > CTD_PLUGIN_ABI_MINOR)
        throw PluginError(CTD_LOAD_ABI_MINOR_NEWER,
                          "plugin " + path + " needs plugin ABI " + built_with +
                              ", newer than this conntrackd's ABI " + core_abi +
                              ": upgrade conntrackd or rebuild the plugin against its SDK");
    if (raw->size < descriptor_size_1_0)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                          "plugin " + path + ": descriptor size " + std::to_string(raw->size) +
                              " is smaller than ABI " + built_with + " defines (" +
                              std::to_string(descriptor_size_1_0) + ")");
    plugin->descriptor_ = normalised_copy<ctd_plugin_descriptor>(raw, raw->size);
    const ctd_plugin_descriptor &d = plugin->descriptor_;

    const char *kind_name = plugin_kind_name(d.kind);
    if (!kind_name)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                          "plugin " + path + ": unknown plugin kind " + std::to_string(d.kind));
    if (expected_kind && static_cast<uint32_t>(*expected_kind) != d.kind)
        throw PluginError(CTD_LOAD_WRONG_KIND,
                          "plugin " + path + " is " + with_article(kind_name) + " plugin, but " +
                              with_article(plugin_kind_name(*expected_kind)) +
                              " plugin was asked for");
    if (!d.name || !valid_name(d.name))
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                          "plugin " + path + ": invalid name in descriptor (want 1-32 characters "
                                             "of a-z, 0-9, '_' and '-')");
    if (expected_name && *expected_name != d.name)
        throw PluginError(CTD_LOAD_WRONG_NAME, "plugin " + path + " calls itself '" + d.name +
                                                   "', but its file name says '" + *expected_name +
                                                   "'");
    if (!d.version || !*d.version)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR, "plugin " + path + ": no version in descriptor");
    if (!d.init)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR, "plugin " + path + ": no init function");
    if (d.config_key_count && !d.config_keys)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                          "plugin " + path + ": config key count without keys");
    for (uint32_t i = 0; i < d.config_key_count; ++i) {
        const ctd_config_key &key = d.config_keys[i];
        if (!key.name || !*key.name || key.type < CTD_CONFIG_STRING || key.type > CTD_CONFIG_INT)
            throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                              "plugin " + path + ": config key #" + std::to_string(i) +
                                  " has no name or an unknown type");
        plugin->keys_.push_back(key);
    }

    if (!d.ops)
        throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                          "plugin " + path + ": no " + kind_name + " operations table");
    uint32_t ops_size = *static_cast<const uint32_t *>(d.ops);
    auto take_ops = [&](auto tag, uint32_t minimum, auto check) {
        using Ops = decltype(tag);
        if (ops_size < minimum)
            throw PluginError(CTD_LOAD_BAD_DESCRIPTOR,
                              "plugin " + path + ": " + kind_name + " operations table of " +
                                  std::to_string(ops_size) + " bytes, ABI " + built_with +
                                  " needs " + std::to_string(minimum));
        Ops ops = normalised_copy<Ops>(d.ops, ops_size);
        if (const char *missing = check(ops))
            throw PluginError(CTD_LOAD_BAD_DESCRIPTOR, "plugin " + path + ": " + kind_name +
                                                           " operation " + missing + " is missing");
        plugin->ops_ = ops;
    };
    switch (d.kind) {
    case CTD_PLUGIN_KIND_OUTPUT:
        take_ops(ctd_output_ops{}, ops_size_1_0<ctd_output_ops>(), [](const ctd_output_ops &o) {
            return !o.create ? "create" : !o.destroy ? "destroy" : !o.write_flow ? "write_flow"
                                                                                   : nullptr;
        });
        break;
    case CTD_PLUGIN_KIND_TRANSPORT:
        take_ops(ctd_transport_ops{}, ops_size_1_0<ctd_transport_ops>(),
                 [](const ctd_transport_ops &o) {
                     return !o.create ? "create" : !o.destroy ? "destroy" : !o.send ? "send"
                            : !o.max_payload ? "max_payload" : !o.stats ? "stats" : nullptr;
                 });
        break;
    case CTD_PLUGIN_KIND_SYNC:
        take_ops(ctd_sync_ops{}, ops_size_1_0<ctd_sync_ops>(), [](const ctd_sync_ops &o) {
            return !o.create ? "create" : !o.destroy ? "destroy" : nullptr;
        });
        break;
    case CTD_PLUGIN_KIND_HELPER:
        take_ops(ctd_helper_ops{}, ops_size_1_0<ctd_helper_ops>(), [](const ctd_helper_ops &o) {
            return !o.create ? "create" : !o.destroy ? "destroy" : nullptr;
        });
        break;
    }
    return plugin;
}

std::shared_ptr<LoadedPlugin> PluginLoader::load(PluginKind kind, std::string_view name) {
    auto key = std::make_pair(kind, std::string(name));
    if (auto it = loaded_.find(key); it != loaded_.end())
        return it->second;

    std::string label = std::string(plugin_kind_name(kind)) + " plugin '" + std::string(name) + "'";
    if (!valid_name(name))
        throw PluginError(CTD_LOAD_NOT_FOUND,
                          label + ": not a valid plugin name (1-32 characters of a-z, 0-9, '_' "
                                  "and '-')");
    std::vector<std::string> paths = candidates(kind, name);
    if (paths.empty()) {
        std::vector<std::string> tried, available;
        for (const std::string &directory : directories())
            tried.push_back(directory + "/" + plugin_file_name(kind, name));
        for (const PluginFile &file : scan())
            if (file.kind == kind &&
                std::find(available.begin(), available.end(), file.name) == available.end())
                available.push_back(file.name);
        throw PluginError(CTD_LOAD_NOT_FOUND,
                          label + " not found; tried " + join(tried, ", ") + "; available " +
                              plugin_kind_name(kind) + " plugins: " +
                              (available.empty() ? std::string("none") : join(available, ", ")));
    }
    if (paths.size() > 1)
        throw PluginError(CTD_LOAD_DUPLICATE, label + " is provided twice: " + join(paths, " and ") +
                                                  "; remove one of them so it is clear which one "
                                                  "runs");

    std::unique_ptr<LoadedPlugin> plugin = inspect(paths.front(), kind, std::string(name));
    if (!host_)
        throw PluginError(CTD_LOAD_INIT_FAILED, label + ": no host to initialise it with");
    plugin->host_ = host_->make_handle(std::string(plugin_kind_name(kind)) + "/" + std::string(name));
    char error[512] = "";
    if (plugin->descriptor_.init(host_->api(), plugin->host_.get(), error, sizeof error) != 0)
        throw PluginError(CTD_LOAD_INIT_FAILED,
                          label + " (" + plugin->path_ + ") failed to initialise: " +
                              (error[0] ? error : "no reason given"));
    plugin->initialised_ = true;

    std::shared_ptr<LoadedPlugin> shared(std::move(plugin));
    loaded_.emplace(std::move(key), shared);
    return shared;
}

std::vector<std::shared_ptr<LoadedPlugin>> PluginLoader::loaded() const {
    std::vector<std::shared_ptr<LoadedPlugin>> out;
    for (const auto &[key, plugin] : loaded_)
        out.push_back(plugin);
    return out;
}

} // namespace ctd
