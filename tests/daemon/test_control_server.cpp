// The control socket server: the request framing (one native int, possibly
// in pieces), hostile or clumsy clients (silent, partial, gone early, not
// reading), deferred and forked replies, and the socket file itself.
#include <cppunit/extensions/HelperMacros.h>

#include <fcntl.h>
#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_server.hpp"
#include "daemon_test_util.hpp"

using namespace ctd;
using daemon_test::request_bytes;

namespace {

// A non-blocking client driven by the same thread as the server.
class TestClient {
public:
    explicit TestClient(const std::string &path) : fd_(daemon_test::connect_unix(path, true)) {
        if (fd_ < 0)
            CPPUNIT_FAIL("cannot connect to " + path);
    }
    ~TestClient() { close_now(); }
    TestClient(const TestClient &) = delete;
    TestClient &operator=(const TestClient &) = delete;

    void send(const std::string &bytes) {
        CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(bytes.size()),
                             ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL));
    }
    void shut_write() { shutdown(fd_, SHUT_WR); }
    void close_now() {
        if (fd_ >= 0)
            close(fd_);
        fd_ = -1;
    }
    // Reads what is there; true once the reply has ended.
    bool read_available() {
        char buffer[65536];
        for (;;) {
            ssize_t n = read(fd_, buffer, sizeof buffer);
            if (n > 0) {
                received_.append(buffer, static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return false;
            if (n < 0 && errno == EINTR)
                continue;
            ended_ = true;
            return true;
        }
    }
    bool ended() const { return ended_; }
    const std::string &received() const { return received_; }
    int fd() const { return fd_; }

private:
    int fd_;
    std::string received_;
    bool ended_ = false;
};

struct Rig {
    explicit Rig(ControlServer::Limits limits = ControlServer::Limits())
        : processes(counters), server(loop, processes, counters, limits),
          path(dir.path() + "/ctl.sock") {
        std::string error;
        if (!server.open(path, error))
            CPPUNIT_FAIL(error);
    }
    // Runs the loop until `client` has its whole reply (or times out).
    bool serve_until_end(TestClient &client, int timeout_ms = 5000) {
        uint64_t deadline = EventLoop::monotonic_us() + static_cast<uint64_t>(timeout_ms) * 1000;
        while (EventLoop::monotonic_us() < deadline) {
            loop.run_once(5);
            processes.reap();
            if (client.read_available())
                return true;
        }
        return false;
    }
    void serve_for(int ms) {
        uint64_t deadline = EventLoop::monotonic_us() + static_cast<uint64_t>(ms) * 1000;
        while (EventLoop::monotonic_us() < deadline)
            loop.run_once(5);
    }

    test_env::TempDir dir;
    EventLoop loop;
    RuntimeCounters counters;
    ProcessTable processes;
    ControlServer server;
    std::string path;
};

// A handler answering request `code` with `text`.
ControlServer::Handler answer(int code, std::string text) {
    return [code, text](ControlSession &session) {
        if (session.request() != code)
            return false;
        session.reply(text);
        return true;
    };
}

std::string pattern(size_t size) {
    std::string text(size, '\0');
    for (size_t i = 0; i < size; ++i)
        text[i] = static_cast<char>('a' + i % 26);
    return text;
}

} // namespace

class ControlServerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ControlServerTest);
    CPPUNIT_TEST(socket_is_0600_and_removed_at_close);
    CPPUNIT_TEST(reply_text_then_eof);
    CPPUNIT_TEST(unknown_request_gets_empty_reply_and_is_counted);
    CPPUNIT_TEST(first_handler_that_takes_the_request_wins);
    CPPUNIT_TEST(request_may_arrive_in_pieces);
    CPPUNIT_TEST(partial_request_then_eof_is_a_read_failure);
    CPPUNIT_TEST(connection_without_request_is_a_read_failure);
    CPPUNIT_TEST(silent_client_dropped_after_timeout_while_others_are_served);
    CPPUNIT_TEST(bytes_after_the_request_are_ignored);
    CPPUNIT_TEST(large_reply_to_slow_reader_does_not_stall_others);
    CPPUNIT_TEST(reader_that_never_reads_is_dropped);
    CPPUNIT_TEST(deferred_reply_arrives_later);
    CPPUNIT_TEST(deferred_reply_to_vanished_client_is_harmless);
    CPPUNIT_TEST(dropping_a_deferred_reply_ends_it);
    CPPUNIT_TEST(released_connection_ends_when_its_owner_closes_it);
    CPPUNIT_TEST(close_ends_deferred_replies);
    CPPUNIT_TEST(reply_from_child_streams_while_loop_serves);
    CPPUNIT_TEST(forked_child_does_not_hold_other_clients);
    CPPUNIT_TEST(exclusive_child_reply_refused_while_one_runs);
    CPPUNIT_TEST(handler_exception_ends_request_only);
    CPPUNIT_TEST(connections_beyond_limit_are_closed);
    CPPUNIT_TEST(stale_socket_file_is_replaced);
    CPPUNIT_TEST(socket_served_by_another_process_is_refused);
    CPPUNIT_TEST(path_that_is_not_a_socket_is_refused);
    CPPUNIT_TEST(bad_paths_are_explained);
    CPPUNIT_TEST_SUITE_END();

