// Differential tests on real kernel messages: a namespace holding flows of
// every kind (tcp, udp, udplite, sctp, dccp, icmp, icmpv6, gre, an unknown
// protocol, IPv4 and IPv6, SNAT and DNAT, zones, marks, labels, a helper
// with its expectation, accounting and timestamps) is dumped by our socket
// code; libnetfilter_conntrack must print every message exactly as we do,
// and /usr/sbin/conntrack (1.4.7) must print the table as we would.
#include "compare.hpp"
#include "kernel_fixture.hpp"

#include "ct/codec.hpp"
#include "ct/format.hpp"
#include "ct/netlink.hpp"
#include "ct/stats.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

using namespace cttest;

namespace {

std::vector<std::string> sorted_lines(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
}

// Timeouts and delta-times tick at each entry's own sub-second phase, so two
// listings taken a moment apart differ by one here and there.  This takes
// those numbers out of a line (into `clock`) so that the rest compares
// exactly and the numbers within one second.
std::string mask_clock(const std::string &line, std::vector<long> &clock) {
    static const std::regex fields(
        R"((^(?:ipv[46]|unknown) +\d+ \S+ +\d+ |^(?:\[\w+\] +)?\S+ +\d+ |-t |<timeout>|delta-time=|<deltatime>)(\d+))");
    std::string out;
    auto begin = std::sregex_iterator(line.begin(), line.end(), fields);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const std::smatch &m = *it;
        out += line.substr(last, static_cast<std::size_t>(m.position(2)) - last) + "#";
        clock.push_back(std::stol(m.str(2)));
        last = static_cast<std::size_t>(m.position(2) + m.length(2));
    }
    return out + line.substr(last);
}

// Whether two listings are the same table, clocks within a second.
bool same_listing(const std::vector<std::string> &a, const std::vector<std::string> &b) {
    if (a.size() != b.size())
        return false;
    std::vector<std::pair<std::string, std::vector<long>>> ma, mb;
    for (const auto &l : a) {
        std::vector<long> c;
        ma.emplace_back(mask_clock(l, c), c);
    }
    for (const auto &l : b) {
        std::vector<long> c;
        mb.emplace_back(mask_clock(l, c), c);
    }
    std::sort(ma.begin(), ma.end());
    std::sort(mb.begin(), mb.end());
    for (std::size_t i = 0; i < ma.size(); ++i) {
        if (ma[i].first != mb[i].first || ma[i].second.size() != mb[i].second.size())
            return false;
        for (std::size_t k = 0; k < ma[i].second.size(); ++k)
            if (std::labs(ma[i].second[k] - mb[i].second[k]) > 1)
                return false;
    }
    return true;
}

std::string join(const std::vector<std::string> &lines) {
    std::string s;
    for (const auto &l : lines)
        s += l + "\n";
    return s;
}

// What `conntrack -L -o <output>` would print for these messages, formatted
// by us the way the CLI drives the library.
std::string our_listing(const std::vector<Message> &msgs, const std::string &output) {
    ct::FormatOptions o;
    bool xml = output.find("xml") != std::string::npos;
    o.format = xml ? ct::OutputFormat::Xml
                   : output.find("save") != std::string::npos ? ct::OutputFormat::Save
                                                              : ct::OutputFormat::Default;
    o.extended = output.find("extended") != std::string::npos;
    o.show_id = output.find("id") != std::string::npos;
    o.ktimestamp = output.find("ktimestamp") != std::string::npos;
    ct::TextBuffer buf;
    ct::Flow flow;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        CPPUNIT_ASSERT(ct::parse_flow(msgs[i].header(), flow) == ct::ParseResult::Ok);
        if (xml && i == 0)
            ct::xml_header(buf, false);
        if (ct::format_flow(buf, flow, o))
            buf.push_back('\n');
    }
    if (xml && !msgs.empty())
        ct::xml_footer(buf, false);
    return std::string(buf.view());
}

} // namespace

class KernelOracleTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KernelOracleTest);
    CPPUNIT_TEST(real_flows_cover_every_kind);
    CPPUNIT_TEST(real_flows_print_like_libnfct);
    CPPUNIT_TEST(real_expectations_print_like_libnfct);
    CPPUNIT_TEST(listing_matches_the_reference_cli);
    CPPUNIT_TEST(expectation_listing_matches_the_reference_cli);
    CPPUNIT_TEST(cpu_stats_match_the_reference_cli);
    CPPUNIT_TEST(count_matches_the_reference_cli);
    CPPUNIT_TEST(kernel_accepts_built_expectations);
    CPPUNIT_TEST_SUITE_END();

public:
    void real_flows_cover_every_kind() {
        auto msgs = KernelTable::instance().dump_flows();
        std::set<int> protos;
        bool v6 = false, snat = false, dnat = false, zone = false, orig_zone = false, mark = false,
             labels = false, helper = false, counters = false, timestamps = false;
        for (const auto &m : msgs) {
            ct::Flow f;
            CPPUNIT_ASSERT(ct::parse_flow(m.header(), f) == ct::ParseResult::Ok);
            protos.insert(f.orig.l4proto);
            v6 |= f.family == AF_INET6;
            snat |= (f.status & ct::status::SrcNat) != 0;
            dnat |= (f.status & ct::status::DstNat) != 0;
            zone |= f.has(ct::FlowAttr::Zone);
            orig_zone |= f.orig.has(ct::TupleField::Zone);
            mark |= f.has(ct::FlowAttr::Mark) && f.mark != 0;
            labels |= f.has(ct::FlowAttr::Labels);
            helper |= f.has(ct::FlowAttr::Helper);
            counters |= f.has(ct::FlowAttr::OrigPackets);
            timestamps |= f.has(ct::FlowAttr::TimestampStart);
        }
        for (int p : {6, 17, 136, 132, 33, 1, 58, 47, 253})
            CPPUNIT_ASSERT_MESSAGE("a flow of protocol " + std::to_string(p), protos.count(p));
        CPPUNIT_ASSERT(v6 && snat && dnat && zone && orig_zone && mark && labels && helper &&
                       counters && timestamps);
    }

    void real_flows_print_like_libnfct() {
        TempFile map_file(test_label_map_text());
        NfctLabelmap oracle_map(nfct_labelmap_new(map_file.path().c_str()));
        ct::LabelMap map;
        CPPUNIT_ASSERT_EQUAL(0, map.load(map_file.path()));
        auto msgs = KernelTable::instance().dump_flows();
        CPPUNIT_ASSERT(msgs.size() >= 20);
        Differences diff;
        auto combos = all_combos();
        for (const auto &m : msgs)
            compare_flow(m, combos, map, oracle_map.get(), diff);
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
        CPPUNIT_ASSERT_EQUAL(0u, diff.oracle_failures);
        CPPUNIT_ASSERT_EQUAL(static_cast<unsigned>(msgs.size() * combos.size()), diff.compared);
    }

    void real_expectations_print_like_libnfct() {
        auto msgs = KernelTable::instance().dump_expectations();
        CPPUNIT_ASSERT(!msgs.empty());
        Differences diff;
        for (const auto &m : msgs)
            compare_expect(m, diff);
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
    }

    void listing_matches_the_reference_cli() {
        // The tolerant comparison still sees real differences.
        const std::string line = "tcp      6 116 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=5 dport=7 delta-time=3 use=1";
        CPPUNIT_ASSERT(same_listing({line}, {"tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=5 dport=7 delta-time=4 use=1"}));
        CPPUNIT_ASSERT(!same_listing({line}, {"tcp      6 118 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=5 dport=7 delta-time=3 use=1"}));
        CPPUNIT_ASSERT(!same_listing({line}, {"tcp      6 116 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=6 dport=7 delta-time=3 use=1"}));
        CPPUNIT_ASSERT(!same_listing({"-A -t 5 -u UNSET"}, {"-A -t 9 -u UNSET"}));
        CPPUNIT_ASSERT(!same_listing({line}, {line, line}));
        const KernelTable &table = KernelTable::instance();
        for (std::string output : {"", "extended", "id", "ktimestamp", "extended,id,ktimestamp", "xml",
                                   "xml,ktimestamp", "save"}) {
            std::string option = output.empty() ? "" : " -o " + output;
            std::vector<std::string> theirs, ours;
            // Timeouts tick every second: retry when a second boundary fell
            // between the two dumps.
            bool same = false;
            for (int attempt = 0; attempt < 5 && !same; ++attempt) {
                ours = sorted_lines(our_listing(table.dump_flows(), output));
                theirs = sorted_lines(table.run("conntrack -L" + option + " 2>/dev/null"));
                same = ours == theirs || same_listing(ours, theirs);
            }
            if (!same)
                CPPUNIT_ASSERT_EQUAL_MESSAGE("conntrack -L" + option, join(theirs), join(ours));
        }
    }

    void expectation_listing_matches_the_reference_cli() {
        const KernelTable &table = KernelTable::instance();
        for (bool xml : {false, true}) {
            std::vector<std::string> theirs, ours;
            for (int attempt = 0; attempt < 5; ++attempt) {
                auto msgs = table.dump_expectations();
                ct::TextBuffer buf;
                ct::FormatOptions o;
                o.format = xml ? ct::OutputFormat::Xml : ct::OutputFormat::Default;
                ct::Expect e;
                for (std::size_t i = 0; i < msgs.size(); ++i) {
                    CPPUNIT_ASSERT(ct::parse_expect(msgs[i].header(), e) == ct::ParseResult::Ok);
                    if (xml && i == 0)
                        ct::xml_header(buf, true);
                    ct::format_expect(buf, e, o);
                    buf.push_back('\n');
                }
                if (xml && !msgs.empty())
                    ct::xml_footer(buf, true);
                ours = sorted_lines(std::string(buf.view()));
                theirs = sorted_lines(table.run(std::string("conntrack -L expect") +
                                                (xml ? " -o xml" : "") + " 2>/dev/null"));
                if (ours == theirs || same_listing(ours, theirs))
                    break;
            }
            CPPUNIT_ASSERT(!ours.empty());
            if (!same_listing(ours, theirs))
                CPPUNIT_ASSERT_EQUAL_MESSAGE(xml ? "xml" : "plain", join(theirs), join(ours));
        }
    }

    void cpu_stats_match_the_reference_cli() {
        const KernelTable &table = KernelTable::instance();
        for (bool expect : {false, true}) {
            std::string theirs, ours;
            for (int attempt = 0; attempt < 5; ++attempt) {
                test_netns::EnterNamespace inside(table.client());
                ct::NetlinkSocket sock;
                CPPUNIT_ASSERT_EQUAL(0, sock.open());
                unsigned char buf[ct::MaxRequestSize];
                nlmsghdr *req = ct::build_simple(
                    buf, sizeof(buf), expect ? ct::msg::SubsysExpect : ct::msg::SubsysConntrack,
                    expect ? ct::msg::ExpGetStatsCpu : ct::msg::CtGetStatsCpu, 0, AF_UNSPEC, 0);
                ct::TextBuffer out;
                int r = sock.dump(req, [&](const nlmsghdr *nlh) {
                    ct::CpuStats stats;
                    CPPUNIT_ASSERT(ct::parse_cpu_stats(nlh, stats) == ct::ParseResult::Ok);
                    ct::format_cpu_stats(out, stats, ct::OutputFormat::Default);
                    return ct::CallbackContinue;
                });
                CPPUNIT_ASSERT_EQUAL(0, r);
                ours = std::string(out.view());
                theirs = table.run(std::string("conntrack -S") + (expect ? " expect" : "") + " 2>/dev/null");
                if (ours == theirs)
                    break;
            }
            CPPUNIT_ASSERT(!ours.empty());
            CPPUNIT_ASSERT_EQUAL(theirs, ours);
        }
    }

    void count_matches_the_reference_cli() {
        const KernelTable &table = KernelTable::instance();
        std::string theirs, ours;
        for (int attempt = 0; attempt < 5; ++attempt) {
            test_netns::EnterNamespace inside(table.client());
            ct::NetlinkSocket sock;
            CPPUNIT_ASSERT_EQUAL(0, sock.open());
            unsigned char buf[ct::MaxRequestSize];
            nlmsghdr *req = ct::build_simple(buf, sizeof(buf), ct::msg::SubsysConntrack,
                                             ct::msg::CtGetStats, 0, AF_UNSPEC, 0);
            ct::GlobalStats stats;
            int r = sock.request(req, [&](const nlmsghdr *nlh) {
                CPPUNIT_ASSERT(ct::parse_global_stats(nlh, stats) == ct::ParseResult::Ok);
                return ct::CallbackContinue;
            });
            CPPUNIT_ASSERT_EQUAL(0, r);
            CPPUNIT_ASSERT(stats.has_entries);
            ct::TextBuffer out;
            ct::format_count(out, stats.entries, ct::OutputFormat::Default, false);
            ours = std::string(out.view());
            theirs = table.run("conntrack -C 2>/dev/null");
            if (ours == theirs)
                break;
        }
        CPPUNIT_ASSERT_EQUAL(theirs, ours);
    }

    // The FTP helper's expectation is deleted and created again from what
    // we parsed of it, with messages we build.
    void kernel_accepts_built_expectations() {
        const KernelTable &table = KernelTable::instance();
        auto msgs = table.dump_expectations();
        CPPUNIT_ASSERT(!msgs.empty());
        ct::Expect original;
        CPPUNIT_ASSERT(ct::parse_expect(msgs[0].header(), original) == ct::ParseResult::Ok);
        test_netns::EnterNamespace inside(table.client());
        ct::NetlinkSocket sock;
        CPPUNIT_ASSERT_EQUAL(0, sock.open());
        unsigned char buf[ct::MaxRequestSize];

        ct::Expect key;
        key.family = original.family;
        key.tuple = original.tuple;
        key.set(ct::ExpectAttr::Tuple);
        ct::Expect got;
        auto get = [&]() {
            nlmsghdr *nlh = ct::build_expect(buf, sizeof(buf), ct::msg::ExpGet, 0, 0, key);
            return sock.request(nlh, [&](const nlmsghdr *m) {
                CPPUNIT_ASSERT(ct::parse_expect(m, got) == ct::ParseResult::Ok);
                return ct::CallbackContinue;
            });
        };
        CPPUNIT_ASSERT_EQUAL(0, get());
        CPPUNIT_ASSERT(got.master == original.master);
        CPPUNIT_ASSERT_EQUAL(0, sock.request(ct::build_expect(buf, sizeof(buf), ct::msg::ExpDelete, 0, 0, key)));
        CPPUNIT_ASSERT_EQUAL(-ENOENT, get());

        ct::Expect create;
        create.family = original.family;
        create.master = original.master;
        create.tuple = original.tuple;
        create.mask = original.mask;
        create.set(ct::ExpectAttr::Master);
        create.set(ct::ExpectAttr::Tuple);
        create.set(ct::ExpectAttr::Mask);
        create.timeout = 250;
        create.set(ct::ExpectAttr::Timeout);
        CPPUNIT_ASSERT_EQUAL(0, sock.request(ct::build_expect(buf, sizeof(buf), ct::msg::ExpNew,
                                                              NLM_F_CREATE | NLM_F_EXCL, 0, create)));
        CPPUNIT_ASSERT_EQUAL(0, get());
        CPPUNIT_ASSERT(got.tuple == original.tuple);
        CPPUNIT_ASSERT(got.mask == original.mask);
        // The kernel replaces the timeout with the helper policy's (FTP:
        // 300 s) when it inserts the expectation.
        CPPUNIT_ASSERT(got.has(ct::ExpectAttr::Timeout) && got.timeout > 0 && got.timeout <= 300);
        CPPUNIT_ASSERT_EQUAL(std::string(original.helper), std::string(got.helper));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KernelOracleTest);
