#include "control_server.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.hpp"

namespace ctd {

// One client.  Shared with the loop's callbacks and with DeferredReply
// objects, so that dropping it inside one of its own callbacks is safe;
// `server` is null once it is dropped.
struct ControlConnection {
    enum class State { reading, replying, deferred };

    ControlServer *server = nullptr;
    UniqueFd fd;
    State state = State::reading;
    unsigned char request[sizeof(int)] = {};
    size_t received = 0;
    std::string out;  // reply text not yet sent
    size_t sent = 0;  // bytes of `out` already sent
    bool finished = false; // close once `out` is sent
    bool watching = false; // registered in the loop
    std::unique_ptr<LoopTimer> timer;
};

namespace {

bool fill_address(const std::string &path, sockaddr_un &address, std::string &error) {
    address = sockaddr_un{};
    address.sun_family = AF_UNIX;
    if (path.empty()) {
        error = "no UNIX socket path is configured (General { UNIX { Path ... } })";
        return false;
    }
    if (path.size() >= sizeof address.sun_path) {
        error = "UNIX socket path `" + path + "' is too long (at most " +
                std::to_string(sizeof address.sun_path - 1) + " characters)";
        return false;
    }
    std::memcpy(address.sun_path, path.data(), path.size());
    return true;
}

// Whether a process accepts connections on the socket at `address`.
bool socket_is_served(const sockaddr_un &address) {
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe)
        return false;
    if (connect(probe.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0)
        return true;
    // EAGAIN: a listener whose backlog is full is still a listener.
    return errno == EAGAIN;
}

} // namespace

// --- DeferredReply ----------------------------------------------------------

DeferredReply &DeferredReply::operator=(DeferredReply &&other) noexcept {
    if (this != &other) {
        finish();
        connection_ = std::move(other.connection_);
    }
    return *this;
}

void DeferredReply::write(std::string_view text) {
    std::shared_ptr<ControlConnection> connection = connection_.lock();
    if (!connection || !connection->server)
        return;
    connection->out.append(text);
    connection->server->flush(connection);
}

void DeferredReply::finish() {
    std::shared_ptr<ControlConnection> connection = connection_.lock();
    connection_.reset();
    if (!connection || !connection->server)
        return;
    connection->state = ControlConnection::State::replying;
    connection->finished = true;
    connection->server->flush(connection);
}

bool DeferredReply::connected() const {
    std::shared_ptr<ControlConnection> connection = connection_.lock();
    return connection && connection->server;
}

UniqueFd DeferredReply::release_connection() {
    std::shared_ptr<ControlConnection> connection = connection_.lock();
    connection_.reset();
    if (!connection || !connection->server)
        return UniqueFd();
    UniqueFd fd(dup(connection->fd.get()));
    connection->server->drop(connection);
    return fd;
}

// --- ReplyWriter ------------------------------------------------------------

bool ReplyWriter::write(std::string_view text) {
    if (!ok_)
        return false;
    if (buffer_.size() + text.size() > capacity && !flush())
        return false;
    if (text.size() >= capacity) {
        buffer_.assign(text);
        return flush();
    }
    buffer_.append(text);
    return true;
}

bool ReplyWriter::flush() {
    size_t done = 0;
    while (ok_ && done < buffer_.size()) {
        ssize_t n = send(fd_, buffer_.data() + done, buffer_.size() - done, MSG_NOSIGNAL);
        if (n > 0)
            done += static_cast<size_t>(n);
        else if (n < 0 && errno == EINTR)
            continue;
        else
            ok_ = false; // gone, or silent for the whole send timeout
    }
    buffer_.clear();
    return ok_;
}

// --- ControlSession ---------------------------------------------------------

void ControlSession::reply(std::string_view text) {
    if (connection_->server)
        connection_->out.append(text);
}

DeferredReply ControlSession::defer() {
    connection_->state = ControlConnection::State::deferred;
    return DeferredReply(connection_);
}

bool ControlSession::reply_from_child(ProcessType type, bool exclusive,
                                      std::function<void(ReplyWriter &)> produce) {
    if (!connection_->server) {
        errno = ENOTCONN;
        return false;
    }
    return server_.fork_reply(connection_, type, exclusive, produce);
}

// --- ControlServer ----------------------------------------------------------

ControlServer::ControlServer(EventLoop &loop, ProcessTable &processes, RuntimeCounters &counters,
                             Limits limits)
    : loop_(loop), processes_(processes), counters_(counters), limits_(limits) {}

ControlServer::~ControlServer() { close(); }

bool ControlServer::open(const std::string &path, std::string &error) {
    close();
    const std::string failed = "can't open unix socket `" + path + "': ";
    sockaddr_un address;
    if (!fill_address(path, address, error))
        return false;

    struct stat st;
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = failed + "the path exists and is not a socket";
            return false;
        }
        // The reference removes whatever is there; a live socket belongs to
        // another daemon (with another LockFile), which must keep it.
        if (socket_is_served(address)) {
            error = failed + "another process is serving it (another conntrackd with a "
                             "different LockFile?)";
            return false;
        }
        if (unlink(path.c_str()) != 0 && errno != ENOENT) {
            error = failed + "can't remove the stale socket: " + std::strerror(errno);
            return false;
        }
    }

    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = failed + "socket: " + std::strerror(errno);
        return false;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // 0600 whatever the caller's umask (the daemon's is 0177 anyway); the
    // daemon is single-threaded, so the temporary umask affects nothing else.
    // The socket is bound under a temporary name and renamed into place once
    // it listens: a client (a script that starts the daemon and polls for
    // the path) never finds a socket that refuses connections.  A path too
    // long for the temporary name is bound directly.
    std::string staging = path + ".new";
    sockaddr_un staging_address = address;
    bool staged = staging.size() < sizeof staging_address.sun_path;
    if (staged) {
        std::memset(staging_address.sun_path, 0, sizeof staging_address.sun_path);
        std::memcpy(staging_address.sun_path, staging.data(), staging.size());
        unlink(staging.c_str());
    }
    const sockaddr_un &bind_address = staged ? staging_address : address;
    const std::string &bound_path = staged ? staging : path;
    mode_t previous_umask = umask(0177);
    int bound = bind(fd.get(), reinterpret_cast<const sockaddr *>(&bind_address), sizeof bind_address);
    int bind_errno = errno;
    umask(previous_umask);
    if (bound != 0) {
        error = failed + "bind: " + std::strerror(bind_errno);
        return false;
    }
    if (listen(fd.get(), listen_backlog) != 0) {
        error = failed + "listen: " + std::strerror(errno);
        unlink(bound_path.c_str());
        return false;
    }
    if (staged && rename(staging.c_str(), path.c_str()) != 0) {
        error = failed + "rename: " + std::strerror(errno);
        unlink(staging.c_str());
        return false;
    }
    listener_ = std::move(fd);
    path_ = path;
    loop_.watch(listener_.get(), EPOLLIN, [this](uint32_t) { accept_clients(); });
    accept_pause_ = std::make_unique<LoopTimer>(loop_, [this]() {
        if (listener_)
            loop_.watch(listener_.get(), EPOLLIN, [this](uint32_t) { accept_clients(); });
    });
    child_setup_id_ = processes_.add_child_setup([this]() { close_in_child(child_keeps_fd_); });
    return true;
}

