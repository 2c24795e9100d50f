// Sync mode "alarm": periodic refresh (reference-behaviour 4.8).
//
// Every change of the internal cache is sent at once, and every object (the
// ones found in the kernel table at startup too) is sent again when its
// refresh timer expires: after random() % RefreshTime + 1 seconds plus
// (random() % 5 + 1) * 200000 - 1 microseconds, a delay drawn again at each
// update and each refresh.  The message type follows the
// object's state, so a flow never updated keeps going out as NEW.  No
// control message is ever sent; the peer's received flows expire after
// CacheTimeout seconds without news.
//
// The refresh timers of a large cache (hundreds of thousands of flows) are
// not host timers: each object keeps its deadline in its area, a binary
// heap orders them, and one host timer is armed for the earliest.
#include "sync_mode.hpp"

#include <cstdlib>

namespace {

using namespace ctd::syncmode;
using ctd::sdk::Verdict;

struct AlarmArea {
    TxNode tx;            // first: the transmit queue's node
    uint64_t deadline_us; // next refresh, monotonic microseconds
    uint32_t heap_slot;   // position in the heap + 1; 0: no refresh scheduled
    uint32_t reserved;
};

// Refresh deadlines closer than this to the one that woke us up are served
// in the same wake-up, so a large cache costs tens of wake-ups a second, not
// one per object.
constexpr uint64_t coalesce_us = 10000;

// A binary min-heap of areas by deadline.  Each area knows its slot, so
// rescheduling or cancelling one object is O(log n).
class RefreshHeap {
public:
    bool empty() const { return heap_.empty(); }
    size_t size() const { return heap_.size(); }
    AlarmArea *top() const { return heap_.front(); }

    // Inserts `area`, or moves it if it is in the heap already.  Returns
    // true if it was not in the heap.
    bool schedule(AlarmArea *area, uint64_t deadline_us) {
        bool added = area->heap_slot == 0;
        uint64_t old = area->deadline_us;
        area->deadline_us = deadline_us;
        if (added) {
            heap_.push_back(area);
            area->heap_slot = static_cast<uint32_t>(heap_.size());
            sift_up(heap_.size() - 1);
        } else if (deadline_us < old) {
            sift_up(area->heap_slot - 1);
        } else {
            sift_down(area->heap_slot - 1);
        }
        return added;
    }
    // Takes `area` out.  Returns true if it was in the heap.
    bool cancel(AlarmArea *area) {
        if (area->heap_slot == 0)
            return false;
        size_t at = area->heap_slot - 1;
        area->heap_slot = 0;
        AlarmArea *last = heap_.back();
        heap_.pop_back();
        if (last != area) {
            place(at, last);
            sift_up(at);
            sift_down(last->heap_slot - 1);
        }
        return true;
    }

private:
    void place(size_t at, AlarmArea *area) {
        heap_[at] = area;
        area->heap_slot = static_cast<uint32_t>(at + 1);
    }
    void sift_up(size_t at) {
        AlarmArea *moving = heap_[at];
        while (at > 0) {
            size_t parent = (at - 1) / 2;
            if (heap_[parent]->deadline_us <= moving->deadline_us)
                break;
            place(at, heap_[parent]);
            at = parent;
        }
        place(at, moving);
    }
    void sift_down(size_t at) {
        AlarmArea *moving = heap_[at];
        size_t n = heap_.size();
        for (;;) {
            size_t child = 2 * at + 1;
            if (child >= n)
                break;
            if (child + 1 < n && heap_[child + 1]->deadline_us < heap_[child]->deadline_us)
                ++child;
            if (moving->deadline_us <= heap_[child]->deadline_us)
                break;
            place(at, heap_[child]);
            at = child;
        }
        place(at, moving);
    }

    std::vector<AlarmArea *> heap_;
};

class Alarm : public ctd::sdk::SyncMode {
public:
    static constexpr ctd_config_key config_keys[] = {
        // 0 means the default, as in the reference.
        {"RefreshTime", CTD_CONFIG_UINT, 0, "60",
         "each flow is sent again within this many seconds, plus up to one (0: the default)", 0,
         UINT32_MAX},
        {"CacheTimeout", CTD_CONFIG_UINT, 0, "180",
         "seconds a received flow stays without news (0: the default)", 0, UINT32_MAX},
        // Read by the core from the same block.
        {"CommitTimeout", CTD_CONFIG_UINT, 0, nullptr,
         "seconds committed flows live in the kernel (default: the received timeout)", 0, 0},
        {"PurgeTimeout", CTD_CONFIG_UINT, 0, "60",
         "seconds before `conntrackd -t' flushes the kernel table", 0, 0},
    };

