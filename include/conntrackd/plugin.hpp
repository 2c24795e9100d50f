// conntrackd plugin SDK: a header-only C++ layer over the C ABI in plugin.h.
//
// A plugin author derives from one of the abstract classes below and names
// the class in one macro, which emits the single exported entry function,
// the descriptor and the C trampolines.  Exceptions never cross into the
// core: the trampolines catch them, report them through the host's logger
// (or the create error buffer) and return an error code.
//
//   class MyOutput : public ctd::sdk::OutputPlugin {
//   public:
//       static constexpr ctd_config_key config_keys[] = {
//           {"Path", CTD_CONFIG_PATH, CTD_CONFIG_REQUIRED, nullptr, "where to write", 0, 0},
//       };
//       MyOutput(ctd::sdk::Host host, const ctd::sdk::Config &config);
//       void write_flow(const ctd_flow &flow, uint64_t when_us) override;
//   };
//   CTD_OUTPUT_PLUGIN(MyOutput, "myoutput", "1.0", "writes flows somewhere")
//
// The class may also define `static void plugin_init(ctd::sdk::Host &)`
// (run once after the core accepted the plugin; throw to refuse) and
// `static void plugin_fini()`.
//
// A sync mode derives from SyncMode, takes a SyncHost (the host's services
// plus the sync services of ABI 1.1) and names the bytes of private area it
// wants in every internal-cache object:
//
//   class MyMode : public ctd::sdk::SyncMode {
//   public:
//       MyMode(ctd::sdk::SyncHost host, const ctd::sdk::Config &config);
//       void local_change(ctd_object *object, uint32_t event) override;
//       ctd::sdk::Verdict receive(const ctd_sync_message &message) override;
//       void send_bulk() override;
//   };
//   CTD_SYNC_PLUGIN(MyMode, "mymode", "1.0", "what it does", sizeof(MyArea))
#ifndef CONNTRACKD_PLUGIN_HPP
#define CONNTRACKD_PLUGIN_HPP

#include <conntrackd/plugin.h>

#include <cerrno>
#include <cstddef>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctd::sdk {

// Thrown by plugin code to fail an operation with an errno value; any other
// exception is reported the same way with EIO.
class PluginError : public std::runtime_error {
public:
    explicit PluginError(const std::string &what, int error_number = EINVAL)
        : std::runtime_error(what), error_number_(error_number) {}
    int error_number() const noexcept { return error_number_; }

private:
    int error_number_;
};

// A failure the plugin has already accounted for (counted in its stats,
// logged once if worth it): the core gets -errno but no log line, because
// a sync link that is down would otherwise log every batch it refuses.
class QuietError : public PluginError {
public:
    using PluginError::PluginError;
};

// The host's services, bound to this plugin.  Cheap to copy.
class Host {
public:
    Host() = default;
    Host(const ctd_host_api *api, ctd_host *host) : api_(api), host_(host) {}

    const ctd_host_api *api() const noexcept { return api_; }
    ctd_host *handle() const noexcept { return host_; }

    void log(uint32_t priority, const std::string &message) const {
        if (api_ && api_->log)
            api_->log(host_, priority, message.c_str());
    }
    void error(const std::string &m) const { log(CTD_LOG_ERR, m); }
    void warning(const std::string &m) const { log(CTD_LOG_WARNING, m); }
    void notice(const std::string &m) const { log(CTD_LOG_NOTICE, m); }
    void info(const std::string &m) const { log(CTD_LOG_INFO, m); }
    void debug(const std::string &m) const { log(CTD_LOG_DEBUG, m); }

    uint64_t monotonic_us() const { return api_->monotonic_us(host_); }

    // Renders a flow as `conntrack` prints it (CTD_FORMAT_*).
    std::string format_flow(const ctd_flow &flow, uint32_t format) const {
        char small[512];
        size_t needed = api_->flow_format(host_, &flow, format, small, sizeof small);
        if (needed < sizeof small)
            return std::string(small, needed);
        std::string text(needed + 1, '\0');
        api_->flow_format(host_, &flow, format, text.data(), text.size());
        text.resize(needed);
        return text;
    }

private:
    const ctd_host_api *api_ = nullptr;
    ctd_host *host_ = nullptr;
};

