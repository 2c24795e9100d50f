// The stats mode against a real kernel table, in a network namespace: the
// start-up dump, events, the flow written when a flow ends, and recovery
// from an event overrun by a resync that leaves the cache equal to the
// table.
#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>
#include <memory>
#include <vector>

#include "../lib/netns.hpp"
#include "ct/codec.hpp"
#include "ct/netlink.hpp"
#include "event_loop.hpp"
#include "log.hpp"
#include "stats_mode.hpp"

using namespace ctd;
using test_netns::EnterNamespace;
using test_netns::TestNamespace;

namespace {

class CaptureOutput : public FlowOutput {
public:
    void write(const ct::Flow &flow, uint64_t) override { flows.push_back(flow); }
    void flush() override { ++flushes; }
    void reopen() override {}
    std::vector<ct::Flow> flows;
    int flushes = 0;
};

// Runs the loop until `done` or the deadline.
template <class Done>
bool run_until(EventLoop &loop, Done done, int max_ms = 5000) {
    uint64_t deadline = EventLoop::monotonic_us() + uint64_t(max_ms) * 1000;
    while (!done() && EventLoop::monotonic_us() < deadline)
        loop.run_once(20);
    return done();
}

// Creates `count` UDP flows 10.1.x.y:1000 -> 10.2.0.1:53 with batched
// requests, as fast as the kernel takes them.
void insert_flows(uint32_t count, uint32_t first = 0) {
    ct::NetlinkSocket socket;
    CPPUNIT_ASSERT_EQUAL(0, socket.open());
    ct::Batch batch(socket);
    int failures = 0;
    auto on_ack = [&](std::uintptr_t, int error) { failures += error != 0; };
    for (uint32_t i = first; i < first + count; ++i) {
        ct::Flow f;
        f.family = AF_INET;
        for (ct::Tuple *t : {&f.orig, &f.reply}) {
            t->l3proto = AF_INET;
            t->l4proto = IPPROTO_UDP;
            for (auto field : {ct::TupleField::Src, ct::TupleField::Dst, ct::TupleField::L4Proto,
                               ct::TupleField::SrcPort, ct::TupleField::DstPort})
                t->set(field);
        }
        f.orig.src.v4 = htonl(0x0a010000u + i);
        f.orig.dst.v4 = htonl(0x0a020001u);
        f.orig.sport = 1000;
        f.orig.dport = 53;
        f.reply.src = f.orig.dst;
        f.reply.dst = f.orig.src;
        f.reply.sport = 53;
        f.reply.dport = 1000;
        f.set(ct::FlowAttr::OrigTuple);
        f.set(ct::FlowAttr::ReplyTuple);
        f.set_timeout(600);
        if (!batch.fits(ct::MaxRequestSize))
            batch.flush(on_ack);
        nlmsghdr *m = ct::build_flow(batch.tail(), batch.room(), ct::msg::CtNew,
                                     NLM_F_CREATE | NLM_F_EXCL, 0, f);
        batch.queue(m, i);
    }
    batch.flush(on_ack);
    CPPUNIT_ASSERT_EQUAL(0, failures);
}

uint32_t kernel_count() {
    std::FILE *f = std::fopen("/proc/sys/net/netfilter/nf_conntrack_count", "r");
    unsigned n = 0;
    if (f) {
        if (std::fscanf(f, "%u", &n) != 1)
            n = 0;
        std::fclose(f);
    }
    return n;
}

} // namespace

class StatsModeNsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StatsModeNsTest);
    CPPUNIT_TEST(dump_events_and_ended_flows);
    CPPUNIT_TEST(filter_keeps_flows_out);
    CPPUNIT_TEST(overrun_then_resync_equals_table);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { logger().set_console(false); }
    void tearDown() override { logger().set_console(true); }

    void dump_events_and_ended_flows() {
        TestNamespace ns("stats-a");
        EnterNamespace inside(ns);
        insert_flows(3);
        EventLoop loop;
        NetlinkCounters counters;
        CaptureOutput output;
        StatsSettings settings;
        settings.hash_size = 1024;
        settings.hash_limit = 10000;
        StatsMode stats(loop, settings, output, counters);
        stats.start();
        CPPUNIT_ASSERT_EQUAL(size_t(3), stats.cache().active()); // from the dump
        insert_flows(2, 100);
        CPPUNIT_ASSERT(run_until(loop, [&] { return stats.cache().active() == 5; }));
        CPPUNIT_ASSERT_EQUAL(0, ns.exec("conntrack -D -s 10.1.0.100 >/dev/null 2>&1"));
        CPPUNIT_ASSERT(run_until(loop, [&] { return output.flows.size() == 1; }));
        const ct::Flow &ended = output.flows[0];
        // Written as a flow, not as an event: no prefix, no timeout.
        CPPUNIT_ASSERT(ended.type == ct::MessageType::Unknown);
        CPPUNIT_ASSERT(!ended.has(ct::FlowAttr::Timeout));
        CPPUNIT_ASSERT_EQUAL(htonl(0x0a010064u), ended.orig.src.v4);
        CPPUNIT_ASSERT_EQUAL(size_t(4), stats.cache().active());
        CPPUNIT_ASSERT(run_until(loop, [&] { return output.flushes > 0; }));
        CPPUNIT_ASSERT(counters.events_received >= 3);
    }

    void filter_keeps_flows_out() {
        TestNamespace ns("stats-b");
        EnterNamespace inside(ns);
        EventLoop loop;
        NetlinkCounters counters;
        CaptureOutput output;
        StatsSettings settings;
        settings.hash_size = 1024;
        settings.hash_limit = 10000;
        settings.filter.protocol_policy = FilterRules::Policy::accept;
        settings.filter.protocols.set(IPPROTO_TCP);
        StatsMode stats(loop, settings, output, counters);
        stats.start();
        insert_flows(4);
        CPPUNIT_ASSERT(run_until(loop, [&] { return counters.events_filtered >= 4; }));
        CPPUNIT_ASSERT_EQUAL(size_t(0), stats.cache().active());
        CPPUNIT_ASSERT_EQUAL(0, ns.exec("conntrack -F >/dev/null 2>&1"));
        run_until(loop, [&] { return counters.events_filtered >= 8; }, 2000);
        CPPUNIT_ASSERT_EQUAL(size_t(0), output.flows.size());
    }

    void overrun_then_resync_equals_table() {
        TestNamespace ns("stats-c");
        CPPUNIT_ASSERT_EQUAL(0, ns.exec("sysctl -qw net.netfilter.nf_conntrack_max=200000"));
        EnterNamespace inside(ns);
        EventLoop loop;
        NetlinkCounters counters;
        CaptureOutput output;
        StatsSettings settings;
        settings.hash_size = 65536;
        settings.hash_limit = 400000;
        // A deliberately small buffer that may not grow: the storm below
        // cannot fit in it.
        settings.events.buffer_size = 65536;
        settings.events.buffer_max_growth = 65536;
        settings.overrun_resync_secs = 0;
        StatsMode stats(loop, settings, output, counters);
        stats.start();
        insert_flows(50000);
        uint32_t in_kernel = kernel_count();
        CPPUNIT_ASSERT_EQUAL(uint32_t(50000), in_kernel);
        CPPUNIT_ASSERT(run_until(loop, [&] { return stats.cache().active() == in_kernel; }, 20000));
        CPPUNIT_ASSERT(counters.netlink_overrun > 0);
        CPPUNIT_ASSERT(counters.resync_kernel_table > 0);
        // And the other way: flows gone while events are lost are purged
        // and written as ended.
        CPPUNIT_ASSERT_EQUAL(0, ns.exec("conntrack -F >/dev/null 2>&1"));
        CPPUNIT_ASSERT(run_until(loop, [&] { return stats.cache().active() == 0; }, 20000));
        CPPUNIT_ASSERT_EQUAL(size_t(50000), output.flows.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StatsModeNsTest);
