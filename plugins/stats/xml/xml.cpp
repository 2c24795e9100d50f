// Output plugin "xml": a flow log in XML, written with tinyxml2.
//
// Every record is one line holding one well-formed <flow> element, laid out
// like `conntrack -o xml` prints flows, plus a <when> element with the time
// the flow ended.  A reader can parse the file line by line, or wrap it in a
// root element to get one document.  Records are only ever appended, so a
// crash cannot leave a half-closed document behind.
#include <conntrackd/plugin.hpp>

#include <arpa/inet.h>
#include <cstdio>
#include <ctime>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tinyxml2.h>

namespace {

struct FileCloser {
    void operator()(std::FILE *f) const { std::fclose(f); }
};

const char *l3_name(uint8_t family) {
    return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "unknown";
}
unsigned l3_number(uint8_t family) { return family; }

const char *l4_name(uint8_t proto) {
    switch (proto) {
    case IPPROTO_ICMP: return "icmp";
    case IPPROTO_IGMP: return "igmp";
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_DCCP: return "dccp";
    case IPPROTO_GRE: return "gre";
    case IPPROTO_ICMPV6: return "icmpv6";
    case IPPROTO_SCTP: return "sctp";
    case IPPROTO_UDPLITE: return "udplite";
    default: return "unknown";
    }
}

const char *tcp_state_name(uint8_t state) {
    static const char *names[] = {"NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED",
                                  "FIN_WAIT",   "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
                                  "CLOSE",      "SYN_SENT2"};
    return state < std::size(names) ? names[state] : "UNKNOWN";
}
const char *sctp_state_name(uint8_t state) {
    static const char *names[] = {"NONE",          "CLOSED",        "COOKIE_WAIT",
                                  "COOKIE_ECHOED", "ESTABLISHED",   "SHUTDOWN_SENT",
                                  "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT"};
    return state < std::size(names) ? names[state] : "UNKNOWN";
}
const char *dccp_state_name(uint8_t state) {
    static const char *names[] = {"NONE",    "REQUEST", "RESPOND",  "PARTOPEN", "OPEN",
                                  "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE",  "INVALID"};
    return state < std::size(names) ? names[state] : "UNKNOWN";
}

std::string address_text(uint8_t family, const ctd_address &a) {
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, family == AF_INET6 ? static_cast<const void *>(a.v6) : &a.v4,
              text, sizeof text);
    return text;
}

void text_element(tinyxml2::XMLPrinter &out, const char *name, const std::string &value) {
    out.OpenElement(name, true);
    out.PushText(value.c_str());
    out.CloseElement(true);
}
void number_element(tinyxml2::XMLPrinter &out, const char *name, uint64_t value) {
    out.OpenElement(name, true);
    out.PushText(value);
    out.CloseElement(true);
}

void tuple(tinyxml2::XMLPrinter &out, const char *direction, const ctd_tuple &t, bool counters,
           uint64_t packets, uint64_t bytes) {
    out.OpenElement("meta", true);
    out.PushAttribute("direction", direction);
    out.OpenElement("layer3", true);
    out.PushAttribute("protonum", l3_number(t.l3proto));
    out.PushAttribute("protoname", l3_name(t.l3proto));
    text_element(out, "src", address_text(t.l3proto, t.src));
    text_element(out, "dst", address_text(t.l3proto, t.dst));
    out.CloseElement(true);
    out.OpenElement("layer4", true);
    out.PushAttribute("protonum", static_cast<unsigned>(t.l4proto));
    out.PushAttribute("protoname", l4_name(t.l4proto));
    switch (t.l4proto) {
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        number_element(out, "type", t.l4.icmp.type);
        number_element(out, "code", t.l4.icmp.code);
        number_element(out, "id", t.l4.icmp.id);
        break;
    case IPPROTO_GRE:
        number_element(out, "srckey", t.l4.gre.skey);
        number_element(out, "dstkey", t.l4.gre.dkey);
        break;
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
    case IPPROTO_DCCP:
        number_element(out, "sport", t.l4.port.sport);
        number_element(out, "dport", t.l4.port.dport);
        break;
    default:
        break;
    }
    out.CloseElement(true);
    if (counters) {
        out.OpenElement("counters", true);
        number_element(out, "packets", packets);
        number_element(out, "bytes", bytes);
        out.CloseElement(true);
    }
    out.CloseElement(true);
}

class XmlLog : public ctd::sdk::OutputPlugin {
public:
    static constexpr ctd_config_key config_keys[] = {
        {"LogFile", CTD_CONFIG_PATH, 0, "/var/log/conntrackd-stats.xml",
         "file the <flow> records are appended to, one per line", 0, 0},
    };

