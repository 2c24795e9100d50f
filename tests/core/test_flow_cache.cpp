// The flow cache: lookups by original tuple and zone, merging updates,
// dead entries kept while referenced, the limit, and the -s texts.
#include <cppunit/extensions/HelperMacros.h>

#include "flow_cache.hpp"
#include "flows.hpp"

using namespace ctd;

class FlowCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FlowCacheTest);
    CPPUNIT_TEST(add_find_unpack);
    CPPUNIT_TEST(add_twice_fails);
    CPPUNIT_TEST(update_merges_present_attributes);
    CPPUNIT_TEST(update_of_unknown_flow_fails);
    CPPUNIT_TEST(growing_entry_stays_in_place);
    CPPUNIT_TEST(remove_and_counters);
    CPPUNIT_TEST(referenced_entry_dies_later);
    CPPUNIT_TEST(dead_entry_revives);
    CPPUNIT_TEST(limit_is_enforced);
    CPPUNIT_TEST(for_each_may_remove);
    CPPUNIT_TEST(owner_area);
    CPPUNIT_TEST(many_entries_are_small);
    CPPUNIT_TEST(summary_layout);
    CPPUNIT_TEST(detail_layout);
    CPPUNIT_TEST_SUITE_END();

public:
    void add_find_unpack() {
        FlowCache cache("internal", 16, 100);
        ct::Flow f = sample::tcp();
        FlowCache::Result r;
        FlowCache::Entry *e = cache.add(f, 5, &r);
        CPPUNIT_ASSERT(e && r == FlowCache::Result::added);
        CPPUNIT_ASSERT(cache.find(f) == e);
        CPPUNIT_ASSERT(cache.find(sample::tcp("10.0.0.1", "10.0.0.2", 40001)) == nullptr);
        ct::Flow back;
        cache.unpack(e, back);
        CPPUNIT_ASSERT(back == f);
        CPPUNIT_ASSERT_EQUAL(uint32_t(5), e->created);
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.active());
    }
    void add_twice_fails() {
        FlowCache cache("c", 16, 100);
        cache.add(sample::tcp(), 0);
        FlowCache::Result r;
        CPPUNIT_ASSERT(!cache.add(sample::tcp(), 0, &r));
        CPPUNIT_ASSERT(r == FlowCache::Result::exists);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.counters().create_failed);
    }
    void update_merges_present_attributes() {
        FlowCache cache("c", 16, 100);
        cache.add(sample::tcp(), 0);
        ct::Flow change; // only the tuple and a new state and mark
        ct::Flow base = sample::tcp();
        change.family = base.family;
        change.orig = base.orig;
        change.set(ct::FlowAttr::OrigTuple);
        change.tcp_state = 7;
        change.set(ct::FlowAttr::TcpState);
        change.set_mark(42);
        FlowCache::Entry *e = cache.update(change, 9);
        CPPUNIT_ASSERT(e);
        ct::Flow back;
        cache.unpack(e, back);
        CPPUNIT_ASSERT_EQUAL(uint8_t(7), back.tcp_state);
        CPPUNIT_ASSERT_EQUAL(uint32_t(42), back.mark);
        CPPUNIT_ASSERT_EQUAL(uint32_t(0x0e), back.status); // kept
        CPPUNIT_ASSERT(back.has(ct::FlowAttr::ReplyTuple)); // kept
        CPPUNIT_ASSERT_EQUAL(uint32_t(9), e->updated);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.counters().updated);
    }
    void update_of_unknown_flow_fails() {
        FlowCache cache("c", 16, 100);
        FlowCache::Result r;
        CPPUNIT_ASSERT(!cache.update(sample::tcp(), 0, &r));
        CPPUNIT_ASSERT(r == FlowCache::Result::not_found);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.counters().update_not_found);
        CPPUNIT_ASSERT(cache.update_or_add(sample::tcp(), 0, &r));
        CPPUNIT_ASSERT(r == FlowCache::Result::added);
    }
    void growing_entry_stays_in_place() {
        FlowCache cache("c", 16, 100);
        ct::Flow small = sample::tcp();
        FlowCache::Entry *e = cache.add(small, 0);
        ct::Flow big = sample::tcp();
        big.set_helper("a-long-helper");
        big.secctx = std::string(200, 'x');
        big.set(ct::FlowAttr::Secctx);
        big.labels.set(3);
        big.labels.size = 16;
        big.set(ct::FlowAttr::Labels);
        CPPUNIT_ASSERT(cache.update(big, 1) == e);
        ct::Flow back;
        cache.unpack(e, back);
        CPPUNIT_ASSERT_EQUAL(big.secctx, back.secctx);
        CPPUNIT_ASSERT(cache.find(small) == e);
        // And back to small again.
        CPPUNIT_ASSERT(cache.replace(e, small, 2));
        cache.unpack(e, back);
        CPPUNIT_ASSERT(back == small);
    }
    void remove_and_counters() {
        FlowCache cache("c", 16, 100);
        cache.add(sample::tcp(), 0);
        CPPUNIT_ASSERT(cache.remove(sample::tcp()));
        CPPUNIT_ASSERT(!cache.remove(sample::tcp()));
        CPPUNIT_ASSERT_EQUAL(size_t(0), cache.total());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.counters().destroyed);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.counters().destroy_not_found);
        CPPUNIT_ASSERT_EQUAL(size_t(0), cache.entry_bytes());
    }
    void referenced_entry_dies_later() {
        FlowCache cache("c", 16, 100);
        FlowCache::Entry *e = cache.add(sample::tcp(), 0);
        cache.hold(e);
        cache.remove(e);
        CPPUNIT_ASSERT(e->state == FlowCache::State::dead);
        CPPUNIT_ASSERT_EQUAL(size_t(0), cache.active());
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.total());
        CPPUNIT_ASSERT(!cache.update(sample::tcp(), 1)); // dead: not updatable
        cache.release(e);
        CPPUNIT_ASSERT_EQUAL(size_t(0), cache.total());
    }
    void dead_entry_revives() {
        FlowCache cache("c", 16, 100);
        FlowCache::Entry *e = cache.add(sample::tcp(), 0);
        cache.hold(e);
        cache.remove(e);
        FlowCache::Entry *again = cache.add(sample::tcp(), 3);
        CPPUNIT_ASSERT(again == e);
        CPPUNIT_ASSERT(e->state == FlowCache::State::fresh);
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.active());
        cache.release(e);
        CPPUNIT_ASSERT_EQUAL(size_t(1), cache.total()); // alive: not freed
    }
    void limit_is_enforced() {
        FlowCache cache("c", 4, 2);
        CPPUNIT_ASSERT(cache.add(sample::tcp("1.1.1.1"), 0));
        CPPUNIT_ASSERT(cache.add(sample::tcp("1.1.1.2"), 0));
        FlowCache::Result r;
        CPPUNIT_ASSERT(!cache.add(sample::tcp("1.1.1.3"), 0, &r));
        CPPUNIT_ASSERT(r == FlowCache::Result::no_space);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.counters().create_no_space);
    }
    void for_each_may_remove() {
        FlowCache cache("c", 2, 1000);
        for (int i = 0; i < 100; ++i)
            cache.add(sample::tcp("10.0.0.1", "10.0.0.2", static_cast<uint16_t>(1000 + i)), 0);
        int visited = 0;
        cache.for_each([&](FlowCache::Entry *e) {
            ++visited;
            cache.remove(e);
        });
        CPPUNIT_ASSERT_EQUAL(100, visited);
        CPPUNIT_ASSERT_EQUAL(size_t(0), cache.total());
    }
    void owner_area() {
        FlowCache cache("c", 16, 100, 20);
        FlowCache::Entry *e = cache.add(sample::tcp(), 0);
        auto *area = static_cast<unsigned char *>(cache.extra(e));
        for (int i = 0; i < 20; ++i)
            CPPUNIT_ASSERT_EQUAL(0, int(area[i]));
        area[19] = 0xaa;
        CPPUNIT_ASSERT(FlowCache::from_extra(area) == e);
        ct::Flow back;
        cache.unpack(e, back);
        CPPUNIT_ASSERT(back == sample::tcp()); // the area does not overlap the flow
    }
    void many_entries_are_small() {
        FlowCache cache("c", 65536, 300000);
        for (uint32_t i = 0; i < 100000; ++i) {
            char src[32];
            std::snprintf(src, sizeof src, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            CPPUNIT_ASSERT(cache.add(sample::tcp(src), 0));
        }
        CPPUNIT_ASSERT_EQUAL(size_t(100000), cache.active());
        double per_entry = double(cache.entry_bytes()) / 100000;
        CPPUNIT_ASSERT_MESSAGE(std::to_string(per_entry), per_entry <= 120);
        for (uint32_t i = 0; i < 100000; i += 997) {
            char src[32];
            std::snprintf(src, sizeof src, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            CPPUNIT_ASSERT(cache.find(sample::tcp(src)));
        }
    }
    void summary_layout() {
        FlowCache cache("internal", 16, 100);
        cache.add(sample::tcp(), 0);
        cache.add(sample::tcp(), 0);
        CPPUNIT_ASSERT_EQUAL(std::string("cache internal:\n"
                                         "current active connections:\t           1\n"
                                         "connections created:\t\t           1\tfailed:\t           1\n"
                                         "connections updated:\t\t           0\tfailed:\t           0\n"
                                         "connections destroyed:\t\t           0\tfailed:\t           0\n\n"),
                             cache.summary_text("cache internal"));
    }
    void detail_layout() {
        FlowCache cache("stats", 16, 100);
        cache.add(sample::tcp(), 0);
        cache.add(sample::udp_snat(), 0);
        // The exact text the reference printed for two cached flows.
        CPPUNIT_ASSERT_EQUAL(std::string("cache:stats\tactive objects:\t\t           2\n"
                                         "\tactive/total entries:\t\t           2/           2\n"
                                         "\tcreation OK/failed:\t\t           2/           0\n"
                                         "\t\tno memory available:\t           0\n"
                                         "\t\tno space left in cache:\t           0\n"
                                         "\tupdate OK/failed:\t\t           0/           0\n"
                                         "\t\tentry not found:\t           0\n"
                                         "\tdeletion created/failed:\t           0/           0\n"
                                         "\t\tentry not found:\t           0\n\n"),
                             cache.detail_text());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FlowCacheTest);
