#include "protocols.hpp"

#include "ct/format.hpp"

#include <netdb.h>
#include <strings.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cli {

MatrixRow matrix_row(Action action, Table table) {
    const bool expect = table == Table::Expect;
    switch (action) {
    case Action::List: return expect ? MatrixRow::ExpList : MatrixRow::CtList;
    case Action::Create: return expect ? MatrixRow::ExpCreate : MatrixRow::CtCreate;
    case Action::Add: return MatrixRow::CtAdd;
    case Action::Update: return MatrixRow::CtUpdate;
    case Action::Delete: return expect ? MatrixRow::ExpDelete : MatrixRow::CtDelete;
    case Action::Get: return expect ? MatrixRow::ExpGet : MatrixRow::CtGet;
    case Action::Flush: return expect ? MatrixRow::ExpFlush : MatrixRow::CtFlush;
    case Action::Event: return expect ? MatrixRow::ExpEvent : MatrixRow::CtEvent;
    case Action::Count: return expect ? MatrixRow::ExpCount : MatrixRow::CtCount;
    case Action::Stats: return expect ? MatrixRow::ExpStats : MatrixRow::CtStats;
    case Action::Version: return MatrixRow::Version;
    case Action::Help: return MatrixRow::Help;
    case Action::None: break;
    }
    return MatrixRow::NoCommand;
}

