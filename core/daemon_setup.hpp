// From the configuration model to the running pieces: the settings of the
// kernel link, the filter, the cache sizes, and the plugins each block
// names, loaded and checked against the keys they declare.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "filter.hpp"
#include "kernel.hpp"
#include "plugin_config.hpp"
#include "plugin_loader.hpp"

namespace ctd {

FilterRules filter_rules(const config::Filter &filter);
EventSettings event_settings(const config::General &general);

// HashSize and HashLimit: as configured, or sized from the kernel's own
// table (nf_conntrack_buckets, nf_conntrack_max) when left out.
struct CacheSizes {
    uint32_t hash_size;
    uint32_t hash_limit;
};
CacheSizes cache_sizes(const config::General &general);

// A plugin block, loaded and checked.
struct ConfiguredPlugin {
    const config::PluginBlock *block = nullptr;
    std::shared_ptr<LoadedPlugin> plugin;
    std::unique_ptr<PluginConfig> config;
};

// Loads the plugin of `block` and checks its entries against the keys it
// declares.  Throws PluginError (loader failures) or ConfigError.
ConfiguredPlugin configure_plugin(const config::Config &config, const config::PluginBlock &block,
                                  PluginLoader &loader, std::vector<std::string> *warnings);

// --config-test: loads and checks every plugin the file names, without
// starting anything, and reports every problem (not only the first).
// Returns the number of problems found.
int config_test(const config::Config &config, PluginLoader &loader);

} // namespace ctd
