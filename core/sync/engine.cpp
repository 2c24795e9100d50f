#include "sync/engine.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cache_dump.hpp"
#include "ct/format.hpp"
#include "kernel_flush.hpp"
#include "log.hpp"
#include "options.hpp"

namespace ctd::sync {

namespace {

// Entry flag: seen by the current resync dump.
constexpr uint16_t flag_seen = 0x1;

FlowCache::Entry *entry_of(ctd_object *object) { return reinterpret_cast<FlowCache::Entry *>(object); }
ctd_object *object_of(FlowCache::Entry *entry) { return reinterpret_cast<ctd_object *>(entry); }

uint8_t message_type_of(FlowCache::State state) {
    switch (state) {
    case FlowCache::State::fresh: return msg_ct_new;
    case FlowCache::State::alive: return msg_ct_update;
    default: return msg_ct_delete;
    }
}

// The word the reference prints for a transport.
const char *transport_word(const std::string &plugin) {
    if (plugin == "udp")
        return "UDP";
    if (plugin == "tcp")
        return "TCP";
    if (plugin == "mcast")
        return "multicast";
    return plugin.c_str();
}

bool interface_running(const char *name) {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return true;
    ifreq request{};
    std::snprintf(request.ifr_name, sizeof request.ifr_name, "%s", name);
    if (ioctl(fd.get(), SIOCGIFFLAGS, &request) != 0)
        return false;
    return (request.ifr_flags & IFF_UP) && (request.ifr_flags & IFF_RUNNING);
}

} // namespace

// ---------------------------------------------------------------------------
// A link: one transport plugin instance and its send batch.

struct Engine::Link {
    Engine *engine = nullptr;
    size_t index = 0;
    LinkSetup setup;
    const ctd_transport_ops *ops = nullptr;
    void *instance = nullptr;
    bool stream = false;
    ctd_transport_info info{};
    std::string word;     // UDP, TCP, multicast
    bool running = true;  // carrier
    std::vector<uint8_t> out;
    size_t used = 0;
    std::vector<uint8_t> partial; // stream: bytes of an incomplete message

    ~Link() {
        if (instance)
            ops->destroy(instance);
    }
    ctd_transport_stats stats() const {
        ctd_transport_stats s{};
        s.size = sizeof s;
        ops->stats(instance, &s);
        return s;
    }
    std::string describe() const {
        if (!ops->describe)
            return {};
        char text[256] = "";
        ops->describe(instance, text, sizeof text);
        return text;
    }
};

// ---------------------------------------------------------------------------
// Carrier monitoring through rtnetlink: a link whose interface loses UP or
// RUNNING hands the sending over to the next link that has both.

class Engine::CarrierMonitor {
public:
    CarrierMonitor(Engine &engine, EventLoop &loop) : engine_(engine), loop_(loop) {
        fd_.reset(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
        if (!fd_)
            throw std::runtime_error(std::string("can't open rtnetlink socket: ") + std::strerror(errno));
        sockaddr_nl address{};
        address.nl_family = AF_NETLINK;
        address.nl_groups = RTMGRP_LINK;
        if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            throw std::runtime_error(std::string("can't bind rtnetlink socket: ") + std::strerror(errno));
        loop_.watch(fd_.get(), EPOLLIN, [this](uint32_t) { readable(); });
    }
    ~CarrierMonitor() { loop_.unwatch(fd_.get()); }

private:
    void readable() {
        alignas(nlmsghdr) char buffer[16384];
        for (;;) {
            ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
            if (n <= 0)
                return;
            int left = static_cast<int>(n);
            // libmnl's walkers: the NLMSG_OK macro mixes signedness (clang warns).
            for (auto *nlh = reinterpret_cast<nlmsghdr *>(buffer); mnl_nlmsg_ok(nlh, left);
                 nlh = mnl_nlmsg_next(nlh, &left)) {
                if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
                    continue;
                if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg)))
                    continue;
                auto *info = static_cast<ifinfomsg *>(NLMSG_DATA(nlh));
                bool up = nlh->nlmsg_type == RTM_NEWLINK && (info->ifi_flags & IFF_UP) &&
                          (info->ifi_flags & IFF_RUNNING);
                engine_.carrier_changed(static_cast<uint32_t>(info->ifi_index), up);
            }
        }
    }

    Engine &engine_;
    EventLoop &loop_;
    UniqueFd fd_;
};

// ---------------------------------------------------------------------------
// Commit: the external cache into the kernel, in chunks per loop round so
// that the daemon stays responsive, with many requests per sendmsg.

class Engine::Commit {
public:
    Commit(Engine &engine, DeferredReply reply, bool flows, bool expectations)
        : engine_(engine), reply_(std::move(reply)), timer_(engine.loop_, [this] { step(); }) {
        gettimeofday(&start_, nullptr);
        logger().log(log_notice, flows && expectations ? "committing all external caches"
                                 : flows               ? "committing conntrack cache"
                                                       : "committing expectation cache");
        // Flows without a master first: a related flow needs its master in
        // the table to be created (the first pass sets related flows aside
        // as it meets them); expectations last, they need both.
        if (flows && engine.external_) {
            FlowCache &cache = *engine.external_;
            cache.for_each([&](FlowCache::Entry *e) {
                if (e->state == FlowCache::State::dead)
                    return;
                flows_.push_back(e);
                cache.hold(e);
            });
        }
        if (expectations && engine.external_expect_) {
            engine.external_expect_->for_each([&](FlowCache::Entry *e) {
                if (e->state == FlowCache::State::dead)
                    return;
                expects_.push_back(e);
                engine_.external_expect_->hold(e);
            });
        }
        // Every creation of the commit would make the kernel build a NEW
        // event, and this daemon would drop each one (its own origin).
        // While the commit runs the socket leaves the NEW group instead: with
        // no listener left, the kernel builds none (a sixth of the commit's
        // kernel time), and our socket is not flooded into an overrun.
        // Flows that start meanwhile are caught up with at the end.
        if (engine_.internal_ && !engine_.settings_.poll_secs && !flows_.empty()) {
            insertions_known_ = engine_.table_.ctnetlink_insertions(insertions_before_) == 0;
            new_events_paused_ = engine_.events_.set_new_events(false);
        }
        timer_.arm(0);
    }
    ~Commit() {
        if (new_events_paused_) {  // ended early (the daemon stops)
            engine_.events_.set_new_events(true);
            engine_.catch_up_timer_.arm(0);
        }
        for (FlowCache::Entry *e : flows_)  // related_ holds some of them again, unheld
            engine_.external_->release(e);
        for (FlowCache::Entry *e : expects_)
            engine_.external_expect_->release(e);
    }
    bool done() const { return done_; }

private:
    // Entries per loop round: large enough for speed, small enough that the
    // links and the control socket are served in between.
    static constexpr size_t chunk = 16384;

