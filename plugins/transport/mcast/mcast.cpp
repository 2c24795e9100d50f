// Transport plugin "mcast": the reference's `Multicast { }` sync link.
//
// Sender: sends every batch to group:Group from an ephemeral port, with
// multicast loopback off (a node never hears itself), the outgoing
// interface set to IPv4_interface (or to Interface's index), and the
// default TTL of 1, so the sync traffic stays on the dedicated link.
// Receiver: SO_REUSEADDR, bound to group:Group (as 1.4.9 does, so that other
// traffic to the port is not taken for sync messages) and joined to the
// group on IPv4_interface (or on Interface's index).
#include <conntrackd/plugin.hpp>

#include <array>

#include "link.hpp"

namespace {

using namespace ctd::transport;

class MulticastLink : public ctd::sdk::Transport {
public:
    static constexpr ctd_config_key config_keys[] = {
        {"IPv4_address", CTD_CONFIG_ADDRESS, 0, nullptr, "IPv4 multicast group of the link", 0, 0},
        {"IPv6_address", CTD_CONFIG_ADDRESS, 0, nullptr, "IPv6 multicast group of the link", 0, 0},
        {"Group", CTD_CONFIG_UINT, CTD_CONFIG_REQUIRED, nullptr,
         "UDP port of the group, the same on every node", 1, 65535},
        {"IPv4_interface", CTD_CONFIG_ADDRESS, 0, nullptr,
         "local IPv4 address of the dedicated link: the group is joined and sent to through it "
         "(default: Interface)",
         0, 0},
        {"IPv6_interface", CTD_CONFIG_STRING, 0, nullptr,
         "ignored with a warning, as by the reference: IPv6 uses Interface", 0, 0},
        {"Interface", CTD_CONFIG_STRING, CTD_CONFIG_REQUIRED, nullptr,
         "network interface of the link: its MTU sizes the batches, IPv6 joins and sends on it",
         0, 0},
        {"SndSocketBuffer", CTD_CONFIG_UINT, 0, nullptr,
         "send buffer in bytes (SO_SNDBUFFORCE); unset: the system default", 0, 2147483647},
        {"RcvSocketBuffer", CTD_CONFIG_UINT, 0, nullptr,
         "receive buffer in bytes (SO_RCVBUFFORCE); unset: the system default", 0, 2147483647},
        {"Checksum", CTD_CONFIG_BOOL, 0, "on",
         "on: UDP checksums; off: sent with a zero checksum (IPv4)", 0, 0},
    };

    MulticastLink(ctd::sdk::Host host, const ctd::sdk::Config &config,
                  ctd::sdk::Deliverer deliver)
        : host_(host), deliver_(deliver), watcher_(host, &MulticastLink::on_ready, this) {
        std::optional<Address> group = one_of(config, "IPv4_address", "IPv6_address");
        if (!group)
            throw PluginError(std::string(config.where("Group")) + config.block() +
                              " needs IPv4_address or IPv6_address: the multicast group");
        if (!group->is_multicast())
            throw PluginError(config.where(group->key) + group->key + ": " + group->text +
                              " is not a multicast address (" +
                              (group->family == AF_INET ? "224.0.0.0/4" : "ff00::/8") + ")");
        family_ = group->family;
        std::optional<Address> local = address_key(config, "IPv4_interface", AF_INET);
        if (local && family_ == AF_INET6)
            throw PluginError(config.where("IPv4_interface") +
                              "your multicast address is IPv6 but is binded to an IPv4 "
                              "interface? Surely this is not what you want (IPv6_address " +
                              group->text + ", IPv4_interface " + local->text + ")");
        if (config.has("IPv6_interface"))
            host_.warning("`IPv6_interface' not required, ignoring");
        interface_ = find_interface(config);
        uint16_t port = static_cast<uint16_t>(config.number("Group"));
        group_ = group->endpoint(port, interface_.index);

        open_receiver(config, *group, local);
        open_sender(config, local);

        watcher_.watch(receiver_.get(), CTD_FD_READ);
        host_.info("multicast link on " + interface_.name + ": group " + group_.text() +
                   (local ? " via " + local->text : std::string()));
    }

