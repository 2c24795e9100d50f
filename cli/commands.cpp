#include "commands.hpp"

#include "filter.hpp"
#include "load_file.hpp"
#include "protocols.hpp"

#include "ct/codec.hpp"
#include "ct/format.hpp"
#include "ct/netlink.hpp"
#include "ct/stats.hpp"
#include "ct/text_buffer.hpp"

#include <linux/netfilter/nfnetlink.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <cstdio>
#include <cstring>
#include <memory>

namespace cli {

namespace {

// ---------------------------------------------------------------------------
// Output.

// stderr is unbuffered, as the reference's fprintf(stderr) is.
void write_stderr(const std::string &text) {
    const char *p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void print_message(const std::string &message) {
    write_stderr(std::string(message_prefix()) + message + "\n");
}

void print_error(const CliError &e) {
    print_message(e.what());
    if (e.kind() == ErrorKind::Parameter)
        write_stderr(std::string(try_help_line()) + "\n");
}

struct StderrDiagnostics : Diagnostics {
    void warning(const std::string &line) override { write_stderr(line + "\n"); }
};

// Buffered stdout: formatters append, the buffer goes out in large writes.
class Stdout {
public:
    ct::TextBuffer &buffer() { return buffer_; }
    void flush_if_full() {
        if (buffer_.size() >= FlushSize)
            flush();
    }
    void flush() { buffer_.write_to(STDOUT_FILENO); }
    ~Stdout() { flush(); }

private:
    static constexpr std::size_t FlushSize = 64 * 1024;
    ct::TextBuffer buffer_{128 * 1024};
};

// ---------------------------------------------------------------------------
// Errors.

bool is_one_of(Action a, std::initializer_list<Action> list) {
    for (Action x : list)
        if (a == x)
            return true;
    return false;
}

[[noreturn]] void operation_failed(int error, const CommandLine &cmd) {
    other_problem("Operation failed: " + operation_error_text(error, cmd));
}

// Socket failures: the reference prints perror's line, then its own.
[[noreturn]] void cannot_open(int error) {
    write_stderr(std::string("mnl_socket_open: ") + std::strerror(error) + "\n");
    other_problem("Can't open handler");
}

ct::NetlinkSocket open_socket(unsigned groups = 0) {
    ct::NetlinkSocket sock;
    const int r = sock.open(groups);
    if (r < 0)
        cannot_open(-r);
    return sock;
}

// ---------------------------------------------------------------------------
// Formatting options from -o and the label map.

ct::FormatOptions format_options(const CommandLine &cmd) {
    ct::FormatOptions o;
    const unsigned f = cmd.output_flags;
    if (f & output::Json)
        o.format = ct::OutputFormat::Json;
    else if (f & output::Xml)
        o.format = ct::OutputFormat::Xml;
    else if (f & output::Save)
        o.format = ct::OutputFormat::Save;
    o.extended = f & output::Extended;
    o.show_id = f & output::Id;
    o.ktimestamp = f & output::Ktimestamp;
    // The <when> element of -o xml,timestamp is for events only.
    o.xml_time = (f & output::Timestamp) && (f & output::Xml) && cmd.action == Action::Event;
    o.labels = cmd.labelmap.get();
    return o;
}

// Appends one flow line (with its newline).  The save format cannot show
// flows of other families: the reference warns and skips them.
bool append_flow(Stdout &out, const ct::Flow &flow, const ct::FormatOptions &o) {
    ct::TextBuffer &b = out.buffer();
    const std::size_t before = b.size();
    if (!ct::format_flow(b, flow, o)) {
        b.truncate(before);
        out.flush();
        write_stderr("WARNING: unsupported l3proto " + std::to_string(flow.orig.l3proto) +
                     ", skipping.\n");
        return false;
    }
    b.push_back('\n');
    return true;
}

// The summary line ("<count> <what>") and the exit status: a zero count
// fails, except for listings.
int summary(const CommandLine &cmd, Stdout &out, const char *what, int count,
            bool zero_is_fine = false) {
    out.flush();
    if (cmd.from_load_file)
        return 0;
    print_message(std::to_string(count) + " " + what);
    return count == 0 && !zero_is_fine ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Building requests.

// libnetfilter_conntrack's inversion of ICMP types for the other direction.
std::uint8_t invert_icmp_type(std::uint8_t proto, std::uint8_t type) {
    if (proto == IPPROTO_ICMP) {
        switch (type) {
        case 8: return 0;
        case 0: return 8;
        case 13: return 14;
        case 14: return 13;
        case 15: return 16;
        case 16: return 15;
        case 17: return 18;
        case 18: return 17;
        default: return type;
        }
    }
    switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 139: return 140;
    case 140: return 139;
    default: return type;
    }
}

// The tuple of the other direction (NFCT_SOPT_SETUP_REPLY/ORIGINAL).
ct::Tuple invert(const ct::Tuple &t) {
    using ct::TupleField;
    ct::Tuple r;
    r.l3proto = t.l3proto;
    if (t.has(TupleField::Src)) { r.dst = t.src; r.set(TupleField::Dst); }
    if (t.has(TupleField::Dst)) { r.src = t.dst; r.set(TupleField::Src); }
    if (t.has(TupleField::L4Proto)) { r.l4proto = t.l4proto; r.set(TupleField::L4Proto); }
    if (t.has(TupleField::SrcPort)) { r.dport = t.sport; r.set(TupleField::DstPort); }
    if (t.has(TupleField::DstPort)) { r.sport = t.dport; r.set(TupleField::SrcPort); }
    if (t.has(TupleField::IcmpType)) {
        r.icmp_type = invert_icmp_type(t.l4proto, t.icmp_type);
        r.set(TupleField::IcmpType);
    }
    if (t.has(TupleField::IcmpCode)) { r.icmp_code = t.icmp_code; r.set(TupleField::IcmpCode); }
    if (t.has(TupleField::IcmpId)) { r.icmp_id = t.icmp_id; r.set(TupleField::IcmpId); }
    return r;
}

void set_nat(ct::NatRange &range, const NatOption &nat, std::uint8_t family) {
    range = ct::NatRange{};
    range.family = family;
    if (nat.has_address) {
        range.min_ip = range.max_ip = nat.address;
        range.fields |= ct::NatRange::MinIp | ct::NatRange::MaxIp;
    }
    if (nat.has_port) {
        range.min_port = range.max_port = nat.port;
        range.fields |= ct::NatRange::MinPort | ct::NatRange::MaxPort;
    }
}

// The protocol state part of -I and -U.
void set_protoinfo(const CommandLine &cmd, ct::Flow &f, bool create) {
    const ProtocolExtension *e = cmd.proto;
    if (!e)
        return;
    const ProtocolValues &v = cmd.proto_values;
    using ct::FlowAttr;
    switch (e->number) {
    case IPPROTO_TCP:
        if (v.given & (1u << 6)) {
            f.tcp_state = v.state;
            f.set(FlowAttr::TcpState);
        }
        if (create) {
            // Window tracking cannot know the sequence numbers of a made-up
            // entry: the reference marks both directions liberal.
            std::uint8_t flags = ct::tcp_flag::BeLiberal | ct::tcp_flag::SackPerm;
            if (f.tcp_state >= 7)  // TIME_WAIT and later
                flags |= ct::tcp_flag::CloseInit;
            for (unsigned d = 0; d < 2; ++d)
                f.tcp_flags[d] = {flags, flags};
            f.set(FlowAttr::TcpFlagsOrig);
            f.set(FlowAttr::TcpFlagsReply);
        }
        break;
    case IPPROTO_SCTP:
        if (v.given & (1u << 6)) {
            f.sctp_state = v.state;
            f.set(FlowAttr::SctpState);
        }
        if (v.given & (1u << 9)) {
            f.sctp_vtag[0] = v.orig_vtag;
            f.set(FlowAttr::SctpVtagOrig);
        }
        if (v.given & (1u << 10)) {
            f.sctp_vtag[1] = v.reply_vtag;
            f.set(FlowAttr::SctpVtagReply);
        }
        break;
    case IPPROTO_DCCP:
        if (v.given & (1u << 6)) {
            f.dccp_state = v.state;
            f.set(FlowAttr::DccpState);
        }
        if (v.given & (1u << 9)) {
            f.dccp_role = v.role;
            f.set(FlowAttr::DccpRole);
        }
        break;
    default:
        break;
    }
}

// Requests carry all three ICMP fields, the id 0 when none was given (the
// kernel refuses an ICMP tuple without one).
void complete_icmp(ct::Tuple &t) {
    using ct::TupleField;
    if (t.l4proto != IPPROTO_ICMP && t.l4proto != IPPROTO_ICMPV6)
        return;
    if (!t.has(TupleField::IcmpType) && !t.has(TupleField::IcmpCode))
        return;
    t.set(TupleField::IcmpType);
    t.set(TupleField::IcmpCode);
    t.set(TupleField::IcmpId);
}

// The entry -I and -A ask for.
ct::Flow creation_flow(const CommandLine &cmd) {
    using ct::FlowAttr;
    ct::Flow f;
    f.family = cmd.family;
    build_tuples(cmd, f.orig, f.reply);
    f.orig.l3proto = f.reply.l3proto = cmd.family;
    complete_icmp(f.orig);
    complete_icmp(f.reply);
    const bool has_orig = cmd.has(OptSrc) || cmd.has(OptDst);
    const bool has_reply = cmd.has(OptReplySrc) || cmd.has(OptReplyDst);
    const ct::Tuple orig_zone_kept = f.orig, reply_zone_kept = f.reply;
    if (!has_reply)
        f.reply = invert(f.orig);
    if (!has_orig)
        f.orig = invert(f.reply);
    // Direction zones are not part of the inversion.
    if (orig_zone_kept.has(ct::TupleField::Zone)) {
        f.orig.zone = orig_zone_kept.zone;
        f.orig.set(ct::TupleField::Zone);
    }
    if (reply_zone_kept.has(ct::TupleField::Zone)) {
        f.reply.zone = reply_zone_kept.zone;
        f.reply.set(ct::TupleField::Zone);
    }
    f.set(FlowAttr::OrigTuple);
    f.set(FlowAttr::ReplyTuple);
    f.set_timeout(cmd.timeout);
    // The kernel marks a new entry confirmed before it applies the status,
    // and refuses a status that would clear that bit (libnetfilter_conntrack
    // always adds it).
    if (cmd.has(OptStatus))
        f.set_status(cmd.status_value | ct::status::Confirmed);
    if (cmd.has(OptMark))
        f.set_mark(cmd.mark_value);
    if (cmd.has(OptZone))
        f.set_zone(cmd.zone);
    if (cmd.has(OptLabelAdd)) {
        f.labels = cmd.label_add;
        f.labels.size = 16;
        f.set(FlowAttr::Labels);
    }
    if (cmd.has(OptSrcNat) && cmd.snat.has_address) {
        set_nat(f.nat_src, cmd.snat, cmd.family);
        f.set(FlowAttr::NatSrc);
    }
    if (cmd.has(OptDstNat) && cmd.dnat.has_address) {
        set_nat(f.nat_dst, cmd.dnat, cmd.family);
        f.set(FlowAttr::NatDst);
    }
    set_protoinfo(cmd, f, true);
    return f;
}

// ---------------------------------------------------------------------------
// Signals for -E: the loop stops, the summary is printed, exit 0.

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking recv returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// ---------------------------------------------------------------------------
// The commands.

class Runner {
public:
    explicit Runner(const CommandLine &cmd) : cmd_(cmd), fmt_(format_options(cmd)) {}
    int run();

private:
    int list();
    int list_special(std::uint8_t msg_type);
    int list_expect();
    int get();
    int get_expect();
    int create();
    int create_expect();
    int remove();
    int remove_expect();
    int update();
    int flush();
    int events();
    int expect_events();
    // Hands every event to `on_event` until a stop signal, flushing the
    // output after each read and warning of lost events as the reference does.
    void receive_events(ct::NetlinkSocket &sock, ct::MessageCallback on_event);
    int count();
    int stats();

    const CommandLine &cmd_;
    ct::FormatOptions fmt_;
    Stdout out_;
};

int Runner::run() {
    const bool expect = cmd_.table == Table::Expect;
    switch (cmd_.action) {
    case Action::None:
    case Action::Help:
        out_.buffer().append(usage_text(cmd_.program));
        if (cmd_.action == Action::Help)
            out_.buffer().append(protocol_help_text(cmd_));
        return 0;
    case Action::Version:
        out_.buffer().append(version_text());
        return 0;
    case Action::List:
        if (expect)
            return list_expect();
        if (cmd_.table == Table::Dying)
            return list_special(ct::msg::CtGetDying);
        if (cmd_.table == Table::Unconfirmed)
            return list_special(ct::msg::CtGetUnconfirmed);
        return list();
    case Action::Get: return expect ? get_expect() : get();
    case Action::Create: return expect ? create_expect() : create();
    case Action::Add: return create();
    case Action::Delete: return expect ? remove_expect() : remove();
    case Action::Update: return update();
    case Action::Flush: return flush();
    case Action::Event: return expect ? expect_events() : events();
    case Action::Count: return count();
    case Action::Stats: return stats();
    }
    return 0;
}

// The entries of the one AF_UNSPEC dump the reference makes, filtered in
// user space, in its order; `on_match` sees each message the filter keeps.
// `k` is the kernel filter for that dump.  The kernel's tuple filter
// (CTA_FILTER) spares it sending the whole table, but it refuses an
// AF_UNSPEC dump (EOPNOTSUPP, Linux 6.18), and two per-family dumps are
// not in the order of one AF_UNSPEC dump when both have matches.  So, when
// the command line names no family and the tuples give the kernel
// something to filter: the IPv6 matches are read first and kept aside; if
// there are none, the filtered IPv4 dump is the answer (streamed); if the
// IPv4 dump has none, the IPv6 matches kept are; if both have some, the
// AF_UNSPEC dump is made after all.  The user-space filter always runs.
int dump_matching(ct::NetlinkSocket &sock, const FlowFilter &filter, const ct::DumpFilter &k,
                  ct::MessageCallback on_match) {
    unsigned char request[ct::MaxRequestSize];
    ct::Flow flow;
    auto plain_dump = [&](const ct::DumpFilter &kf, ct::MessageCallback on_message) {
        nlmsghdr *nlh = ct::build_dump(request, sizeof(request), 0, kf);
        return sock.dump(nlh, [&](const nlmsghdr *m) {
            if (ct::parse_flow(m, flow) != ct::ParseResult::Ok || !filter.matches(flow))
                return ct::CallbackContinue;
            return on_message(m);
        });
    };
    // CtGetCtrZero is left alone: it zeroes what the kernel sends, and the
    // reference zeroes the whole table.
    const bool split = k.family == AF_UNSPEC && k.msg_type == ct::msg::CtGet;
    ct::DumpFilter k4, k6;
    if (split) {
        k4 = filter.kernel_filter(k.msg_type, true, AF_INET);
        k6 = filter.kernel_filter(k.msg_type, true, AF_INET6);
    }
    auto has_tuples = [](const ct::DumpFilter &kf) { return !kf.orig.empty() || !kf.reply.empty(); };
    if (!split || !has_tuples(k4) || !has_tuples(k6))
        return plain_dump(k, on_match);
    // Whole netlink messages, one after another.
    std::string kept6, kept4;
    auto keep_in = [](std::string &kept) {
        return [&kept](const nlmsghdr *m) {
            kept.append(reinterpret_cast<const char *>(m), NLMSG_ALIGN(m->nlmsg_len));
            return ct::CallbackContinue;
        };
    };
    auto keep6 = keep_in(kept6);
    int r = plain_dump(k6, keep6);
    if (r < 0)
        return r;
    if (kept6.empty())
        return plain_dump(k4, on_match);
    auto keep4 = keep_in(kept4);
    r = plain_dump(k4, keep4);
    if (r < 0)
        return r;
    if (!kept4.empty())
        return plain_dump(k, on_match);
    for (std::size_t at = 0; at < kept6.size();) {
        const auto *m = reinterpret_cast<const nlmsghdr *>(kept6.data() + at);
        at += NLMSG_ALIGN(m->nlmsg_len);
        r = on_match(m);
        if (r < 0)
            return r;
        if (r == ct::CallbackStop)
            break;
    }
    return 0;
}

// A dump printing the entries the filter keeps.  Streams: each entry is
// formatted into the output buffer, which goes out every 64 KiB.
int Runner::list() {
    FlowFilter filter(cmd_);
    const std::uint8_t msg_type = cmd_.has(OptZero) ? ct::msg::CtGetCtrZero : ct::msg::CtGet;
    const ct::DumpFilter k = filter.kernel_filter(msg_type, true);
    ct::NetlinkSocket sock = open_socket();

    int counter = 0;
    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    ct::Flow flow;
    const int r = dump_matching(sock, filter, k, [&](const nlmsghdr *m) {
        if (ct::parse_flow(m, flow) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        if (xml && counter == 0)
            ct::xml_header(out_.buffer(), false);
        flow.type = ct::MessageType::Unknown;
        flow.portid = 0;  // a dump answer carries our own port id
        if (append_flow(out_, flow, fmt_))
            ++counter;
        out_.flush_if_full();
        return ct::CallbackContinue;
    });
    if (r < 0)
        operation_failed(-r, cmd_);
    if (xml && counter > 0)
        ct::xml_footer(out_.buffer(), false);
    return summary(cmd_, out_, "flow entries have been shown.", counter, true);
}

// The dying and unconfirmed lists: no kernel filter.
int Runner::list_special(std::uint8_t msg_type) {
    FlowFilter filter(cmd_);
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_simple(request, sizeof(request), ct::msg::SubsysConntrack, msg_type,
                                     NLM_F_DUMP, cmd_.family, 0);
    int counter = 0;
    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    ct::Flow flow;
    const int r = sock.dump(nlh, [&](const nlmsghdr *m) {
        if (ct::parse_flow(m, flow) != ct::ParseResult::Ok || !filter.matches(flow))
            return ct::CallbackContinue;
        if (xml && counter == 0)
            ct::xml_header(out_.buffer(), false);
        flow.type = ct::MessageType::Unknown;
        flow.portid = 0;  // a dump answer carries our own port id
        if (append_flow(out_, flow, fmt_))
            ++counter;
        out_.flush_if_full();
        return ct::CallbackContinue;
    });
    if (r < 0)
        operation_failed(-r, cmd_);
    // 1.4.7 closes the XML document of the main table only: the dying and
    // unconfirmed lists end without "</conntrack>" (kept, byte for byte).
    return summary(cmd_, out_, "flow entries have been shown.", counter, true);
}

// The family of an expectation dump (-L expect, -C expect): as in
// 1.4.7, IPv4 unless -f says otherwise.
std::uint8_t expect_dump_family(const CommandLine &cmd) {
    return cmd.family ? cmd.family : static_cast<std::uint8_t>(AF_INET);
}

int Runner::list_expect() {
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    // Without -f the reference dumps the IPv4 expectations only.
    nlmsghdr *nlh = ct::build_simple(request, sizeof(request), ct::msg::SubsysExpect,
                                     ct::msg::ExpGet, NLM_F_DUMP, expect_dump_family(cmd_), 0);
    int counter = 0;
    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    ct::Expect exp;
    const int r = sock.dump(nlh, [&](const nlmsghdr *m) {
        if (ct::parse_expect(m, exp) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        if (xml && counter == 0)
            ct::xml_header(out_.buffer(), true);
        exp.type = ct::MessageType::Unknown;
        exp.portid = 0;
        ct::format_expect(out_.buffer(), exp, fmt_);
        out_.buffer().push_back('\n');
        ++counter;
        out_.flush_if_full();
        return ct::CallbackContinue;
    });
    if (r < 0)
        operation_failed(-r, cmd_);
    if (xml && counter > 0)
        ct::xml_footer(out_.buffer(), true);
    return summary(cmd_, out_, "expectations have been shown.", counter, true);
}

int Runner::get() {
    ct::Flow query;
    query.family = cmd_.family;
    build_tuples(cmd_, query.orig, query.reply);
    complete_icmp(query.orig);
    complete_icmp(query.reply);
    if (!query.orig.empty())
        query.set(ct::FlowAttr::OrigTuple);
    if (!query.reply.empty())
        query.set(ct::FlowAttr::ReplyTuple);
    if (cmd_.has(OptId)) {
        query.id = cmd_.id;
        query.set(ct::FlowAttr::Id);
    }
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_flow(request, sizeof(request), ct::msg::CtGet, 0, 0, query);
    int counter = 0;
    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    ct::Flow flow;
    const int r = sock.request(nlh, [&](const nlmsghdr *m) {
        if (ct::parse_flow(m, flow) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        if (xml && counter == 0)
            ct::xml_header(out_.buffer(), false);
        flow.type = ct::MessageType::Unknown;
        flow.portid = 0;  // a dump answer carries our own port id
        if (append_flow(out_, flow, fmt_))
            ++counter;
        return ct::CallbackContinue;
    });
    if (r < 0)
        operation_failed(-r, cmd_);
    // The reference opens the XML document for -G but never closes it.
    return summary(cmd_, out_, "flow entries have been shown.", counter);
}

int Runner::create() {
    const ct::Flow f = creation_flow(cmd_);
    // -I refuses an existing entry; -A (1.4.8) creates or updates.
    const std::uint16_t flags =
        cmd_.action == Action::Create ? (NLM_F_CREATE | NLM_F_EXCL) : NLM_F_CREATE;
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_flow(request, sizeof(request), ct::msg::CtNew, flags, 0, f);
    const int r = sock.request(nlh);
    if (r < 0)
        operation_failed(-r, cmd_);
    return summary(cmd_, out_,
                   cmd_.action == Action::Create ? "flow entries have been created."
                                                 : "flow entries have been added.",
                   1);
}

// Deletes what the dump and the filter select, many requests per sendmsg
// on a second socket while the dump goes on.  Each entry is printed once
// its deletion is acknowledged; an entry that vanished meanwhile (ENOENT)
// is skipped, as 1.4.8 does.
int Runner::remove() {
    FlowFilter filter(cmd_);
    const ct::DumpFilter k = filter.kernel_filter(ct::msg::CtGet, true);
    ct::NetlinkSocket dump_sock = open_socket();
    ct::NetlinkSocket delete_sock = open_socket();
    ct::Batch batch(delete_sock, 128 * 1024, 1024, ct::Batch::Acks::ErrorsOnly);

    ct::FormatOptions fmt = fmt_;
    fmt.labels = nullptr;  // the reference prints deleted entries without labels
    if (fmt.format == ct::OutputFormat::Save) {
        fmt.override_type = true;
        fmt.type = ct::MessageType::Destroy;
    }
    // The lines of the entries in flight, printed when their answer comes.
    ct::TextBuffer pending(64 * 1024);
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    int counter = 0;
    int failure = 0;

    auto on_ack = [&](std::uintptr_t index, int error) {
        if (error == 0) {
            const auto [from, len] = spans[index];
            out_.buffer().append(pending.view().substr(from, len));
            ++counter;
        } else if (error != -ENOENT && failure == 0) {
            failure = error;
        }
    };
    auto flush_batch = [&]() {
        batch.flush(on_ack);
        pending.clear();
        spans.clear();
        out_.flush_if_full();
    };

    ct::Flow flow;
    const int r = dump_matching(dump_sock, filter, k, [&](const nlmsghdr *m) {
        if (ct::parse_flow(m, flow) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        if (!batch.fits(ct::MaxRequestSize))
            flush_batch();
        if (failure)
            return -failure;
        // The entry is named by its original tuple and its id, so that a
        // new entry that reused the tuple is not deleted instead.
        ct::Flow victim;
        victim.family = flow.family;
        victim.orig = flow.orig;
        victim.set(ct::FlowAttr::OrigTuple);
        if (flow.has(ct::FlowAttr::Id)) {
            victim.id = flow.id;
            victim.set(ct::FlowAttr::Id);
        }
        if (flow.has(ct::FlowAttr::Zone))
            victim.set_zone(flow.zone);
        nlmsghdr *del = ct::build_flow(batch.tail(), batch.room(), ct::msg::CtDelete, 0, 0, victim);
        if (!del)
            return -ENOBUFS;
        const std::size_t from = pending.size();
        flow.type = ct::MessageType::Unknown;
        flow.portid = 0;  // a dump answer carries our own port id
        if (ct::format_flow(pending, flow, fmt))
            pending.push_back('\n');
        spans.emplace_back(from, pending.size() - from);
        batch.queue(del, spans.size() - 1);
        return ct::CallbackContinue;
    });
    flush_batch();
    if (failure)
        operation_failed(-failure, cmd_);
    if (r < 0)
        operation_failed(-r, cmd_);
    // The reference prints -D's XML flows without the document around them.
    return summary(cmd_, out_, "flow entries have been deleted.", counter,
                   cmd_.from_load_file);
}

// -U: every entry the selection keeps gets the new mark, status, timeout,
// labels or protocol state; entries that would not change are left alone.
int Runner::update() {
    using ct::FlowAttr;
    FlowFilter filter(cmd_);
    const bool tuples = cmd_.has(OptSrc) || cmd_.has(OptDst) || cmd_.has(OptReplySrc) ||
                        cmd_.has(OptReplyDst) || cmd_.has(OptProto);
    ct::DumpFilter k = filter.kernel_filter(ct::msg::CtGet, tuples);
    // Mark and status are what -U sets, not what it selects by.
    k.has_mark = false;
    k.has_status = false;
    ct::NetlinkSocket dump_sock = open_socket();
    ct::NetlinkSocket update_sock = open_socket();

    int counter = 0;
    unsigned char request[ct::MaxRequestSize];
    unsigned char change_buf[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_dump(request, sizeof(request), 0, k);
    ct::Flow flow, change, updated;
    int failure = 0;
    // Updated entries waiting for their turn to be printed.
    ct::TextBuffer scratch(4096);
    std::string waiting;
    std::size_t waiting_used = 0;
    std::deque<std::size_t> waiting_lengths;
    const int r = dump_sock.dump(nlh, [&](const nlmsghdr *m) {
        if (ct::parse_flow(m, flow) != ct::ParseResult::Ok || !filter.matches_for_update(flow))
            return ct::CallbackContinue;
        change.clear();
        // 1.4.8: the entry's own family (1.4.7 sent the command line's).
        change.family = flow.family;
        change.orig = flow.orig;
        change.set(FlowAttr::OrigTuple);
        // The zone names the entry too (1.4.7 left it out and could not
        // update entries outside zone 0).
        if (flow.has(FlowAttr::Zone))
            change.set_zone(flow.zone);
        bool differs = false;
        if (cmd_.has(OptMark)) {
            change.set_mark((flow.mark & ~cmd_.mark_mask) ^ cmd_.mark_value);
            differs |= !flow.has(FlowAttr::Mark) || change.mark != flow.mark;
        }
        if (cmd_.has(OptStatus)) {
            change.set_status(flow.status | cmd_.status_value);
            differs |= !flow.has(FlowAttr::Status) || change.status != flow.status;
        }
        if (cmd_.has(OptTimeout)) {
            change.set_timeout(cmd_.timeout);
            differs |= !flow.has(FlowAttr::Timeout) || change.timeout != flow.timeout;
        }
        if (cmd_.has(OptId)) {
            change.id = cmd_.id;
            change.set(FlowAttr::Id);
        }
        // Deleting labels from an entry that has none is no change: the
        // reference neither sends nor counts it.  An entry with labels is
        // always sent, even when the labels named are not among them.
        const bool label_change =
            cmd_.has(OptLabelAdd) || (cmd_.has(OptLabelDel) && flow.has(FlowAttr::Labels));
        if (label_change) {
            ct::Labels labels = flow.has(FlowAttr::Labels) ? flow.labels : ct::Labels{};
            if (cmd_.has(OptLabelAdd)) {
                for (unsigned w = 0; w < 4; ++w)
                    labels.words[w] |= cmd_.label_add.words[w];
            } else if (cmd_.label_del_names.empty()) {
                for (unsigned w = 0; w < 4; ++w)
                    labels.words[w] = 0;
            } else {
                for (unsigned w = 0; w < 4; ++w)
                    labels.words[w] &= ~cmd_.label_del.words[w];
            }
            // The mask covers the existing labels, whose bits would
            // otherwise be cleared by the kernel.
            labels.size = flow.has(FlowAttr::Labels) && flow.labels.size ? flow.labels.size : 16;
            change.labels = labels;
            change.set(FlowAttr::Labels);
            change.labels_mask = ct::Labels{};
            change.labels_mask.size = labels.size;
            for (unsigned w = 0; w < labels.size / 4 && w < 4; ++w)
                change.labels_mask.words[w] = 0xffffffffu;
            change.set(FlowAttr::LabelsMask);
            differs = true;
        }
        set_protoinfo(cmd_, change, false);
        if (change.has(FlowAttr::TcpState))
            differs |= !flow.has(FlowAttr::TcpState) || change.tcp_state != flow.tcp_state;
        if (change.has(FlowAttr::SctpState))
            differs |= !flow.has(FlowAttr::SctpState) || change.sctp_state != flow.sctp_state;
        // The verification tags travel only with a state, and alone they
        // are no change (libnetfilter_conntrack neither compares nor sends
        // them otherwise).
        if (!change.has(FlowAttr::SctpState)) {
            change.present.reset(FlowAttr::SctpVtagOrig);
            change.present.reset(FlowAttr::SctpVtagReply);
        }
        if (change.has(FlowAttr::DccpState))
            differs |= !flow.has(FlowAttr::DccpState) || change.dccp_state != flow.dccp_state;
        if (!differs)
            return ct::CallbackContinue;

        nlmsghdr *upd = ct::build_flow(change_buf, sizeof(change_buf), ct::msg::CtNew, 0, 0, change);
        int e = update_sock.request(upd);
        if (e == -ENOENT || (e == -ENOSPC && change.has(FlowAttr::Labels)))
            return ct::CallbackContinue;  // vanished, or no room for labels (1.4.8)
        if (e < 0) {
            failure = e;
            return e;
        }
        // Print the entry as the kernel now has it.
        ct::Flow query;
        query.family = flow.family;
        query.orig = flow.orig;
        query.set(FlowAttr::OrigTuple);
        if (flow.has(FlowAttr::Zone))
            query.set_zone(flow.zone);
        nlmsghdr *get = ct::build_flow(change_buf, sizeof(change_buf), ct::msg::CtGet, 0, 0, query);
        // Only odd-numbered updates can ever be printed (see below): the
        // others need not be kept.
        const bool keep = (counter + 1) % 2 == 1;
        e = update_sock.request(get, [&](const nlmsghdr *answer) {
            if (!keep || ct::parse_flow(answer, updated) != ct::ParseResult::Ok)
                return ct::CallbackContinue;
            updated.type = ct::MessageType::Unknown;
            updated.portid = 0;
            scratch.clear();
            if (ct::format_flow(scratch, updated, fmt_))
                scratch.push_back('\n');
            return ct::CallbackContinue;
        });
        if (e == -ENOENT)
            return ct::CallbackContinue;
        if (e < 0) {
            failure = e;
            return e;
        }
        ++counter;
        if (keep) {
            waiting.append(scratch.view());
            waiting_lengths.push_back(scratch.size());
        }
        // 1.4.7 reads one datagram per request on a socket where each
        // update leaves an acknowledgement and each get an answer and an
        // acknowledgement: the k-th get reads the 2k-th datagram, which is
        // an answer, that of update (2k+1)/3, only when k % 3 == 1.  So it
        // prints updates 1, 3, 5, ... as the 1st, 4th, 7th, ... complete,
        // and the count stays right.  Reproduced line for line.
        if (counter % 3 == 1 && !waiting_lengths.empty()) {
            const std::size_t len = waiting_lengths.front();
            waiting_lengths.pop_front();
            out_.buffer().append(std::string_view(waiting).substr(waiting_used, len));
            waiting_used += len;
            if (waiting_used > 64 * 1024 && waiting_used > waiting.size() / 2) {
                waiting.erase(0, waiting_used);
                waiting_used = 0;
            }
        }
        out_.flush_if_full();
        return ct::CallbackContinue;
    });
    if (failure)
        operation_failed(-failure, cmd_);
    if (r < 0)
        operation_failed(-r, cmd_);
    // Like -D, -U prints XML flows without the document around them.
    return summary(cmd_, out_, "flow entries have been updated.", counter);
}

int Runner::flush() {
    const bool expect = cmd_.table == Table::Expect;
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_simple(request, sizeof(request),
                                     expect ? ct::msg::SubsysExpect : ct::msg::SubsysConntrack,
                                     expect ? ct::msg::ExpDelete : ct::msg::CtDelete, 0,
                                     cmd_.family, 0);
    const int r = sock.request(nlh);
    if (r < 0)
        operation_failed(-r, cmd_);
    out_.flush();
    // Printed in --load-file mode too, unlike the counted summaries.
    print_message(expect ? "expectation table has been emptied."
                         : "connection tracking table has been emptied.");
    return 0;
}

// -o timestamp, event prefixes and the [USERSPACE] suffix decorate event
// lines; the user-space filter (and the family of -f) selects them.
int Runner::events() {
    FlowFilter filter(cmd_);
    unsigned groups = 0;
    const unsigned mask = cmd_.event_mask ? cmd_.event_mask : event::All;
    if (mask & event::New)
        groups |= ct::msg::GroupNew;
    if (mask & event::Update)
        groups |= ct::msg::GroupUpdate;
    if (mask & event::Destroy)
        groups |= ct::msg::GroupDestroy;
    ct::NetlinkSocket sock = open_socket(groups);

    if (cmd_.has(OptBufferSize)) {
        // What the reference does with the value: a size_t handed to
        // SO_RCVBUFFORCE and read back, kernel doubling and all.
        std::size_t size = static_cast<std::size_t>(cmd_.buffer_size);
        setsockopt(sock.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
        socklen_t len = sizeof(size);
        getsockopt(sock.fd(), SOL_SOCKET, SO_RCVBUF, &size, &len);
        write_stderr("NOTICE: Netlink socket buffer size has been set to " + std::to_string(size) +
                     " bytes.\n");
    }
    install_stop_handlers();

    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    const bool json = fmt_.format == ct::OutputFormat::Json;
    const bool timestamp = cmd_.output_flags & output::Timestamp;
    int counter = 0;
    ct::Flow flow;
    auto on_event = [&](const nlmsghdr *m) {
        if (ct::parse_flow(m, flow) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        if (cmd_.family && flow.family != cmd_.family)
            return ct::CallbackContinue;
        if (!filter.matches(flow))
            return ct::CallbackContinue;
        ct::TextBuffer &b = out_.buffer();
        if (xml && counter == 0)
            ct::xml_header(b, false);
        std::string progname;
        if (flow.portid && (!xml || json))
            progname = ct::netlink_owner_name(flow.portid);
        if (timestamp && !xml && !json)
            ct::format_event_time(b, ct::event_time(flow), false);
        ct::FormatOptions fmt = fmt_;
        fmt.progname = progname;
        const std::size_t before = b.size();
        if (!ct::format_flow(b, flow, fmt)) {
            b.truncate(before);
            return ct::CallbackContinue;
        }
        // 1.4.9 leaves the tag out of XML; JSON carries it as members.
        if (flow.portid && !xml && !json)
            ct::format_userspace(b, flow.portid, progname);
        b.push_back('\n');
        ++counter;
        return ct::CallbackContinue;
    };
    receive_events(sock, on_event);
    if (xml && counter > 0)
        ct::xml_footer(out_.buffer(), false);
    out_.flush();
    if (!cmd_.from_load_file) {
        char text[64];
        std::snprintf(text, sizeof(text), "%d flow events have been shown.", counter);
        print_message(text);
    }
    return 0;
}

void Runner::receive_events(ct::NetlinkSocket &sock, ct::MessageCallback on_event) {
    while (!g_stop) {
        const int r = sock.receive(on_event);
        out_.flush();
        if (r == -ENOBUFS) {
            write_stderr("WARNING: We have hit ENOBUFS! We are losing events.\n"
                         "This message means that the current netlink socket buffer size is too small.\n"
                         "Please, check --buffer-size in conntrack(8) manpage.\n");
            continue;
        }
        if (r == -EINTR || g_stop)
            break;
        if (r < 0)
            other_problem(std::string("failed to received netlink event: ") + std::strerror(-r));
    }
}

int Runner::expect_events() {
    ct::NetlinkSocket sock =
        open_socket(ct::msg::GroupExpNew | ct::msg::GroupExpUpdate | ct::msg::GroupExpDestroy);
    install_stop_handlers();
    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    const bool json = fmt_.format == ct::OutputFormat::Json;
    const bool timestamp = cmd_.output_flags & output::Timestamp;
    int counter = 0;
    ct::Expect exp;
    auto on_event = [&](const nlmsghdr *m) {
        if (ct::parse_expect(m, exp) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        ct::TextBuffer &b = out_.buffer();
        if (xml && counter == 0)
            ct::xml_header(b, true);
        if (timestamp && !xml && !json) {
            timeval now{};
            gettimeofday(&now, nullptr);
            ct::format_event_time(b, now, true);
        }
        // Unlike flow events, the reference tags no expectation event
        // with [USERSPACE] (JSON still carries the port id).
        ct::format_expect(b, exp, fmt_);
        b.push_back('\n');
        ++counter;
        return ct::CallbackContinue;
    };
    receive_events(sock, on_event);
    if (xml && counter > 0)
        ct::xml_footer(out_.buffer(), true);
    out_.flush();
    char text[64];
    std::snprintf(text, sizeof(text), "%d expectation events have been shown.", counter);
    print_message(text);
    return 0;
}

// The expectation's master (or expected) tuple from -s/-d/-p and the ports.
ct::Tuple expect_master(const CommandLine &cmd) {
    ct::Tuple orig, reply;
    build_tuples(cmd, orig, reply);
    orig.l3proto = cmd.family;
    return orig;
}

// The expected tuple or the mask: addresses from --tuple-*/--mask-*, the
// ports from --tuple-port-*/--mask-port-*.
ct::Tuple expect_part(const CommandLine &cmd, const ct::Tuple &addresses, bool mask) {
    using ct::TupleField;
    ct::Tuple t = addresses;
    t.l3proto = cmd.family;
    t.l4proto = cmd.l4proto;
    t.set(TupleField::L4Proto);
    const ProtocolValues &v = cmd.proto_values;
    const ProtocolExtension *e = cmd.proto;
    if (e && (e->kind == ExtensionKind::Ports || e->kind == ExtensionKind::Keys)) {
        const unsigned sbit = e->kind == ExtensionKind::Keys ? (mask ? 4u : 6u)
                              : (mask ? 4u : (e->number == IPPROTO_TCP || e->number == IPPROTO_SCTP ||
                                              e->number == IPPROTO_DCCP) ? 7u : 6u);
        if (v.given & (1u << sbit)) {
            t.sport = mask ? v.mask_sport : v.tuple_sport;
            t.set(TupleField::SrcPort);
        }
        if (v.given & (1u << (sbit + 1))) {
            t.dport = mask ? v.mask_dport : v.tuple_dport;
            t.set(TupleField::DstPort);
        }
    }
    return t;
}

int Runner::create_expect() {
    ct::Expect exp;
    exp.family = cmd_.family;
    exp.master = expect_master(cmd_);
    exp.set(ct::ExpectAttr::Master);
    exp.tuple = expect_part(cmd_, cmd_.exp_tuple, false);
    exp.set(ct::ExpectAttr::Tuple);
    exp.mask = expect_part(cmd_, cmd_.exp_mask, true);
    exp.set(ct::ExpectAttr::Mask);
    exp.timeout = cmd_.timeout;
    exp.set(ct::ExpectAttr::Timeout);
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_expect(request, sizeof(request), ct::msg::ExpNew,
                                     NLM_F_CREATE | NLM_F_EXCL, 0, exp);
    const int r = sock.request(nlh);
    if (r < 0)
        operation_failed(-r, cmd_);
    return 0;
}

int Runner::get_expect() {
    ct::Expect exp;
    exp.family = cmd_.family;
    exp.master = expect_master(cmd_);
    exp.set(ct::ExpectAttr::Master);
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_expect(request, sizeof(request), ct::msg::ExpGet, 0, 0, exp);
    const bool xml = fmt_.format == ct::OutputFormat::Xml;
    int counter = 0;
    ct::Expect found;
    const int r = sock.request(nlh, [&](const nlmsghdr *m) {
        if (ct::parse_expect(m, found) != ct::ParseResult::Ok)
            return ct::CallbackContinue;
        if (xml && counter == 0)
            ct::xml_header(out_.buffer(), true);
        found.type = ct::MessageType::Unknown;
        found.portid = 0;
        ct::format_expect(out_.buffer(), found, fmt_);
        out_.buffer().push_back('\n');
        ++counter;
        return ct::CallbackContinue;
    });
    if (r < 0)
        operation_failed(-r, cmd_);
    if (xml && counter > 0)
        ct::xml_footer(out_.buffer(), true);
    return 0;
}

int Runner::remove_expect() {
    ct::Expect exp;
    exp.family = cmd_.family;
    exp.tuple = expect_master(cmd_);
    exp.set(ct::ExpectAttr::Tuple);
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_expect(request, sizeof(request), ct::msg::ExpDelete, 0, 0, exp);
    const int r = sock.request(nlh);
    if (r < 0)
        operation_failed(-r, cmd_);
    // The reference never counts here: it reports 0 and fails.
    return summary(cmd_, out_, "expectations have been shown.", 0);
}

// -C: the kernel's global count; /proc when ctnetlink cannot say.
int Runner::count() {
    const ct::OutputFormat format = fmt_.format == ct::OutputFormat::Json ? ct::OutputFormat::Json
                                                                          : ct::OutputFormat::Default;
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    if (cmd_.table == Table::Expect) {
        nlmsghdr *nlh = ct::build_simple(request, sizeof(request), ct::msg::SubsysExpect,
                                         ct::msg::ExpGet, NLM_F_DUMP, expect_dump_family(cmd_), 0);
        std::uint32_t n = 0;
        const int r = sock.dump(nlh, [&](const nlmsghdr *) {
            ++n;
            return ct::CallbackContinue;
        });
        if (r < 0)
            operation_failed(-r, cmd_);
        ct::format_count(out_.buffer(), n, format, true);
        return 0;
    }
    nlmsghdr *nlh = ct::build_simple(request, sizeof(request), ct::msg::SubsysConntrack,
                                     ct::msg::CtGetStats, 0, AF_UNSPEC, 0);
    ct::GlobalStats global;
    const int r = sock.request(nlh, [&](const nlmsghdr *m) {
        ct::parse_global_stats(m, global);
        return ct::CallbackContinue;
    });
    if (r == 0 && global.has_entries) {
        ct::format_count(out_.buffer(), global.entries, format, false);
        return 0;
    }
    const char *path = "/proc/sys/net/netfilter/nf_conntrack_count";
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> fp(std::fopen(path, "re"), &std::fclose);
    if (!fp)
        other_problem(std::string("Can't open ") + path);
    unsigned long value = 0;
    if (std::fscanf(fp.get(), "%lu", &value) != 1)
        other_problem(std::string("Can't read ") + path);
    ct::format_count(out_.buffer(), static_cast<std::uint32_t>(value), format, false);
    return 0;
}

// The /proc fallback of -S: hex columns under the header's names.
void stats_from_proc(Stdout &out) {
    const char *path = "/proc/net/stat/nf_conntrack";
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> fp(std::fopen(path, "re"), &std::fclose);
    if (!fp)
        other_problem("Can't open /proc interface");
    char line[4096];
    if (!std::fgets(line, sizeof(line), fp.get()))
        other_problem(std::string("Can't read ") + path);
    std::vector<std::string> names;
    for (char *tok = std::strtok(line, " \t\n"); tok; tok = std::strtok(nullptr, " \t\n"))
        names.emplace_back(tok);
    unsigned cpu = 0;
    while (std::fgets(line, sizeof(line), fp.get())) {
        char head[32];
        const int n = std::snprintf(head, sizeof(head), "cpu=%-4u\t", cpu++);
        out.buffer().append({head, static_cast<std::size_t>(n)});
        std::size_t i = 0;
        for (char *tok = std::strtok(line, " \t\n"); tok && i < names.size();
             tok = std::strtok(nullptr, " \t\n"), ++i) {
            out.buffer().append(names[i]);
            out.buffer().push_back('=');
            out.buffer().append_u64(std::strtoul(tok, nullptr, 16));
            out.buffer().push_back(' ');
        }
        out.buffer().push_back('\n');
    }
}

int Runner::stats() {
    const bool expect = cmd_.table == Table::Expect;
    const ct::OutputFormat format = fmt_.format == ct::OutputFormat::Json ? ct::OutputFormat::Json
                                                                          : ct::OutputFormat::Default;
    ct::NetlinkSocket sock = open_socket();
    unsigned char request[ct::MaxRequestSize];
    nlmsghdr *nlh = ct::build_simple(request, sizeof(request),
                                     expect ? ct::msg::SubsysExpect : ct::msg::SubsysConntrack,
                                     expect ? ct::msg::ExpGetStatsCpu : ct::msg::CtGetStatsCpu,
                                     NLM_F_DUMP, AF_UNSPEC, 0);
    ct::CpuStats s;
    const int r = sock.dump(nlh, [&](const nlmsghdr *m) {
        if (ct::parse_cpu_stats(m, s) == ct::ParseResult::Ok)
            ct::format_cpu_stats(out_.buffer(), s, format);
        return ct::CallbackContinue;
    });
    if (r < 0) {
        if (expect)
            operation_failed(-r, cmd_);
        out_.buffer().clear();
        stats_from_proc(out_);
    }
    return 0;
}

// ---------------------------------------------------------------------------
// --load-file.

// How the reference names a command it refuses in a file (including its
// "-C expect" for an expectation creation).
std::string load_file_command_name(const CommandLine &cmd) {
    const bool expect = cmd.table == Table::Expect;
    switch (cmd.action) {
    case Action::List: return expect ? "-L expect" : "-L";
    case Action::Get: return expect ? "-G expect" : "-G";
    case Action::Event: return expect ? "-E expect" : "-E";
    case Action::Version: return "-V";
    case Action::Help: return "-h";
    case Action::Count: return expect ? "-C expect" : "-C";
    case Action::Stats: return expect ? "-S expect" : "-S";
    case Action::Create: return expect ? "-C expect" : "-I";
    case Action::Delete: return expect ? "-D expect" : "-D";
    case Action::Flush: return expect ? "-F expect" : "-F";
    case Action::Add: return "-A";
    case Action::Update: return "-U";
    case Action::None: break;
    }
    return "unknown";
}

bool allowed_in_load_file(const CommandLine &cmd) {
    if (cmd.table != Table::Conntrack)
        return false;
    return is_one_of(cmd.action,
                     {Action::Create, Action::Add, Action::Update, Action::Delete, Action::Flush});
}

struct SilentDiagnostics : Diagnostics {
    void warning(const std::string &) override {}
};

// The creations of a file (-I/-A lines), built as netlink requests while
// the file is parsed, so that each line is parsed once.  Requests are kept
// in blocks of 4 MiB (no copy when more are added).
class PreparedCreations {
public:
    struct Creation {
        const nlmsghdr *request;
        unsigned line;
        Action action;
    };

    void add(const CommandLine &cmd, unsigned line) {
        if (blocks_.empty() || BlockSize - used_ < ct::MaxRequestSize) {
            blocks_.emplace_back(BlockSize);
            used_ = 0;
        }
        const ct::Flow f = creation_flow(cmd);
        const std::uint16_t flags =
            cmd.action == Action::Create ? (NLM_F_CREATE | NLM_F_EXCL) : NLM_F_CREATE;
        nlmsghdr *nlh = ct::build_flow(blocks_.back().data() + used_, BlockSize - used_,
                                       ct::msg::CtNew, flags, 0, f);
        if (!nlh)
            parameter_problem("Parameter too long!");  // cannot happen: MaxRequestSize fits all
        used_ += NLMSG_ALIGN(nlh->nlmsg_len);
        creations_.push_back({nlh, line, cmd.action});
    }
    std::size_t size() const { return creations_.size(); }
    const Creation &operator[](std::size_t i) const { return creations_[i]; }

private:
    static constexpr std::size_t BlockSize = 4 << 20;  // two huge pages
    std::vector<BulkMemory> blocks_;
    std::size_t used_ = 0;
    std::vector<Creation> creations_;
};

// Creations waiting in a batch, and what to say if one fails.  Only
// failures are acknowledged (ct::Batch::Acks::ErrorsOnly): that halves the
// kernel's work for a large file.
class CreationBatch {
public:
    CreationBatch()
        : sock_(open_socket()), batch_(sock_, 128 * 1024, 1024, ct::Batch::Acks::ErrorsOnly) {}

    void add(const PreparedCreations::Creation &c) {
        const std::size_t len = c.request->nlmsg_len;
        if (!batch_.fits(len))
            flush();
        lines_.push_back({c.line, c.action});
        batch_.queue_copy(c.request, lines_.size() - 1);
    }

    // Sends what waits.  The first failure ends the load with the
    // reference's message, after naming the later lines of the same batch
    // that the kernel applied anyway.
    void flush() {
        std::size_t failed = SIZE_MAX;
        int error = 0;
        std::vector<unsigned> applied_after;
        batch_.flush([&](std::uintptr_t index, int e) {
            if (e != 0 && failed == SIZE_MAX) {
                failed = index;
                error = e;
            } else if (e == 0 && failed != SIZE_MAX) {
                applied_after.push_back(lines_[index].line);
            }
        });
        if (failed == SIZE_MAX) {
            lines_.clear();
            return;
        }
        if (!applied_after.empty()) {
            std::string list;
            for (unsigned n : applied_after)
                list += (list.empty() ? "" : ",") + std::to_string(n);
            write_stderr("NOTICE: --load-file sends lines in batches: line" +
                         std::string(applied_after.size() > 1 ? "s " : " ") + list +
                         ", after the failing line " + std::to_string(lines_[failed].line) +
                         ", had already been applied.\n");
        }
        CommandLine failing;
        failing.action = lines_[failed].action;
        operation_failed(-error, failing);
    }

private:
    struct Queued {
        unsigned line;
        Action action;
    };
    ct::NetlinkSocket sock_;
    ct::Batch batch_;
    std::vector<Queued> lines_;
};

// What the first pass made of a part of the file.
struct ParsedPart {
    // What runs, in order: a prepared creation, or another command, whose
    // line is parsed again when its turn comes (rare in large files).
    static constexpr std::size_t NotCreation = SIZE_MAX;
    struct Step {
        std::size_t creation;  // index into `creations`, or NotCreation
        std::string_view chunk;
    };
    std::vector<Step> steps;
    PreparedCreations creations;
    std::string warnings;      // printed in line order once all parts are parsed
    std::exception_ptr error;  // the first problem; the part's later lines were not parsed
    std::string refused;       // the first command -R does not run
    bool parsed_any = false;
    std::uint32_t last_mark_value = 0, last_mark_mask = 0;
};

struct BufferedDiagnostics : Diagnostics {
    explicit BufferedDiagnostics(std::string &to) : text(to) {}
    void warning(const std::string &line) override {
        text += line;
        text += '\n';
    }
    std::string &text;
};

// A thread per 25,000 lines, as many as there are CPUs (at most 8): below
// that, starting threads costs more than it saves.
std::size_t parse_threads_for(std::size_t lines) {
    const std::size_t cpus = std::max(1u, std::thread::hardware_concurrency());
    return std::clamp<std::size_t>(lines / 25000, 1, std::min<std::size_t>(cpus, 8));
}

// -R: the reference parses every line before it runs any, then refuses the
// file if one command is not -I/-A/-U/-D/-F, then runs the lines in order
// and stops at the first failure.  The first pass keeps the creations as
// ready requests (about the file's size in memory); the other commands are
// parsed again when their turn comes.
// Consecutive creations go to the kernel many per sendmsg.
int load_file(const std::vector<std::string> &argv) {
    const std::string &path = argv[2];
    std::FILE *in = path == "-" ? stdin : std::fopen(path.c_str(), "re");
    if (!in)
        parameter_problem("Failed to open file " + path + " for reading");
    FileText file;
    const bool read = read_all(in, file);
    if (in != stdin)
        std::fclose(in);
    if (!read)
        parameter_problem("Failed to open file " + path + " for reading");
    const std::string_view text = file.view();

    auto parse_line = [&](std::vector<std::string> &words, Diagnostics &diag) {
        words.insert(words.begin(), argv[0]);
        CommandLine cmd = parse_load_file_line(words, diag);
        cmd.from_load_file = true;
        return cmd;
    };

    // The lines, then the first pass over them: on several threads for a
    // large file (parsing is most of -R's own work, and the lines do not
    // depend on each other), each part keeping what the reference would
    // have printed, and its first problem, to be told in line order.
    std::vector<std::pair<std::string_view, unsigned>> lines;
    lines.reserve(std::count(text.begin(), text.end(), '\n') + 1);
    for_each_load_chunk(text, [&](std::string_view chunk, unsigned number) {
        lines.emplace_back(chunk, number);
    });
    std::vector<ParsedPart> parts(parse_threads_for(lines.size()));
    std::atomic<std::size_t> earliest_failed_part{parts.size()};
    auto parse_part = [&](std::size_t index) {
        ParsedPart &part = parts[index];
        BufferedDiagnostics diag(part.warnings);
        const std::size_t from = lines.size() * index / parts.size();
        const std::size_t to = lines.size() * (index + 1) / parts.size();
        part.steps.reserve(to - from);
        try {
            for (std::size_t i = from; i < to; ++i) {
                if (earliest_failed_part.load(std::memory_order_relaxed) < index)
                    return;  // an earlier problem ends the load: no need to go on
                const auto [chunk, number] = lines[i];
                std::vector<std::string> words = split_load_line(chunk);
                const CommandLine cmd = parse_line(words, diag);
                if (part.refused.empty() && !allowed_in_load_file(cmd))
                    part.refused = load_file_command_name(cmd);
                part.parsed_any = true;
                part.last_mark_value = cmd.has(OptMark) ? cmd.mark_value : 0;
                part.last_mark_mask = cmd.has(OptMark) ? cmd.mark_mask : 0;
                if (!part.refused.empty())
                    continue;  // nothing will run: no need to prepare
                if (cmd.action == Action::Create || cmd.action == Action::Add) {
                    part.steps.push_back({part.creations.size(), {}});
                    part.creations.add(cmd, number);
                } else {
                    part.steps.push_back({ParsedPart::NotCreation, chunk});
                }
            }
        } catch (...) {
            part.error = std::current_exception();
            std::size_t seen = earliest_failed_part.load();
            while (index < seen && !earliest_failed_part.compare_exchange_weak(seen, index)) {
            }
        }
    };
    {
        std::vector<std::jthread> helpers;
        for (std::size_t i = 1; i < parts.size(); ++i)
            helpers.emplace_back(parse_part, i);
        parse_part(0);
    }
    std::string refused;
    // 1.4.7 keeps the mark of the line parsed last and -U sets that one,
    // whatever its own -m says (none at all if the last line has no -m):
    // reproduced, see docs/compatibility.md.
    std::uint32_t last_mark_value = 0, last_mark_mask = 0;
    for (ParsedPart &part : parts) {
        write_stderr(part.warnings);
        if (part.error)
            std::rethrow_exception(part.error);
        if (refused.empty())
            refused = part.refused;
        if (part.parsed_any) {
            last_mark_value = part.last_mark_value;
            last_mark_mask = part.last_mark_mask;
        }
    }
    if (!refused.empty())
        parameter_problem("Cannot use command `" + refused + "' with --load-file");

    SilentDiagnostics quiet;  // the warnings were printed by the first pass
    std::unique_ptr<CreationBatch> batch;
    for (const ParsedPart &part : parts) {
        for (const ParsedPart::Step &step : part.steps) {
            if (step.creation != ParsedPart::NotCreation) {
                if (!batch)
                    batch = std::make_unique<CreationBatch>();
                batch->add(part.creations[step.creation]);
                continue;
            }
            std::vector<std::string> words = split_load_line(step.chunk);
            CommandLine cmd = parse_line(words, quiet);
            if (cmd.action == Action::Update && cmd.has(OptMark)) {
                cmd.mark_value = last_mark_value;
                cmd.mark_mask = last_mark_mask;
            }
            if (batch)
                batch->flush();
            execute(cmd);
        }
    }
    if (batch)
        batch->flush();
    return 0;
}

} // namespace

std::string operation_error_text(int error, const CommandLine &cmd) {
    const Action a = cmd.action;
    const bool expect = cmd.table == Table::Expect;
    switch (error) {
    case 524:  // ENOTSUPP, the kernel's internal code: 1.4.7 prints
               // "function not implemented" for it, and so do we
        if (a == Action::List && !expect)
            return "function not implemented";
        break;
    case EINVAL:
        return "invalid parameters";
    case EEXIST:
        if (a == Action::Create && !expect)
            return "Such conntrack exists, try -U to update";
        break;
    case ENOENT:
        if (!expect && is_one_of(a, {Action::Create, Action::Get, Action::Delete, Action::Add}))
            return "such conntrack doesn't exist";
        if (expect && a == Action::Create)
            return "master conntrack not found";
        break;
    case ENOMEM:
        if (!expect && is_one_of(a, {Action::Create, Action::Get, Action::Add}))
            return "not enough memory";
        break;
    case EAFNOSUPPORT:
        if (!expect && a == Action::Get)
            return "protocol not supported";
        break;
    case ETIME:
        if (!expect && is_one_of(a, {Action::Create, Action::Add}))
            return "conntrack has expired";
        break;
    case EPERM:
        return "sorry, you must be root or get CAP_NET_ADMIN capability to do this";
    default:
        break;
    }
    return std::strerror(error);
}

int execute(const CommandLine &cmd) {
    Runner runner(cmd);
    return runner.run();
}

int run(const std::vector<std::string> &argv) {
    try {
        if (argv.size() > 2 && (argv[1] == "-R" || argv[1] == "--load-file"))
            return load_file(argv);
        StderrDiagnostics diag;
        const CommandLine cmd = parse_command_line(argv, diag);
        return execute(cmd);
    } catch (const CliError &e) {
        print_error(e);
        return e.exit_status();
    }
}

} // namespace cli
