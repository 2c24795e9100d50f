#include "daemon_setup.hpp"

#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "log.hpp"

namespace ctd {

FilterRules filter_rules(const config::Filter &filter) {
    using P = FilterRules::Policy;
    auto policy = [](const std::optional<config::FilterPolicy> &p) {
        if (!p)
            return P::none;
        return *p == config::FilterPolicy::accept ? P::accept : P::ignore;
    };
    FilterRules rules;
    rules.kernel_space = filter.kernelspace;
    rules.protocol_policy = policy(filter.protocol.policy);
    for (uint8_t proto : filter.protocol.protocols)
        rules.protocols.set(proto);
    rules.address_policy = policy(filter.address.policy);
    for (const config::FilterAddress &host : filter.address.hosts) {
        if (host.family == AF_INET) {
            uint32_t v4;
            std::memcpy(&v4, host.address.data(), 4);
            rules.ipv4_hosts.insert(v4);
        } else {
            FilterRules::Ipv6 v6;
            v6.bytes = host.address;
            rules.ipv6_hosts.insert(v6);
        }
    }
    for (const config::FilterAddress &net : filter.address.networks) {
        if (net.family == AF_INET) {
            uint32_t address, mask = net.prefix ? htonl(~uint32_t{0} << (32 - net.prefix)) : 0;
            std::memcpy(&address, net.address.data(), 4);
            rules.ipv4_nets.push_back({address, mask});
        } else {
            FilterRules::Ipv6Net n{};
            n.address = net.address;
            for (unsigned bit = 0; bit < net.prefix && bit < 128; ++bit)
                n.mask[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
            rules.ipv6_nets.push_back(n);
        }
    }
    rules.state_policy = policy(filter.state.policy);
    for (uint8_t state : filter.state.tcp_states)
        if (state < rules.tcp_states.size())
            rules.tcp_states.set(state);
    return rules;
}

EventSettings event_settings(const config::General &general) {
    EventSettings settings;
    settings.buffer_size = general.netlink_buffer_size.value_or(0);
    settings.buffer_max_growth = general.netlink_buffer_size_max_growth.value_or(0);
    settings.reliable = general.netlink_events_reliable;
    settings.iteration_limit = general.event_iteration_limit ? general.event_iteration_limit : 100;
    return settings;
}

namespace {

uint32_t read_sysctl(const char *path, uint32_t fallback) {
    std::ifstream in(path);
    unsigned long value = 0;
    if (in >> value && value > 0 && value <= 0xffffffffu)
        return static_cast<uint32_t>(value);
    return fallback;
}

} // namespace

CacheSizes cache_sizes(const config::General &general) {
    CacheSizes sizes{};
    // The kernel's own table is the best guide: as many buckets as it has,
    // and room for twice its maximum (a replica also holds what its peer
    // sends, and dead entries wait for acknowledgement).
    uint32_t kernel_max = read_sysctl("/proc/sys/net/netfilter/nf_conntrack_max", 262144);
    uint32_t kernel_buckets = read_sysctl("/proc/sys/net/netfilter/nf_conntrack_buckets", 65536);
    sizes.hash_size = general.hash_size.value_or(kernel_buckets);
    uint64_t limit = general.hash_limit ? *general.hash_limit : 2ull * kernel_max;
    sizes.hash_limit = static_cast<uint32_t>(limit > 0xffffffffu ? 0xffffffffu : limit);
    return sizes;
}

ConfiguredPlugin configure_plugin(const config::Config &config, const config::PluginBlock &block,
                                  PluginLoader &loader, std::vector<std::string> *warnings) {
    ConfiguredPlugin out;
    out.block = &block;
    out.plugin = loader.load(block.kind, block.name);
    out.config = std::make_unique<PluginConfig>(
        config.file, block.block, block.line, out.plugin->config_keys(),
        config::effective_entries(config, block, out.plugin->config_keys(), warnings));
    return out;
}

int config_test(const config::Config &config, PluginLoader &loader) {
    int problems = 0;
    for (const std::string &warning : config.warnings)
        logger().log(log_warning, warning);
    for (const config::PluginBlock *block : config.plugin_blocks()) {
        std::vector<std::string> warnings;
        try {
            ConfiguredPlugin configured = configure_plugin(config, *block, loader, &warnings);
            // Creating an instance runs the plugin's own checks of its
            // values (paths, addresses, interfaces...).
            char error[512] = "";
            void *instance = nullptr;
            switch (block->kind) {
            case PluginKind::output: {
                const auto &ops = configured.plugin->ops<ctd_output_ops>();
                instance = ops.create(configured.plugin->host(), configured.config->get(), error, sizeof error);
                if (instance)
                    ops.destroy(instance);
                break;
            }
            case PluginKind::sync: {
                // A mode needs the engine to run: its keywords and values
                // have been checked above; creating it is left to start-up.
                instance = configured.plugin.get();
                break;
            }
            case PluginKind::transport:
                // Not opened: a running daemon holds the link's port, and
                // --config-test is what an admin runs before a restart.
                instance = configured.plugin.get();
                break;
            case PluginKind::helper: {
                const auto &ops = configured.plugin->ops<ctd_helper_ops>();
                for (const config::HelperType &type : config.helper.types)
                    if (&type.plugin == block)
                        config::check_helper_type(config, type, ops);
                instance = configured.plugin.get();
                break;
            }
            }
            if (!instance) {
                ++problems;
                logger().logf(log_error, "%s:%u: %s: %s", config.file.c_str(), block->line,
                              block->block.c_str(), error[0] ? error : "the plugin refused its configuration");
            }
        } catch (const PluginError &e) {
            ++problems;
            logger().logf(log_error, "%s:%u: %s: %s", config.file.c_str(), block->line, block->block.c_str(),
                          e.what());
        } catch (const ConfigError &e) {
            ++problems;
            logger().log(log_error, e.what());
        }
        for (const std::string &warning : warnings)
            logger().log(log_warning, warning);
    }
    return problems;
}

} // namespace ctd