void ControlServer::close() {
    if (child_setup_id_) {
        processes_.remove_child_setup(child_setup_id_);
        child_setup_id_ = 0;
    }
    std::vector<ConnectionPtr> open_connections;
    open_connections.reserve(connections_.size());
    for (auto &entry : connections_)
        open_connections.push_back(entry.second);
    for (const ConnectionPtr &connection : open_connections)
        drop(connection);
    accept_pause_.reset();
    if (listener_) {
        loop_.unwatch(listener_.get());
        listener_.reset();
        unlink(path_.c_str());
    }
}

void ControlServer::close_in_child(int keep_fd) {
    // In a forked child: plain close(2) only.  The epoll set is shared with
    // the parent, so nothing may be unwatched from here.
    for (auto &entry : connections_)
        if (entry.first != keep_fd)
            ::close(entry.second->fd.release());
    ::close(listener_.release());
}

void ControlServer::accept_clients() {
    // A bounded batch: a flood of clients cannot starve the rest of the loop.
    for (int batch = 0; batch < 32 && listener_; ++batch) {
        int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            // Out of descriptors or memory: the pending client would make
            // the level-triggered loop spin, so pause accepting for a while.
            logger().logf(log_warning, "control socket: accept failed: %s; pausing for 200 ms",
                          std::strerror(errno));
            loop_.unwatch(listener_.get());
            accept_pause_->arm(200 * 1000);
            return;
        }
        if (connections_.size() >= limits_.max_connections) {
            ::close(fd);
            ++counters_.local_read_failed;
            continue;
        }
        auto connection = std::make_shared<ControlConnection>();
        connection->server = this;
        connection->fd.reset(fd);
        std::weak_ptr<ControlConnection> weak = connection;
        connection->timer = std::make_unique<LoopTimer>(loop_, [weak]() {
            ConnectionPtr self = weak.lock();
            if (!self || !self->server)
                return;
            ControlServer &server = *self->server;
            if (self->state == ControlConnection::State::reading) {
                ++server.counters_.local_read_failed;
                logger().log(log_debug, "control socket: client sent no complete request in "
                                        "time; dropped");
            } else {
                logger().logf(log_warning,
                              "control socket: client read nothing of its reply for %d ms; "
                              "dropped",
                              server.limits_.write_timeout_ms);
            }
            server.drop(self);
        });
        connection->timer->arm(static_cast<uint64_t>(limits_.request_timeout_ms) * 1000);
        connection->watching = true;
        loop_.watch(fd, EPOLLIN, [weak](uint32_t events) {
            ConnectionPtr self = weak.lock();
            if (self && self->server)
                self->server->on_event(self, events);
        });
        connections_[fd] = std::move(connection);
    }
}

