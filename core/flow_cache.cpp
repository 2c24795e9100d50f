#include "flow_cache.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "flow_pack.hpp"

namespace ctd {

namespace {

bool unpack_expect_bytes(const uint8_t *data, std::size_t length, ct::Expect &out) {
    return unpack_expect(data, length, out);
}

constexpr std::size_t round8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }
// Inline room: the packed size rounded up, so that small changes (a state
// or a mark appearing) fit without moving the flow out of line.
constexpr std::size_t room_for(std::size_t n) { return (n + 16) & ~std::size_t{15}; }

} // namespace

FlowCache::FlowCache(std::string name, uint32_t hash_size, uint32_t hash_limit, uint32_t extra_size)
    : name_(std::move(name)), hash_limit_(hash_limit),
      extra_size_(static_cast<uint32_t>(round8(extra_size))),
      buckets_(hash_size ? hash_size : 1, nullptr) {
    // A random seed: flows arrive from the network (and from peers), so the
    // bucket a flow lands in must not be predictable.
    std::random_device random;
    seed_ = random();
}

FlowCache::~FlowCache() {
    for (Entry *&head : buckets_) {
        while (head) {
            Entry *next = head->next;
            std::free(head->moved_out);
            std::free(head);
            head = next;
        }
    }
}

uint32_t FlowCache::hash_key(const uint8_t *key, std::size_t length) const {
    // 64-bit multiply-xorshift over the key words, seeded.
    uint64_t h = 0x9e3779b97f4a7c15ull ^ seed_ ^ length;
    std::size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t w;
        std::memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, key + i, length - i);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return static_cast<uint32_t>(h ^ (h >> 32));
}

FlowCache::Entry *FlowCache::lookup(const uint8_t *key, std::size_t key_length, uint32_t hash) const {
    for (Entry *e = buckets_[bucket_of(hash)]; e; e = e->next)
        if (e->hash == hash && e->key_length == key_length &&
            std::memcmp(packed(e), key, key_length) == 0)
            return e;
    return nullptr;
}

FlowCache::Entry *FlowCache::find(const ct::Flow &flow) const {
    uint8_t key[max_packed_key + 64];
    std::size_t n = pack_flow_key(flow, key);
    return lookup(key, n, hash_key(key, n));
}

FlowCache::Entry *FlowCache::allocate(const uint8_t *packed_flow, std::size_t length,
                                      std::size_t key_length, uint32_t hash, uint32_t now) {
    std::size_t room = room_for(length);
    std::size_t bytes = sizeof(Entry) + extra_size_ + room;
    auto *e = static_cast<Entry *>(std::malloc(bytes));
    if (!e)
        return nullptr;
    std::memset(e, 0, sizeof(Entry) + extra_size_);
    e->hash = hash;
    e->length = static_cast<uint16_t>(length);
    e->room = static_cast<uint16_t>(room);
    e->key_length = static_cast<uint8_t>(key_length);
    e->state = State::fresh;
    e->created = e->updated = now;
    std::memcpy(inline_room(e), packed_flow, length);
    entry_bytes_ += bytes;
    return e;
}

FlowCache::Entry *FlowCache::insert(const uint8_t *buffer, std::size_t length,
                                    std::size_t key_length, uint32_t hash, uint32_t now,
                                    Result *result) {
    if (Entry *existing = lookup(buffer, key_length, hash)) {
        if (existing->state != State::dead) {
            ++counters_.create_failed;
            if (result)
                *result = Result::exists;
            return nullptr;
        }
        // Something that died and came back before its death was
        // acknowledged: the same entry lives again.
        bool revived = store(existing, buffer, length, now);
        if (revived) {
            existing->state = State::fresh;
            existing->created = now;
            ++active_;
            ++counters_.created;
        }
        if (result)
            *result = revived ? Result::added : Result::no_memory;
        return revived ? existing : nullptr;
    }
    if (total_ >= hash_limit_) {
        ++counters_.create_failed;
        ++counters_.create_no_space;
        if (result)
            *result = Result::no_space;
        return nullptr;
    }
    Entry *e = allocate(buffer, length, key_length, hash, now);
    if (!e) {
        ++counters_.create_failed;
        ++counters_.create_no_memory;
        if (result)
            *result = Result::no_memory;
        return nullptr;
    }
    Entry *&head = buckets_[bucket_of(hash)];
    e->next = head;
    head = e;
    ++total_;
    ++active_;
    ++counters_.created;
    if (result)
        *result = Result::added;
    return e;
}

