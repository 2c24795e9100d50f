// Shared by the udp, tcp and mcast transport plugins: the checks of the
// reference's keywords (with errors that say where and what to do), socket
// helpers, the interface lookup, fd watches that may be changed from their
// own callbacks, and the counters every link reports.
//
// Header-only on purpose: each plugin builds alone from its own folder and
// sees nothing but the SDK and this file.
#pragma once

#include <conntrackd/plugin.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace ctd::transport {

using sdk::PluginError;

// Receive buffer: a whole UDP datagram always fits, and it is what the
// reference reads at once from a stream.
constexpr size_t receive_buffer_size = 65536;

// Reads per readiness callback: the reference's default EventIterationLimit,
// so that a flooded link cannot starve the rest of the main loop (the loop
// is level-triggered: what is left is read in the next round).
constexpr int reads_per_wakeup = 100;

// Header bytes between the interface MTU and the sync payload.  The
// reference reserves 28 (IPv4 + UDP) and 40 (IPv4 + TCP) whatever the
// family; IPv6 headers are 20 bytes longer, so an IPv6 link reserves that
// much more and its full batches are not fragmented.
constexpr uint32_t udp_overhead(int family) { return family == AF_INET6 ? 48 : 28; }
constexpr uint32_t tcp_overhead(int family) { return family == AF_INET6 ? 60 : 40; }

inline std::string errno_text(int error_number) { return std::strerror(error_number); }