    void prepare(FlowCache::Entry *e, ct::Flow &flow) {
        using A = ct::FlowAttr;
        engine_.external_->unpack(e, flow);
        uint32_t timeout;
        if (engine_.settings_.commit_timeout) {
            timeout = engine_.settings_.commit_timeout;
        } else {
            // What is left of the timeout the peer sent, counted from when it
            // arrived; a flow past its time gets a minute.
            int64_t left = flow.has(A::Timeout) ? int64_t(flow.timeout) - int64_t(engine_.now() - e->updated) : -1;
            timeout = left > 0 ? static_cast<uint32_t>(left) : 60;
        }
        flow.set_timeout(timeout);
        if (flow.has(A::Status))
            flow.status &= ~ct::status::Expected;
        // The kernel needs the reply tuple to create a flow; NAT setup then
        // rewrites it.
        reverse_tuple(flow.orig, flow.reply);
        flow.set(A::ReplyTuple);
        if (!engine_.settings_.tcp_window_tracking && flow.has(A::TcpState)) {
            // Without window data the kernel must not judge the sequence
            // numbers of a flow it did not see start.
            uint8_t flags = ct::tcp_flag::BeLiberal | ct::tcp_flag::SackPerm;
            if (flow.tcp_state >= 7) // TIME_WAIT and later
                flags |= ct::tcp_flag::CloseInit;
            flow.tcp_flags[0] = flow.tcp_flags[1] = {flags, flags};
            flow.set(A::TcpFlagsOrig);
            flow.set(A::TcpFlagsReply);
        }
        for (A a : {A::Id, A::Use, A::OrigPackets, A::OrigBytes, A::ReplyPackets, A::ReplyBytes,
                    A::TimestampStart, A::TimestampStop, A::TimestampEvent, A::Secmark, A::Secctx})
            flow.present.reset(a);
    }

    void commit_expectations() {
        ct::Expect exp;
        for (FlowCache::Entry *e : expects_) {
            if (e->state == FlowCache::State::dead)
                continue;
            engine_.external_expect_->unpack_expect(e, exp);
            if (!engine_.settings_.commit_timeout) {
                int64_t left = int64_t(exp.timeout) - int64_t(engine_.now() - e->updated);
                exp.timeout = left > 0 ? static_cast<uint32_t>(left) : 60;
            } else {
                exp.timeout = engine_.settings_.commit_timeout;
            }
            exp.set(ct::ExpectAttr::Timeout);
            int err = engine_.inject_.create_expect(exp);
            if (err == -EEXIST) {
                engine_.inject_.destroy_expect(exp);
                err = engine_.inject_.create_expect(exp);
            }
            (err == 0 ? committed_ : failed_)++;
        }
    }

    // Requests built ahead, a block per sendmsg.
    struct Block {
        std::vector<unsigned char> bytes;  // the requests, back to back
        std::vector<FlowCache::Entry *> entries;
        std::size_t used = 0;
    };
    // Fits in a ct::Batch of 128 KiB with its closing NOOP.
    static constexpr std::size_t block_bytes = 120 * 1024;
    static constexpr std::size_t block_requests = 1024;

    // Builds the creations of entries [begin, end) into blocks, handing each
    // to `ready` when full.  Flows with a master are set aside in
    // `related` (phase 0).  Only reads the external cache and the
    // settings: it runs on a helper thread while the loop thread sends.
    void build_blocks(FlowCache::Entry *const *begin, FlowCache::Entry *const *end,
                      std::vector<FlowCache::Entry *> &related, unsigned &failed,
                      const std::function<void(Block &&)> &ready) {
        ct::Flow flow;
        Block block;
        auto start_block = [&] {
            block.bytes.resize(block_bytes);
            block.entries.reserve(block_requests);
        };
        start_block();
        for (auto *it = begin; it != end; ++it) {
            FlowCache::Entry *e = *it;
            if (e->state == FlowCache::State::dead)
                continue;
            prepare(e, flow);
            if (phase_ == 0 && flow.has(ct::FlowAttr::MasterTuple)) {
                related.push_back(e);  // after every flow without a master
                continue;
            }
            if (block_bytes - block.used < ct::MaxRequestSize || block.entries.size() == block_requests) {
                ready(std::move(block));
                block = Block{};
                start_block();
            }
            nlmsghdr *request = ct::build_flow(block.bytes.data() + block.used, block_bytes - block.used,
                                               ct::msg::CtNew, NLM_F_CREATE | NLM_F_EXCL, 0, flow);
            if (!request) {
                ++failed;
                continue;
            }
            block.used += NLMSG_ALIGN(request->nlmsg_len);
            block.entries.push_back(e);
        }
        if (!block.entries.empty())
            ready(std::move(block));
    }

    void step() {
        std::vector<FlowCache::Entry *> &list = phase_ == 0 ? flows_ : related_;
        ct::Batch batch(engine_.inject_.socket(), 128 * 1024, block_requests, ct::Batch::Acks::ErrorsOnly);
        ct::Flow flow;
        std::vector<FlowCache::Entry *> retry;
        const size_t end = std::min(list.size(), next_ + chunk);
        auto on_ack = [&](std::uintptr_t cookie, int error) {
            auto *e = reinterpret_cast<FlowCache::Entry *>(cookie);
            if (error == 0)
                ++committed_;
            else if (error == -EEXIST)
                retry.push_back(e);
            else
                ++failed_;
        };
        auto send = [&](const Block &block) {
            std::size_t at = 0;
            for (FlowCache::Entry *e : block.entries) {
                const auto *request = reinterpret_cast<const nlmsghdr *>(block.bytes.data() + at);
                at += NLMSG_ALIGN(request->nlmsg_len);
                batch.queue_copy(request, reinterpret_cast<std::uintptr_t>(e));
            }
            batch.flush(on_ack);
        };
        // The kernel creates one flow at a time (ctnetlink holds a mutex),
        // but reading the cache and building the requests can go on beside
        // it: a helper thread builds blocks while this one sends them.
        FlowCache::Entry *const *first = list.data() + next_, *const *last = list.data() + end;
        std::vector<FlowCache::Entry *> related;  // phase 0: found in this chunk
        unsigned build_failed = 0;
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<Block> ready;
        bool built = false;
        auto hand_over = [&](Block &&block) {
            std::lock_guard lock(mutex);
            ready.push_back(std::move(block));
            wake.notify_one();
        };
        std::jthread builder;
        try {
            builder = std::jthread([&] {
                build_blocks(first, last, related, build_failed, hand_over);
                std::lock_guard lock(mutex);
                built = true;
                wake.notify_one();
            });
        } catch (const std::system_error &) {
            // No thread to be had: build everything here, then send.
            build_blocks(first, last, related, build_failed, hand_over);
            built = true;
        }
        for (;;) {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] { return !ready.empty() || built; });
            if (ready.empty())
                break;
            Block block = std::move(ready.front());
            ready.pop_front();
            lock.unlock();
            send(block);
        }
        if (builder.joinable())
            builder.join();
        next_ = end;
        failed_ += build_failed;
        related_.insert(related_.end(), related.begin(), related.end());
        // The flow is in the table already (an older copy): replace it, once.
        for (FlowCache::Entry *e : retry) {
            prepare(e, flow);
            engine_.inject_.destroy(flow);
            if (engine_.inject_.create(flow) == 0)
                ++committed_;
            else
                ++failed_;
        }
        if (next_ < list.size()) {
            timer_.arm(0);
            return;
        }
        if (phase_ == 0) {
            phase_ = 1;
            next_ = 0;
            timer_.arm(0);
            return;
        }
        commit_expectations();
        finish();
    }

    void finish() {
        timeval end, took;
        gettimeofday(&end, nullptr);
        timersub(&end, &start_, &took);
        logger().logf(log_notice, "Committed %u new entries", committed_);
        if (failed_)
            logger().logf(log_notice, "%u entries can't be committed", failed_);
        logger().logf(log_notice, "commit has taken %lu.%06lu seconds",
                      static_cast<unsigned long>(took.tv_sec), static_cast<unsigned long>(took.tv_usec));
        // The client waited for this: its EOF says the commit is over.
        reply_.finish();
        done_ = true;
        if (new_events_paused_) {
            // Back in the group now; the catch-up dump once the loop has
            // sent the reply.
            new_events_paused_ = false;
            engine_.events_.set_new_events(true);
            engine_.catch_up_timer_.arm(0);
            // Flows that other programs created over ctnetlink meanwhile may
            // have had their reply already: then every flow is looked at.
            uint64_t after = 0;
            if (!insertions_known_ || engine_.table_.ctnetlink_insertions(after) < 0 ||
                after - insertions_before_ != committed_) {
                logger().log(log_notice, "flows were created by other programs during the commit: "
                                         "looking for them in the whole table");
                engine_.catch_up_all_ = true;
            }
        }
    }

    Engine &engine_;
    DeferredReply reply_;
    LoopTimer timer_;
    timeval start_{};
    // Every flow (held), then those of them that have a master (phase 1).
    std::vector<FlowCache::Entry *> flows_, related_, expects_;
    int phase_ = 0;
    bool new_events_paused_ = false;
    bool insertions_known_ = false;
    uint64_t insertions_before_ = 0;  // ctnetlink insertions when the commit started
    size_t next_ = 0;
    unsigned committed_ = 0, failed_ = 0;
    bool done_ = false;
};

