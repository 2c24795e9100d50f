// The daemon's running modes, built from the configuration: stats (flow
// log through an output plugin) or sync (the engine with its mode and
// links).  Each answers the control requests it knows.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "control_server.hpp"
#include "daemon_setup.hpp"
#include "event_loop.hpp"
#include "kernel.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"
#include "stats_mode.hpp"
#include "sync/engine.hpp"

namespace ctd {

class Mode {
public:
    virtual ~Mode() = default;
    // Throws std::runtime_error, PluginError or ConfigError.
    virtual void start() = 0;
    // Returns false for requests the mode does not know.
    virtual bool handle_request(ControlSession &session) = 0;
    virtual const KernelEvents *events() const = 0;
};

// Builds the mode the configuration describes (or null when it has neither
// Sync nor Stats).  Plugins are loaded and their blocks checked here.
std::unique_ptr<Mode> make_mode(const config::Config &config, EventLoop &loop, PluginHost &host,
                                PluginLoader &loader, NetlinkCounters &counters,
                                ProcessTable &processes);

} // namespace ctd
