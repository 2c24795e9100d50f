#include "values.hpp"

#include <arpa/inet.h>
#include <strings.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cli {

ParsedAddress parse_address(const std::string &text, bool cidr_allowed, const char *option) {
    ParsedAddress out;
    const std::size_t slash = text.find('/');
    const std::string host = text.substr(0, slash);

    in_addr v4{};
    if (inet_aton(host.c_str(), &v4)) {
        out.family = AF_INET;
        out.address.v4 = v4.s_addr;
    } else if (inet_pton(AF_INET6, host.c_str(), out.address.v6) == 1) {
        out.family = AF_INET6;
    } else {
        parameter_problem("Invalid IP address `" + text + "'");
    }

    if (slash != std::string::npos) {
        if (!cidr_allowed)
            parameter_problem(std::string("CIDR notation unavailable for `--") + option + "'");
        const char *digits = text.c_str() + slash + 1;
        char *end = nullptr;
        errno = 0;
        const long prefix = std::strtol(digits, &end, 10);
        const long max = out.family == AF_INET ? 32 : 128;
        if (errno != 0 || *end != '\0' || prefix < 0 || prefix > max)
            parameter_problem("Invalid netmask");
        out.prefix = static_cast<unsigned>(prefix);
    }
    return out;
}

ct::Address prefix_mask(std::uint8_t family, unsigned prefix) {
    ct::Address mask{};
    const unsigned words = family == AF_INET ? 1 : 4;
    for (unsigned w = 0; w < words; ++w) {
        const unsigned bits = prefix > 32 * w ? std::min(32u, prefix - 32 * w) : 0;
        const std::uint32_t host = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
        mask.v6w[w] = htonl(host);
    }
    return mask;
}

NatOption parse_nat(const std::string &text, const char *option) {
    NatOption nat;
    nat.given = true;

    // Split "[v6]:port", "v4:port" (exactly one colon) and a bare address.
    std::string host = text;
    std::string port;
    bool has_port = false;
    if (!text.empty() && text[0] == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string::npos)
            parameter_problem("No closing ']' around IPv6 address");
        if (close == 1)
            parameter_problem("No IPv6 address specified");
        if (close + 1 < text.size() && text[close + 1] == ':') {
            host = text.substr(1, close - 1);
            port = text.substr(close + 2);
            has_port = true;
        }
    } else {
        const std::size_t colon = text.find(':');
        if (colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            has_port = true;
        }
    }

    if (has_port) {
        if (port.empty())
            parameter_problem("No port specified after `:'");
        bool digits = true;
        for (char c : port)
            digits = digits && std::isdigit(static_cast<unsigned char>(c));
        errno = 0;
        const unsigned long value = digits ? std::strtoul(port.c_str(), nullptr, 10) : 0;
        if (!digits || errno != 0 || value > 65535)
            parameter_problem("Invalid port `" + port + "'");
        nat.has_port = true;
        nat.port = static_cast<std::uint16_t>(value);
    }

    const ParsedAddress address = parse_address(host, false, option);
    nat.has_address = true;
    nat.family = address.family;
    nat.address = address.address;
    return nat;
}

