// conntrackd: the connection tracking daemon.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "config.h"
#include "control_client.hpp"
#include "daemon.hpp"
#include "config/config.hpp"
#include "daemon_config.hpp"
#include "log.hpp"
#include "options.hpp"
#include "plugin_commands.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"

int main(int argc, char **argv) {
    using namespace ctd;
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

    EventLoop loop;
    PluginHost host(&loop);
    // CONNTRACKD_PLUGIN_DIR replaces the built-in directory (the test suite
    // uses it so that an installed copy can never interfere).
    const char *plugin_dir = std::getenv("CONNTRACKD_PLUGIN_DIR");
    PluginLoader loader(plugin_dir && *plugin_dir ? plugin_dir : CTD_PLUGINDIR, &host);
    for (const std::string &dir : options.plugin_dirs)
        loader.add_directory(dir);

    // Client requests and the daemon both read the config file (a client
    // needs the socket path), so a config error breaks both, as in the
    // reference (which also logs the config's warnings in both).
    auto read_config = [&](config::Config &config) {
        try {
            config = config::parse_file(options.config_file);
        } catch (const std::exception &e) {
            log.log(log_error, e.what());
            return false;
        }
        for (const std::string &warning : config.warnings)
            log.log(log_warning, warning);
        return true;
    };

    switch (options.mode) {
    case Options::Mode::list_plugins:
        return list_plugins(loader);
    case Options::Mode::plugin_info:
        return describe_plugin(loader, options.plugin_spec);
    case Options::Mode::request: {
        config::Config config;
        if (!read_config(config))
            return 1;
        return send_control_request(config.general.unix_path, *options.request, stdout);
    }
    case Options::Mode::none:
    case Options::Mode::daemon: {
        if (options.config_test)
            break;
        config::Config config;
        if (!read_config(config))
            return 1;
        if (config.sync.configured || config.stats.configured || config.helper.configured) {
            log.log(log_error, "this build of conntrackd runs only the control socket: the "
                               "Sync, Stats and Helper sections are not supported yet");
            return 1;
        }
        Daemon daemon(daemon_settings_from(config.general), options.daemonize);
        return daemon.run();
    }
    default:
        break;
    }
    log.log(log_error, "--config-test is not available yet in this build of conntrackd");
    return 1;
}