// ---------------------------------------------------------------------------

Engine::Engine(EventLoop &loop, PluginHost &host, SyncSettings settings,
               std::shared_ptr<LoadedPlugin> mode, std::unique_ptr<PluginConfig> mode_config,
               std::vector<LinkSetup> links, NetlinkCounters &netlink, ProcessTable *processes)
    : loop_(loop), host_(host), settings_(std::move(settings)), netlink_(netlink),
      processes_(processes),
      mode_plugin_(std::move(mode)), mode_config_(std::move(mode_config)),
      link_setups_(std::move(links)), flush_timer_(loop, [this] { flush_links(); }),
      expire_timer_(loop, [this] { expire_external(); }),
      events_(loop, settings_.events, netlink),
      resync_timer_(loop, [this] { resync_with_kernel(true); }),
      catch_up_timer_(loop, [this] { catch_up_unreplied_flows(); }),
      purge_timer_(loop, [this] { purge_kernel_table(); }) {
    encode_options_.commit_timeout_set = settings_.commit_timeout != 0;
    encode_options_.tcp_window_tracking = settings_.tcp_window_tracking;
    mode_ops_ = &mode_plugin_->ops<ctd_sync_ops>();
    if (!mode_ops_->local_change || !mode_ops_->receive)
        throw std::runtime_error("sync plugin '" + mode_plugin_->name() +
                                 "' was built for plugin ABI 1.0, which cannot run a sync mode; "
                                 "rebuild it");
    if (!settings_.disable_internal_cache)
        internal_ = std::make_unique<FlowCache>("internal", settings_.hash_size,
                                                settings_.hash_limit, mode_ops_->object_area_size);
    else
        logger().log(log_notice, "disabling internal cache");
    if (!settings_.disable_external_cache)
        external_ = std::make_unique<FlowCache>("external", settings_.hash_size, settings_.hash_limit);
    else
        logger().log(log_notice, "disabling external cache");
    if (settings_.expectation_sync) {
        // Expectations are few: small tables.
        if (internal_)
            internal_expect_ = std::make_unique<FlowCache>("internal", 1024, settings_.hash_limit,
                                                           mode_ops_->object_area_size);
        if (external_)
            external_expect_ = std::make_unique<FlowCache>("external", 1024, settings_.hash_limit);
    }
}

Engine::~Engine() {
    commit_.reset();
    if (mode_)
        mode_ops_->destroy(mode_);
    host_.set_sync_services(nullptr);
    host_.set_transport_event_handler(nullptr);
    links_.clear();
}

uint32_t Engine::now() const { return static_cast<uint32_t>(EventLoop::monotonic_us() / 1000000u); }

void Engine::start() {
    host_.set_sync_services(this);
    host_.set_transport_event_handler([this](void *context, uint32_t event) { on_transport_event(context, event); });
    open_links();
    carrier_ = std::make_unique<CarrierMonitor>(*this, loop_);

    table_.open();
    inject_.open();
    events_.ignore_origin(table_.portid());
    events_.ignore_origin(inject_.portid());

    char error[512] = "";
    mode_ = mode_ops_->create(mode_plugin_->host(), mode_config_->get(), error, sizeof error);
    if (!mode_)
        throw std::runtime_error("sync mode " + mode_plugin_->name() + ": " + error);

    if (settings_.poll_secs) {
        logger().log(log_notice, "running in polling mode");
        resync_timer_.arm(settings_.poll_secs * 1000000ull, settings_.poll_secs * 1000000ull);
    } else {
        events_.start([this](const ct::Flow &flow) { on_kernel_event(flow); },
                      [this](const ct::Expect &exp) { on_kernel_expect(exp); },
                      [this] { schedule_overrun_resync(); });
    }
    // The internal cache starts as the kernel table is now; the mode hears
    // of each flow (FTFW and NOTRACK send nothing for them until they
    // change or a peer asks; ALARM schedules their refresh).
    if (internal_) {
        table_.dump(ct::DumpFilter{}, [&](const ct::Flow &flow) {
            if (!filter_accepts(settings_.filter, flow))
                return;
            if (FlowCache::Entry *e = internal_->update_or_add(flow, now()))
                mode_ops_->local_change(mode_, object_of(e), CTD_EVENT_LOADED);
        }, &netlink_);
    }
    if (internal_expect_) {
        table_.dump_expect(AF_UNSPEC, [&](const ct::Expect &exp) {
            if (expectation_wanted(exp))
                internal_expect_->add_or_replace_expect(exp, now());
        });
    }
    if (settings_.startup_resync && mode_ops_->request_resync)
        mode_ops_->request_resync(mode_);
}

// ---------------------------------------------------------------------------
// Links.