// An owned file descriptor.
class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    Socket(Socket &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Socket &operator=(Socket &&other) noexcept {
        if (this != &other)
            reset(std::exchange(other.fd_, -1));
        return *this;
    }
    Socket(const Socket &) = delete;
    Socket &operator=(const Socket &) = delete;
    ~Socket() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// Opens a socket or throws with what it was for.
inline Socket open_socket(int family, int type, const std::string &purpose) {
    int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw PluginError("cannot open " + purpose + " socket: " + errno_text(errno), errno);
    return Socket(fd);
}

inline void set_option(const Socket &socket, int level, int name, int value, const std::string &what) {
    if (::setsockopt(socket.get(), level, name, &value, sizeof value) != 0)
        throw PluginError("cannot set " + what + ": " + errno_text(errno), errno);
}

// An IPv4 or IPv6 socket address with its port (and IPv6 scope).
class Endpoint {
public:
    Endpoint() = default;
    Endpoint(const in_addr &address, uint16_t port) {
        storage_.v4.sin_family = AF_INET;
        storage_.v4.sin_addr = address;
        storage_.v4.sin_port = htons(port);
        length_ = sizeof storage_.v4;
    }
    Endpoint(const in6_addr &address, uint16_t port, uint32_t scope_id) {
        storage_.v6.sin6_family = AF_INET6;
        storage_.v6.sin6_addr = address;
        storage_.v6.sin6_port = htons(port);
        storage_.v6.sin6_scope_id = scope_id;
        length_ = sizeof storage_.v6;
    }

    const sockaddr *get() const { return &storage_.any; }
    sockaddr *get() { return &storage_.any; }
    socklen_t length() const { return length_; }
    // For accept(): the room there is, then what the kernel filled.
    socklen_t *length_for_update() {
        length_ = sizeof storage_;
        return &length_;
    }
    int family() const { return storage_.any.sa_family; }

    // "10.0.0.1:3780" or "[fd00::1]:3780".
    std::string text() const {
        char address[INET6_ADDRSTRLEN] = "?";
        if (family() == AF_INET) {
            inet_ntop(AF_INET, &storage_.v4.sin_addr, address, sizeof address);
            return std::string(address) + ":" + std::to_string(ntohs(storage_.v4.sin_port));
        }
        if (family() == AF_INET6) {
            inet_ntop(AF_INET6, &storage_.v6.sin6_addr, address, sizeof address);
            return "[" + std::string(address) + "]:" + std::to_string(ntohs(storage_.v6.sin6_port));
        }
        return "(no address)";
    }

private:
    union {
        sockaddr any;
        sockaddr_in v4;
        sockaddr_in6 v6;
        sockaddr_storage storage;
    } storage_{};
    socklen_t length_ = 0;
};

// An address from a keyword of the link's block, of the family the keyword
// names.  The core has checked that it is an address; the family, and the
// absence of a netmask, are checked here.
struct Address {
    int family = AF_UNSPEC;
    in_addr v4{};
    in6_addr v6{};
    std::string text;
    std::string key;

    bool is_multicast() const {
        return family == AF_INET ? IN_MULTICAST(ntohl(v4.s_addr)) : IN6_IS_ADDR_MULTICAST(&v6);
    }
    Endpoint endpoint(uint16_t port, uint32_t scope_id) const {
        return family == AF_INET ? Endpoint(v4, port) : Endpoint(v6, port, scope_id);
    }
};

inline std::optional<Address> address_key(const sdk::Config &config, const char *key, int family) {
    if (!config.has(key))
        return std::nullopt;
    Address out;
    out.family = family;
    out.text = config.text(key);
    out.key = key;
    const char *family_name = family == AF_INET ? "IPv4" : "IPv6";
    if (out.text.find('/') != std::string::npos)
        throw PluginError(config.where(key) + key + ": " + out.text +
                          " has a netmask; give the single " + family_name + " address of the link");
    void *target = family == AF_INET ? static_cast<void *>(&out.v4) : static_cast<void *>(&out.v6);
    if (inet_pton(family, out.text.c_str(), target) != 1)
        throw PluginError(config.where(key) + key + ": " + out.text + " is not a valid " +
                          family_name + " address");
    return out;
}

// Of a pair of keywords for the same thing in IPv4 and IPv6, the one given.
inline std::optional<Address> one_of(const sdk::Config &config, const char *v4_key,
                                     const char *v6_key) {
    std::optional<Address> v4 = address_key(config, v4_key, AF_INET);
    std::optional<Address> v6 = address_key(config, v6_key, AF_INET6);
    if (v4 && v6)
        throw PluginError(config.where(v6_key) + "both " + v4_key + " and " + v6_key +
                          " are given; a link uses one address family");
    return v4 ? v4 : v6;
}

// Every address of a link must be of the same family.
inline void same_family(const sdk::Config &config, const Address &first, const Address &second) {
    if (first.family != second.family)
        throw PluginError(config.where(second.key) + second.key + " " + second.text + " and " +
                          first.key + " " + first.text +
                          " are of different address families; a link uses one");
}

// The link's `Interface`: it must exist when the link starts, because its
// MTU sizes the batches and its index scopes IPv6 addresses and tells the
// core which carrier to watch.
struct NetworkInterface {
    std::string name;
    uint32_t index = 0;
    uint32_t mtu = 0;
};

inline NetworkInterface find_interface(const sdk::Config &config) {
    NetworkInterface out;
    out.name = config.text("Interface");
    if (out.name.empty() || out.name.size() >= IFNAMSIZ)
        throw PluginError(config.where("Interface") + "Interface: `" + out.name +
                          "' is not a valid interface name (1 to " + std::to_string(IFNAMSIZ - 1) +
                          " characters)");
    out.index = if_nametoindex(out.name.c_str());
    if (out.index == 0)
        throw PluginError(config.where("Interface") + "`" + out.name +
                          "' is an invalid interface: " + errno_text(errno) +
                          " (see `ip link' for the interfaces of this host)",
                          ENODEV);
    Socket probe = open_socket(AF_INET, SOCK_DGRAM, "interface query");
    ifreq request{};
    std::memcpy(request.ifr_name, out.name.c_str(), out.name.size());
    if (::ioctl(probe.get(), SIOCGIFMTU, &request) != 0)
        throw PluginError(config.where("Interface") + "cannot read the MTU of `" + out.name +
                          "': " + errno_text(errno), errno);
    out.mtu = static_cast<uint32_t>(request.ifr_mtu);
    return out;
}

// SndSocketBuffer / RcvSocketBuffer: forced past the system limits as the
// reference does (SO_SNDBUFFORCE / SO_RCVBUFFORCE, which need
// CAP_NET_ADMIN like the rest of conntrackd); 0 leaves the system default.
inline void force_buffer(const Socket &socket, const sdk::Config &config, const char *key,
                         int option) {
    // The keyword's declared range keeps the value within an int.
    int bytes = static_cast<int>(config.number(key, 0));
    if (bytes <= 0)
        return;
    if (::setsockopt(socket.get(), SOL_SOCKET, option, &bytes, sizeof bytes) != 0)
        throw PluginError(config.where(key) + "cannot set " + key + " to " + std::to_string(bytes) +
                              " bytes: " + errno_text(errno),
                          errno);
}

// Checksum on|off: SO_NO_CHECK on a sending socket, so `off` puts a zero
// UDP checksum on the wire (IPv4 only: IPv6 requires the checksum).
inline void apply_checksum(const Socket &socket, const sdk::Config &config) {
    set_option(socket, SOL_SOCKET, SO_NO_CHECK, config.boolean("Checksum", true) ? 0 : 1,
               "Checksum (SO_NO_CHECK)");
}

// A watched file descriptor whose events may be changed, or the watch
// dropped, from inside its own callback (the host keeps the running
// callback alive).  Not movable: the host holds a pointer to it.
class FdWatcher {
public:
    using Callback = void (*)(void *owner, uint32_t events);

    FdWatcher(sdk::Host host, Callback callback, void *owner)
        : host_(host), callback_(callback), owner_(owner) {}
    FdWatcher(const FdWatcher &) = delete;
    FdWatcher &operator=(const FdWatcher &) = delete;
    ~FdWatcher() { stop(); }

    // Watches `fd` for `events` (CTD_FD_*), replacing any earlier watch.
    void watch(int fd, uint32_t events) {
        if (fd_ >= 0 && fd_ != fd)
            stop();
        if (fd_ == fd && events_ == events)
            return;
        if (host_.api()->fd_watch(host_.handle(), fd, events, &FdWatcher::trampoline, this) != 0)
            throw PluginError("cannot watch file descriptor " + std::to_string(fd), EBADF);
        fd_ = fd;
        events_ = events;
    }
    void stop() {
        if (fd_ >= 0)
            host_.api()->fd_unwatch(host_.handle(), fd_);
        fd_ = -1;
        events_ = 0;
    }
    uint32_t events() const { return events_; }

private:
    static void trampoline(void *user, int, uint32_t events) {
        auto *self = static_cast<FdWatcher *>(user);
        try {
            self->callback_(self->owner_, events);
        } catch (const std::exception &e) {
            self->host_.error(e.what());
        } catch (...) {
            self->host_.error("unknown exception in a socket callback");
        }
    }

    sdk::Host host_;
    Callback callback_;
    void *owner_;
    int fd_ = -1;
    uint32_t events_ = 0;
};

// What a link counts; `-s`, `-s link` and `-s queue` show it.
struct LinkCounters {
    uint64_t bytes_sent = 0, bytes_received = 0;
    uint64_t packets_sent = 0, packets_received = 0;
    uint64_t send_errors = 0, receive_errors = 0;

    ctd_transport_stats to_abi() const {
        ctd_transport_stats out{};
        out.size = sizeof out;
        out.bytes_sent = bytes_sent;
        out.bytes_received = bytes_received;
        out.packets_sent = packets_sent;
        out.packets_received = packets_received;
        out.send_errors = send_errors;
        out.receive_errors = receive_errors;
        return out;
    }
};

inline ctd_transport_info interface_info(const NetworkInterface &interface, int family) {
    ctd_transport_info out{};
    out.size = sizeof out;
    out.ifindex = interface.index;
    std::memcpy(out.ifname, interface.name.c_str(),
                std::min(interface.name.size(), sizeof out.ifname - 1));
    out.mtu = interface.mtu;
    out.family = static_cast<uint32_t>(family);
    return out;
}

// Reads every datagram waiting on a non-blocking socket (up to the per-wakeup
// budget) and hands each to the core.  Shared by udp and mcast.
template <class Buffer>
void receive_datagrams(const Socket &socket, Buffer &buffer, LinkCounters &counters,
                       const sdk::Deliverer &deliver) {
    for (int i = 0; i < reads_per_wakeup; ++i) {
        ssize_t got = ::recv(socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            // A receiving socket never sends, so no ICMP error of ours can
            // show up here: anything but "nothing left" is a real failure.
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                ++counters.receive_errors;
            return;
        }
        ++counters.packets_received;
        counters.bytes_received += static_cast<uint64_t>(got);
        if (got > 0)
            deliver(buffer.data(), static_cast<size_t>(got));
    }
}

// Sends one datagram; a failure is counted and reported to the core without
// a log line (a link that is down would log every batch).
inline void send_datagram(const Socket &socket, const Endpoint &destination, const void *data,
                          size_t len, LinkCounters &counters) {
    ssize_t sent;
    do
        sent = ::sendto(socket.get(), data, len, MSG_NOSIGNAL, destination.get(), destination.length());
    while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        int error_number = errno;
        ++counters.send_errors;
        throw sdk::QuietError("cannot send to " + destination.text() + ": " + errno_text(error_number),
                              error_number);
    }
    ++counters.packets_sent;
    counters.bytes_sent += static_cast<uint64_t>(sent);
}

} // namespace ctd::transport
