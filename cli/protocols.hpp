// Protocol extensions of the command line (-p tcp, udp, udplite, sctp,
// dccp, icmp, icmpv6, gre, and any other protocol by name or number).
//
// Each extension brings its long options (merged into the option table
// when -p names it), the names its legality messages use, a legality
// matrix per command, and the parser of its option values.
#pragma once

#include "command_line.hpp"
#include "gnu_getopt.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

// Rows of the legality matrices: one per command and table, in the
// reference's order.
enum class MatrixRow : unsigned {
    CtList, CtCreate, CtUpdate, CtDelete, CtGet, CtFlush, CtEvent, Version, Help,
    ExpList, ExpCreate, ExpDelete, ExpGet, ExpFlush, ExpEvent, CtCount, ExpCount,
    CtStats, ExpStats, CtAdd, NoCommand, Count
};
MatrixRow matrix_row(Action action, Table table);

// Legality of an option for a command: '0' illegal, '1' required, '2'
// allowed, '3' one of a pair that must be complete (addresses, ports).
using MatrixLine = const char *;

// What the first options of an extension mean.
enum class ExtensionKind {
    Ports,  // tcp, udp, udplite, sctp, dccp: ports 0-3, masks 4-5
    Keys,   // gre: keys in the port slots
    Icmp,   // icmp, icmpv6: type, code, id
    None,   // no options
};

struct ProtocolExtension {
    const char *name;          // "tcp"; "unknown" for protocols without one
    std::uint8_t number;
    ExtensionKind kind;
    std::vector<LongOption> long_options;  // ids are indexes into option_names
    std::vector<const char *> option_names; // as the legality messages name them
    MatrixLine matrix[static_cast<unsigned>(MatrixRow::Count)];  // nullptr: all '0'
    const char *orig_pair_message;   // "you have to specify `--sport' and `--dport'"
    const char *reply_pair_message;
    const char *help;
    // Parses the value of option `index`; throws CliError.
    void (*parse)(unsigned index, const std::string &argument, CommandLine &cmd);
};

// What -p names: the extension and the protocol number, or nothing.
struct ProtocolLookup {
    const ProtocolExtension *extension = nullptr;  // null: unsupported
    std::uint8_t number = 0;
    std::string help_name;  // the name "-h -p" prints
};

// The reference's search: an extension by its name, then the system's
// protocol database by name, then a number (0-255); extensions are then
// matched by the protocol's official name.
ProtocolLookup find_protocol(const std::string &word);

// The extension for a protocol number (dump output, -R); the "unknown" one
// when there is none.
const ProtocolExtension &extension_for(std::uint8_t number);

// Option ids of merged extension options: ExtensionOptionBase + 256 * (how
// many extensions were merged before) + index.  The reference hands the
// index to the *current* extension whichever merge the option came from.
inline constexpr int ExtensionOptionBase = 0x1000;

} // namespace cli