    XmlLog(ctd::sdk::Host host, const ctd::sdk::Config &config)
        : host_(host), path_(config.text("LogFile")) {
        open();
    }

    void write_flow(const ctd_flow &flow, uint64_t when_us) override {
        tinyxml2::XMLPrinter out(nullptr, true);
        bool counters = flow.present & CTD_FLOW_COUNTERS;
        out.OpenElement("flow", true);
        out.PushAttribute("type", "destroy");
        if (flow.present & CTD_FLOW_ORIG)
            tuple(out, "original", flow.orig, counters, flow.orig_packets, flow.orig_bytes);
        if (flow.present & CTD_FLOW_REPLY)
            tuple(out, "reply", flow.reply, counters, flow.reply_packets, flow.reply_bytes);
        out.OpenElement("meta", true);
        out.PushAttribute("direction", "independent");
        if (flow.present & CTD_FLOW_STATE) {
            const char *state = flow.orig.l4proto == IPPROTO_TCP    ? tcp_state_name(flow.state)
                                : flow.orig.l4proto == IPPROTO_SCTP ? sctp_state_name(flow.state)
                                : flow.orig.l4proto == IPPROTO_DCCP ? dccp_state_name(flow.state)
                                                                    : nullptr;
            if (state)
                text_element(out, "state", state);
        }
        if (flow.present & CTD_FLOW_MARK)
            number_element(out, "mark", flow.mark);
        if (flow.present & CTD_FLOW_SECMARK)
            number_element(out, "secmark", flow.secmark);
        if (flow.present & CTD_FLOW_ZONE)
            number_element(out, "zone", flow.zone);
        if (flow.present & CTD_FLOW_ID)
            number_element(out, "id", flow.id);
        if (flow.present & CTD_FLOW_HELPER)
            text_element(out, "helper", std::string(flow.helper, strnlen(flow.helper, sizeof flow.helper)));
        if (flow.present & CTD_FLOW_STATUS) {
            if (flow.status & 0x4u) // IPS_ASSURED
                out.OpenElement("assured", true), out.CloseElement(true);
            if (!(flow.status & 0x2u)) // !IPS_SEEN_REPLY
                out.OpenElement("unreplied", true), out.CloseElement(true);
        }
        if (flow.present & CTD_FLOW_TIMESTAMP) {
            out.OpenElement("timestamp", true);
            number_element(out, "start", flow.start_ns);
            if (flow.stop_ns)
                number_element(out, "stop", flow.stop_ns);
            out.CloseElement(true);
            if (flow.stop_ns >= flow.start_ns && flow.stop_ns)
                number_element(out, "deltatime", (flow.stop_ns - flow.start_ns) / 1000000000u);
        }
        out.CloseElement(true);

        std::time_t when = static_cast<std::time_t>(when_us / 1000000u);
        struct tm tm;
        localtime_r(&when, &tm);
        out.OpenElement("when", true);
        number_element(out, "hour", static_cast<uint64_t>(tm.tm_hour));
        number_element(out, "min", static_cast<uint64_t>(tm.tm_min));
        number_element(out, "sec", static_cast<uint64_t>(tm.tm_sec));
        number_element(out, "wday", static_cast<uint64_t>(tm.tm_wday + 1));
        number_element(out, "day", static_cast<uint64_t>(tm.tm_mday));
        number_element(out, "month", static_cast<uint64_t>(tm.tm_mon + 1));
        number_element(out, "year", static_cast<uint64_t>(tm.tm_year + 1900));
        number_element(out, "epoch_us", when_us);
        out.CloseElement(true);
        out.CloseElement(true);

        if (std::fprintf(file_.get(), "%s\n", out.CStr()) < 0)
            throw ctd::sdk::PluginError("cannot write to " + path_, EIO);
    }

    void flush() override {
        if (std::fflush(file_.get()) != 0)
            throw ctd::sdk::PluginError("cannot write to " + path_, EIO);
    }

    void reopen() override {
        flush();
        file_.reset();
        open();
    }

private:
    void open() {
        std::FILE *f = std::fopen(path_.c_str(), "a");
        if (!f)
            throw ctd::sdk::PluginError("can't open XML log file `" + path_ + "': " +
                                            std::strerror(errno),
                                        errno);
        file_.reset(f);
    }

    ctd::sdk::Host host_;
    std::string path_;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

} // namespace

CTD_OUTPUT_PLUGIN(XmlLog, "xml", "1.0.0", "flow log as XML records, one <flow> element per line")