// A watched file descriptor; unwatched when destroyed.
class FdWatch {
public:
    using Callback = std::function<void(uint32_t events)>;
    FdWatch() = default;
    FdWatch(Host host, int fd, uint32_t events, Callback callback)
        : host_(host), state_(std::make_unique<State>(State{host, fd, std::move(callback)})) {
        if (host_.api()->fd_watch(host_.handle(), fd, events, &FdWatch::trampoline,
                                  state_.get()) != 0)
            throw PluginError("cannot watch file descriptor " + std::to_string(fd), EBADF);
    }
    FdWatch(FdWatch &&) noexcept = default;
    FdWatch &operator=(FdWatch &&other) noexcept {
        if (this == &other)
            return *this;
        // A new watch of the same fd has already replaced this one in the
        // host: unwatching it now would remove the new one.
        if (state_ && other.state_ && state_->fd == other.state_->fd)
            state_.reset();
        else
            reset();
        host_ = other.host_;
        state_ = std::move(other.state_);
        return *this;
    }
    ~FdWatch() { reset(); }
    void reset() {
        if (state_)
            host_.api()->fd_unwatch(host_.handle(), state_->fd);
        state_.reset();
    }

private:
    struct State {
        Host host;
        int fd;
        Callback callback;
    };
    static void trampoline(void *user, int, uint32_t events) {
        auto *state = static_cast<State *>(user);
        // Nothing may propagate into the core's loop.
        try {
            state->callback(events);
        } catch (const std::exception &e) {
            state->host.error(e.what());
        } catch (...) {
            state->host.error("unknown exception in a file descriptor callback");
        }
    }
    Host host_;
    std::unique_ptr<State> state_;
};

// A timer on the host's loop; freed when destroyed.
class Timer {
public:
    using Callback = std::function<void()>;
    Timer() = default;
    Timer(Host host, Callback callback)
        : host_(host), callback_(std::make_unique<State>(State{host, std::move(callback)})) {
        timer_ = host_.api()->timer_new(host_.handle(), &Timer::trampoline, callback_.get());
        if (!timer_)
            throw PluginError("cannot create a timer", ENOMEM);
    }
    Timer(Timer &&other) noexcept
        : host_(other.host_), callback_(std::move(other.callback_)),
          timer_(std::exchange(other.timer_, nullptr)) {}
    Timer &operator=(Timer &&other) noexcept {
        reset();
        host_ = other.host_;
        callback_ = std::move(other.callback_);
        timer_ = std::exchange(other.timer_, nullptr);
        return *this;
    }
    ~Timer() { reset(); }
    void arm(uint64_t delay_us, uint64_t interval_us = 0) {
        host_.api()->timer_arm(timer_, delay_us, interval_us);
    }
    void disarm() { host_.api()->timer_disarm(timer_); }
    void reset() {
        if (timer_)
            host_.api()->timer_free(timer_);
        timer_ = nullptr;
        callback_.reset();
    }

private:
    struct State {
        Host host;
        Callback callback;
    };
    static void trampoline(void *user) {
        auto *state = static_cast<State *>(user);
        try {
            state->callback();
        } catch (const std::exception &e) {
            state->host.error(e.what());
        } catch (...) {
            state->host.error("unknown exception in a timer callback");
        }
    }
    Host host_;
    std::unique_ptr<State> callback_;
    ctd_timer *timer_ = nullptr;
};

// A counter shown under the plugin's name by `conntrackd -s`.
class Counter {
public:
    Counter() = default;
    Counter(Host host, const char *name, const char *help)
        : host_(host), id_(host.api()->counter_new(host.handle(), name, help)) {}
    void add(uint64_t delta = 1) const {
        if (id_ != UINT32_MAX)
            host_.api()->counter_add(host_.handle(), id_, delta);
    }

private:
    Host host_;
    uint32_t id_ = UINT32_MAX;
};

// Read access to the plugin's config block.  Every declared key is present:
// the core fills in defaults, so lookups of declared keys never fail.
class Config {
public:
    explicit Config(const ctd_config *config) : config_(config) {}