namespace {

struct Name {
    const char *name;
    unsigned value;
};

constexpr Name StatusNames[] = {
    {"EXPECTED", ct::status::Expected},          {"SEEN_REPLY", ct::status::SeenReply},
    {"ASSURED", ct::status::Assured},            {"FIXED_TIMEOUT", ct::status::FixedTimeout},
    {"OFFLOAD", ct::status::Offload},            {"HW_OFFLOAD", ct::status::HwOffload},
    {"UNSET", 0},
};
constexpr Name EventNames[] = {
    {"ALL", event::All}, {"NEW", event::New}, {"UPDATES", event::Update}, {"DESTROY", event::Destroy},
};
constexpr Name OutputNames[] = {
    {"xml", output::Xml},         {"extended", output::Extended}, {"timestamp", output::Timestamp},
    {"id", output::Id},           {"ktimestamp", output::Ktimestamp}, {"labels", output::Labels},
    {"userspace", 0},             {"save", output::Save},         {"json", output::Json},
};

enum class ListKind { Status, Event, Output };

// One comma-separated list, parsed as the reference does: each token is a
// case-insensitive prefix of a name; an empty token, or one that matches
// nothing, is reported with the rest of the list from that token on.
template <std::size_t N>
void parse_list(const std::string &text, const Name (&names)[N], ListKind kind,
                Diagnostics &diag, std::uint32_t &value, std::uint32_t &mask) {
    const char *token = text.c_str();
    for (;;) {
        bool negated = false;
        if (kind == ListKind::Status && *token == '!') {
            negated = true;
            ++token;
        }
        const char *comma = std::strchr(token, ',');
        const std::size_t len = comma ? static_cast<std::size_t>(comma - token) : std::strlen(token);
        bool ok = len > 0;
        if (ok && kind == ListKind::Status && !negated && len == 9 &&
            std::strncmp(token, "UNREPLIED", 9) == 0) {
            mask |= ct::status::SeenReply;  // UNREPLIED: SEEN_REPLY must be clear
        } else if (ok && strncasecmp(token, "SRC_NAT", len) == 0) {
            diag.warning("WARNING: ignoring SRC_NAT, use --src-nat instead");
        } else if (ok && strncasecmp(token, "DST_NAT", len) == 0) {
            diag.warning("WARNING: ignoring DST_NAT, use --dst-nat instead");
        } else if (ok) {
            ok = false;
            for (const Name &n : names) {
                if (strncasecmp(token, n.name, len) == 0) {
                    if (!negated)
                        value |= n.value;
                    mask |= n.value;
                    ok = true;
                    break;
                }
            }
        }
        if (!ok)
            parameter_problem(std::string("Bad parameter `") + token + "'");
        if (!comma)
            return;
        token = comma + 1;
    }
}

} // namespace

void parse_status(const std::string &text, std::uint32_t &value, std::uint32_t &mask,
                  Diagnostics &diag) {
    parse_list(text, StatusNames, ListKind::Status, diag, value, mask);
}

unsigned parse_event_mask(const std::string &text, Diagnostics &diag) {
    std::uint32_t value = 0, mask = 0;
    parse_list(text, EventNames, ListKind::Event, diag, value, mask);
    return value;
}

unsigned parse_output(const std::string &text, Diagnostics &diag) {
    std::uint32_t value = 0, mask = 0;
    parse_list(text, OutputNames, ListKind::Output, diag, value, mask);
    return value;
}

std::uint8_t parse_family(const std::string &text) {
    if (std::strncmp(text.c_str(), "ipv4", 4) == 0)
        return AF_INET;
    if (std::strncmp(text.c_str(), "ipv6", 4) == 0)
        return AF_INET6;
    parameter_problem("`" + text + "' unsupported protocol");
}

namespace {

[[noreturn]] void unexpected_value(const std::string &text, char option) {
    other_problem("unexpected value '" + text + "' with -" + option + " option");
}

// The whole text is one number (any base) no larger than `max`.
std::uint32_t checked_number(const std::string &text, std::uint64_t max, char option) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) || text[0] == '-' ||
        text[0] == '+')
        unexpected_value(text, option);
    char *end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(text.c_str(), &end, 0);
    if (errno != 0 || *end != '\0' || n > max)
        unexpected_value(text, option);
    return static_cast<std::uint32_t>(n);
}

} // namespace

std::uint32_t parse_u32_checked(const std::string &text, char option) {
    return checked_number(text, 0xffffffffu, option);
}

std::uint16_t parse_u16_checked(const std::string &text, char option) {
    return static_cast<std::uint16_t>(checked_number(text, 0xffffu, option));
}

void parse_mark(const std::string &text, std::uint32_t &value, std::uint32_t &mask) {
    const std::size_t slash = text.find('/');
    try {
        value = parse_u32_checked(text.substr(0, slash), 'm');
        mask = slash == std::string::npos ? 0xffffffffu
                                          : parse_u32_checked(text.substr(slash + 1), 'm');
    } catch (const CliError &) {
        unexpected_value(text, 'm');
    }
}

std::uint32_t parse_timeout(const std::string &text) {
    return static_cast<std::uint32_t>(std::atol(text.c_str()));
}

std::uint64_t parse_buffer_size(const std::string &text) {
    return static_cast<std::uint64_t>(std::strtol(text.c_str(), nullptr, 10));
}

} // namespace cli
