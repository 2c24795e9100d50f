#include "modes.hpp"

#include <conntrackd/plugin.hpp>

#include <sys/time.h>

#include "ct/format.hpp"
#include "ct/plugin_flow.hpp"
#include "log.hpp"

namespace ctd {

namespace {

void log_warnings(const std::vector<std::string> &warnings) {
    for (const std::string &w : warnings)
        logger().log(log_warning, w);
}

// The flow an output plugin is writing right now, so that when it asks the
// host to format it, the original (not its ABI copy) is printed: nothing
// the ABI struct lacks can then be lost from the reference's line.
struct CurrentFlow {
    const ctd_flow *abi = nullptr;
    const ct::Flow *flow = nullptr;
};
CurrentFlow current;

size_t format_for_plugin(const ctd_flow &abi, uint32_t format, char *buf, size_t len) {
    static ct::TextBuffer text(4096);
    ct::Flow converted;
    const ct::Flow *flow = current.abi == &abi ? current.flow : nullptr;
    if (!flow) {
        ct::from_plugin_flow(abi, converted);
        flow = &converted;
    }
    ct::FormatOptions options;
    options.format = format == CTD_FORMAT_XML ? ct::OutputFormat::Xml : ct::OutputFormat::Default;
    options.extended = format == CTD_FORMAT_EXTENDED;
    text.clear();
    ct::format_flow(text, *flow, options);
    if (buf && len) {
        size_t n = text.size() < len ? text.size() : len - 1;
        std::memcpy(buf, text.data(), n);
        buf[n] = '\0';
    }
    return text.size();
}

// An output plugin instance as the stats mode's FlowOutput.
class PluginOutput : public FlowOutput {
public:
    explicit PluginOutput(ConfiguredPlugin plugin) : plugin_(std::move(plugin)) {
        const auto &ops = plugin_.plugin->ops<ctd_output_ops>();
        ops_ = &ops;
        char error[512] = "";
        instance_ = ops.create(plugin_.plugin->host(), plugin_.config->get(), error, sizeof error);
        if (!instance_)
            throw std::runtime_error(std::string("output plugin ") + plugin_.plugin->name() + ": " + error);
    }
    ~PluginOutput() override {
        if (instance_)
            ops_->destroy(instance_);
    }
    void write(const ct::Flow &flow, uint64_t when_us) override {
        ctd_flow abi;
        ct::to_plugin_flow(flow, abi);
        current = {&abi, &flow};
        ops_->write_flow(instance_, &abi, when_us);
        current = {};
    }
    void flush() override {
        if (ops_->flush)
            ops_->flush(instance_);
    }
    void reopen() override {
        if (ops_->reopen)
            ops_->reopen(instance_);
    }

private:
    ConfiguredPlugin plugin_;
    const ctd_output_ops *ops_ = nullptr;
    void *instance_ = nullptr;
};

class StatsRuntime : public Mode {
public:
    StatsRuntime(const config::Config &config, EventLoop &loop, PluginHost &host,
                 PluginLoader &loader, NetlinkCounters &counters, ProcessTable &processes) {
        std::vector<std::string> warnings;
        output_ = std::make_unique<PluginOutput>(configure_plugin(config, config.stats.output, loader, &warnings));
        log_warnings(warnings);
        host.set_flow_formatter(format_for_plugin);
        StatsSettings settings;
        CacheSizes sizes = cache_sizes(config.general);
        settings.hash_size = sizes.hash_size;
        settings.hash_limit = sizes.hash_limit;
        settings.overrun_resync_secs = config.general.netlink_overrun_resync;
        settings.poll_secs = config.general.poll_secs.value_or(0);
        settings.events = event_settings(config.general);
        settings.filter = filter_rules(config.general.filter);
        stats_ = std::make_unique<StatsMode>(loop, std::move(settings), *output_, counters, &processes);
    }
    void start() override { stats_->start(); }
    bool handle_request(ControlSession &session) override { return stats_->handle_request(session); }
    const KernelEvents *events() const override { return &stats_->events(); }

private:
    std::unique_ptr<PluginOutput> output_;
    std::unique_ptr<StatsMode> stats_;
};

class SyncRuntime : public Mode {
public:
    SyncRuntime(const config::Config &config, EventLoop &loop, PluginHost &host,
                PluginLoader &loader, NetlinkCounters &counters, ProcessTable &processes) {
        std::vector<std::string> warnings;
        ConfiguredPlugin mode = configure_plugin(config, config.sync.mode, loader, &warnings);
        std::vector<sync::LinkSetup> links;
        for (size_t i = 0; i < config.sync.links.size(); ++i) {
            ConfiguredPlugin link = configure_plugin(config, config.sync.links[i], loader, &warnings);
            sync::LinkSetup setup;
            setup.plugin = link.plugin;
            setup.config = std::move(link.config);
            setup.is_default = i == config.sync.default_link;
            links.push_back(std::move(setup));
        }
        log_warnings(warnings);

        sync::SyncSettings settings;
        CacheSizes sizes = cache_sizes(config.general);
        settings.hash_size = sizes.hash_size;
        settings.hash_limit = sizes.hash_limit;
        settings.filter = filter_rules(config.general.filter);
        settings.events = event_settings(config.general);
        settings.overrun_resync_secs = config.general.netlink_overrun_resync;
        settings.poll_secs = config.general.poll_secs.value_or(0);
        settings.tcp_window_tracking = config.sync.tcp_window_tracking;
        settings.expectation_sync = config.sync.expectation_sync;
        settings.expectation_helpers = config.sync.expectation_helpers;
        if (settings.expectation_sync)
            settings.events.groups |= ct::msg::GroupExpNew | ct::msg::GroupExpUpdate | ct::msg::GroupExpDestroy;
        // The mode's block also holds keys the engine acts on.
        ctd::sdk::Config view(mode.config->get());
        settings.disable_internal_cache = view.boolean("DisableInternalCache");
        settings.disable_external_cache = view.boolean("DisableExternalCache");
        settings.commit_timeout = static_cast<uint32_t>(view.number("CommitTimeout"));
        settings.purge_timeout = static_cast<uint32_t>(view.number("PurgeTimeout", 60));
        settings.startup_resync = view.boolean("StartupResync");
        if (settings.disable_external_cache && settings.commit_timeout) {
            logger().log(log_warning, "CommitTimeout has no effect with DisableExternalCache: ignoring it");
            settings.commit_timeout = 0;
        }
        engine_ = std::make_unique<sync::Engine>(loop, host, std::move(settings), mode.plugin,
                                                 std::move(mode.config), std::move(links), counters,
                                                 &processes);
    }
    void start() override { engine_->start(); }
    bool handle_request(ControlSession &session) override { return engine_->handle_request(session); }
    const KernelEvents *events() const override { return nullptr; }

private:
    std::unique_ptr<sync::Engine> engine_;
};

} // namespace

std::unique_ptr<Mode> make_mode(const config::Config &config, EventLoop &loop, PluginHost &host,
                                PluginLoader &loader, NetlinkCounters &counters,
                                ProcessTable &processes) {
    if (config.stats.configured)
        return std::make_unique<StatsRuntime>(config, loop, host, loader, counters, processes);
    if (config.sync.configured)
        return std::make_unique<SyncRuntime>(config, loop, host, loader, counters, processes);
    return nullptr;
}

} // namespace ctd
