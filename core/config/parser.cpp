// conntrackd.conf: recursive descent over the lexer's tokens, building the
// model of config.hpp.  What the reference accepts is accepted with the same
// effective values (its quirks included, see docs/compatibility.md); what it
// rejects is rejected, with a message that says where, what was found and
// what was expected.
#include "config/config.hpp"
#include "config/lexer.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <functional>
#include <netdb.h>
#include <sched.h>
#include <sstream>
#include <strings.h>
#include <syslog.h>

#include <linux/netfilter/nf_conntrack_tcp.h>

namespace ctd::config {

namespace {

constexpr uint64_t max_u32 = 0xffffffffu;

// Sync modes of the reference, in its order of precedence when several Mode
// blocks are given.
const char *const builtin_modes[] = {"ftfw", "alarm", "notrack"};

int builtin_mode_rank(const std::string &name) {
    for (int i = 0; i < 3; ++i)
        if (name == builtin_modes[i])
            return i;
    return -1;
}

std::string mode_label(const std::string &name) {
    if (builtin_mode_rank(name) >= 0) {
        std::string upper = name;
        for (char &c : upper)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return upper;
    }
    return name;
}

struct LinkKind {
    const char *keyword;
    const char *plugin;
};
// Transport keywords of the grammar and the plugins behind them.
const LinkKind link_kinds[] = {{"Multicast", "mcast"}, {"UDP", "udp"}, {"TCP", "tcp"}};

struct Facility {
    const char *name;
    int value;
};
const Facility facilities[] = {
    {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

std::optional<int> facility_from_name(const std::string &name) {
    // Case-sensitive, as in the reference: `LOCAL0` is not a facility.
    for (const Facility &f : facilities)
        if (name == f.name)
            return f.value;
    return std::nullopt;
}

struct StateName {
    const char *keyword;
    uint8_t state;
};
const StateName tcp_states[] = {
    {"SYN_SENT", TCP_CONNTRACK_SYN_SENT},       {"SYN_RECV", TCP_CONNTRACK_SYN_RECV},
    {"ESTABLISHED", TCP_CONNTRACK_ESTABLISHED}, {"FIN_WAIT", TCP_CONNTRACK_FIN_WAIT},
    {"CLOSE_WAIT", TCP_CONNTRACK_CLOSE_WAIT},   {"LAST_ACK", TCP_CONNTRACK_LAST_ACK},
    {"TIME_WAIT", TCP_CONNTRACK_TIME_WAIT},     {"CLOSE", TCP_CONNTRACK_CLOSE},
    {"CLOSED", TCP_CONNTRACK_CLOSE},            {"LISTEN", TCP_CONNTRACK_LISTEN},
};

// Words the reference lexes as IP (1 to 4 hex digits, e.g. `abc`) are still
// fine as names where we take any word.
bool is_word(const Token &t) {
    if (t.kind == TokenKind::string)
        return true;
    if (t.kind != TokenKind::address || t.text.empty())
        return false;
    return std::all_of(t.text.begin(), t.text.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }) &&
           std::isalpha(static_cast<unsigned char>(t.text[0]));
}

bool is_value(const Token &t) {
    switch (t.kind) {
    case TokenKind::on:
    case TokenKind::off:
    case TokenKind::number:
    case TokenKind::signed_number:
    case TokenKind::address:
    case TokenKind::path:
    case TokenKind::string:
        return true;
    default:
        return false;
    }
}

// The text of a value as the plugin receives it.  on/off words are passed as
// written, except the `|` spellings the reference's typo accepts.
std::string value_text(const Token &t) {
    if ((t.kind == TokenKind::on || t.kind == TokenKind::off) &&
        t.text.find('|') != std::string::npos)
        return t.kind == TokenKind::on ? "on" : "off";
    return t.text;
}

// A word shown in a message: quoted, control characters escaped.
std::string quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '\t')
            out += "\\t";
        else if (c == '\r')
            out += "\\r";
        else if (u < 0x20 || u == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        } else
            out += c;
    }
    return out + "'";
}

std::string describe(const Token &t) {
    if (t.kind == TokenKind::end)
        return "end of file";
    if (t.kind == TokenKind::other && static_cast<unsigned char>(t.text[0]) >= 0x80) {
        // One byte of a multi-byte character: show it, not half a character.
        char hex[8];
        std::snprintf(hex, sizeof hex, "'\\x%02x'", static_cast<unsigned char>(t.text[0]));
        return hex;
    }
    if (t.kind == TokenKind::keyword)
        return "keyword " + quoted(t.text);
    return quoted(t.text);
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// " (did you mean 'X'?)" when `found` is close to one of `candidates`.
std::string suggestion(const Token &found, const std::vector<std::string_view> &candidates) {
    if (found.kind == TokenKind::end || found.text.empty())
        return "";
    for (std::string_view c : candidates)
        if (c.size() == found.text.size() && !strncasecmp(c.data(), found.text.c_str(), c.size()) &&
            c != found.text)
            return " (keywords are case-sensitive: did you mean '" + std::string(c) + "'?)";
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (std::string_view c : candidates) {
        size_t d = edit_distance(found.text, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    // An abbreviation of a keyword (Prio for Priority) is a likely slip too.
    if (found.text.size() >= 3)
        for (std::string_view c : candidates)
            if (c.size() > found.text.size() && c.substr(0, found.text.size()) == found.text)
                return " (did you mean '" + std::string(c) + "'?)";
    size_t allowed = found.text.size() >= 6 ? 2 : 1;
    if (!best.empty() && best_distance <= allowed && best != found.text)
        return " (did you mean '" + std::string(best) + "'?)";
    return "";
}

std::string join_alternatives(const std::vector<std::string_view> &words, const char *last) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i)
            out += i + 1 == words.size() && !*last ? " or " : ", ";
        out += words[i];
    }
    if (*last)
        out += std::string(words.empty() ? "" : " or ") + last;
    return out;
}

