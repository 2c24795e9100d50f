// Helpers shared by the config tests.
#pragma once

#include "config/config.hpp"
#include "config/lexer.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace cfg_test {

// The file name every message carries.
inline const std::string file = "test.conf";

inline ctd::config::Config parse(const std::string &text) {
    return ctd::config::parse_text(text, file);
}

// `body` inside a General block that already has its UNIX Path; the body
// starts on line 3.
inline std::string general_text(const std::string &body) {
    return "General {\n UNIX { Path /run/ctd.ctl }\n" + body + "\n}\n";
}
inline ctd::config::Config general(const std::string &body) { return parse(general_text(body)); }

// A General block (lines 1-3) followed by `rest` from line 4.
inline std::string with_general(const std::string &rest) {
    return "General {\n UNIX { Path /run/ctd.ctl }\n}\n" + rest;
}
inline ctd::config::Config parse_with_general(const std::string &rest) {
    return parse(with_general(rest));
}

// The ConfigError message, or "(accepted)".
inline std::string error_of(const std::string &text) {
    try {
        parse(text);
    } catch (const ctd::ConfigError &e) {
        return e.what();
    }
    return "(accepted)";
}

// "kind:text kind:text ..." for the tokens of `text`, the end left out.
inline std::string lex(const std::string &text) {
    std::string out;
    for (const ctd::config::Token &t : ctd::config::tokenize(text)) {
        if (t.kind == ctd::config::TokenKind::end)
            break;
        if (!out.empty())
            out += ' ';
        out += std::string(ctd::config::token_kind_name(t.kind)) + ":" + t.text;
    }
    return out;
}

inline std::string joined(const std::vector<std::string> &lines) {
    std::string out;
    for (const std::string &l : lines)
        out += l + "\n";
    return out;
}

// The entries of a plugin block as "Key=value@line ...".
inline std::string entries(const std::vector<ctd::ConfigEntry> &list) {
    std::string out;
    for (const ctd::ConfigEntry &e : list)
        out += (out.empty() ? "" : " ") + e.key + "=" + e.value + "@" + std::to_string(e.line);
    return out;
}

} // namespace cfg_test
