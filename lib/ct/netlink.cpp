// Netfilter netlink sockets over libmnl.
#include "ct/netlink.hpp"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace ct {

void NetlinkSocket::SocketCloser::operator()(mnl_socket *s) const {
    if (s)
        mnl_socket_close(s);
}

NetlinkSocket::NetlinkSocket() : seq_(static_cast<std::uint32_t>(std::time(nullptr))) {}
NetlinkSocket::~NetlinkSocket() = default;
NetlinkSocket::NetlinkSocket(NetlinkSocket &&) noexcept = default;
NetlinkSocket &NetlinkSocket::operator=(NetlinkSocket &&) noexcept = default;

int NetlinkSocket::open(unsigned groups) {
    std::unique_ptr<mnl_socket, SocketCloser> s(mnl_socket_open(NETLINK_NETFILTER));
    if (!s)
        return -errno;
    if (mnl_socket_bind(s.get(), groups, MNL_SOCKET_AUTOPID) < 0)
        return -errno;
    // Error answers carry only the failing request's header, not its whole
    // body: batches of thousands of requests must not flood the buffer.
    int one = 1;
    mnl_socket_setsockopt(s.get(), NETLINK_CAP_ACK, &one, sizeof(one));
    if (!read_buffer_)
        read_buffer_.reset(new unsigned char[ReadBufferSize]);
    socket_ = std::move(s);
    return 0;
}

int NetlinkSocket::fd() const { return socket_ ? mnl_socket_get_fd(socket_.get()) : -1; }

std::uint32_t NetlinkSocket::portid() const {
    return socket_ ? mnl_socket_get_portid(socket_.get()) : 0;
}

int NetlinkSocket::set_receive_buffer(std::size_t bytes, bool force) {
    if (!socket_)
        return -EBADF;
    int value = bytes > 0x3fffffff ? 0x3fffffff : static_cast<int>(bytes);
    if (force && setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &value, sizeof(value)) == 0)
        return 0;
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &value, sizeof(value)) < 0)
        return -errno;
    return 0;
}

std::size_t NetlinkSocket::receive_buffer() const {
    int value = 0;
    socklen_t len = sizeof(value);
    if (!socket_ || getsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &value, &len) < 0)
        return 0;
    return static_cast<std::size_t>(value);
}

int NetlinkSocket::set_send_buffer(std::size_t bytes, bool force) {
    if (!socket_)
        return -EBADF;
    int value = bytes > 0x3fffffff ? 0x3fffffff : static_cast<int>(bytes);
    if (force && setsockopt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &value, sizeof(value)) == 0)
        return 0;
    if (setsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &value, sizeof(value)) < 0)
        return -errno;
    return 0;
}

int NetlinkSocket::set_nonblocking(bool on) {
    int flags = fcntl(fd(), F_GETFL);
    if (flags < 0)
        return -errno;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd(), F_SETFL, flags) < 0 ? -errno : 0;
}

int NetlinkSocket::set_option(int option, int value) {
    if (!socket_)
        return -EBADF;
    return mnl_socket_setsockopt(socket_.get(), option, &value, sizeof(value)) < 0 ? -errno : 0;
}

int NetlinkSocket::send(const void *data, std::size_t len) {
    if (!socket_)
        return -EBADF;
    for (;;) {
        ssize_t n = mnl_socket_sendto(socket_.get(), data, len);
        if (n >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int NetlinkSocket::send(const nlmsghdr *nlh) { return send(nlh, nlh->nlmsg_len); }

int NetlinkSocket::run_until_done(std::uint32_t seq, MessageCallback on_message) {
    const std::uint32_t own = portid();
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(socket_.get(), read_buffer_.get(), ReadBufferSize);
        if (n < 0)
            return -errno;  // EINTR included: the caller decides
        int len = static_cast<int>(n);
        for (auto *nlh = reinterpret_cast<const nlmsghdr *>(read_buffer_.get());
             mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            // Answers to an earlier, abandoned request are skipped.
            if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid && nlh->nlmsg_pid != own))
                continue;
            switch (nlh->nlmsg_type) {
            case NLMSG_NOOP:
                continue;
            case NLMSG_DONE:
                return 0;
            case NLMSG_OVERRUN:
                return -ENOBUFS;
            case NLMSG_ERROR: {
                if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr))
                    return -EBADMSG;
                const auto *err = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(nlh));
                return err->error;  // 0: the acknowledgement
            }
            default:
                if (on_message) {
                    int r = on_message(nlh);
                    if (r < 0)
                        return r;
                    if (r == CallbackStop)
                        return 0;
                }
            }
        }
    }
}

int NetlinkSocket::request(nlmsghdr *nlh, MessageCallback on_message) {
    if (!socket_)
        return -EBADF;
    nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = next_seq();
    int r = send(nlh);
    if (r < 0)
        return r;
    return run_until_done(nlh->nlmsg_seq, on_message);
}

int NetlinkSocket::dump(nlmsghdr *nlh, MessageCallback on_message) {
    if (!socket_)
        return -EBADF;
    nlh->nlmsg_flags |= NLM_F_DUMP;
    nlh->nlmsg_seq = next_seq();
    int r = send(nlh);
    if (r < 0)
        return r;
    return run_until_done(nlh->nlmsg_seq, on_message);
}