struct OpenBlock {
    std::string name; // e.g. "General/UNIX"
    uint32_t line;
};

class Parser {
public:
    Parser(std::vector<Token> tokens, std::string file)
        : tokens_(std::move(tokens)) {
        config_.file = std::move(file);
    }

    Config run() {
        parse_top_level();
        finish();
        return std::move(config_);
    }

private:
    // ----------------------------------------------------------------------
    // Tokens and messages

    const Token &peek() const { return tokens_[pos_]; }
    const Token &next() {
        const Token &t = tokens_[pos_];
        if (t.kind != TokenKind::end)
            ++pos_;
        return t;
    }

    std::string at(uint32_t line) const { return config_.file + ":" + std::to_string(line) + ": "; }

    [[noreturn]] void fail(uint32_t line, const std::string &message) const {
        throw ConfigError(at(line) + message);
    }

    void warn(uint32_t line, const std::string &message) {
        config_.warnings.push_back(at(line) + message);
    }

    std::string where() const {
        if (blocks_.empty())
            return "at top level";
        return "in " + blocks_.back().name + " block";
    }

    // "unexpected X in B block: <expected>", or for the end of the file
    // "unexpected end of file in B block (opened at line N): <expected>",
    // where <expected> is "expected ..." or "Key expects ...".
    [[noreturn]] void unexpected(const Token &t, const std::string &expected,
                                 const std::string &hint = "") const {
        std::string message = "unexpected " + describe(t) + " " + where();
        if (t.kind == TokenKind::end && !blocks_.empty())
            message += " (opened at line " + std::to_string(blocks_.back().line) + ")";
        fail(t.line, message + ": " + expected + hint);
    }

    // A keyword was expected: lists them when few, suggests the closest.
    [[noreturn]] void unexpected_keyword(const Token &t, const std::vector<std::string_view> &keywords,
                                         bool in_block = true) const {
        std::string expected = keywords.size() <= 6
                                   ? join_alternatives(keywords, in_block ? "'}'" : "")
                                   : std::string("a keyword of this block") + (in_block ? " or '}'" : "");
        unexpected(t, "expected " + expected, t.kind == TokenKind::end ? "" : suggestion(t, keywords));
    }

    void open_block(const std::string &name, const std::string &what) {
        const Token &t = next();
        if (t.kind != TokenKind::open)
            unexpected(t, "expected '{' to open " + what);
        blocks_.push_back({name, t.line});
    }
    void close_block() { blocks_.pop_back(); }

    // ----------------------------------------------------------------------
    // Values

    uint64_t number_of(const Token &key, const Token &value, uint64_t min, uint64_t max,
                       const std::string &what = "") {
        if (value.kind != TokenKind::number)
            unexpected(value, key.text + " expects " + (what.empty() ? "a number" : what) +
                                  (value.kind == TokenKind::signed_number && value.text[0] == '+'
                                       ? " (written without a sign)"
                                       : ""));
        uint64_t n = 0;
        bool overflow = false;
        for (char c : value.text) {
            if (n > (UINT64_MAX - 9) / 10) {
                overflow = true;
                break;
            }
            n = n * 10 + static_cast<uint64_t>(c - '0');
        }
        if (overflow || n < min || n > max)
            fail(value.line, "bad value " + quoted(value.text) + " for " + key.text + " " + where() +
                                 ": expected a number from " + std::to_string(min) + " to " +
                                 std::to_string(max));
        return n;
    }

    uint32_t u32_of(const Token &key) { return static_cast<uint32_t>(number_of(key, next(), 0, max_u32)); }

    bool bool_of(const Token &key) {
        const Token &v = next();
        if (v.kind == TokenKind::on)
            return true;
        if (v.kind == TokenKind::off)
            return false;
        unexpected(v, key.text + " expects on or off (yes or no)");
    }

    std::string path_of(const Token &key, const Token &value, size_t max_length,
                        const std::string &alternatives = "") {
        if (value.kind != TokenKind::path)
            unexpected(value, key.text + " expects " + alternatives + "an absolute path",
                       value.kind == TokenKind::string ? " (a path starts with '/')" : "");
        if (value.text.size() > max_length)
            fail(value.line, key.text + " path is longer than " + std::to_string(max_length) +
                                 " characters " + where() + " (it has " +
                                 std::to_string(value.text.size()) + ")");
        if (value.text.find_first_of("\t\r") != std::string::npos)
            warn(value.line, key.text + " path " + quoted(value.text) +
                                 " contains a tab or carriage return (kept as written; is the "
                                 "file in DOS format?)");
        return value.text;
    }

    // ----------------------------------------------------------------------
    // Top level

    void parse_top_level() {
        static const std::vector<std::string_view> sections = {"General", "Sync", "Stats", "Helper"};
        while (true) {
            const Token &t = next();
            if (t.kind == TokenKind::end)
                return;
            if (t.kind != TokenKind::keyword)
                unexpected_keyword(t, sections, false);
            if (t.text == "General")
                parse_general(t);
            else if (t.text == "Sync")
                parse_sync(t);
            else if (t.text == "Stats")
                parse_stats(t);
            else if (t.text == "Helper")
                parse_helper(t);
            else
                unexpected_keyword(t, sections, false);
        }
    }

    // ----------------------------------------------------------------------
    // General

