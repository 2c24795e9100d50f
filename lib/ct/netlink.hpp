// Netfilter netlink sockets: requests with acks, dumps, events and batches.
//
// Every call returns 0 (or a count) on success and a negative errno on
// failure; nothing throws.  The socket owns a large receive buffer so that
// a dump is read with few system calls, and callbacks see each message in
// place (no copy).
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

struct mnl_socket;

namespace ct {

// A non-owning reference to a callable, cheaper than std::function (no
// allocation, one indirect call).  The callable must outlive the call that
// receives the reference.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
public:
    FunctionRef() = default;
    template <typename F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
                 std::is_invocable_r_v<R, F &, Args...>)
    FunctionRef(F &&f)  // NOLINT: implicit on purpose, like std::function
        : object_(const_cast<void *>(static_cast<const void *>(std::addressof(f)))),
          call_([](void *object, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F> *>(object))(
                  std::forward<Args>(args)...);
          }) {}
    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }
    explicit operator bool() const { return call_ != nullptr; }

private:
    void *object_ = nullptr;
    R (*call_)(void *, Args...) = nullptr;
};

// Called with each data message of a reply, a dump or an event batch.  A
// negative return value (a -errno) stops the operation with that error.
using MessageCallback = FunctionRef<int(const nlmsghdr *)>;
// Convenience return values for MessageCallback.
inline constexpr int CallbackContinue = 1;
inline constexpr int CallbackStop = 0;

class NetlinkSocket {
public:
    NetlinkSocket();
    ~NetlinkSocket();
    NetlinkSocket(NetlinkSocket &&) noexcept;
    NetlinkSocket &operator=(NetlinkSocket &&) noexcept;
    NetlinkSocket(const NetlinkSocket &) = delete;
    NetlinkSocket &operator=(const NetlinkSocket &) = delete;

    // Opens a NETLINK_NETFILTER socket bound to the multicast `groups`
    // (msg::Group* bits; 0 for a request socket).  0 or -errno.
    int open(unsigned groups = 0);
    bool is_open() const { return socket_ != nullptr; }
    int fd() const;
    std::uint32_t portid() const;

    // Sets SO_RCVBUF (SO_RCVBUFFORCE first when `force`, which lets root go
    // past net.core.rmem_max).  The kernel doubles the value; receive_buffer
    // reports what it actually uses.  0 or -errno.
    int set_receive_buffer(std::size_t bytes, bool force = true);
    std::size_t receive_buffer() const;
    int set_send_buffer(std::size_t bytes, bool force = true);

    // Sequence numbers: each request gets the next one.  The first is
    // time(NULL), as the reference does.
    std::uint32_t next_seq() { return seq_++; }

    // Sends one message as it is.  0 or -errno.
    int send(const nlmsghdr *nlh);
    int send(const void *data, std::size_t len);

    // Sends a request (NLM_F_ACK is added) with the next sequence number and
    // waits for its answer.  Each data message of the reply goes to
    // `on_message` (may be empty).  Returns 0 when acknowledged, or the
    // -errno the kernel answered.
    int request(nlmsghdr *nlh, MessageCallback on_message = {});

    // Sends a dump request (NLM_F_DUMP is added) and calls `on_message` for
    // every entry until NLMSG_DONE.  Returns 0, the callback's negative
    // value, or -errno.  -EINTR if interrupted (the dump is then abandoned).
    int dump(nlmsghdr *nlh, MessageCallback on_message);

    // Reads what is pending (one recv) and calls `on_message` for each
    // message.  For event sockets.  Returns the number of messages handled,
    // -ENOBUFS when the kernel dropped events (the socket stays usable),
    // -EAGAIN with nothing to read on a non-blocking socket, or -errno.
    int receive(MessageCallback on_message);

    // Non-blocking mode for event loops.  0 or -errno.
    int set_nonblocking(bool on);

    // setsockopt(SOL_NETLINK, option, value), e.g. NETLINK_NO_ENOBUFS or
    // NETLINK_BROADCAST_ERROR.  0 or -errno.
    int set_option(int option, int value);

    // The receive buffer used for every read (large, so dumps need few reads).
    static constexpr std::size_t ReadBufferSize = 256 * 1024;

private:
    // Reads messages until the reply to `seq` is complete (ACK, error or
    // NLMSG_DONE), calling `on_message` for data messages.
    int run_until_done(std::uint32_t seq, MessageCallback on_message);

    struct SocketCloser {
        void operator()(mnl_socket *s) const;
    };
    std::unique_ptr<mnl_socket, SocketCloser> socket_;
    std::unique_ptr<unsigned char[]> read_buffer_;
    std::uint32_t seq_ = 0;
};

// Many requests in one sendmsg, each acknowledged on its own.  The kernel
// handles the messages of one sendmsg in order, so the answer to each can
// be matched by sequence number.  The batch keeps its messages in one
// buffer; a caller builds each request in place at tail():
//
//     Batch batch(sock);
//     for (...) {
//         if (!batch.fits(ct::MaxRequestSize)) batch.flush(on_ack);
//         nlmsghdr *m = ct::build_flow(batch.tail(), batch.room(), ...);
//         batch.queue(m, cookie);
//     }
//     batch.flush(on_ack);
//
// `on_ack(cookie, error)` is called for every queued request, with error 0
// or a -errno.
//
// `on_ack` calls come in queue order either way.  With Acks::Each every
// request asks for its own answer.  With Acks::ErrorsOnly (for large loads)
// only failures are answered: the kernel builds, and we read, one message
// per failing request instead of one per request.  A NOOP request that
// does ask for an ack closes the batch, so its end is known for certain
// (the kernel answers the messages of one sendmsg in order).
using AckCallback = FunctionRef<void(std::uintptr_t cookie, int error)>;

class Batch {
public:
    enum class Acks { Each, ErrorsOnly };

    // Requests per sendmsg stay below `max_messages` and `max_bytes`; the
    // socket's receive buffer is grown so that every answer fits.
    explicit Batch(NetlinkSocket &socket, std::size_t max_bytes = 128 * 1024,
                   std::size_t max_messages = 1024, Acks acks = Acks::Each);

    void *tail() { return buffer_.data() + used_; }
    // The closing NOOP of an ErrorsOnly batch has its room kept aside.
    std::size_t room() const { return buffer_.size() - used_ - reserved_; }
    // Whether another message of up to `len` bytes can be queued.
    bool fits(std::size_t len) const {
        return cookies_.size() < max_messages_ && room() >= len;
    }

    // Queues the message just built at tail(): assigns its sequence number,
    // adds NLM_F_ACK (Acks::Each), remembers `cookie` for its answer.
    void queue(nlmsghdr *nlh, std::uintptr_t cookie);
    // Queues a copy of a request built elsewhere (fits() must allow its
    // length).
    void queue_copy(const nlmsghdr *request, std::uintptr_t cookie);
    std::size_t pending() const { return cookies_.size(); }

    // Sends what is queued and collects one answer per request.  Returns 0
    // when the exchange worked (individual requests may still have failed:
    // see on_ack), or -errno if sending or receiving failed (requests whose
    // answer never came are reported with that error).
    int flush(AckCallback on_ack);

private:
    NetlinkSocket &socket_;
    std::vector<unsigned char> buffer_;
    std::size_t used_ = 0;
    std::size_t max_messages_;
    std::vector<std::uintptr_t> cookies_;
    std::uint32_t first_seq_ = 0;
    Acks acks_;
    std::size_t reserved_;
};

} // namespace ct
