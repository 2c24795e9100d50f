// INTERIM reader: see interim_config.hpp.
#include "interim_config.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sched.h>
#include <sstream>
#include <strings.h>
#include <syslog.h>

namespace ctd {

namespace {

struct Token {
    std::string text;
    int line;
};

std::vector<Token> tokenize(const std::string &text) {
    std::vector<Token> tokens;
    int line = 1;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '\n') {
            ++line;
            ++i;
        } else if (c == '#') {
            while (i < text.size() && text[i] != '\n')
                ++i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else if (c == '{' || c == '}') {
            tokens.push_back({std::string(1, c), line});
            ++i;
        } else {
            size_t start = i;
            while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
                   text[i] != '{' && text[i] != '}' && text[i] != '#')
                ++i;
            tokens.push_back({text.substr(start, i - start), line});
        }
    }
    return tokens;
}

class Reader {
public:
    explicit Reader(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    InterimConfig read() {
        while (!at_end()) {
            const Token &section = next();
            expect("{");
            if (section.text == "General")
                general();
            else if (section.text == "Sync")
                config_.has_sync = true, skip_block();
            else if (section.text == "Stats")
                config_.has_stats = true, skip_block();
            else if (section.text == "Helper")
                config_.has_helper = true, skip_block();
            else
                syntax_error(section);
        }
        // As the reference: Priority counts only with Type (and is then 0
        // when absent, which the kernel refuses for a real-time policy).
        if (scheduler_type_) {
            config_.settings.scheduler_policy = *scheduler_type_;
            config_.settings.scheduler_priority = scheduler_priority_.value_or(0);
        }
        return std::move(config_);
    }

private:
    bool at_end() const { return position_ >= tokens_.size(); }
    const Token &peek() const { return at_end() ? end_ : tokens_[position_]; }
    const Token &next() {
        if (at_end())
            syntax_error(end_);
        return tokens_[position_++];
    }
    [[noreturn]] void syntax_error(const Token &token) const {
        int line = token.line ? token.line : (tokens_.empty() ? 1 : tokens_.back().line);
        throw std::runtime_error("parsing config file in line (" + std::to_string(line) +
                                 "), symbol '" + token.text + "': syntax error");
    }
    void expect(const char *text) {
        const Token &token = next();
        if (token.text != text)
            syntax_error(token);
    }
    // A value: any word but a brace.
    const Token &value() {
        const Token &token = next();
        if (token.text == "{" || token.text == "}")
            syntax_error(token);
        return token;
    }
    // After an opening brace: up to and including the matching one.
    void skip_block() {
        for (int depth = 1; depth > 0;) {
            const Token &token = next();
            if (token.text == "{")
                ++depth;
            else if (token.text == "}")
                --depth;
        }
    }
    // An unknown keyword: the rest of its line, and the block it opens.
    void skip_statement(const Token &keyword) {
        while (!at_end() && peek().line == keyword.line && peek().text != "}") {
            if (next().text == "{") {
                skip_block();
                return;
            }
        }
    }
    static bool is_on(const std::string &word) {
        return !strcasecmp(word.c_str(), "on") || !strcasecmp(word.c_str(), "yes");
    }
    static bool is_off(const std::string &word) {
        return !strcasecmp(word.c_str(), "off") || !strcasecmp(word.c_str(), "no");
    }
    bool boolean() {
        const Token &token = value();
        if (is_on(token.text))
            return true;
        if (is_off(token.text))
            return false;
        syntax_error(token);
    }

    void general() {
        DaemonSettings &s = config_.settings;
        for (;;) {
            const Token &keyword = next();
            const std::string &k = keyword.text;
            if (k == "}")
                return;
            if (k == "LogFile") {
                const Token &v = value();
                if (is_on(v.text))
                    s.log_file = "/var/log/conntrackd.log";
                else if (is_off(v.text))
                    s.log_file.clear();
                else if (v.text[0] == '/')
                    s.log_file = v.text;
                else
                    syntax_error(v);
            } else if (k == "LockFile") {
                const Token &v = value();
                if (v.text[0] != '/')
                    syntax_error(v);
                s.lock_file = v.text;
            } else if (k == "Syslog") {
                syslog(value());
            } else if (k == "Systemd") {
                s.systemd = boolean();
            } else if (k == "UNIX") {
                expect("{");
                unix_block();
            } else if (k == "Scheduler") {
                expect("{");
                scheduler_block();
            } else if (k == "{") {
                syntax_error(keyword);
            } else {
                skip_statement(keyword);
            }
        }
    }

    void syslog(const Token &v) {
        static const struct {
            const char *name;
            int facility;
        } facilities[] = {
            {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
            {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
            {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
        };
        if (is_on(v.text)) {
            config_.settings.syslog_facility = LOG_DAEMON;
            return;
        }
        if (is_off(v.text)) {
            config_.settings.syslog_facility.reset();
            return;
        }
        for (const auto &f : facilities) {
            if (v.text == f.name) {
                config_.settings.syslog_facility = f.facility;
                return;
            }
        }
        config_.warnings.push_back("'" + v.text + "' is not a known syslog facility, ignoring");
    }

    void unix_block() {
        for (;;) {
            const Token &keyword = next();
            if (keyword.text == "}")
                return;
            if (keyword.text == "Path") {
                const Token &v = value();
                if (v.text[0] != '/')
                    syntax_error(v);
                config_.settings.unix_path = v.text;
            } else if (keyword.text == "Backlog") {
                value();
                config_.warnings.push_back("Backlog option inside UNIX clause is obsolete. "
                                           "Please, remove it from conntrackd.conf");
            } else {
                syntax_error(keyword);
            }
        }
    }

    void scheduler_block() {
        for (;;) {
            const Token &keyword = next();
            if (keyword.text == "}")
                return;
            if (keyword.text == "Type") {
                const Token &v = value();
                if (v.text == "RR")
                    scheduler_type_ = SCHED_RR;
                else if (v.text == "FIFO")
                    scheduler_type_ = SCHED_FIFO;
                else
                    throw std::runtime_error("unknown scheduler `" + v.text + "'");
            } else if (keyword.text == "Priority") {
                const Token &v = value();
                char *end = nullptr;
                long priority = std::strtol(v.text.c_str(), &end, 10);
                if (*end || v.text.empty())
                    syntax_error(v);
                if (priority < 0 || priority > 99)
                    throw std::runtime_error("`Priority' must be [0, 99]");
                scheduler_priority_ = static_cast<int>(priority);
            } else {
                syntax_error(keyword);
            }
        }
    }

    std::vector<Token> tokens_;
    size_t position_ = 0;
    Token end_{"end of file", 0};
    InterimConfig config_;
    std::optional<int> scheduler_type_;
    std::optional<int> scheduler_priority_;
};

} // namespace

InterimConfig parse_interim_config(const std::string &text) {
    return Reader(tokenize(text)).read();
}

InterimConfig read_interim_config(const std::string &path) {
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error("can't open config file `" + path + "'");
    std::ostringstream text;
    text << file.rdbuf();
    return parse_interim_config(text.str());
}

} // namespace ctd
