// The ftfw sync mode against the mock core: the handshake, acknowledgement
// windows, NACKs and retransmission, the resend queue, HELLO, and the
// back-pressure that keeps a tiny resend queue from losing anything.
#include <cppunit/extensions/HelperMacros.h>

#include <set>

#include "helpers.hpp"

using namespace mock;
using namespace syncmodes_test;

namespace {

constexpr uint8_t ACK = CTD_SYNC_F_ACK, NACK = CTD_SYNC_F_NACK, RESYNC = CTD_SYNC_F_RESYNC,
                  ALIVE = CTD_SYNC_F_ALIVE, HELLO = CTD_SYNC_F_HELLO,
                  HELLO_BACK = CTD_SYNC_F_HELLO_BACK;

std::string expected_listing(const std::vector<std::string> &lines) {
    std::string text = "resent queue (len=" + std::to_string(lines.size()) + ")\n";
    for (const std::string &line : lines)
        text += line + "\n";
    return text;
}

std::string object_line(uint32_t seq) { return "object -> seq:" + std::to_string(seq); }

size_t count_objects(const std::string &listing) {
    size_t n = 0;
    for (size_t at = listing.find("object ->"); at != std::string::npos;
         at = listing.find("object ->", at + 1))
        ++n;
    return n;
}

} // namespace

class FtfwTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FtfwTest);
    CPPUNIT_TEST(handshake_as_observed);
    CPPUNIT_TEST(acks_every_window);
    CPPUNIT_TEST(window_of_one_acks_every_message);
    CPPUNIT_TEST(zero_means_the_default);
    CPPUNIT_TEST(gap_gets_ack_then_nack);
    CPPUNIT_TEST(nack_retransmits_with_new_sequence_numbers);
    CPPUNIT_TEST(nack_retransmits_control_messages);
    CPPUNIT_TEST(ack_releases_resend_queue);
    CPPUNIT_TEST(messages_passed_over_by_two_acks_are_sent_again);
    CPPUNIT_TEST(dead_objects_held_until_acknowledged);
    CPPUNIT_TEST(hello_flushes_resend_queue_and_is_answered_once);
    CPPUNIT_TEST(repeated_hello_keeps_what_was_sent_since);
    CPPUNIT_TEST(gaps_among_repeated_hellos_are_nacked);
    CPPUNIT_TEST(requeued_object_moves_back_to_tx_queue);
    CPPUNIT_TEST(alive_timer_sends_alive_or_pending_ack);
    CPPUNIT_TEST(resync_request_and_answer);
    CPPUNIT_TEST(receive_classification);
    CPPUNIT_TEST(cache_flush_sends_nothing);
    CPPUNIT_TEST(flows_loaded_at_startup_are_not_sent);
    CPPUNIT_TEST(queue_statistics);
    CPPUNIT_TEST(bulk_is_spread_over_rounds);
    CPPUNIT_TEST(backpressure_loses_nothing_under_loss);
    CPPUNIT_TEST(loss_is_recovered_as_observed);
    CPPUNIT_TEST_SUITE_END();