    void parse_general(const Token &section) {
        General &g = config_.general;
        if (!g.line)
            g.line = section.line;
        open_block("General", "the General block");
        static const std::vector<std::string_view> keywords = {
            "HashSize", "HashLimit", "LogFile", "Syslog", "LockFile", "UNIX",
            "NetlinkBufferSize", "NetlinkBufferSizeMaxGrowth", "NetlinkOverrunResync",
            "NetlinkEventsReliable", "PollSecs", "EventIterationLimit", "Nice", "Scheduler",
            "Systemd", "Filter"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind != TokenKind::keyword)
                unexpected_keyword(key, keywords);
            const std::string &k = key.text;
            if (k == "HashSize" || k == "HashLimit") {
                // 0 is how the reference spells "not set".
                uint32_t n = u32_of(key);
                (k == "HashSize" ? g.hash_size : g.hash_limit) =
                    n ? std::optional<uint32_t>(n) : std::nullopt;
            } else if (k == "LogFile") {
                const Token &v = next();
                if (v.kind == TokenKind::on)
                    g.log_file = default_log_file;
                else if (v.kind == TokenKind::off)
                    g.log_file.clear();
                else
                    g.log_file = path_of(key, v, max_path_length, "on, off or ");
            } else if (k == "Syslog") {
                parse_general_syslog(key);
            } else if (k == "LockFile") {
                g.lock_file = path_of(key, next(), max_path_length);
            } else if (k == "UNIX") {
                parse_unix(key);
            } else if (k == "NetlinkBufferSize" || k == "SocketBufferSize") {
                if (k == "SocketBufferSize")
                    warn(key.line, "SocketBufferSize is the old name of NetlinkBufferSize");
                uint32_t n = u32_of(key);
                g.netlink_buffer_size = n ? std::optional<uint32_t>(n) : std::nullopt;
            } else if (k == "NetlinkBufferSizeMaxGrowth" || k == "SocketBufferSizeMaxGrown" ||
                       k == "SocketBufferSizeMaxGrowth") {
                if (k != "NetlinkBufferSizeMaxGrowth")
                    warn(key.line, k + " is the old name of NetlinkBufferSizeMaxGrowth");
                uint32_t n = u32_of(key);
                g.netlink_buffer_size_max_growth = n ? std::optional<uint32_t>(n) : std::nullopt;
            } else if (k == "NetlinkOverrunResync") {
                const Token &v = next();
                if (v.kind == TokenKind::on)
                    g.netlink_overrun_resync = default_netlink_overrun_resync;
                else if (v.kind == TokenKind::off)
                    g.netlink_overrun_resync = -1;
                else if (v.kind == TokenKind::number) {
                    int n = static_cast<int>(number_of(key, v, 0, INT_MAX));
                    g.netlink_overrun_resync = n ? n : default_netlink_overrun_resync;
                } else
                    unexpected(v, key.text + " expects on, off or a number of seconds");
            } else if (k == "NetlinkEventsReliable") {
                g.netlink_events_reliable = bool_of(key);
            } else if (k == "PollSecs") {
                const Token &v = next();
                uint32_t n = static_cast<uint32_t>(number_of(key, v, 0, max_u32));
                if (n == 0)
                    fail(v.line, "bad value '0' for PollSecs " + where() +
                                     ": the polling period must be > 0 seconds (leave PollSecs "
                                     "out to follow events)");
                g.poll_secs = n;
            } else if (k == "EventIterationLimit") {
                uint32_t n = u32_of(key);
                g.event_iteration_limit = n ? n : default_event_iteration_limit;
            } else if (k == "Nice") {
                const Token &v = next();
                if (v.kind != TokenKind::signed_number)
                    unexpected(v, "Nice expects a signed number such as -5 or +5",
                               " (Nice is deprecated and ignored: remove it, and use nice(1) if "
                               "needed)");
                warn(key.line, "Nice is deprecated and ignored: set the nice value with nice(1) "
                               "or renice(1)");
            } else if (k == "Scheduler") {
                parse_scheduler();
            } else if (k == "Systemd") {
                g.systemd = bool_of(key);
            } else if (k == "Filter") {
                parse_filter(key);
            } else {
                unexpected_keyword(key, keywords);
            }
        }
        close_block();
    }

    void parse_general_syslog(const Token &key) {
        General &g = config_.general;
        const Token &v = next();
        if (v.kind == TokenKind::on) {
            g.syslog_facility = LOG_DAEMON;
        } else if (v.kind == TokenKind::off) {
            g.syslog_facility.reset();
        } else if (v.kind == TokenKind::string) {
            if (auto f = facility_from_name(v.text))
                g.syslog_facility = f;
            else
                warn(v.line, quoted(v.text) + " is not a known syslog facility (daemon, local0 to "
                                              "local7): Syslog ignored");
        } else {
            unexpected(v, key.text + " expects on, off or a facility (daemon, local0 to local7)");
        }
    }

    void parse_unix(const Token &) {
        open_block("General/UNIX", "the UNIX block");
        static const std::vector<std::string_view> keywords = {"Path", "Backlog"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind == TokenKind::keyword && key.text == "Path") {
                config_.general.unix_path = path_of(key, next(), max_unix_path_length);
            } else if (key.kind == TokenKind::keyword && key.text == "Backlog") {
                u32_of(key);
                warn(key.line, "Backlog is deprecated and ignored (the control socket's backlog "
                               "is fixed)");
            } else {
                unexpected_keyword(key, keywords);
            }
        }
        if (!unix_block_line_)
            unix_block_line_ = blocks_.back().line;
        close_block();
    }

    void parse_scheduler() {
        Scheduler &s = config_.general.scheduler;
        open_block("General/Scheduler", "the Scheduler block");
        static const std::vector<std::string_view> keywords = {"Type", "Priority"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind == TokenKind::keyword && key.text == "Type") {
                const Token &v = next();
                if (v.kind != TokenKind::string)
                    unexpected(v, "Type expects RR or FIFO");
                if (!strcasecmp(v.text.c_str(), "rr"))
                    s.type = SCHED_RR;
                else if (!strcasecmp(v.text.c_str(), "fifo"))
                    s.type = SCHED_FIFO;
                else
                    fail(v.line, "unknown scheduler " + quoted(v.text) + " " + where() +
                                     ": expected RR or FIFO");
                scheduler_line_ = key.line;
            } else if (key.kind == TokenKind::keyword && key.text == "Priority") {
                s.priority = static_cast<int>(number_of(key, next(), 0, 99));
                scheduler_line_ = key.line;
            } else {
                unexpected_keyword(key, keywords);
            }
        }
        close_block();
    }

    // ----------------------------------------------------------------------
    // Filter

    FilterPolicy policy_of(const std::string &set) {
        const Token &v = next();
        if (v.kind == TokenKind::keyword && v.text == "Accept")
            return FilterPolicy::accept;
        if (v.kind == TokenKind::keyword && v.text == "Ignore")
            return FilterPolicy::ignore;
        unexpected(v, set + " expects Accept or Ignore", suggestion(v, {"Accept", "Ignore"}));
    }

    void parse_filter(const Token &key) {
        Filter &f = config_.general.filter;
        if (!f.configured)
            f.line = key.line;
        f.configured = true;
        bool kernelspace = false;
        if (peek().kind == TokenKind::keyword && peek().text == "From") {
            next();
            const Token &v = next();
            if (v.kind == TokenKind::keyword && v.text == "Kernelspace")
                kernelspace = true;
            else if (!(v.kind == TokenKind::keyword && v.text == "Userspace"))
                unexpected(v, "expected Userspace or Kernelspace after 'Filter From'",
                           suggestion(v, {"Userspace", "Kernelspace"}));
        }
        f.kernelspace = kernelspace;
        open_block("General/Filter", "the Filter block");
        static const std::vector<std::string_view> keywords = {"Protocol", "Address", "State"};
        while (true) {
            const Token &set = next();
            if (set.kind == TokenKind::close)
                break;
            if (set.kind != TokenKind::keyword)
                unexpected_keyword(set, keywords);
            if (set.text == "Protocol") {
                f.protocol.policy = policy_of("Protocol");
                parse_protocol_set();
            } else if (set.text == "Address") {
                f.address.policy = policy_of("Address");
                parse_address_set();
            } else if (set.text == "State") {
                f.state.policy = policy_of("State");
                parse_state_set();
            } else {
                unexpected_keyword(set, keywords);
            }
        }
        close_block();
    }

    void add_protocol(uint8_t protocol) {
        auto &list = config_.general.filter.protocol.protocols;
        if (std::find(list.begin(), list.end(), protocol) == list.end())
            list.push_back(protocol);
    }

    void parse_protocol_set() {
        open_block("General/Filter/Protocol", "the Protocol set");
        while (true) {
            const Token &t = next();
            if (t.kind == TokenKind::close)
                break;
            if (t.kind == TokenKind::keyword && (t.text == "TCP" || t.text == "UDP")) {
                add_protocol(t.text == "TCP" ? IPPROTO_TCP : IPPROTO_UDP);
            } else if (t.kind == TokenKind::string) {
                // Names go through /etc/protocols, as in the reference.
                struct protoent entry {}, *found = nullptr;
                char buffer[1024];
                if (getprotobyname_r(t.text.c_str(), &entry, buffer, sizeof buffer, &found) == 0 &&
                    found)
                    add_protocol(static_cast<uint8_t>(found->p_proto));
                else
                    warn(t.line, "unknown protocol " + quoted(t.text) +
                                     " (getprotobyname() cannot find it in /etc/protocols): "
                                     "ignored");
            } else {
                unexpected(t, "expected a protocol name (TCP, UDP or a name from /etc/protocols) or '}'",
                           t.kind == TokenKind::number ? " (write the protocol's name, not its number)"
                                                       : "");
            }
        }
        close_block();
    }

    void parse_address_set() {
        open_block("General/Filter/Address", "the Address set");
        static const std::vector<std::string_view> keywords = {"IPv4_address", "IPv6_address"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind != TokenKind::keyword ||
                (key.text != "IPv4_address" && key.text != "IPv6_address"))
                unexpected_keyword(key, keywords);
            bool v6 = key.text == "IPv6_address";
            const Token &v = next();
            if (v.kind != TokenKind::address)
                unexpected(v, key.text + std::string(" expects an ") + (v6 ? "IPv6" : "IPv4") +
                                  " address, optionally with a /prefix");
            add_filter_address(v, v6);
        }
        close_block();
    }

    // The reference's rules: a prefix above the family's width ignores the
    // entry, an address that does not parse (inet_aton for IPv4, so leading
    // zeros are octal) ignores it, and a prefix shorter than the width makes
    // a network; anything else is a host.
    void add_filter_address(const Token &v, bool v6) {
        FilterAddress a;
        a.family = v6 ? AF_INET6 : AF_INET;
        a.text = v.text;
        a.line = v.line;
        unsigned width = v6 ? 128 : 32;
        std::string address = v.text;
        bool has_prefix = false;
        unsigned long prefix = width;
        if (size_t slash = address.find('/'); slash != std::string::npos) {
            has_prefix = true;
            std::string digits = address.substr(slash + 1);
            address.resize(slash);
            prefix = digits.size() > 4 ? ULONG_MAX : std::stoul(digits);
            if (prefix > width) {
                warn(v.line, quoted(v.text) + " is not a valid network (the prefix must be 0 to " +
                                 std::to_string(width) + "): ignored");
                return;
            }
        }
        bool valid = v6 ? inet_pton(AF_INET6, address.c_str(), a.address.data()) == 1
                        : inet_aton(address.c_str(), reinterpret_cast<in_addr *>(a.address.data())) != 0;
        if (!valid) {
            warn(v.line, quoted(address) + " is not a valid " + (v6 ? "IPv6" : "IPv4") +
                             " address: ignored");
            return;
        }
        a.prefix = static_cast<uint8_t>(prefix);
        auto &set = config_.general.filter.address;
        auto same = [&](const FilterAddress &b) {
            return b.family == a.family && b.prefix == a.prefix && b.address == a.address;
        };
        bool network = has_prefix && prefix < width;
        auto &list = network ? set.networks : set.hosts;
        if (auto it = std::find_if(list.begin(), list.end(), same); it != list.end()) {
            warn(v.line, std::string(network ? "network " : "address ") + quoted(v.text) +
                             " is repeated in the Address set (first at line " +
                             std::to_string(it->line) + ")");
            return;
        }
        list.push_back(std::move(a));
    }

    void parse_state_set() {
        open_block("General/Filter/State", "the State set");
        auto &states = config_.general.filter.state.tcp_states;
        std::vector<uint8_t> pending;
        uint32_t pending_line = 0;
        while (true) {
            const Token &t = next();
            if (t.kind == TokenKind::close) {
                if (!pending.empty())
                    fail(t.line, "unexpected '}' " + where() + ": the states from line " +
                                     std::to_string(pending_line) + " need 'for TCP' after them");
                break;
            }
            const StateName *state = nullptr;
            if (t.kind == TokenKind::keyword)
                for (const StateName &s : tcp_states)
                    if (t.text == s.keyword)
                        state = &s;
            if (state) {
                if (pending.empty())
                    pending_line = t.line;
                pending.push_back(state->state);
            } else if (t.kind == TokenKind::keyword && t.text == "for") {
                const Token &proto = next();
                if (!(proto.kind == TokenKind::keyword && proto.text == "TCP"))
                    unexpected(proto, "expected TCP after 'for' (states only apply to TCP)");
                for (uint8_t s : pending)
                    if (std::find(states.begin(), states.end(), s) == states.end())
                        states.push_back(s);
                pending.clear();
            } else {
                std::vector<std::string_view> names;
                for (const StateName &s : tcp_states)
                    names.push_back(s.keyword);
                unexpected(t, "expected a TCP state (SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, "
                              "LAST_ACK, TIME_WAIT, CLOSE, CLOSED, LISTEN), 'for TCP' or '}'",
                           suggestion(t, names));
            }
        }
        close_block();
    }

    // ----------------------------------------------------------------------
    // Plugin blocks: `Key value` lines kept for the plugin.  `core_key` may
    // take a key the core owns (it then consumes the value and returns true).

    void parse_entries(PluginBlock &block, const std::function<bool(const Token &)> &core_key = {}) {
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                return;
            if (core_key && core_key(key))
                continue;
            if (key.kind != TokenKind::keyword && !is_word(key))
                unexpected(key, "expected a keyword or '}'");
            const Token &value = next();
            if (value.kind == TokenKind::open)
                unexpected(value, key.text + " expects a value, not a block");
            if (!is_value(value))
                unexpected(value, "expected a value for " + key.text,
                           value.kind == TokenKind::keyword ? " (is the value missing?)" : "");
            block.entries.push_back(ConfigEntry{key.text, value_text(value), key.line});
        }
    }

    // ----------------------------------------------------------------------
    // Sync

    void parse_sync(const Token &section) {
        Sync &s = config_.sync;
        if (config_.stats.configured)
            fail(section.line, "cannot use both Sync and Stats (line " +
                                   std::to_string(config_.stats.line) +
                                   "): conntrackd either synchronises or collects statistics");
        if (!s.configured)
            s.line = section.line;
        s.configured = true;
        open_block("Sync", "the Sync block");
        static const std::vector<std::string_view> keywords = {
            "Mode", "Multicast", "UDP", "TCP", "Options", "RefreshTime", "CacheTimeout",
            "CommitTimeout", "PurgeTimeout"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind != TokenKind::keyword)
                unexpected_keyword(key, keywords);
            const std::string &k = key.text;
            if (k == "Mode") {
                parse_mode(key);
            } else if (k == "Multicast" || k == "UDP" || k == "TCP") {
                parse_link(key);
            } else if (k == "Options") {
                parse_options();
            } else if (k == "RefreshTime" || k == "CacheTimeout" || k == "CommitTimeout" ||
                       k == "PurgeTimeout") {
                const Token &v = next();
                number_of(key, v, 0, max_u32);
                s.legacy_timers.push_back(ConfigEntry{k, v.text, key.line});
                warn(key.line, k + " directly in Sync is the old form: it belongs in the Mode block");
            } else {
                unexpected_keyword(key, keywords);
            }
        }
        close_block();
    }

    void parse_mode(const Token &key) {
        const Token &m = next();
        std::string name;
        if (m.kind == TokenKind::mode) {
            name = m.canonical;
            if (m.legacy)
                warn(m.line, quoted(m.text) + " is the old name of mode " + mode_label(name) +
                                 ": write Mode " + mode_label(name));
        } else if (is_word(m) && !strcasecmp(m.text.c_str(), "persistent")) {
            // The reference's pattern for the old name only matches with a
            // final upper-case T, so `persistent` itself is a syntax error.
            unexpected(m, "expected a sync mode after Mode: FTFW, ALARM or NOTRACK",
                       " (persistent is the old name of ALARM: write Mode ALARM)");
        } else if (is_word(m)) {
            // A mode provided by a third-party plugin: sync/<name>.
            name = m.text;
            for (char &c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
            unexpected(m, "expected a sync mode after Mode: FTFW, ALARM or NOTRACK");
        }
        PluginBlock block;
        block.kind = PluginKind::sync;
        block.name = name;
        block.block = "Sync/Mode " + mode_label(name);
        block.line = key.line;
        open_block(block.block, "the Mode block");
        parse_entries(block);
        close_block();

        Sync &s = config_.sync;
        if (s.mode.name.empty()) {
            s.mode = std::move(block);
            return;
        }
        if (s.mode.name == name) {
            // Same mode again: one set of settings, in file order.
            for (ConfigEntry &e : block.entries)
                s.mode.entries.push_back(std::move(e));
            return;
        }
        int current = builtin_mode_rank(s.mode.name), added = builtin_mode_rank(name);
        if (current < 0 || added < 0)
            fail(key.line, "cannot combine Mode " + mode_label(name) + " with Mode " +
                               mode_label(s.mode.name) + " (line " + std::to_string(s.mode.line) +
                               "): give one sync mode");
        PluginBlock &winner = added < current ? block : s.mode;
        PluginBlock &loser = added < current ? s.mode : block;
        warn(key.line, "several sync modes (Mode " + mode_label(s.mode.name) + " at line " +
                           std::to_string(s.mode.line) + ", Mode " + mode_label(name) +
                           "): using " + mode_label(winner.name) +
                           ", as the reference prefers FTFW, then ALARM, then NOTRACK");
        if (&winner == &block) {
            s.other_modes.push_back(std::move(s.mode));
            s.mode = std::move(block);
        } else {
            s.other_modes.push_back(std::move(loser));
        }
    }

    void parse_link(const Token &key) {
        Sync &s = config_.sync;
        const LinkKind *kind = nullptr;
        for (const LinkKind &lk : link_kinds)
            if (key.text == lk.keyword)
                kind = &lk;
        bool is_default = false;
        if (peek().kind == TokenKind::keyword && peek().text == "Default") {
            next();
            is_default = true;
        }
        if (!s.links.empty() && s.links.front().name != kind->plugin) {
            const PluginBlock &first = s.links.front();
            std::string first_keyword = first.block.substr(first.block.find('/') + 1);
            fail(key.line, "cannot use " + key.text + " with the " + first_keyword +
                               " link at line " + std::to_string(first.line) +
                               ": all dedicated links must use the same protocol");
        }
        if (s.links.size() >= max_links)
            fail(key.line, "too many dedicated links: this " + key.text + " block is number " +
                               std::to_string(s.links.size() + 1) + ", the maximum is " +
                               std::to_string(max_links));
        PluginBlock block;
        block.kind = PluginKind::transport;
        block.name = kind->plugin;
        block.block = std::string("Sync/") + kind->keyword;
        block.line = key.line;
        open_block(block.block, std::string("the ") + kind->keyword + " block");
        parse_entries(block);
        close_block();
        if (is_default) {
            if (default_link_line_)
                warn(key.line, "several dedicated links are marked Default (also line " +
                                   std::to_string(default_link_line_) + "): the last one is used");
            default_link_line_ = key.line;
            s.default_link = s.links.size();
        }
        s.links.push_back(std::move(block));
    }

    void parse_options() {
        Sync &s = config_.sync;
        open_block("Sync/Options", "the Options block");
        static const std::vector<std::string_view> keywords = {"TCPWindowTracking", "ExpectationSync"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind == TokenKind::keyword && key.text == "TCPWindowTracking") {
                s.tcp_window_tracking = bool_of(key);
            } else if (key.kind == TokenKind::keyword && key.text == "ExpectationSync") {
                const Token &v = next();
                if (v.kind == TokenKind::on) {
                    s.expectation_sync = true;
                } else if (v.kind == TokenKind::off) {
                    s.expectation_sync = false;
                } else if (v.kind == TokenKind::open) {
                    // The list adds to earlier ones; `on` afterwards keeps it.
                    blocks_.push_back({"Sync/Options/ExpectationSync", v.line});
                    s.expectation_sync = true;
                    while (true) {
                        const Token &name = next();
                        if (name.kind == TokenKind::close)
                            break;
                        if (name.kind != TokenKind::string)
                            unexpected(name, "expected a helper name or '}'",
                                       name.kind == TokenKind::address
                                           ? " (a word of 1 to 4 hex digits reads as an address)"
                                           : "");
                        s.expectation_helpers.push_back(name.text);
                    }
                    close_block();
                } else {
                    unexpected(v, "ExpectationSync expects on, off or a { list } of helper names");
                }
            } else {
                unexpected_keyword(key, keywords);
            }
        }
        close_block();
    }

    // ----------------------------------------------------------------------
    // Stats

    void parse_stats(const Token &section) {
        Stats &st = config_.stats;
        if (config_.sync.configured)
            fail(section.line, "cannot use both Stats and Sync (line " +
                                   std::to_string(config_.sync.line) +
                                   "): conntrackd either collects statistics or synchronises");
        if (!st.configured) {
            st.line = section.line;
            st.output.kind = PluginKind::output;
            st.output.name = default_output;
            st.output.block = "Stats";
            st.output.line = section.line;
        }
        st.configured = true;
        open_block("Stats", "the Stats block");
        parse_entries(st.output, [&](const Token &key) {
            if (key.kind == TokenKind::keyword && key.text == "NetlinkEventsReliable")
                fail(key.line, "NetlinkEventsReliable belongs in the General block, not in Stats "
                               "(the manual lists it under Stats, but conntrackd never accepted it "
                               "there)");
            if (!is_word(key) || key.text != "Output")
                return false;
            const Token &v = next();
            if (!is_word(v) || !std::all_of(v.text.begin(), v.text.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                }))
                unexpected(v, "Output expects the name of an output plugin, e.g. flowlog or xml");
            if (output_line_)
                fail(key.line, "Output is given twice " + where() + " (first at line " +
                                   std::to_string(output_line_) + "): the Stats mode has one output");
            output_line_ = key.line;
            st.output.name = v.text;
            return true;
        });
        close_block();
    }

    // ----------------------------------------------------------------------
    // Helper

    void parse_helper(const Token &section) {
        Helper &h = config_.helper;
        if (!h.configured)
            h.line = section.line;
        h.configured = true;
        open_block("Helper", "the Helper block");
        static const std::vector<std::string_view> keywords = {"Setup", "Type"};
        while (true) {
            const Token &key = next();
            if (key.kind == TokenKind::close)
                break;
            if (key.kind == TokenKind::keyword && key.text == "Setup")
                h.setup = bool_of(key);
            else if (key.kind == TokenKind::keyword && key.text == "Type")
                parse_helper_type(key);
            else
                unexpected_keyword(key, keywords);
        }
        close_block();
    }

    void parse_helper_type(const Token &key) {
        HelperType type;
        const Token &name = next();
        if (!is_word(name))
            unexpected(name, "expected the helper's name after Type, e.g. Type ftp inet tcp");
        const Token &l3 = next();
        if (l3.kind != TokenKind::string)
            unexpected(l3, "expected the layer 3 protocol after Type " + name.text + ": inet or inet6");
        if (l3.text == "inet")
            type.family = AF_INET;
        else if (l3.text == "inet6")
            type.family = AF_INET6;
        else
            fail(l3.line, "unknown layer 3 protocol " + quoted(l3.text) + " " + where() +
                              ": expected inet or inet6");
        const Token &l4 = next();
        if (l4.kind == TokenKind::keyword && (l4.text == "TCP" || l4.text == "UDP"))
            unexpected(l4, "expected the layer 4 protocol in lower case: tcp or udp");
        if (l4.kind != TokenKind::string)
            unexpected(l4, "expected the layer 4 protocol after Type " + name.text + " " + l3.text +
                               ": tcp or udp");
        if (l4.text == "tcp")
            type.l4proto = IPPROTO_TCP;
        else if (l4.text == "udp")
            type.l4proto = IPPROTO_UDP;
        else
            fail(l4.line, "unknown layer 4 protocol " + quoted(l4.text) + " " + where() +
                              ": expected tcp or udp");

        PluginBlock &block = type.plugin;
        block.kind = PluginKind::helper;
        block.name = name.text;
        block.block = "Helper/Type " + name.text + " " + l3.text + " " + l4.text;
        block.line = key.line;
        open_block(block.block, "the Type block");
        uint32_t queue_num_line = 0, queue_len_line = 0;
        parse_entries(block, [&](const Token &k) {
            if (k.kind != TokenKind::keyword)
                return false;
            if (k.text == "QueueNum" || k.text == "QueueLen") {
                bool is_num = k.text == "QueueNum";
                uint32_t &seen = is_num ? queue_num_line : queue_len_line;
                uint64_t n = number_of(k, next(), 0, is_num ? 65535 : max_u32);
                // The reference applies the items of a Type block last to
                // first, so the first one written counts.
                if (seen) {
                    warn(k.line, k.text + " is given twice " + where() + ": the first one (line " +
                                     std::to_string(seen) + ") counts");
                    return true;
                }
                seen = k.line;
                if (is_num)
                    type.queue_num = static_cast<uint16_t>(n);
                else
                    type.queue_len = static_cast<uint32_t>(n);
                return true;
            }
            if (k.text == "Policy") {
                parse_helper_policy(k, type);
                return true;
            }
            return false;
        });
        close_block();
        for (const HelperType &other : config_.helper.types)
            if (other.plugin.name == type.plugin.name && other.family == type.family &&
                other.l4proto == type.l4proto)
                warn(key.line, "helper " + name.text + " " + l3.text + " " + l4.text +
                                   " is configured twice (also line " +
                                   std::to_string(other.plugin.line) + ")");
        config_.helper.types.push_back(std::move(type));
    }

    void parse_helper_policy(const Token &key, HelperType &type) {
        const Token &name = next();
        if (!is_word(name))
            unexpected(name, "expected the policy's name after Policy, e.g. Policy ftp");
        if (name.text.size() > max_helper_policy_name)
            fail(name.line, "policy name " + quoted(name.text) + " is longer than " +
                                std::to_string(max_helper_policy_name) + " characters");
        HelperPolicy policy;
        policy.name = name.text;
        policy.line = key.line;
        open_block(blocks_.back().name + "/Policy " + name.text, "the Policy block");
        static const std::vector<std::string_view> keywords = {"ExpectMax", "ExpectTimeout"};
        bool empty = true;
        while (true) {
            const Token &k = next();
            if (k.kind == TokenKind::close)
                break;
            if (k.kind == TokenKind::keyword && k.text == "ExpectMax")
                policy.expect_max = u32_of(k);
            else if (k.kind == TokenKind::keyword && k.text == "ExpectTimeout")
                policy.expect_timeout = u32_of(k);
            else
                unexpected_keyword(k, keywords);
            empty = false;
        }
        close_block();
        if (empty)
            fail(key.line, "Policy " + name.text + " " + where() +
                               " is empty: set ExpectMax and ExpectTimeout");
        for (const HelperPolicy &p : type.policies) {
            if (p.name == policy.name) {
                warn(key.line, "Policy " + name.text + " is given twice " + where() +
                                   ": the first one (line " + std::to_string(p.line) + ") counts");
                return;
            }
        }
        type.policies.push_back(std::move(policy));
    }

    // ----------------------------------------------------------------------
    // Whole-file rules

    void finish() {
        uint32_t last_line = tokens_.back().line;
        General &g = config_.general;
        if (g.unix_path.empty()) {
            uint32_t line = unix_block_line_ ? unix_block_line_ : g.line ? g.line : last_line;
            fail(line, std::string(unix_block_line_ ? "the UNIX block has no Path"
                                   : g.line         ? "the General block has no UNIX { Path ... }"
                                                    : "there is no General block with UNIX { Path ... }") +
                           ": the control socket needs an absolute path, e.g. UNIX { Path "
                           "/var/run/conntrackd.ctl }");
        }

        Sync &s = config_.sync;
        if (s.configured) {
            if (s.links.empty())
                fail(s.line, "the Sync block has no dedicated link: add a Multicast, UDP or TCP "
                             "block");
            if (s.mode.name.empty()) {
                s.mode.kind = PluginKind::sync;
                s.mode.name = "ftfw";
                s.mode.block = "Sync/Mode FTFW";
                s.mode.line = 0;
                s.mode_defaulted = true;
                warn(s.line, "no synchronization mode specified (no Mode block in Sync): using "
                             "FTFW");
            }
        }

        if (g.scheduler.type && g.scheduler.effective_priority() == 0)
            warn(scheduler_line_, std::string("Scheduler Type ") +
                                      (*g.scheduler.type == SCHED_FIFO ? "FIFO" : "RR") +
                                      " needs a Priority from 1 to 99: with 0 the kernel refuses the "
                                      "real-time policy and the daemon keeps its scheduler");
        else if (!g.scheduler.type && g.scheduler.priority)
            warn(scheduler_line_, "Scheduler Priority without Type is ignored: the daemon uses RR at "
                                  "priority " +
                                      std::to_string(g.scheduler.effective_priority()));

        finish_stats_syslog();
    }

    // Stats' Syslog follows the reference: an unknown facility is ignored
    // with a warning, and when General and Stats name different facilities
    // the General one is used for both.
    void finish_stats_syslog() {
        if (!config_.stats.configured)
            return;
        auto is_on = [](const std::string &v) {
            return !strcasecmp(v.c_str(), "on") || !strcasecmp(v.c_str(), "yes");
        };
        auto is_off = [](const std::string &v) {
            return !strcasecmp(v.c_str(), "off") || !strcasecmp(v.c_str(), "no");
        };
        auto &entries = config_.stats.output.entries;
        for (auto it = entries.begin(); it != entries.end();) {
            // A word that is neither on/off nor a facility.  (A path or a
            // number is left for the output plugin to refuse.)
            const std::string &v = it->value;
            if (it->key == "Syslog" && !is_on(v) && !is_off(v) && !facility_from_name(v) &&
                std::isalpha(static_cast<unsigned char>(v[0]))) {
                warn(it->line, quoted(v) + " is not a known syslog facility (daemon, local0 to "
                                           "local7): Syslog ignored");
                it = entries.erase(it);
            } else {
                ++it;
            }
        }
        auto last = std::find_if(entries.rbegin(), entries.rend(),
                                 [](const ConfigEntry &e) { return e.key == "Syslog"; });
        const auto &general = config_.general.syslog_facility;
        if (last == entries.rend() || !general)
            return;
        std::optional<int> stats = is_on(last->value) ? std::optional<int>(LOG_DAEMON)
                                                      : facility_from_name(last->value);
        if (stats && *stats != *general) {
            warn(last->line, "conflicting Syslog facilities in General and Stats: using General's (" +
                                 std::string(syslog_facility_name(*general)) + ") for both");
            last->value = syslog_facility_name(*general);
        }
    }

    std::vector<Token> tokens_;
    size_t pos_ = 0;
    std::vector<OpenBlock> blocks_;
    Config config_;
    uint32_t unix_block_line_ = 0;
    uint32_t scheduler_line_ = 0;
    uint32_t default_link_line_ = 0;
    uint32_t output_line_ = 0;
};

} // namespace

const char *syslog_facility_name(int facility) {
    for (const Facility &f : facilities)
        if (f.value == facility)
            return f.name;
    return nullptr;
}

const char *tcp_state_name(uint8_t state) {
    for (const StateName &s : tcp_states)
        if (s.state == state)
            return s.keyword;
    return nullptr;
}

Config parse_text(std::string_view text, const std::string &file_name) {
    Config config = Parser(tokenize(text), file_name).run();
    if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
        auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
        config.warnings.push_back(file_name + ":" + std::to_string(line) +
                                  ": a NUL byte ends the file here: the rest is ignored, as by the "
                                  "reference");
    }
    return config;
}

Config parse_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError("can't open config file `" + path + "': " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw ConfigError("can't read config file `" + path + "': " + std::strerror(errno));
    return parse_text(text.str(), path);
}

} // namespace ctd::config
