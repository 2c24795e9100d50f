// conntrackd: the connection tracking daemon.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "config/config.hpp"
#include "control_client.hpp"
#include "daemon.hpp"
#include "daemon_config.hpp"
#include "daemon_setup.hpp"
#include "log.hpp"
#include "modes.hpp"
#include "options.hpp"
#include "plugin_commands.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"

namespace {

using namespace ctd;

// CONNTRACKD_PLUGIN_DIR replaces the built-in directory (the test suite uses
// it so that an installed copy can never interfere); --plugin-dir adds one.
std::unique_ptr<PluginLoader> make_loader(const Options &options, PluginHost *host) {
    const char *dir = std::getenv("CONNTRACKD_PLUGIN_DIR");
    auto loader = std::make_unique<PluginLoader>(dir && *dir ? dir : CTD_PLUGINDIR, host);
    for (const std::string &extra : options.plugin_dirs)
        loader->add_directory(extra);
    return loader;
}

// Client requests and the daemon both read the config file (a client needs
// the socket path), so a config error breaks both, as in the reference.
bool read_config(const std::string &path, config::Config &out) {
    try {
        out = config::parse_file(path);
        return true;
    } catch (const std::exception &e) {
        logger().log(log_error, e.what());
        return false;
    }
}

// Every plugin block is checked before anything starts: a config mistake
// is one error line, and no lock file or socket is touched.
bool preflight(const Options &options, const config::Config &config) {
    EventLoop loop;
    PluginHost host(&loop);
    auto loader = make_loader(options, &host);
    for (const config::PluginBlock *block : config.plugin_blocks()) {
        try {
            configure_plugin(config, *block, *loader, nullptr);
        } catch (const PluginError &e) {
            logger().logf(log_error, "%s:%u: %s", config.file.c_str(), block->line, e.what());
            return false;
        } catch (const std::exception &e) {
            logger().log(log_error, e.what());
            return false;
        }
    }
    return true;
}

int run_daemon(const Options &options, const config::Config &config) {
    // Plugins and the mode live from the daemon's initialisation to its
    // shutdown, on the daemon's own main loop.
    std::unique_ptr<PluginHost> host;
    std::unique_ptr<PluginLoader> loader;
    std::unique_ptr<Mode> mode;
    Daemon::Hooks hooks;
    hooks.init = [&](Daemon &daemon, std::string &error) {
        try {
            host = std::make_unique<PluginHost>(&daemon.loop());
            loader = make_loader(options, host.get());
            mode = make_mode(config, daemon.loop(), *host, *loader, daemon.netlink_counters(),
                             daemon.processes());
            if (mode) {
                mode->start();
                daemon.control().add_handler(
                    [&mode](ControlSession &session) { return mode->handle_request(session); });
            }
            return true;
        } catch (const std::exception &e) {
            error = e.what();
            return false;
        }
    };
    hooks.shutdown = [&](Daemon &) {
        mode.reset();
        loader.reset();
        host.reset();
    };
    Daemon daemon(daemon_settings_from(config.general), options.daemonize, std::move(hooks));
    return daemon.run();
}

} // namespace

int main(int argc, char **argv) {
    std::vector<std::string> args(argv, argv + argc);
    ParseOutcome parsed = parse_options(args);
    Logger &log = logger();
    log.set_console(true);

    if (parsed.show_usage)
        std::fputs(usage_text(args.empty() ? "conntrackd" : args[0]).c_str(), stdout);
    for (const std::string &warning : parsed.warnings)
        log.log(log_warning, warning);
    if (!parsed.error.empty())
        log.log(log_error, parsed.error);
    const Options &options = parsed.options;
    if (options.mode == Options::Mode::version) {
        std::fputs(version_text().c_str(), stdout);
        return 0;
    }
    if (parsed.exit_now)
        return parsed.exit_status;

    switch (options.mode) {
    case Options::Mode::list_plugins: {
        auto loader = make_loader(options, nullptr);
        return list_plugins(*loader);
    }
    case Options::Mode::plugin_info: {
        EventLoop loop;
        PluginHost host(&loop);
        auto loader = make_loader(options, &host);
        return describe_plugin(*loader, options.plugin_spec);
    }
    case Options::Mode::request: {
        config::Config config;
        if (!read_config(options.config_file, config))
            return 1;
        return send_control_request(config.general.unix_path, *options.request, stdout);
    }
    case Options::Mode::none:
    case Options::Mode::daemon: {
        config::Config config;
        if (!read_config(options.config_file, config))
            return 1;
        if (options.config_test) {
            EventLoop loop;
            PluginHost host(&loop);
            auto loader = make_loader(options, &host);
            int problems = config_test(config, *loader);
            if (problems) {
                log.logf(log_error, "%s: %d problem%s found", config.file.c_str(), problems,
                         problems == 1 ? "" : "s");
                return 1;
            }
            std::printf("%s: configuration is valid\n", config.file.c_str());
            return 0;
        }
        for (const std::string &warning : config.warnings)
            log.log(log_warning, warning);
        if (!preflight(options, config))
            return 1;
        return run_daemon(options, config);
    }
    default:
        return 1;
    }
}