void Engine::open_links() {
    for (size_t i = 0; i < link_setups_.size(); ++i) {
        auto link = std::make_unique<Link>();
        link->engine = this;
        link->index = i;
        link->setup = std::move(link_setups_[i]);
        link->ops = &link->setup.plugin->ops<ctd_transport_ops>();
        link->stream = link->ops->flags & CTD_TRANSPORT_STREAM;
        link->word = transport_word(link->setup.plugin->name());
        char error[512] = "";
        link->instance = link->ops->create(link->setup.plugin->host(), link->setup.config->get(),
                                           &Engine::deliver, link.get(), error, sizeof error);
        if (!link->instance)
            throw std::runtime_error(std::string(error));
        link->info.size = sizeof link->info;
        if (link->ops->info)
            link->ops->info(link->instance, &link->info);
        uint32_t payload = link->ops->max_payload(link->instance);
        if (payload < range_header_size)
            payload = 1472;
        link->out.resize(payload < max_message_size ? max_message_size : payload);
        link->running = link->info.ifname[0] ? interface_running(link->info.ifname) : true;
        if (link->setup.is_default)
            active_ = i;
        links_.push_back(std::move(link));
    }
    link_setups_.clear();
    if (links_.empty())
        throw std::runtime_error("no dedicated links configured");
    if (!links_[active_]->running) {
        for (size_t i = 0; i < links_.size(); ++i)
            if (links_[i]->running) {
                active_ = i;
                break;
            }
    }
}

void Engine::make_active(size_t index, const char *why) {
    if (index == active_)
        return;
    flush_links();
    active_ = index;
    logger().logf(log_notice, "device `%s' becomes dedicated link%s", links_[index]->info.ifname, why);
}

void Engine::carrier_changed(uint32_t ifindex, bool up) {
    for (auto &link : links_) {
        if (link->info.ifindex != ifindex || link->running == up)
            continue;
        link->running = up;
        if (link->index == active_ && !up) {
            bool found = false;
            for (size_t step = 1; step < links_.size(); ++step) {
                size_t candidate = (active_ + step) % links_.size();
                if (links_[candidate]->running) {
                    make_active(candidate, "");
                    found = true;
                    break;
                }
            }
            if (!found)
                logger().log(log_error, "no dedicated links available!");
        }
    }
}

void Engine::on_transport_event(void *context, uint32_t event) {
    auto *link = static_cast<Link *>(context);
    // A new inbound connection starts a new byte stream.
    if (event == CTD_TRANSPORT_EVENT_PEER_UP || event == CTD_TRANSPORT_EVENT_PEER_DOWN)
        link->partial.clear();
}

uint32_t Engine::next_seq() {
    if (!seq_started_) {
        // The reference starts at time(NULL), so a restarted sender does not
        // reuse the sequence numbers of its previous life.
        seq_ = static_cast<uint32_t>(time(nullptr));
        seq_started_ = true;
    }
    return seq_++;
}

uint8_t *Engine::reserve(size_t length) {
    Link &link = *links_[active_];
    size_t limit = link.ops->max_payload(link.instance);
    if (limit < length)
        limit = length; // a message larger than the MTU goes alone
    if (link.used && link.used + length > limit) {
        int err = link.ops->send(link.instance, link.out.data(), link.used);
        (void)err; // the transport counts its own send errors
        link.used = 0;
    }
    if (link.out.size() < link.used + length)
        link.out.resize(link.used + length);
    return link.out.data() + link.used;
}

void Engine::queue_message(size_t length) {
    links_[active_]->used += length;
    if (!flush_timer_.armed())
        flush_timer_.arm(0);
}

void Engine::flush_links() {
    for (auto &link : links_) {
        if (!link->used)
            continue;
        link->ops->send(link->instance, link->out.data(), link->used);
        link->used = 0;
    }
}

void Engine::send_flush() { flush_links(); }

uint32_t Engine::send_object(ctd_object *object, uint8_t flags) {
    FlowCache::Entry *e = entry_of(object);
    size_t payload;
    Header h;
    h.type = message_type_of(e->state);
    if (FlowCache::is_expect(e)) {
        internal_expect_->unpack_expect(e, expect_);
        payload = encode_expect(expect_, encode_options_, message_ + header_size);
        h.type = static_cast<uint8_t>(h.type + msg_exp_new);
    } else {
        internal_->unpack(e, flow_);
        payload = encode_flow(flow_, encode_options_, message_ + header_size);
    }
    h.flags = flags;
    h.length = static_cast<uint16_t>(header_size + payload);
    h.seq = next_seq();
    write_header(h, message_);
    std::memcpy(reserve(h.length), message_, h.length);
    queue_message(h.length);
    return h.seq;
}

uint32_t Engine::send_control(uint8_t flags, uint32_t from, uint32_t to) {
    Header h;
    h.type = msg_control;
    h.flags = flags;
    h.from = from;
    h.to = to;
    h.length = static_cast<uint16_t>(h.size());
    h.seq = next_seq();
    write_header(h, message_);
    std::memcpy(reserve(h.length), message_, h.length);
    queue_message(h.length);
    return h.seq;
}

void Engine::send_bypass(const ct::Flow &flow, uint8_t type) {
    size_t payload = encode_flow(flow, encode_options_, message_ + header_size);
    Header h;
    h.type = type;
    h.length = static_cast<uint16_t>(header_size + payload);
    h.seq = next_seq();
    write_header(h, message_);
    std::memcpy(reserve(h.length), message_, h.length);
    queue_message(h.length);
}

// ---------------------------------------------------------------------------
// Objects, for the mode.

FlowCache &Engine::cache_of(FlowCache::Entry *entry) {
    return FlowCache::is_expect(entry) ? *internal_expect_ : *internal_;
}

void *Engine::object_area(ctd_object *object) {
    return internal_ ? cache_of(entry_of(object)).extra(entry_of(object)) : nullptr;
}
ctd_object *Engine::object_of_area(void *area) { return object_of(FlowCache::from_extra(area)); }
uint32_t Engine::object_state(ctd_object *object) {
    switch (entry_of(object)->state) {
    case FlowCache::State::fresh: return CTD_OBJECT_NEW;
    case FlowCache::State::alive: return CTD_OBJECT_ALIVE;
    default: return CTD_OBJECT_DEAD;
    }
}
void Engine::object_hold(ctd_object *object) { cache_of(entry_of(object)).hold(entry_of(object)); }
void Engine::object_release(ctd_object *object) { cache_of(entry_of(object)).release(entry_of(object)); }

void Engine::cache_iterate(void (*visit)(void *, ctd_object *), void *user) {
    if (!internal_)
        return;
    for (FlowCache *cache : {internal_.get(), internal_expect_.get()}) {
        if (!cache)
            continue;
        cache->for_each([&](FlowCache::Entry *e) {
            if (e->state != FlowCache::State::dead)
                visit(user, object_of(e));
        });
    }
}

uint32_t Engine::seq_track(uint32_t seq) {
    if (!peer_seq_known_)
        return CTD_SEQ_UNSET;
    uint32_t expected = peer_last_seq_ + 1;
    if (seq == expected)
        return CTD_SEQ_IN_SYNC;
    if (seq_after(seq, expected)) {
        // The messages between were lost.  (The reference adds two more than
        // the gap: docs/compatibility.md.)
        net_.seq_lost += seq - expected;
        return CTD_SEQ_AFTER;
    }
    ++net_.seq_before;
    return CTD_SEQ_BEFORE;
}

void Engine::seq_update(uint32_t seq) {
    peer_last_seq_ = seq;
    peer_seq_known_ = true;
}

void Engine::set_external_timeout(uint32_t seconds) {
    external_timeout_ = seconds;
    if (seconds && external_)
        expire_timer_.arm(1000000, 1000000);
    else
        expire_timer_.disarm();
}

