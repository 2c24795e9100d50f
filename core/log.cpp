#include "log.hpp"

#include <cstdarg>
#include <ctime>
#include <syslog.h>
#include <unistd.h>
#include <vector>

namespace ctd {

const char *log_priority_word(int priority) {
    switch (priority) {
    case log_error: return "ERROR";
    case log_warning: return "warning";
    case log_notice: return "notice";
    case log_debug: return "debug";
    default: return "info";
    }
}

Logger &Logger::instance() {
    static Logger logger;
    return logger;
}

bool Logger::open_file(const std::string &path, std::string &error) {
    std::FILE *f = std::fopen(path.c_str(), "a+");
    if (!f) {
        error = "can't open log file `" + path + "'";
        return false;
    }
    // Line buffering: a crash must not lose the lines that explain it.
    std::setvbuf(f, nullptr, _IOLBF, 0);
    file_.reset(f);
    file_path_ = path;
    return true;
}

bool Logger::reopen_file(std::string &error) {
    if (file_path_.empty())
        return true;
    std::string path = file_path_;
    file_.reset();
    return open_file(path, error);
}

void Logger::open_syslog(int facility) {
    openlog("conntrackd", LOG_PID, facility);
    syslog_ = true;
}

void Logger::close() {
    file_.reset();
    file_path_.clear();
    if (syslog_)
        closelog();
    syslog_ = false;
}

std::string Logger::format_line(int priority, std::string_view message) const {
    std::time_t now = std::time(nullptr);
    char when[64];
    // ctime(3) text without its trailing newline, as the reference prints it.
    if (!ctime_r(&now, when))
        when[0] = '\0';
    for (char *c = when; *c; ++c)
        if (*c == '\n')
            *c = '\0';
    std::string line;
    line.reserve(message.size() + 64);
    line += '[';
    line += when;
    line += "] (pid=";
    line += std::to_string(getpid());
    line += ") [";
    line += log_priority_word(priority);
    line += "] ";
    line += message;
    line += '\n';
    return line;
}

void Logger::log(int priority, std::string_view message) {
    if (priority == log_debug && !debug_)
        return;
    bool to_console = console_ && priority <= console_max_priority_;
    if (to_console || file_) {
        std::string line = format_line(priority, message);
        if (to_console) {
            std::FILE *out = priority <= log_warning ? stderr : stdout;
            std::fwrite(line.data(), 1, line.size(), out);
            std::fflush(out);
        }
        if (file_)
            std::fwrite(line.data(), 1, line.size(), file_.get());
    }
    if (syslog_)
        syslog(priority, "%.*s", static_cast<int>(message.size()), message.data());
}

void Logger::logf(int priority, const char *format, ...) {
    va_list args;
    va_start(args, format);
    char small[512];
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(small, sizeof small, format, copy);
    va_end(copy);
    if (n < 0) {
        va_end(args);
        return;
    }
    if (static_cast<size_t>(n) < sizeof small) {
        va_end(args);
        log(priority, std::string_view(small, n));
        return;
    }
    std::vector<char> big(n + 1);
    std::vsnprintf(big.data(), big.size(), format, args);
    va_end(args);
    log(priority, std::string_view(big.data(), n));
}

} // namespace ctd