FlowCache::Entry *FlowCache::add(const ct::Flow &flow, uint32_t now, Result *result) {
    uint8_t buffer[max_packed_flow];
    std::size_t key_length = 0;
    std::size_t length = pack_flow(flow, buffer, &key_length);
    return insert(buffer, length, key_length, hash_key(buffer, key_length), now, result);
}

FlowCache::Entry *FlowCache::find_expect(const ct::Expect &exp) const {
    uint8_t key[max_packed_key + 64];
    std::size_t n = pack_expect_key(exp, key);
    return lookup(key, n, hash_key(key, n));
}

FlowCache::Entry *FlowCache::add_or_replace_expect(const ct::Expect &exp, uint32_t now, Result *result) {
    uint8_t buffer[max_packed_key + sizeof(ct::Expect) + 64];
    std::size_t key_length = 0;
    std::size_t length = pack_expect(exp, buffer, &key_length);
    uint32_t hash = hash_key(buffer, key_length);
    Entry *e = lookup(buffer, key_length, hash);
    if (e && e->state != State::dead) {
        if (!store(e, buffer, length, now)) {
            ++counters_.update_failed;
            if (result)
                *result = Result::no_memory;
            return nullptr;
        }
        ++counters_.updated;
        if (result)
            *result = Result::updated;
        return e;
    }
    e = insert(buffer, length, key_length, hash, now, result);
    if (e)
        e->flags |= flag_expect;
    return e;
}

bool FlowCache::remove_expect(const ct::Expect &exp) {
    Entry *e = find_expect(exp);
    if (!e || e->state == State::dead) {
        ++counters_.destroy_failed;
        ++counters_.destroy_not_found;
        return false;
    }
    remove(e);
    return true;
}

void FlowCache::unpack_expect(const Entry *entry, ct::Expect &out) const {
    unpack_expect_bytes(packed(entry), entry->length, out);
}

bool FlowCache::replace(Entry *entry, const ct::Flow &flow, uint32_t now) {
    uint8_t buffer[max_packed_flow];
    std::size_t key_length = 0;
    std::size_t length = pack_flow(flow, buffer, &key_length);
    return store(entry, buffer, length, now);
}

bool FlowCache::store(Entry *entry, const uint8_t *buffer, std::size_t length, uint32_t now) {
    if (length <= entry->room) {
        if (entry->moved_out) {
            entry_bytes_ -= entry->length;
            std::free(entry->moved_out);
            entry->moved_out = nullptr;
        }
        std::memcpy(inline_room(entry), buffer, length);
    } else {
        // Rare: the flow grew past its inline room.  It moves out of line;
        // the entry itself stays where it is.
        auto *blob = static_cast<uint8_t *>(std::malloc(length));
        if (!blob)
            return false;
        std::memcpy(blob, buffer, length);
        if (entry->moved_out)
            entry_bytes_ -= entry->length;
        std::free(entry->moved_out);
        entry->moved_out = blob;
        entry_bytes_ += length;
    }
    entry->length = static_cast<uint16_t>(length);
    entry->updated = now;
    return true;
}

