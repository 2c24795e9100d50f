// Sync mode "ftfw": reliable replication (reference-behaviour 4.6).
//
// Sender: changes wait in the transmit queue; once sent, an object (and an
// ACK, NACK or RESYNC) waits in the resend queue, tagged with the sequence
// number it went out with, until the peer acknowledges it.  A NACK sends
// the range again, with new sequence numbers.  Every message carries HELLO
// until the peer answers with HELLO_BACK.
//
// Receiver: messages are counted in windows of ACKWindowSize and each
// window is acknowledged; a gap is answered with an ACK of what came before
// it and a NACK of what is missing.  A peer's HELLO means it lost its
// state: our resend queue is dropped, and its numbering starts again (once
// per restart, not at each of the HELLOs it repeats until our HELLO_BACK
// gets through: those are numbered as usual).  A one-second timer sends the pending
// ACK, or an ALIVE when there is none.
//
// Unlike the reference, which drops the oldest entry of a full resend queue
// (and so loses flows when a bulk send meets packet loss), a full resend
// queue here stops objects from leaving the transmit queue until ACKs make
// room: nothing is lost, however small ResendQueueSize is.  Control
// messages are never held back and go out before objects, so two peers
// bulk-sending to each other keep acknowledging each other.
#include "sync_mode.hpp"

#include <cinttypes>
#include <cstdio>
#include <memory>

namespace {

using namespace ctd::syncmode;
using ctd::sdk::Verdict;

enum class Where : uint8_t { nowhere = 0, tx = 1, resend = 2 };
enum class Kind : uint8_t { object = 0, control = 1 };

// An entry of the transmit or the resend queue.  The object kind lives in
// the object's area (zero-filled, so it starts as an unqueued object).
struct Node {
    ListLink link; // first: a ListLink* is a Node*
    uint32_t seq;  // sequence number it was last sent with
    Where where;
    Kind kind;
    uint8_t destroyed; // object: its destruction was reported (see TxNode)
    uint8_t flags;     // control: the flags it was last sent with
};

struct ObjectNode : Node {
    ctd_object *object;
};

struct ControlNode : Node {
    uint8_t request; // ACK, NACK, RESYNC or ALIVE
    uint32_t from, to;
};

Node *node_of(ListLink *link) { return reinterpret_cast<Node *>(link); }

enum class Hello : uint8_t { saying_hello, done };

class Ftfw : public ctd::sdk::SyncMode {
public:
    static constexpr ctd_config_key config_keys[] = {
        // 0 means the default, as in the reference.
        {"ResendQueueSize", CTD_CONFIG_UINT, 0, "131072",
         "messages kept for retransmission until acknowledged (0: the default)", 0, UINT32_MAX},
        {"ACKWindowSize", CTD_CONFIG_UINT, 0, "300",
         "messages received between two acknowledgements (0: the default)", 0, UINT32_MAX},
        // Read by the core from the same block.
        {"CommitTimeout", CTD_CONFIG_UINT, 0, nullptr,
         "seconds committed flows live in the kernel (default: the received timeout)", 0, 0},
        {"PurgeTimeout", CTD_CONFIG_UINT, 0, "60",
         "seconds before `conntrackd -t' flushes the kernel table", 0, 0},
        {"DisableExternalCache", CTD_CONFIG_BOOL, 0, "off",
         "inject received flows into the kernel at once, without an external cache", 0, 0},
        {"StartupResync", CTD_CONFIG_BOOL, 0, "off",
         "ask the peer for its whole cache at startup", 0, 0},
    };

    Ftfw(ctd::sdk::SyncHost host, const ctd::sdk::Config &config)
        : host_(host),
          resend_capacity_(
              static_cast<uint64_t>(or_default(config.number("ResendQueueSize"), 131072))),
          window_size_(or_default(config.number("ACKWindowSize"), 300)),
          window_(window_size_), task_(host, [this] { transmit(); }),
          alive_timer_(host, [this] { alive(); }),
          stalls_(host, "resend_queue_full",
                  "times objects waited for acknowledgements because the resend queue was full"),
          retransmitted_(host, "retransmitted", "messages sent again after a NACK"),
          passed_over_(host, "passed_over",
                       "times unacknowledged messages passed over by two ACKs were sent again") {
        alive_timer_.arm(one_second_us);
    }

    ~Ftfw() override {
        task_.disarm();
        alive_timer_.disarm();
        for (List *list : {&tx_objects_, &resend_, &tx_controls_})
            while (ListLink *link = list->pop_front())
                forget(node_of(link));
    }

