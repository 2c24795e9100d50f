// The notrack and alarm sync modes against the mock core.
#include <cppunit/extensions/HelperMacros.h>

#include <set>

#include "helpers.hpp"

using namespace mock;
using namespace syncmodes_test;

namespace {

// ALARM's refresh delays: random() % RefreshTime + 1 seconds plus
// (random() % 5 + 1) * 200000 - 1 microseconds.
bool refresh_delay(uint64_t gap, uint32_t refresh_time) {
    for (uint64_t k = 1; k <= refresh_time; ++k)
        for (uint64_t j = 1; j <= 5; ++j)
            if (gap == k * second + j * 200000 - 1)
                return true;
    return false;
}

// The same, served up to `slack` early.  Every delay plus one microsecond
// is a multiple of 0.2 s from 1.2 s to RefreshTime + 1 s.
bool near_refresh_delay(uint64_t gap, uint32_t refresh_time, uint64_t slack) {
    uint64_t value = gap + 1;
    uint64_t steps = (value + 199999) / 200000; // the next multiple of 0.2 s
    return steps * 200000 - value <= slack && steps >= 6 && steps <= 5ull * refresh_time + 5;
}

std::vector<Sent> sent_for(const Host &host, uint32_t object) {
    std::vector<Sent> out;
    for (const Sent &s : host.sent)
        if (!s.control() && s.object == object)
            out.push_back(s);
    return out;
}

} // namespace

class NotrackTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NotrackTest);
    CPPUNIT_TEST(sends_each_change_once);
    CPPUNIT_TEST(alive_after_a_second_of_silence);
    CPPUNIT_TEST(resync_request);
    CPPUNIT_TEST(resync_is_answered_with_a_bulk_send);
    CPPUNIT_TEST(without_internal_cache_the_kernel_table_is_sent);
    CPPUNIT_TEST(receive_classification);
    CPPUNIT_TEST(destroyed_object_sent_then_released);
    CPPUNIT_TEST(cache_flush_sends_nothing);
    CPPUNIT_TEST(flows_loaded_at_startup_are_not_sent);
    CPPUNIT_TEST_SUITE_END();

