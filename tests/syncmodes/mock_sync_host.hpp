// A mock of the core for sync mode plugins: an implementation of struct
// ctd_host_api with fake internal-cache objects, a fake clock driving the
// plugins' timers, and a record of every message a mode sends.  Two hosts
// can be wired together through a lossy link, so that two instances of a
// mode talk to each other as two daemons would.
//
// The plugin itself is found and checked by the real loader
// (PluginLoader::inspect), configured through the real PluginConfig, and
// initialised with this mock's table instead of the daemon's.
#pragma once

#include <conntrackd/plugin.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <dlfcn.h>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin_config.hpp"
#include "plugin_loader.hpp"
#include "test_env.hpp"

namespace mock {

class World;
class Host;

// A fake object of the internal cache.  Never really freed during a test,
// so that a mode touching a freed object is caught, not a crash.
struct Object {
    uint32_t id = 0;
    uint32_t state = CTD_OBJECT_NEW;
    uint32_t references = 0;
    bool live = true;   // in the cache (not destroyed or flushed)
    bool freed = false; // dead and released: the core would have freed it
    Host *host = nullptr;
    // Room for the mode's area (the modes use 32 to 48 bytes); kept small
    // because the scale test makes 200,000 of these.
    alignas(16) unsigned char area[64] = {};
};

inline ctd_object *as_c(Object *o) { return reinterpret_cast<ctd_object *>(o); }
inline Object *as_mock(ctd_object *o) { return reinterpret_cast<Object *>(o); }

// A message a mode sent, as the peer receives it.
struct Sent {
    uint8_t type = 0; // 0-2 for objects (NEW, UPDATE, DELETE), 10 for control
    uint8_t flags = 0;
    uint32_t seq = 0, from = 0, to = 0;
    uint32_t object = 0; // object id for state messages
    uint64_t when_us = 0;
    bool control() const { return type == 10; }
};

struct Timer {
    Host *host = nullptr;
    ctd_timer_callback callback = nullptr;
    void *user = nullptr;
    bool armed = false, freed = false;
    uint64_t deadline = 0, interval = 0;
};

// The clock and the hosts sharing it.
class World {
public:
    uint64_t now_us = 1000000000; // an arbitrary start, far from 0
    std::vector<Host *> hosts;

    inline void run_until(uint64_t end_us);
    void run_for(uint64_t duration_us) { run_until(now_us + duration_us); }
    // One main-loop round at the current time: messages sent in the
    // previous round are delivered, then the timers due now run (those
    // re-armed with no delay run in the next round, as in EventLoop).
    inline void round();
    // Rounds at the current time until nothing is left to do now.
    inline void settle();
    inline bool busy_now() const;
    inline uint64_t next_deadline() const;
};

class Host {
public:
    explicit Host(World &world, std::string name = "host") : world_(world), name_(std::move(name)) {
        world_.hosts.push_back(this);
    }
    ~Host() {
        world_.hosts.erase(std::find(world_.hosts.begin(), world_.hosts.end(), this));
    }
    Host(const Host &) = delete;
    Host &operator=(const Host &) = delete;

    ctd_host *handle() { return reinterpret_cast<ctd_host *>(this); }
    static Host *of(ctd_host *h) { return reinterpret_cast<Host *>(h); }

    // The mode running on this host (set by ModeInstance).
    const ctd_sync_ops *ops = nullptr;
    void *mode = nullptr;
    uint32_t area_size = 0;

    // What the mode did.
    std::vector<Sent> sent;
    std::vector<std::pair<uint32_t, std::string>> logs;
    std::map<std::string, uint64_t> counters;
    std::vector<std::string> violations; // misuse of the services
    uint32_t external_timeout = UINT32_MAX; // UINT32_MAX: never set
    unsigned kernel_table_sends = 0;
    unsigned timers_created = 0;

    // Sequence numbers, as the engine keeps them.
    uint32_t next_seq = 3000000000u; // close enough to wrap-around to matter
    bool peer_seq_known = false;
    uint32_t peer_last_seq = 0;
    uint64_t seq_lost = 0, seq_before = 0;

    // The cache, and what this host learnt from its peer (object id ->
    // last state message type applied).
    std::vector<std::unique_ptr<Object>> objects;
    std::map<uint32_t, uint8_t> external;

