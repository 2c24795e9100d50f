#include "command_line.hpp"

#include "config.h"
#include "gnu_getopt.hpp"
#include "protocols.hpp"
#include "values.hpp"

#include "ct/labels.hpp"

#include <boost/program_options.hpp>

#include <cerrno>
#include <cstring>

namespace po = boost::program_options;

namespace cli {

void parameter_problem(const std::string &message) { throw CliError(ErrorKind::Parameter, message); }
void other_problem(const std::string &message) { throw CliError(ErrorKind::Other, message); }

const char *message_prefix() { return "conntrack v" CTD_REFERENCE_VERSION " (conntrack-tools): "; }
const char *try_help_line() {
    return "Try `conntrack -h' or 'conntrack --help' for more information.";
}

std::string version_text() { return "conntrack v" CTD_REFERENCE_VERSION " (conntrack-tools)\n"; }

const char *action_long_name(Action action) {
    switch (action) {
    case Action::List: return "dump";
    case Action::Create: return "create";
    case Action::Add: return "add";
    case Action::Update: return "update";
    case Action::Delete: return "delete";
    case Action::Get: return "get";
    case Action::Flush: return "flush";
    case Action::Event: return "event";
    case Action::Count: return "counter";
    case Action::Stats: return "stats";
    case Action::Version: return "version";
    case Action::Help: return "help";
    case Action::None: break;
    }
    return "";
}

const char *option_name(Option option) {
    static const char *const names[OptionCount] = {
        "src",        "dst",       "reply-src", "reply-dst", "protonum",   "timeout",
        "status",     "zero",      "event-mask", "tuple-src", "tuple-dst", "mask-src",
        "mask-dst",   "nat-range", "mark",      "id",        "family",     "src-nat",
        "dst-nat",    "output",    "secmark",   "buffer-size", "any-nat",  "zone",
        "label",      "label-add", "label-del", "orig-zone", "reply-zone", "labelmap",
    };
    return option < OptionCount ? names[option] : "";
}

std::string usage_text(const std::string &program) {
    return "Command line interface for the connection tracking system. Version " CTD_REFERENCE_VERSION "\n"
           "Usage: " + program + " [commands] [options]\n"
           "\n"
           "Commands:\n"
           "  -L [table] [options]\t\tList conntrack or expectation table\n"
           "  -G [table] parameters\t\tGet conntrack or expectation\n"
           "  -D [table] parameters\t\tDelete conntrack or expectation\n"
           "  -I [table] parameters\t\tCreate a conntrack or expectation\n"
           "  -U [table] parameters\t\tUpdate a conntrack\n"
           "  -E [table] [options]\t\tShow events\n"
           "  -F [table]\t\t\tFlush table\n"
           "  -C [table]\t\t\tShow counter\n"
           "  -S\t\t\t\tShow statistics\n"
           "\n"
           "Tables: conntrack, expect, dying, unconfirmed\n"
           "\n"
           "Conntrack parameters and options:\n"
           "  -n, --src-nat ip\t\t\tsource NAT ip\n"
           "  -g, --dst-nat ip\t\t\tdestination NAT ip\n"
           "  -j, --any-nat ip\t\t\tsource or destination NAT ip\n"
           "  -m, --mark mark\t\t\tSet mark\n"
           "  -c, --secmark secmark\t\t\tSet selinux secmark\n"
           "  -e, --event-mask eventmask\t\tEvent mask, eg. NEW,DESTROY\n"
           "  -z, --zero \t\t\t\tZero counters while listing\n"
           "  -o, --output type[,...]\t\tOutput format, eg. xml\n"
           "  -l, --label label[,...]\t\tconntrack labels\n"
           "\n"
           "Expectation parameters and options:\n"
           "  --tuple-src ip\tSource address in expect tuple\n"
           "  --tuple-dst ip\tDestination address in expect tuple\n"
           "\n"
           "Updating parameters and options:\n"
           "  --label-add label\tAdd label\n"
           "  --label-del label\tDelete label\n"
           "\n"
           "Common parameters and options:\n"
           "  -s, --src, --orig-src ip\t\tSource address from original direction\n"
           "  -d, --dst, --orig-dst ip\t\tDestination address from original direction\n"
           // 1.4.9 fixed 1.4.7's "addres" here.
           "  -r, --reply-src ip\t\tSource address from reply direction\n"
           "  -q, --reply-dst ip\t\tDestination address from reply direction\n"
           "  -p, --protonum proto\t\tLayer 4 Protocol, eg. 'tcp'\n"
           "  -f, --family proto\t\tLayer 3 Protocol, eg. 'ipv6'\n"
           "  -t, --timeout timeout\t\tSet timeout\n"
           "  -u, --status status\t\tSet status, eg. ASSURED\n"
           "  -w, --zone value\t\tSet conntrack zone\n"
           "  --orig-zone value\t\tSet zone for original direction\n"
           "  --reply-zone value\t\tSet zone for reply direction\n"
           "  -b, --buffer-size\t\tNetlink socket buffer size\n"
           "  --mask-src ip\t\t\tSource mask address\n"
           "  --mask-dst ip\t\t\tDestination mask address\n"
           "  --labelmap path\t\tLabel map file (1.4.9)\n"
           "\n";
}

std::string protocol_help_text(const CommandLine &cmd) {
    if (!cmd.proto)
        return {};
    // The extension's name, or for the catch-all one the protocol's name.
    std::string name = cmd.proto->name;
    if (std::strcmp(cmd.proto->name, "unknown") == 0) {
        const ProtocolLookup lookup = find_protocol(std::to_string(cmd.l4proto));
        name = lookup.help_name;
    }
    return "Proto `" + name + "' help:\n" + cmd.proto->help;
}

namespace {

// ---------------------------------------------------------------------------
// The option table.

constexpr int LabelmapId = 0x100;  // --labelmap has no short form

struct GenericOption {
    const char *long_name;  // the key of the parsed option (and a --name)
    int id;                 // the short letter, or LabelmapId
    ArgumentKind argument;
};

using A = ArgumentKind;

// In the reference's order.  Commands take no argument (1.4.9; 1.4.7
// silently dropped an attached one, as in `-Lexpect`).
constexpr GenericOption GenericOptions[] = {
    {"dump", 'L', A::None},         {"create", 'I', A::None},      {"add", 'A', A::None},
    {"delete", 'D', A::None},       {"update", 'U', A::None},      {"get", 'G', A::None},
    {"flush", 'F', A::None},        {"event", 'E', A::None},       {"counter", 'C', A::None},
    {"stats", 'S', A::None},        {"version", 'V', A::None},     {"help", 'h', A::None},
    {"orig-src", 's', A::Required}, {"src", 's', A::Required},     {"orig-dst", 'd', A::Required},
    {"dst", 'd', A::Required},      {"reply-src", 'r', A::Required}, {"reply-dst", 'q', A::Required},
    {"protonum", 'p', A::Required}, {"timeout", 't', A::Required}, {"status", 'u', A::Required},
    {"zero", 'z', A::None},         {"event-mask", 'e', A::Required}, {"tuple-src", '[', A::Required},
    {"tuple-dst", ']', A::Required}, {"mask-src", '{', A::Required}, {"mask-dst", '}', A::Required},
    {"nat-range", 'a', A::Required}, {"mark", 'm', A::Required},   {"secmark", 'c', A::Required},
    // 1.4.7 made the argument of --id optional and crashed without one.
    {"id", 'i', A::Required},       {"family", 'f', A::Required},  {"src-nat", 'n', A::Optional},
    {"dst-nat", 'g', A::Optional},  {"output", 'o', A::Required},  {"buffer-size", 'b', A::Required},
    {"any-nat", 'j', A::Optional},  {"zone", 'w', A::Required},    {"label", 'l', A::Required},
    {"label-add", '<', A::Required}, {"label-del", '>', A::Optional}, {"orig-zone", '(', A::Required},
    {"reply-zone", ')', A::Required}, {"labelmap", LabelmapId, A::Required},
};

constexpr const char *ShortOptions =
    "LIUDGEFAhVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::g::c:b:CSj::w:l:<:>::(:):";

// Keys of the two synthetic entries the getopt stage produces.
constexpr const char *GetoptErrorKey = "getopt-error";
constexpr const char *ProtocolOptionKey = "protocol-option";

const GenericOption *generic_by_id(int id) {
    for (const GenericOption &o : GenericOptions)
        if (o.id == id)
            return &o;
    return nullptr;
}

const GenericOption *generic_by_key(const std::string &key) {
    for (const GenericOption &o : GenericOptions)
        if (key == o.long_name)
            return &o;
    return nullptr;
}

bool is_command_id(int id) {
    return id > 0 && id < 256 && std::strchr("LIUDGEFACSVh", id) != nullptr;
}

// The Boost.Program_options registry of every key the getopt stage can
// produce, with the number of values each may carry.  Boost checks each
// parsed option against it.
const po::options_description &option_registry() {
    static const po::options_description registry = [] {
        po::options_description d("conntrack options");
        for (const GenericOption &o : GenericOptions) {
            if (d.find_nothrow(o.long_name, false))
                continue;
            // Commands carry their table word, optional arguments their
            // (possibly absent) value.
            if (o.argument == A::Required)
                d.add_options()(o.long_name, po::value<std::string>());
            else
                d.add_options()(o.long_name, po::value<std::string>()->implicit_value(""));
        }
        d.add_options()(GetoptErrorKey, po::value<std::string>());
        d.add_options()(ProtocolOptionKey, po::value<std::vector<std::string>>()->multitoken());
        return d;
    }();
    return registry;
}

// The word after an option is its table name or optional argument unless
// it looks like an option or a negation (the iptables convention).
bool next_word_is_value(const GnuGetopt &g) {
    if (g.optind() >= g.argv().size())
        return false;
    const std::string &w = g.argv()[g.optind()];
    return w.empty() || (w[0] != '-' && w[0] != '!');
}

// The getopt stage, as a Boost.Program_options style parser: it reads the
// whole command line with glibc's rules and returns the options in order.
// It performs the two things the reference does between getopt calls that
// change what later words mean: consuming a table name or optional value
// from the next word, and merging a protocol's options after -p.  A getopt
// error becomes a "getopt-error" entry at its position, so that problems
// found in earlier options are still reported first.
class GetoptStage {
public:
    explicit GetoptStage(std::string program) : program_(std::move(program)) {}

