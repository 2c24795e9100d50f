// Formatter pieces that the differential tests do not reach: label maps
// (compared with libnetfilter_conntrack's reader), JSON Lines, the event
// decorations, the output buffer.
#include "compare.hpp"
#include "random_messages.hpp"

#include "ct/codec.hpp"
#include "ct/format.hpp"
#include "ct/stats.hpp"

#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include <climits>
#include <cstdio>
#include <random>

using namespace cttest;

namespace {

// A strict JSON parser, enough to validate what the formatter writes.
class JsonChecker {
public:
    explicit JsonChecker(std::string_view s) : s_(s) {}
    bool document() {
        ws();
        if (!value())
            return false;
        ws();
        return pos_ == s_.size();
    }

private:
    bool value() {
        ws();
        if (pos_ >= s_.size())
            return false;
        char c = s_[pos_];
        if (c == '{')
            return object();
        if (c == '[')
            return array();
        if (c == '"')
            return string();
        if (c == '-' || (c >= '0' && c <= '9'))
            return number();
        for (std::string_view word : {"true", "false", "null"})
            if (s_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                return true;
            }
        return false;
    }
    bool object() {
        ++pos_;
        ws();
        if (peek('}'))
            return ++pos_, true;
        for (;;) {
            ws();
            if (!string())
                return false;
            ws();
            if (!peek(':'))
                return false;
            ++pos_;
            if (!value())
                return false;
            ws();
            if (peek(','))
                ++pos_;
            else if (peek('}'))
                return ++pos_, true;
            else
                return false;
        }
    }
    bool array() {
        ++pos_;
        ws();
        if (peek(']'))
            return ++pos_, true;
        for (;;) {
            if (!value())
                return false;
            ws();
            if (peek(','))
                ++pos_;
            else if (peek(']'))
                return ++pos_, true;
            else
                return false;
        }
    }
    bool string() {
        if (!peek('"'))
            return false;
        for (++pos_; pos_ < s_.size(); ++pos_) {
            unsigned char c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"')
                return ++pos_, true;
            if (c < 0x20)
                return false;
            if (c == '\\') {
                ++pos_;
                if (pos_ >= s_.size() || std::string_view("\"\\/bfnrtu").find(s_[pos_]) == std::string_view::npos)
                    return false;
            }
        }
        return false;
    }
    bool number() {
        std::size_t start = pos_;
        if (peek('-'))
            ++pos_;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_])))
            ++pos_;
        return pos_ > start;
    }
    bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
    void ws() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
            ++pos_;
    }
    std::string_view s_;
    std::size_t pos_ = 0;
};

} // namespace

class FormatTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FormatTest);
    CPPUNIT_TEST(label_maps_read_like_libnfct);
    CPPUNIT_TEST(missing_label_map_is_an_error);
    CPPUNIT_TEST(json_lines_are_valid_json);
    CPPUNIT_TEST(json_carries_the_flow);
    CPPUNIT_TEST(event_decorations_match_the_reference_formats);
    CPPUNIT_TEST(save_refuses_unknown_families);
    CPPUNIT_TEST(text_buffer_numbers_match_printf);
    CPPUNIT_TEST(text_buffer_writes_everything);
    CPPUNIT_TEST_SUITE_END();