    const ctd_config_value *find(std::string_view key) const {
        for (size_t i = 0; i < count(); ++i)
            if (key == config_->values[i].key)
                return &config_->values[i];
        return nullptr;
    }
    bool has(std::string_view key) const {
        const ctd_config_value *v = find(key);
        return v && v->text;
    }
    std::string text(std::string_view key, std::string fallback = {}) const {
        const ctd_config_value *v = find(key);
        return v && v->text ? std::string(v->text) : fallback;
    }
    int64_t number(std::string_view key, int64_t fallback = 0) const {
        const ctd_config_value *v = find(key);
        return v && v->text ? v->number : fallback;
    }
    bool boolean(std::string_view key, bool fallback = false) const {
        const ctd_config_value *v = find(key);
        return v && v->text ? v->number != 0 : fallback;
    }
    // Every value given for a repeatable key, in file order (none if the
    // key was left out and has no default).
    std::vector<const ctd_config_value *> all(std::string_view key) const {
        std::vector<const ctd_config_value *> out;
        for (size_t i = 0; i < count(); ++i)
            if (key == config_->values[i].key && config_->values[i].text)
                out.push_back(&config_->values[i]);
        return out;
    }
    // "file:line: " for messages about a key's value.
    std::string where(std::string_view key) const {
        const ctd_config_value *v = find(key);
        std::string out = config_->file ? config_->file : "config";
        if (v && v->line)
            out += ":" + std::to_string(v->line);
        return out + ": ";
    }
    const char *block() const { return config_->block ? config_->block : ""; }

private:
    size_t count() const { return config_ ? config_->count : 0; }
    const ctd_config *config_;
};

// Abstract classes, one per kind.
class OutputPlugin {
public:
    virtual ~OutputPlugin() = default;
    virtual void write_flow(const ctd_flow &flow, uint64_t when_us) = 0;
    virtual void reopen() {}
    virtual void flush() {}
};

// Hands received bytes to the core, and reports connection events
// (CTD_TRANSPORT_EVENT_*) of the link to it.
class Deliverer {
public:
    Deliverer(ctd_transport_deliver deliver, void *context, Host host = {})
        : deliver_(deliver), context_(context), host_(host) {}
    void operator()(const void *data, size_t len) const { deliver_(context_, data, len); }
    // Does nothing on a core older than ABI 1.1, which has no such service.
    void notify(uint32_t event) const {
        const ctd_host_api *api = host_.api();
        if (api && api->size >= offsetof(ctd_host_api, transport_event) + sizeof api->transport_event &&
            api->transport_event)
            api->transport_event(host_.handle(), context_, event);
    }

private:
    ctd_transport_deliver deliver_;
    void *context_;
    Host host_;
};

class Transport {
public:
    virtual ~Transport() = default;
    // Throws PluginError (with an errno) when the batch could not be sent.
    virtual void send(const void *data, size_t len) = 0;
    virtual uint32_t max_payload() const = 0;
    virtual ctd_transport_stats stats() const = 0;
    virtual std::string describe() const { return {}; }
    // ABI 1.1: the interface the link runs on (see ctd_transport_info).
    virtual ctd_transport_info info() const { return ctd_transport_info{}; }
};

// ---------------------------------------------------------------------------
// Sync modes (ABI 1.1).

// The host's services for a sync mode: the internal cache's objects, sending
// state and control messages, and the peer's sequence numbers (see the sync
// services of struct ctd_host_api).  Cheap to copy.
class SyncHost : public Host {
public:
    SyncHost() = default;
    // Throws PluginError when the core offers no sync services (a core older
    // than ABI 1.1).
    explicit SyncHost(Host host) : Host(host) {
        const ctd_host_api *a = api();
        constexpr size_t needed =
            offsetof(ctd_host_api, set_external_timeout) + sizeof a->set_external_timeout;
        if (!a || a->size < needed || !a->object_area || !a->object_of_area || !a->object_state ||
            !a->object_hold || !a->object_release || !a->cache_iterate || !a->send_object ||
            !a->send_control || !a->send_flush || !a->seq_track || !a->seq_update ||
            !a->set_external_timeout)
            throw PluginError("this conntrackd offers no sync services to sync mode plugins "
                              "(plugin ABI 1.1 or later is needed)",
                              ENOTSUP);
    }