    std::vector<po::option> operator()(std::vector<std::string> &args) {
        std::vector<std::string> argv;
        argv.reserve(args.size() + 1);
        argv.push_back(program_);
        argv.insert(argv.end(), args.begin(), args.end());
        args.clear();

        static const std::vector<LongOption> longs = [] {
            std::vector<LongOption> v;
            for (const GenericOption &o : GenericOptions)
                v.push_back({o.long_name, o.argument, o.id});
            return v;
        }();
        GnuGetopt g(std::move(argv), ShortOptions, longs);

        std::vector<po::option> out;
        unsigned merged = 0;
        for (;;) {
            const int id = g.next();
            if (id == GnuGetopt::End)
                break;
            if (id == GnuGetopt::Unknown || id == GnuGetopt::MissingArgument) {
                const std::string message =
                    id == GnuGetopt::Unknown
                        ? "unknown option `" + g.last_word() + "'"
                        : "option `" + g.last_word() + "' requires an argument";
                out.emplace_back(GetoptErrorKey, std::vector<std::string>{message});
                break;
            }
            if (id >= ExtensionOptionBase) {
                const int index = (id - ExtensionOptionBase) & 0xff;
                out.emplace_back(ProtocolOptionKey,
                                 std::vector<std::string>{std::to_string(index), *g.argument()});
                continue;
            }
            const GenericOption *o = generic_by_id(id);
            std::vector<std::string> values;
            if (is_command_id(id) || o->argument == A::Optional) {
                // An attached optional value is dropped, as the reference's
                // get_optional_arg() does; the next word is taken instead.
                if (next_word_is_value(g)) {
                    values.push_back(g.argv()[g.optind()]);
                    g.skip_word();
                }
            } else if (g.argument()) {
                values.push_back(*g.argument());
            }
            if (id == 'p') {
                const ProtocolLookup lookup = find_protocol(values.front());
                if (lookup.extension && !lookup.extension->long_options.empty()) {
                    std::vector<LongOption> more = lookup.extension->long_options;
                    for (LongOption &m : more)
                        m.id += ExtensionOptionBase + 256 * static_cast<int>(merged);
                    g.add_long_options(more);
                    ++merged;
                }
            }
            out.emplace_back(o->long_name, values);
        }
        return out;
    }

private:
    std::string program_;
};

// ---------------------------------------------------------------------------
// Acting on each option.

class Parser {
public:
    Parser(CommandLine &cmd, Diagnostics &diag) : cmd_(cmd), diag_(diag) {}

