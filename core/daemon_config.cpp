#include "daemon_config.hpp"

namespace ctd {

DaemonSettings daemon_settings_from(const config::General &general) {
    DaemonSettings settings;
    settings.unix_path = general.unix_path;
    settings.lock_file = general.lock_file;
    settings.log_file = general.log_file;
    settings.syslog_facility = general.syslog_facility;
    settings.scheduler_policy = general.scheduler.effective_type();
    settings.scheduler_priority = general.scheduler.effective_priority();
    settings.systemd = general.systemd;
    return settings;
}

} // namespace ctd