namespace {

// Numbers the way the reference reads extension values: atoi (no
// validation, truncated to the field's width).
std::uint16_t atoi16(const std::string &s) { return static_cast<std::uint16_t>(std::atoi(s.c_str())); }
std::uint8_t atoi8(const std::string &s) { return static_cast<std::uint8_t>(std::atoi(s.c_str())); }

// The options every port-based protocol has, with their index.
enum PortOption : unsigned { Sport, Dport, ReplySport, ReplyDport, MaskSport, MaskDport };

void parse_port(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    const std::uint16_t port = atoi16(arg);
    switch (index) {
    case Sport: v.orig_sport = port; break;
    case Dport: v.orig_dport = port; break;
    case ReplySport: v.reply_sport = port; break;
    case ReplyDport: v.reply_dport = port; break;
    case MaskSport: v.mask_sport = port; break;
    case MaskDport: v.mask_dport = port; break;
    default: break;
    }
}

// States are matched exactly; LISTEN is the reference's other name for
// state 9 (SYN_SENT2).
void parse_tcp_state(const std::string &arg, CommandLine &cmd) {
    for (unsigned s = 0; s < ct::tcp_state_count(); ++s) {
        if (arg == ct::tcp_state_name(static_cast<std::uint8_t>(s))) {
            cmd.proto_values.state = static_cast<std::uint8_t>(s);
            return;
        }
    }
    if (arg == "LISTEN") {
        cmd.proto_values.state = 9;
        return;
    }
    parameter_problem("unknown TCP state `" + arg + "'");
}

// tcp, udp, udplite: ports, masks, expectation tuple ports (1.4.9 stores
// them as ports; 1.4.7 wrote them into the protocol number), and the TCP
// state.
void parse_tcp(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    switch (index) {
    case 6: parse_tcp_state(arg, cmd); break;
    case 7: v.tuple_sport = atoi16(arg); break;
    case 8: v.tuple_dport = atoi16(arg); break;
    default: parse_port(index, arg, cmd); break;
    }
}

void parse_udp(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    switch (index) {
    case 6: v.tuple_sport = atoi16(arg); break;
    case 7: v.tuple_dport = atoi16(arg); break;
    default: parse_port(index, arg, cmd); break;
    }
}

// The SCTP states the reference knows (the kernel's heartbeat states are
// not among them).
constexpr unsigned SctpStateNames = 8;

void parse_sctp(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    switch (index) {
    case 6: {
        for (unsigned s = 0; s < SctpStateNames; ++s) {
            if (arg == ct::sctp_state_name(static_cast<std::uint8_t>(s))) {
                v.state = static_cast<std::uint8_t>(s);
                return;
            }
        }
        // 1.4.7 crashes here; report it like the other extensions do.
        parameter_problem("unknown SCTP state `" + arg + "'");
    }
    case 7: v.tuple_sport = atoi16(arg); break;
    case 8: v.tuple_dport = atoi16(arg); break;
    case 9: v.orig_vtag = static_cast<std::uint32_t>(std::atoi(arg.c_str())); break;
    case 10: v.reply_vtag = static_cast<std::uint32_t>(std::atoi(arg.c_str())); break;
    default: parse_port(index, arg, cmd); break;
    }
}

void parse_dccp(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    switch (index) {
    case 6: {
        for (unsigned s = 0; s < ct::dccp_state_count(); ++s) {
            if (arg == ct::dccp_state_name(static_cast<std::uint8_t>(s))) {
                v.state = static_cast<std::uint8_t>(s);
                return;
            }
        }
        parameter_problem("Unknown DCCP state `" + arg + "'");
    }
    case 7: v.tuple_sport = atoi16(arg); break;
    case 8: v.tuple_dport = atoi16(arg); break;
    case 9:
        // A case-insensitive prefix of "client" or "server".
        if (strncasecmp(arg.c_str(), "client", arg.size()) == 0)
            v.role = 0;  // CT_DCCP_ROLE_CLIENT
        else if (strncasecmp(arg.c_str(), "server", arg.size()) == 0)
            v.role = 1;  // CT_DCCP_ROLE_SERVER
        else
            parameter_problem("Unknown DCCP role `" + arg + "'");
        break;
    default: parse_port(index, arg, cmd); break;
    }
}

void parse_icmp(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    switch (index) {
    case 0: v.icmp_type = atoi8(arg); break;
    case 1: v.icmp_code = atoi8(arg); break;
    case 2: v.icmp_id = atoi16(arg); break;
    default: break;
    }
}

// GRE keys accept any base (0x..., 0...), truncated to 16 bits.
void parse_gre(unsigned index, const std::string &arg, CommandLine &cmd) {
    ProtocolValues &v = cmd.proto_values;
    const auto key = static_cast<std::uint16_t>(std::strtoul(arg.c_str(), nullptr, 0));
    switch (index) {
    case 0: v.orig_sport = key; break;
    case 1: v.orig_dport = key; break;
    case 2: v.reply_sport = key; break;
    case 3: v.reply_dport = key; break;
    case 4: v.mask_sport = key; break;
    case 5: v.mask_dport = key; break;
    case 6: v.tuple_sport = key; break;
    case 7: v.tuple_dport = key; break;
    default: break;
    }
}

void parse_nothing(unsigned, const std::string &, CommandLine &) {}

using A = ArgumentKind;

std::vector<LongOption> port_long_options() {
    return {
        {"orig-port-src", A::Required, 0}, {"orig-port-dst", A::Required, 1},
        {"reply-port-src", A::Required, 2}, {"reply-port-dst", A::Required, 3},
        {"mask-port-src", A::Required, 4}, {"mask-port-dst", A::Required, 5},
    };
}

constexpr const char *PortHelp =
    "  --orig-port-src\t\toriginal source port\n"
    "  --orig-port-dst\t\toriginal destination port\n"
    "  --reply-port-src\t\treply source port\n"
    "  --reply-port-dst\t\treply destination port\n"
    "  --mask-port-src\t\tmask source port\n"
    "  --mask-port-dst\t\tmask destination port\n"
    "  --tuple-port-src\t\texpectation tuple src port\n"
    "  --tuple-port-src\t\texpectation tuple dst port\n";

constexpr const char *PortsPair = "you have to specify `--sport' and `--dport'";
constexpr const char *ReplyPortsPair = "you have to specify `--reply-src-port' and `--reply-dst-port'";

// Matrix rows are indexed by MatrixRow.
#define ROWS(list, create, update, del, get, event, exp_create, exp_del) \
    { list, create, update, del, get, nullptr, event, nullptr, nullptr,  \
      nullptr, exp_create, exp_del, exp_del, nullptr, nullptr, nullptr, nullptr, \
      nullptr, nullptr, create, nullptr }

ProtocolExtension make_tcp() {
    auto opts = port_long_options();
    opts.insert(opts.end(), {{"state", A::Required, 6}, {"tuple-port-src", A::Required, 7},
                             {"tuple-port-dst", A::Required, 8}, {"sport", A::Required, 0},
                             {"dport", A::Required, 1}});
    return {"tcp", IPPROTO_TCP, ExtensionKind::Ports, opts,
            {"sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
             "mask-port-dst", "state", "tuple-port-src", "tuple-port-dst"},
            ROWS("222200200", "333300100", "222200200", "222200200", "333300200",
                 "222200200", "110011011", "111100000"),
            PortsPair, ReplyPortsPair, "", parse_tcp};
}

ProtocolExtension make_udp(const char *name, std::uint8_t number) {
    auto opts = port_long_options();
    opts.insert(opts.end(), {{"tuple-port-src", A::Required, 6}, {"tuple-port-dst", A::Required, 7},
                             {"sport", A::Required, 0}, {"dport", A::Required, 1}});
    return {name, number, ExtensionKind::Ports, opts,
            {"sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
             "mask-port-dst", "tuple-port-src", "tuple-port-dst"},
            ROWS("22220000", "33330000", "22220000", "22220000", "33330000", "22220000",
                 "11001111", "11110000"),
            PortsPair, ReplyPortsPair, "", parse_udp};
}

ProtocolExtension make_sctp() {
    auto opts = port_long_options();
    opts.insert(opts.end(), {{"state", A::Required, 6}, {"tuple-port-src", A::Required, 7},
                             {"tuple-port-dst", A::Required, 8}, {"orig-vtag", A::Required, 9},
                             {"reply-vtag", A::Required, 10}, {"sport", A::Required, 0},
                             {"dport", A::Required, 1}});
    return {"sctp", IPPROTO_SCTP, ExtensionKind::Ports, opts,
            {"sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
             "mask-port-dst", "state", "tuple-port-src", "tuple-port-dst", "orig-vtag",
             "reply-vtag"},
            ROWS("22220020000", "33330010011", "22220020022", "22220020000", "33330020022",
                 "22220020000", "11001101111", "11110000000"),
            PortsPair, ReplyPortsPair, "", parse_sctp};
}

ProtocolExtension make_dccp() {
    auto opts = port_long_options();
    opts.insert(opts.end(), {{"state", A::Required, 6}, {"tuple-port-src", A::Required, 7},
                             {"tuple-port-dst", A::Required, 8}, {"role", A::Required, 9},
                             {"sport", A::Required, 0}, {"dport", A::Required, 1}});
    return {"dccp", IPPROTO_DCCP, ExtensionKind::Ports, opts,
            {"sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
             "mask-port-dst", "state", "tuple-port-src", "tuple-port-dst", "role"},
            ROWS("2222002000", "3333001001", "2222002000", "2222002000", "3333002000",
                 "2222002000", "1100110111", "1111000000"),
            // The reference's own spelling.
            PortsPair, "you have to specify `--reply-port-src' and `--report-port-dst'", "",
            parse_dccp};
}

ProtocolExtension make_icmp(bool v6) {
    const char *type = v6 ? "icmpv6-type" : "icmp-type";
    const char *code = v6 ? "icmpv6-code" : "icmp-code";
    const char *id = v6 ? "icmpv6-id" : "icmp-id";
    return {v6 ? "icmpv6" : "icmp", static_cast<std::uint8_t>(v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP}),
            ExtensionKind::Icmp,
            {{type, A::Required, 0}, {code, A::Required, 1}, {id, A::Required, 2}},
            {type, code, id},
            ROWS("222", "112", "222", "222", "112", "222", nullptr, nullptr),
            "", "", "", parse_icmp};
}

