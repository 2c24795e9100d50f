#include "config/lexer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

namespace ctd::config {

namespace {

// The reference's keywords, found by running 1.4.7: each of these is a token
// of its own, so it can never be a STRING value (an interface or helper
// named `Default` or `Setup` is a syntax error there too).
const std::vector<std::string_view> keyword_list = {
    "ACKWindowSize", "Accept", "Address", "Backlog", "CLOSE", "CLOSED", "CLOSE_WAIT",
    "CacheTimeout", "Checksum", "CommitTimeout", "Default", "DisableExternalCache",
    "DisableInternalCache", "ESTABLISHED", "ErrorQueueLength", "EventIterationLimit",
    "ExpectMax", "ExpectTimeout", "ExpectationSync", "FIN_WAIT", "Filter", "From", "General",
    "Group", "HashLimit", "HashSize", "Helper", "IPv4_Destination_Address", "IPv4_address",
    "IPv4_interface", "IPv6_Destination_Address", "IPv6_address", "IPv6_interface", "Ignore",
    "Interface", "Kernelspace", "LAST_ACK", "LISTEN", "LockFile", "LogFile", "Mode", "Multicast",
    "NetlinkBufferSize", "NetlinkBufferSizeMaxGrowth", "NetlinkEventsReliable",
    "NetlinkOverrunResync", "Nice", "Options", "Path", "Policy", "PollSecs", "Port", "Priority",
    "Protocol", "PurgeTimeout", "QueueLen", "QueueNum", "RcvSocketBuffer", "RefreshTime",
    "ResendQueueSize", "SYN_RECV", "SYN_SENT", "Scheduler", "Setup", "SndSocketBuffer",
    "SocketBufferSize", "SocketBufferSizeMaxGrown", "SocketBufferSizeMaxGrowth", "StartupResync",
    "State", "Stats", "Sync", "Syslog", "Systemd", "TCP", "TCPWindowTracking", "TIME_WAIT",
    "Type", "UDP", "UNIX", "Userspace", "for",
};

const std::set<std::string_view> &keyword_set() {
    static const std::set<std::string_view> set(keyword_list.begin(), keyword_list.end());
    return set;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The rest of the text: the input ends at the first NUL byte.
struct Cursor {
    std::string_view text;
    char at(size_t i) const { return i < text.size() ? text[i] : '\0'; }
};

size_t match_string(const Cursor &in, size_t i) {
    if (!is_alpha(in.at(i)))
        return 0;
    size_t j = i + 1;
    while (true) {
        char c = in.at(j);
        if (is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_')
            ++j;
        else
            break;
    }
    return j - i;
}

size_t match_digits(const Cursor &in, size_t i) {
    size_t j = i;
    while (is_digit(in.at(j)))
        ++j;
    return j - i;
}

size_t match_number(const Cursor &in, size_t i) { return match_digits(in, i); }

size_t match_signed(const Cursor &in, size_t i) {
    char c = in.at(i);
    if (c != '-' && c != '+')
        return 0;
    size_t digits = match_digits(in, i + 1);
    return digits ? digits + 1 : 0;
}

// Optional "/digits" after an address; returns its length (0 if absent).
size_t match_prefix(const Cursor &in, size_t i) {
    if (in.at(i) != '/')
        return 0;
    size_t digits = match_digits(in, i + 1);
    return digits ? digits + 1 : 0;
}

size_t match_ipv4(const Cursor &in, size_t i) {
    size_t j = i;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (in.at(j) != '.')
                return 0;
            ++j;
        }
        size_t digits = match_digits(in, j);
        if (!digits)
            return 0;
        j += digits;
    }
    return j - i + match_prefix(in, j);
}

// Positions reachable from `from` after one group of 1 to 4 hex digits,
// optionally followed by a colon when `colon` is set (IPv6 form 1) .
using Positions = std::set<size_t>;

Positions after_hex_group(const Cursor &in, const Positions &from, bool optional_colon) {
    Positions out;
    for (size_t p : from) {
        for (size_t k = 0; k < 4 && is_hex(in.at(p + k)); ++k) {
            size_t end = p + k + 1;
            out.insert(end);
            if (optional_colon && in.at(end) == ':')
                out.insert(end + 1);
        }
    }
    return out;
}

// Up to `times` repetitions of a group: every position reachable with 0..times.
Positions repeat_groups(const Cursor &in, Positions from, int times, bool optional_colon) {
    Positions all = from;
    for (int n = 0; n < times && !from.empty(); ++n) {
        from = after_hex_group(in, from, optional_colon);
        all.insert(from.begin(), from.end());
    }
    return all;
}

// The two IPv6 forms of the reference, each with an optional /prefix:
//   form 1: (hex{1,4} ":"?){0,7} "::" (hex{1,4} ":"?){0,7}
//   form 2: (hex{1,4} ":"){0,7} hex{1,4}
// Returns the longest match.
size_t match_ipv6(const Cursor &in, size_t i) {
    Positions ends;
    // Form 1.
    for (size_t p : repeat_groups(in, {i}, 7, true)) {
        if (in.at(p) == ':' && in.at(p + 1) == ':') {
            Positions after = repeat_groups(in, {p + 2}, 7, true);
            ends.insert(after.begin(), after.end());
        }
    }
    // Form 2: groups followed by a colon, then a last group.
    Positions heads = {i};
    Positions reach = {i};
    for (int n = 0; n < 7; ++n) {
        Positions next;
        for (size_t p : after_hex_group(in, reach, false))
            if (in.at(p) == ':')
                next.insert(p + 1);
        if (next.empty())
            break;
        heads.insert(next.begin(), next.end());
        reach = next;
    }
    Positions tails = after_hex_group(in, heads, false);
    ends.insert(tails.begin(), tails.end());

    size_t best = 0;
    for (size_t end : ends)
        best = std::max(best, end - i + match_prefix(in, end));
    return best;
}

size_t match_path(const Cursor &in, size_t i) {
    if (in.at(i) != '/')
        return 0;
    size_t j = i + 1;
    while (j < in.text.size()) {
        char c = in.text[j];
        if (c == ' ' || c == '\n' || c == '"' || c == '\0')
            break;
        ++j;
    }
    return j - i;
}

// A word written as a sequence of [lower|UPPER] classes, where `|` is
// itself a member of every class (the reference's typo).  `last` overrides
// the class of the last letter when it is not the usual pair.
size_t match_classes(const Cursor &in, size_t i, std::string_view word,
                     std::string_view last_class = {}) {
    for (size_t k = 0; k < word.size(); ++k) {
        char c = in.at(i + k);
        if (k + 1 == word.size() && !last_class.empty()) {
            if (last_class.find(c) == std::string_view::npos || c == '\0')
                return 0;
            continue;
        }
        char lower = word[k];
        char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(lower)));
        if (c != lower && c != upper && c != '|')
            return 0;
    }
    return word.size();
}

