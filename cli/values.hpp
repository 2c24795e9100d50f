// Option values, read the way the reference reads them.  Each function
// throws CliError with the reference's message for a bad value.
#pragma once

#include "command_line.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace cli {

// An address, optionally followed by "/cidr".
struct ParsedAddress {
    std::uint8_t family = 0;  // AF_INET or AF_INET6
    ct::Address address{};
    std::optional<unsigned> prefix;  // the CIDR length, if one was written
};

// IPv4 through inet_aton (so "1.2.3" and "0x01020304" are addresses), else
// IPv6.  `option` names the option in "CIDR notation unavailable for
// `--%s'"; `cidr_allowed` says whether "/n" may follow.
ParsedAddress parse_address(const std::string &text, bool cidr_allowed, const char *option);

// The netmask of a prefix length.
ct::Address prefix_mask(std::uint8_t family, unsigned prefix);

// -n/-g/-j: "IP", "IP:port", "[IPv6]:port" (the argument is optional).
NatOption parse_nat(const std::string &text, const char *option);

// -u: a comma list of status names (case-insensitive prefixes), with '!'
// for "must be clear" and UNREPLIED for !SEEN_REPLY.  Adds to value/mask.
void parse_status(const std::string &text, std::uint32_t &value, std::uint32_t &mask,
                  Diagnostics &diag);
// -e: NEW, UPDATES, DESTROY, ALL.
unsigned parse_event_mask(const std::string &text, Diagnostics &diag);
// -o: xml, extended, timestamp, id, ktimestamp, labels, userspace, save
// (and json, this implementation's).
unsigned parse_output(const std::string &text, Diagnostics &diag);

// -f: "ipv4" or "ipv6" (only the first four characters are compared).
std::uint8_t parse_family(const std::string &text);

// 1.4.9's checked numbers (-m, -c, -i, -w, --orig-zone, --reply-zone):
// the whole text must be one number in range; otherwise "unexpected value
// '%s' with -%c option" (exit 1).
std::uint32_t parse_u32_checked(const std::string &text, char option);
std::uint16_t parse_u16_checked(const std::string &text, char option);
// -m V[/M].
void parse_mark(const std::string &text, std::uint32_t &value, std::uint32_t &mask);

// -t: atol, as the reference (no validation).
std::uint32_t parse_timeout(const std::string &text);
// -b: the size_t the reference stores.
std::uint64_t parse_buffer_size(const std::string &text);

} // namespace cli
