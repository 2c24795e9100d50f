// Internal helpers shared by the formatters.
#pragma once

#include "ct/format.hpp"

#include <string_view>

namespace ct::detail {

// Appends a string literal without strlen at run time.
template <std::size_t N>
inline void lit(TextBuffer &out, const char (&s)[N]) {
    out.append(std::string_view(s, N - 1));
}

// Dotted quad, as inet_ntoa prints it.
void append_ipv4(TextBuffer &out, std::uint32_t addr_be);
// IPv6 as inet_ntop prints it.
void append_ipv6(TextBuffer &out, const std::uint8_t addr[16]);
// The address in the tuple's family; nothing for another family.
bool append_address(TextBuffer &out, const Address &a, std::uint8_t family);

// libnetfilter_conntrack keeps some values in unions, so a message that
// carries fields of two kinds (impossible from a kernel, but seen in fuzzed
// input) prints the later one in place of the other.  These accessors give
// what it would print: ICMP fields win over ports (parsed after them), and
// the last protocol-info state among TCP, SCTP, DCCP wins for all three.
std::uint16_t shown_sport(const Tuple &t);
std::uint16_t shown_dport(const Tuple &t);
std::uint8_t shown_icmp_type(const Tuple &t);
std::uint8_t shown_icmp_code(const Tuple &t);
std::uint16_t shown_icmp_id(const Tuple &t);
std::uint8_t shown_state(const Flow &f);

// The family libnetfilter_conntrack prints an expectation's tuple with: it
// records the family of each tuple when it parses another one (expected
// from master, mask from expected, master from mask).  Kernel messages
// always carry all three, so this only shows on partial messages.
enum class ExpectPart { Expected, Mask, Master };
std::uint8_t shown_family(const Expect &e, ExpectPart part);

// States by table, with libnetfilter_conntrack's out-of-range fallback.
const char *tcp_state_or_none(std::uint8_t state);

// Local time broken down (for XML <when> and time stamps).
bool local_time(std::int64_t seconds, struct tm &out);

// Shared by XML and JSON: escapes &, <, >, " and ' (XML) or JSON specials.
void append_xml_escaped(TextBuffer &out, std::string_view s);
void append_json_string(TextBuffer &out, std::string_view s);

// The XML and JSON formatters.
void format_flow_xml(TextBuffer &out, const Flow &flow, const FormatOptions &options,
                     MessageType type);
void format_flow_json(TextBuffer &out, const Flow &flow, const FormatOptions &options,
                      MessageType type);
void format_expect_xml(TextBuffer &out, const Expect &exp, const FormatOptions &options,
                       MessageType type);
void format_expect_json(TextBuffer &out, const Expect &exp, const FormatOptions &options,
                        MessageType type);

// Seconds now (the formatters' notion of "now", for delta-time).
std::int64_t now_seconds(const FormatOptions &options);

} // namespace ct::detail