public:
    void socket_is_0600_and_removed_at_close() {
        mode_t previous = umask(0); // the server must not depend on the umask
        Rig rig;
        umask(previous);
        struct stat st;
        CPPUNIT_ASSERT_EQUAL(0, lstat(rig.path.c_str(), &st));
        CPPUNIT_ASSERT(S_ISSOCK(st.st_mode));
        CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(st.st_mode & 07777));
        rig.server.close();
        CPPUNIT_ASSERT(lstat(rig.path.c_str(), &st) != 0);
        CPPUNIT_ASSERT(!rig.server.is_open());
    }

    void reply_text_then_eof() {
        Rig rig;
        rig.server.add_handler(answer(30, "daemon uptime: 0 min\n"));
        TestClient client(rig.path);
        client.send(request_bytes(30));
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string("daemon uptime: 0 min\n"), client.received());
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), rig.counters.local_unknown_request);
    }

    void unknown_request_gets_empty_reply_and_is_counted() {
        Rig rig;
        rig.server.add_handler(answer(30, "x"));
        TestClient client(rig.path);
        client.send(request_bytes(99));
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string(), client.received());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), rig.counters.local_unknown_request);
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), rig.counters.local_read_failed);
    }

    void first_handler_that_takes_the_request_wins() {
        Rig rig;
        std::vector<int> asked;
        rig.server.add_handler([&](ControlSession &s) {
            asked.push_back(1);
            return s.request() == 20;
        });
        rig.server.add_handler([&](ControlSession &s) {
            asked.push_back(2);
            s.reply("second\n");
            return true;
        });
        rig.server.add_handler([&](ControlSession &) {
            asked.push_back(3);
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(21));
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string("second\n"), client.received());
        CPPUNIT_ASSERT((asked == std::vector<int>{1, 2}));
    }

    void request_may_arrive_in_pieces() {
        Rig rig;
        int calls = 0;
        rig.server.add_handler([&](ControlSession &s) {
            ++calls;
            s.reply("code " + std::to_string(s.request()) + "\n");
            return true;
        });
        TestClient client(rig.path);
        std::string request = request_bytes(0x01020304);
        client.send(request.substr(0, 1));
        rig.serve_for(30);
        CPPUNIT_ASSERT_EQUAL(0, calls);
        client.send(request.substr(1, 2));
        rig.serve_for(30);
        CPPUNIT_ASSERT_EQUAL(0, calls);
        client.send(request.substr(3));
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(1, calls);
        CPPUNIT_ASSERT_EQUAL("code " + std::to_string(0x01020304) + "\n", client.received());
    }

    void partial_request_then_eof_is_a_read_failure() {
        // The reference reads the two bytes into a stale int and answers
        // whatever that is; a partial request must get no answer at all.
        Rig rig;
        int calls = 0;
        rig.server.add_handler([&](ControlSession &s) {
            ++calls;
            s.reply("should not be sent");
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(30).substr(0, 2));
        client.shut_write();
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string(), client.received());
        CPPUNIT_ASSERT_EQUAL(0, calls);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), rig.counters.local_read_failed);
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
    }

    void connection_without_request_is_a_read_failure() {
        Rig rig;
        {
            TestClient client(rig.path);
        }
        rig.serve_for(50);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), rig.counters.local_read_failed);
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
    }

    void silent_client_dropped_after_timeout_while_others_are_served() {
        ControlServer::Limits limits;
        limits.request_timeout_ms = 200;
        Rig rig(limits);
        rig.server.add_handler(answer(30, "ok\n"));
        TestClient silent(rig.path);
        TestClient partial(rig.path);
        partial.send("\x1e");
        rig.serve_for(20);
        // Meanwhile a well-behaved client is answered at once.
        uint64_t before = EventLoop::monotonic_us();
        TestClient good(rig.path);
        good.send(request_bytes(30));
        CPPUNIT_ASSERT(rig.serve_until_end(good, 150));
        CPPUNIT_ASSERT(EventLoop::monotonic_us() - before < 150 * 1000);
        CPPUNIT_ASSERT_EQUAL(std::string("ok\n"), good.received());
        CPPUNIT_ASSERT(!silent.read_available());
        // Then the silent ones go.
        CPPUNIT_ASSERT(rig.serve_until_end(silent, 2000));
        CPPUNIT_ASSERT(rig.serve_until_end(partial, 2000));
        CPPUNIT_ASSERT_EQUAL(std::string(), silent.received());
        CPPUNIT_ASSERT_EQUAL(uint64_t(2), rig.counters.local_read_failed);
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
    }

    void bytes_after_the_request_are_ignored() {
        Rig rig;
        std::vector<int> requests;
        rig.server.add_handler([&](ControlSession &s) {
            requests.push_back(s.request());
            s.reply("one\n");
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(30) + request_bytes(31) + "garbage");
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT((requests == std::vector<int>{30}));
        CPPUNIT_ASSERT_EQUAL(std::string("one\n"), client.received());
    }

    void large_reply_to_slow_reader_does_not_stall_others() {
        Rig rig;
        const std::string big = pattern(8 * 1024 * 1024);
        rig.server.add_handler(answer(16, big));
        rig.server.add_handler(answer(30, "runtime\n"));
        TestClient slow(rig.path);
        slow.send(request_bytes(16));
        rig.serve_for(30); // the socket buffer fills; the rest waits
        TestClient quick(rig.path);
        quick.send(request_bytes(30));
        CPPUNIT_ASSERT(rig.serve_until_end(quick, 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("runtime\n"), quick.received());
        CPPUNIT_ASSERT(!slow.ended());
        CPPUNIT_ASSERT(rig.serve_until_end(slow, 20000));
        CPPUNIT_ASSERT(big == slow.received());
    }

    void reader_that_never_reads_is_dropped() {
        ControlServer::Limits limits;
        limits.write_timeout_ms = 150;
        Rig rig(limits);
        rig.server.add_handler(answer(16, pattern(8 * 1024 * 1024)));
        daemon_test::CapturedLog log;
        TestClient stuck(rig.path);
        stuck.send(request_bytes(16));
        rig.serve_for(50);
        CPPUNIT_ASSERT_EQUAL(size_t(1), rig.server.connections());
        rig.serve_for(400);
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
        CPPUNIT_ASSERT(log.text().find("[warning] control socket: client read nothing of its "
                                       "reply for 150 ms; dropped") != std::string::npos);
    }

    void deferred_reply_arrives_later() {
        Rig rig;
        DeferredReply pending;
        rig.server.add_handler([&](ControlSession &s) {
            s.reply("started\n");
            pending = s.defer();
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(18));
        rig.serve_for(50);
        client.read_available();
        CPPUNIT_ASSERT(!client.ended());
        CPPUNIT_ASSERT_EQUAL(std::string("started\n"), client.received());
        CPPUNIT_ASSERT(pending.connected());
        pending.write("Committed 3 new entries\n");
        pending.finish();
        CPPUNIT_ASSERT(!pending.connected());
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string("started\nCommitted 3 new entries\n"), client.received());
    }

    void deferred_reply_to_vanished_client_is_harmless() {
        Rig rig;
        DeferredReply pending;
        rig.server.add_handler([&](ControlSession &s) {
            if (s.request() != 18)
                return false;
            pending = s.defer();
            return true;
        });
        {
            TestClient client(rig.path);
            client.send(request_bytes(18));
            rig.serve_for(30);
        }
        pending.write("nobody reads this\n"); // EPIPE, not SIGPIPE
        CPPUNIT_ASSERT(!pending.connected());
        pending.finish();
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
        rig.server.add_handler(answer(31, "still here\n"));
        TestClient next(rig.path);
        next.send(request_bytes(31));
        CPPUNIT_ASSERT(rig.serve_until_end(next));
        CPPUNIT_ASSERT_EQUAL(std::string("still here\n"), next.received());
    }

    void dropping_a_deferred_reply_ends_it() {
        Rig rig;
        std::optional<DeferredReply> pending;
        rig.server.add_handler([&](ControlSession &s) {
            pending.emplace(s.defer());
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(18));
        rig.serve_for(30);
        CPPUNIT_ASSERT(!client.read_available());
        pending.reset();
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string(), client.received());
    }

    void released_connection_ends_when_its_owner_closes_it() {
        Rig rig;
        UniqueFd kept;
        rig.server.add_handler([&](ControlSession &s) {
            kept = s.defer().release_connection();
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(20));
        rig.serve_for(30);
        CPPUNIT_ASSERT(kept);
        CPPUNIT_ASSERT_EQUAL(size_t(0), rig.server.connections());
        rig.server.close(); // the server's end is gone, ours is not
        CPPUNIT_ASSERT(!client.read_available());
        kept.reset();
        CPPUNIT_ASSERT(client.read_available());
        CPPUNIT_ASSERT_EQUAL(std::string(), client.received());
    }

    void close_ends_deferred_replies() {
        Rig rig;
        DeferredReply pending;
        rig.server.add_handler([&](ControlSession &s) {
            pending = s.defer();
            return true;
        });
        TestClient client(rig.path);
        client.send(request_bytes(18));
        rig.serve_for(30);
        rig.server.close();
        CPPUNIT_ASSERT(client.read_available());
        CPPUNIT_ASSERT(!pending.connected());
        pending.write("too late"); // does nothing
        CPPUNIT_ASSERT_EQUAL(std::string(), client.received());
    }

    void reply_from_child_streams_while_loop_serves() {
        Rig rig;
        size_t size = 4 * 1024 * 1024; // not const: g++ and clang++ differ on capturing constants
        rig.server.add_handler([&](ControlSession &s) {
            if (s.request() != 16)
                return false;
            s.reply("header\n");
            bool forked = s.reply_from_child(ProcessType::any, false, [size](ReplyWriter &out) {
                std::string piece = pattern(size);
                for (size_t at = 0; at < size; at += 1000)
                    out.write(std::string_view(piece).substr(at, 1000));
            });
            CPPUNIT_ASSERT(forked);
            return true;
        });
        rig.server.add_handler([&](ControlSession &s) {
            s.reply(rig.processes.format());
            return true;
        });
        TestClient dump(rig.path);
        dump.send(request_bytes(16));
        rig.serve_for(30);
        // The child blocks on the full socket; the parent answers others.
        TestClient process(rig.path);
        process.send(request_bytes(35));
        CPPUNIT_ASSERT(rig.serve_until_end(process, 1000));
        CPPUNIT_ASSERT(process.received().find(" type=any\n") != std::string::npos);
        CPPUNIT_ASSERT(rig.serve_until_end(dump, 20000));
        CPPUNIT_ASSERT(dump.received() == "header\n" + pattern(size));
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            rig.processes.reap();
            return rig.processes.size() == 0;
        }));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), rig.counters.child_process_failed);
    }

    void forked_child_does_not_hold_other_clients() {
        Rig rig;
        int gate[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(gate));
        rig.server.add_handler([&](ControlSession &s) {
            if (s.request() != 16)
                return false;
            s.reply_from_child(ProcessType::any, false, [&](ReplyWriter &out) {
                close(gate[1]);
                char c;
                while (read(gate[0], &c, 1) > 0) {
                } // until the test lets it go
                out.write("done\n");
            });
            return true;
        });
        DeferredReply pending;
        rig.server.add_handler([&](ControlSession &s) {
            pending = s.defer();
            return true;
        });
        TestClient waiting(rig.path);
        waiting.send(request_bytes(18)); // deferred before the fork
        rig.serve_for(30);
        TestClient dump(rig.path);
        dump.send(request_bytes(16));
        rig.serve_for(30);
        close(gate[0]);
        // The child still runs; ending the other reply must reach its client.
        pending.finish();
        CPPUNIT_ASSERT(rig.serve_until_end(waiting, 1000));
        // And the child does not keep the socket path served after close().
        rig.server.close();
        CPPUNIT_ASSERT_EQUAL(-1, daemon_test::connect_unix(rig.path, true));
        close(gate[1]);
        CPPUNIT_ASSERT(rig.serve_until_end(dump, 5000));
        CPPUNIT_ASSERT_EQUAL(std::string("done\n"), dump.received());
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            rig.processes.reap();
            return rig.processes.size() == 0;
        }));
    }

    void exclusive_child_reply_refused_while_one_runs() {
        Rig rig;
        int gate[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(gate));
        std::vector<int> results;
        rig.server.add_handler([&](ControlSession &s) {
            bool forked = s.reply_from_child(ProcessType::flush, true, [&](ReplyWriter &) {
                close(gate[1]);
                char c;
                while (read(gate[0], &c, 1) > 0) {
                }
            });
            results.push_back(forked ? 0 : errno);
            if (!forked)
                s.reply("busy\n");
            return true;
        });
        TestClient first(rig.path);
        first.send(request_bytes(0));
        rig.serve_for(30);
        TestClient second(rig.path);
        second.send(request_bytes(0));
        CPPUNIT_ASSERT(rig.serve_until_end(second, 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("busy\n"), second.received());
        CPPUNIT_ASSERT((results == std::vector<int>{0, EBUSY}));
        close(gate[0]);
        close(gate[1]);
        CPPUNIT_ASSERT(rig.serve_until_end(first, 5000));
        CPPUNIT_ASSERT(daemon_test::eventually([&]() {
            rig.processes.reap();
            return rig.processes.size() == 0;
        }));
    }

    void handler_exception_ends_request_only() {
        Rig rig;
        daemon_test::CapturedLog log;
        rig.server.add_handler([](ControlSession &s) -> bool {
            if (s.request() == 66) {
                s.reply("partial");
                throw std::runtime_error("out of coffee");
            }
            return false;
        });
        rig.server.add_handler(answer(30, "fine\n"));
        TestClient bad(rig.path);
        bad.send(request_bytes(66));
        CPPUNIT_ASSERT(rig.serve_until_end(bad));
        CPPUNIT_ASSERT_EQUAL(std::string(), bad.received());
        CPPUNIT_ASSERT(log.text().find("[ERROR] control request 66 failed: out of coffee") !=
                       std::string::npos);
        TestClient good(rig.path);
        good.send(request_bytes(30));
        CPPUNIT_ASSERT(rig.serve_until_end(good));
        CPPUNIT_ASSERT_EQUAL(std::string("fine\n"), good.received());
    }

    void connections_beyond_limit_are_closed() {
        ControlServer::Limits limits;
        limits.max_connections = 2;
        Rig rig(limits);
        rig.server.add_handler(answer(30, "ok\n"));
        TestClient a(rig.path), b(rig.path);
        rig.serve_for(30);
        TestClient c(rig.path);
        CPPUNIT_ASSERT(rig.serve_until_end(c, 1000));
        CPPUNIT_ASSERT_EQUAL(size_t(2), rig.server.connections());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1), rig.counters.local_read_failed);
        a.send(request_bytes(30));
        CPPUNIT_ASSERT(rig.serve_until_end(a));
        CPPUNIT_ASSERT_EQUAL(std::string("ok\n"), a.received());
    }

    void stale_socket_file_is_replaced() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/ctl.sock";
        {
            // A socket file whose owner is gone, as after a crash.
            UniqueFd stale(socket(AF_UNIX, SOCK_STREAM, 0));
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            path.copy(address.sun_path, sizeof address.sun_path - 1);
            CPPUNIT_ASSERT_EQUAL(0, bind(stale.get(), reinterpret_cast<sockaddr *>(&address),
                                         sizeof address));
        }
        EventLoop loop;
        RuntimeCounters counters;
        ProcessTable processes(counters);
        ControlServer server(loop, processes, counters);
        std::string error;
        CPPUNIT_ASSERT_MESSAGE(error, server.open(path, error));
        int fd = daemon_test::connect_unix(path, true);
        CPPUNIT_ASSERT(fd >= 0);
        close(fd);
    }

    void socket_served_by_another_process_is_refused() {
        Rig rig;
        rig.server.add_handler(answer(30, "first\n"));
        ControlServer second(rig.loop, rig.processes, rig.counters);
        std::string error;
        CPPUNIT_ASSERT(!second.open(rig.path, error));
        CPPUNIT_ASSERT_EQUAL("can't open unix socket `" + rig.path +
                                 "': another process is serving it (another conntrackd with a "
                                 "different LockFile?)",
                             error);
        // Its failure took nothing from the first.
        TestClient client(rig.path);
        client.send(request_bytes(30));
        CPPUNIT_ASSERT(rig.serve_until_end(client));
        CPPUNIT_ASSERT_EQUAL(std::string("first\n"), client.received());
    }

    void path_that_is_not_a_socket_is_refused() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/precious";
        std::ofstream(path) << "data\n";
        EventLoop loop;
        RuntimeCounters counters;
        ProcessTable processes(counters);
        ControlServer server(loop, processes, counters);
        std::string error;
        CPPUNIT_ASSERT(!server.open(path, error));
        CPPUNIT_ASSERT_EQUAL("can't open unix socket `" + path +
                                 "': the path exists and is not a socket",
                             error);
        CPPUNIT_ASSERT_EQUAL(std::string("data\n"), daemon_test::read_file(path));
    }

    void bad_paths_are_explained() {
        EventLoop loop;
        RuntimeCounters counters;
        ProcessTable processes(counters);
        ControlServer server(loop, processes, counters);
        std::string error;
        CPPUNIT_ASSERT(!server.open("", error));
        CPPUNIT_ASSERT_EQUAL(
            std::string("no UNIX socket path is configured (General { UNIX { Path ... } })"), error);
        std::string long_path = "/tmp/" + std::string(103, 'x');
        CPPUNIT_ASSERT(!server.open(long_path, error));
        CPPUNIT_ASSERT_EQUAL("UNIX socket path `" + long_path +
                                 "' is too long (at most 107 characters)",
                             error);
        CPPUNIT_ASSERT(!server.open("/nonexistent-dir/ctl.sock", error));
        CPPUNIT_ASSERT_EQUAL(std::string("can't open unix socket `/nonexistent-dir/ctl.sock': "
                                         "bind: No such file or directory"),
                             error);
        CPPUNIT_ASSERT(!server.is_open());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ControlServerTest);