    // The mode's private area of an object: the plugin's area_size bytes,
    // zero-filled when the object was created and kept, at the same address,
    // until the object is freed.  T is a plain struct whose all-zero state
    // is its initial state.
    template <class T>
    T *area(ctd_object *object) const {
        return static_cast<T *>(api()->object_area(handle(), object));
    }
    ctd_object *object_of(void *area) const { return api()->object_of_area(handle(), area); }
    // CTD_OBJECT_NEW, _ALIVE or _DEAD: the message type it is sent as.
    uint32_t state(ctd_object *object) const { return api()->object_state(handle(), object); }
    // A held object stays in memory (dead, if it was destroyed) until the
    // matching release(): hold every object a queue or timer points to.
    void hold(ctd_object *object) const { api()->object_hold(handle(), object); }
    void release(ctd_object *object) const { api()->object_release(handle(), object); }

    // Calls visit(ctd_object *) for every live object of the internal cache.
    // An exception thrown by `visit` ends the walk and propagates from here.
    template <class Visit>
    void for_each_object(Visit &&visit) const {
        struct Walk {
            Visit &visit;
            std::exception_ptr failure;
        } walk{visit, nullptr};
        api()->cache_iterate(
            handle(),
            [](void *user, ctd_object *object) {
                auto *w = static_cast<Walk *>(user);
                if (w->failure)
                    return;
                try {
                    w->visit(object);
                } catch (...) {
                    // Nothing may unwind through the core's frames.
                    w->failure = std::current_exception();
                }
            },
            &walk);
        if (walk.failure)
            std::rethrow_exception(walk.failure);
    }

    // Sends an object as the state message its state says, with these
    // header flags; returns the sequence number it got.
    uint32_t send_object(ctd_object *object, uint8_t flags) const {
        return api()->send_object(handle(), object, flags);
    }
    // Sends a control message (type 10); `from` and `to` matter for ACK,
    // NACK and RESYNC.  Returns the sequence number it got.
    uint32_t send_control(uint8_t flags, uint32_t from = 0, uint32_t to = 0) const {
        return api()->send_control(handle(), flags, from, to);
    }
    void flush() const { api()->send_flush(handle()); }
    // CTD_SEQ_*: how a received sequence number compares with the last one
    // recorded (and counts losses for `-s network`).
    uint32_t seq_track(uint32_t seq) const { return api()->seq_track(handle(), seq); }
    void seq_update(uint32_t seq) const { api()->seq_update(handle(), seq); }
    void set_external_timeout(uint32_t seconds) const {
        api()->set_external_timeout(handle(), seconds);
    }
    // Whether the core can send its kernel table itself (ABI 1.1 cores that
    // have send_kernel_table).
    bool can_send_kernel_table() const {
        const ctd_host_api *a = api();
        return a->size >= offsetof(ctd_host_api, send_kernel_table) + sizeof a->send_kernel_table &&
               a->send_kernel_table;
    }
    void send_kernel_table() const {
        if (!can_send_kernel_table())
            throw PluginError("this conntrackd cannot send its kernel table", ENOTSUP);
        api()->send_kernel_table(handle());
    }
};

// What a received message is, for the core (CTD_SYNC_MSG_*).
enum class Verdict : int {
    data = CTD_SYNC_MSG_DATA,    // a state message to apply
    control = CTD_SYNC_MSG_CTL,  // a control message the mode consumed
    drop = CTD_SYNC_MSG_DROP,    // ignore it
    bad = CTD_SYNC_MSG_BAD,      // a malformed header, counted as such
};

class SyncMode {
public:
    virtual ~SyncMode() = default;
    // An internal-cache object was created, updated or destroyed
    // (CTD_EVENT_NEW/UPDATE/DESTROY), or loaded from the kernel table
    // (CTD_EVENT_LOADED: nothing to send).  A destroyed object is freed
    // after this returns unless the mode holds it.  Ignore other values.
    virtual void local_change(ctd_object *object, uint32_t event) = 0;
    // A message from the peer, header already checked by the core.
    virtual Verdict receive(const ctd_sync_message &message) = 0;
    // `conntrackd -B`.
    virtual void send_bulk() = 0;
    // `conntrackd -n` and StartupResync.  The operations table has this
    // entry only if the class overrides it (modes that cannot resync don't).
    virtual void request_resync() {}
    // `conntrackd -s rsqueue`: write the listing to `fd`.  In the table only
    // if overridden.
    virtual void dump_resend_queue(int fd) { (void)fd; }
    // `-s queue`: which 0 = transmit queue, 1 = resend queue.  Fill `out`
    // (its size is set by the SDK) and return true if the mode has it.
    virtual bool queue_stats(uint32_t which, ctd_queue_stats &out) const {
        (void)which;
        (void)out;
        return false;
    }
};

