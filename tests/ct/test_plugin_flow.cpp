// ct::Flow <-> struct ctd_flow, including a producer with an older, shorter
// struct.
#include "ct/plugin_flow.hpp"

#include <arpa/inet.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstddef>

class PluginFlowTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginFlowTest);
    CPPUNIT_TEST(flows_survive_the_round_trip);
    CPPUNIT_TEST(shorter_structs_are_read_up_to_their_size);
    CPPUNIT_TEST_SUITE_END();

    static ct::Flow sample() {
        ct::Flow f;
        f.family = AF_INET6;
        for (ct::Tuple *t : {&f.orig, &f.reply}) {
            t->l3proto = AF_INET6;
            t->l4proto = IPPROTO_TCP;
            inet_pton(AF_INET6, t == &f.orig ? "2001:db8::1" : "2001:db8::2", &t->src);
            inet_pton(AF_INET6, t == &f.orig ? "2001:db8::2" : "2001:db8::1", &t->dst);
            t->sport = t == &f.orig ? 1000 : 80;
            t->dport = t == &f.orig ? 80 : 1000;
            for (auto field : {ct::TupleField::Src, ct::TupleField::Dst, ct::TupleField::L4Proto,
                               ct::TupleField::SrcPort, ct::TupleField::DstPort})
                t->set(field);
        }
        f.orig.zone = 3;
        f.orig.set(ct::TupleField::Zone);
        f.set(ct::FlowAttr::OrigTuple);
        f.set(ct::FlowAttr::ReplyTuple);
        f.set_status(0x18e);
        f.set_timeout(431999);
        f.set_mark(0xdeadbeef);
        f.set_zone(9);
        f.secmark = 4;
        f.set(ct::FlowAttr::Secmark);
        f.id = 77;
        f.set(ct::FlowAttr::Id);
        f.use = 2;
        f.set(ct::FlowAttr::Use);
        f.tcp_state = 3;
        f.set(ct::FlowAttr::TcpState);
        f.counters[0] = {5, 500};
        f.counters[1] = {6, 600};
        for (auto a : {ct::FlowAttr::OrigPackets, ct::FlowAttr::OrigBytes, ct::FlowAttr::ReplyPackets,
                       ct::FlowAttr::ReplyBytes})
            f.set(a);
        f.timestamp_start = 1700000000000000000ull;
        f.timestamp_stop = 1700000100000000000ull;
        f.set(ct::FlowAttr::TimestampStart);
        f.set(ct::FlowAttr::TimestampStop);
        f.set_helper("ftp");
        f.labels.set(0);
        f.labels.set(127);
        f.labels.size = 16;
        f.set(ct::FlowAttr::Labels);
        f.secctx = "system_u:object_r:unlabeled_t:s0";
        f.set(ct::FlowAttr::Secctx);
        return f;
    }

public:
    void flows_survive_the_round_trip() {
        ct::Flow f = sample();
        ctd_flow c;
        ct::to_plugin_flow(f, c);
        CPPUNIT_ASSERT_EQUAL(static_cast<std::uint32_t>(sizeof(ctd_flow)), c.size);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{1000}, c.orig.l4.port.sport);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{3}, c.orig_zone);
        CPPUNIT_ASSERT(c.present & CTD_FLOW_ORIG_ZONE);
        CPPUNIT_ASSERT(!(c.present & CTD_FLOW_REPLY_ZONE));
        CPPUNIT_ASSERT_EQUAL(std::string("system_u:object_r:unlabeled_t:s0"), std::string(c.secctx));
        ct::Flow back;
        ct::from_plugin_flow(c, back);
        CPPUNIT_ASSERT(back == f);

        // ICMP keeps type, code and id.
        ct::Flow icmp;
        icmp.family = AF_INET;
        icmp.orig.l3proto = AF_INET;
        icmp.orig.l4proto = IPPROTO_ICMP;
        icmp.orig.icmp_type = 8;
        icmp.orig.icmp_code = 1;
        icmp.orig.icmp_id = 0xabcd;
        for (auto field : {ct::TupleField::Src, ct::TupleField::Dst, ct::TupleField::L4Proto,
                           ct::TupleField::IcmpType, ct::TupleField::IcmpCode, ct::TupleField::IcmpId})
            icmp.orig.set(field);
        icmp.set(ct::FlowAttr::OrigTuple);
        ct::to_plugin_flow(icmp, c);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{0xabcd}, c.orig.l4.icmp.id);
        ct::from_plugin_flow(c, back);
        CPPUNIT_ASSERT(back == icmp);
    }

    void shorter_structs_are_read_up_to_their_size() {
        ct::Flow f = sample();
        ctd_flow c;
        ct::to_plugin_flow(f, c);
        // A producer built before helper, labels and secctx existed.
        c.size = offsetof(ctd_flow, helper);
        ct::Flow back;
        ct::from_plugin_flow(c, back);
        CPPUNIT_ASSERT(!back.has(ct::FlowAttr::Helper));
        CPPUNIT_ASSERT(!back.has(ct::FlowAttr::Labels));
        CPPUNIT_ASSERT(!back.has(ct::FlowAttr::Secctx));
        CPPUNIT_ASSERT(back.has(ct::FlowAttr::TimestampStop));
        CPPUNIT_ASSERT_EQUAL(0xdeadbeefu, back.mark);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginFlowTest);
