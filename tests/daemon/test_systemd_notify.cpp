// systemd's notify protocol, received on a test socket as systemd would.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_test_util.hpp"
#include "event_loop.hpp"
#include "systemd_notify.hpp"
#include "unique_fd.hpp"

using namespace ctd;

namespace {

// A datagram socket standing in for systemd's notify socket.
class FakeSystemd {
public:
    // A path in `dir`, or an abstract name when `dir` is empty.
    explicit FakeSystemd(const std::string &dir) {
        fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        socklen_t length;
        if (dir.empty()) {
            name_ = "@ctd-test-notify-" + std::to_string(getpid()) + "-" + std::to_string(++count_);
            name_.copy(address.sun_path, sizeof address.sun_path - 1);
            address.sun_path[0] = '\0';
            length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
        } else {
            name_ = dir + "/notify";
            name_.copy(address.sun_path, sizeof address.sun_path - 1);
            length = sizeof address;
        }
        if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&address), length) != 0)
            CPPUNIT_FAIL("bind " + name_);
    }
    const std::string &name() const { return name_; }
    // The next message, or "" after `timeout_ms`.
    std::string receive(int timeout_ms = 2000) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1)
            return "";
        char buffer[512];
        ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
    }

private:
    static inline int count_ = 0;
    UniqueFd fd_;
    std::string name_;
};

// Sets environment variables for one test and restores them.
class Environment {
public:
    ~Environment() {
        for (auto &[name, value] : saved_) {
            if (value)
                setenv(name.c_str(), value->c_str(), 1);
            else
                unsetenv(name.c_str());
        }
    }
    void set(const std::string &name, const char *value) {
        const char *old = std::getenv(name.c_str());
        saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
        if (value)
            setenv(name.c_str(), value, 1);
        else
            unsetenv(name.c_str());
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

} // namespace

class SystemdNotifyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SystemdNotifyTest);
    CPPUNIT_TEST(nothing_without_notify_socket);
    CPPUNIT_TEST(ready_carries_main_pid);
    CPPUNIT_TEST(abstract_socket_names_work);
    CPPUNIT_TEST(watchdog_interval_is_half_and_only_for_us);
    CPPUNIT_TEST(environment_is_read_and_checked);
    CPPUNIT_TEST(watchdog_pings_from_the_loop);
    CPPUNIT_TEST(unreachable_socket_is_reported);
    CPPUNIT_TEST_SUITE_END();

