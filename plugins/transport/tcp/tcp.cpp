// Transport plugin "tcp": the reference's `TCP { }` sync link.
//
// As in the reference, data flows from client to server only, so two nodes
// use two connections:
//  - the server listens on IPvX_address:Port (backlog 1, SO_KEEPALIVE) and
//    keeps one peer at a time: a new connection replaces the old one.  What
//    it reads goes to the core as a byte stream (CTD_TRANSPORT_STREAM), and
//    the core hears when a new stream starts (CTD_TRANSPORT_EVENT_PEER_UP);
//  - the client connects to IPvX_Destination_Address:Port and writes the
//    batches.  When the connection is down it reconnects at most once per
//    second, and only while there is something to send.  Batches that cannot
//    be written are kept in an error queue of ErrorQueueLength batches (the
//    oldest is dropped when it is full) and are sent, in order, as soon as
//    the connection is back.
//
// Unlike the reference, a batch is never cut short: a partial write keeps
// its remainder and finishes it before anything else, so the peer's stream
// stays aligned on message boundaries.
#include <conntrackd/plugin.hpp>

#include <array>
#include <vector>

#include "link.hpp"

namespace {

using namespace ctd::transport;

constexpr uint64_t reconnect_interval_us = 1000000;

// Whole batches waiting to be written, oldest first.  A ring of slots whose
// buffers are reused, so a link that keeps failing does not allocate per
// batch once the ring has been filled.
class BatchQueue {
public:
    explicit BatchQueue(size_t capacity) : slots_(capacity) {}

    size_t size() const { return count_; }
    size_t capacity() const { return slots_.size(); }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == slots_.size(); }

    const std::vector<unsigned char> &front() const { return slots_[head_]; }
    void pop_front() {
        head_ = (head_ + 1) % slots_.size();
        --count_;
    }
    // Caller makes room first (the queue must not be full).
    void push_back(const void *data, size_t len) {
        std::vector<unsigned char> &slot = slots_[(head_ + count_) % slots_.size()];
        const auto *bytes = static_cast<const unsigned char *>(data);
        slot.assign(bytes, bytes + len);
        ++count_;
    }

private:
    std::vector<std::vector<unsigned char>> slots_;
    size_t head_ = 0;
    size_t count_ = 0;
};