    // The peer: messages this host sends are delivered to it (unless
    // `drop` says the link lost them), `delivered` of them so far.
    Host *peer = nullptr;
    std::function<bool(const Sent &)> drop;
    size_t delivered = 0;
    uint64_t dropped = 0;

    // -- the engine's side of the cache ---------------------------------

    Object *add_flow(uint32_t event = CTD_EVENT_NEW) {
        auto object = std::make_unique<Object>();
        object->id = next_object_id_++;
        object->host = this;
        Object *o = object.get();
        objects.push_back(std::move(object));
        ops->local_change(mode, as_c(o), event);
        return o;
    }
    // A flow found in the kernel table when the daemon starts.
    Object *load_flow() { return add_flow(CTD_EVENT_LOADED); }
    void update_flow(Object *o) {
        o->state = CTD_OBJECT_ALIVE;
        ops->local_change(mode, as_c(o), CTD_EVENT_UPDATE);
    }
    // As the engine: held across the call, so the mode decides whether the
    // dead object outlives it.
    void destroy_flow(Object *o) {
        ++o->references;
        o->state = CTD_OBJECT_DEAD;
        o->live = false;
        ops->local_change(mode, as_c(o), CTD_EVENT_DESTROY);
        release(o);
    }
    // A flush of the internal cache (`conntrackd -f internal`): the engine
    // removes every object without telling the mode.
    void flush_cache() {
        for (auto &o : objects) {
            if (!o->live)
                continue;
            o->live = false;
            o->state = CTD_OBJECT_DEAD;
            if (o->references == 0)
                o->freed = true;
        }
    }
    size_t live_objects() const {
        return static_cast<size_t>(std::count_if(objects.begin(), objects.end(),
                                                 [](const auto &o) { return o->live; }));
    }
    uint64_t held_references() const {
        uint64_t total = 0;
        for (const auto &o : objects)
            total += o->references;
        return total;
    }

    // -- what the mode sent ------------------------------------------------

    std::vector<Sent> controls() const {
        std::vector<Sent> out;
        for (const Sent &s : sent)
            if (s.control())
                out.push_back(s);
        return out;
    }
    std::vector<Sent> states() const {
        std::vector<Sent> out;
        for (const Sent &s : sent)
            if (!s.control())
                out.push_back(s);
        return out;
    }
    bool logged(const std::string &text) const {
        for (const auto &line : logs)
            if (line.second == text)
                return true;
        return false;
    }

    // Hands a message to the mode as the engine does, and applies a state
    // message the mode accepts.  Returns the mode's verdict.
    int receive(const Sent &s) {
        ctd_sync_message m{};
        m.size = sizeof m;
        m.type = s.type;
        m.flags = s.flags;
        m.length = static_cast<uint16_t>(s.control() ? 16 : 84);
        m.seq = s.seq;
        m.from = s.from;
        m.to = s.to;
        int verdict = ops->receive(mode, &m);
        if (verdict == CTD_SYNC_MSG_DATA && s.type <= 5)
            external[s.object] = s.type;
        return verdict;
    }

    // -- timers ------------------------------------------------------------

    std::vector<std::unique_ptr<Timer>> timers;
    size_t armed_timers() const {
        return static_cast<size_t>(std::count_if(timers.begin(), timers.end(), [](const auto &t) {
            return !t->freed && t->armed;
        }));
    }

    // -- the table ---------------------------------------------------------

    // The full ABI 1.1 table, or one cut short to `size` bytes (an older core).
    static const ctd_host_api *api(size_t size = sizeof(ctd_host_api)) {
        static std::map<size_t, std::unique_ptr<ctd_host_api>> tables;
        auto &table = tables[size];
        if (!table) {
            ctd_host_api full = make_api();
            table = std::make_unique<ctd_host_api>();
            std::memcpy(table.get(), &full, size);
            table->size = static_cast<uint32_t>(size);
        }
        return table.get();
    }

private:
    void release(Object *o) {
        if (o->references == 0) {
            violations.push_back("object " + std::to_string(o->id) + " released more than held");
            return;
        }
        if (--o->references == 0 && o->state == CTD_OBJECT_DEAD && !o->live)
            o->freed = true;
    }
    Object *checked(ctd_object *object, const char *service) {
        Object *o = as_mock(object);
        if (!o) {
            violations.push_back(std::string(service) + " called with no object");
            return nullptr;
        }
        if (o->freed)
            violations.push_back(std::string(service) + " on freed object " + std::to_string(o->id));
        if (o->host != this)
            violations.push_back(std::string(service) + " on another host's object");
        return o;
    }

