// Packing a flow for the caches loses nothing and stays small.
#include <cppunit/extensions/HelperMacros.h>

#include "flow_pack.hpp"
#include "flows.hpp"

using namespace ctd;

class FlowPackTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FlowPackTest);
    CPPUNIT_TEST(tcp_round_trip_and_size);
    CPPUNIT_TEST(nat_reply_kept);
    CPPUNIT_TEST(every_attribute_round_trip);
    CPPUNIT_TEST(dccp_and_sctp_protoinfo);
    CPPUNIT_TEST(key_ignores_changing_attributes);
    CPPUNIT_TEST(key_separates_zones);
    CPPUNIT_TEST(garbage_is_rejected);
    CPPUNIT_TEST_SUITE_END();

    static ct::Flow round_trip(const ct::Flow &in, size_t *size = nullptr) {
        uint8_t buf[max_packed_flow];
        size_t key = 0;
        size_t n = pack_flow(in, buf, &key);
        CPPUNIT_ASSERT(key > 0 && key <= max_packed_key && n <= max_packed_flow);
        if (size)
            *size = n;
        ct::Flow out;
        CPPUNIT_ASSERT(unpack_flow(buf, n, out));
        return out;
    }

public:
    void tcp_round_trip_and_size() {
        ct::Flow f = sample::tcp();
        size_t size = 0;
        ct::Flow back = round_trip(f, &size);
        CPPUNIT_ASSERT(back == f);
        // The point of packing: an IPv4 TCP flow is small.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(size), size <= 64);
    }
    void nat_reply_kept() {
        ct::Flow f = sample::udp_snat();
        ct::Flow back = round_trip(f);
        CPPUNIT_ASSERT(back == f);
        CPPUNIT_ASSERT_EQUAL(uint16_t(61000), back.reply.dport);
        CPPUNIT_ASSERT(back.has(ct::FlowAttr::Zone));
        CPPUNIT_ASSERT_EQUAL(uint16_t(3), back.zone);
    }
    void every_attribute_round_trip() {
        ct::Flow f = sample::icmpv6_everything();
        ct::Flow back = round_trip(f);
        CPPUNIT_ASSERT(back == f);
        CPPUNIT_ASSERT_EQUAL(f.secctx, back.secctx);
        CPPUNIT_ASSERT_EQUAL(std::string("ftp"), std::string(back.helper));
        CPPUNIT_ASSERT(back.labels.test(127));
    }
    void dccp_and_sctp_protoinfo() {
        ct::Flow s = sample::tcp();
        s.orig.l4proto = s.reply.l4proto = IPPROTO_SCTP;
        s.present.reset(ct::FlowAttr::TcpState);
        s.sctp_state = 3;
        s.sctp_vtag[0] = 0xdeadbeef;
        s.sctp_vtag[1] = 0x01020304;
        for (auto a : {ct::FlowAttr::SctpState, ct::FlowAttr::SctpVtagOrig, ct::FlowAttr::SctpVtagReply})
            s.set(a);
        CPPUNIT_ASSERT(round_trip(s) == s);
        ct::Flow d = sample::tcp();
        d.orig.l4proto = d.reply.l4proto = IPPROTO_DCCP;
        d.present.reset(ct::FlowAttr::TcpState);
        d.dccp_state = 4;
        d.dccp_role = 1;
        d.dccp_handshake_seq = 0x123456789abcull;
        for (auto a : {ct::FlowAttr::DccpState, ct::FlowAttr::DccpRole, ct::FlowAttr::DccpHandshakeSeq})
            d.set(a);
        d.tcp_wscale[0] = 7;
        d.set(ct::FlowAttr::TcpWscaleOrig);
        d.tcp_flags[1] = {0x08, 0x08};
        d.set(ct::FlowAttr::TcpFlagsReply);
        CPPUNIT_ASSERT(round_trip(d) == d);
    }
    void key_ignores_changing_attributes() {
        ct::Flow a = sample::tcp(), b = sample::tcp();
        b.set_timeout(5);
        b.tcp_state = 7;
        b.set_mark(99);
        uint8_t ka[max_packed_key], kb[max_packed_key];
        size_t na = pack_flow_key(a, ka), nb = pack_flow_key(b, kb);
        CPPUNIT_ASSERT_EQUAL(na, nb);
        CPPUNIT_ASSERT(std::memcmp(ka, kb, na) == 0);
    }
    void key_separates_zones() {
        ct::Flow a = sample::tcp(), b = sample::tcp();
        b.set_zone(1);
        uint8_t ka[max_packed_key], kb[max_packed_key];
        size_t na = pack_flow_key(a, ka), nb = pack_flow_key(b, kb);
        CPPUNIT_ASSERT(na != nb || std::memcmp(ka, kb, na) != 0);
    }
    void garbage_is_rejected() {
        ct::Flow f = sample::tcp();
        uint8_t buf[max_packed_flow];
        size_t n = pack_flow(f, buf, nullptr);
        ct::Flow out;
        CPPUNIT_ASSERT(!unpack_flow(buf, n - 1, out)); // truncated last attribute
        buf[n] = 250;                                    // unknown tag
        CPPUNIT_ASSERT(!unpack_flow(buf, n + 1, out));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FlowPackTest);
