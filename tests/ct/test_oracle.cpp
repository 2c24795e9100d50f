// Differential tests: our parser + formatters against libnetfilter_conntrack
// 1.0.9 on the same synthesized netlink messages, for every output type,
// flag, event type and label map combination.
#include "compare.hpp"
#include "random_messages.hpp"

#include "ct/codec.hpp"

#include <cppunit/extensions/HelperMacros.h>

using namespace cttest;

class OracleTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OracleTest);
    CPPUNIT_TEST(synthesized_flows_print_like_libnfct);
    CPPUNIT_TEST(every_protocol_number_prints_like_libnfct);
    CPPUNIT_TEST(every_state_value_prints_like_libnfct);
    CPPUNIT_TEST(minimal_messages_print_like_libnfct);
    CPPUNIT_TEST(synthesized_expectations_print_like_libnfct);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        map_file_ = std::make_unique<TempFile>(test_label_map_text());
        oracle_map_.reset(nfct_labelmap_new(map_file_->path().c_str()));
        CPPUNIT_ASSERT_MESSAGE("libnfct loads the test label map", oracle_map_ != nullptr);
        CPPUNIT_ASSERT_EQUAL(0, map_.load(map_file_->path()));
    }
    void tearDown() override {
        oracle_map_.reset();
        map_file_.reset();
    }

    void synthesized_flows_print_like_libnfct() {
        MessageGenerator gen(20240601);
        std::vector<Combo> combos = all_combos();
        Differences diff;
        for (int i = 0; i < 1500; ++i)
            compare_flow(gen.flow(), combos, map_, oracle_map_.get(), diff);
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
        // A few messages (no tuple, unknown family) make libnfct give up;
        // nearly all must have been compared.
        CPPUNIT_ASSERT(diff.compared >= 1400u * combos.size());
    }

    // One message per L4 protocol number, both families, all combos.
    void every_protocol_number_prints_like_libnfct() {
        std::vector<Combo> combos = all_combos();
        Differences diff;
        for (std::uint8_t family : {std::uint8_t(AF_INET), std::uint8_t(AF_INET6)}) {
            for (unsigned proto = 0; proto < 256; ++proto) {
                RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_MULTI, family);
                for (std::uint16_t dir : {CTA_TUPLE_ORIG, CTA_TUPLE_REPLY}) {
                    nlattr *t = m.nest(dir);
                    nlattr *ip = m.nest(CTA_TUPLE_IP);
                    unsigned char a[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, static_cast<unsigned char>(proto)};
                    if (family == AF_INET6) {
                        m.put(CTA_IP_V6_SRC, a, 16);
                        m.put(CTA_IP_V6_DST, a, 16);
                    } else {
                        m.put(CTA_IP_V4_SRC, a + 12, 4);
                        m.put(CTA_IP_V4_DST, a + 12, 4);
                    }
                    m.end(ip);
                    nlattr *p = m.nest(CTA_TUPLE_PROTO);
                    m.u8(CTA_PROTO_NUM, static_cast<std::uint8_t>(proto));
                    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
                        m.u8(CTA_PROTO_ICMP_TYPE, 8);
                        m.u8(CTA_PROTO_ICMP_CODE, 0);
                        m.be16(CTA_PROTO_ICMP_ID, 4242);
                    } else {
                        m.be16(CTA_PROTO_SRC_PORT, static_cast<std::uint16_t>(1000 + proto));
                        m.be16(CTA_PROTO_DST_PORT, 80);
                    }
                    m.end(p);
                    m.end(t);
                }
                m.be32(CTA_STATUS, 0xe);
                m.be32(CTA_TIMEOUT, proto * 7);
                m.be32(CTA_MARK, proto);
                m.be32(CTA_USE, 1);
                m.be32(CTA_ID, proto * 1000003u);
                compare_flow(Message{m.bytes()}, combos, map_, oracle_map_.get(), diff);
            }
        }
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
    }

    // TCP, SCTP and DCCP states from 0 to 255 (out-of-range ones included).
    void every_state_value_prints_like_libnfct() {
        std::vector<Combo> combos = all_combos();
        Differences diff;
        const std::uint16_t kinds[][2] = {{CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE},
                                          {CTA_PROTOINFO_SCTP, CTA_PROTOINFO_SCTP_STATE},
                                          {CTA_PROTOINFO_DCCP, CTA_PROTOINFO_DCCP_STATE}};
        const std::uint8_t protos[] = {IPPROTO_TCP, IPPROTO_SCTP, IPPROTO_DCCP};
        for (unsigned k = 0; k < 3; ++k) {
            for (unsigned state = 0; state < 256; ++state) {
                RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_MULTI, AF_INET);
                nlattr *t = m.nest(CTA_TUPLE_ORIG);
                nlattr *p = m.nest(CTA_TUPLE_PROTO);
                m.u8(CTA_PROTO_NUM, protos[k]);
                m.end(p);
                m.end(t);
                nlattr *info = m.nest(CTA_PROTOINFO);
                nlattr *n = m.nest(kinds[k][0]);
                m.u8(kinds[k][1], static_cast<std::uint8_t>(state));
                m.end(n);
                m.end(info);
                compare_flow(Message{m.bytes()}, combos, map_, oracle_map_.get(), diff);
            }
        }
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
    }

    // Messages with almost nothing in them: each attribute alone.
    void minimal_messages_print_like_libnfct() {
        std::vector<Combo> combos = all_combos();
        Differences diff;
        for (std::uint8_t family : {std::uint8_t(AF_UNSPEC), std::uint8_t(AF_INET), std::uint8_t(AF_INET6)}) {
            for (int which = 0; which < 16; ++which) {
                RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, family);
                switch (which) {
                case 0:
                    break;  // no attribute at all
                case 1:
                    m.be32(CTA_STATUS, 0);
                    break;
                case 2:
                    m.be32(CTA_TIMEOUT, 0);
                    break;
                case 3:
                    m.be32(CTA_MARK, 0);
                    break;
                case 4:
                    m.be32(CTA_SECMARK, 0);
                    break;
                case 5:
                    m.be16(CTA_ZONE, 0);
                    break;
                case 6:
                    m.be32(CTA_USE, 0);
                    break;
                case 7:
                    m.be32(CTA_ID, 0);
                    break;
                case 8: {
                    std::uint32_t l = 0;
                    m.put(CTA_LABELS, &l, 4);
                    break;
                }
                case 9: {
                    nlattr *n = m.nest(CTA_TIMESTAMP);
                    m.be64(CTA_TIMESTAMP_START, 0);
                    m.end(n);
                    break;
                }
                case 10: {
                    nlattr *n = m.nest(CTA_TIMESTAMP);
                    m.be64(CTA_TIMESTAMP_STOP, 1000000000ull);
                    m.end(n);
                    break;
                }
                case 11: {
                    nlattr *n = m.nest(CTA_SECCTX);
                    m.str(CTA_SECCTX_NAME, "system_u:object_r:x<&>_t");
                    m.end(n);
                    break;
                }
                case 12: {
                    nlattr *n = m.nest(CTA_HELP);
                    m.str(CTA_HELP_NAME, "ftp");
                    m.end(n);
                    break;
                }
                case 13: {
                    nlattr *n = m.nest(CTA_COUNTERS_ORIG);
                    m.be64(CTA_COUNTERS_PACKETS, 1);
                    m.end(n);
                    break;
                }
                case 14: {
                    nlattr *n = m.nest(CTA_COUNTERS_REPLY);
                    m.be64(CTA_COUNTERS_PACKETS, 1);
                    m.be64(CTA_COUNTERS_BYTES, 2);
                    m.end(n);
                    break;
                }
                case 15: {
                    nlattr *t = m.nest(CTA_TUPLE_REPLY);
                    m.be16(CTA_TUPLE_ZONE, 9);
                    m.end(t);
                    break;
                }
                }
                compare_flow(Message{m.bytes()}, combos, map_, oracle_map_.get(), diff);
            }
        }
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
    }

    void synthesized_expectations_print_like_libnfct() {
        MessageGenerator gen(777);
        Differences diff;
        for (int i = 0; i < 1500; ++i)
            compare_expect(gen.expect(), diff);
        CPPUNIT_ASSERT_MESSAGE(diff.report, diff.failures == 0);
        CPPUNIT_ASSERT(diff.compared >= 1500u * 16);
    }

private:
    std::unique_ptr<TempFile> map_file_;
    NfctLabelmap oracle_map_;
    ct::LabelMap map_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(OracleTest);