    Alarm(ctd::sdk::SyncHost host, const ctd::sdk::Config &config)
        : host_(host),
          refresh_s_(static_cast<uint32_t>(or_default(config.number("RefreshTime"), 60))), tx_(host), refresh_timer_(host, [this] { refresh_due(); }) {
        host_.set_external_timeout(
            static_cast<uint32_t>(or_default(config.number("CacheTimeout"), 180)));
    }

    ~Alarm() override {
        refresh_timer_.disarm();
        while (!heap_.empty()) {
            AlarmArea *area = heap_.top();
            heap_.cancel(area);
            host_.release(area->tx.object);
        }
    }

    void local_change(ctd_object *object, uint32_t event) override {
        AlarmArea *area = host_.area<AlarmArea>(object);
        area->tx.object = object;
        switch (event) {
        case CTD_EVENT_NEW:
        case CTD_EVENT_UPDATE:
            schedule_refresh(area, host_.monotonic_us());
            tx_.enqueue(&area->tx, object, false);
            break;
        case CTD_EVENT_LOADED:
            // Found in the kernel table at startup: the reference sends it
            // when its first refresh is due, not now.
            schedule_refresh(area, host_.monotonic_us());
            break;
        case CTD_EVENT_DESTROY:
            if (heap_.cancel(area))
                host_.release(object);
            tx_.enqueue(&area->tx, object, true);
            break;
        default:
            return;
        }
        arm_timer();
    }

    Verdict receive(const ctd_sync_message &m) override {
        // This mode has no control messages; one with flags comes from a
        // misconfigured peer and is ignored, not counted as an error.
        if (m.flags)
            return Verdict::control;
        host_.seq_track(m.seq); // loss statistics only
        host_.seq_update(m.seq);
        return Verdict::data;
    }

    // The reference ignores `conntrackd -B` in this mode; here it refreshes
    // every flow now (docs/compatibility.md).
    void send_bulk() override {
        uint64_t now = host_.monotonic_us();
        host_.for_each_object([&](ctd_object *object) {
            AlarmArea *area = host_.area<AlarmArea>(object);
            area->tx.object = object;
            schedule_refresh(area, now);
            tx_.enqueue(&area->tx, object, false);
        });
        arm_timer();
    }

    bool queue_stats(uint32_t which, ctd_queue_stats &out) const override {
        if (which != 0)
            return false;
        out.length = tx_.length();
        out.capacity = tx_queue_capacity;
        return true;
    }

private:
    uint64_t refresh_delay_us() const {
        uint64_t seconds = static_cast<uint64_t>(::random()) % refresh_s_ + 1;
        uint64_t fraction = (static_cast<uint64_t>(::random()) % 5 + 1) * 200000 - 1;
        return seconds * one_second_us + fraction;
    }

    void schedule_refresh(AlarmArea *area, uint64_t now) {
        if (heap_.schedule(area, now + refresh_delay_us()))
            host_.hold(area->tx.object); // the heap points to it
    }

    // One host timer, for the earliest deadline.
    void arm_timer() {
        if (heap_.empty()) {
            if (armed_for_) {
                refresh_timer_.disarm();
                armed_for_ = 0;
            }
            return;
        }
        uint64_t first = heap_.top()->deadline_us;
        if (first == armed_for_)
            return;
        uint64_t now = host_.monotonic_us();
        refresh_timer_.arm(first > now ? first - now : 0);
        armed_for_ = first;
    }

    void refresh_due() {
        armed_for_ = 0;
        uint64_t now = host_.monotonic_us();
        while (!heap_.empty() && heap_.top()->deadline_us <= now + coalesce_us) {
            AlarmArea *area = heap_.top();
            ctd_object *object = area->tx.object;
            if (host_.state(object) == CTD_OBJECT_DEAD) {
                // Dropped by a flush of the internal cache: forget it.
                heap_.cancel(area);
                host_.release(object);
                continue;
            }
            heap_.schedule(area, now + refresh_delay_us());
            tx_.enqueue(&area->tx, object, false);
        }
        arm_timer();
    }

    ctd::sdk::SyncHost host_;
    uint32_t refresh_s_;
    SendOnceQueue tx_;
    RefreshHeap heap_;
    ctd::sdk::Timer refresh_timer_;
    uint64_t armed_for_ = 0; // deadline the host timer is armed for; 0: none
};

} // namespace

CTD_SYNC_PLUGIN(Alarm, "alarm", "1.0",
                "periodic refresh: every flow sent again at random intervals, no acknowledgement",
                sizeof(AlarmArea))
