// The sync wire protocol, checked against bytes captured from the reference
// (reference-behaviour 4.3 and 4.4).
#include <cppunit/extensions/HelperMacros.h>

#include <vector>

#include "flows.hpp"
#include "sync/wire.hpp"

using namespace ctd;
using namespace ctd::sync;

namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> list) {
    std::vector<uint8_t> out;
    for (int b : list)
        out.push_back(static_cast<uint8_t>(b));
    return out;
}

std::vector<uint8_t> encode(const ct::Flow &flow, EncodeOptions options = {}) {
    uint8_t buf[max_message_size];
    size_t n = encode_flow(flow, options, buf);
    return std::vector<uint8_t>(buf, buf + n);
}

std::string hex(const std::vector<uint8_t> &v) {
    std::string out;
    char b[4];
    for (uint8_t x : v) {
        std::snprintf(b, sizeof b, "%02x ", x);
        out += b;
    }
    return out;
}

// Finds attribute `type` in a payload; empty if absent.
std::vector<uint8_t> attribute(const std::vector<uint8_t> &payload, uint16_t type) {
    size_t at = 0;
    while (at + 4 <= payload.size()) {
        uint16_t len = static_cast<uint16_t>(payload[at] << 8 | payload[at + 1]);
        uint16_t t = static_cast<uint16_t>(payload[at + 2] << 8 | payload[at + 3]);
        if (t == type)
            return std::vector<uint8_t>(payload.begin() + at + 4, payload.begin() + at + len);
        at += (len + 3) & ~3u;
    }
    return {};
}

ct::Flow captured_tcp() {
    ct::Flow f = sample::tcp("10.0.0.1", "10.0.0.2", 1111, 22);
    f.set_timeout(120);
    f.set_mark(0x55);
    f.present.reset(ct::FlowAttr::Id);
    f.present.reset(ct::FlowAttr::Use);
    f.set(ct::FlowAttr::Synproxy);
    return f;
}

} // namespace

class WireTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WireTest);
    CPPUNIT_TEST(header_of_captured_message);
    CPPUNIT_TEST(ct_new_matches_capture);
    CPPUNIT_TEST(commit_timeout_drops_timeout);
    CPPUNIT_TEST(nat_ports_are_little_endian);
    CPPUNIT_TEST(icmp_id_and_zone);
    CPPUNIT_TEST(window_scale_only_when_tracking);
    CPPUNIT_TEST(decode_round_trip);
    CPPUNIT_TEST(decode_gives_nat_setup);
    CPPUNIT_TEST(decode_rejects_malformed);
    CPPUNIT_TEST(control_headers);
    CPPUNIT_TEST(header_checks);
    CPPUNIT_TEST(expectation_round_trip);
    CPPUNIT_TEST(sequence_comparison);
    CPPUNIT_TEST(reverse_tuples);
    CPPUNIT_TEST_SUITE_END();