    void option(const po::option &opt);
    void finish();

private:
    void command(Action action, const std::vector<std::string> &values);
    void set_family(std::uint8_t family);
    void set(Option o) { cmd_.options |= 1u << o; }
    void address(Option o, const std::string &text);
    void nat(Option o, NatOption &nat, const std::vector<std::string> &values, const char *name);
    void load_labels();
    void check_legality();
    void check_extension();
    void check_filters();

    CommandLine &cmd_;
    Diagnostics &diag_;
    // Label names in command-line order: resolved once the map is known.
    struct PendingLabels {
        Option option;
        std::string names;
    };
    std::vector<PendingLabels> pending_labels_;
};

void Parser::set_family(std::uint8_t family) {
    if (cmd_.family == 0)
        cmd_.family = family;
    else if (cmd_.family != family)
        parameter_problem("mismatched address family");
}

void Parser::command(Action action, const std::vector<std::string> &values) {
    Table table = Table::Conntrack;
    if (!values.empty()) {
        // A prefix of a table name; the empty word is one of "expect".
        const std::string &word = values.front();
        auto prefix_of = [&](const char *name) {
            return std::strncmp(word.c_str(), name, word.size()) == 0 && word.size() <= std::strlen(name);
        };
        if (prefix_of("expect"))
            table = Table::Expect;
        else if (prefix_of("conntrack"))
            table = Table::Conntrack;
        else if (prefix_of("dying"))
            table = Table::Dying;
        else if (prefix_of("unconfirmed"))
            table = Table::Unconfirmed;
        else
            parameter_problem("unknown type `" + word + "'");
    }
    if ((table == Table::Dying || table == Table::Unconfirmed) && action != Action::List)
        parameter_problem("Can't do that command with tables `dying' and `unconfirmed'");
    if (table == Table::Expect && (action == Action::Update || action == Action::Add))
        parameter_problem(std::string("Can't do --") + action_long_name(action) + " on expectations");
    if (cmd_.action != Action::None)
        parameter_problem("Invalid commands combination");
    cmd_.action = action;
    cmd_.table = table;
}

void Parser::address(Option o, const std::string &text) {
    const bool cidr = o == OptSrc || o == OptDst || o == OptTupleSrc || o == OptTupleDst;
    const ParsedAddress a = parse_address(text, cidr, option_name(o));
    set_family(a.family);
    set(o);
    const unsigned full = a.family == AF_INET ? 32 : 128;
    switch (o) {
    case OptSrc:
    case OptDst: {
        ct::Tuple &t = cmd_.orig;
        (o == OptSrc ? t.src : t.dst) = a.address;
        t.set(o == OptSrc ? ct::TupleField::Src : ct::TupleField::Dst);
        // A prefix shorter than the address is a netmask filter.
        if (a.prefix && *a.prefix != full) {
            Netmask &m = o == OptSrc ? cmd_.src_mask : cmd_.dst_mask;
            m.given = true;
            m.mask = prefix_mask(a.family, *a.prefix);
            set(o == OptSrc ? OptMaskSrc : OptMaskDst);
            (o == OptSrc ? cmd_.exp_mask.src : cmd_.exp_mask.dst) = m.mask;
            cmd_.exp_mask.set(o == OptSrc ? ct::TupleField::Src : ct::TupleField::Dst);
        }
        break;
    }
    case OptReplySrc:
        cmd_.reply.src = a.address;
        cmd_.reply.set(ct::TupleField::Src);
        break;
    case OptReplyDst:
        cmd_.reply.dst = a.address;
        cmd_.reply.set(ct::TupleField::Dst);
        break;
    case OptTupleSrc:
        cmd_.exp_tuple.src = a.address;
        cmd_.exp_tuple.set(ct::TupleField::Src);
        break;
    case OptTupleDst:
        cmd_.exp_tuple.dst = a.address;
        cmd_.exp_tuple.set(ct::TupleField::Dst);
        break;
    case OptMaskSrc:
    case OptMaskDst: {
        Netmask &m = o == OptMaskSrc ? cmd_.src_mask : cmd_.dst_mask;
        m.given = true;
        m.mask = a.address;
        (o == OptMaskSrc ? cmd_.exp_mask.src : cmd_.exp_mask.dst) = a.address;
        cmd_.exp_mask.set(o == OptMaskSrc ? ct::TupleField::Src : ct::TupleField::Dst);
        break;
    }
    default:
        break;
    }
}

void Parser::nat(Option o, NatOption &target, const std::vector<std::string> &values,
                 const char *name) {
    set(o);
    if (values.empty()) {
        target.given = true;
        return;
    }
    target = parse_nat(values.front(), name);
    set_family(target.family);
}

void Parser::option(const po::option &opt) {
    const std::string &key = opt.string_key;
    const std::vector<std::string> &values = opt.value;
    auto value = [&]() -> const std::string & { return values.front(); };

    if (key == GetoptErrorKey)
        parameter_problem(value());
    if (key == ProtocolOptionKey) {
        // The option's index goes to the current extension, whichever
        // extension it was merged from (the reference's behaviour).
        const unsigned index = static_cast<unsigned>(std::stoul(values[0]));
        if (cmd_.proto && index < cmd_.proto->option_names.size()) {
            cmd_.proto_values.given |= 1u << index;
            cmd_.proto->parse(index, values[1], cmd_);
        }
        return;
    }

    const GenericOption *o = generic_by_key(key);
    switch (o->id) {
    case 'L': command(Action::List, values); break;
    case 'I': command(Action::Create, values); break;
    case 'A': command(Action::Add, values); break;
    case 'U': command(Action::Update, values); break;
    case 'D': command(Action::Delete, values); break;
    case 'G': command(Action::Get, values); break;
    case 'F': command(Action::Flush, values); break;
    case 'E': command(Action::Event, values); break;
    case 'C': command(Action::Count, values); break;
    case 'S': command(Action::Stats, values); break;
    case 'V': command(Action::Version, values); break;
    case 'h': command(Action::Help, values); break;
    case 's': address(OptSrc, value()); break;
    case 'd': address(OptDst, value()); break;
    case 'r': address(OptReplySrc, value()); break;
    case 'q': address(OptReplyDst, value()); break;
    case '[': address(OptTupleSrc, value()); break;
    case ']': address(OptTupleDst, value()); break;
    case '{': address(OptMaskSrc, value()); break;
    case '}': address(OptMaskDst, value()); break;
    case 'p': {
        set(OptProto);
        const ProtocolLookup lookup = find_protocol(value());
        if (!lookup.extension)
            parameter_problem("`" + value() + "' unsupported protocol");
        cmd_.proto = lookup.extension;
        cmd_.l4proto = lookup.number;
        break;
    }
    case 't':
        set(OptTimeout);
        cmd_.timeout = parse_timeout(value());
        break;
    case 'u':
        set(OptStatus);
        parse_status(value(), cmd_.status_value, cmd_.status_mask, diag_);
        break;
    case 'z': set(OptZero); break;
    case 'e':
        set(OptEventMask);
        cmd_.event_mask |= parse_event_mask(value(), diag_);
        break;
    case 'a': diag_.warning("WARNING: ignoring -a, deprecated option."); break;
    case 'm':
        set(OptMark);
        parse_mark(value(), cmd_.mark_value, cmd_.mark_mask);
        break;
    case 'c':
        set(OptSecmark);
        cmd_.secmark = parse_u32_checked(value(), 'c');
        break;
    case 'i':
        set(OptId);
        cmd_.id = parse_u32_checked(value(), 'i');
        break;
    case 'f':
        set(OptFamily);
        set_family(parse_family(value()));
        break;
    case 'n': nat(OptSrcNat, cmd_.snat, values, "src-nat"); break;
    case 'g': nat(OptDstNat, cmd_.dnat, values, "dst-nat"); break;
    case 'j': nat(OptAnyNat, cmd_.any_nat, values, "any-nat"); break;
    case 'o': {
        set(OptOutput);
        cmd_.output_flags |= parse_output(value(), diag_);
        const unsigned f = cmd_.output_flags;
        if ((f & output::Save) && (f & ~output::Save))
            other_problem("cannot combine save output with any other output type, use -o save only");
        if ((f & output::Json) && (f & output::Xml))
            other_problem("cannot combine json output with xml output");
        break;
    }
    case 'b':
        set(OptBufferSize);
        cmd_.buffer_size = parse_buffer_size(value());
        break;
    case 'w':
        set(OptZone);
        cmd_.zone = parse_u16_checked(value(), 'w');
        break;
    case '(':
        set(OptOrigZone);
        cmd_.orig_zone = parse_u16_checked(value(), '(');
        break;
    case ')':
        set(OptReplyZone);
        cmd_.reply_zone = parse_u16_checked(value(), ')');
        break;
    case 'l':
        set(OptLabel);
        cmd_.labelmap_needed = true;
        pending_labels_.push_back({OptLabel, value()});
        break;
    case '<':
        set(OptLabelAdd);
        if (cmd_.has(OptLabelDel))
            other_problem("cannot use --label-add and --label-del at the same time");
        cmd_.labelmap_needed = true;
        pending_labels_.push_back({OptLabelAdd, value()});
        break;
    case '>':
        set(OptLabelDel);
        if (cmd_.has(OptLabelAdd))
            other_problem("cannot use --label-add and --label-del at the same time");
        cmd_.labelmap_needed = true;
        if (!values.empty())
            pending_labels_.push_back({OptLabelDel, value()});
        break;
    case LabelmapId:
        if (cmd_.has(OptLabelmap))
            parameter_problem("cannot use --labelmap more than once");
        set(OptLabelmap);
        cmd_.labelmap_path = value();
        break;
    default:
        break;
    }
}

// Label names are looked up once every option is read, because --labelmap
// may come after them (1.4.9 does the same).
void Parser::load_labels() {
    if (cmd_.has(OptOutput) && (cmd_.output_flags & output::Labels))
        cmd_.labelmap_needed = true;
    if (!cmd_.labelmap_needed)
        return;
    auto loaded = std::make_shared<ct::LabelMap>();
    const ct::LabelMap &map = *loaded;
    const int err = loaded->load(cmd_.labelmap_path);
    if (err < 0)
        diag_.warning(std::string("nfct_labelmap_new: ") + std::strerror(-err));
    else
        cmd_.labelmap = loaded;
    for (const PendingLabels &p : pending_labels_) {
        ct::Labels &target = p.option == OptLabel      ? cmd_.labels
                             : p.option == OptLabelAdd ? cmd_.label_add
                                                       : cmd_.label_del;
        std::vector<std::string> &names = p.option == OptLabel      ? cmd_.label_names
                                          : p.option == OptLabelAdd ? cmd_.label_add_names
                                                                    : cmd_.label_del_names;
        std::size_t start = 0;
        for (;;) {
            const std::size_t comma = p.names.find(',', start);
            const std::string name = p.names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            const int bit = map.bit(name);
            if (bit < 0)
                parameter_problem("unknown label '" + name + "'");
            target.set(static_cast<unsigned>(bit));
            names.push_back(name);
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    }
}

// One legality check over a set of options: the reference's loop (illegal
// or missing options in option order), then the pairs that must be
// complete (`3`): some pair entirely given, otherwise the message of the
// first pair that was started (or of the first pair when none was).
void check_matrix(std::uint32_t given, MatrixLine line, unsigned count,
                  const std::vector<const char *> &names, const char *first_pair_message,
                  const char *second_pair_message, std::uint32_t first_pair,
                  std::uint32_t second_pair) {
    std::uint32_t special = 0;
    for (unsigned i = 0; i < count; ++i) {
        const char legality = line ? line[i] : '0';
        const bool present = given & (1u << i);
        if (!present && legality == '1')
            parameter_problem(std::string("You need to supply the `--") + names[i] +
                              "' option for this command");
        if (present && legality == '0')
            parameter_problem(std::string("Illegal option `--") + names[i] + "' with this command");
        if (legality == '3')
            special |= 1u << i;
    }
    if (special == 0)
        return;
    const std::uint32_t have = given & special;
    if ((have & first_pair) == first_pair || (have & second_pair) == second_pair)
        return;
    if (!(have & first_pair) && (have & second_pair))
        parameter_problem(second_pair_message);
    parameter_problem(first_pair_message);
}

// The generic legality matrix (see protocols.hpp for the encoding), rows in
// MatrixRow order, columns in Option order.
// clang-format off
constexpr MatrixLine GenericMatrix[static_cast<unsigned>(MatrixRow::Count)] = {
    /*                s d r q p t u z e [ ] { } a m i f n g o c b j w l < > ( ) M */
    /* CtList    */ "222220220002222022222022200222",
    /* CtCreate  */ "333311200000022002200002020220",
    /* CtUpdate  */ "222222200002222222220000222002",
    /* CtDelete  */ "222222200002222222220002200222",
    /* CtGet     */ "333310000000020200020000200000",
    /* CtFlush   */ "000000000000020020000000000000",
    /* CtEvent   */ "222220002002222022222222200222",
    /* Version   */ "000000000000020000000000000000",
    /* Help      */ "000020000000020000000000000000",
    /* ExpList   */ "000000000000020020020000000000",
    /* ExpCreate */ "112211200111120000000000000000",
    /* ExpDelete */ "112210000000020000000000000000",
    /* ExpGet    */ "112210000000020000000000000000",
    /* ExpFlush  */ "000000000000020000000000000000",
    /* ExpEvent  */ "000000000000020000020000000000",
    /* CtCount   */ "000000000000020000000000000000",
    /* ExpCount  */ "000000000000020000000000000000",
    /* CtStats   */ "000000000000020000000000000000",
    /* ExpStats  */ "000000000000020000000000000000",
    /* CtAdd     */ "333311200000022002200002020220",
    // Without a command the reference reads past the end of its matrix:
    // only --reply-zone happens to be accepted (and -h output follows).
    /* NoCommand */ "000000000000020000000000000020",
};
// clang-format on

constexpr bool matrix_complete() {
    for (MatrixLine line : GenericMatrix)
        if (std::char_traits<char>::length(line) != OptionCount)
            return false;
    return true;
}
static_assert(matrix_complete(), "every matrix row has one column per option");

void Parser::check_legality() {
    std::vector<const char *> names;
    for (unsigned i = 0; i < OptionCount; ++i)
        names.push_back(option_name(static_cast<Option>(i)));
    const MatrixLine line = GenericMatrix[static_cast<unsigned>(matrix_row(cmd_.action, cmd_.table))];
    // -o json is this implementation's, and also applies to -C and -S; any
    // other output type stays illegal there, as in the reference.
    std::uint32_t given = cmd_.options;
    if ((cmd_.action == Action::Count || cmd_.action == Action::Stats) &&
        cmd_.output_flags == output::Json)
        given &= ~(1u << OptOutput);
    check_matrix(given, line, OptionCount, names, "you have to specify `--src' and `--dst'",
                 "you have to specify `--reply-src' and `--reply-dst'",
                 (1u << OptSrc) | (1u << OptDst), (1u << OptReplySrc) | (1u << OptReplyDst));
}

void Parser::check_extension() {
    const ProtocolExtension *e = cmd_.proto;
    if (!e || e->option_names.empty())
        return;
    const MatrixLine line = e->matrix[static_cast<unsigned>(matrix_row(cmd_.action, cmd_.table))];
    check_matrix(cmd_.proto_values.given, line, static_cast<unsigned>(e->option_names.size()),
                 e->option_names, e->orig_pair_message, e->reply_pair_message, 0x3, 0xc);
}

// Checks the reference makes when it starts listing, deleting, updating or
// watching conntrack entries, before it talks to the kernel.
void Parser::check_filters() {
    if (cmd_.table != Table::Conntrack)
        return;
    const Action a = cmd_.action;
    if (a == Action::List) {
        constexpr std::uint32_t comparison =
            (1u << OptSrc) | (1u << OptDst) | (1u << OptReplySrc) | (1u << OptReplyDst) |
            (1u << OptProto) | (1u << OptMark) | (1u << OptSecmark) | (1u << OptStatus) |
            (1u << OptId) | (1u << OptZone) | (1u << OptLabel) | (1u << OptOrigZone) |
            (1u << OptReplyZone);
        if (cmd_.has(OptZero) && (cmd_.options & comparison))
            parameter_problem("Can't use -z with filtering parameters");
    }
    if (a == Action::List || a == Action::Delete || a == Action::Update || a == Action::Event) {
        if (cmd_.has(OptMaskSrc) && !cmd_.has(OptSrc))
            parameter_problem("Can't use --mask-src without --src");
        if (cmd_.has(OptMaskDst) && !cmd_.has(OptDst))
            parameter_problem("Can't use --mask-dst without --dst");
    }
}

void Parser::finish() {
    load_labels();
    if (cmd_.has(OptAnyNat) && (cmd_.has(OptSrcNat) || cmd_.has(OptDstNat)))
        parameter_problem("cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
    check_legality();
    // Commands that act on one entry need a family; listing ones cover both.
    if (cmd_.family == 0) {
        switch (cmd_.action) {
        case Action::List: case Action::Update: case Action::Delete: case Action::Get:
        case Action::Flush: case Action::Event:
            break;
        default:
            cmd_.family = AF_INET;
            break;
        }
    }
    check_extension();
    check_filters();
}

} // namespace

namespace {

CommandLine interpret(const std::vector<po::option> &options, std::string program,
                      Diagnostics &diag) {
    CommandLine cmd;
    cmd.program = std::move(program);
    Parser parser(cmd, diag);
    for (const po::option &opt : options)
        parser.option(opt);
    parser.finish();
    return cmd;
}

std::string program_of(const std::vector<std::string> &argv) {
    return argv.empty() ? std::string("conntrack") : argv[0];
}

} // namespace

CommandLine parse_command_line(const std::vector<std::string> &argv, Diagnostics &diag) {
    const std::string program = program_of(argv);
    const std::vector<std::string> args(argv.empty() ? argv.begin() : argv.begin() + 1, argv.end());
    po::parsed_options parsed(&option_registry());
    try {
        parsed = po::command_line_parser(args)
                     .options(option_registry())
                     .extra_style_parser(GetoptStage(program))
                     .run();
    } catch (const po::error &e) {
        // The getopt stage only produces registered keys with the right
        // number of values; reaching this is a bug, reported plainly.
        other_problem(std::string("internal command line error: ") + e.what());
    }
    return interpret(parsed.options, program, diag);
}

// The same getopt stage and the same interpretation, without Boost's
// driver around them: Boost looks every option up twice in its registry,
// which made up 80% of the time of a 200000-line --load-file (5.3 s of
// CPU against 0.9 s).  What that lookup checks, the getopt stage already
// guarantees (and the unit tests check both paths agree).
CommandLine parse_load_file_line(const std::vector<std::string> &argv, Diagnostics &diag) {
    const std::string program = program_of(argv);
    std::vector<std::string> args(argv.empty() ? argv.begin() : argv.begin() + 1, argv.end());
    return interpret(GetoptStage(program)(args), program, diag);
}

} // namespace cli