    static ctd_host_api make_api() {
        ctd_host_api a{};
        a.size = sizeof a;
        a.abi_major = CTD_PLUGIN_ABI_MAJOR;
        a.abi_minor = CTD_PLUGIN_ABI_MINOR;
        a.log = [](ctd_host *h, uint32_t priority, const char *message) {
            of(h)->logs.emplace_back(priority, message ? message : "");
        };
        a.fd_watch = [](ctd_host *, int, uint32_t, ctd_fd_callback, void *) { return -EINVAL; };
        a.fd_unwatch = [](ctd_host *, int) {};
        a.timer_new = [](ctd_host *h, ctd_timer_callback callback, void *user) -> ctd_timer * {
            Host *self = of(h);
            auto timer = std::make_unique<Timer>();
            timer->host = self;
            timer->callback = callback;
            timer->user = user;
            self->timers.push_back(std::move(timer));
            ++self->timers_created;
            return reinterpret_cast<ctd_timer *>(self->timers.back().get());
        };
        a.timer_arm = [](ctd_timer *t, uint64_t delay_us, uint64_t interval_us) {
            auto *timer = reinterpret_cast<Timer *>(t);
            timer->armed = true;
            timer->deadline = timer->host->world_.now_us + delay_us;
            timer->interval = interval_us;
        };
        a.timer_disarm = [](ctd_timer *t) { reinterpret_cast<Timer *>(t)->armed = false; };
        a.timer_free = [](ctd_timer *t) {
            auto *timer = reinterpret_cast<Timer *>(t);
            if (timer->freed)
                timer->host->violations.push_back("timer freed twice");
            timer->freed = true;
            timer->armed = false;
        };
        a.monotonic_us = [](ctd_host *h) { return of(h)->world_.now_us; };
        a.counter_new = [](ctd_host *h, const char *name, const char *) -> uint32_t {
            Host *self = of(h);
            self->counter_names_.push_back(name);
            self->counters[name] = 0;
            return static_cast<uint32_t>(self->counter_names_.size() - 1);
        };
        a.counter_add = [](ctd_host *h, uint32_t id, uint64_t delta) {
            Host *self = of(h);
            if (id < self->counter_names_.size())
                self->counters[self->counter_names_[id]] += delta;
        };
        a.flow_format = [](ctd_host *, const ctd_flow *, uint32_t, char *buf, size_t len) -> size_t {
            if (buf && len)
                buf[0] = '\0';
            return 0;
        };
        a.transport_event = [](ctd_host *, void *, uint32_t) {};
        a.object_area = [](ctd_host *h, ctd_object *object) -> void * {
            Object *o = of(h)->checked(object, "object_area");
            return o ? o->area : nullptr;
        };
        a.object_of_area = [](ctd_host *, void *area) -> ctd_object * {
            auto *bytes = static_cast<unsigned char *>(area);
            return as_c(reinterpret_cast<Object *>(bytes - offsetof(Object, area)));
        };
        a.object_state = [](ctd_host *h, ctd_object *object) -> uint32_t {
            Object *o = of(h)->checked(object, "object_state");
            return o ? o->state : CTD_OBJECT_DEAD;
        };
        a.object_hold = [](ctd_host *h, ctd_object *object) {
            if (Object *o = of(h)->checked(object, "object_hold"))
                ++o->references;
        };
        a.object_release = [](ctd_host *h, ctd_object *object) {
            if (Object *o = of(h)->checked(object, "object_release"))
                of(h)->release(o);
        };
        a.cache_iterate = [](ctd_host *h, void (*visit)(void *, ctd_object *), void *user) {
            Host *self = of(h);
            // By index: a visit may not add objects, but be safe anyway.
            for (size_t i = 0; i < self->objects.size(); ++i)
                if (self->objects[i]->live)
                    visit(user, as_c(self->objects[i].get()));
        };
        a.send_object = [](ctd_host *h, ctd_object *object, uint8_t flags) -> uint32_t {
            Host *self = of(h);
            Object *o = self->checked(object, "send_object");
            Sent s;
            s.type = static_cast<uint8_t>(o ? std::min<uint32_t>(o->state, 2) : 2);
            s.flags = flags;
            s.seq = self->next_seq++;
            s.object = o ? o->id : 0;
            s.when_us = self->world_.now_us;
            self->sent.push_back(s);
            return s.seq;
        };
        a.send_control = [](ctd_host *h, uint8_t flags, uint32_t from, uint32_t to) -> uint32_t {
            Host *self = of(h);
            Sent s;
            s.type = 10;
            s.flags = flags;
            s.seq = self->next_seq++;
            s.from = from;
            s.to = to;
            s.when_us = self->world_.now_us;
            self->sent.push_back(s);
            return s.seq;
        };
        a.send_flush = [](ctd_host *) {};
        a.seq_track = [](ctd_host *h, uint32_t seq) -> uint32_t {
            Host *self = of(h);
            if (!self->peer_seq_known)
                return CTD_SEQ_UNSET;
            uint32_t expected = self->peer_last_seq + 1;
            if (seq == expected)
                return CTD_SEQ_IN_SYNC;
            if (static_cast<int32_t>(seq - expected) > 0) {
                self->seq_lost += seq - expected;
                return CTD_SEQ_AFTER;
            }
            ++self->seq_before;
            return CTD_SEQ_BEFORE;
        };
        a.seq_update = [](ctd_host *h, uint32_t seq) {
            Host *self = of(h);
            self->peer_seq_known = true;
            self->peer_last_seq = seq;
        };
        a.set_external_timeout = [](ctd_host *h, uint32_t seconds) {
            of(h)->external_timeout = seconds;
        };
        a.send_kernel_table = [](ctd_host *h) { ++of(h)->kernel_table_sends; };
        return a;
    }