    void local_change(ctd_object *object, uint32_t event) override {
        // A flow loaded from the kernel table is not news for the peer.
        if (event != CTD_EVENT_NEW && event != CTD_EVENT_UPDATE && event != CTD_EVENT_DESTROY)
            return;
        ObjectNode *node = host_.area<ObjectNode>(object);
        node->destroyed = event == CTD_EVENT_DESTROY;
        enqueue(node, object);
    }

    Verdict receive(const ctd_sync_message &m) override {
        if (m.flags & CTD_SYNC_F_HELLO_BACK && hello_ == Hello::saying_hello)
            hello_ = Hello::done;
        // A restarted peer says HELLO on every message until our HELLO_BACK
        // reaches it.  Its first HELLO means it lost its state: what we
        // sent and it never acknowledged is gone with it, so our resend
        // queue is dropped, and its numbering starts there.  The HELLOs it
        // repeats come from the same restart: numbered as usual, so a gap
        // among them is NACKed like any other (a NACK of theirs lost then
        // would otherwise never be asked for again), and what we sent
        // since the first is kept for resending.  A HELLO numbered before
        // the last one can only be another restart.
        uint32_t relation = CTD_SEQ_UNSET;
        if (m.flags & CTD_SYNC_F_HELLO) {
            say_hello_back_ = true;
            if (peer_saying_hello_)
                relation = host_.seq_track(m.seq);
            if (!peer_saying_hello_ || relation == CTD_SEQ_BEFORE || relation == CTD_SEQ_UNSET) {
                peer_saying_hello_ = true;
                if (ack_pending_ && seq_before(m.seq, ack_from_))
                    ack_from_ = m.seq;
                drop_resend_queue();
                return in_sync(m);
            }
        } else {
            peer_saying_hello_ = false;  // it heard our HELLO_BACK
            relation = host_.seq_track(m.seq);
        }
        switch (relation) {
        case CTD_SEQ_AFTER: {
            Verdict verdict = digest(m);
            if (verdict == Verdict::bad)
                return verdict;
            uint32_t expected = last_seq_ + 1;
            if (ack_pending_)
                enqueue_control(CTD_SYNC_F_ACK, ack_from_, expected - 1);
            enqueue_control(CTD_SYNC_F_NACK, expected, m.seq - 1);
            // This message opens the next window.
            window_ = window_size_ - 1;
            ack_from_ = m.seq;
            ack_pending_ = true;
            seq_update(m.seq);
            return verdict;
        }
        case CTD_SEQ_BEFORE:
            return Verdict::drop; // late: neither applied nor acknowledged
        default:
            return in_sync(m);
        }
    }

    void send_bulk() override { enqueue_everything(); }

    void request_resync() override { enqueue_control(CTD_SYNC_F_RESYNC, 0, 0); }

    bool queue_stats(uint32_t which, ctd_queue_stats &out) const override {
        if (which == 0) {
            out.length = tx_objects_.size() + tx_controls_.size();
            out.capacity = tx_queue_capacity;
            return true;
        }
        if (which == 1) {
            out.length = resend_.size();
            out.capacity = resend_capacity_;
            return true; // overflows stay 0: a full queue holds objects back
        }
        return false;
    }

    void dump_resend_queue(int fd) override {
        std::string text;
        char line[64];
        std::snprintf(line, sizeof line, "resent queue (len=%zu)\n", resend_.size());
        text += line;
        for (ListLink *link = resend_.front(); link; link = resend_.next(link)) {
            const Node *node = node_of(link);
            if (node->kind == Kind::control)
                std::snprintf(line, sizeof line, "control -> seq:%" PRIu32 " flags:%u\n", node->seq,
                              static_cast<unsigned>(node->flags));
            else
                std::snprintf(line, sizeof line, "object -> seq:%" PRIu32 "\n", node->seq);
            text += line;
            if (text.size() > 65536) {
                write_all(fd, text);
                text.clear();
            }
        }
        write_all(fd, text);
    }

private:
    // -- receiving --------------------------------------------------------

    // A message in sequence (or the first, or one carrying HELLO).
    Verdict in_sync(const ctd_sync_message &m) {
        Verdict verdict = digest(m);
        if (verdict == Verdict::bad)
            return verdict;
        if (!ack_pending_) {
            ack_pending_ = true;
            ack_from_ = m.seq;
        }
        if (--window_ <= 0) {
            enqueue_control(CTD_SYNC_F_ACK, ack_from_, m.seq);
            window_ = window_size_;
            ack_pending_ = false;
        }
        seq_update(m.seq);
        return verdict;
    }