public:
    void nothing_without_notify_socket() {
        Environment env;
        env.set("NOTIFY_SOCKET", nullptr);
        env.set("WATCHDOG_USEC", "1000000");
        std::string error;
        SystemdNotifier notifier = SystemdNotifier::from_environment(error);
        CPPUNIT_ASSERT(error.empty());
        CPPUNIT_ASSERT(!notifier.active());
        CPPUNIT_ASSERT(notifier.ready(getpid()));
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), notifier.watchdog_interval_us());
    }

    void ready_carries_main_pid() {
        test_env::TempDir dir;
        FakeSystemd systemd(dir.path());
        SystemdNotifier notifier(systemd.name(), 0, std::nullopt);
        CPPUNIT_ASSERT(notifier.active());
        CPPUNIT_ASSERT(notifier.ready(4242));
        CPPUNIT_ASSERT_EQUAL(std::string("READY=1\nMAINPID=4242"), systemd.receive());
        CPPUNIT_ASSERT(notifier.stopping());
        CPPUNIT_ASSERT_EQUAL(std::string("STOPPING=1"), systemd.receive());
    }

    void abstract_socket_names_work() {
        FakeSystemd systemd("");
        CPPUNIT_ASSERT_EQUAL('@', systemd.name()[0]);
        SystemdNotifier notifier(systemd.name(), 0, std::nullopt);
        CPPUNIT_ASSERT(notifier.watchdog());
        CPPUNIT_ASSERT_EQUAL(std::string("WATCHDOG=1"), systemd.receive());
    }

    void watchdog_interval_is_half_and_only_for_us() {
        const std::string socket = "/run/systemd/notify";
        CPPUNIT_ASSERT_EQUAL(uint64_t(1500000),
                             SystemdNotifier(socket, 3000000, std::nullopt).watchdog_interval_us());
        CPPUNIT_ASSERT_EQUAL(uint64_t(1500000),
                             SystemdNotifier(socket, 3000000, getpid()).watchdog_interval_us());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0),
                             SystemdNotifier(socket, 3000000, getpid() + 1).watchdog_interval_us());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), SystemdNotifier(socket, 0, std::nullopt).watchdog_interval_us());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), SystemdNotifier("", 3000000, std::nullopt).watchdog_interval_us());
    }

    void environment_is_read_and_checked() {
        test_env::TempDir dir;
        FakeSystemd systemd(dir.path());
        Environment env;
        env.set("NOTIFY_SOCKET", systemd.name().c_str());
        env.set("WATCHDOG_USEC", "2000000");
        env.set("WATCHDOG_PID", std::to_string(getpid()).c_str());
        std::string error;
        SystemdNotifier notifier = SystemdNotifier::from_environment(error);
        CPPUNIT_ASSERT_EQUAL(std::string(), error);
        CPPUNIT_ASSERT_EQUAL(uint64_t(1000000), notifier.watchdog_interval_us());
        CPPUNIT_ASSERT(notifier.ready(getpid()));
        CPPUNIT_ASSERT_EQUAL("READY=1\nMAINPID=" + std::to_string(getpid()), systemd.receive());

        env.set("WATCHDOG_PID", "1");
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), SystemdNotifier::from_environment(error).watchdog_interval_us());

        env.set("WATCHDOG_PID", nullptr);
        env.set("WATCHDOG_USEC", "soon");
        notifier = SystemdNotifier::from_environment(error);
        CPPUNIT_ASSERT_EQUAL(std::string("WATCHDOG_USEC `soon' is not a number: no watchdog"), error);
        CPPUNIT_ASSERT(notifier.active());
        CPPUNIT_ASSERT_EQUAL(uint64_t(0), notifier.watchdog_interval_us());

        env.set("NOTIFY_SOCKET", "relative/name");
        notifier = SystemdNotifier::from_environment(error);
        CPPUNIT_ASSERT_EQUAL(
            std::string("NOTIFY_SOCKET `relative/name' is neither a path nor an abstract socket name"),
            error);
        CPPUNIT_ASSERT(!notifier.active());
    }

    void watchdog_pings_from_the_loop() {
        test_env::TempDir dir;
        FakeSystemd systemd(dir.path());
        SystemdNotifier notifier(systemd.name(), 100000, getpid()); // every 50 ms
        EventLoop loop;
        SystemdWatchdog watchdog(loop, notifier);
        CPPUNIT_ASSERT(watchdog.running());
        uint64_t start = EventLoop::monotonic_us();
        while (EventLoop::monotonic_us() - start < 180000)
            loop.run_once(10);
        int pings = 0;
        for (std::string message; !(message = systemd.receive(0)).empty();) {
            CPPUNIT_ASSERT_EQUAL(std::string("WATCHDOG=1"), message);
            ++pings;
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(pings), pings >= 2 && pings <= 4);

        SystemdNotifier other(systemd.name(), 100000, getpid() + 1);
        SystemdWatchdog idle(loop, other);
        CPPUNIT_ASSERT(!idle.running());
    }

    void unreachable_socket_is_reported() {
        test_env::TempDir dir;
        SystemdNotifier notifier(dir.path() + "/nobody", 0, std::nullopt);
        std::string error;
        CPPUNIT_ASSERT(!notifier.ready(1, &error));
        CPPUNIT_ASSERT_EQUAL("can't notify systemd through `" + dir.path() +
                                 "/nobody': No such file or directory",
                             error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SystemdNotifyTest);
