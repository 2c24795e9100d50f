// The conntrack command line, parsed and validated: a typed description of
// one command, produced without touching the kernel.
//
// parse_command_line() follows the reference's order of evaluation exactly
// (options are acted on as getopt returns them, then the post-checks run in
// the reference's order), because that order decides which message a bad
// command line gets.  Every problem is reported as a CliError carrying the
// reference's text and exit status; warnings (deprecated options, ignored
// status names) are printed to the diagnostics stream as they are met.
#pragma once

#include "ct/flow.hpp"
#include "ct/labels.hpp"

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

// ---------------------------------------------------------------------------
// Errors and exit codes.

enum class ErrorKind {
    Parameter,  // exit 2, followed by the "Try `conntrack -h'" line
    Other,      // exit 1
};

// A message the reference prints as "conntrack v1.4.7 (conntrack-tools): "
// followed by the text.
class CliError : public std::runtime_error {
public:
    CliError(ErrorKind kind, const std::string &message)
        : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }
    int exit_status() const { return kind_ == ErrorKind::Parameter ? 2 : 1; }

private:
    ErrorKind kind_;
};

[[noreturn]] void parameter_problem(const std::string &message);
[[noreturn]] void other_problem(const std::string &message);

// ---------------------------------------------------------------------------
// Commands and tables.

enum class Action { None, List, Create, Add, Update, Delete, Get, Flush, Event, Count, Stats, Version, Help };
enum class Table { Conntrack, Expect, Dying, Unconfirmed };

// The reference's long option name of a command ("dump", "create", ...).
const char *action_long_name(Action action);

// Generic options, in the reference's order (which is the order in which
// the legality check reports them).
enum Option : unsigned {
    OptSrc, OptDst, OptReplySrc, OptReplyDst, OptProto, OptTimeout, OptStatus, OptZero,
    OptEventMask, OptTupleSrc, OptTupleDst, OptMaskSrc, OptMaskDst, OptNatRange, OptMark,
    OptId, OptFamily, OptSrcNat, OptDstNat, OptOutput, OptSecmark, OptBufferSize, OptAnyNat,
    OptZone, OptLabel, OptLabelAdd, OptLabelDel, OptOrigZone, OptReplyZone, OptLabelmap,
    OptionCount
};
// The name each option has in the legality messages.
const char *option_name(Option option);

// Output flags of -o.
namespace output {
inline constexpr unsigned Xml = 1u << 0;
inline constexpr unsigned Extended = 1u << 1;
inline constexpr unsigned Timestamp = 1u << 2;
inline constexpr unsigned Id = 1u << 3;
inline constexpr unsigned Ktimestamp = 1u << 4;
inline constexpr unsigned Labels = 1u << 5;
inline constexpr unsigned Save = 1u << 6;
inline constexpr unsigned Json = 1u << 7;  // this implementation's addition
} // namespace output

// Event groups of -e.
namespace event {
inline constexpr unsigned New = 1u << 0;
inline constexpr unsigned Update = 1u << 1;
inline constexpr unsigned Destroy = 1u << 2;
inline constexpr unsigned All = New | Update | Destroy;
} // namespace event

struct ProtocolExtension;  // protocols.hpp

// -n/-g/-j: a NAT filter (list, delete, events, update) or a NAT setup
// (create).
struct NatOption {
    bool given = false;
    bool has_address = false;
    bool has_port = false;
    std::uint8_t family = 0;
    ct::Address address{};
    std::uint16_t port = 0;  // host order
};

// An address option with an optional netmask (-s, -d, --mask-*).
struct Netmask {
    bool given = false;
    ct::Address mask{};
};

// What the protocol extension options set.  Ports and keys are in host
// order; GRE keys use the port slots, as the kernel does.
struct ProtocolValues {
    std::uint32_t given = 0;  // bit n: the extension's option n was given
    std::uint16_t orig_sport = 0, orig_dport = 0;
    std::uint16_t reply_sport = 0, reply_dport = 0;
    std::uint16_t mask_sport = 0, mask_dport = 0;
    std::uint16_t tuple_sport = 0, tuple_dport = 0;
    std::uint8_t state = 0;
    std::uint32_t orig_vtag = 0, reply_vtag = 0;
    std::uint8_t role = 0;
    std::uint8_t icmp_type = 0, icmp_code = 0;
    std::uint16_t icmp_id = 0;
};

// One parsed command line.
struct CommandLine {
    Action action = Action::None;
    Table table = Table::Conntrack;
    std::uint32_t options = 0;  // bit (1 << Option) for each option given
    bool has(Option o) const { return options & (1u << o); }

    // The program name (argv[0]) for the usage text.
    std::string program = "conntrack";

    // AF_INET / AF_INET6 when an address or -f fixed it, else 0.
    std::uint8_t family = 0;

    // Tuples of -s/-d/-r/-q/-p and the extension's ports (orig, reply),
    // --tuple-src/dst (expectation tuple) and --mask-src/dst.
    ct::Tuple orig, reply, exp_tuple, exp_mask;
    Netmask src_mask, dst_mask;  // from a CIDR or --mask-src/dst (ct filters)

    // -p: the extension (never null once -p was seen) and the protocol number.
    const ProtocolExtension *proto = nullptr;
    std::uint8_t l4proto = 0;
    ProtocolValues proto_values;

    std::uint32_t timeout = 0;
    std::uint32_t status_value = 0, status_mask = 0;  // -u
    std::uint32_t mark_value = 0, mark_mask = 0xffffffff;  // -m V/M
    std::uint32_t secmark = 0;
    std::uint32_t id = 0;
    std::uint16_t zone = 0, orig_zone = 0, reply_zone = 0;
    unsigned event_mask = 0;  // -e; 0 means all
    unsigned output_flags = 0;
    std::uint64_t buffer_size = 0;  // -b, as the reference reads it
    NatOption snat, dnat, any_nat;

    // Labels: the names as given (resolved after all options, once the
    // label map is known), and the resolved bits.
    std::vector<std::string> label_names, label_add_names, label_del_names;
    ct::Labels labels, label_add, label_del;
    std::string labelmap_path;  // --labelmap, empty: libnetfilter_conntrack's default
    bool labelmap_needed = false;  // a label option or -o labels was given
    // The label map, when one was needed and could be read: it also names
    // the labels in the output.
    std::shared_ptr<const ct::LabelMap> labelmap;

    // --load-file lines have no summary lines and accept a 0 count.
    bool from_load_file = false;
};

// Where the parser prints warnings, as the reference does while parsing.
struct Diagnostics {
    virtual ~Diagnostics() = default;
    virtual void warning(const std::string &line) = 0;  // a whole stderr line
};

// Parses argv (argv[0] is the program name).  Throws CliError.
CommandLine parse_command_line(const std::vector<std::string> &argv, Diagnostics &diag);
// The same for one line of a --load-file, faster (see command_line.cpp).
CommandLine parse_load_file_line(const std::vector<std::string> &argv, Diagnostics &diag);

// The usage text of -h (and of a command line without a command).
std::string usage_text(const std::string &program);
// The extension help that -h adds when -p was given.
std::string protocol_help_text(const CommandLine &cmd);
// What -V prints.
std::string version_text();

// The "conntrack v1.4.7 (conntrack-tools): " prefix of every message.
const char *message_prefix();
// The second line of a parameter problem.
const char *try_help_line();

} // namespace cli
