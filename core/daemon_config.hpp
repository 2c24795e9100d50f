// What the process life cycle takes from the configuration model.
#pragma once

#include "config/config.hpp"
#include "daemon.hpp"

namespace ctd {

// General's LogFile, Syslog, LockFile, UNIX Path, Scheduler and Systemd.
DaemonSettings daemon_settings_from(const config::General &general);

} // namespace ctd