    friend class World;
    World &world_;
    std::string name_;
    uint32_t next_object_id_ = 1;
    std::vector<std::string> counter_names_;
};

// ---------------------------------------------------------------------------

inline bool World::busy_now() const {
    for (const Host *h : hosts) {
        if (h->peer && h->delivered < h->sent.size())
            return true;
        for (const auto &t : h->timers)
            if (!t->freed && t->armed && t->deadline <= now_us)
                return true;
    }
    return false;
}

inline uint64_t World::next_deadline() const {
    uint64_t next = UINT64_MAX;
    for (const Host *h : hosts)
        for (const auto &t : h->timers)
            if (!t->freed && t->armed)
                next = std::min(next, t->deadline);
    return next;
}

inline void World::round() {
    // The network first, as the daemon's loop serves its fds first.  A
    // host's messages of the last round went out when its round ended.
    for (Host *h : hosts) {
        if (!h->peer)
            continue;
        size_t end = h->sent.size();
        for (; h->delivered < end; ++h->delivered) {
            const Sent s = h->sent[h->delivered];
            if (h->drop && h->drop(s)) {
                ++h->dropped;
                continue;
            }
            h->peer->receive(s);
        }
    }
    // Then the timers due now, earliest first; only those due when the
    // round started.
    std::vector<Timer *> due;
    for (Host *h : hosts)
        for (const auto &t : h->timers)
            if (!t->freed && t->armed && t->deadline <= now_us)
                due.push_back(t.get());
    std::stable_sort(due.begin(), due.end(),
                     [](const Timer *a, const Timer *b) { return a->deadline < b->deadline; });
    for (Timer *t : due) {
        if (t->freed || !t->armed || t->deadline > now_us)
            continue; // changed by an earlier callback
        t->armed = false;
        if (t->interval) {
            t->armed = true;
            t->deadline = now_us + t->interval;
        }
        t->callback(t->user);
    }
}

inline void World::settle() {
    for (int guard = 0; busy_now(); ++guard) {
        if (guard > 10000000)
            CPPUNIT_FAIL("the hosts never settle");
        round();
    }
}

inline void World::run_until(uint64_t end_us) {
    for (;;) {
        settle();
        uint64_t next = next_deadline();
        if (next > end_us) {
            now_us = end_us;
            settle();
            return;
        }
        now_us = std::max(now_us, next);
    }
}

// ---------------------------------------------------------------------------
// The plugin, found and checked by the real loader, initialised with the
// mock's table.

class ModePlugin {
public:
    explicit ModePlugin(const std::string &name, const ctd_host_api *api = Host::api()) {
        std::string dir = test_env::staged_plugins();
        path_ = dir + "/" + ctd::plugin_file_name(ctd::PluginKind::sync, name);
        ctd::PluginLoader loader(dir, nullptr);
        plugin_ = loader.inspect(path_, ctd::PluginKind::sync, name);
        // The loader has it open; find its descriptor to initialise it with
        // the mock's services rather than the daemon's.
        library_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_NOLOAD);
        CPPUNIT_ASSERT_MESSAGE(path_ + " is not loaded", library_);
        void *symbol = dlsym(library_, CTD_PLUGIN_ENTRY_SYMBOL);
        CPPUNIT_ASSERT(symbol);
        ctd_plugin_entry_fn entry;
        std::memcpy(&entry, &symbol, sizeof entry);
        descriptor_ = entry();
        char error[256] = "";
        int status = descriptor_->init(api, init_host_.handle(), error, sizeof error);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string("init: ") + error, 0, status);
    }
    ~ModePlugin() {
        if (descriptor_ && descriptor_->fini)
            descriptor_->fini();
        if (library_)
            dlclose(library_);
    }
    ModePlugin(const ModePlugin &) = delete;
    ModePlugin &operator=(const ModePlugin &) = delete;

    const ctd_sync_ops &ops() const { return plugin_->ops<ctd_sync_ops>(); }
    const std::vector<ctd_config_key> &keys() const { return plugin_->config_keys(); }