ProtocolExtension make_gre() {
    return {"gre", IPPROTO_GRE, ExtensionKind::Keys,
            {{"orig-key-src", A::Required, 0}, {"srckey", A::Required, 0},
             {"orig-key-dst", A::Required, 1}, {"dstkey", A::Required, 1},
             {"reply-key-src", A::Required, 2}, {"reply-key-dst", A::Required, 3},
             {"mask-key-src", A::Required, 4}, {"mask-key-dst", A::Required, 5},
             {"tuple-key-src", A::Required, 6}, {"tuple-key-dst", A::Required, 7}},
            {"srckey", "dstkey", "reply-key-src", "reply-key-dst", "mask-key-src",
             "mask-key-dst", "tuple-key-src", "tuple-key-dst"},
            ROWS("22220000", "33330000", "22220000", "22220000", "33330000", "22220000",
                 "11111111", "11110000"),
            "you have to specify `--srckey' and `--dstkey'",
            "you have to specify `--reply-src-key' and `--reply-dst-key'", "", parse_gre};
}

ProtocolExtension make_unknown() {
    return {"unknown", 0, ExtensionKind::None, {}, {},
            {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
             nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
             nullptr, nullptr, nullptr},
            "", "", "  no options (unsupported)\n", parse_nothing};
}
#undef ROWS

