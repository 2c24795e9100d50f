// An out-of-tree output plugin: writes every flow that ended as one CSV
// line.  It is built against the installed SDK with pkg-config alone (see
// the Makefile next to it) and loaded by conntrackd from its plugin
// directory:
//
//   Stats {
//       Output csv
//       File /var/log/conntrackd-flows.csv
//   }
#include <conntrackd/plugin.hpp>

#include <arpa/inet.h>
#include <cstdio>
#include <sys/socket.h>

namespace {

struct FileCloser {
    void operator()(std::FILE *f) const { std::fclose(f); }
};

std::string address(const ctd_tuple &t, const ctd_address &a) {
    char text[INET6_ADDRSTRLEN] = "";
    if (t.l3proto == AF_INET6)
        inet_ntop(AF_INET6, a.v6, text, sizeof text);
    else
        inet_ntop(AF_INET, &a.v4, text, sizeof text);
    return text;
}

class CsvOutput : public ctd::sdk::OutputPlugin {
public:
    static constexpr ctd_config_key config_keys[] = {
        {"File", CTD_CONFIG_PATH, CTD_CONFIG_REQUIRED, nullptr, "CSV file the flows are appended to", 0, 0},
        {"Header", CTD_CONFIG_BOOL, 0, "on", "write a header line when the file is empty", 0, 0},
    };

    CsvOutput(ctd::sdk::Host host, const ctd::sdk::Config &config)
        : host_(host), path_(config.text("File")) {
        std::FILE *f = std::fopen(path_.c_str(), "a");
        if (!f)
            throw ctd::sdk::PluginError("cannot open " + path_ + ": " + std::strerror(errno), errno);
        file_.reset(f);
        if (config.boolean("Header") && std::ftell(f) == 0)
            std::fputs("end_us,l4proto,src,dst,sport,dport,packets,bytes\n", f);
        written_ = ctd::sdk::Counter(host, "csv_lines", "flows written to the CSV file");
        host_.info("writing flows to " + path_);
    }

    void write_flow(const ctd_flow &flow, uint64_t when_us) override {
        const ctd_tuple &t = flow.orig;
        bool ports = t.l4proto == 6 || t.l4proto == 17 || t.l4proto == 132 || t.l4proto == 33 ||
                     t.l4proto == 136;
        unsigned long long packets = flow.orig_packets + flow.reply_packets;
        unsigned long long bytes = flow.orig_bytes + flow.reply_bytes;
        if (std::fprintf(file_.get(), "%llu,%u,%s,%s,%u,%u,%llu,%llu\n",
                         static_cast<unsigned long long>(when_us), t.l4proto,
                         address(t, t.src).c_str(), address(t, t.dst).c_str(),
                         ports ? t.l4.port.sport : 0u, ports ? t.l4.port.dport : 0u, packets,
                         bytes) < 0)
            throw ctd::sdk::PluginError("cannot write to " + path_, EIO);
        written_.add();
    }

    void flush() override { std::fflush(file_.get()); }

private:
    ctd::sdk::Host host_;
    std::string path_;
    std::unique_ptr<std::FILE, FileCloser> file_;
    ctd::sdk::Counter written_;
};

} // namespace

CTD_OUTPUT_PLUGIN(CsvOutput, "csv", "1.0.0", "flows as CSV lines (out-of-tree example)")