FlowCache::Entry *FlowCache::update(const ct::Flow &flow, uint32_t now, Result *result) {
    uint8_t key[max_packed_key + 64];
    std::size_t key_length = pack_flow_key(flow, key);
    Entry *e = lookup(key, key_length, hash_key(key, key_length));
    if (!e || e->state == State::dead) {
        ++counters_.update_failed;
        ++counters_.update_not_found;
        if (result)
            *result = Result::not_found;
        return nullptr;
    }
    ct::Flow merged;
    unpack(e, merged);
    // Overlay what the update carries.
    auto take = [&](ct::FlowAttr a, auto apply) {
        if (flow.has(a)) {
            apply();
            merged.set(a);
        }
    };
    using A = ct::FlowAttr;
    take(A::ReplyTuple, [&] { merged.reply = flow.reply; });
    take(A::MasterTuple, [&] { merged.master = flow.master; });
    take(A::Status, [&] { merged.status = flow.status; });
    take(A::Timeout, [&] { merged.timeout = flow.timeout; });
    take(A::Mark, [&] { merged.mark = flow.mark; });
    take(A::Secmark, [&] { merged.secmark = flow.secmark; });
    take(A::Id, [&] { merged.id = flow.id; });
    take(A::Use, [&] { merged.use = flow.use; });
    take(A::TcpState, [&] { merged.tcp_state = flow.tcp_state; });
    take(A::TcpWscaleOrig, [&] { merged.tcp_wscale[0] = flow.tcp_wscale[0]; });
    take(A::TcpWscaleReply, [&] { merged.tcp_wscale[1] = flow.tcp_wscale[1]; });
    take(A::TcpFlagsOrig, [&] { merged.tcp_flags[0] = flow.tcp_flags[0]; });
    take(A::TcpFlagsReply, [&] { merged.tcp_flags[1] = flow.tcp_flags[1]; });
    take(A::SctpState, [&] { merged.sctp_state = flow.sctp_state; });
    take(A::SctpVtagOrig, [&] { merged.sctp_vtag[0] = flow.sctp_vtag[0]; });
    take(A::SctpVtagReply, [&] { merged.sctp_vtag[1] = flow.sctp_vtag[1]; });
    take(A::DccpState, [&] { merged.dccp_state = flow.dccp_state; });
    take(A::DccpRole, [&] { merged.dccp_role = flow.dccp_role; });
    take(A::DccpHandshakeSeq, [&] { merged.dccp_handshake_seq = flow.dccp_handshake_seq; });
    take(A::OrigPackets, [&] { merged.counters[0].packets = flow.counters[0].packets; });
    take(A::OrigBytes, [&] { merged.counters[0].bytes = flow.counters[0].bytes; });
    take(A::ReplyPackets, [&] { merged.counters[1].packets = flow.counters[1].packets; });
    take(A::ReplyBytes, [&] { merged.counters[1].bytes = flow.counters[1].bytes; });
    take(A::TimestampStart, [&] { merged.timestamp_start = flow.timestamp_start; });
    take(A::TimestampStop, [&] { merged.timestamp_stop = flow.timestamp_stop; });
    take(A::TimestampEvent, [&] { merged.timestamp_event = flow.timestamp_event; });
    take(A::SeqAdjOrig, [&] { merged.seqadj[0] = flow.seqadj[0]; });
    take(A::SeqAdjReply, [&] { merged.seqadj[1] = flow.seqadj[1]; });
    take(A::Synproxy, [&] { merged.synproxy = flow.synproxy; });
    take(A::Helper, [&] { std::memcpy(merged.helper, flow.helper, sizeof merged.helper); });
    take(A::Labels, [&] { merged.labels = flow.labels; });
    take(A::Secctx, [&] { merged.secctx = flow.secctx; });
    take(A::NatSrc, [&] { merged.nat_src = flow.nat_src; });
    take(A::NatDst, [&] { merged.nat_dst = flow.nat_dst; });
    if (!replace(e, merged, now)) {
        ++counters_.update_failed;
        if (result)
            *result = Result::no_memory;
        return nullptr;
    }
    ++counters_.updated;
    if (result)
        *result = Result::updated;
    return e;
}

