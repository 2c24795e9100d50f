// The daemon's one logger.  Lines have the reference's layout,
//   [Sat Nov 28 01:14:43 2026] (pid=123) [notice] message
// and go to the console (console mode), a log file and/or syslog.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace ctd {

enum LogPriority : int {
    log_error = 3,
    log_warning = 4,
    log_notice = 5,
    log_info = 6,
    log_debug = 7,
};

// The word the reference prints for a priority: info, notice, warning, ERROR.
const char *log_priority_word(int priority);

class Logger {
public:
    static Logger &instance();

    // Console mode: info and notice go to stdout, warnings and errors to
    // stderr.  Daemon mode switches it off once the log targets are open.
    void set_console(bool enabled) { console_ = enabled; }
    bool console() const { return console_; }
    // Console lines only up to this priority (default: all).  A daemon
    // still attached to its caller's terminal shows warnings and errors.
    void set_console_max_priority(int priority) { console_max_priority_ = priority; }
    void set_debug(bool enabled) { debug_ = enabled; }

    // Opens (append, 0600 through the daemon's umask) the log file.  Returns
    // false and fills `error` on failure.
    bool open_file(const std::string &path, std::string &error);
    bool reopen_file(std::string &error);
    void open_syslog(int facility);
    void close();

    void log(int priority, std::string_view message);
    void logf(int priority, const char *format, ...) __attribute__((format(printf, 3, 4)));

private:
    Logger() = default;
    std::string format_line(int priority, std::string_view message) const;

    struct FileCloser {
        void operator()(std::FILE *f) const { std::fclose(f); }
    };
    bool console_ = true;
    int console_max_priority_ = log_debug;
    bool debug_ = false;
    bool syslog_ = false;
    std::string file_path_;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

inline Logger &logger() { return Logger::instance(); }

} // namespace ctd
