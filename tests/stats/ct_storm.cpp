// ct-storm: an insert storm into the kernel's conntrack table of the
// current network namespace, for the overrun tests and the daemon
// benchmarks.  Requests are batched (many creations per sendmsg, each
// acknowledged on its own, or with --errors-only only the failing ones), so
// the kernel takes them as fast as it can, or at a steady pace with --rate.
//
//   ct-storm [--count N] [--first I] [--rate PER_SECOND] [--timeout SECS] [--errors-only]
//
// Entry i is an ESTABLISHED, ASSURED TCP flow 10.64.0.0+i:(1024+i%60000)
// -> 192.168.0.1:443 (the reply tuple mirrors it), so entries never clash
// and every one looks like a flow a firewall replica would sync.  It prints
// one line, "created N entries in S s (R per second)", and exits 0 only
// when every entry was created; otherwise it says how many failed and the
// first error, and exits 1.
#include "ct/codec.hpp"
#include "ct/netlink.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

// First address of the range the entries' sources are taken from.
constexpr std::uint32_t first_source = 0x0a400000u;  // 10.64.0.0

struct Options {
    unsigned long count = 200000;
    unsigned long first = 0;
    double rate = 0;  // entries per second; 0: as fast as the kernel goes
    bool errors_only = false;  // acks for failures only (ct::Batch::Acks::ErrorsOnly)
    unsigned timeout = 3600;
};

[[noreturn]] void usage(const char *why) {
    std::fprintf(stderr,
                 "ct-storm: %s\n"
                 "usage: ct-storm [--count N] [--first I] [--rate PER_SECOND] [--timeout SECS] [--errors-only]\n",
                 why);
    std::exit(2);
}

unsigned long parse_number(const char *option, const char *text) {
    if (!text)
        usage((std::string("missing value for ") + option).c_str());
    char *end = nullptr;
    errno = 0;
    unsigned long value = std::strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        usage((std::string("bad value for ") + option + ": " + text).c_str());
    return value;
}

Options parse_options(int argc, char **argv) {
    Options o;
    // Every option but --errors-only takes a value.
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--errors-only") {
            o.errors_only = true;
            continue;
        }
        const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (arg == "--count")
            o.count = parse_number(argv[i], value);
        else if (arg == "--first")
            o.first = parse_number(argv[i], value);
        else if (arg == "--rate")
            o.rate = static_cast<double>(parse_number(argv[i], value));
        else if (arg == "--timeout")
            o.timeout = static_cast<unsigned>(parse_number(argv[i], value));
        else
            usage((std::string("unknown option ") + argv[i]).c_str());
        ++i;
    }
    if (o.first + o.count > 0x00400000u)  // stays inside 10.64.0.0/10
        usage("--first + --count must stay below 4194304");
    return o;
}

// Entry number `i` of the storm (see the top of the file).
void make_flow(ct::Flow &f, unsigned long i, unsigned timeout) {
    f = ct::Flow{};
    f.family = AF_INET;
    f.orig.l3proto = AF_INET;
    f.orig.l4proto = IPPROTO_TCP;
    f.orig.src.v4 = htonl(first_source + static_cast<std::uint32_t>(i));
    f.orig.dst.v4 = htonl(0xc0a80001u);  // 192.168.0.1
    f.orig.sport = static_cast<std::uint16_t>(1024 + i % 60000);
    f.orig.dport = 443;
    for (auto field : {ct::TupleField::Src, ct::TupleField::Dst, ct::TupleField::L4Proto,
                       ct::TupleField::SrcPort, ct::TupleField::DstPort})
        f.orig.set(field);
    f.reply = f.orig;
    std::swap(f.reply.src, f.reply.dst);
    std::swap(f.reply.sport, f.reply.dport);
    f.set(ct::FlowAttr::OrigTuple);
    f.set(ct::FlowAttr::ReplyTuple);
    f.set_timeout(timeout);
    f.tcp_state = 3;  // ESTABLISHED
    f.set(ct::FlowAttr::TcpState);
    // The kernel refuses a creation whose CONFIRMED bit differs from the
    // entry it builds (EBUSY), so the bit is given as it will be.
    f.set_status(ct::status::Confirmed | ct::status::SeenReply | ct::status::Assured);
}

} // namespace

int main(int argc, char **argv) {
    Options options = parse_options(argc, argv);
    ct::NetlinkSocket socket;
    if (int err = socket.open(); err < 0) {
        std::fprintf(stderr, "ct-storm: can't open a netlink socket: %s\n", std::strerror(-err));
        return 1;
    }
    ct::Batch batch(socket, 128 * 1024, 1024,
                   options.errors_only ? ct::Batch::Acks::ErrorsOnly : ct::Batch::Acks::Each);
    unsigned long failed = 0;
    int first_error = 0;
    auto on_ack = [&](std::uintptr_t, int error) {
        if (error) {
            ++failed;
            if (!first_error)
                first_error = error;
        }
    };
    auto send = [&] {
        if (batch.flush(on_ack) < 0 && !first_error)
            first_error = -EIO;
    };

    ct::Flow flow;
    auto start = Clock::now();
    for (unsigned long n = 0; n < options.count; ++n) {
        if (!batch.fits(ct::MaxRequestSize)) {
            send();
            if (options.rate > 0) {
                // Paced: entry n is due n/rate seconds after the start.
                auto due = start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(double(n) / options.rate));
                std::this_thread::sleep_until(due);
            }
        }
        make_flow(flow, options.first + n, options.timeout);
        nlmsghdr *request = ct::build_flow(batch.tail(), batch.room(), ct::msg::CtNew,
                                           NLM_F_CREATE | NLM_F_EXCL, 0, flow);
        batch.queue(request, n);
    }
    send();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    unsigned long created = options.count - failed;
    std::printf("created %lu entries in %.3f s (%.0f per second)\n", created, seconds,
                seconds > 0 ? double(created) / seconds : 0.0);
    if (failed || first_error) {
        std::fprintf(stderr, "ct-storm: %lu of %lu entries not created; first error: %s\n",
                     failed, options.count, std::strerror(first_error ? -first_error : EIO));
        return 1;
    }
    return 0;
}