public:
    void header_of_captured_message() {
        Header h;
        h.type = msg_ct_new;
        h.length = 84;
        h.seq = 0x6b0a2b4f;
        uint8_t out[16];
        write_header(h, out);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0x10, 0x00, 0x00, 0x54, 0x6b, 0x0a, 0x2b, 0x4f})),
                             hex(std::vector<uint8_t>(out, out + 8)));
    }

    void ct_new_matches_capture() {
        // The CT_NEW a reference 1.4.7 sent for this flow (84 bytes with its
        // header).
        std::vector<uint8_t> expected = bytes({
            0x00, 0x0c, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
            0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x0e,
            0x00, 0x05, 0x00, 0x02, 0x06, 0x00, 0x00, 0x00,
            0x00, 0x08, 0x00, 0x03, 0x04, 0x57, 0x00, 0x16,
            0x00, 0x05, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00,
            0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x78,
            0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x55,
            0x00, 0x10, 0x00, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        std::vector<uint8_t> got = encode(captured_tcp());
        CPPUNIT_ASSERT_EQUAL(size_t(84 - 8), got.size());
        CPPUNIT_ASSERT_EQUAL(hex(expected), hex(got));
    }

    void commit_timeout_drops_timeout() {
        EncodeOptions o;
        o.commit_timeout_set = true;
        CPPUNIT_ASSERT(attribute(encode(captured_tcp(), o), 6).empty());
        CPPUNIT_ASSERT(!attribute(encode(captured_tcp()), 6).empty());
    }

    void nat_ports_are_little_endian() {
        ct::Flow f = sample::udp_snat();  // 192.168.1.5:5353 -> 8.8.8.8:53 SNAT 203.0.113.1:61000
        f.reply.dport = 4000;
        std::vector<uint8_t> p = encode(f);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({203, 0, 113, 1})), hex(attribute(p, 12)));
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0xa0, 0x0f})), hex(attribute(p, 14)));
        CPPUNIT_ASSERT(attribute(p, 13).empty()); // no DNAT
        // DNAT to port 5353.
        ct::Flow d = sample::tcp("10.0.0.1", "10.0.0.2", 1000, 80);
        d.reply.src = sample::v4("10.9.9.9");
        d.reply.sport = 5353;
        d.set_status(0x0e | ct::status::DstNat | ct::status::DstNatDone);
        std::vector<uint8_t> q = encode(d);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({10, 9, 9, 9})), hex(attribute(q, 13)));
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0xe9, 0x14})), hex(attribute(q, 15)));
    }

    void icmp_id_and_zone() {
        ct::Flow f = sample::icmpv6_everything();
        f.orig.icmp_id = 77;
        f.set_zone(7);
        std::vector<uint8_t> p = encode(f);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0x4d, 0x00})), hex(attribute(p, 24)));
        CPPUNIT_ASSERT_EQUAL(hex(bytes({128})), hex(attribute(p, 22)));
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0x00, 0x07})), hex(attribute(p, 32)));
        CPPUNIT_ASSERT_EQUAL(size_t(32), attribute(p, 1).size()); // IPv6 addresses
    }

    void window_scale_only_when_tracking() {
        ct::Flow f = captured_tcp();
        f.tcp_wscale[0] = 7;
        f.tcp_wscale[1] = 9;
        f.set(ct::FlowAttr::TcpWscaleOrig);
        f.set(ct::FlowAttr::TcpWscaleReply);
        CPPUNIT_ASSERT(attribute(encode(f), 25).empty());
        EncodeOptions o;
        o.tcp_window_tracking = true;
        std::vector<uint8_t> p = encode(f, o);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({7})), hex(attribute(p, 25)));
        CPPUNIT_ASSERT_EQUAL(hex(bytes({9})), hex(attribute(p, 26)));
    }

    void decode_round_trip() {
        std::vector<uint8_t> p = encode(captured_tcp());
        ct::Flow back;
        CPPUNIT_ASSERT(decode_flow(p.data(), p.size(), back));
        CPPUNIT_ASSERT_EQUAL(uint32_t(0x0e), back.status);
        CPPUNIT_ASSERT_EQUAL(uint32_t(120), back.timeout);
        CPPUNIT_ASSERT_EQUAL(uint32_t(0x55), back.mark);
        CPPUNIT_ASSERT_EQUAL(uint8_t(3), back.tcp_state);
        CPPUNIT_ASSERT_EQUAL(uint16_t(1111), back.orig.sport);
        CPPUNIT_ASSERT_EQUAL(uint16_t(22), back.orig.dport);
        CPPUNIT_ASSERT(back.orig.src.v4 == sample::v4("10.0.0.1").v4);
        CPPUNIT_ASSERT(!back.has(ct::FlowAttr::ReplyTuple)); // the reply is not sent
        ct::Flow all = sample::icmpv6_everything();
        std::vector<uint8_t> q = encode(all);
        CPPUNIT_ASSERT(decode_flow(q.data(), q.size(), back));
        // A master tuple carries addresses, protocol and (for port protocols) ports.
        CPPUNIT_ASSERT(std::memcmp(back.master.src.v6, all.master.src.v6, 16) == 0);
        CPPUNIT_ASSERT(std::memcmp(back.master.dst.v6, all.master.dst.v6, 16) == 0);
        CPPUNIT_ASSERT_EQUAL(all.master.l4proto, back.master.l4proto);
        CPPUNIT_ASSERT_EQUAL(std::string("ftp"), std::string(back.helper));
        CPPUNIT_ASSERT(back.labels == all.labels);
        CPPUNIT_ASSERT_EQUAL(uint32_t(5), back.seqadj[1].offset_before);
        CPPUNIT_ASSERT_EQUAL(uint8_t(128), back.orig.icmp_type);
    }

    void decode_gives_nat_setup() {
        std::vector<uint8_t> p = encode(sample::udp_snat());
        ct::Flow back;
        CPPUNIT_ASSERT(decode_flow(p.data(), p.size(), back));
        CPPUNIT_ASSERT(back.has(ct::FlowAttr::NatSrc));
        CPPUNIT_ASSERT(back.nat_src.min_ip.v4 == sample::v4("203.0.113.1").v4);
        CPPUNIT_ASSERT_EQUAL(uint16_t(61000), back.nat_src.min_port);
        CPPUNIT_ASSERT(!back.has(ct::FlowAttr::NatDst));
        CPPUNIT_ASSERT_EQUAL(uint16_t(3), back.zone);
    }

    void decode_rejects_malformed() {
        std::vector<uint8_t> good = encode(captured_tcp());
        ct::Flow back;
        std::vector<uint8_t> unknown = good;
        unknown[3] = 33; // attribute type past the last one
        CPPUNIT_ASSERT(!decode_flow(unknown.data(), unknown.size(), back));
        std::vector<uint8_t> wrong_size = good;
        wrong_size[1] = 0x0b; // IPV4 with length 11
        CPPUNIT_ASSERT(!decode_flow(wrong_size.data(), wrong_size.size(), back));
        std::vector<uint8_t> overrun = good;
        overrun[1] = 0xff; // longer than the payload
        CPPUNIT_ASSERT(!decode_flow(overrun.data(), overrun.size(), back));
        std::vector<uint8_t> tiny = good;
        tiny[1] = 0x02; // shorter than its own header
        CPPUNIT_ASSERT(!decode_flow(tiny.data(), tiny.size(), back));
        std::vector<uint8_t> long_helper = bytes({0x00, 0x0c, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
                                                  0x00, 0x14, 0x00, 27, 'a', 'b', 'c', 'd', 'e', 'f',
                                                  'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 0});
        CPPUNIT_ASSERT(!decode_flow(long_helper.data(), long_helper.size(), back));
        // A trailing fragment of 4 bytes or less is ignored, as the
        // reference does.
        std::vector<uint8_t> trailing = good;
        trailing.insert(trailing.end(), {0, 0, 0, 0});
        CPPUNIT_ASSERT(decode_flow(trailing.data(), trailing.size(), back));
    }

    void control_headers() {
        Header ack;
        ack.type = msg_control;
        ack.flags = flag_ack | flag_hello | flag_hello_back;
        ack.length = 16;
        ack.seq = 1;
        ack.from = 100;
        ack.to = 200;
        uint8_t out[16];
        write_header(ack, out);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0x1a, 0x68, 0, 16, 0, 0, 0, 1, 0, 0, 0, 100, 0, 0, 0, 200})),
                             hex(std::vector<uint8_t>(out, out + 16)));
        Header back;
        CPPUNIT_ASSERT(read_header(out, 16, back) == HeaderCheck::ok);
        CPPUNIT_ASSERT_EQUAL(uint32_t(100), back.from);
        CPPUNIT_ASSERT_EQUAL(uint32_t(200), back.to);
        Header alive;
        alive.type = msg_control;
        alive.flags = flag_alive | flag_hello;
        alive.length = 8;
        CPPUNIT_ASSERT_EQUAL(size_t(8), alive.size());
        write_header(alive, out);
        CPPUNIT_ASSERT_EQUAL(hex(bytes({0x1a, 0x30, 0, 8, 0, 0, 0, 0})),
                             hex(std::vector<uint8_t>(out, out + 8)));
    }

    void header_checks() {
        Header h;
        uint8_t ok[8] = {0x10, 0, 0, 8, 0, 0, 0, 1};
        CPPUNIT_ASSERT(read_header(ok, 8, h) == HeaderCheck::ok);
        CPPUNIT_ASSERT(read_header(ok, 7, h) == HeaderCheck::truncated);
        uint8_t zero[8] = {0x10, 0, 0, 0, 0, 0, 0, 1};
        CPPUNIT_ASSERT(read_header(zero, 8, h) == HeaderCheck::bad_size);
        uint8_t too_long[8] = {0x10, 0, 0, 9, 0, 0, 0, 1};
        CPPUNIT_ASSERT(read_header(too_long, 8, h) == HeaderCheck::bad_size);
        uint8_t short_ack[8] = {0x1a, 0x08, 0, 8, 0, 0, 0, 1};
        CPPUNIT_ASSERT(read_header(short_ack, 8, h) == HeaderCheck::truncated);
        uint8_t short_ack_len[16] = {0x1a, 0x08, 0, 12, 0, 0, 0, 1};
        CPPUNIT_ASSERT(read_header(short_ack_len, 16, h) == HeaderCheck::bad_size);
        uint8_t v2[8] = {0x20, 0, 0, 8, 0, 0, 0, 1};
        CPPUNIT_ASSERT(read_header(v2, 8, h) == HeaderCheck::wrong_version);
        CPPUNIT_ASSERT_EQUAL(uint16_t(8), h.length); // the caller can skip it
    }

    void expectation_round_trip() {
        ct::Expect e;
        e.family = AF_INET;
        sample::ports(e.master, AF_INET, IPPROTO_TCP, sample::v4("10.0.0.1"), sample::v4("10.0.0.2"), 40000, 21);
        sample::ports(e.tuple, AF_INET, IPPROTO_TCP, sample::v4("10.0.0.1"), sample::v4("10.0.0.2"), 0, 50000);
        sample::ports(e.mask, AF_INET, IPPROTO_TCP, sample::v4("255.255.255.255"), sample::v4("255.255.255.255"), 0, 0xffff);
        e.set(ct::ExpectAttr::Master);
        e.set(ct::ExpectAttr::Tuple);
        e.set(ct::ExpectAttr::Mask);
        e.timeout = 300;
        e.set(ct::ExpectAttr::Timeout);
        e.flags = 0;
        e.set(ct::ExpectAttr::Flags);
        std::strcpy(e.helper, "ftp");
        e.set(ct::ExpectAttr::Helper);
        uint8_t buf[max_message_size];
        size_t n = encode_expect(e, {}, buf);
        ct::Expect back;
        CPPUNIT_ASSERT(decode_expect(buf, n, back));
        CPPUNIT_ASSERT(back.master == e.master);
        CPPUNIT_ASSERT(back.tuple == e.tuple);
        CPPUNIT_ASSERT(back.mask == e.mask);
        CPPUNIT_ASSERT_EQUAL(uint32_t(300), back.timeout);
        CPPUNIT_ASSERT_EQUAL(std::string("ftp"), std::string(back.helper));
    }

    void sequence_comparison() {
        CPPUNIT_ASSERT(seq_before(1, 2));
        CPPUNIT_ASSERT(seq_before(0xffffffffu, 0)); // wraps
        CPPUNIT_ASSERT(seq_after(3, 0xfffffff0u));
        CPPUNIT_ASSERT(!seq_before(5, 5));
    }

    void reverse_tuples() {
        ct::Flow f = sample::tcp();
        ct::Tuple r;
        CPPUNIT_ASSERT(reverse_tuple(f.orig, r));
        CPPUNIT_ASSERT(r == f.reply);
        ct::Flow i = sample::icmpv6_everything();
        CPPUNIT_ASSERT(reverse_tuple(i.orig, r));
        CPPUNIT_ASSERT_EQUAL(uint8_t(129), r.icmp_type);
        CPPUNIT_ASSERT(r.src.v6[15] == 2);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WireTest);