    Verdict digest(const ctd_sync_message &m) {
        if (is_data(m))
            return Verdict::data;
        if (is_ack(m)) {
            if (seq_before(m.to, m.from))
                return Verdict::bad;
            acknowledge(m.from, m.to);
            return Verdict::control;
        }
        if (is_nack(m)) {
            if (seq_before(m.to, m.from))
                return Verdict::bad;
            resend(m.from, m.to);
            return Verdict::control;
        }
        if (is_resync(m)) {
            // The reference logs both: it answers as to `conntrackd -B`.
            host_.notice("resync requested by other node");
            host_.notice("sending bulk update");
            enqueue_everything();
            return Verdict::control;
        }
        if (is_alive(m))
            return Verdict::control;
        return Verdict::bad;
    }

    void seq_update(uint32_t seq) {
        host_.seq_update(seq);
        last_seq_ = seq;
        seq_known_ = true;
    }

    // The resend queue is in sending order, so in sequence order: a range
    // is a run of it.
    template <class Action>
    void for_range(uint32_t from, uint32_t to, Action &&action) {
        ListLink *link = resend_.front();
        while (link) {
            ListLink *next = resend_.next(link);
            Node *node = node_of(link);
            if (seq_after(node->seq, to))
                break;
            if (!seq_before(node->seq, from))
                action(node);
            link = next;
        }
    }

    // ACK [from, to]: the peer has these; let them go.
    void acknowledge(uint32_t from, uint32_t to) {
        for_range(from, to, [this](Node *node) {
            resend_.remove(&node->link);
            forget(node);
        });
        // A message older than the start of the peer's previous ACK, still
        // unacknowledged, was passed over by two ACKs without a NACK that
        // reached us (a NACK moves it out of the resend queue): sent again,
        // so that no loss of a control message can leave a flow behind for
        // good.  At worst the peer gets a message twice (a lost ACK), which
        // does no harm.
        if (previous_ack_from_known_) {
            const uint32_t passed_over = seq_before(previous_ack_from_, from) ? previous_ack_from_ : from;
            ListLink *oldest = resend_.front();
            if (oldest && seq_before(node_of(oldest)->seq, passed_over)) {
                resend(node_of(oldest)->seq, passed_over - 1);  // in order, as a NACK would
                passed_over_.add();
            }
        }
        previous_ack_from_ = from;
        previous_ack_from_known_ = true;
        // Objects held back by a full resend queue may go now.
        if (has_room() && !tx_objects_.empty())
            schedule();
    }

    // NACK [from, to]: send these again, first thing.
    void resend(uint32_t from, uint32_t to) {
        List again;
        for_range(from, to, [&](Node *node) {
            resend_.remove(&node->link);
            node->where = Where::tx;
            retransmitted_.add();
            if (node->kind == Kind::control)
                tx_controls_.push_back(&node->link);
            else
                again.push_back(&node->link);
        });
        tx_objects_.splice_front(again);
        schedule();
    }

    void drop_resend_queue() {
        bool any = !resend_.empty();
        while (ListLink *link = resend_.pop_front())
            forget(node_of(link));
        if (any && !tx_objects_.empty())
            schedule();
    }

    // -- sending ----------------------------------------------------------

    void enqueue(ObjectNode *node, ctd_object *object) {
        node->object = object;
        switch (node->where) {
        case Where::tx:
            return; // it goes out in the state it has then
        case Where::resend:
            // Sent but not acknowledged, and changed since: the new state
            // replaces the old one, so it moves rather than being queued twice.
            resend_.remove(&node->link);
            break;
        case Where::nowhere:
            host_.hold(object);
            break;
        }
        node->where = Where::tx;
        tx_objects_.push_back(&node->link);
        schedule();
    }

    void enqueue_everything() {
        host_.for_each_object([this](ctd_object *object) {
            enqueue(host_.area<ObjectNode>(object), object);
        });
    }

    void enqueue_control(uint8_t request, uint32_t from, uint32_t to) {
        ControlNode *node = new_control();
        node->request = request;
        node->from = from;
        node->to = to;
        node->where = Where::tx;
        tx_controls_.push_back(&node->link);
        schedule();
    }