struct Registry {
    std::array<ProtocolExtension, 9> all{make_tcp(),        make_udp("udp", IPPROTO_UDP),
                                         make_udp("udplite", IPPROTO_UDPLITE),
                                         make_sctp(),       make_dccp(),
                                         make_icmp(false),  make_icmp(true),
                                         make_gre(),        make_unknown()};
    Registry() {
        // The help texts, built once.
        for (ProtocolExtension &e : all) {
            if (std::strcmp(e.name, "tcp") == 0)
                e.help = tcp_help.c_str();
            else if (std::strcmp(e.name, "udp") == 0 || std::strcmp(e.name, "udplite") == 0)
                e.help = PortHelp;
            else if (std::strcmp(e.name, "sctp") == 0)
                e.help = sctp_help.c_str();
            else if (std::strcmp(e.name, "dccp") == 0)
                e.help = dccp_help.c_str();
            else if (std::strcmp(e.name, "icmp") == 0)
                e.help = "  --icmp-type\t\t\ticmp type\n"
                         "  --icmp-code\t\t\ticmp code\n"
                         "  --icmp-id\t\t\ticmp id\n";
            else if (std::strcmp(e.name, "icmpv6") == 0)
                e.help = "  --icmpv6-type\t\t\ticmpv6 type\n"
                         "  --icmpv6-code\t\t\ticmpv6 code\n"
                         "  --icmpv6-id\t\t\ticmpv6 id\n";
            else if (std::strcmp(e.name, "gre") == 0)
                e.help = "  --orig-key-src\t\toriginal source key\n"
                         "  --orig-key-dst\t\toriginal destination key\n"
                         "  --reply-key-src\t\treply source key\n"
                         "  --reply-key-dst\t\treply destination key\n"
                         "  --mask-key-src\t\tmask source key\n"
                         "  --mask-key-dst\t\tmask destination key\n"
                         "  --tuple-key-src\t\texpectation tuple src key\n"
                         "  --tuple-key-src\t\texpectation tuple dst key\n";
        }
    }
    std::string tcp_help = std::string(PortHelp) + "  --state\t\t\tTCP state, fe. ESTABLISHED\n";
    std::string sctp_help = std::string(PortHelp) +
                            "  --state\t\t\tSCTP state, fe. ESTABLISHED\n"
                            "  --orig-vtag\t\toriginal verification tag\n"
                            "  --reply-vtag\t\treply verification tag\n";
    std::string dccp_help = std::string(PortHelp) + "  --state\t\t\tDCCP state, fe. RESPOND\n";

    const ProtocolExtension *by_name(const char *name) const {
        for (const ProtocolExtension &e : all)
            if (std::strcmp(e.name, name) == 0 && std::strcmp(e.name, "unknown") != 0)
                return &e;
        return nullptr;
    }
    const ProtocolExtension &unknown() const { return all.back(); }
};

const Registry &registry() {
    static const Registry r;
    return r;
}

} // namespace

const ProtocolExtension &extension_for(std::uint8_t number) {
    for (const ProtocolExtension &e : registry().all)
        if (e.number == number && std::strcmp(e.name, "unknown") != 0)
            return e;
    return registry().unknown();
}

ProtocolLookup find_protocol(const std::string &word) {
    ProtocolLookup out;
    if (const ProtocolExtension *e = registry().by_name(word.c_str())) {
        out.extension = e;
        out.number = e->number;
        out.help_name = e->name;
        return out;
    }
    // The protocol database knows names and aliases ("TCP", "ipv6-icmp");
    // the extension is then found by the official name.  The reentrant
    // lookups: -R parses on several threads.
    protoent storage;
    char buffer[1024];
    protoent *entry = nullptr;
    if (getprotobyname_r(word.c_str(), &storage, buffer, sizeof(buffer), &entry) != 0)
        entry = nullptr;
    if (!entry) {
        // Otherwise a number as strtoul reads it, 0 to 255.
        char *end = nullptr;
        errno = 0;
        const unsigned long n = std::strtoul(word.c_str(), &end, 0);
        if (errno != 0 || end == word.c_str() || *end != '\0' || n > 255)
            return out;
        out.number = static_cast<std::uint8_t>(n);
        if (getprotobynumber_r(static_cast<int>(n), &storage, buffer, sizeof(buffer), &entry) != 0)
            entry = nullptr;
        if (!entry) {
            out.extension = &registry().unknown();
            out.help_name = "unknown";
            return out;
        }
    } else {
        out.number = static_cast<std::uint8_t>(entry->p_proto);
    }
    out.help_name = entry->p_name;
    const ProtocolExtension *e = registry().by_name(entry->p_name);
    out.extension = e ? e : &registry().unknown();
    return out;
}

} // namespace cli