public:
    // Observed between two 1.4.7 daemons: ALIVE|HELLO, ACK|HELLO|HELLO_BACK,
    // ACK|HELLO_BACK, then plain ACKs, one per second each.
    void handshake_as_observed() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world, "A"), b(world, "B");
        a.peer = &b;
        b.peer = &a;
        ModeInstance mode_a(plugin, a);
        CPPUNIT_ASSERT_MESSAGE(mode_a.error(), mode_a.self());
        world.run_for(second / 2); // B starts half a second later
        ModeInstance mode_b(plugin, b);
        world.run_for(6 * second);

        std::vector<Sent> sa = a.sent, sb = b.sent;
        std::string both = "A:\n" + describe(sa) + "B:\n" + describe(sb);
        CPPUNIT_ASSERT_MESSAGE(both, sa.size() >= 4 && sb.size() >= 4);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(both, 10, int(sa[0].type));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(both, 0x30, int(sa[0].flags));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(both, 0x68, int(sb[0].flags));
        CPPUNIT_ASSERT_EQUAL(sa[0].seq, sb[0].from);
        CPPUNIT_ASSERT_EQUAL(sa[0].seq, sb[0].to);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(both, 0x48, int(sa[1].flags));
        CPPUNIT_ASSERT_EQUAL(sb[0].seq, sa[1].from);
        CPPUNIT_ASSERT_EQUAL(sb[0].seq, sa[1].to);
        CPPUNIT_ASSERT(sa[0].when_us < sb[0].when_us && sb[0].when_us < sa[1].when_us);
        for (size_t i = 2; i < sa.size(); ++i)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(both, int(ACK), int(sa[i].flags));
        for (size_t i = 1; i < sb.size(); ++i)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(both, int(ACK), int(sb[i].flags));
        // One ACK a second each, each acknowledging the other's last.
        CPPUNIT_ASSERT_EQUAL(second, sa[3].when_us - sa[2].when_us);
        CPPUNIT_ASSERT_EQUAL(sb[sb.size() - 2].seq, sa.back().to);
        // Idle peers keep almost nothing to resend: the last ACK each sent.
        CPPUNIT_ASSERT(mode_a.queue(1).length <= 1);
        CPPUNIT_ASSERT(mode_b.queue(1).length <= 1);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.seq_lost + b.seq_lost);
        assert_clean(a);
        assert_clean(b);
    }

    void acks_every_window() {
        ModePlugin plugin("ftfw");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b, {{"ACKWindowSize", "5", 2}});
        for (uint32_t seq = 100; seq < 104; ++seq)
            CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(seq)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(0), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(104)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(1), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(int(ACK | HELLO), int(b.sent[0].flags));
        CPPUNIT_ASSERT_EQUAL(100u, b.sent[0].from);
        CPPUNIT_ASSERT_EQUAL(104u, b.sent[0].to);
        // Control messages count in the window too.
        for (uint32_t seq = 105; seq < 109; ++seq)
            b.receive(seq % 2 ? data(seq) : control(seq, ALIVE));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(1), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(109, ALIVE)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(2), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(105u, b.sent[1].from);
        CPPUNIT_ASSERT_EQUAL(109u, b.sent[1].to);
        assert_clean(b);
    }

    void window_of_one_acks_every_message() {
        ModePlugin plugin("ftfw");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b, {{"ACKWindowSize", "1", 2}});
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.self());
        for (uint32_t seq = 7; seq < 10; ++seq) {
            b.receive(data(seq));
            world.settle();
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(3), b.sent.size());
        for (uint32_t i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT_EQUAL(7 + i, b.sent[i].from);
            CPPUNIT_ASSERT_EQUAL(7 + i, b.sent[i].to);
        }
    }

    // As in 1.4.7 [obs], 0 stands for the default of both sizes.
    void zero_means_the_default() {
        ModePlugin plugin("ftfw");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b, {{"ACKWindowSize", "0", 2}, {"ResendQueueSize", "0", 3}});
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.self());
        CPPUNIT_ASSERT_EQUAL(uint64_t(131072), mode.queue(1).capacity);
        for (uint32_t seq = 1; seq < 300; ++seq)
            b.receive(data(seq));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(0), b.sent.size());
        b.receive(data(300));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(1), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(1u, b.sent[0].from);
        CPPUNIT_ASSERT_EQUAL(300u, b.sent[0].to);
    }

    void gap_gets_ack_then_nack() {
        ModePlugin plugin("ftfw");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b, {{"ACKWindowSize", "5", 2}});
        b.receive(data(100));
        b.receive(data(101));
        // 102 and 103 are lost.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(104)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(2), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(int(ACK | HELLO), int(b.sent[0].flags));
        CPPUNIT_ASSERT_EQUAL(100u, b.sent[0].from);
        CPPUNIT_ASSERT_EQUAL(101u, b.sent[0].to);
        CPPUNIT_ASSERT_EQUAL(int(NACK | HELLO), int(b.sent[1].flags));
        CPPUNIT_ASSERT_EQUAL(102u, b.sent[1].from);
        CPPUNIT_ASSERT_EQUAL(103u, b.sent[1].to);
        // The message after the gap opens the next window.
        for (uint32_t seq = 105; seq < 108; ++seq)
            b.receive(data(seq));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(2), b.sent.size());
        b.receive(data(108));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(104u, b.sent[2].from);
        CPPUNIT_ASSERT_EQUAL(108u, b.sent[2].to);
        // A late message is dropped, not acknowledged.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DROP, b.receive(data(102)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(108u, b.peer_last_seq);
        // A gap without a pending range: only the NACK.
        b.receive(data(111));
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(4), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(int(NACK | HELLO), int(b.sent[3].flags));
        CPPUNIT_ASSERT_EQUAL(109u, b.sent[3].from);
        CPPUNIT_ASSERT_EQUAL(110u, b.sent[3].to);
        assert_clean(b);
    }

    void nack_retransmits_with_new_sequence_numbers() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o1 = a.add_flow(), *o2 = a.add_flow(), *o3 = a.add_flow();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        uint32_t s1 = a.sent[0].seq, s2 = a.sent[1].seq, s3 = a.sent[2].seq;
        CPPUNIT_ASSERT_EQUAL(o1->id, a.sent[0].object);
        CPPUNIT_ASSERT_EQUAL(int(HELLO), int(a.sent[0].flags));
        a.update_flow(o3); // o3 goes back to the tx queue
        world.settle();
        uint32_t s4 = a.sent[3].seq;
        CPPUNIT_ASSERT_EQUAL(expected_listing({object_line(s1), object_line(s2), object_line(s4)}),
                             mode.resend_queue_text());

        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(500, NACK, s2, s2)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(a.sent), size_t(5), a.sent.size());
        const Sent &again = a.sent[4];
        CPPUNIT_ASSERT_EQUAL(o2->id, again.object);
        CPPUNIT_ASSERT_EQUAL(0, int(again.type)); // still NEW
        CPPUNIT_ASSERT(again.seq != s2 && seq_after(again.seq, s4));
        CPPUNIT_ASSERT_EQUAL(
            expected_listing({object_line(s1), object_line(s4), object_line(again.seq)}),
            mode.resend_queue_text());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), a.counters["retransmitted"]);
        // A range over several entries, in order.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(501, NACK, s1, s4)));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(7), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(o1->id, a.sent[5].object);
        CPPUNIT_ASSERT_EQUAL(o3->id, a.sent[6].object);
        CPPUNIT_ASSERT_EQUAL(1, int(a.sent[6].type)); // updated: UPDATE
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), a.counters["retransmitted"]);
        (void)s3;
        assert_clean(a);
    }

    void nack_retransmits_control_messages() {
        ModePlugin plugin("ftfw");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b, {{"ACKWindowSize", "2", 2}});
        b.receive(data(10));
        b.receive(data(11)); // ACK [10,11]
        b.receive(data(14)); // NACK [12,13]
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(2), b.sent.size());
        Sent ack = b.sent[0], nack = b.sent[1];
        CPPUNIT_ASSERT_EQUAL(
            expected_listing({"control -> seq:" + std::to_string(ack.seq) + " flags:40",
                              "control -> seq:" + std::to_string(nack.seq) + " flags:36"}),
            mode.resend_queue_text());
        // The peer lost both: they go again, same ranges, new numbers.  (The
        // NACK itself closes a window: its ACK follows them.)
        b.receive(control(15, NACK, ack.seq, nack.seq));
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(b.sent), size_t(5), b.sent.size());
        CPPUNIT_ASSERT_EQUAL(int(ACK | HELLO), int(b.sent[2].flags));
        CPPUNIT_ASSERT_EQUAL(10u, b.sent[2].from);
        CPPUNIT_ASSERT_EQUAL(11u, b.sent[2].to);
        CPPUNIT_ASSERT_EQUAL(int(NACK | HELLO), int(b.sent[3].flags));
        CPPUNIT_ASSERT_EQUAL(12u, b.sent[3].from);
        CPPUNIT_ASSERT_EQUAL(13u, b.sent[3].to);
        CPPUNIT_ASSERT(b.sent[2].seq != ack.seq && b.sent[3].seq != nack.seq);
        CPPUNIT_ASSERT_EQUAL(14u, b.sent[4].from);
        CPPUNIT_ASSERT_EQUAL(15u, b.sent[4].to);
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), mode.queue(1).length);
    }

    void ack_releases_resend_queue() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        for (int i = 0; i < 4; ++i)
            a.add_flow();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(4), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(4), a.held_references());
        uint32_t s1 = a.sent[0].seq, s2 = a.sent[1].seq, s3 = a.sent[2].seq, s4 = a.sent[3].seq;
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(800, ACK, s1, s2)));
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), a.held_references());
        CPPUNIT_ASSERT_EQUAL(expected_listing({object_line(s3), object_line(s4)}),
                             mode.resend_queue_text());
        // An ACK of what is gone already changes nothing.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(801, ACK, s1, s2)));
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(802, ACK, s2, s4)));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        CPPUNIT_ASSERT_EQUAL(expected_listing({}), mode.resend_queue_text());
        assert_clean(a);
    }

    // The peer acknowledged later messages twice without asking for s1 (its
    // NACK got lost for good): s1 goes out again, nothing is left behind.
    void messages_passed_over_by_two_acks_are_sent_again() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        for (int i = 0; i < 4; ++i)
            a.add_flow();
        world.settle();
        uint32_t s1 = a.sent[0].seq, s3 = a.sent[2].seq, s4 = a.sent[3].seq;
        const uint32_t object1 = a.sent[0].object;
        a.receive(control(800, ACK, s3, s3));
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("one ACK past it: not yet", uint64_t(3), mode.queue(1).length);
        const size_t before = a.sent.size();
        a.receive(control(801, ACK, s4, s4));
        world.settle();
        // s1 and s2 were before the previous ACK's start: both sent again.
        CPPUNIT_ASSERT_EQUAL(before + 2, a.sent.size());
        CPPUNIT_ASSERT_EQUAL(object1, a.sent[before].object);
        CPPUNIT_ASSERT(seq_after(a.sent[before].seq, s4));
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(1).length);
        (void)s1;
    }

    void dead_objects_held_until_acknowledged() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o = a.add_flow();
        Object *gone_before_sent = a.add_flow();
        a.destroy_flow(gone_before_sent); // still queued: sent once, as DELETE
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(a.sent), size_t(2), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(2, int(a.sent[1].type));
        CPPUNIT_ASSERT(!gone_before_sent->freed);
        a.destroy_flow(o);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(2, int(a.sent[2].type));
        CPPUNIT_ASSERT_EQUAL(o->id, a.sent[2].object);
        CPPUNIT_ASSERT(!o->freed);
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(1).length);
        a.receive(control(50, ACK, a.sent[1].seq, a.sent[1].seq));
        CPPUNIT_ASSERT(gone_before_sent->freed);
        CPPUNIT_ASSERT(!o->freed);
        a.receive(control(51, ACK, a.sent[2].seq, a.sent[2].seq));
        CPPUNIT_ASSERT(o->freed);
        assert_clean(a);
    }

    void hello_flushes_resend_queue_and_is_answered_once() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o1 = a.add_flow(), *o2 = a.add_flow();
        a.add_flow();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(3), mode.queue(1).length);
        // The peer restarted: it says HELLO.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(900, ALIVE | HELLO)));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        a.update_flow(o1);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(int(HELLO | HELLO_BACK), int(a.sent.back().flags));
        a.update_flow(o2);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(int(HELLO), int(a.sent.back().flags));
        // HELLO_BACK ends our HELLO.
        a.receive(control(901, ALIVE | HELLO_BACK));
        a.update_flow(o2);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(0, int(a.sent.back().flags));
        // A message with HELLO is in sync whatever its number: no NACK.
        a.receive(data(5, HELLO));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.seq_lost);
        CPPUNIT_ASSERT_EQUAL(5u, a.peer_last_seq);
        for (const Sent &s : a.controls())
            CPPUNIT_ASSERT(!(s.flags & NACK));
        assert_clean(a);
    }

    // Our HELLO_BACK got lost: the peer repeats HELLO.  What we sent after
    // its first HELLO is for the restarted peer and must stay resendable;
    // only a new restart (HELLO after a message without it) drops it.
    void repeated_hello_keeps_what_was_sent_since() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o1 = a.add_flow();
        world.settle();
        a.receive(control(900, ALIVE | HELLO));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        a.update_flow(o1);
        world.settle();
        const uint32_t sent_seq = a.sent.back().seq;
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), mode.queue(1).length);
        // The repeat: the message that carried HELLO_BACK was lost.
        a.receive(control(901, ALIVE | HELLO));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("kept for the restarted peer", uint64_t(1), mode.queue(1).length);
        // The peer lost the object too, and asks for it.
        const size_t before = a.sent.size();
        a.receive(control(902, NACK | HELLO, sent_seq, sent_seq));
        world.settle();
        CPPUNIT_ASSERT(a.sent.size() > before);
        bool resent = false;
        for (size_t i = before; i < a.sent.size(); ++i)
            resent = resent || !a.sent[i].control();
        CPPUNIT_ASSERT_MESSAGE("the object went out again", resent);
        // The peer heard HELLO_BACK (no HELLO any more), then restarts again.
        a.receive(control(903, ALIVE));
        CPPUNIT_ASSERT(mode.queue(1).length > 0);
        a.receive(control(7, ALIVE | HELLO));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("a new restart drops it", uint64_t(0), mode.queue(1).length);
    }

    // The HELLOs a restarted peer repeats are numbered as usual: a message
    // of theirs lost among them (a NACK, say) is asked for again.  One
    // numbered backwards is another restart.
    void gaps_among_repeated_hellos_are_nacked() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        a.receive(control(900, ALIVE | HELLO));
        a.receive(control(901, ALIVE | HELLO));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.seq_lost);
        // 902 and 903 were lost.
        a.receive(control(904, ALIVE | HELLO));
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), a.seq_lost);
        bool nacked = false;
        for (const Sent &c : a.controls())
            nacked = nacked || ((c.flags & NACK) && c.from == 902 && c.to == 903);
        CPPUNIT_ASSERT_MESSAGE("NACK [902, 903]", nacked);
        // Numbered backwards: the peer restarted again, in sync from there.
        Object *o = a.add_flow();
        world.settle();
        (void)o;
        CPPUNIT_ASSERT(mode.queue(1).length > 0);
        a.receive(control(3, ALIVE | HELLO));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(3u, a.peer_last_seq);
    }

    void requeued_object_moves_back_to_tx_queue() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o = a.add_flow();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), mode.queue(1).length);
        a.update_flow(o);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), mode.queue(0).length);
        a.update_flow(o); // already queued: not twice
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), mode.queue(0).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), a.held_references());
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(2), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(1, int(a.sent[1].type));
        CPPUNIT_ASSERT_EQUAL(expected_listing({object_line(a.sent[1].seq)}), mode.resend_queue_text());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), a.held_references());
        assert_clean(a);
    }

    void alive_timer_sends_alive_or_pending_ack() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        uint64_t start = world.now_us;
        ModeInstance mode(plugin, a);
        world.run_for(second - 1);
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.sent.size());
        world.run_for(1);
        CPPUNIT_ASSERT_EQUAL(size_t(1), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(int(ALIVE | HELLO), int(a.sent[0].flags));
        CPPUNIT_ASSERT_EQUAL(start + second, a.sent[0].when_us);
        // A transmission postpones the timer by a second.
        world.run_for(second / 2);
        a.add_flow();
        world.settle();
        world.run_for(second - 1);
        CPPUNIT_ASSERT_EQUAL(size_t(2), a.sent.size());
        // Pending range: the timer sends its ACK instead of an ALIVE.
        a.receive(data(40));
        a.receive(data(41));
        world.run_for(1);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(a.sent), size_t(3), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(int(ACK | HELLO), int(a.sent[2].flags));
        CPPUNIT_ASSERT_EQUAL(40u, a.sent[2].from);
        CPPUNIT_ASSERT_EQUAL(41u, a.sent[2].to);
        // Nothing pending any more: ALIVE again.
        world.run_for(second);
        CPPUNIT_ASSERT_EQUAL(int(ALIVE | HELLO), int(a.sent.back().flags));
        // ALIVE is not kept for retransmission, the ACK is.
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(1).length);
        assert_clean(a);
    }

    void resync_request_and_answer() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        CPPUNIT_ASSERT(mode.ops().request_resync);
        for (int i = 0; i < 3; ++i)
            a.add_flow();
        a.destroy_flow(a.add_flow());
        world.settle();
        a.receive(control(60, ACK, a.sent.front().seq, a.sent.back().seq));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        size_t before = a.sent.size();
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, a.receive(control(61, RESYNC)));
        // As 1.4.7 logs it [obs].
        CPPUNIT_ASSERT_EQUAL(size_t(2), a.logs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("resync requested by other node"), a.logs[0].second);
        CPPUNIT_ASSERT_EQUAL(std::string("sending bulk update"), a.logs[1].second);
        CPPUNIT_ASSERT_EQUAL(uint32_t(CTD_LOG_NOTICE), a.logs[0].first);
        world.settle();
        // Every live object again (the destroyed one is gone).
        CPPUNIT_ASSERT_EQUAL(before + 3, a.sent.size());
        std::set<uint32_t> ids;
        for (size_t i = before; i < a.sent.size(); ++i)
            ids.insert(a.sent[i].object);
        CPPUNIT_ASSERT_EQUAL(size_t(3), ids.size());

        mode.request_resync();
        world.settle();
        const Sent &resync = a.sent.back();
        CPPUNIT_ASSERT_EQUAL(10, int(resync.type));
        CPPUNIT_ASSERT_EQUAL(int(RESYNC | HELLO), int(resync.flags));
        CPPUNIT_ASSERT_EQUAL(0u, resync.from);
        CPPUNIT_ASSERT_EQUAL(0u, resync.to);
        std::string listing = mode.resend_queue_text();
        CPPUNIT_ASSERT_MESSAGE(listing, listing.find("control -> seq:" + std::to_string(resync.seq) +
                                                     " flags:34\n") != std::string::npos);
        // -B sends everything too.
        before = a.sent.size();
        mode.send_bulk();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(before + 3, a.sent.size());
        assert_clean(a);
    }

    void receive_classification() {
        ModePlugin plugin("ftfw");
        World world;
        Host b(world);
        ModeInstance mode(plugin, b);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(1, 0, 2)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DATA, b.receive(data(2, HELLO_BACK, 5)));
        // ACK and NACK ranges must not run backwards; a bad one is not
        // recorded as received.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(control(3, ACK, 10, 9)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(control(3, NACK, 10, 9)));
        CPPUNIT_ASSERT_EQUAL(2u, b.peer_last_seq);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(3, ACK, 9, 10)));
        // A state message with a control flag, a control message with no
        // known flag, a type the protocol does not have.
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(data(4, ACK)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(control(4, 0x01)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_BAD, b.receive(data(4, 0, 7)));
        CPPUNIT_ASSERT_EQUAL(3u, b.peer_last_seq);
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DROP, b.receive(data(2)));
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_CTL, b.receive(control(4, ALIVE)));
    }

    void cache_flush_sends_nothing() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *sent_first = a.add_flow();
        world.settle();
        for (int i = 0; i < 3; ++i)
            a.add_flow();
        a.update_flow(sent_first);
        a.flush_cache(); // `conntrackd -f internal`: the peer is not told
        world.settle();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(a.sent), size_t(1), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        for (const auto &o : a.objects)
            CPPUNIT_ASSERT(o->freed);
        assert_clean(a);
    }

    // The table the daemon starts with is not news: 1.4.7 sends nothing
    // for it [obs] until it changes or is asked for.
    void flows_loaded_at_startup_are_not_sent() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        Object *o = a.load_flow();
        a.load_flow();
        world.run_for(second / 2);
        CPPUNIT_ASSERT_EQUAL(size_t(0), a.sent.size());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        a.update_flow(o);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(1), a.sent.size());
        mode.send_bulk();
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        // An event this mode does not know is ignored.
        mode.ops().local_change(mode.self(), mock::as_c(o), 0x80);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(3), a.sent.size());
        assert_clean(a);
    }

    void queue_statistics() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a, {{"ResendQueueSize", "1000", 2}});
        int has = 0;
        ctd_queue_stats tx = mode.queue(0, &has);
        CPPUNIT_ASSERT_EQUAL(1, has);
        CPPUNIT_ASSERT_EQUAL(uint64_t(2147483647), tx.capacity);
        CPPUNIT_ASSERT_EQUAL(uint32_t(sizeof(ctd_queue_stats)), tx.size);
        ctd_queue_stats rs = mode.queue(1, &has);
        CPPUNIT_ASSERT_EQUAL(1, has);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1000), rs.capacity);
        mode.queue(2, &has);
        CPPUNIT_ASSERT_EQUAL(0, has);
        a.add_flow();
        a.add_flow();
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(0).length);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(0).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), mode.queue(1).length);
        // A core with an older, shorter struct gets no more than it has.
        ctd_queue_stats small{};
        small.size = offsetof(ctd_queue_stats, capacity);
        small.capacity = 12345;
        CPPUNIT_ASSERT_EQUAL(1, mode.ops().queue_stats(mode.self(), 1, &small));
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), small.length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(12345), small.capacity);
    }

    // A bulk send of a big cache goes out over several main-loop rounds, so
    // that ACKs arriving meanwhile are processed.
    void bulk_is_spread_over_rounds() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world);
        ModeInstance mode(plugin, a);
        for (int i = 0; i < 5000; ++i)
            a.add_flow();
        world.round();
        size_t first_round = a.sent.size();
        CPPUNIT_ASSERT(first_round > 0 && first_round < 5000);
        // An ACK between rounds releases what it covers at once.
        a.receive(control(1, ACK, a.sent.front().seq, a.sent.back().seq));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode.queue(1).length);
        world.settle();
        CPPUNIT_ASSERT_EQUAL(size_t(5000), a.sent.size());
        assert_clean(a);
    }

    // The reference drops the oldest entry of a full resend queue and so
    // loses flows under loss; with back-pressure a resend queue of 4 and
    // 20% loss in both directions lose nothing.
    void backpressure_loses_nothing_under_loss() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world, "A"), b(world, "B");
        a.peer = &b;
        b.peer = &a;
        uint32_t lcg = 12345;
        auto lossy = [&lcg](const Sent &) {
            lcg = lcg * 1103515245u + 12345u;
            return (lcg >> 16) % 100 < 20;
        };
        ModeInstance mode_a(plugin, a, {{"ResendQueueSize", "4", 2}});
        ModeInstance mode_b(plugin, b, {{"ACKWindowSize", "3", 2}});
        world.run_for(3 * second); // the handshake, without loss
        a.drop = lossy;
        b.drop = lossy;

        const int flows = 400;
        std::vector<Object *> objects;
        for (int i = 0; i < flows; ++i)
            objects.push_back(a.add_flow());
        size_t most_objects = 0;
        for (int step = 0; step < 3000; ++step) {
            world.run_for(second / 10);
            most_objects = std::max(most_objects, count_objects(mode_a.resend_queue_text()));
            if (step == 50)
                for (int i = 0; i < 50; ++i)
                    a.update_flow(objects[i]);
            if (step == 80)
                for (int i = 50; i < 100; ++i)
                    a.destroy_flow(objects[i]);
        }
        // Lossless now, so the last losses get repaired.
        a.drop = nullptr;
        b.drop = nullptr;
        world.run_for(5 * second);

        CPPUNIT_ASSERT(a.dropped > 50 && b.dropped > 10);
        CPPUNIT_ASSERT(a.counters["resend_queue_full"] > 0);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(most_objects), most_objects <= 4);
        int missing = 0;
        for (Object *o : objects) {
            auto it = b.external.find(o->id);
            uint8_t expected = static_cast<uint8_t>(std::min<uint32_t>(o->state, 2));
            if (it == b.external.end() || it->second != expected)
                ++missing;
        }
        CPPUNIT_ASSERT_EQUAL(0, missing);
        CPPUNIT_ASSERT_EQUAL(size_t(0), count_objects(mode_a.resend_queue_text()));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), mode_a.queue(0).length);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        for (int i = 50; i < 100; ++i)
            CPPUNIT_ASSERT(objects[i]->freed);
        assert_clean(a);
        assert_clean(b);
    }

    // Observed: A's NEW is lost, B's next message is answered by A's ACK,
    // B sees the gap and NACKs it, A sends the flow again as NEW with a new
    // number, and ACKs resume.
    void loss_is_recovered_as_observed() {
        ModePlugin plugin("ftfw");
        World world;
        Host a(world, "A"), b(world, "B");
        a.peer = &b;
        b.peer = &a;
        ModeInstance mode_a(plugin, a);
        ModeInstance mode_b(plugin, b);
        world.run_for(5 * second + second / 2);
        bool lose_next_state = true;
        a.drop = [&](const Sent &s) {
            if (s.control() || !lose_next_state)
                return false;
            lose_next_state = false;
            return true;
        };
        Object *o = a.add_flow();
        world.settle();
        size_t mark_a = a.sent.size() - 1, mark_b = b.sent.size();
        uint32_t lost = a.sent[mark_a].seq;
        world.run_for(3 * second);
        std::string both = "A:\n" + describe(a.sent) + "B:\n" + describe(b.sent);
        // B's NACK names exactly the lost message.
        bool nacked = false;
        for (size_t i = mark_b; i < b.sent.size(); ++i)
            if (b.sent[i].flags & NACK) {
                nacked = true;
                CPPUNIT_ASSERT_EQUAL_MESSAGE(both, lost, b.sent[i].from);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(both, lost, b.sent[i].to);
            }
        CPPUNIT_ASSERT_MESSAGE(both, nacked);
        // A sent the flow again, as NEW, with a later number.
        int resent = 0;
        for (size_t i = mark_a + 1; i < a.sent.size(); ++i)
            if (!a.sent[i].control()) {
                ++resent;
                CPPUNIT_ASSERT_EQUAL(o->id, a.sent[i].object);
                CPPUNIT_ASSERT_EQUAL(0, int(a.sent[i].type));
                CPPUNIT_ASSERT(seq_after(a.sent[i].seq, lost));
            }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(both, 1, resent);
        CPPUNIT_ASSERT_EQUAL(uint8_t(0), b.external[o->id]);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), a.held_references());
        assert_clean(a);
        assert_clean(b);
    }

private:
    static bool seq_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FtfwTest);
