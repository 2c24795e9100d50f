// Runs one transport plugin link as the daemon would (the core's loader,
// plugin host and event loop), for shell tests against another process,
// e.g. a reference conntrackd on the other end of the link:
//
//   transport-driver [options] NAME [Key=Value...]
//     --plugin-dir DIR        where ct_transport_NAME.so is ($CONNTRACKD_PLUGIN_DIR)
//     --send HEX              a batch to send (repeatable, sent in order)
//     --repeat N              send the batches N times (default 1)
//     --delay-ms MS           wait before the first batch (default 0)
//     --interval-ms MS        pause between batches (default 0)
//     --expect-bytes N        run until N bytes were delivered
//     --expect-deliveries N   run until N deliveries were made
//     --timeout-ms MS         give up waiting after MS (default 10000): exit 3
//     --linger-ms MS          keep running MS after everything (default 200)
//
// Prints, one per line: "deliver LEN HEX" for every delivery, "event NAME"
// for every connection event, "send-failed -ERRNO" for a refused batch, and
// at the end "max_payload N", "describe TEXT" and "stats key=value...".
// Exit status: 0, 1 (config refused: the message is on stderr), 3 (timeout),
// or the loader's code when the plugin cannot be loaded.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "event_loop.hpp"
#include "log.hpp"
#include "plugin_config.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

std::string hex(const void *data, size_t len) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    const auto *bytes = static_cast<const unsigned char *>(data);
    for (size_t i = 0; i < len; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

bool unhex(const std::string &text, std::string &out) {
    if (text.size() % 2)
        return false;
    out.clear();
    for (size_t i = 0; i < text.size(); i += 2) {
        char pair[3] = {text[i], text[i + 1], 0};
        char *end = nullptr;
        long value = std::strtol(pair, &end, 16);
        if (*end)
            return false;
        out += static_cast<char>(value);
    }
    return true;
}

const char *event_name(uint32_t event) {
    switch (event) {
    case CTD_TRANSPORT_EVENT_PEER_UP: return "peer-up";
    case CTD_TRANSPORT_EVENT_PEER_DOWN: return "peer-down";
    case CTD_TRANSPORT_EVENT_CLIENT_UP: return "client-up";
    case CTD_TRANSPORT_EVENT_CLIENT_DOWN: return "client-down";
    }
    return "unknown";
}

struct Received {
    uint64_t bytes = 0;
    uint64_t deliveries = 0;
};

void deliver(void *context, const void *data, size_t len) {
    auto *received = static_cast<Received *>(context);
    received->bytes += len;
    ++received->deliveries;
    std::printf("deliver %zu %s\n", len, hex(data, len).c_str());
}

int usage(const char *program) {
    std::fprintf(stderr,
                 "usage: %s [--plugin-dir DIR] [--send HEX]... [--repeat N] [--delay-ms MS]\n"
                 "       [--interval-ms MS] [--expect-bytes N] [--expect-deliveries N]\n"
                 "       [--timeout-ms MS] [--linger-ms MS] NAME [Key=Value...]\n",
                 program);
    return 2;
}

} // namespace

