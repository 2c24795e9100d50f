// The daemon's flow caches: the stats cache (stats mode), and the internal
// (local flows) and external (flows received from peers) caches of the sync
// mode.  Keyed by the original tuple and zone, like the kernel table.
//
// Entries are small: a 32-byte header, an optional per-entry area a sync
// mode asked for (its queue links, timers...), and the flow packed with
// flow_pack (about 40 bytes for an IPv4 TCP flow), in one allocation.  The
// reference daemon uses about 600 bytes per entry; these use about 110.
//
// Entries carry a state (new, alive, dead) and a reference count, because a
// reliable sync mode must keep a destroyed flow until its peer acknowledged
// the news: remove() of a referenced entry only marks it dead, and the last
// release() frees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ct/flow.hpp"

namespace ctd {

struct CacheCounters {
    uint64_t created = 0, create_failed = 0, create_no_memory = 0, create_no_space = 0;
    uint64_t updated = 0, update_failed = 0, update_not_found = 0;
    uint64_t destroyed = 0, destroy_failed = 0, destroy_not_found = 0;
};

class FlowCache {
public:
    enum class State : uint8_t { fresh = 0, alive = 1, dead = 2 };

    // An entry never moves once created, so owners may keep pointers to
    // it (queues, timers) for as long as they hold a reference.
    struct Entry {
        Entry *next;          // hash chain
        uint8_t *moved_out;   // packed flow, when it outgrew the inline room
        uint32_t hash;
        uint16_t length;      // packed flow bytes
        uint16_t room;        // inline bytes available for the packed flow
        uint8_t key_length;
        State state;
        uint16_t references;
        uint16_t flags;       // free for the owner (e.g. "from a peer")
        uint16_t reserved;
        uint32_t created;     // monotonic seconds
        uint32_t updated;
        // followed by the owner's area (extra_size, 8-aligned), then the
        // inline room for the packed flow.
    };

    // hash_limit: maximum number of entries (live and dead); adding more
    // fails with "no space".  extra_size: bytes of per-entry area for the
    // owner (zeroed on creation).
    FlowCache(std::string name, uint32_t hash_size, uint32_t hash_limit, uint32_t extra_size = 0);
    ~FlowCache();
    FlowCache(const FlowCache &) = delete;
    FlowCache &operator=(const FlowCache &) = delete;

    const std::string &name() const { return name_; }

    Entry *find(const ct::Flow &flow) const;

    enum class Result { added, updated, exists, not_found, no_space, no_memory };
    // Creates an entry; fails with `exists` if the flow is cached (a dead
    // entry is brought back to life with the new content instead).
    Entry *add(const ct::Flow &flow, uint32_t now, Result *result = nullptr);
    // Merges the present attributes of `flow` into its entry (absent ones
    // keep their cached value); fails with `not_found`.
    Entry *update(const ct::Flow &flow, uint32_t now, Result *result = nullptr);
    // update() if cached, else add().
    Entry *update_or_add(const ct::Flow &flow, uint32_t now, Result *result = nullptr);
    // Replaces the entry's content with `flow` as it is (no merge).  The
    // key must stay the same.  Returns false when out of memory.
    bool replace(Entry *entry, const ct::Flow &flow, uint32_t now);
    // Removes the flow's entry; a referenced entry is only marked dead.
    // Returns false (and counts "not found") if it is not cached.
    bool remove(const ct::Flow &flow);
    void remove(Entry *entry);
    void clear();

    // Expectations live in the same kind of cache: keyed by their expected
    // tuple and zone, replaced whole on update.  Their entries carry
    // flag_expect.
    static constexpr uint16_t flag_expect = 0x8000;
    static bool is_expect(const Entry *entry) { return entry->flags & flag_expect; }
    Entry *find_expect(const ct::Expect &exp) const;
    Entry *add_or_replace_expect(const ct::Expect &exp, uint32_t now, Result *result = nullptr);
    bool remove_expect(const ct::Expect &exp);
    void unpack_expect(const Entry *entry, ct::Expect &out) const;

    void hold(Entry *entry) { ++entry->references; }
    // Drops a reference; frees a dead entry when it was the last.
    void release(Entry *entry);

    // Live (not dead) entries, and all entries.
    std::size_t active() const { return active_; }
    std::size_t total() const { return total_; }
    uint32_t hash_limit() const { return hash_limit_; }

    void unpack(const Entry *entry, ct::Flow &out) const;
    void *extra(Entry *entry) const { return reinterpret_cast<char *>(entry + 1); }
    static Entry *from_extra(void *area) { return reinterpret_cast<Entry *>(area) - 1; }

    // Visits every entry, dead ones included; `visit` may remove or release
    // the entry it is given (not others).
    template <class Visit>
    void for_each(Visit &&visit) {
        for (uint32_t b = 0; b < buckets_.size(); ++b) {
            Entry *e = buckets_[b];
            while (e) {
                Entry *next = e->next;
                visit(e);
                e = next;
            }
        }
    }

    const CacheCounters &counters() const { return counters_; }
    CacheCounters &counters() { return counters_; }

    // `conntrackd -s`: "current active connections" and the created/updated/
    // destroyed lines, under `title` (e.g. "cache internal").
    std::string summary_text(const char *title) const;
    // `conntrackd -s cache`: the extended block, named after the cache.
    std::string detail_text() const;

    // Bytes allocated for entries (for the memory benchmark's sanity check).
    std::size_t entry_bytes() const { return entry_bytes_; }

private:
    uint32_t bucket_of(uint32_t hash) const {
        return static_cast<uint32_t>((static_cast<uint64_t>(hash) * buckets_.size()) >> 32);
    }
    uint32_t hash_key(const uint8_t *key, std::size_t length) const;
    uint8_t *inline_room(const Entry *e) const {
        return const_cast<uint8_t *>(reinterpret_cast<const uint8_t *>(e + 1)) + extra_size_;
    }
    uint8_t *packed(const Entry *e) const { return e->moved_out ? e->moved_out : inline_room(e); }
    Entry *lookup(const uint8_t *key, std::size_t key_length, uint32_t hash) const;
    // Adds packed bytes as a new entry (the key must not be cached alive).
    Entry *insert(const uint8_t *packed_flow, std::size_t length, std::size_t key_length,
                  uint32_t hash, uint32_t now, Result *result);
    bool store(Entry *entry, const uint8_t *packed_flow, std::size_t length, uint32_t now);
    Entry *allocate(const uint8_t *packed_flow, std::size_t length, std::size_t key_length,
                    uint32_t hash, uint32_t now);
    void unlink(Entry *entry);
    void free_entry(Entry *entry);

    std::string name_;
    uint32_t hash_limit_;
    uint32_t extra_size_;
    uint32_t seed_;
    std::vector<Entry *> buckets_;
    std::size_t active_ = 0, total_ = 0;
    std::size_t entry_bytes_ = 0;
    CacheCounters counters_;
};

} // namespace ctd