class TcpLink : public ctd::sdk::Transport {
public:
    static constexpr ctd_config_key config_keys[] = {
        {"IPv4_address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "local IPv4 address the link listens on (default: any)", 0, 0},
        {"IPv6_address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "local IPv6 address the link listens on (default: any)", 0, 0},
        {"IPv4_Destination_Address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "IPv4 address of the peer the link connects to", 0, 0},
        {"IPv6_Destination_Address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "IPv6 address of the peer the link connects to", 0, 0},
        {"Port", CTD_CONFIG_UINT, CTD_CONFIG_REQUIRED, nullptr,
         "TCP port, the same on both nodes: listened on and connected to", 1, 65535},
        {"Interface", CTD_CONFIG_STRING, CTD_CONFIG_REQUIRED, nullptr,
         "network interface of the link: its MTU sizes the batches, its index scopes IPv6 "
         "addresses",
         0, 0},
        {"SndSocketBuffer", CTD_CONFIG_UINT, 0, nullptr,
         "send buffer in bytes (SO_SNDBUFFORCE); unset: the system default", 0, 2147483647},
        {"RcvSocketBuffer", CTD_CONFIG_UINT, 0, nullptr,
         "receive buffer in bytes (SO_RCVBUFFORCE); unset: the system default", 0, 2147483647},
        {"Checksum", CTD_CONFIG_BOOL, 0, "on",
         "accepted for compatibility (SO_NO_CHECK); TCP always has checksums", 0, 0},
        {"ErrorQueueLength", CTD_CONFIG_UINT, 0, "128",
         "batches kept while the peer cannot be reached, sent when it is back; the oldest is "
         "dropped when full (0: none kept)",
         0, 1048576},
    };

    TcpLink(ctd::sdk::Host host, const ctd::sdk::Config &config, ctd::sdk::Deliverer deliver)
        : host_(host), deliver_(deliver),
          queue_(static_cast<size_t>(config.number("ErrorQueueLength", 128))),
          listen_watcher_(host, &TcpLink::on_listener_ready, this),
          peer_watcher_(host, &TcpLink::on_peer_ready, this),
          client_watcher_(host, &TcpLink::on_client_ready, this),
          reconnect_timer_(host, [this] { on_reconnect_timer(); }) {
        std::optional<Address> local = one_of(config, "IPv4_address", "IPv6_address");
        std::optional<Address> destination =
            one_of(config, "IPv4_Destination_Address", "IPv6_Destination_Address");
        if (!destination)
            throw PluginError(std::string(config.where("Port")) + config.block() +
                              " needs IPv4_Destination_Address or IPv6_Destination_Address: the "
                              "peer this link connects to");
        if (local)
            same_family(config, *destination, *local);
        family_ = destination->family;
        interface_ = find_interface(config);
        uint16_t port = static_cast<uint16_t>(config.number("Port"));
        checksum_ = config.boolean("Checksum", true);
        send_buffer_ = static_cast<int>(config.number("SndSocketBuffer", 0));

        Endpoint listen_on;
        if (local)
            listen_on = local->endpoint(port, interface_.index);
        else if (family_ == AF_INET)
            listen_on = Endpoint(in_addr{htonl(INADDR_ANY)}, port);
        else
            listen_on = Endpoint(in6addr_any, port, interface_.index);
        destination_ = destination->endpoint(port, interface_.index);

        listener_ = open_socket(family_, SOCK_STREAM | SOCK_NONBLOCK, "TCP server");
        set_option(listener_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
        // Accepted connections inherit both.
        set_option(listener_, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
        force_buffer(listener_, config, "RcvSocketBuffer", SO_RCVBUFFORCE);
        if (::bind(listener_.get(), listen_on.get(), listen_on.length()) != 0)
            throw PluginError(config.where(local ? local->key.c_str() : "Port") +
                                  "cannot bind the TCP server to " + listen_on.text() + ": " +
                                  errno_text(errno),
                              errno);
        if (::listen(listener_.get(), 1) != 0)
            throw PluginError("cannot listen on " + listen_on.text() + ": " + errno_text(errno),
                              errno);
        listen_watcher_.watch(listener_.get(), CTD_FD_READ);

        // Checked now, so that a bad value is a config error and not a
        // failure at every reconnection.
        if (send_buffer_ > 0) {
            Socket probe = open_socket(family_, SOCK_STREAM, "TCP client");
            force_buffer(probe, config, "SndSocketBuffer", SO_SNDBUFFORCE);
        }

        host_.info("TCP link on " + interface_.name + ": listening on " + listen_on.text() +
                   ", connecting to " + destination_.text());
        // The reference connects at start-up; so do we.
        connect_now();
    }

    void send(const void *data, size_t len) override {
        if (state_ == ClientState::disconnected &&
            host_.monotonic_us() - last_attempt_us_ >= reconnect_interval_us)
            connect_now();
        if (state_ == ClientState::connected) {
            pump();
            if (state_ == ClientState::connected && partial_.empty() && queue_.empty()) {
                size_t written = 0;
                int error_number = write_some(data, len, written);
                if (written == len) {
                    ++counters_.packets_sent;
                    return;
                }
                if (error_number == 0 || error_number == EAGAIN) {
                    // The socket buffer is full: finish this batch first.
                    const auto *bytes = static_cast<const unsigned char *>(data);
                    if (written > 0) {
                        partial_.assign(bytes + written, bytes + len);
                        partial_offset_ = 0;
                    } else {
                        enqueue(data, len);
                    }
                    client_watcher_.watch(client_.get(), CTD_FD_READ | CTD_FD_WRITE);
                    return;
                }
                // The connection failed: the whole batch goes again on the
                // next one (whatever the dead one took is lost with it).
                lost(error_number);
            }
        }
        enqueue(data, len);
    }

    uint32_t max_payload() const override {
        uint32_t overhead = tcp_overhead(family_);
        return interface_.mtu > overhead ? interface_.mtu - overhead : 0;
    }

    ctd_transport_stats stats() const override {
        ctd_transport_stats out = counters_.to_abi();
        out.queue_length = queue_.size();
        out.queue_capacity = queue_.capacity();
        out.queue_overflows = queue_overflows_;
        return out;
    }

    // The reference's `-s` line says "server=%s client=%s".
    std::string describe() const override {
        return std::string("server=") + (peer_ ? "connected" : "disconnected") +
               " client=" + (state_ == ClientState::connected ? "connected" : "disconnected");
    }

    ctd_transport_info info() const override { return interface_info(interface_, family_); }

private:
    enum class ClientState { disconnected, connecting, connected };

    void notify(uint32_t event) { deliver_.notify(event); }

    // ---- server side -------------------------------------------------------

    static void on_listener_ready(void *self, uint32_t) { static_cast<TcpLink *>(self)->accept_peer(); }

    void accept_peer() {
        Endpoint from;
        int fd = ::accept4(listener_.get(), from.get(), from.length_for_update(),
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                ++counters_.receive_errors;
            return;
        }
        // One peer at a time: a new connection means the peer restarted (or
        // a new one took over), so the old stream is finished.
        if (peer_)
            drop_peer("replaced by a new connection");
        peer_.reset(fd);
        peer_address_ = from;
        peer_watcher_.watch(peer_.get(), CTD_FD_READ);
        host_.notice("accepted sync connection from " + peer_address_.text());
        notify(CTD_TRANSPORT_EVENT_PEER_UP);
    }

    void drop_peer(const std::string &why) {
        peer_watcher_.stop();
        peer_.reset();
        host_.notice("sync connection from " + peer_address_.text() + " closed: " + why);
        notify(CTD_TRANSPORT_EVENT_PEER_DOWN);
    }

    static void on_peer_ready(void *self, uint32_t) { static_cast<TcpLink *>(self)->read_peer(); }

    void read_peer() {
        for (int i = 0; i < reads_per_wakeup && peer_; ++i) {
            ssize_t got = ::recv(peer_.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
            if (got > 0) {
                ++counters_.packets_received;
                counters_.bytes_received += static_cast<uint64_t>(got);
                deliver_(buffer_.data(), static_cast<size_t>(got));
                continue;
            }
            if (got == 0) {
                drop_peer("the peer closed it");
                return;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            int error_number = errno;
            ++counters_.receive_errors;
            drop_peer(errno_text(error_number));
            return;
        }
    }

    // ---- client side -------------------------------------------------------

    void connect_now() {
        last_attempt_us_ = host_.monotonic_us();
        client_watcher_.stop();
        client_.reset();
        try {
            client_ = open_socket(family_, SOCK_STREAM | SOCK_NONBLOCK, "TCP client");
            set_option(client_, SOL_SOCKET, SO_NO_CHECK, checksum_ ? 0 : 1, "SO_NO_CHECK");
            if (send_buffer_ > 0)
                set_option(client_, SOL_SOCKET, SO_SNDBUFFORCE, send_buffer_, "SndSocketBuffer");
        } catch (const PluginError &e) {
            client_.reset();
            connect_failed(e.error_number());
            return;
        }
        if (::connect(client_.get(), destination_.get(), destination_.length()) == 0) {
            connected();
            return;
        }
        if (errno == EINPROGRESS) {
            state_ = ClientState::connecting;
            client_watcher_.watch(client_.get(), CTD_FD_WRITE);
            return;
        }
        connect_failed(errno);
    }

    static void on_client_ready(void *self, uint32_t events) {
        static_cast<TcpLink *>(self)->client_ready(events);
    }

    void client_ready(uint32_t events) {
        if (state_ == ClientState::connecting) {
            int error_number = 0;
            socklen_t length = sizeof error_number;
            if (::getsockopt(client_.get(), SOL_SOCKET, SO_ERROR, &error_number, &length) != 0)
                error_number = errno;
            if (error_number != 0)
                connect_failed(error_number);
            else if (events & CTD_FD_WRITE)
                connected();
            return;
        }
        if (state_ != ClientState::connected)
            return;
        if (events & CTD_FD_READ) {
            // The server never writes: readable means it closed or reset the
            // connection.  Noticing it now, rather than at the next write,
            // means that write is not lost in a dead connection.
            ssize_t got;
            do
                got = ::recv(client_.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
            while (got < 0 && errno == EINTR);
            if (got == 0) {
                lost(0);
                return;
            }
            if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                lost(errno);
                return;
            }
        }
        if (events & CTD_FD_WRITE)
            pump();
    }

    void connected() {
        state_ = ClientState::connected;
        if (failure_logged_ || was_connected_)
            host_.notice("sync connection to " + destination_.text() + " established");
        else
            host_.info("sync connection to " + destination_.text() + " established");
        failure_logged_ = false;
        was_connected_ = true;
        reconnect_timer_.disarm();
        client_watcher_.watch(client_.get(), CTD_FD_READ);
        notify(CTD_TRANSPORT_EVENT_CLIENT_UP);
        pump();
    }

    void connect_failed(int error_number) {
        ++counters_.send_errors;
        client_watcher_.stop();
        client_.reset();
        state_ = ClientState::disconnected;
        // Once per outage, not once per attempt.  A lost connection has
        // already been reported; this is the peer not being there yet.
        if (!failure_logged_) {
            host_.notice("cannot connect to " + destination_.text() + ": " +
                         errno_text(error_number) +
                         "; retrying at most once per second while there is something to send");
            failure_logged_ = true;
        }
        schedule_reconnect();
    }

    // The established connection failed (error_number 0: closed by the peer).
    void lost(int error_number) {
        client_watcher_.stop();
        client_.reset();
        state_ = ClientState::disconnected;
        if (error_number != 0)
            ++counters_.send_errors;
        // What is left of a half-written batch cannot start the next
        // connection's stream: the peer would read it as a message header.
        if (!partial_.empty()) {
            ++counters_.send_errors;
            partial_.clear();
            partial_offset_ = 0;
        }
        host_.warning("sync connection to " + destination_.text() + " lost: " +
                      (error_number ? errno_text(error_number) : std::string("closed by the peer")));
        failure_logged_ = true;
        notify(CTD_TRANSPORT_EVENT_CLIENT_DOWN);
        schedule_reconnect();
    }

    void schedule_reconnect() {
        if (queue_.empty() || state_ != ClientState::disconnected)
            return;
        uint64_t now = host_.monotonic_us();
        uint64_t due = last_attempt_us_ + reconnect_interval_us;
        reconnect_timer_.arm(due > now ? due - now : 0);
    }

    void on_reconnect_timer() {
        if (state_ == ClientState::disconnected && !queue_.empty())
            connect_now();
    }

    // Writes what it can; `written` gets the bytes taken.  Returns 0 when
    // all was written or the socket is full (EAGAIN), else the errno.
    int write_some(const void *data, size_t len, size_t &written) {
        written = 0;
        const auto *bytes = static_cast<const unsigned char *>(data);
        while (written < len) {
            ssize_t n = ::send(client_.get(), bytes + written, len - written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return EAGAIN;
                return errno;
            }
            written += static_cast<size_t>(n);
            counters_.bytes_sent += static_cast<uint64_t>(n);
        }
        return 0;
    }

    // Writes the unfinished batch, then the queued ones, while the socket
    // takes them; watches for writability when it stops taking them.
    void pump() {
        while (state_ == ClientState::connected) {
            if (!partial_.empty()) {
                size_t written = 0;
                int error_number = write_some(partial_.data() + partial_offset_,
                                              partial_.size() - partial_offset_, written);
                partial_offset_ += written;
                if (partial_offset_ == partial_.size()) {
                    ++counters_.packets_sent;
                    partial_.clear();
                    partial_offset_ = 0;
                } else if (error_number == 0 || error_number == EAGAIN) {
                    client_watcher_.watch(client_.get(), CTD_FD_READ | CTD_FD_WRITE);
                    return;
                } else {
                    lost(error_number);
                    return;
                }
            }
            if (queue_.empty()) {
                client_watcher_.watch(client_.get(), CTD_FD_READ);
                return;
            }
            const std::vector<unsigned char> &batch = queue_.front();
            size_t written = 0;
            int error_number = write_some(batch.data(), batch.size(), written);
            if (written == batch.size()) {
                ++counters_.packets_sent;
                queue_.pop_front();
                continue;
            }
            if (written > 0) {
                // Finish it before anything else, even after an error: the
                // batch has left the queue either way.
                partial_.assign(batch.begin() + static_cast<std::ptrdiff_t>(written), batch.end());
                partial_offset_ = 0;
                queue_.pop_front();
            }
            if (error_number == 0 || error_number == EAGAIN) {
                client_watcher_.watch(client_.get(), CTD_FD_READ | CTD_FD_WRITE);
                return;
            }
            lost(error_number);
            return;
        }
    }

    // Keeps a batch for later.  With ErrorQueueLength 0 nothing is kept and
    // the core hears that the batch was not sent.
    void enqueue(const void *data, size_t len) {
        if (queue_.capacity() == 0) {
            ++queue_overflows_;
            throw ctd::sdk::QuietError("sync link to " + destination_.text() +
                                           " is down and ErrorQueueLength is 0: batch dropped",
                                       ENOTCONN);
        }
        if (queue_.full()) {
            queue_.pop_front();
            ++queue_overflows_;
        }
        queue_.push_back(data, len);
        schedule_reconnect();
    }

    ctd::sdk::Host host_;
    ctd::sdk::Deliverer deliver_;
    int family_ = AF_UNSPEC;
    NetworkInterface interface_;
    Endpoint destination_;
    bool checksum_ = true;
    int send_buffer_ = 0;
    LinkCounters counters_;
    uint64_t queue_overflows_ = 0;
    std::array<unsigned char, receive_buffer_size> buffer_;

    BatchQueue queue_;
    std::vector<unsigned char> partial_; // rest of a half-written batch
    size_t partial_offset_ = 0;

    ClientState state_ = ClientState::disconnected;
    uint64_t last_attempt_us_ = 0;
    bool failure_logged_ = false;
    bool was_connected_ = false;

    // Sockets before their watchers: a watch ends before its socket closes.
    Socket listener_;
    Socket peer_;
    Endpoint peer_address_;
    Socket client_;
    FdWatcher listen_watcher_;
    FdWatcher peer_watcher_;
    FdWatcher client_watcher_;
    ctd::sdk::Timer reconnect_timer_;
};

} // namespace

CTD_TRANSPORT_PLUGIN(TcpLink, "tcp", "1.0.0",
                     "TCP sync link: listens on address:Port, connects to destination:Port",
                     CTD_TRANSPORT_STREAM)
