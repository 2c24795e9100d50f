#include "control_client.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.hpp"
#include "unique_fd.hpp"

namespace ctd {

namespace {

const char *const cannot_connect = "can't connect: is conntrackd running? appropriate permissions?";

bool write_all(int fd, const void *data, size_t size) {
    const char *bytes = static_cast<const char *>(data);
    while (size) {
        ssize_t n = send(fd, bytes, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

} // namespace

int send_control_request(const std::string &socket_path, int request, std::FILE *out) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.empty() || socket_path.size() >= sizeof address.sun_path) {
        logger().log(log_error, cannot_connect);
        return 1;
    }
    std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int connected = -1;
    if (fd) {
        do
            connected = connect(fd.get(), reinterpret_cast<const sockaddr *>(&address),
                                sizeof address);
        while (connected != 0 && errno == EINTR);
    }
    if (connected != 0) {
        logger().log(log_error, cannot_connect);
        return 1;
    }
    // One native int, the reference's whole request format.
    if (!write_all(fd.get(), &request, sizeof request)) {
        logger().log(log_error, cannot_connect);
        return 1;
    }
    char chunk[64 * 1024];
    for (;;) {
        ssize_t n = read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // EOF ends the reply; a reset ends it too
        std::fwrite(chunk, 1, static_cast<size_t>(n), out);
        // Streamed: a slow dump shows as it comes, and `| head` stops early.
        std::fflush(out);
    }
    return 0;
}

} // namespace ctd
