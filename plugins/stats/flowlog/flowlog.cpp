// Output plugin "flowlog": the reference's stats-mode flow log.
//
// One line per flow that ended, in a file and/or syslog, exactly as the
// reference conntrackd writes it:
//   <ctime of the event><TAB><the flow as `conntrack -L` prints it>
// Syslog gets the same text without the time, at LOG_INFO.
#include <conntrackd/plugin.hpp>

#include <cstdio>
#include <ctime>
#include <strings.h>
#include <syslog.h>

namespace {

constexpr const char *default_log_path = "/var/log/conntrackd-stats.log";
// The reference refuses longer paths.
constexpr size_t max_path_length = 256;

struct FileCloser {
    void operator()(std::FILE *f) const { std::fclose(f); }
};

int facility_from_name(const std::string &name) {
    static const struct {
        const char *name;
        int facility;
    } facilities[] = {
        {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
        {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
        {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    for (const auto &f : facilities)
        if (!strcasecmp(name.c_str(), f.name))
            return f.facility;
    return -1;
}

bool is_on(const std::string &v) { return !strcasecmp(v.c_str(), "on") || !strcasecmp(v.c_str(), "yes"); }
bool is_off(const std::string &v) { return !strcasecmp(v.c_str(), "off") || !strcasecmp(v.c_str(), "no"); }

class FlowLog : public ctd::sdk::OutputPlugin {
public:
    static constexpr ctd_config_key config_keys[] = {
        {"LogFile", CTD_CONFIG_STRING, 0, "off",
         "on (/var/log/conntrackd-stats.log), off, or an absolute path", 0, 0},
        {"Syslog", CTD_CONFIG_STRING, 0, "off",
         "on (facility daemon), off, or a facility: daemon, local0..local7", 0, 0},
    };

    FlowLog(ctd::sdk::Host host, const ctd::sdk::Config &config) : host_(host) {
        std::string file = config.text("LogFile", "off");
        if (is_on(file)) {
            path_ = default_log_path;
        } else if (!is_off(file)) {
            if (file[0] != '/')
                throw ctd::sdk::PluginError(config.where("LogFile") +
                                            "LogFile expects on, off or an absolute path, found '" +
                                            file + "'");
            if (file.size() > max_path_length)
                throw ctd::sdk::PluginError(config.where("LogFile") + "LogFile path is longer than " +
                                            std::to_string(max_path_length) + " characters");
            path_ = file;
        }
        std::string sys = config.text("Syslog", "off");
        if (is_on(sys)) {
            facility_ = LOG_DAEMON;
        } else if (!is_off(sys)) {
            facility_ = facility_from_name(sys);
            if (facility_ < 0)
                throw ctd::sdk::PluginError(config.where("Syslog") + "unknown Syslog facility '" +
                                            sys + "' (daemon, local0..local7, on or off)");
        }
        if (!path_.empty())
            open();
    }

    void write_flow(const ctd_flow &flow, uint64_t when_us) override {
        std::string text = host_.format_flow(flow, CTD_FORMAT_PLAIN);
        if (file_) {
            std::time_t when = static_cast<std::time_t>(when_us / 1000000u);
            char stamp[64];
            if (!ctime_r(&when, stamp))
                stamp[0] = '\0';
            // ctime's text ends in a newline, which the record replaces by a tab.
            for (char *c = stamp; *c; ++c)
                if (*c == '\n')
                    *c = '\0';
            if (std::fprintf(file_.get(), "%s\t%s\n", stamp, text.c_str()) < 0)
                throw ctd::sdk::PluginError("cannot write to " + path_, EIO);
        }
        if (facility_ >= 0)
            syslog(facility_ | LOG_INFO, "%s", text.c_str());
    }

    // Records are buffered between main-loop rounds and pushed out here, so
    // a storm of ended flows costs one write per round, not one per flow.
    void flush() override {
        if (file_ && std::fflush(file_.get()) != 0)
            throw ctd::sdk::PluginError("cannot write to " + path_, EIO);
    }

    void reopen() override {
        if (path_.empty())
            return;
        flush();
        file_.reset();
        open();
    }

private:
    void open() {
        std::FILE *f = std::fopen(path_.c_str(), "a");
        if (!f)
            throw ctd::sdk::PluginError("can't open log file `" + path_ + "': " + std::strerror(errno),
                                        errno);
        file_.reset(f);
    }

    ctd::sdk::Host host_;
    std::string path_;
    int facility_ = -1;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

} // namespace

CTD_OUTPUT_PLUGIN(FlowLog, "flowlog", "1.0.0",
                  "flow log in the reference's text format (file and syslog)")