void Engine::send_kernel_table() {
    // No internal cache to go through: what the kernel has now is sent.
    table_.dump(ct::DumpFilter{}, [&](const ct::Flow &flow) {
        if (filter_accepts(settings_.filter, flow))
            send_bypass(flow, msg_ct_new);
    }, &netlink_);
    flush_links();
}

void Engine::expire_external() {
    if (!external_ || !external_timeout_)
        return;
    uint32_t current = now();
    external_->for_each([&](FlowCache::Entry *e) {
        if (e->state != FlowCache::State::dead && current - e->updated >= external_timeout_)
            external_->remove(e);
    });
}

// ---------------------------------------------------------------------------
// Receiving.

void Engine::deliver(void *context, const void *data, size_t len) {
    auto *link = static_cast<Link *>(context);
    link->engine->receive(*link, static_cast<const uint8_t *>(data), len);
}

void Engine::receive(Link &link, const uint8_t *data, size_t len) {
    if (!link.stream) {
        receive_messages(link, data, len);
        return;
    }
    link.partial.insert(link.partial.end(), data, data + len);
    size_t used = receive_messages(link, link.partial.data(), link.partial.size());
    link.partial.erase(link.partial.begin(), link.partial.begin() + static_cast<long>(used));
}

size_t Engine::receive_messages(Link &link, const uint8_t *data, size_t len) {
    size_t at = 0;
    while (at < len) {
        Header h;
        switch (read_header(data + at, len - at, h)) {
        case HeaderCheck::ok:
            handle_message(link, h, data + at);
            at += h.length;
            continue;
        case HeaderCheck::wrong_version:
            ++net_.recv_malformed;
            ++net_.recv_wrong_version;
            at += h.length;
            continue;
        case HeaderCheck::truncated:
            // A stream delivers the rest later.
            if (link.stream)
                return at;
            ++net_.recv_malformed;
            ++net_.recv_truncated;
            return len;
        case HeaderCheck::bad_size:
            if (link.stream && h.length > len - at)
                return at;
            ++net_.recv_malformed;
            ++net_.recv_bad_size;
            return len;
        }
    }
    return at;
}

void Engine::handle_message(Link &link, const Header &h, const uint8_t *message) {
    // Valid traffic on a backup link makes it the one we send on.
    if (link.index != active_ && link.running)
        make_active(link.index, "");
    ctd_sync_message m{};
    m.size = sizeof m;
    m.type = h.type;
    m.flags = h.flags;
    m.length = h.length;
    m.seq = h.seq;
    m.from = h.from;
    m.to = h.to;
    int verdict = mode_ops_->receive(mode_, &m);
    if (verdict == CTD_SYNC_MSG_BAD) {
        ++net_.recv_malformed;
        ++net_.recv_bad_header;
        return;
    }
    if (verdict != CTD_SYNC_MSG_DATA)
        return;
    if (!is_state_message(h.type)) {
        ++net_.recv_malformed;
        ++net_.recv_bad_type;
        return;
    }
    if (is_expect_message(h.type)) {
        if (!decode_expect(message + header_size, h.length - header_size, expect_)) {
            ++net_.recv_malformed;
            ++net_.recv_bad_payload;
            return;
        }
        // Without ExpectationSync here, the peer's expectations are checked
        // and dropped, as the reference does.
        if (settings_.expectation_sync)
            apply_expect(h.type, expect_);
        return;
    }
    if (!decode_flow(message + header_size, h.length - header_size, flow_)) {
        ++net_.recv_malformed;
        ++net_.recv_bad_payload;
        return;
    }
    if (external_)
        apply_flow(h.type, flow_);
    else
        inject_flow(h.type, flow_);
}

void Engine::apply_flow(uint8_t type, ct::Flow &flow) {
    FlowCache &cache = *external_;
    switch (type) {
    case msg_ct_new:
        // NEW replaces what we had for the flow.
        if (FlowCache::Entry *e = cache.find(flow); e && e->state != FlowCache::State::dead) {
            cache.replace(e, flow, now());
            ++cache.counters().updated;
        } else {
            cache.add(flow, now());
        }
        break;
    case msg_ct_update:
        cache.update_or_add(flow, now());
        break;
    case msg_ct_delete:
        cache.remove(flow);
        break;
    }
}

void Engine::apply_expect(uint8_t type, const ct::Expect &exp) {
    if (external_expect_) {
        if (type == msg_exp_delete)
            external_expect_->remove_expect(exp);
        else
            external_expect_->add_or_replace_expect(exp, now());
        return;
    }
    int err = type == msg_exp_delete ? inject_.destroy_expect(exp) : inject_.create_expect(exp);
    if (err == -EEXIST && type != msg_exp_delete) {
        inject_.destroy_expect(exp);
        err = inject_.create_expect(exp);
    }
    int slot = type == msg_exp_new ? 0 : type == msg_exp_update ? 1 : 2;
    (err == 0 ? inject_ok_ : inject_failed_)[slot]++;
}

void Engine::inject_flow(uint8_t type, ct::Flow &flow) {
    using A = ct::FlowAttr;
    int slot = type == msg_ct_new ? 0 : type == msg_ct_update ? 1 : 2;
    if (type == msg_ct_delete) {
        int err = inject_.destroy(flow);
        (err == 0 ? inject_ok_ : inject_failed_)[slot]++;
        return;
    }
    if (settings_.commit_timeout)
        flow.set_timeout(settings_.commit_timeout);
    if (flow.has(A::Status))
        flow.status &= ~ct::status::Expected;
    reverse_tuple(flow.orig, flow.reply);
    flow.set(A::ReplyTuple);
    if (!settings_.tcp_window_tracking && flow.has(A::TcpState)) {
        uint8_t flags = ct::tcp_flag::BeLiberal | ct::tcp_flag::SackPerm;
        if (flow.tcp_state >= 7)
            flags |= ct::tcp_flag::CloseInit;
        flow.tcp_flags[0] = flow.tcp_flags[1] = {flags, flags};
        flow.set(A::TcpFlagsOrig);
        flow.set(A::TcpFlagsReply);
    }
    int err;
    if (type == msg_ct_new) {
        err = inject_.create(flow);
        if (err == -EEXIST) {
            inject_.destroy(flow);
            err = inject_.create(flow);
        }
    } else {
        // An update may not change what the kernel fixed at creation.
        ct::Flow change = flow;
        for (A a : {A::NatSrc, A::NatDst, A::Status, A::Helper, A::MasterTuple})
            change.present.reset(a);
        err = inject_.update(change);
        if (err == -ENOENT) {
            err = inject_.create(flow);
        } else if (err < 0) {
            inject_.destroy(flow);
            err = inject_.create(flow);
        }
    }
    (err == 0 ? inject_ok_ : inject_failed_)[slot]++;
}

// ---------------------------------------------------------------------------
// The kernel side.