void ControlServer::on_event(const ConnectionPtr &connection, uint32_t) {
    if (connection->state == ControlConnection::State::reading)
        read_request(connection);
    else
        flush(connection); // writable again, or an error that send() reports
}

void ControlServer::read_request(const ConnectionPtr &connection) {
    while (connection->received < sizeof connection->request) {
        ssize_t n = read(connection->fd.get(), connection->request + connection->received,
                         sizeof connection->request - connection->received);
        if (n > 0) {
            connection->received += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; // the rest of the request comes later
        // EOF or an error before a whole request: nothing to answer.
        ++counters_.local_read_failed;
        drop(connection);
        return;
    }
    int request;
    std::memcpy(&request, connection->request, sizeof request);
    dispatch(connection, request);
}

void ControlServer::dispatch(const ConnectionPtr &connection, int request) {
    connection->timer->disarm();
    // Stop reading: what a client sends after its request is ignored.
    loop_.unwatch(connection->fd.get());
    connection->watching = false;
    connection->state = ControlConnection::State::replying;

    ControlSession session(*this, connection, request);
    bool taken = false;
    try {
        // By index: a handler may add handlers.
        for (size_t i = 0; i < handlers_.size() && !taken; ++i)
            taken = handlers_[i](session);
    } catch (const std::exception &e) {
        logger().logf(log_error, "control request %d failed: %s", request, e.what());
        drop(connection);
        return;
    }
    if (!taken)
        ++counters_.local_unknown_request;
    if (!connection->server)
        return; // dropped, handed to a child, or the server was closed
    if (connection->state == ControlConnection::State::deferred) {
        if (!connection->out.empty())
            flush(connection);
        return;
    }
    connection->finished = true;
    flush(connection);
}

void ControlServer::flush(const ConnectionPtr &connection) {
    while (connection->sent < connection->out.size()) {
        ssize_t n = send(connection->fd.get(), connection->out.data() + connection->sent,
                         connection->out.size() - connection->sent, MSG_NOSIGNAL);
        if (n > 0) {
            connection->sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // Wait until the client reads; give up if it never does.
            if (!connection->watching) {
                std::weak_ptr<ControlConnection> weak = connection;
                loop_.watch(connection->fd.get(), EPOLLOUT, [weak](uint32_t events) {
                    ConnectionPtr self = weak.lock();
                    if (self && self->server)
                        self->server->on_event(self, events);
                });
                connection->watching = true;
            }
            connection->timer->arm(static_cast<uint64_t>(limits_.write_timeout_ms) * 1000);
            return;
        }
        drop(connection); // the client went away
        return;
    }
    connection->out.clear();
    connection->sent = 0;
    connection->timer->disarm();
    if (connection->watching) {
        loop_.unwatch(connection->fd.get());
        connection->watching = false;
    }
    if (connection->finished)
        drop(connection);
}

void ControlServer::drop(const ConnectionPtr &connection) {
    if (!connection->server)
        return;
    int fd = connection->fd.get();
    if (connection->watching)
        loop_.unwatch(fd);
    connection->watching = false;
    connection->timer.reset();
    connection->server = nullptr;
    connection->out.clear();
    connections_.erase(fd);
    connection->fd.reset();
}

bool ControlServer::fork_reply(const ConnectionPtr &connection, ProcessType type, bool exclusive,
                               std::function<void(ReplyWriter &)> &produce) {
    child_keeps_fd_ = connection->fd.get();
    pid_t pid = processes_.fork_child(type, exclusive);
    child_keeps_fd_ = -1;
    if (pid < 0)
        return false;
    if (pid == 0) {
        // The child: blocking writes, bounded by the write timeout, then
        // exit without running any of the parent's destructors (they would
        // remove the socket and lock file).
        int fd = connection->fd.get();
        int flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        timeval timeout{limits_.write_timeout_ms / 1000, (limits_.write_timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        int status = 0;
        {
            ReplyWriter writer(fd);
            writer.write(std::string_view(connection->out).substr(connection->sent));
            try {
                produce(writer);
            } catch (const std::exception &e) {
                logger().logf(log_error, "control request reply failed: %s", e.what());
                status = 1;
            } catch (...) {
                logger().log(log_error, "control request reply failed");
                status = 1;
            }
        }
        _exit(status);
    }
    // The parent: the child answers; our copy of the connection goes.
    drop(connection);
    return true;
}

} // namespace ctd