    void send(const void *data, size_t len) override {
        send_datagram(sender_, group_, data, len, counters_);
    }

    uint32_t max_payload() const override {
        uint32_t overhead = udp_overhead(family_);
        return interface_.mtu > overhead ? interface_.mtu - overhead : 0;
    }

    ctd_transport_stats stats() const override { return counters_.to_abi(); }

    ctd_transport_info info() const override { return interface_info(interface_, family_); }

private:
    void open_receiver(const ctd::sdk::Config &config, const Address &group,
                       const std::optional<Address> &local) {
        receiver_ = open_socket(family_, SOCK_DGRAM | SOCK_NONBLOCK, "multicast receiver");
        set_option(receiver_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
        force_buffer(receiver_, config, "RcvSocketBuffer", SO_RCVBUFFORCE);
        if (::bind(receiver_.get(), group_.get(), group_.length()) != 0)
            throw PluginError(config.where(group.key) + "cannot bind the multicast receiver to " +
                                  group_.text() + ": " + errno_text(errno),
                              errno);
        int status;
        if (family_ == AF_INET) {
            // The reference joins on IPv4_interface's address; without one,
            // Interface's index picks the same link (the kernel would pick
            // the default route's interface, or fail without one).
            ip_mreqn request{};
            request.imr_multiaddr = group.v4;
            if (local)
                request.imr_address = local->v4;
            else
                request.imr_ifindex = static_cast<int>(interface_.index);
            status = ::setsockopt(receiver_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &request,
                                  sizeof request);
        } else {
            ipv6_mreq request{};
            request.ipv6mr_multiaddr = group.v6;
            request.ipv6mr_interface = interface_.index;
            status = ::setsockopt(receiver_.get(), IPPROTO_IPV6, IPV6_JOIN_GROUP, &request,
                                  sizeof request);
        }
        if (status != 0)
            throw PluginError(config.where(group.key) + "cannot join multicast group " +
                                  group.text + " on " +
                                  (local ? local->text : "`" + interface_.name + "'") + ": " +
                                  errno_text(errno) +
                                  (local ? " (IPv4_interface must be the address of the "
                                           "dedicated link)"
                                         : ""),
                              errno);
    }

    void open_sender(const ctd::sdk::Config &config, const std::optional<Address> &local) {
        sender_ = open_socket(family_, SOCK_DGRAM, "multicast sender");
        set_option(sender_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
        apply_checksum(sender_, config);
        force_buffer(sender_, config, "SndSocketBuffer", SO_SNDBUFFORCE);
        if (family_ == AF_INET) {
            set_option(sender_, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
            ip_mreqn outgoing{};
            if (local)
                outgoing.imr_address = local->v4;
            else
                outgoing.imr_ifindex = static_cast<int>(interface_.index);
            if (::setsockopt(sender_.get(), IPPROTO_IP, IP_MULTICAST_IF, &outgoing,
                             sizeof outgoing) != 0)
                throw PluginError(config.where(local ? "IPv4_interface" : "Interface") +
                                      "cannot send multicast through " +
                                      (local ? local->text : "`" + interface_.name + "'") + ": " +
                                      errno_text(errno),
                                  errno);
        } else {
            set_option(sender_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
            set_option(sender_, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(interface_.index),
                       "IPV6_MULTICAST_IF on `" + interface_.name + "'");
        }
    }

    static void on_ready(void *self, uint32_t) {
        auto *link = static_cast<MulticastLink *>(self);
        receive_datagrams(link->receiver_, link->buffer_, link->counters_, link->deliver_);
    }

    ctd::sdk::Host host_;
    ctd::sdk::Deliverer deliver_;
    int family_ = AF_UNSPEC;
    NetworkInterface interface_;
    Endpoint group_;
    LinkCounters counters_;
    std::array<unsigned char, receive_buffer_size> buffer_;
    // Sockets before their watcher: the watch ends before the socket closes.
    Socket receiver_;
    Socket sender_;
    FdWatcher watcher_;
};

} // namespace

CTD_TRANSPORT_PLUGIN(MulticastLink, "mcast", "1.0.0",
                     "multicast sync link: sends to and receives from group:Group", 0)