int NetlinkSocket::receive(MessageCallback on_message) {
    if (!socket_)
        return -EBADF;
    ssize_t n = mnl_socket_recvfrom(socket_.get(), read_buffer_.get(), ReadBufferSize);
    if (n < 0)
        return -errno;
    int len = static_cast<int>(n);
    int handled = 0;
    for (auto *nlh = reinterpret_cast<const nlmsghdr *>(read_buffer_.get());
         mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
            continue;  // NOOP, ERROR, DONE, OVERRUN: not events
        ++handled;
        int r = on_message(nlh);
        if (r < 0)
            return r;
        if (r == CallbackStop)
            break;
    }
    return handled;
}

// ---------------------------------------------------------------------------

Batch::Batch(NetlinkSocket &socket, std::size_t max_bytes, std::size_t max_messages, Acks acks)
    : socket_(socket), buffer_(max_bytes), max_messages_(max_messages ? max_messages : 1),
      acks_(acks), reserved_(acks == Acks::ErrorsOnly ? NLMSG_HDRLEN : 0) {
    cookies_.reserve(max_messages_);
    // Every answer is an skb of its own (about 1 KiB of buffer accounting
    // each, even with NETLINK_CAP_ACK): make room for a whole batch of them
    // (every request may fail), and for the batch itself on the way in.
    std::size_t need = (max_messages_ + 1) * 2048;
    if (socket_.receive_buffer() < need)
        socket_.set_receive_buffer(need);
    socket_.set_send_buffer(max_bytes + 64 * 1024);
}

void Batch::queue(nlmsghdr *nlh, std::uintptr_t cookie) {
    if (cookies_.empty())
        first_seq_ = socket_.next_seq();
    else
        socket_.next_seq();
    if (acks_ == Acks::Each)
        nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = first_seq_ + static_cast<std::uint32_t>(cookies_.size());
    cookies_.push_back(cookie);
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
}

void Batch::queue_copy(const nlmsghdr *request, std::uintptr_t cookie) {
    std::memcpy(tail(), request, request->nlmsg_len);
    queue(static_cast<nlmsghdr *>(tail()), cookie);
}

int Batch::flush(AckCallback on_ack) {
    if (cookies_.empty())
        return 0;
    const std::size_t count = cookies_.size();
    // The answers to expect: one per request, or only the closing NOOP's
    // (whose sequence number follows the last request's) and the failures.
    const std::uint32_t closing_seq = first_seq_ + static_cast<std::uint32_t>(count);
    if (acks_ == Acks::ErrorsOnly) {
        socket_.next_seq();
        auto *noop = reinterpret_cast<nlmsghdr *>(buffer_.data() + used_);
        *noop = nlmsghdr{};
        noop->nlmsg_len = NLMSG_HDRLEN;
        noop->nlmsg_type = NLMSG_NOOP;
        noop->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        noop->nlmsg_seq = closing_seq;
        used_ += NLMSG_HDRLEN;
    }
    int result = socket_.send(buffer_.data(), used_);
    // The answer (0 or -errno) of each request; NoAnswer while none came.
    constexpr int NoAnswer = 1;
    std::vector<int> answers(count, NoAnswer);
    std::size_t answered = 0;
    bool closed = false;
    if (result == 0) {
        int fd = socket_.fd();
        std::vector<unsigned char> &rx = buffer_;  // reuse: the requests are sent
        const std::uint32_t own = socket_.portid();
        while (acks_ == Acks::Each ? answered < count : !closed) {
            ssize_t n = recv(fd, rx.data(), rx.size(), 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                result = -errno;
                break;
            }
            int len = static_cast<int>(n);
            for (auto *nlh = reinterpret_cast<const nlmsghdr *>(rx.data()); mnl_nlmsg_ok(nlh, len);
                 nlh = mnl_nlmsg_next(nlh, &len)) {
                if (nlh->nlmsg_type != NLMSG_ERROR || (nlh->nlmsg_pid && nlh->nlmsg_pid != own))
                    continue;  // data answers (GET) are not what a batch collects
                if (acks_ == Acks::ErrorsOnly && nlh->nlmsg_seq == closing_seq) {
                    closed = true;
                    continue;
                }
                std::uint32_t index = nlh->nlmsg_seq - first_seq_;
                if (index >= count || answers[index] != NoAnswer)
                    continue;
                int error = -EBADMSG;
                if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(nlmsgerr))
                    error = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(nlh))->error;
                answers[index] = error > 0 ? -EBADMSG : error;
                ++answered;
            }
        }
    }
    // Once the closing NOOP is answered, a request without an answer
    // succeeded.  Requests whose answer never came share the failure that
    // ended the wait.
    for (std::size_t i = 0; i < count; ++i) {
        int error;
        if (answers[i] != NoAnswer)
            error = answers[i];
        else if (closed)
            error = 0;
        else
            error = result < 0 ? result : -EIO;
        on_ack(cookies_[i], error);
    }
    cookies_.clear();
    used_ = 0;
    return result;
}

} // namespace ct