namespace detail {

inline void copy_error(char *buffer, size_t len, const char *text) {
    if (buffer && len)
        std::snprintf(buffer, len, "%s", text);
}

// The host handle each loaded plugin got at init; one plugin per .so.
inline Host &plugin_host() {
    static Host host;
    return host;
}

template <class T>
concept HasInit = requires(Host &h) { T::plugin_init(h); };
template <class T>
concept HasFini = requires { T::plugin_fini(); };
template <class T>
concept HasKeys = requires { std::size(T::config_keys); };

template <class T>
const ctd_config_key *keys() {
    if constexpr (HasKeys<T>)
        return T::config_keys;
    else
        return nullptr;
}
template <class T>
uint32_t key_count() {
    if constexpr (HasKeys<T>)
        return static_cast<uint32_t>(std::size(T::config_keys));
    else
        return 0;
}

template <class T>
int init(const ctd_host_api *api, ctd_host *host, char *error, size_t error_len) {
    plugin_host() = Host(api, host);
    try {
        if constexpr (HasInit<T>)
            T::plugin_init(plugin_host());
        return 0;
    } catch (const std::exception &e) {
        copy_error(error, error_len, e.what());
    } catch (...) {
        copy_error(error, error_len, "unknown exception in plugin initialisation");
    }
    return -1;
}

template <class T>
void fini() {
    if constexpr (HasFini<T>) {
        try {
            T::plugin_fini();
        } catch (...) {
        }
    }
}

// Runs a plugin call, turning exceptions into a logged error and -errno.
template <class F>
int guarded(const Host &host, F &&call) {
    try {
        call();
        return 0;
    } catch (const QuietError &e) {
        return -e.error_number();
    } catch (const PluginError &e) {
        host.error(e.what());
        return -e.error_number();
    } catch (const std::exception &e) {
        host.error(e.what());
    } catch (...) {
        host.error("unknown exception");
    }
    return -EIO;
}

template <class T, class... Args>
T *create(char *error, size_t error_len, Args &&...args) {
    try {
        return new T(std::forward<Args>(args)...);
    } catch (const std::exception &e) {
        copy_error(error, error_len, e.what());
    } catch (...) {
        copy_error(error, error_len, "unknown exception while creating the plugin instance");
    }
    return nullptr;
}

template <class T>
struct OutputOps {
    struct Instance {
        Host host;
        std::unique_ptr<T> impl;
    };
    static void *create(ctd_host *host, const ctd_config *config, char *error, size_t len) {
        Host bound(plugin_host().api(), host);
        T *impl = detail::create<T>(error, len, bound, Config(config));
        if (!impl)
            return nullptr;
        return new Instance{bound, std::unique_ptr<T>(impl)};
    }
    static void destroy(void *instance) {
        try {
            delete static_cast<Instance *>(instance);
        } catch (...) {
        }
    }
    static int write_flow(void *instance, const ctd_flow *flow, uint64_t when_us) {
        auto *self = static_cast<Instance *>(instance);
        return guarded(self->host, [&] { self->impl->write_flow(*flow, when_us); });
    }
    static int reopen(void *instance) {
        auto *self = static_cast<Instance *>(instance);
        return guarded(self->host, [&] { self->impl->reopen(); });
    }
    static int flush(void *instance) {
        auto *self = static_cast<Instance *>(instance);
        return guarded(self->host, [&] { self->impl->flush(); });
    }
    static const ctd_output_ops *table() {
        static const ctd_output_ops ops = {sizeof(ctd_output_ops), &create, &destroy,
                                           &write_flow, &reopen, &flush};
        return &ops;
    }
};

template <class T>
struct TransportOps {
    struct Instance {
        Host host;
        std::unique_ptr<T> impl;
    };
    static void *create(ctd_host *host, const ctd_config *config, ctd_transport_deliver deliver,
                        void *context, char *error, size_t len) {
        Host bound(plugin_host().api(), host);
        T *impl = detail::create<T>(error, len, bound, Config(config),
                                    Deliverer(deliver, context, bound));
        if (!impl)
            return nullptr;
        return new Instance{bound, std::unique_ptr<T>(impl)};
    }
    static void destroy(void *link) {
        try {
            delete static_cast<Instance *>(link);
        } catch (...) {
        }
    }
    static int send(void *link, const void *data, size_t len) {
        auto *self = static_cast<Instance *>(link);
        return guarded(self->host, [&] { self->impl->send(data, len); });
    }
    static uint32_t max_payload(void *link) {
        return static_cast<Instance *>(link)->impl->max_payload();
    }
    static void stats(void *link, ctd_transport_stats *out) {
        auto *self = static_cast<Instance *>(link);
        ctd_transport_stats s{};
        guarded(self->host, [&] { s = self->impl->stats(); });
        // Never write past the core's struct; tell it how much is filled.
        size_t filled = out->size && out->size < sizeof s ? out->size : sizeof s;
        s.size = static_cast<uint32_t>(filled);
        std::memcpy(out, &s, filled);
    }
    static size_t describe(void *link, char *buf, size_t len) {
        auto *self = static_cast<Instance *>(link);
        std::string text;
        guarded(self->host, [&] { text = self->impl->describe(); });
        if (buf && len)
            std::snprintf(buf, len, "%s", text.c_str());
        return text.size();
    }
    static void info(void *link, ctd_transport_info *out) {
        auto *self = static_cast<Instance *>(link);
        ctd_transport_info i{};
        guarded(self->host, [&] { i = self->impl->info(); });
        // Never write past the core's struct; tell it how much is filled.
        size_t filled = out->size && out->size < sizeof i ? out->size : sizeof i;
        i.size = static_cast<uint32_t>(filled);
        std::memcpy(out, &i, filled);
    }
    static const ctd_transport_ops *table(uint32_t flags) {
        static const ctd_transport_ops ops = {sizeof(ctd_transport_ops), flags, &create, &destroy,
                                              &send, &max_payload, &stats, &describe, &info};
        return &ops;
    }
};

template <class T>
struct SyncOps {
    static_assert(std::is_base_of_v<SyncMode, T>, "a sync mode plugin derives from SyncMode");
    struct Instance {
        Host host;
        std::unique_ptr<T> impl;
    };
    // The optional entries exist only for the modes that implement them, so
    // the core can tell (e.g. `-n` does nothing in a mode without resync).
    static constexpr bool has_request_resync =
        !std::is_same_v<decltype(&T::request_resync), void (SyncMode::*)()>;
    static constexpr bool has_dump_resend_queue =
        !std::is_same_v<decltype(&T::dump_resend_queue), void (SyncMode::*)(int)>;

