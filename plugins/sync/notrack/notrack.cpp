// Sync mode "notrack": best effort (reference-behaviour 4.7).
//
// Every change of the internal cache is sent once; nothing is acknowledged
// or resent.  An ALIVE goes out after a second without transmission, so the
// peer can tell the link is up.  A RESYNC (conntrackd -n, or StartupResync)
// asks the peer for its whole cache; a peer that receives one answers with
// a bulk send, of its internal cache or, with DisableInternalCache, of the
// kernel table itself.
#include "sync_mode.hpp"

namespace {

using namespace ctd::syncmode;
using ctd::sdk::Verdict;

class Notrack : public ctd::sdk::SyncMode {
public:
    // The core reads the same block for the cache and commit settings; they
    // are declared here so that the block is checked as a whole.
    static constexpr ctd_config_key config_keys[] = {
        {"CommitTimeout", CTD_CONFIG_UINT, 0, nullptr,
         "seconds committed flows live in the kernel (default: the received timeout)", 0, 0},
        {"PurgeTimeout", CTD_CONFIG_UINT, 0, "60",
         "seconds before `conntrackd -t' flushes the kernel table", 0, 0},
        {"DisableInternalCache", CTD_CONFIG_BOOL, 0, "off",
         "send kernel events as they come, without an internal cache", 0, 0},
        {"DisableExternalCache", CTD_CONFIG_BOOL, 0, "off",
         "inject received flows into the kernel at once, without an external cache", 0, 0},
        {"StartupResync", CTD_CONFIG_BOOL, 0, "off",
         "ask the peer for its whole cache at startup", 0, 0},
    };

    Notrack(ctd::sdk::SyncHost host, const ctd::sdk::Config &config)
        : host_(host), internal_cache_(!config.boolean("DisableInternalCache")),
          tx_(host, [this] { alive_timer_.arm(one_second_us); }),
          alive_timer_(host, [this] { tx_.enqueue_control(CTD_SYNC_F_ALIVE); }) {
        alive_timer_.arm(one_second_us);
    }

    void local_change(ctd_object *object, uint32_t event) override {
        // A flow loaded from the kernel table is not news for the peer.
        if (event != CTD_EVENT_NEW && event != CTD_EVENT_UPDATE && event != CTD_EVENT_DESTROY)
            return;
        tx_.enqueue(host_.area<TxNode>(object), object, event == CTD_EVENT_DESTROY);
    }

    Verdict receive(const ctd_sync_message &m) override {
        // Sequence numbers only feed the loss statistics.
        host_.seq_track(m.seq);
        Verdict verdict = digest(m);
        if (verdict != Verdict::bad)
            host_.seq_update(m.seq);
        return verdict;
    }

    void send_bulk() override { send_everything(); }

    void request_resync() override { tx_.enqueue_control(CTD_SYNC_F_RESYNC, 0, 0); }

    bool queue_stats(uint32_t which, ctd_queue_stats &out) const override {
        if (which != 0)
            return false;
        out.length = tx_.length();
        out.capacity = tx_queue_capacity;
        return true;
    }

private:
    Verdict digest(const ctd_sync_message &m) {
        if (is_data(m))
            return Verdict::data;
        if (is_resync(m)) {
            // The reference logs both: it answers as to `conntrackd -B`.
            host_.notice("resync requested by other node");
            host_.notice("sending bulk update");
            send_everything();
            return Verdict::control;
        }
        if (is_alive(m))
            return Verdict::control;
        return Verdict::bad;
    }

    void send_everything() {
        if (!internal_cache_) {
            // Nothing cached: the kernel table is what we have.
            host_.send_kernel_table();
            return;
        }
        host_.for_each_object([this](ctd_object *object) {
            tx_.enqueue(host_.area<TxNode>(object), object, false);
        });
    }

    ctd::sdk::SyncHost host_;
    bool internal_cache_;
    SendOnceQueue tx_;
    ctd::sdk::Timer alive_timer_;
};

} // namespace

CTD_SYNC_PLUGIN(Notrack, "notrack", "1.0",
                "best-effort replication: each change sent once, no acknowledgement",
                sizeof(ctd::syncmode::TxNode))
