// Drives an output plugin through the core's loader and host, as the stats
// mode does: plugin-driver DIR NAME COUNT [Key=Value...]
// loads output plugin NAME from DIR, configures one instance, feeds it COUNT
// synthetic TCP flows, flushes, and prints the plugin's counters.
#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>

#include "event_loop.hpp"
#include "log.hpp"
#include "plugin_config.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"

int main(int argc, char **argv) {
    using namespace ctd;
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s DIR NAME COUNT [Key=Value...]\n", argv[0]);
        return 2;
    }
    EventLoop loop;
    PluginHost host(&loop);
    PluginLoader loader(argv[1], &host);
    try {
        auto plugin = loader.load(PluginKind::output, argv[2]);
        std::vector<ConfigEntry> entries;
        for (int i = 4; i < argc; ++i) {
            std::string arg = argv[i];
            size_t eq = arg.find('=');
            entries.push_back({arg.substr(0, eq), eq == std::string::npos ? "" : arg.substr(eq + 1),
                               static_cast<uint32_t>(i)});
        }
        PluginConfig config("command line", "Stats", 0, plugin->config_keys(), entries);
        const auto &ops = plugin->ops<ctd_output_ops>();
        char error[512] = "";
        void *instance = ops.create(plugin->host(), config.get(), error, sizeof error);
        if (!instance) {
            std::fprintf(stderr, "create failed: %s\n", error);
            return 1;
        }
        long count = std::atol(argv[3]);
        int failures = 0;
        for (long i = 0; i < count; ++i) {
            ctd_flow flow{};
            flow.size = sizeof flow;
            flow.present = CTD_FLOW_ORIG | CTD_FLOW_REPLY | CTD_FLOW_COUNTERS;
            flow.orig.l3proto = flow.reply.l3proto = AF_INET;
            flow.orig.l4proto = flow.reply.l4proto = IPPROTO_TCP;
            flow.orig.src.v4 = htonl(0x0a000001);
            flow.orig.dst.v4 = htonl(0x0a000002);
            flow.orig.l4.port = {static_cast<uint16_t>(1000 + i), 80};
            flow.reply.src = flow.orig.dst;
            flow.reply.dst = flow.orig.src;
            flow.reply.l4.port = {80, static_cast<uint16_t>(1000 + i)};
            flow.orig_packets = 2;
            flow.orig_bytes = 100 + i;
            flow.reply_packets = 1;
            flow.reply_bytes = 50;
            failures += ops.write_flow(instance, &flow, 1000000ull * (1764290000 + i)) != 0;
        }
        if (ops.flush)
            failures += ops.flush(instance) != 0;
        ops.destroy(instance);
        for (const auto &counter : host.counters())
            std::printf("%s %s=%llu\n", counter.plugin.c_str(), counter.name.c_str(),
                        static_cast<unsigned long long>(counter.value));
        return failures ? 1 : 0;
    } catch (const PluginError &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return e.code();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
