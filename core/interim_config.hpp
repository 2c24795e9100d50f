// INTERIM: a minimal reader of conntrackd.conf, to be replaced by the full
// parser (core/config/, branch `config`) when both land on main.
//
// It reads only what the process life cycle needs from General (LogFile,
// Syslog, LockFile, UNIX { Path }, Scheduler { Type Priority }, Systemd)
// and notes whether Sync, Stats or Helper sections are present; every other
// keyword is skipped without being checked.  The replacement is one
// function: fill DaemonSettings from ctd::config::General.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "daemon.hpp"

namespace ctd {

struct InterimConfig {
    DaemonSettings settings;
    bool has_sync = false;
    bool has_stats = false;
    bool has_helper = false;
    std::vector<std::string> warnings;
};

// Throws std::runtime_error with the reference's messages:
// ``can't open config file `%s'`` or
// `parsing config file in line (%d), symbol '%s': syntax error`.
InterimConfig read_interim_config(const std::string &path);
InterimConfig parse_interim_config(const std::string &text);

} // namespace ctd