    static void *create(ctd_host *host, const ctd_config *config, char *error, size_t len) {
        Host bound(plugin_host().api(), host);
        try {
            auto impl = std::make_unique<T>(SyncHost(bound), Config(config));
            return new Instance{bound, std::move(impl)};
        } catch (const std::exception &e) {
            copy_error(error, len, e.what());
        } catch (...) {
            copy_error(error, len, "unknown exception while creating the sync mode");
        }
        return nullptr;
    }
    static void destroy(void *instance) {
        try {
            delete static_cast<Instance *>(instance);
        } catch (...) {
        }
    }
    static void local_change(void *instance, ctd_object *object, uint32_t event) {
        auto *self = static_cast<Instance *>(instance);
        guarded(self->host, [&] { self->impl->local_change(object, event); });
    }
    static int receive(void *instance, const ctd_sync_message *message) {
        auto *self = static_cast<Instance *>(instance);
        // Never read past what the core filled in.
        ctd_sync_message m{};
        size_t given = message->size && message->size < sizeof m ? message->size : sizeof m;
        std::memcpy(&m, message, given);
        m.size = sizeof m;
        Verdict verdict = Verdict::drop;
        if (guarded(self->host, [&] { verdict = self->impl->receive(m); }) != 0)
            return CTD_SYNC_MSG_DROP;
        return static_cast<int>(verdict);
    }
    static void send_bulk(void *instance) {
        auto *self = static_cast<Instance *>(instance);
        guarded(self->host, [&] { self->impl->send_bulk(); });
    }
    static void request_resync(void *instance) {
        auto *self = static_cast<Instance *>(instance);
        guarded(self->host, [&] { self->impl->request_resync(); });
    }
    static int queue_stats(void *instance, uint32_t which, ctd_queue_stats *out) {
        auto *self = static_cast<Instance *>(instance);
        ctd_queue_stats q{};
        bool has = false;
        guarded(self->host, [&] { has = self->impl->queue_stats(which, q); });
        if (!has || !out)
            return 0;
        // Never write past the core's struct; tell it how much is filled.
        size_t filled = out->size && out->size < sizeof q ? out->size : sizeof q;
        q.size = static_cast<uint32_t>(filled);
        std::memcpy(out, &q, filled);
        return 1;
    }
    static void dump_resend_queue(void *instance, int fd) {
        auto *self = static_cast<Instance *>(instance);
        guarded(self->host, [&] { self->impl->dump_resend_queue(fd); });
    }
    static const ctd_sync_ops *table(uint32_t area_size) {
        static const ctd_sync_ops ops = {sizeof(ctd_sync_ops),
                                         &create,
                                         &destroy,
                                         area_size,
                                         0,
                                         &local_change,
                                         &receive,
                                         &send_bulk,
                                         has_request_resync ? &request_resync : nullptr,
                                         &queue_stats,
                                         has_dump_resend_queue ? &dump_resend_queue : nullptr};
        return &ops;
    }
};

template <class T>
constexpr ctd_plugin_descriptor descriptor(uint32_t kind, const char *name, const char *version,
                                           const char *description, const void *ops) {
    return ctd_plugin_descriptor{sizeof(ctd_plugin_descriptor),
                                 CTD_PLUGIN_ABI_MAJOR,
                                 CTD_PLUGIN_ABI_MINOR,
                                 kind,
                                 0,
                                 name,
                                 version,
                                 description,
                                 keys<T>(),
                                 key_count<T>(),
                                 0,
                                 &init<T>,
                                 &fini<T>,
                                 ops};
}

} // namespace detail
} // namespace ctd::sdk