void Engine::on_kernel_event(const ct::Flow &flow) {
    if (flow.type == ct::MessageType::Destroy) {
        using A = ct::FlowAttr;
        if (flow.has(A::OrigBytes))
            traffic_bytes_ += flow.counters[0].bytes;
        if (flow.has(A::ReplyBytes))
            traffic_bytes_ += flow.counters[1].bytes;
        if (flow.has(A::OrigPackets))
            traffic_packets_ += flow.counters[0].packets;
        if (flow.has(A::ReplyPackets))
            traffic_packets_ += flow.counters[1].packets;
    }
    if (!internal_) {
        if (!filter_accepts(settings_.filter, flow)) {
            ++netlink_.events_filtered;
            return;
        }
        switch (flow.type) {
        case ct::MessageType::New: ++bypass_new_; send_bypass(flow, msg_ct_new); break;
        case ct::MessageType::Update: ++bypass_update_; send_bypass(flow, msg_ct_update); break;
        case ct::MessageType::Destroy: ++bypass_destroy_; send_bypass(flow, msg_ct_delete); break;
        default: break;
        }
        return;
    }
    FlowCache &cache = *internal_;
    if (flow.type == ct::MessageType::Destroy) {
        FlowCache::Entry *e = cache.find(flow);
        if (!e || e->state == FlowCache::State::dead) {
            if (!filter_accepts(settings_.filter, flow))
                ++netlink_.events_filtered;
            else
                ++cache.counters().destroy_failed, ++cache.counters().destroy_not_found;
            return;
        }
        // The mode may keep the dead object until its peer acknowledged it.
        cache.hold(e);
        cache.remove(e);
        mode_ops_->local_change(mode_, object_of(e), CTD_EVENT_DESTROY);
        cache.release(e);
        return;
    }
    if (!filter_accepts(settings_.filter, flow)) {
        ++netlink_.events_filtered;
        return;
    }
    FlowCache::Entry *e = cache.find(flow);
    if (e && e->state != FlowCache::State::dead) {
        cache.update(flow, now());
        e->state = FlowCache::State::alive;
        mode_ops_->local_change(mode_, object_of(e), CTD_EVENT_UPDATE);
        return;
    }
    e = cache.add(flow, now());
    if (e)
        mode_ops_->local_change(mode_, object_of(e), CTD_EVENT_NEW);
}

bool Engine::expectation_wanted(const ct::Expect &exp) const {
    if (!settings_.expectation_helpers.empty()) {
        bool listed = false;
        for (const std::string &name : settings_.expectation_helpers)
            listed = listed || strncasecmp(exp.helper, name.c_str(), name.size()) == 0;
        if (!listed)
            return false;
    }
    // Only expectations whose master flow is synced: the peer could not
    // create one without its master.
    ct::Flow master;
    master.family = exp.family;
    master.orig = exp.master;
    master.set(ct::FlowAttr::OrigTuple);
    if (exp.has(ct::ExpectAttr::Zone) && exp.zone)
        master.set_zone(exp.zone);
    FlowCache::Entry *e = internal_ ? internal_->find(master) : nullptr;
    return e && e->state != FlowCache::State::dead;
}

void Engine::on_kernel_expect(const ct::Expect &exp) {
    if (!internal_expect_)
        return;
    FlowCache &cache = *internal_expect_;
    if (exp.type == ct::MessageType::Destroy) {
        FlowCache::Entry *e = cache.find_expect(exp);
        if (!e || e->state == FlowCache::State::dead)
            return;
        cache.hold(e);
        cache.remove(e);
        mode_ops_->local_change(mode_, object_of(e), CTD_EVENT_DESTROY);
        cache.release(e);
        return;
    }
    if (!expectation_wanted(exp)) {
        ++netlink_.events_filtered;
        return;
    }
    FlowCache::Result result;
    FlowCache::Entry *e = cache.add_or_replace_expect(exp, now(), &result);
    if (!e)
        return;
    if (result == FlowCache::Result::updated)
        e->state = FlowCache::State::alive;
    mode_ops_->local_change(mode_, object_of(e),
                            result == FlowCache::Result::updated ? CTD_EVENT_UPDATE : CTD_EVENT_NEW);
}

// While a commit ran, the event socket was out of the NEW group (see
// Commit).  A flow that traffic started meanwhile and that has seen its
// reply since was heard of by its UPDATE event (an update of an unknown flow
// adds it); one still without a reply is found here, by a dump the kernel
// narrows down to unreplied flows (walking the table, sending only those).
// Flows that another program created over ctnetlink may have been created
// replied: if the kernel's insertion count says there were any, the whole
// table is looked at (catch_up_all_).  The socket is back in the group
// before the dump, so nothing falls in between.  Flows of the external
// cache are the commit's own, not news.
void Engine::catch_up_unreplied_flows() {
    const bool all = std::exchange(catch_up_all_, false);
    ct::DumpFilter unreplied;
    unreplied.has_status = !all;
    unreplied.status_mask = ct::status::SeenReply;
    unreplied.status_value = 0;
    ct::Flow news;
    int err = table_.dump(unreplied, [&](const ct::Flow &flow) {
        if (!all && flow.has(ct::FlowAttr::Status) && (flow.status & ct::status::SeenReply))
            return;  // a kernel without dump status filters sends every flow
        if (const FlowCache::Entry *e = internal_->find(flow); e && e->state != FlowCache::State::dead)
            return;
        if (external_ && external_->find(flow))
            return;
        news = flow;
        news.type = ct::MessageType::New;
        on_kernel_event(news);
    }, &netlink_);
    if (err < 0)
        logger().logf(log_error, "can't dump the conntrack table: %s", std::strerror(-err));
}

void Engine::schedule_overrun_resync() {
    if (settings_.overrun_resync_secs < 0 || resync_timer_.armed())
        return;
    resync_timer_.arm(static_cast<uint64_t>(settings_.overrun_resync_secs) * 1000000u);
}

void Engine::resync_with_kernel(bool purge) {
    if (!internal_) {
        logger().log(log_notice, "resync is unsupported in this mode");
        return;
    }
    ++netlink_.resync_kernel_table;
    FlowCache &cache = *internal_;
    cache.for_each([](FlowCache::Entry *e) { e->flags &= ~flag_seen; });
    int err = table_.dump(ct::DumpFilter{}, [&](const ct::Flow &flow) {
        if (!filter_accepts(settings_.filter, flow))
            return;
        FlowCache::Entry *e = cache.find(flow);
        bool existed = e && e->state != FlowCache::State::dead;
        e = existed ? cache.update(flow, now()) : cache.add(flow, now());
        if (!e)
            return;
        e->flags |= flag_seen;
        if (existed)
            e->state = FlowCache::State::alive;
        mode_ops_->local_change(mode_, object_of(e), existed ? CTD_EVENT_UPDATE : CTD_EVENT_NEW);
    }, &netlink_);
    if (err < 0) {
        logger().logf(log_error, "can't dump the conntrack table: %s", std::strerror(-err));
        return;
    }
    if (!purge)
        return;
    cache.for_each([&](FlowCache::Entry *e) {
        if ((e->flags & flag_seen) || e->state == FlowCache::State::dead)
            return;
        cache.hold(e);
        cache.remove(e);
        mode_ops_->local_change(mode_, object_of(e), CTD_EVENT_DESTROY);
        cache.release(e);
    });
}

