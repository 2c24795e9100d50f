// Text formatters for flows, expectations and statistics.
//
// The default, extended, xml, save, timestamp, id, ktimestamp and labels
// outputs are byte-for-byte what conntrack 1.4.7 prints with
// libnetfilter_conntrack 1.0.9 (the test suite compares them with that
// library on the same messages).  JSON Lines is this project's own format;
// its schema (versioned) is documented in docs/json-schema.md.
//
// Every formatter appends to a caller-owned TextBuffer and allocates
// nothing per entry.  None of them appends the final newline, except the
// helpers that print whole lines (xml_header/xml_footer, format_cpu_stats).
#pragma once

#include "ct/flow.hpp"
#include "ct/labels.hpp"
#include "ct/stats.hpp"
#include "ct/text_buffer.hpp"

#include <sys/time.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ct {

enum class OutputFormat : std::uint8_t {
    Default,  // conntrack's plain line
    Xml,      // -o xml: one <flow>/<expect> element
    Save,     // -o save: a line conntrack -R can load
    Json,     // -o json: one JSON object (docs/json-schema.md)
};

struct FormatOptions {
    OutputFormat format = OutputFormat::Default;
    bool extended = false;    // -o extended: the L3 protocol too
    bool show_id = false;     // -o id: id=N (XML always has <id>)
    bool ktimestamp = false;  // -o ktimestamp: [start=...] [stop=...]
    bool xml_time = false;    // -o timestamp with xml: the <when> element
    // Label names (-o labels, or a label filter/map): labels=a,b.  Null: no
    // labels printed (as the reference without a map).
    const LabelMap *labels = nullptr;
    // Event prefix and save prefix come from the flow's own `type`.  Set
    // this to override it (e.g. Destroy for the lines -D prints).
    bool override_type = false;
    MessageType type = MessageType::Unknown;
    // "Now" in seconds since the epoch, for delta-time and the XML <when>
    // (0: the current time).  Tests pin it to compare outputs exactly.
    std::int64_t now = 0;
    // JSON only: the name of the process that caused an event (see
    // netlink_owner_name), written as "progname" next to "portid".
    std::string_view progname;
};

// The flow, in the chosen format.  For Save, an IPv4/IPv6-less flow appends
// nothing and returns false (the reference then warns on stderr
// "WARNING: unsupported l3proto %d, skipping."); otherwise returns true.
bool format_flow(TextBuffer &out, const Flow &flow, const FormatOptions &options);

// An expectation, in the default, xml or json format.
void format_expect(TextBuffer &out, const Expect &exp, const FormatOptions &options);

// The XML document start and end (each with its newline).  `expect` selects
// <expect> instead of <conntrack>.
void xml_header(TextBuffer &out, bool expect);
void xml_footer(TextBuffer &out, bool expect);

// The -o timestamp prefix of an event line: "[SSSSSSSS.UUUUUU]\t" for
// flows, "[%-8ld.%-6ld]\t" (space padded, as the reference) for
// expectations.
void format_event_time(TextBuffer &out, const timeval &when, bool expect);
// The time to print for an event: the kernel's event timestamp when the
// flow has one (1.4.9 behaviour), else the current time.
timeval event_time(const Flow &flow);

// The suffix the reference appends to events caused by a process:
// " [USERSPACE] portid=N" and " progname=NAME" when `progname` is not empty.
void format_userspace(TextBuffer &out, std::uint32_t portid, std::string_view progname);
// The name (from /proc/<pid>/stat's comm... or cmdline) of the process
// owning netlink socket `portid`, found through /proc/net/netlink and
// /proc/<pid>/fd; empty if not found.  Slow (scans /proc): call it only for
// events that have a portid.
std::string netlink_owner_name(std::uint32_t portid);

// One line of conntrack -S (or -S expect), with its newline.
void format_cpu_stats(TextBuffer &out, const CpuStats &stats, OutputFormat format);
// conntrack -C: the count and a newline.
void format_count(TextBuffer &out, std::uint32_t count, OutputFormat format, bool expect);

// Name tables shared with the command line.
const char *l3proto_name(std::uint8_t family);         // "ipv4", "ipv6", "unknown"
const char *l4proto_name(std::uint8_t proto);          // "tcp", ..., "unknown"
const char *tcp_state_name(std::uint8_t state);        // "ESTABLISHED", ...
const char *sctp_state_name(std::uint8_t state);
const char *dccp_state_name(std::uint8_t state);
// Number of named states (valid values are 0 .. count-1).
unsigned tcp_state_count();
unsigned sctp_state_count();
unsigned dccp_state_count();

// The version of the JSON schema this library writes (the "v" member).
inline constexpr int JsonSchemaVersion = 1;

} // namespace ct