// Emits the one exported function of the plugin.
#define CTD_DEFINE_PLUGIN_ENTRY_(descriptor_expression)                                 \
    extern "C" CTD_PLUGIN_EXPORT const ctd_plugin_descriptor *ctd_plugin_entry(void) {   \
        static const ctd_plugin_descriptor descriptor = descriptor_expression;           \
        return &descriptor;                                                              \
    }

#define CTD_OUTPUT_PLUGIN(Class, name, version, description)                             \
    CTD_DEFINE_PLUGIN_ENTRY_((::ctd::sdk::detail::descriptor<Class>(                     \
        CTD_PLUGIN_KIND_OUTPUT, name, version, description,                              \
        ::ctd::sdk::detail::OutputOps<Class>::table())))

// `flags` is 0 for datagram links or CTD_TRANSPORT_STREAM.
#define CTD_TRANSPORT_PLUGIN(Class, name, version, description, flags)                   \
    CTD_DEFINE_PLUGIN_ENTRY_((::ctd::sdk::detail::descriptor<Class>(                     \
        CTD_PLUGIN_KIND_TRANSPORT, name, version, description,                           \
        ::ctd::sdk::detail::TransportOps<Class>::table(flags))))

// `area_size`: bytes of private area the mode wants in every internal-cache
// object (SyncHost::area), typically sizeof of the mode's per-object struct.
#define CTD_SYNC_PLUGIN(Class, name, version, description, area_size)                    \
    CTD_DEFINE_PLUGIN_ENTRY_((::ctd::sdk::detail::descriptor<Class>(                     \
        CTD_PLUGIN_KIND_SYNC, name, version, description,                                \
        ::ctd::sdk::detail::SyncOps<Class>::table(area_size))))

#endif // CONNTRACKD_PLUGIN_HPP