struct ClassWord {
    const char *word;
    TokenKind kind;
    const char *canonical;
    bool legacy;
    const char *last_class;
};

// In the reference's rule order: on before off, then the modes.
const std::array<ClassWord, 9> class_words = {{
    {"on", TokenKind::on, "", false, ""},
    {"yes", TokenKind::on, "", false, ""},
    {"off", TokenKind::off, "", false, ""},
    {"no", TokenKind::off, "", false, ""},
    {"alarm", TokenKind::mode, "alarm", false, ""},
    {"ftfw", TokenKind::mode, "ftfw", false, ""},
    {"notrack", TokenKind::mode, "notrack", false, ""},
    {"persistent", TokenKind::mode, "alarm", true, "T|"},
    {"nack", TokenKind::mode, "ftfw", true, ""},
}};

} // namespace

const std::vector<std::string_view> &reference_keywords() { return keyword_list; }

bool is_reference_keyword(std::string_view word) { return keyword_set().count(word) != 0; }

const char *token_kind_name(TokenKind kind) {
    switch (kind) {
    case TokenKind::end: return "end";
    case TokenKind::open: return "open";
    case TokenKind::close: return "close";
    case TokenKind::keyword: return "keyword";
    case TokenKind::on: return "on";
    case TokenKind::off: return "off";
    case TokenKind::mode: return "mode";
    case TokenKind::number: return "number";
    case TokenKind::signed_number: return "signed_number";
    case TokenKind::address: return "address";
    case TokenKind::path: return "path";
    case TokenKind::string: return "string";
    case TokenKind::other: return "other";
    }
    return "?";
}

std::vector<Token> tokenize(std::string_view text) {
    // A NUL byte ends the input, as it does for the reference's parser.
    if (size_t nul = text.find('\0'); nul != std::string_view::npos)
        text = text.substr(0, nul);
    Cursor in{text};
    std::vector<Token> tokens;
    uint32_t line = 1;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '\n') {
            ++line;
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
            continue;
        }
        if (c == '#') {
            while (i < text.size() && text[i] != '\n')
                ++i;
            continue;
        }

        Token token;
        token.line = line;
        size_t best = 0;

        // Rules in the reference's order; a later rule only wins when longer.
        auto consider = [&](size_t length, TokenKind kind) {
            if (length > best) {
                best = length;
                token.kind = kind;
                token.canonical.clear();
                token.legacy = false;
                return true;
            }
            return false;
        };
        size_t word = match_string(in, i);
        if (word && is_reference_keyword(text.substr(i, word)))
            consider(word, TokenKind::keyword);
        for (const ClassWord &cw : class_words) {
            if (consider(match_classes(in, i, cw.word, cw.last_class), cw.kind)) {
                token.canonical = cw.canonical;
                token.legacy = cw.legacy;
            }
        }
        consider(match_number(in, i), TokenKind::number);
        consider(match_signed(in, i), TokenKind::signed_number);
        consider(std::max(match_ipv4(in, i), match_ipv6(in, i)), TokenKind::address);
        consider(match_path(in, i), TokenKind::path);
        consider(word, TokenKind::string);
        if (best == 0) {
            best = 1;
            token.kind = c == '{' ? TokenKind::open : c == '}' ? TokenKind::close : TokenKind::other;
        }
        token.text = std::string(text.substr(i, best));
        i += best;
        tokens.push_back(std::move(token));
    }
    Token end;
    end.kind = TokenKind::end;
    end.line = line;
    tokens.push_back(std::move(end));
    return tokens;
}

} // namespace ctd::config