FlowCache::Entry *FlowCache::update_or_add(const ct::Flow &flow, uint32_t now, Result *result) {
    Entry *e = find(flow);
    if (e && e->state != State::dead)
        return update(flow, now, result);
    return add(flow, now, result);
}

void FlowCache::unlink(Entry *entry) {
    Entry **p = &buckets_[bucket_of(entry->hash)];
    while (*p && *p != entry)
        p = &(*p)->next;
    if (*p)
        *p = entry->next;
}

void FlowCache::free_entry(Entry *entry) {
    unlink(entry);
    entry_bytes_ -= sizeof(Entry) + extra_size_ + entry->room;
    if (entry->moved_out)
        entry_bytes_ -= entry->length;
    --total_;
    std::free(entry->moved_out);
    std::free(entry);
}

void FlowCache::remove(Entry *entry) {
    if (entry->state != State::dead) {
        --active_;
        ++counters_.destroyed;
    }
    entry->state = State::dead;
    if (entry->references == 0)
        free_entry(entry);
}

bool FlowCache::remove(const ct::Flow &flow) {
    Entry *e = find(flow);
    if (!e || e->state == State::dead) {
        ++counters_.destroy_failed;
        ++counters_.destroy_not_found;
        return false;
    }
    remove(e);
    return true;
}

void FlowCache::release(Entry *entry) {
    if (entry->references)
        --entry->references;
    if (entry->references == 0 && entry->state == State::dead)
        free_entry(entry);
}

void FlowCache::clear() {
    for_each([&](Entry *e) { remove(e); });
}

void FlowCache::unpack(const Entry *entry, ct::Flow &out) const {
    unpack_flow(packed(entry), entry->length, out);
}

std::string FlowCache::summary_text(const char *title) const {
    char text[512];
    std::snprintf(text, sizeof text,
                  "%s:\n"
                  "current active connections:\t%12zu\n"
                  "connections created:\t\t%12llu\tfailed:\t%12llu\n"
                  "connections updated:\t\t%12llu\tfailed:\t%12llu\n"
                  "connections destroyed:\t\t%12llu\tfailed:\t%12llu\n\n",
                  title, active_, static_cast<unsigned long long>(counters_.created),
                  static_cast<unsigned long long>(counters_.create_failed),
                  static_cast<unsigned long long>(counters_.updated),
                  static_cast<unsigned long long>(counters_.update_failed),
                  static_cast<unsigned long long>(counters_.destroyed),
                  static_cast<unsigned long long>(counters_.destroy_failed));
    return text;
}

std::string FlowCache::detail_text() const {
    char text[1024];
    std::snprintf(text, sizeof text,
                  "cache:%s\tactive objects:\t\t%12zu\n"
                  "\tactive/total entries:\t\t%12zu/%12zu\n"
                  "\tcreation OK/failed:\t\t%12llu/%12llu\n"
                  "\t\tno memory available:\t%12llu\n"
                  "\t\tno space left in cache:\t%12llu\n"
                  "\tupdate OK/failed:\t\t%12llu/%12llu\n"
                  "\t\tentry not found:\t%12llu\n"
                  "\tdeletion created/failed:\t%12llu/%12llu\n"
                  "\t\tentry not found:\t%12llu\n\n",
                  name_.c_str(), active_, active_, total_,
                  static_cast<unsigned long long>(counters_.created),
                  static_cast<unsigned long long>(counters_.create_failed),
                  static_cast<unsigned long long>(counters_.create_no_memory),
                  static_cast<unsigned long long>(counters_.create_no_space),
                  static_cast<unsigned long long>(counters_.updated),
                  static_cast<unsigned long long>(counters_.update_failed),
                  static_cast<unsigned long long>(counters_.update_not_found),
                  static_cast<unsigned long long>(counters_.destroyed),
                  static_cast<unsigned long long>(counters_.destroy_failed),
                  static_cast<unsigned long long>(counters_.destroy_not_found));
    return text;
}

} // namespace ctd