public:
    void flows_loaded_at_startup_are_not_sent() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        for (int i = 0; i < 3; ++i)
            a.load_flow();
        world.run_for(second / 2);
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.sent.size());
        mode.send_bulk();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        assert_clean(a);
    }

    void sends_each_change_once() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.self());
        Object *o1 = a.add_flow(), *o2 = a.add_flow();
        a.update_flow(o2);
        a.update_flow(o2); // still queued: one message, in its latest state
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(0).length);
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(a.sent), size_t(2), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(o1->id, a.sent[0].object);
        CPPUNIT_ASSERT_EQUAL(0, int(a.sent[0].type));
        CPPUNIT_ASSERT_EQUAL(o2->id, a.sent[1].object);
        CPPUNIT_ASSERT_EQUAL(1, int(a.sent[1].type));
        CPPUNIT_ASSERT_EQUAL(0, int(a.sent[0].flags));
        // Sent once: nothing kept, nothing sent again.
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(0).length);
        world.run_for(10 * second);
        CPPUNIT_ASSERT_EQUAL(size_t(2), a.states().size());
        // Only the transmit queue exists, with the reference's capacity.
        int has = 0;
        CPPUNIT_ASSERT_EQUAL(uint64_t(2147483647), mode.queue(0, &has).capacity);
        CPPUNIT_ASSERT_EQUAL(1, has);
        mode.queue(1, &has);
        CPPUNIT_ASSERT_EQUAL(0, has);
        CPPUNIT_ASSERT(!mode.ops().dump_resend_queue);
        assert_clean(a);
    }

    void alive_after_a_second_of_silence() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world);
        uint64_t start = world.now_us;
        ModeInstance mode(plugin, a);
        world.run_for(second - 1);
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.sent.size());
        world.run_for(1);
        CPPUNIT_ASSERT_EQUAL(size_t(1), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(10, int(a.sent[0].type));
        CPPUNIT_ASSERT_EQUAL(int(CTD_SYNC_F_ALIVE), int(a.sent[0].flags));
        CPPUNIT_ASSERT_EQUAL(start + second, a.sent[0].when_us);
        // Traffic postpones it: the next ALIVE comes a second after the
        // last transmission.
        world.run_for(second / 2);
        a.add_flow();
        world.settle();
        uint64_t last_send = world.now_us;
        world.run_for(second - 1);
        CPPUNIT_ASSERT_EQUAL(size_t(2), a.sent.size());
        world.run_for(1);
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(last_send + second, a.sent[2].when_us);
        CPPUNIT_ASSERT_EQUAL(int(CTD_SYNC_F_ALIVE), int(a.sent[2].flags));
        // And so on, once a second.
        world.run_for(3 * second);
        CPPUNIT_ASSERT_EQUAL(size_t(6), a.sent.size());
        assert_clean(a);
    }

    void resync_request() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        CPPUNIT_ASSERT(mode.ops().request_resync);
        mode.request_resync();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(1), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(10, int(a.sent[0].type));
        CPPUNIT_ASSERT_EQUAL(int(CTD_SYNC_F_RESYNC), int(a.sent[0].flags));
        CPPUNIT_ASSERT_EQUAL(0u, a.sent[0].from);
        CPPUNIT_ASSERT_EQUAL(0u, a.sent[0].to);
    }

    void resync_is_answered_with_a_bulk_send() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world, "A"), b(world, "B");
        a.peer = &b;
        b.peer = &a;
        ModeInstance mode_a(plugin, a), mode_b(plugin, b);
        for (int i = 0; i < 5; ++i)
            b.add_flow();
        b.destroy_flow(b.add_flow());
        world.settle();
        // A restarted and forgot everything: it asks.
        a.external.clear();
        b.sent.clear();
        b.delivered = 0;
        mode_a.request_resync();
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(5), b.states().size());
        // As 1.4.7 logs it [obs].
        CPPUNIT_ASSERT_EQUAL(size_t(2), b.logs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("resync requested by other node"), b.logs[0].second);
        CPPUNIT_ASSERT_EQUAL(std::string("sending bulk update"), b.logs[1].second);
        CPPUNIT_ASSERT_EQUAL(size_t(5), a.external.size());
        CPPUNIT_ASSERT_EQUAL(0u, b.kernel_table_sends);
        // `conntrackd -B` does the same unasked.
        mode_b.send_bulk();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(10), b.states().size());
        assert_clean(a);
        assert_clean(b);
    }

    void without_internal_cache_the_kernel_table_is_sent() {
        ModePlugin plugin("notrack");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b, {{"DisableInternalCache", "on", 2}});
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(1, CTD_SYNC_F_RESYNC)));
        CPPUNIT_ASSERT_EQUAL(1u, b.kernel_table_sends);
        mode.send_bulk();
        CPPUNIT_ASSERT_EQUAL(2u, b.kernel_table_sends);
    }

    void receive_classification() {
        ModePlugin plugin("notrack");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(10, 0, 1)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(11, CTD_SYNC_F_ALIVE)));
        // No acknowledgements in this mode.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(control(12, CTD_SYNC_F_ACK, 1, 2)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(control(12, CTD_SYNC_F_NACK, 1, 2)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(data(12, CTD_SYNC_F_ALIVE)));
        CPPUNIT_ASSERT_EQUAL(11u, b.peer_last_seq); // bad ones are not recorded
        // Gaps are only counted, and late messages still applied.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(20)));
        CPPUNIT_ASSERT_EQUAL(uint64_t(8), b.seq_lost);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(15)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(0), b.sent.size()); // nothing asked back
    }

    void destroyed_object_sent_then_released() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o = a.add_flow();
        world.settle();
        a.destroy_flow(o);
        CPPUNIT_ASSERT(!o->freed); // queued: held
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(2), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(2, int(a.sent[1].type));
        CPPUNIT_ASSERT(o->freed);
        assert_clean(a);
    }

    void cache_flush_sends_nothing() {
        ModePlugin plugin("notrack");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        for (int i = 0; i < 3; ++i)
            a.add_flow();
        a.flush_cache();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.sent.size());
        for (const auto &o : a.objects)
            CPPUNIT_ASSERT(o->freed);
        assert_clean(a);
    }
};

class AlarmTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AlarmTest);
    CPPUNIT_TEST(refresh_timing);
    CPPUNIT_TEST(flows_loaded_at_startup_are_refreshed);
    CPPUNIT_TEST(update_rearms_the_refresh);
    CPPUNIT_TEST(destroyed_object_sent_once_then_released);
    CPPUNIT_TEST(flag_rule_and_no_control_messages);
    CPPUNIT_TEST(cache_timeout_reaches_the_core);
    CPPUNIT_TEST(refresh_time_zero_is_the_default);
    CPPUNIT_TEST(bulk_send_refreshes_everything);
    CPPUNIT_TEST(cache_flush_stops_refreshes);
    CPPUNIT_TEST(scales_to_200000_objects);
    CPPUNIT_TEST_SUITE_END();

public:
    void refresh_timing() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"RefreshTime", "3", 2}});
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.self());
        Object *o = a.add_flow();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(1), a.sent.size()); // the change itself, at once
        world.run_for(60 * second);
        std::vector<Sent> sends = sent_for(a, o->id);
        CPPUNIT_ASSERT(sends.size() >= 15);
        std::set<uint64_t> gaps;
        for (size_t i = 1; i < sends.size(); ++i) {
            uint64_t gap = sends[i].when_us - sends[i - 1].when_us;
            CPPUNIT_ASSERT_MESSAGE(std::to_string(gap), refresh_delay(gap, 3));
            gaps.insert(gap);
            // Never updated: it keeps going out as NEW.
            CPPUNIT_ASSERT_EQUAL(0, int(sends[i].type));
            CPPUNIT_ASSERT_EQUAL(0, int(sends[i].flags));
        }
        CPPUNIT_ASSERT(gaps.size() > 1); // drawn again each time
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.controls().size());
        CPPUNIT_ASSERT(!mode.ops().request_resync);
        CPPUNIT_ASSERT(!mode.ops().dump_resend_queue);
        assert_clean(a);
    }

    // 1.4.7 sends the flows it finds at startup when their first refresh
    // is due, not at once [obs].
    void flows_loaded_at_startup_are_refreshed() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"RefreshTime", "2", 2}});
        uint64_t start = world.now_us;
        Object *o = a.load_flow();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.sent.size());
        world.run_for(10 * second);
        std::vector<Sent> sends = sent_for(a, o->id);
        CPPUNIT_ASSERT(sends.size() >= 3);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(sends[0].when_us - start),
                               refresh_delay(sends[0].when_us - start, 2));
        CPPUNIT_ASSERT_EQUAL(0, int(sends[0].type));
        assert_clean(a);
    }

    void update_rearms_the_refresh() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"RefreshTime", "2", 2}});
        Object *o = a.add_flow();
        world.settle();
        // An update 0.1 s later moves the refresh: had it not, the next
        // send would come at a delay that is no refresh delay from here.
        world.run_for(second / 10);
        a.update_flow(o);
        world.settle();
        world.run_for(30 * second);
        std::vector<Sent> sends = sent_for(a, o->id);
        CPPUNIT_ASSERT(sends.size() >= 10);
        CPPUNIT_ASSERT_EQUAL(1, int(sends[1].type));
        for (size_t i = 2; i < sends.size(); ++i) {
            uint64_t gap = sends[i].when_us - sends[i - 1].when_us;
            CPPUNIT_ASSERT_MESSAGE(std::to_string(gap), refresh_delay(gap, 2));
            CPPUNIT_ASSERT_EQUAL(1, int(sends[i].type));
        }
        assert_clean(a);
    }

    void destroyed_object_sent_once_then_released() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"RefreshTime", "1", 2}});
        Object *o = a.add_flow();
        world.run_for(5 * second);
        size_t before = a.sent.size();
        CPPUNIT_ASSERT(before >= 3);
        a.destroy_flow(o);
        world.run_for(10 * second);
        CPPUNIT_ASSERT_EQUAL(before + 1, a.sent.size());
        CPPUNIT_ASSERT_EQUAL(2, int(a.sent.back().type));
        CPPUNIT_ASSERT(o->freed);
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.armed_timers());
        assert_clean(a);
    }

    void flag_rule_and_no_control_messages() {
        ModePlugin plugin("alarm");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(100, 0, 1)));
        CPPUNIT_ASSERT(b.peer_seq_known);
        CPPUNIT_ASSERT_EQUAL(100u, b.peer_last_seq);
        // Anything with flags is ignored, data with HELLO included, and its
        // number is not even looked at.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(500, CTD_SYNC_F_ACK, 1, 2)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(501, CTD_SYNC_F_ALIVE)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(data(502, CTD_SYNC_F_HELLO)));
        CPPUNIT_ASSERT_EQUAL(100u, b.peer_last_seq);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), b.seq_lost);
        // Flags 0 is data to this mode (the core then rejects a bad type).
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(control(105, 0)));
        CPPUNIT_ASSERT_EQUAL(uint64_t(4), b.seq_lost);
        world.run_for(20 * second);
        CPPUNIT_ASSERT_EQUAL(size_t(0), b.sent.size());
    }

    void cache_timeout_reaches_the_core() {
        ModePlugin plugin("alarm");
        {
            World world;
            Host a(world);
            ModeInstance mode(plugin, a);
            CPPUNIT_ASSERT_EQUAL(180u, a.external_timeout);
        }
        {
            World world;
            Host a(world);
            ModeInstance mode(plugin, a, {{"CacheTimeout", "77", 3}});
            CPPUNIT_ASSERT_EQUAL(77u, a.external_timeout);
        }
        // 0 is the default, as in 1.4.7 [obs].
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"CacheTimeout", "0", 3}});
        CPPUNIT_ASSERT_EQUAL(180u, a.external_timeout);
    }

    // RefreshTime 0 is the default of 60 s, as in 1.4.7 [obs].
    void refresh_time_zero_is_the_default() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"RefreshTime", "0", 2}});
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.self());
        Object *o = a.add_flow();
        world.run_for(600 * second);
        std::vector<Sent> sends = sent_for(a, o->id);
        CPPUNIT_ASSERT(sends.size() >= 11);
        uint64_t longest = 0;
        for (size_t i = 1; i < sends.size(); ++i) {
            uint64_t gap = sends[i].when_us - sends[i - 1].when_us;
            CPPUNIT_ASSERT_MESSAGE(std::to_string(gap), refresh_delay(gap, 60));
            longest = std::max(longest, gap);
        }
        CPPUNIT_ASSERT(longest > 3 * second);
    }

    void bulk_send_refreshes_everything() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        for (int i = 0; i < 4; ++i)
            a.add_flow();
        world.settle();
        world.run_for(second / 2);
        mode.send_bulk();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(8), a.sent.size());
        assert_clean(a);
    }

    void cache_flush_stops_refreshes() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"RefreshTime", "1", 2}});
        for (int i = 0; i < 3; ++i)
            a.add_flow();
        world.settle();
        a.flush_cache();
        world.run_for(5 * second);
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.armed_timers());
        assert_clean(a);
    }

    // 200,000 flows need no more host timers than one: their deadlines live
    // in their areas.
    void scales_to_200000_objects() {
        ModePlugin plugin("alarm");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        const uint32_t flows = 200000;
        a.objects.reserve(flows);
        a.sent.reserve(4 * flows);
        for (uint32_t i = 0; i < flows; ++i)
            a.add_flow();
        world.run_for(62 * second);
        CPPUNIT_ASSERT(a.timers_created <= 3);
        std::vector<uint32_t> sends(flows + 1, 0);
        std::vector<uint64_t> last(flows + 1, 0);
        std::set<uint64_t> wakeups;
        size_t checked = 0;
        for (const Sent &s : a.sent) {
            if (sends[s.object]++ > 0) {
                wakeups.insert(s.when_us);
                uint64_t gap = s.when_us - last[s.object];
                // Coalesced wake-ups may serve a refresh up to 10 ms early.
                if (!near_refresh_delay(gap, 60, 10000))
                    CPPUNIT_FAIL("refresh after " + std::to_string(gap) + " us");
                ++checked;
            }
            last[s.object] = s.when_us;
        }
        for (uint32_t id = 1; id <= flows; ++id)
            CPPUNIT_ASSERT_MESSAGE(std::to_string(id), sends[id] >= 2);
        CPPUNIT_ASSERT(checked >= flows);
        // At most one wake-up per 10 ms.
        CPPUNIT_ASSERT(wakeups.size() <= 62 * 100 + 1);
        assert_clean(a);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NotrackTest);
CPPUNIT_TEST_SUITE_REGISTRATION(AlarmTest);
