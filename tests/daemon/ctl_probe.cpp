// A raw client for the shell tests, to do what `conntrackd` as a client
// never does: send arbitrary bytes on the control socket, and play
// systemd's notify socket.
//
//   ctl-probe send PATH HEX [shut]   sends the bytes (e.g. 1e000000), then
//                                    optionally shuts down its writing side;
//                                    copies the reply to stdout until EOF
//   ctl-probe notify PATH COUNT MS   binds a datagram socket at PATH, prints
//                                    "ready", then each message received (new
//                                    lines shown as '|'), until COUNT
//                                    messages or MS milliseconds pass
// Exit status: 0 on success, 1 when it cannot connect or bind, 2 on timeout.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

bool address_of(const char *path, sockaddr_un &address) {
    address = sockaddr_un{};
    address.sun_family = AF_UNIX;
    if (std::strlen(path) >= sizeof address.sun_path)
        return false;
    std::strcpy(address.sun_path, path);
    return true;
}

int send_bytes(const char *path, const char *hex, bool shut) {
    sockaddr_un address;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (!address_of(path, address) ||
        connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        return 1;
    std::string bytes;
    for (size_t i = 0; hex[i] && hex[i + 1]; i += 2)
        bytes += static_cast<char>(std::strtoul(std::string(hex + i, 2).c_str(), nullptr, 16));
    if (!bytes.empty() && send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
        return 1;
    if (shut)
        shutdown(fd, SHUT_WR);
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[4096];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n == 0)
            return 0;
        if (n < 0)
            return 2;
        std::fwrite(buffer, 1, static_cast<size_t>(n), stdout);
    }
}

int notify(const char *path, int count, int ms) {
    sockaddr_un address;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    unlink(path);
    if (!address_of(path, address) ||
        bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        return 1;
    std::printf("ready\n");
    std::fflush(stdout);
    for (int received = 0; received < count;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, ms) != 1)
            return 2;
        char buffer[512];
        ssize_t n = recv(fd, buffer, sizeof buffer - 1, 0);
        if (n <= 0)
            continue;
        for (ssize_t i = 0; i < n; ++i)
            if (buffer[i] == '\n')
                buffer[i] = '|';
        buffer[n] = '\0';
        std::printf("%s\n", buffer);
        std::fflush(stdout);
        ++received;
    }
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    if (argc >= 4 && std::strcmp(argv[1], "send") == 0)
        return send_bytes(argv[2], argv[3], argc >= 5 && std::strcmp(argv[4], "shut") == 0);
    if (argc == 3 && std::strcmp(argv[1], "send") == 0)
        return send_bytes(argv[2], "", false);
    if (argc == 5 && std::strcmp(argv[1], "notify") == 0)
        return notify(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
    std::fprintf(stderr, "usage: ctl-probe send PATH HEX [shut] | notify PATH COUNT MS\n");
    return 64;
}
