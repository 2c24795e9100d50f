// Shared by the notrack, ftfw and alarm sync mode plugins: an intrusive
// list (queues are threaded through the objects' private areas, so queueing
// an object allocates nothing), the wire protocol's message classes and
// sequence arithmetic, and the transmit queue of the modes that send each
// change once (notrack, alarm).
//
// Header-only on purpose: each plugin builds alone from its own folder and
// sees nothing but the SDK and this file.
#pragma once

#include <conntrackd/plugin.hpp>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace ctd::syncmode {

// ---------------------------------------------------------------------------
// Intrusive doubly linked list.  A link whose pointers are null is on no
// list, so a zero-filled object area starts out unlinked.

struct ListLink {
    ListLink *prev;
    ListLink *next;
    bool linked() const { return next != nullptr; }
};

class List {
public:
    List() { head_.prev = head_.next = &head_; }
    List(const List &) = delete;
    List &operator=(const List &) = delete;

    bool empty() const { return size_ == 0; }
    size_t size() const { return size_; }
    ListLink *front() const { return empty() ? nullptr : head_.next; }
    // The link after `link`, or null at the end.
    ListLink *next(const ListLink *link) const { return link->next == &head_ ? nullptr : link->next; }

    void push_back(ListLink *link) { insert_before(&head_, link); }
    void push_front(ListLink *link) { insert_before(head_.next, link); }
    void remove(ListLink *link) {
        link->prev->next = link->next;
        link->next->prev = link->prev;
        link->prev = link->next = nullptr;
        --size_;
    }
    ListLink *pop_front() {
        ListLink *first = front();
        if (first)
            remove(first);
        return first;
    }
    // Moves every link of `other`, in order, before the first of this list.
    void splice_front(List &other) {
        if (other.empty())
            return;
        ListLink *first = other.head_.next, *last = other.head_.prev;
        last->next = head_.next;
        head_.next->prev = last;
        head_.next = first;
        first->prev = &head_;
        size_ += other.size_;
        other.head_.prev = other.head_.next = &other.head_;
        other.size_ = 0;
    }

private:
    void insert_before(ListLink *position, ListLink *link) {
        link->next = position;
        link->prev = position->prev;
        position->prev->next = link;
        position->prev = link;
        ++size_;
    }
    ListLink head_;
    size_t size_ = 0;
};

// ---------------------------------------------------------------------------
// The wire protocol, as the modes see it (reference-behaviour 4.2).

constexpr uint8_t max_state_type = 5; // types 0-5 are state messages
constexpr uint8_t control_type = 10;
constexpr uint8_t hello_flags = CTD_SYNC_F_HELLO | CTD_SYNC_F_HELLO_BACK;

// A state message carries no flag but HELLO and HELLO_BACK.
inline bool is_data(const ctd_sync_message &m) {
    return m.type <= max_state_type && (m.flags & ~hello_flags) == 0;
}
inline bool is_control(const ctd_sync_message &m, uint8_t flag) {
    return m.type == control_type && (m.flags & flag);
}
inline bool is_ack(const ctd_sync_message &m) { return is_control(m, CTD_SYNC_F_ACK); }
inline bool is_nack(const ctd_sync_message &m) { return is_control(m, CTD_SYNC_F_NACK); }
inline bool is_resync(const ctd_sync_message &m) { return is_control(m, CTD_SYNC_F_RESYNC); }
inline bool is_alive(const ctd_sync_message &m) { return is_control(m, CTD_SYNC_F_ALIVE); }

// Sequence numbers compare modulo 2^32, like TCP's.
inline bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_after(uint32_t a, uint32_t b) { return seq_before(b, a); }

// What `-s queue` shows as the capacity of a transmit queue: the reference
// creates them with INT_MAX.
constexpr uint64_t tx_queue_capacity = INT_MAX;

// Objects a transmit queue sends per main-loop round at most.  A bulk send
// of a large cache is spread over rounds, so what arrives meanwhile (ACKs
// above all, but also kernel events and requests) is not kept waiting.
constexpr size_t objects_per_round = 1024;

constexpr uint64_t one_second_us = 1000000;

// The reference replaces a size or time of 0 (or left out) by its default.
inline int64_t or_default(int64_t value, int64_t fallback) { return value > 0 ? value : fallback; }

// Writes all of `text` to a client's socket (or any fd).
inline void write_all(int fd, const std::string &text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // the client went away: nothing else to do
        done += static_cast<size_t>(n);
    }
}

// ---------------------------------------------------------------------------
// The transmit queue of the modes that send each change once (notrack,
// alarm).  Objects are threaded through the TxNode in their area and held
// while queued; control messages go out before objects.

struct TxNode {
    ListLink link;
    ctd_object *object;
    // Set when the core reported the object's destruction.  A dead object
    // without it was dropped by a flush of the internal cache, which the
    // reference does not tell the peer about.
    uint8_t destroyed;
    uint8_t reserved[7];
};

inline TxNode *tx_node_of(ListLink *link) { return reinterpret_cast<TxNode *>(link); }

class SendOnceQueue {
public:
    // `sent` runs after every round that sent something (notrack re-arms its
    // ALIVE timer there).
    SendOnceQueue(sdk::SyncHost host, std::function<void()> sent = {})
        : host_(host), sent_(std::move(sent)), task_(host, [this] { transmit(); }) {}
    SendOnceQueue(const SendOnceQueue &) = delete;
    SendOnceQueue &operator=(const SendOnceQueue &) = delete;
    ~SendOnceQueue() {
        while (ListLink *link = objects_.pop_front())
            host_.release(tx_node_of(link)->object);
    }

    // Queues an object unless it is queued already (it is sent once, in the
    // state it has when its turn comes).
    void enqueue(TxNode *node, ctd_object *object, bool destroyed) {
        node->object = object;
        node->destroyed = destroyed;
        if (node->link.linked())
            return;
        host_.hold(object);
        objects_.push_back(&node->link);
        schedule();
    }
    void enqueue_control(uint8_t flags, uint32_t from = 0, uint32_t to = 0) {
        controls_.push_back(Control{flags, from, to});
        schedule();
    }
    size_t length() const { return objects_.size() + controls_.size(); }

private:
    struct Control {
        uint8_t flags;
        uint32_t from, to;
    };
    void schedule() {
        if (!scheduled_) {
            scheduled_ = true;
            task_.arm(0);
        }
    }
    void transmit() {
        scheduled_ = false;
        bool sent = false;
        for (const Control &c : controls_) {
            host_.send_control(c.flags, c.from, c.to);
            sent = true;
        }
        controls_.clear();
        for (size_t budget = objects_per_round; budget && !objects_.empty(); --budget) {
            TxNode *node = tx_node_of(objects_.pop_front());
            ctd_object *object = node->object;
            if (node->destroyed || host_.state(object) != CTD_OBJECT_DEAD) {
                host_.send_object(object, 0);
                sent = true;
            }
            host_.release(object);
        }
        if (!objects_.empty())
            schedule();
        if (sent && sent_)
            sent_();
    }

    sdk::SyncHost host_;
    std::function<void()> sent_;
    sdk::Timer task_; // a zero-delay timer: "run in the next main-loop round"
    bool scheduled_ = false;
    List objects_;
    std::vector<Control> controls_;
};

} // namespace ctd::syncmode
