// Micro-benchmark of lib/ct: the kernel dump, and parse + format of every
// entry, on a real table of N entries (default 200,000) in a throw-away
// network namespace.  Not a test: it prints figures.
//
//   ct-bench [ENTRIES] [ROUNDS]        (as root)
//
// For context it also times libnetfilter_conntrack's parse + nfct_snprintf
// on the same messages (what conntrack 1.4.7 spends per entry).
#include "ct/codec.hpp"
#include "ct/format.hpp"
#include "ct/netlink.hpp"
#include "lib/netns.hpp"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Fills the table with `count` TCP entries spread over addresses and ports.
bool fill(ct::NetlinkSocket &sock, unsigned count) {
    ct::Batch batch(sock);
    unsigned failed = 0;
    auto on_ack = [&](std::uintptr_t, int error) { failed += error != 0; };
    for (unsigned i = 0; i < count; ++i) {
        ct::Flow f;
        f.family = AF_INET;
        f.orig.l3proto = AF_INET;
        f.orig.src.v4 = htonl(0x0a000000u + i / 50000);
        f.orig.dst.v4 = htonl(0xc0a80000u + i % 251);
        f.orig.l4proto = IPPROTO_TCP;
        f.orig.sport = static_cast<std::uint16_t>(1024 + i % 50000);
        f.orig.dport = 443;
        for (auto field : {ct::TupleField::Src, ct::TupleField::Dst, ct::TupleField::L4Proto,
                           ct::TupleField::SrcPort, ct::TupleField::DstPort})
            f.orig.set(field);
        f.reply = f.orig;
        std::swap(f.reply.src, f.reply.dst);
        std::swap(f.reply.sport, f.reply.dport);
        f.set(ct::FlowAttr::OrigTuple);
        f.set(ct::FlowAttr::ReplyTuple);
        f.set_timeout(3600);
        f.tcp_state = 3;
        f.set(ct::FlowAttr::TcpState);
        f.set_status(ct::status::Confirmed | ct::status::SeenReply | ct::status::Assured);
        f.set_mark(i % 7);
        if (!batch.fits(ct::MaxRequestSize) && batch.flush(on_ack) < 0)
            return false;
        batch.queue(ct::build_flow(batch.tail(), batch.room(), ct::msg::CtNew,
                                   NLM_F_CREATE | NLM_F_EXCL, 0, f), i);
    }
    return batch.flush(on_ack) == 0 && failed == 0;
}

} // namespace

int main(int argc, char **argv) {
    unsigned entries = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 200000;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    test_netns::TestNamespace ns("bench");
    test_netns::EnterNamespace inside(ns);
    ns.exec("sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1");

    ct::NetlinkSocket sock;
    if (sock.open() < 0) {
        std::perror("netlink socket");
        return 1;
    }
    auto start = Clock::now();
    if (!fill(sock, entries)) {
        std::fprintf(stderr, "could not create %u entries (nf_conntrack_max?)\n", entries);
        return 1;
    }
    std::printf("created %u entries in %.3f s (batched requests)\n", entries, seconds_since(start));

    // The kernel dump alone, keeping copies of the messages.
    std::vector<unsigned char> store;
    std::vector<std::size_t> offsets;
    store.reserve(std::size_t{entries} * 320);
    unsigned char req[ct::MaxRequestSize];
    start = Clock::now();
    int r = sock.dump(ct::build_dump(req, sizeof(req), 0, ct::DumpFilter{}), [&](const nlmsghdr *nlh) {
        offsets.push_back(store.size());
        const auto *p = reinterpret_cast<const unsigned char *>(nlh);
        store.insert(store.end(), p, p + NLMSG_ALIGN(nlh->nlmsg_len));
        return ct::CallbackContinue;
    });
    double dump_s = seconds_since(start);
    if (r < 0 || offsets.size() != entries) {
        std::fprintf(stderr, "dump failed (%d, %zu entries)\n", r, offsets.size());
        return 1;
    }
    std::printf("kernel dump:                   %.3f s (%.0f ns/entry)\n", dump_s, dump_s * 1e9 / entries);

    // Parse + format (default line), as conntrack -L does, best of N rounds.
    struct Case {
        const char *name;
        ct::OutputFormat format;
        bool extended;
    } cases[] = {{"default", ct::OutputFormat::Default, false},
                 {"extended", ct::OutputFormat::Default, true},
                 {"xml", ct::OutputFormat::Xml, false},
                 {"json", ct::OutputFormat::Json, false}};
    std::size_t bytes = 0;
    for (const Case &c : cases) {
        double best = 1e9;
        for (int round = 0; round < rounds; ++round) {
            ct::TextBuffer out(1 << 20);
            ct::Flow flow;
            ct::FormatOptions o;
            o.format = c.format;
            o.extended = c.extended;
            start = Clock::now();
            for (std::size_t off : offsets) {
                ct::parse_flow(reinterpret_cast<const nlmsghdr *>(&store[off]), flow);
                ct::format_flow(out, flow, o);
                out.push_back('\n');
                if (out.size() > (1 << 20) - 4096) {  // what a streaming CLI flushes
                    bytes += out.size();
                    out.clear();
                }
            }
            best = std::min(best, seconds_since(start));
            bytes += out.size();
        }
        std::printf("lib/ct parse+format %-9s  %.3f s (%.0f ns/entry)\n", c.name, best, best * 1e9 / entries);
    }

    // libnetfilter_conntrack on the same messages.
    double best = 1e9;
    for (int round = 0; round < rounds; ++round) {
        nf_conntrack *ct = nfct_new();
        char buf[4096];
        start = Clock::now();
        for (std::size_t off : offsets) {
            nfct_nlmsg_parse(reinterpret_cast<const nlmsghdr *>(&store[off]), ct);
            bytes += static_cast<std::size_t>(nfct_snprintf(buf, sizeof(buf), ct, NFCT_T_UNKNOWN, NFCT_O_DEFAULT, 0));
        }
        best = std::min(best, seconds_since(start));
        nfct_destroy(ct);
    }
    std::printf("libnfct parse+snprintf default %.3f s (%.0f ns/entry)\n", best, best * 1e9 / entries);
    std::printf("(%zu bytes formatted)\n", bytes);
    return 0;
}