void Engine::purge_kernel_table() {
    // PurgeTimeout after `-t`: the flows this daemon tracks leave the table
    // (and the internal cache), so that stale ones cannot linger after a
    // fail-over.
    logger().log(log_notice, "flushing kernel conntrack table");
    ++netlink_.flush_kernel_table;
    if (internal_)
        internal_->clear();
    if (processes_ && !flush_kernel_table(*processes_, settings_.filter, true, false))
        logger().logf(log_error, "can't flush the kernel table: %s", std::strerror(errno));
}

// ---------------------------------------------------------------------------
// Requests.

std::string Engine::stats_text() const {
    std::string text;
    char buf[512];
    if (internal_) {
        text += internal_->summary_text("cache internal");
    } else {
        std::snprintf(buf, sizeof buf,
                      "internal bypass:\n"
                      "connections new:\t\t%12llu\n"
                      "connections updated:\t\t%12llu\n"
                      "connections destroyed:\t\t%12llu\n\n",
                      static_cast<unsigned long long>(bypass_new_),
                      static_cast<unsigned long long>(bypass_update_),
                      static_cast<unsigned long long>(bypass_destroy_));
        text += buf;
    }
    if (external_) {
        text += external_->summary_text("cache external");
    } else {
        std::snprintf(buf, sizeof buf,
                      "external inject:\n"
                      "connections created:\t\t%12llu\tfailed:\t%12llu\n"
                      "connections updated:\t\t%12llu\tfailed:\t%12llu\n"
                      "connections destroyed:\t\t%12llu\tfailed:\t%12llu\n\n",
                      static_cast<unsigned long long>(inject_ok_[0]),
                      static_cast<unsigned long long>(inject_failed_[0]),
                      static_cast<unsigned long long>(inject_ok_[1]),
                      static_cast<unsigned long long>(inject_failed_[1]),
                      static_cast<unsigned long long>(inject_ok_[2]),
                      static_cast<unsigned long long>(inject_failed_[2]));
        text += buf;
    }
    std::snprintf(buf, sizeof buf, "traffic processed:\n%20llu Bytes      %20llu Pckts\n\n",
                  static_cast<unsigned long long>(traffic_bytes_),
                  static_cast<unsigned long long>(traffic_packets_));
    text += buf;
    text += link_text(false);
    std::snprintf(buf, sizeof buf, "message tracking:\n%20llu Malformed msgs %20llu Lost msgs\n\n",
                  static_cast<unsigned long long>(net_.recv_malformed),
                  static_cast<unsigned long long>(net_.seq_lost));
    text += buf;
    return text;
}

std::string Engine::link_text(bool all) const {
    std::string text;
    char buf[1024];
    for (const auto &link : links_) {
        bool active = link->index == active_;
        if (!all && !active)
            continue;
        ctd_transport_stats s = link->stats();
        std::string head;
        if (all) {
            std::snprintf(buf, sizeof buf, "%s traffic device=%s status=%s role=%s:\n", link->word.c_str(),
                          link->info.ifname, link->running ? "RUNNING" : "NO-CARRIER",
                          active ? "ACTIVE" : "BACKUP");
        } else {
            std::string more = link->describe();
            std::snprintf(buf, sizeof buf, "%s traffic (active device=%s)%s%s:\n", link->word.c_str(),
                          link->info.ifname, more.empty() ? "" : " ", more.c_str());
        }
        text += buf;
        std::snprintf(buf, sizeof buf,
                      "%20llu Bytes sent %20llu Bytes recv\n"
                      "%20llu Pckts sent %20llu Pckts recv\n"
                      "%20llu Error send %20llu Error recv\n\n",
                      static_cast<unsigned long long>(s.bytes_sent),
                      static_cast<unsigned long long>(s.bytes_received),
                      static_cast<unsigned long long>(s.packets_sent),
                      static_cast<unsigned long long>(s.packets_received),
                      static_cast<unsigned long long>(s.send_errors),
                      static_cast<unsigned long long>(s.receive_errors));
        text += buf;
    }
    return text;
}

std::string Engine::network_text() const {
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "network statistics:\n"
                  "\trecv:\n"
                  "\t\tMalformed messages:\t%20llu\n"
                  "\t\tWrong protocol version:\t%20llu\n"
                  "\t\tMalformed header:\t%20llu\n"
                  "\t\tMalformed payload:\t%20llu\n"
                  "\t\tBad message type:\t%20llu\n"
                  "\t\tTruncated message:\t%20llu\n"
                  "\t\tBad message size:\t%20llu\n"
                  "\tsend:\n"
                  "\t\tMalformed messages:\t%20llu\n\n"
                  "sequence tracking statistics:\n"
                  "\trecv:\n"
                  "\t\tPackets lost:\t\t%20llu\n"
                  "\t\tPackets before:\t\t%20llu\n\n",
                  static_cast<unsigned long long>(net_.recv_malformed),
                  static_cast<unsigned long long>(net_.recv_wrong_version),
                  static_cast<unsigned long long>(net_.recv_bad_header),
                  static_cast<unsigned long long>(net_.recv_bad_payload),
                  static_cast<unsigned long long>(net_.recv_bad_type),
                  static_cast<unsigned long long>(net_.recv_truncated),
                  static_cast<unsigned long long>(net_.recv_bad_size),
                  static_cast<unsigned long long>(net_.send_malformed),
                  static_cast<unsigned long long>(net_.seq_lost),
                  static_cast<unsigned long long>(net_.seq_before));
    std::string text = buf + link_text(false);
    // What the plugins count (FT-FW's retransmissions, ...) is shown nowhere
    // else; after the reference's blocks, so that its layout is kept.
    if (!host_.counters().empty()) {
        text += "plugin counters:\n";
        for (const PluginHost::Counter &counter : host_.counters()) {
            std::snprintf(buf, sizeof buf, "\t%s %s:\t%20llu\n", counter.plugin.c_str(),
                          counter.name.c_str(), static_cast<unsigned long long>(counter.value));
            text += buf;
        }
        text += "\n";
    }
    return text;
}

std::string Engine::queue_text() const {
    struct Row {
        const char *name;
        uint64_t length, capacity, overflows;
    };
    std::vector<Row> rows;
    ctd_queue_stats q{};
    q.size = sizeof q;
    if (mode_ops_->queue_stats && mode_ops_->queue_stats(mode_, 0, &q))
        rows.push_back({"txqueue", q.length, q.capacity, q.overflows});
    const Link &link = *links_[active_];
    ctd_transport_stats s = link.stats();
    // The reference always has an error queue (of 128 batches by default).
    rows.push_back({"errorq", s.queue_length, s.queue_capacity ? s.queue_capacity : 128, s.queue_overflows});
    q = ctd_queue_stats{};
    q.size = sizeof q;
    if (mode_ops_->queue_stats && mode_ops_->queue_stats(mode_, 1, &q))
        rows.push_back({"rsqueue", q.length, q.capacity, q.overflows});
    uint64_t nodes = 0;
    for (const Row &r : rows)
        nodes += r.length;
    char buf[512];
    std::snprintf(buf, sizeof buf, "allocated queue nodes:\t\t%12llu\n\n", static_cast<unsigned long long>(nodes));
    std::string text = buf;
    for (const Row &r : rows) {
        std::snprintf(buf, sizeof buf,
                      "queue %s:\n"
                      "current elements:\t\t%12llu\n"
                      "maximum elements:\t\t%12llu\n"
                      "not enough space errors:\t%12llu\n\n",
                      r.name, static_cast<unsigned long long>(r.length),
                      static_cast<unsigned long long>(r.capacity),
                      static_cast<unsigned long long>(r.overflows));
        text += buf;
    }
    return text;
}