private:
    World init_world_;
    Host init_host_{init_world_, "init"};
    std::string path_;
    std::unique_ptr<ctd::LoadedPlugin> plugin_;
    void *library_ = nullptr;
    const ctd_plugin_descriptor *descriptor_ = nullptr;
};

// One instance of a mode on a host, configured through PluginConfig.
class ModeInstance {
public:
    ModeInstance(ModePlugin &plugin, Host &host, const std::vector<ctd::ConfigEntry> &entries = {},
                 const std::string &block = "Sync/Mode")
        : plugin_(plugin), host_(host),
          config_(std::make_unique<ctd::PluginConfig>("test.conf", block, 1, plugin.keys(), entries)) {
        char error[256] = "";
        host_.ops = &plugin_.ops();
        host_.area_size = plugin_.ops().object_area_size;
        CPPUNIT_ASSERT(host_.area_size <= sizeof(Object::area));
        self_ = plugin_.ops().create(host_.handle(), config_->get(), error, sizeof error);
        error_ = error;
        host_.mode = self_;
    }
    ~ModeInstance() {
        if (self_)
            plugin_.ops().destroy(self_);
        host_.mode = nullptr;
    }
    ModeInstance(const ModeInstance &) = delete;
    ModeInstance &operator=(const ModeInstance &) = delete;

    void *self() const { return self_; }
    const std::string &error() const { return error_; }
    const ctd_sync_ops &ops() const { return plugin_.ops(); }

    void send_bulk() { ops().send_bulk(self_); }
    void request_resync() { ops().request_resync(self_); }
    ctd_queue_stats queue(uint32_t which, int *has = nullptr) {
        ctd_queue_stats q{};
        q.size = sizeof q;
        int r = ops().queue_stats(self_, which, &q);
        if (has)
            *has = r;
        return q;
    }
    inline std::string resend_queue_text();

private:
    ModePlugin &plugin_;
    Host &host_;
    std::unique_ptr<ctd::PluginConfig> config_;
    void *self_ = nullptr;
    std::string error_;
};

inline std::string ModeInstance::resend_queue_text() {
    CPPUNIT_ASSERT(ops().dump_resend_queue);
    std::unique_ptr<FILE, int (*)(FILE *)> file(std::tmpfile(), &std::fclose);
    CPPUNIT_ASSERT(file);
    ops().dump_resend_queue(self_, fileno(file.get()));
    std::rewind(file.get());
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
        text.append(buffer, n);
    return text;
}

} // namespace mock