public:
    void label_maps_read_like_libnfct() {
        const char *maps[] = {
            test_label_map_text(),
            "0 a\n0 b\n1 a\n",                       // a bit named twice, a name used twice
            "  3   spaced\n\t4\ttabbed\n5 trailing   \n",
            "0x10 hex\n010 octal\n",
            "# only a comment\n\n",
            "127 top\n128 beyond\n4000 far\n",
            "2\n3 \n4 name with spaces\n",
            "7 seven",                               // no final newline
            "x bad\n-1 negative\n9 nine\n",
        };
        for (const char *text : maps) {
            TempFile file(text);
            NfctLabelmap theirs(nfct_labelmap_new(file.path().c_str()));
            ct::LabelMap ours;
            int r = ours.load(file.path());
            CPPUNIT_ASSERT_EQUAL(0, r);
            if (!theirs) {
                // libnfct refuses some files outright; we then have no names either.
                CPPUNIT_ASSERT_MESSAGE(text, ours.empty());
                continue;
            }
            for (unsigned bit = 0; bit < 200; ++bit) {
                const char *name = nfct_labelmap_get_name(theirs.get(), bit);
                std::string expected = name ? name : "";
                CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(text) + " bit " + std::to_string(bit), expected,
                                             std::string(ours.name(bit)));
            }
            for (const char *name : {"a", "b", "spaced", "tabbed", "trailing", "hex", "octal", "top",
                                     "beyond", "name with spaces", "name", "seven", "nine", "zero", "last"}) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(text) + " name " + name,
                                             nfct_labelmap_get_bit(theirs.get(), name), ours.bit(name));
            }
        }
    }

    void missing_label_map_is_an_error() {
        ct::LabelMap map;
        CPPUNIT_ASSERT_EQUAL(-ENOENT, map.load("/nonexistent/connlabel.conf"));
        CPPUNIT_ASSERT(map.empty());
    }

    void json_lines_are_valid_json() {
        MessageGenerator gen(1234);
        TempFile file(test_label_map_text());
        ct::LabelMap map;
        map.load(file.path());
        ct::TextBuffer buf;
        ct::FormatOptions o;
        o.format = ct::OutputFormat::Json;
        o.labels = &map;
        o.progname = "tab\there \"quoted\"";
        for (int i = 0; i < 3000; ++i) {
            buf.clear();
            if (i % 3 == 0) {
                ct::Expect e;
                Message m = gen.expect();
                CPPUNIT_ASSERT(ct::parse_expect(m.header(), e) == ct::ParseResult::Ok);
                ct::format_expect(buf, e, o);
            } else if (i % 3 == 1) {
                ct::Flow f;
                Message m = gen.flow();
                CPPUNIT_ASSERT(ct::parse_flow(m.header(), f) == ct::ParseResult::Ok);
                ct::format_flow(buf, f, o);
            } else {
                ct::CpuStats s;
                Message m = gen.cpu_stats(i % 2);
                CPPUNIT_ASSERT(ct::parse_cpu_stats(m.header(), s) == ct::ParseResult::Ok);
                ct::format_cpu_stats(buf, s, ct::OutputFormat::Json);
                CPPUNIT_ASSERT(buf.view().back() == '\n');
                buf.truncate(buf.size() - 1);
            }
            std::string_view line = buf.view();
            CPPUNIT_ASSERT_MESSAGE(std::string(line), line.find('\n') == std::string_view::npos);
            CPPUNIT_ASSERT_MESSAGE(std::string(line), JsonChecker(line).document());
            CPPUNIT_ASSERT_MESSAGE(std::string(line), line.substr(0, 7) == "{\"v\":1,");
        }
    }

    void json_carries_the_flow() {
        RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, AF_INET, 0, 4321);
        nlattr *t = m.nest(CTA_TUPLE_ORIG);
        nlattr *ip = m.nest(CTA_TUPLE_IP);
        std::uint32_t a = htonl(0x0a000001), b = htonl(0x0a000002);
        m.put(CTA_IP_V4_SRC, &a, 4);
        m.put(CTA_IP_V4_DST, &b, 4);
        m.end(ip);
        nlattr *p = m.nest(CTA_TUPLE_PROTO);
        m.u8(CTA_PROTO_NUM, 6);
        m.be16(CTA_PROTO_SRC_PORT, 1000);
        m.be16(CTA_PROTO_DST_PORT, 80);
        m.end(p);
        m.end(t);
        m.be32(CTA_STATUS, 0xe);
        m.be32(CTA_MARK, 7);
        std::uint32_t labels[4] = {1u << 5, 0, 0, 0};
        m.put(CTA_LABELS, labels, 16);
        ct::Flow f;
        CPPUNIT_ASSERT(ct::parse_flow(m.header(), f) == ct::ParseResult::Ok);
        ct::LabelMap map;
        map.parse("5 five\n");
        ct::FormatOptions o;
        o.format = ct::OutputFormat::Json;
        o.labels = &map;
        ct::TextBuffer buf;
        ct::format_flow(buf, f, o);
        CPPUNIT_ASSERT_EQUAL(std::string(
            "{\"v\":1,\"kind\":\"flow\",\"event\":\"new\",\"family\":\"ipv4\",\"proto\":\"tcp\","
            "\"protonum\":6,\"orig\":{\"protonum\":6,\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\","
            "\"sport\":1000,\"dport\":80},\"status_bits\":14,\"status\":[\"SEEN_REPLY\",\"ASSURED\","
            "\"CONFIRMED\"],\"mark\":7,\"labels\":[5],\"label_names\":[\"five\"],\"portid\":4321}"),
            std::string(buf.view()));
    }

    void event_decorations_match_the_reference_formats() {
        ct::TextBuffer buf;
        for (timeval tv : {timeval{0, 0}, timeval{5, 7}, timeval{1700000000, 123456}, timeval{LONG_MAX / 2, 999999}}) {
            for (bool expect : {false, true}) {
                buf.clear();
                ct::format_event_time(buf, tv, expect);
                char ref[128];
                if (expect)
                    std::snprintf(ref, sizeof(ref), "[%-8ld.%-6ld]\t", static_cast<long>(tv.tv_sec),
                                  static_cast<long>(tv.tv_usec));
                else
                    std::snprintf(ref, sizeof(ref), "[%-.8ld.%-.6ld]\t", static_cast<long>(tv.tv_sec),
                                  static_cast<long>(tv.tv_usec));
                CPPUNIT_ASSERT_EQUAL(std::string(ref), std::string(buf.view()));
            }
        }
        buf.clear();
        ct::format_userspace(buf, 77, "");
        ct::format_userspace(buf, 4294967295u, "conntrack");
        CPPUNIT_ASSERT_EQUAL(std::string(" [USERSPACE] portid=77 [USERSPACE] portid=4294967295 progname=conntrack"),
                             std::string(buf.view()));
        // The kernel's event time stamp wins over the clock.
        ct::Flow f;
        f.timestamp_event = 1700000000123456789ull;
        f.set(ct::FlowAttr::TimestampEvent);
        timeval tv = ct::event_time(f);
        CPPUNIT_ASSERT_EQUAL(1700000000L, static_cast<long>(tv.tv_sec));
        CPPUNIT_ASSERT_EQUAL(123456L, static_cast<long>(tv.tv_usec));
        buf.clear();
        ct::xml_header(buf, false);
        ct::xml_footer(buf, false);
        ct::xml_header(buf, true);
        ct::xml_footer(buf, true);
        CPPUNIT_ASSERT_EQUAL(std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n</conntrack>\n"
                                         "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<expect>\n</expect>\n"),
                             std::string(buf.view()));
    }

    void save_refuses_unknown_families() {
        RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, 7);
        nlattr *t = m.nest(CTA_TUPLE_ORIG);
        nlattr *p = m.nest(CTA_TUPLE_PROTO);
        m.u8(CTA_PROTO_NUM, 6);
        m.end(p);
        m.end(t);
        ct::Flow f;
        CPPUNIT_ASSERT(ct::parse_flow(m.header(), f) == ct::ParseResult::Ok);
        ct::TextBuffer buf;
        ct::FormatOptions o;
        o.format = ct::OutputFormat::Save;
        CPPUNIT_ASSERT(!ct::format_flow(buf, f, o));
        CPPUNIT_ASSERT(buf.empty());
    }

    void text_buffer_numbers_match_printf() {
        std::mt19937_64 rng(3);
        ct::TextBuffer buf(1);  // grows from one byte
        std::string expected;
        char tmp[64];
        std::vector<std::uint64_t> values = {0, 1, 9, 10, 99, 100, 999, 1000, UINT32_MAX, UINT64_MAX};
        for (int i = 0; i < 5000; ++i)
            values.push_back(rng() >> (rng() % 64));
        for (std::uint64_t v : values) {
            buf.append_u64(v);
            std::snprintf(tmp, sizeof(tmp), "%llu,", static_cast<unsigned long long>(v));
            expected += tmp;
            buf.push_back(',');
            buf.append_hex(v);
            std::snprintf(tmp, sizeof(tmp), "%llx,", static_cast<unsigned long long>(v));
            expected += tmp;
            buf.push_back(',');
            buf.append_i64(static_cast<std::int64_t>(v));
            std::snprintf(tmp, sizeof(tmp), "%lld;", static_cast<long long>(v));
            expected += tmp;
            buf.push_back(';');
        }
        std::string big(1000, 'x');
        buf.appendf("%s|%d", big.c_str(), -5);
        expected += big + "|-5";
        CPPUNIT_ASSERT(std::string(buf.view()) == expected);
    }

    void text_buffer_writes_everything() {
        int fds[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
        ct::TextBuffer buf;
        std::string text(40000, 'y');
        buf.append(text);
        std::string got;
        // The pipe holds 64 KiB: one write is enough, then read it back.
        CPPUNIT_ASSERT_EQUAL(0, buf.write_to(fds[1]));
        CPPUNIT_ASSERT(buf.empty());
        close(fds[1]);
        char chunk[4096];
        ssize_t n;
        while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
            got.append(chunk, static_cast<std::size_t>(n));
        close(fds[0]);
        CPPUNIT_ASSERT(got == text);
        buf.append("z");
        CPPUNIT_ASSERT(buf.write_to(-1) == -EBADF);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, buf.size());  // kept for a retry
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FormatTest);