void Engine::write_expect_dump(ReplyWriter &writer, FlowCache &cache, bool xml) {
    ct::FormatOptions options;
    options.format = xml ? ct::OutputFormat::Xml : ct::OutputFormat::Default;
    ct::Expect exp;
    uint32_t current = now();
    write_cache_lines(writer, cache, [&](FlowCache::Entry *e, ct::TextBuffer &out) {
        cache.unpack_expect(e, exp);
        ct::format_expect(out, exp, options);
        if (!xml)
            append_active_since(out, current, e->created);
    });
}

void Engine::write_dump(ReplyWriter &writer, FlowCache &cache, bool xml, bool external) {
    ct::FormatOptions options;
    options.format = xml ? ct::OutputFormat::Xml : ct::OutputFormat::Default;
    ct::Flow flow;
    uint32_t current = now();
    write_cache_lines(writer, cache, [&](FlowCache::Entry *e, ct::TextBuffer &out) {
        cache.unpack(e, flow);
        // The cache's lines have no timeout, as the reference prints them.
        flow.present.reset(ct::FlowAttr::Timeout);
        ct::format_flow(out, flow, options);
        if (!xml) {
            if (external && external_timeout_) {
                uint32_t age = current - e->updated;
                out.append(" [expires in ");
                out.append_u64(age < external_timeout_ ? external_timeout_ - age : 0);
                out.append("s]");
            }
            append_active_since(out, current, e->created);
        }
    });
}

void Engine::dump(ControlSession &session, FlowCache *cache, bool xml, bool external, bool expectations) {
    if (!cache)
        return;
    // A child writes the dump, as the reference does: a slow reader cannot
    // stall the daemon, and the child sees a frozen cache.
    bool started = session.reply_from_child(ProcessType::any, false, [=, this](ReplyWriter &out) {
        if (expectations)
            write_expect_dump(out, *cache, xml);
        else
            write_dump(out, *cache, xml, external);
    });
    if (!started)
        logger().logf(log_error, "can't fork to dump the cache: %s", std::strerror(errno));
}

bool Engine::handle_request(ControlSession &session) {
    int request = session.request();
    switch (request) {
    case req_stats:
        session.reply(stats_text());
        return true;
    case req_stats_network:
        session.reply(network_text());
        return true;
    case req_stats_cache:
        if (internal_)
            session.reply(internal_->detail_text());
        if (external_)
            session.reply(external_->detail_text());
        return true;
    case req_stats_link:
        session.reply(link_text(true));
        return true;
    case req_stats_queue:
        session.reply(queue_text());
        return true;
    case req_stats_rsqueue:
        if (mode_ops_->dump_resend_queue) {
            // The mode writes its listing to a descriptor: collect it.
            int fds[2];
            if (pipe(fds) == 0) {
                mode_ops_->dump_resend_queue(mode_, fds[1]);
                close(fds[1]);
                std::string text;
                char chunk[4096];
                ssize_t n;
                while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
                    text.append(chunk, static_cast<size_t>(n));
                close(fds[0]);
                session.reply(text);
            }
        }
        return true;
    case req_ct_dump_internal:
    case req_ct_dump_int_xml:
        dump(session, internal_.get(), request == req_ct_dump_int_xml, false, false);
        return true;
    case req_ct_dump_external:
    case req_ct_dump_ext_xml:
        dump(session, external_.get(), request == req_ct_dump_ext_xml, true, false);
        return true;
    case req_ct_commit:
    case req_all_commit:
    case req_exp_commit: {
        bool flows = request != req_exp_commit;
        bool expectations = request != req_ct_commit && external_expect_;
        if (!(flows && external_) && !expectations)
            return true;
        if (commit_ && !commit_->done()) {
            logger().log(log_notice, "commit already in progress, skipping");
            return true;
        }
        commit_ = std::make_unique<Commit>(*this, session.defer(), flows && external_, expectations);
        return true;
    }
    case req_exp_dump_internal:
    case req_exp_dump_int_xml:
        dump(session, internal_expect_.get(), request == req_exp_dump_int_xml, false, true);
        return true;
    case req_exp_dump_external:
    case req_exp_dump_ext_xml:
        dump(session, external_expect_.get(), request == req_exp_dump_ext_xml, true, true);
        return true;
    case req_exp_stats: {
        if (!settings_.expectation_sync)
            return true;
        std::string text;
        if (internal_expect_)
            text += internal_expect_->summary_text("cache internal");
        if (external_expect_)
            text += external_expect_->summary_text("cache external");
        session.reply(text);
        return true;
    }
    case req_exp_flush_master:
        if (settings_.expectation_sync) {
            logger().log(log_notice, "flushing kernel expectation table");
            table_.flush_expect();
        }
        return true;
    case req_exp_resync_master:
        if (settings_.expectation_sync && internal_expect_) {
            logger().log(log_notice, "resync requested");
            table_.dump_expect(AF_UNSPEC, [&](const ct::Expect &exp) { on_kernel_expect(exp); });
        }
        return true;
    case req_ct_flush_int_cache:
        if (internal_) {
            logger().log(log_notice, "flushing internal cache");
            internal_->clear();
        }
        return true;
    case req_ct_flush_ext_cache:
        if (external_) {
            logger().log(log_notice, "flushing external cache");
            external_->clear();
        }
        return true;
    case req_ct_flush_cache:
    case req_all_flush_cache:
        logger().log(log_notice, "flushing caches");
        if (internal_)
            internal_->clear();
        if (external_)
            external_->clear();
        return true;
    case req_ct_resync_master:
    case req_all_resync_master:
        logger().log(log_notice, "resync requested");
        resync_with_kernel(false);
        return true;
    case req_ct_flush_master:
    case req_all_flush_master:
        logger().log(log_notice, "flushing kernel conntrack table");
        ++netlink_.flush_kernel_table;
        if (processes_ && !flush_kernel_table(*processes_, settings_.filter, true,
                                              request == req_all_flush_master && settings_.expectation_sync))
            logger().logf(log_error, "can't flush the kernel table: %s", std::strerror(errno));
        return true;
    case req_send_bulk:
        logger().log(log_notice, "sending bulk update");
        mode_ops_->send_bulk(mode_);
        return true;
    case req_request_dump:
        if (mode_ops_->request_resync) {
            logger().log(log_notice, "resync requested");
            mode_ops_->request_resync(mode_);
        }
        return true;
    case req_reset_timers:
        logger().logf(log_notice, "flushing conntrack table in %u secs", settings_.purge_timeout);
        purge_timer_.arm(static_cast<uint64_t>(settings_.purge_timeout) * 1000000u);
        return true;
    default:
        return false;
    }
}

} // namespace ctd::sync