int main(int argc, char **argv) {
    using namespace ctd;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const char *env_dir = std::getenv("CONNTRACKD_PLUGIN_DIR");
    std::string plugin_dir = env_dir ? env_dir : "";
    std::vector<std::string> batches;
    long repeat = 1, delay_ms = 0, interval_ms = 0, timeout_ms = 10000, linger_ms = 200;
    long expect_bytes = 0, expect_deliveries = 0;
    std::string name;
    std::vector<ConfigEntry> entries;

    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", arg.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--plugin-dir")
            plugin_dir = value();
        else if (arg == "--send") {
            std::string bytes;
            if (!unhex(value(), bytes)) {
                std::fprintf(stderr, "--send needs an even number of hex digits\n");
                return 2;
            }
            batches.push_back(bytes);
        } else if (arg == "--repeat")
            repeat = std::atol(value().c_str());
        else if (arg == "--delay-ms")
            delay_ms = std::atol(value().c_str());
        else if (arg == "--interval-ms")
            interval_ms = std::atol(value().c_str());
        else if (arg == "--expect-bytes")
            expect_bytes = std::atol(value().c_str());
        else if (arg == "--expect-deliveries")
            expect_deliveries = std::atol(value().c_str());
        else if (arg == "--timeout-ms")
            timeout_ms = std::atol(value().c_str());
        else if (arg == "--linger-ms")
            linger_ms = std::atol(value().c_str());
        else if (arg.rfind("--", 0) == 0)
            return usage(argv[0]);
        else if (name.empty())
            name = arg;
        else {
            size_t eq = arg.find('=');
            if (eq == std::string::npos)
                return usage(argv[0]);
            entries.push_back({arg.substr(0, eq), arg.substr(eq + 1), static_cast<uint32_t>(i)});
        }
    }
    if (name.empty() || plugin_dir.empty())
        return usage(argv[0]);

    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);

    EventLoop loop;
    PluginHost host(&loop);
    host.set_transport_event_handler([](void *, uint32_t event) {
        std::printf("event %s\n", event_name(event));
    });
    PluginLoader loader(plugin_dir, &host);
    std::shared_ptr<LoadedPlugin> plugin;
    try {
        plugin = loader.load(PluginKind::transport, name);
    } catch (const PluginError &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return e.code();
    }
    std::unique_ptr<PluginConfig> config;
    try {
        config = std::make_unique<PluginConfig>("command line", "Sync/" + name, 0,
                                                plugin->config_keys(), entries);
    } catch (const ConfigError &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    const auto &ops = plugin->ops<ctd_transport_ops>();
    Received received;
    char error[512] = "";
    void *link = ops.create(plugin->host(), config->get(), &deliver, &received, error, sizeof error);
    if (!link) {
        std::fprintf(stderr, "%s\n", error);
        return 1;
    }

    uint64_t start = EventLoop::monotonic_us();
    uint64_t next_send = start + static_cast<uint64_t>(delay_ms) * 1000;
    size_t to_send = batches.size() * static_cast<size_t>(repeat > 0 ? repeat : 0);
    size_t sent = 0;
    uint64_t done_at = 0;
    int status = 0;
    while (!stop_requested) {
        uint64_t now = EventLoop::monotonic_us();
        while (sent < to_send && now >= next_send) {
            const std::string &batch = batches[sent % batches.size()];
            int result = ops.send(link, batch.data(), batch.size());
            if (result != 0)
                std::printf("send-failed %d\n", result);
            ++sent;
            next_send = now + static_cast<uint64_t>(interval_ms) * 1000;
            if (interval_ms > 0)
                break;
        }
        bool expectations_met = received.bytes >= static_cast<uint64_t>(expect_bytes) &&
                                received.deliveries >= static_cast<uint64_t>(expect_deliveries);
        if (sent == to_send && expectations_met) {
            if (!done_at)
                done_at = now;
            if (now - done_at >= static_cast<uint64_t>(linger_ms) * 1000)
                break;
        } else if (!expectations_met && now - start >= static_cast<uint64_t>(timeout_ms) * 1000) {
            status = 3;
            break;
        }
        loop.run_once(10);
    }

    std::printf("max_payload %u\n", ops.max_payload(link));
    char text[256] = "";
    if (ops.describe)
        ops.describe(link, text, sizeof text);
    std::printf("describe %s\n", text);
    ctd_transport_stats stats{};
    stats.size = sizeof stats;
    ops.stats(link, &stats);
    std::printf("stats bytes_sent=%llu bytes_received=%llu packets_sent=%llu packets_received=%llu "
                "send_errors=%llu receive_errors=%llu queue_length=%llu queue_capacity=%llu "
                "queue_overflows=%llu\n",
                static_cast<unsigned long long>(stats.bytes_sent),
                static_cast<unsigned long long>(stats.bytes_received),
                static_cast<unsigned long long>(stats.packets_sent),
                static_cast<unsigned long long>(stats.packets_received),
                static_cast<unsigned long long>(stats.send_errors),
                static_cast<unsigned long long>(stats.receive_errors),
                static_cast<unsigned long long>(stats.queue_length),
                static_cast<unsigned long long>(stats.queue_capacity),
                static_cast<unsigned long long>(stats.queue_overflows));
    ops.destroy(link);
    return status;
}