    // The HELLO and HELLO_BACK bits the next message carries.
    uint8_t next_hello_bits() {
        uint8_t flags = hello_ == Hello::saying_hello ? CTD_SYNC_F_HELLO : 0;
        if (say_hello_back_) {
            flags |= CTD_SYNC_F_HELLO_BACK;
            say_hello_back_ = false;
        }
        return flags;
    }

    bool has_room() const { return resend_.size() < resend_capacity_; }

    void schedule() {
        if (!scheduled_) {
            scheduled_ = true;
            task_.arm(0);
        }
    }

    void transmit() {
        scheduled_ = false;
        bool sent = false;
        while (ListLink *link = tx_controls_.pop_front()) {
            auto *node = static_cast<ControlNode *>(node_of(link));
            // Built afresh each time: a resent control message must not
            // repeat a HELLO that is over.
            uint8_t flags = node->request | next_hello_bits();
            node->seq = host_.send_control(flags, node->from, node->to);
            node->flags = flags;
            sent = true;
            if (node->request == CTD_SYNC_F_ALIVE) {
                node->where = Where::nowhere;
                free_control(node);
            } else {
                node->where = Where::resend;
                resend_.push_back(&node->link);
            }
        }
        size_t budget = objects_per_round;
        while (!tx_objects_.empty()) {
            if (!has_room()) {
                // Back-pressure: ACKs will make room (and reschedule us).
                stalls_.add();
                break;
            }
            if (budget-- == 0) {
                schedule();
                break;
            }
            auto *node = static_cast<ObjectNode *>(node_of(tx_objects_.pop_front()));
            ctd_object *object = node->object;
            if (!node->destroyed && host_.state(object) == CTD_OBJECT_DEAD) {
                // Dropped by a flush of the internal cache: nothing to tell.
                node->where = Where::nowhere;
                host_.release(object);
                continue;
            }
            node->seq = host_.send_object(object, next_hello_bits());
            node->where = Where::resend;
            resend_.push_back(&node->link);
            sent = true;
        }
        if (sent)
            alive_timer_.arm(one_second_us);
    }

    // Once a second without transmission: the pending ACK, or an ALIVE.
    void alive() {
        if (ack_pending_ && seq_known_) {
            enqueue_control(CTD_SYNC_F_ACK, ack_from_, last_seq_);
            ack_pending_ = false;
        } else {
            enqueue_control(CTD_SYNC_F_ALIVE, 0, 0);
        }
        alive_timer_.arm(one_second_us);
    }

    // A node leaves the queues for good.
    void forget(Node *node) {
        node->where = Where::nowhere;
        if (node->kind == Kind::control)
            free_control(static_cast<ControlNode *>(node));
        else
            host_.release(static_cast<ObjectNode *>(node)->object);
    }

    // Control nodes are recycled: ACKs flow all the time.
    ControlNode *new_control() {
        if (free_controls_.empty()) {
            controls_.push_back(std::make_unique<ControlNode>());
            free_controls_.push_back(controls_.back().get());
        }
        ControlNode *node = free_controls_.back();
        free_controls_.pop_back();
        *node = ControlNode{};
        node->kind = Kind::control;
        return node;
    }
    void free_control(ControlNode *node) { free_controls_.push_back(node); }

    ctd::sdk::SyncHost host_;
    uint64_t resend_capacity_;
    bool peer_saying_hello_ = false;  // the peer's messages carry HELLO
    uint32_t previous_ack_from_ = 0;  // start of the last ACK received
    bool previous_ack_from_known_ = false;
    int64_t window_size_;

    // Receiver state.
    int64_t window_;
    bool ack_pending_ = false;
    uint32_t ack_from_ = 0;
    bool seq_known_ = false;
    uint32_t last_seq_ = 0;

    // Handshake.
    Hello hello_ = Hello::saying_hello;
    bool say_hello_back_ = false;

    // Queues.  Objects are linked through their areas; control messages
    // through nodes of their own.
    List tx_controls_, tx_objects_, resend_;
    std::vector<std::unique_ptr<ControlNode>> controls_;
    std::vector<ControlNode *> free_controls_;

    ctd::sdk::Timer task_; // zero-delay: the transmit queue runs next round
    bool scheduled_ = false;
    ctd::sdk::Timer alive_timer_;
    ctd::sdk::Counter stalls_, retransmitted_, passed_over_;
};

} // namespace

CTD_SYNC_PLUGIN(Ftfw, "ftfw", "1.0",
                "reliable replication: acknowledged windows, retransmission on loss",
                sizeof(ObjectNode))
