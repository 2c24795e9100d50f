// The conntrackd.conf lexer: the reference's token rules, quirks included,
// so that a file splits into the same words as with conntrackd 1.4.7.
//
// At each position the longest match wins; on a tie the earlier rule wins,
// in this order: keywords, on/off words, mode names, NUMBER, SIGNED_NUMBER,
// IP, PATH, STRING.  Consequences worth knowing (all observed on 1.4.7):
//  - keywords are case-sensitive, on/off/yes/no and mode names are not;
//  - a word of 1 to 4 hex digits (`cafe`, `bad`, `Ab9`) is an IP, because
//    the IPv6 rule ties with STRING and comes first; `1234` is a NUMBER;
//  - `::12345` or `1::2:` are IPs too: IPv6 groups need no colon between them;
//  - a PATH runs from `/` to the next space, newline or `"`: tabs, `#`, `}`
//    and carriage returns are part of it;
//  - the on/off and mode patterns were written as [o|O][n|N]...: a `|`
//    matches any of their letters (`||` is on, `|||||` is ALARM), and the
//    last letter of `persistent` only matches `T` or `|`;
//  - a NUL byte ends the input;
//  - space, tab and carriage return separate words; `#` starts a comment
//    running to the end of the line; any other character is a word of its
//    own (which the grammar then rejects).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::config {

enum class TokenKind {
    end,           // end of input (or a NUL byte)
    open,          // {
    close,         // }
    keyword,       // a word of the reference grammar, e.g. HashSize
    on,            // on, yes (any case)
    off,           // off, no (any case)
    mode,          // a sync mode name; Token::canonical is alarm, ftfw or notrack
    number,        // [0-9]+
    signed_number, // [-+][0-9]+
    address,       // IPv4 or IPv6 form, optional /prefix
    path,          // /...
    string,        // [a-zA-Z][a-zA-Z0-9._-]*
    other,         // any other single character
};

struct Token {
    TokenKind kind = TokenKind::end;
    std::string text; // as written
    uint32_t line = 1;
    // For a mode: "alarm", "ftfw" or "notrack"; `legacy` is set for the old
    // names persistent (ALARM) and nack (FTFW).
    std::string canonical;
    bool legacy = false;
};

// The whole text as tokens; the last one is always `end`.
std::vector<Token> tokenize(std::string_view text);

// "keyword", "number", ... for messages and tests.
const char *token_kind_name(TokenKind kind);

// True for a keyword of the reference grammar (case-sensitive).
bool is_reference_keyword(std::string_view word);

// Every keyword of the reference grammar, in no particular order.
const std::vector<std::string_view> &reference_keywords();

} // namespace ctd::config
