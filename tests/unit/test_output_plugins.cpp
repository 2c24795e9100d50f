// Output plugins driven through the real loader and host, as the daemon
// drives them: the reference flow log, the XML flow log, and the SDK's
// exception boundary (with the "good" fixture).
#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <netinet/in.h>
#include <tinyxml2.h>

#include "event_loop.hpp"
#include "log.hpp"
#include "plugin_config.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"
#include "test_env.hpp"

using namespace ctd;

namespace {

// Stands in for the core's flow formatter: the plugins must pass its text
// through untouched.
size_t mock_format(const ctd_flow &flow, uint32_t format, char *buf, size_t len) {
    int n = std::snprintf(buf, len, "fmt%u proto=%u sport=%u dport=%u", format,
                          flow.orig.l4proto, flow.orig.l4.port.sport, flow.orig.l4.port.dport);
    return n < 0 ? 0 : static_cast<size_t>(n);
}

ctd_flow tcp_flow() {
    ctd_flow f{};
    f.size = sizeof f;
    f.present = CTD_FLOW_ORIG | CTD_FLOW_REPLY | CTD_FLOW_STATUS | CTD_FLOW_STATE |
                CTD_FLOW_MARK | CTD_FLOW_COUNTERS | CTD_FLOW_ID;
    for (ctd_tuple *t : {&f.orig, &f.reply}) {
        t->l3proto = AF_INET;
        t->l4proto = IPPROTO_TCP;
    }
    inet_pton(AF_INET, "10.0.0.1", &f.orig.src.v4);
    inet_pton(AF_INET, "10.0.0.2", &f.orig.dst.v4);
    f.reply.src = f.orig.dst;
    f.reply.dst = f.orig.src;
    f.orig.l4.port = {40000, 80};
    f.reply.l4.port = {80, 40000};
    f.status = 0x0e; // SEEN_REPLY | ASSURED | CONFIRMED
    f.state = 7;     // TIME_WAIT
    f.mark = 42;
    f.id = 1234;
    f.orig_packets = 5;
    f.orig_bytes = 300;
    f.reply_packets = 4;
    f.reply_bytes = 1200;
    return f;
}

ctd_flow icmpv6_flow() {
    ctd_flow f{};
    f.size = sizeof f;
    f.present = CTD_FLOW_ORIG | CTD_FLOW_REPLY | CTD_FLOW_STATUS;
    for (ctd_tuple *t : {&f.orig, &f.reply}) {
        t->l3proto = AF_INET6;
        t->l4proto = IPPROTO_ICMPV6;
    }
    inet_pton(AF_INET6, "fd00::1", f.orig.src.v6);
    inet_pton(AF_INET6, "fd00::2", f.orig.dst.v6);
    f.reply.src = f.orig.dst;
    f.reply.dst = f.orig.src;
    f.orig.l4.icmp = {128, 0, 7};
    f.reply.l4.icmp = {129, 0, 7};
    return f;
}

// Loads a plugin and makes one instance of it, torn down in reverse.
class OutputUnderTest {
public:
    OutputUnderTest(const std::string &dir, const std::string &name,
                    const std::vector<ConfigEntry> &entries)
        : host_(&loop_), loader_(dir, &host_) {
        host_.set_flow_formatter(mock_format);
        plugin_ = loader_.load(PluginKind::output, name);
        config_ = std::make_unique<PluginConfig>("test.conf", "Stats", 1, plugin_->config_keys(),
                                                 entries);
        char error[256] = "";
        self_ = ops().create(plugin_->host(), config_->get(), error, sizeof error);
        error_ = error;
    }
    ~OutputUnderTest() {
        if (self_)
            ops().destroy(self_);
    }
    const ctd_output_ops &ops() const { return plugin_->ops<ctd_output_ops>(); }
    void *self() const { return self_; }
    const std::string &error() const { return error_; }
    int write(const ctd_flow &flow, uint64_t when_us) { return ops().write_flow(self_, &flow, when_us); }
    int flush() { return ops().flush(self_); }

private:
    EventLoop loop_;
    PluginHost host_;
    PluginLoader loader_;
    std::shared_ptr<LoadedPlugin> plugin_;
    std::unique_ptr<PluginConfig> config_;
    void *self_ = nullptr;
    std::string error_;
};

std::vector<std::string> read_lines(const std::string &path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::string ctime_text(time_t when) {
    char buf[64];
    ctime_r(&when, buf);
    std::string s = buf;
    s.pop_back();
    return s;
}

} // namespace

class OutputPluginsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutputPluginsTest);
    CPPUNIT_TEST(flowlog_writes_reference_lines);
    CPPUNIT_TEST(flowlog_appends_and_reopens);
    CPPUNIT_TEST(flowlog_rejects_relative_path);
    CPPUNIT_TEST(flowlog_rejects_unknown_facility);
    CPPUNIT_TEST(flowlog_reports_unwritable_file);
    CPPUNIT_TEST(xml_records_are_well_formed);
    CPPUNIT_TEST(sdk_passes_config_through);
    CPPUNIT_TEST(sdk_turns_plugin_error_into_errno);
    CPPUNIT_TEST(sdk_stops_std_exceptions);
    CPPUNIT_TEST(sdk_reports_constructor_failure);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { logger().set_console(false); }
    void tearDown() override { logger().set_console(true); }

    void flowlog_writes_reference_lines() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/stats.log";
        OutputUnderTest out(test_env::staged_plugins(), "flowlog", {{"LogFile", path, 2}});
        CPPUNIT_ASSERT_MESSAGE(out.error(), out.self());
        const time_t when = 1764292483;
        CPPUNIT_ASSERT_EQUAL(0, out.write(tcp_flow(), uint64_t(when) * 1000000 + 123));
        CPPUNIT_ASSERT_EQUAL(0, out.write(icmpv6_flow(), uint64_t(when + 1) * 1000000));
        CPPUNIT_ASSERT_EQUAL(0, out.flush());
        auto lines = read_lines(path);
        CPPUNIT_ASSERT_EQUAL(size_t(2), lines.size());
        CPPUNIT_ASSERT_EQUAL(ctime_text(when) + "\tfmt1 proto=6 sport=40000 dport=80", lines[0]);
        CPPUNIT_ASSERT_EQUAL(ctime_text(when + 1) + "\tfmt1 proto=58 sport=128 dport=7", lines[1]);
    }

    void flowlog_appends_and_reopens() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/stats.log";
        {
            std::ofstream existing(path);
            existing << "old line\n";
        }
        OutputUnderTest out(test_env::staged_plugins(), "flowlog", {{"LogFile", path, 2}});
        CPPUNIT_ASSERT(out.self());
        CPPUNIT_ASSERT_EQUAL(0, out.write(tcp_flow(), 0));
        // Log rotation: the file is moved away, reopen starts a new one.
        std::string rotated = path + ".1";
        CPPUNIT_ASSERT_EQUAL(0, std::rename(path.c_str(), rotated.c_str()));
        CPPUNIT_ASSERT_EQUAL(0, out.ops().reopen(out.self()));
        CPPUNIT_ASSERT_EQUAL(0, out.write(tcp_flow(), 0));
        CPPUNIT_ASSERT_EQUAL(0, out.flush());
        CPPUNIT_ASSERT_EQUAL(size_t(2), read_lines(rotated).size());
        CPPUNIT_ASSERT_EQUAL(std::string("old line"), read_lines(rotated)[0]);
        CPPUNIT_ASSERT_EQUAL(size_t(1), read_lines(path).size());
    }

    void flowlog_rejects_relative_path() {
        OutputUnderTest out(test_env::staged_plugins(), "flowlog", {{"LogFile", "stats.log", 4}});
        CPPUNIT_ASSERT(!out.self());
        CPPUNIT_ASSERT_EQUAL(
            std::string("test.conf:4: LogFile expects on, off or an absolute path, found 'stats.log'"),
            out.error());
    }

    void flowlog_rejects_unknown_facility() {
        OutputUnderTest out(test_env::staged_plugins(), "flowlog", {{"Syslog", "local9", 3}});
        CPPUNIT_ASSERT(!out.self());
        CPPUNIT_ASSERT_EQUAL(
            std::string("test.conf:3: unknown Syslog facility 'local9' (daemon, local0..local7, on or off)"),
            out.error());
    }

    void flowlog_reports_unwritable_file() {
        OutputUnderTest out(test_env::staged_plugins(), "flowlog",
                            {{"LogFile", "/nonexistent-dir/stats.log", 2}});
        CPPUNIT_ASSERT(!out.self());
        CPPUNIT_ASSERT_EQUAL(
            std::string("can't open log file `/nonexistent-dir/stats.log': No such file or directory"),
            out.error());
    }

    void xml_records_are_well_formed() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/stats.xml";
        OutputUnderTest out(test_env::staged_plugins(), "xml", {{"LogFile", path, 2}});
        CPPUNIT_ASSERT_MESSAGE(out.error(), out.self());
        CPPUNIT_ASSERT_EQUAL(0, out.write(tcp_flow(), 1764292483000000ull));
        CPPUNIT_ASSERT_EQUAL(0, out.write(icmpv6_flow(), 1764292484000000ull));
        CPPUNIT_ASSERT_EQUAL(0, out.flush());
        auto lines = read_lines(path);
        CPPUNIT_ASSERT_EQUAL(size_t(2), lines.size());
        for (const auto &line : lines) {
            tinyxml2::XMLDocument doc;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(line, tinyxml2::XML_SUCCESS, doc.Parse(line.c_str()));
            CPPUNIT_ASSERT_EQUAL(std::string("flow"), std::string(doc.RootElement()->Name()));
        }
        tinyxml2::XMLDocument tcp;
        tcp.Parse(lines[0].c_str());
        auto *original = tcp.RootElement()->FirstChildElement("meta");
        CPPUNIT_ASSERT_EQUAL(std::string("original"), std::string(original->Attribute("direction")));
        auto *l3 = original->FirstChildElement("layer3");
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1"), std::string(l3->FirstChildElement("src")->GetText()));
        auto *l4 = original->FirstChildElement("layer4");
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), std::string(l4->Attribute("protoname")));
        CPPUNIT_ASSERT_EQUAL(std::string("40000"), std::string(l4->FirstChildElement("sport")->GetText()));
        CPPUNIT_ASSERT_EQUAL(std::string("300"), std::string(original->FirstChildElement("counters")
                                                                 ->FirstChildElement("bytes")->GetText()));
        auto *independent = original->NextSiblingElement("meta")->NextSiblingElement("meta");
        CPPUNIT_ASSERT_EQUAL(std::string("TIME_WAIT"), std::string(independent->FirstChildElement("state")->GetText()));
        CPPUNIT_ASSERT(independent->FirstChildElement("assured"));
        CPPUNIT_ASSERT(!independent->FirstChildElement("unreplied"));
        CPPUNIT_ASSERT_EQUAL(std::string("1764292483000000"),
                             std::string(tcp.RootElement()->FirstChildElement("when")
                                             ->FirstChildElement("epoch_us")->GetText()));
        tinyxml2::XMLDocument icmp;
        icmp.Parse(lines[1].c_str());
        auto *l3v6 = icmp.RootElement()->FirstChildElement("meta")->FirstChildElement("layer3");
        CPPUNIT_ASSERT_EQUAL(std::string("fd00::2"), std::string(l3v6->FirstChildElement("dst")->GetText()));
        auto *icmp_l4 = l3v6->NextSiblingElement("layer4");
        CPPUNIT_ASSERT_EQUAL(std::string("128"), std::string(icmp_l4->FirstChildElement("type")->GetText()));
    }

    void sdk_passes_config_through() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/good.out";
        OutputUnderTest out(test_env::fixtures(), "good",
                            {{"Path", path, 2}, {"Tag", "a", 3}, {"Tag", "b", 4}});
        CPPUNIT_ASSERT_MESSAGE(out.error(), out.self());
        CPPUNIT_ASSERT_EQUAL(0, out.write(tcp_flow(), 77));
        CPPUNIT_ASSERT_EQUAL(0, out.flush());
        auto lines = read_lines(path);
        CPPUNIT_ASSERT_EQUAL(size_t(1), lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string("77 fmt1 proto=6 sport=40000 dport=80 limit=10 a b"), lines[0]);
    }

    void sdk_turns_plugin_error_into_errno() {
        test_env::TempDir dir;
        OutputUnderTest out(test_env::fixtures(), "good",
                            {{"Path", dir.path() + "/x", 2}, {"FailWrites", "on", 3}});
        CPPUNIT_ASSERT(out.self());
        CPPUNIT_ASSERT_EQUAL(-ENOSPC, out.write(tcp_flow(), 0));
    }

    void sdk_stops_std_exceptions() {
        test_env::TempDir dir;
        OutputUnderTest out(test_env::fixtures(), "good", {{"Path", dir.path() + "/x", 2}});
        ctd_flow odd = tcp_flow();
        odd.orig.l4proto = 255;
        CPPUNIT_ASSERT_EQUAL(-EIO, out.write(odd, 0));
        // The instance is still usable afterwards.
        CPPUNIT_ASSERT_EQUAL(0, out.write(tcp_flow(), 0));
    }

    void sdk_reports_constructor_failure() {
        OutputUnderTest out(test_env::fixtures(), "good", {{"Path", "/nonexistent-dir/x", 2}});
        CPPUNIT_ASSERT(!out.self());
        CPPUNIT_ASSERT_EQUAL(std::string("cannot open /nonexistent-dir/x"), out.error());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutputPluginsTest);
