// The daemon's UNIX control socket (General/UNIX/Path), reference-behaviour §5.
//
// Protocol: a client connects and writes one native `int`, the request
// code; the daemon answers with free text and closes the connection, which
// ends the reply.  Unknown codes get an empty reply.
//
// Unlike the reference, which reads the request and writes the reply with
// blocking calls from its main loop (a client that connects and says
// nothing, or does not read a large reply, stalls the whole daemon), every
// step here is non-blocking: requests may arrive in pieces, a client that
// sends no complete request in time is dropped, replies are written as the
// client reads them, and a handler may answer later (a commit) or from a
// forked child (a large dump) while the loop goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event_loop.hpp"
#include "process_table.hpp"
#include "runtime_stats.hpp"
#include "unique_fd.hpp"

namespace ctd {

class ControlServer;
struct ControlConnection; // one client, defined in control_server.cpp

// A reply that a handler finishes later (e.g. `conntrackd -c`, which returns
// when the commit is over).  Text may be written as it comes; finish() (or
// the destructor) ends the reply by closing the connection.  When the
// client has gone away or the server is closed, writes do nothing.
class DeferredReply {
public:
    DeferredReply() = default;
    DeferredReply(DeferredReply &&) noexcept = default;
    DeferredReply &operator=(DeferredReply &&other) noexcept;
    DeferredReply(const DeferredReply &) = delete;
    DeferredReply &operator=(const DeferredReply &) = delete;
    ~DeferredReply() { finish(); }

    void write(std::string_view text);
    void finish();
    // Whether the reply can still reach its client.
    bool connected() const;
    // Takes the connection away from the server, unanswered, for the caller
    // to close when it wants: KILL keeps it until the daemon has cleaned up,
    // so that its client sees EOF only once the socket and lock are gone,
    // as with the reference.
    UniqueFd release_connection();

private:
    friend class ControlSession;
    explicit DeferredReply(std::weak_ptr<ControlConnection> connection)
        : connection_(std::move(connection)) {}
    std::weak_ptr<ControlConnection> connection_;
};

// Blocking, buffered writes of a reply from a forked child.
class ReplyWriter {
public:
    explicit ReplyWriter(int fd) : fd_(fd) { buffer_.reserve(capacity); }
    ReplyWriter(const ReplyWriter &) = delete;
    ReplyWriter &operator=(const ReplyWriter &) = delete;
    ~ReplyWriter() { flush(); }

    // False once the client is gone (further writes are dropped).
    bool write(std::string_view text);
    bool flush();
    bool ok() const { return ok_; }

private:
    static constexpr size_t capacity = 64 * 1024;
    int fd_;
    bool ok_ = true;
    std::string buffer_;
};

// What a request handler sees of one request.
class ControlSession {
public:
    int request() const { return request_; }

    // Appends text to the reply, sent when the handler returns.
    void reply(std::string_view text);

    // Keeps the connection open after the handler returns; the reply is
    // whatever the returned object writes until it finishes.
    DeferredReply defer();

    // Forks a child (registered in the process table with `type`, refused
    // when `exclusive` and one of that type runs) that writes the reply with
    // `produce` and exits; the client's EOF is the child's exit.  The
    // daemon goes on serving meanwhile.  Returns false (errno set) if no
    // child could be started; the handler may then reply() itself.
    bool reply_from_child(ProcessType type, bool exclusive,
                          std::function<void(ReplyWriter &)> produce);

private:
    friend class ControlServer;
    ControlSession(ControlServer &server, std::shared_ptr<ControlConnection> connection,
                   int request)
        : server_(server), connection_(std::move(connection)), request_(request) {}
    ControlServer &server_;
    std::shared_ptr<ControlConnection> connection_;
    int request_;
};

class ControlServer {
public:
    // Returns true when it took the request (replying or not).  Handlers are
    // asked in the order they were added; the first that takes it ends the
    // dispatch.  A request nobody takes gets an empty reply and is counted
    // as `local unknown request`.
    using Handler = std::function<bool(ControlSession &session)>;

    struct Limits {
        int request_timeout_ms = 5000;  // for the whole 4-byte request
        int write_timeout_ms = 60000;   // without progress while replying
        size_t max_connections = 128;   // more are closed at once
    };

    static constexpr int listen_backlog = 100;

    ControlServer(EventLoop &loop, ProcessTable &processes, RuntimeCounters &counters,
                  Limits limits);
    ControlServer(EventLoop &loop, ProcessTable &processes, RuntimeCounters &counters)
        : ControlServer(loop, processes, counters, Limits()) {}
    ControlServer(const ControlServer &) = delete;
    ControlServer &operator=(const ControlServer &) = delete;
    // close().
    ~ControlServer();

    // Creates the socket at `path` (mode 0600 whatever the umask), after
    // removing a stale socket left there; refuses a path that is served by
    // a live process or is not a socket.  False and `error` on failure.
    bool open(const std::string &path, std::string &error);
    // Stops listening, drops every open connection (deferred replies
    // included) and removes the socket path.  Idempotent.
    void close();
    bool is_open() const { return static_cast<bool>(listener_); }
    const std::string &path() const { return path_; }

    void add_handler(Handler handler) { handlers_.push_back(std::move(handler)); }

    size_t connections() const { return connections_.size(); }

private:
    friend class ControlSession;
    friend class DeferredReply;
    using ConnectionPtr = std::shared_ptr<ControlConnection>;

    void accept_clients();
    void on_event(const ConnectionPtr &connection, uint32_t events);
    void read_request(const ConnectionPtr &connection);
    void dispatch(const ConnectionPtr &connection, int request);
    void flush(const ConnectionPtr &connection);
    void drop(const ConnectionPtr &connection);
    void close_in_child(int keep_fd);
    bool fork_reply(const ConnectionPtr &connection, ProcessType type, bool exclusive,
                    std::function<void(ReplyWriter &)> &produce);

    EventLoop &loop_;
    ProcessTable &processes_;
    RuntimeCounters &counters_;
    Limits limits_;
    std::string path_;
    UniqueFd listener_;
    std::unique_ptr<LoopTimer> accept_pause_;
    std::vector<Handler> handlers_;
    std::unordered_map<int, ConnectionPtr> connections_;
    int child_setup_id_ = 0;
    int child_keeps_fd_ = -1;
};

} // namespace ctd
