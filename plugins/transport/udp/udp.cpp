// Transport plugin "udp": the reference's `UDP { }` sync link.
//
// Two sockets, as in the reference, so that a reference conntrackd on the
// other end interoperates: a receiver bound to IPvX_address:Port, and a
// sender that sends every batch to IPvX_Destination_Address:Port from an
// ephemeral port.  The source of what arrives is not checked (the
// reference does not either); a dedicated link is what keeps strangers out.
#include <conntrackd/plugin.hpp>

#include <array>

#include "link.hpp"

namespace {

using namespace ctd::transport;

class UdpLink : public ctd::sdk::Transport {
public:
    static constexpr ctd_config_key config_keys[] = {
        {"IPv4_address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "local IPv4 address the link receives on (default: any)", 0, 0},
        {"IPv6_address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "local IPv6 address the link receives on (default: any)", 0, 0},
        {"IPv4_Destination_Address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "IPv4 address of the peer the link sends to", 0, 0},
        {"IPv6_Destination_Address", CTD_CONFIG_ADDRESS, 0, nullptr,
         "IPv6 address of the peer the link sends to", 0, 0},
        {"Port", CTD_CONFIG_UINT, CTD_CONFIG_REQUIRED, nullptr,
         "UDP port, the same on both nodes: bound locally and sent to", 1, 65535},
        {"Interface", CTD_CONFIG_STRING, CTD_CONFIG_REQUIRED, nullptr,
         "network interface of the link: its MTU sizes the batches, its index scopes IPv6 "
         "addresses",
         0, 0},
        {"SndSocketBuffer", CTD_CONFIG_UINT, 0, nullptr,
         "send buffer in bytes (SO_SNDBUFFORCE); unset: the system default", 0, 2147483647},
        {"RcvSocketBuffer", CTD_CONFIG_UINT, 0, nullptr,
         "receive buffer in bytes (SO_RCVBUFFORCE); unset: the system default", 0, 2147483647},
        {"Checksum", CTD_CONFIG_BOOL, 0, "on",
         "on: UDP checksums; off: sent with a zero checksum (IPv4)", 0, 0},
    };

    UdpLink(ctd::sdk::Host host, const ctd::sdk::Config &config, ctd::sdk::Deliverer deliver)
        : host_(host), deliver_(deliver), watcher_(host, &UdpLink::on_ready, this) {
        std::optional<Address> local = one_of(config, "IPv4_address", "IPv6_address");
        std::optional<Address> destination =
            one_of(config, "IPv4_Destination_Address", "IPv6_Destination_Address");
        if (!destination)
            throw PluginError(std::string(config.where("Port")) + config.block() +
                              " needs IPv4_Destination_Address or IPv6_Destination_Address: the "
                              "peer this link sends to");
        if (local)
            same_family(config, *destination, *local);
        family_ = destination->family;
        interface_ = find_interface(config);
        uint16_t port = static_cast<uint16_t>(config.number("Port"));

        Endpoint bind_to;
        if (local)
            bind_to = local->endpoint(port, interface_.index);
        else if (family_ == AF_INET)
            bind_to = Endpoint(in_addr{htonl(INADDR_ANY)}, port);
        else
            bind_to = Endpoint(in6addr_any, port, interface_.index);
        destination_ = destination->endpoint(port, interface_.index);

        receiver_ = open_socket(family_, SOCK_DGRAM | SOCK_NONBLOCK, "UDP receiver");
        set_option(receiver_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
        force_buffer(receiver_, config, "RcvSocketBuffer", SO_RCVBUFFORCE);
        if (::bind(receiver_.get(), bind_to.get(), bind_to.length()) != 0)
            throw PluginError(config.where(local ? local->key.c_str() : "Port") +
                                  "cannot bind the UDP receiver to " + bind_to.text() + ": " +
                                  errno_text(errno),
                              errno);

        // Blocking like the reference's: a full send buffer briefly delays
        // the daemon instead of losing a batch.
        sender_ = open_socket(family_, SOCK_DGRAM, "UDP sender");
        apply_checksum(sender_, config);
        force_buffer(sender_, config, "SndSocketBuffer", SO_SNDBUFFORCE);

        watcher_.watch(receiver_.get(), CTD_FD_READ);
        host_.info("UDP link on " + interface_.name + ": receiving on " + bind_to.text() +
                   ", sending to " + destination_.text());
    }

    void send(const void *data, size_t len) override {
        send_datagram(sender_, destination_, data, len, counters_);
    }

    uint32_t max_payload() const override {
        uint32_t overhead = udp_overhead(family_);
        return interface_.mtu > overhead ? interface_.mtu - overhead : 0;
    }

    ctd_transport_stats stats() const override { return counters_.to_abi(); }

    ctd_transport_info info() const override { return interface_info(interface_, family_); }

private:
    static void on_ready(void *self, uint32_t) {
        auto *link = static_cast<UdpLink *>(self);
        receive_datagrams(link->receiver_, link->buffer_, link->counters_, link->deliver_);
    }

    ctd::sdk::Host host_;
    ctd::sdk::Deliverer deliver_;
    int family_ = AF_UNSPEC;
    NetworkInterface interface_;
    Endpoint destination_;
    LinkCounters counters_;
    std::array<unsigned char, receive_buffer_size> buffer_;
    // Sockets before their watcher: the watch ends before the socket closes.
    Socket receiver_;
    Socket sender_;
    FdWatcher watcher_;
};

} // namespace

CTD_TRANSPORT_PLUGIN(UdpLink, "udp", "1.0.0",
                     "UDP sync link: receives on address:Port, sends to destination:Port", 0)
