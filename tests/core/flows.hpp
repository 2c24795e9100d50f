// Sample flows for the core tests.
#pragma once

#include <arpa/inet.h>

#include "ct/flow.hpp"

namespace sample {

inline ct::Address v4(const char *text) {
    ct::Address a{};
    inet_pton(AF_INET, text, &a.v4);
    return a;
}
inline ct::Address v6(const char *text) {
    ct::Address a{};
    inet_pton(AF_INET6, text, a.v6);
    return a;
}

inline void ports(ct::Tuple &t, uint8_t family, uint8_t proto, ct::Address src, ct::Address dst,
                  uint16_t sport, uint16_t dport) {
    using F = ct::TupleField;
    t = ct::Tuple{};
    t.l3proto = family;
    t.l4proto = proto;
    t.src = src;
    t.dst = dst;
    t.sport = sport;
    t.dport = dport;
    t.set(F::Src);
    t.set(F::Dst);
    t.set(F::L4Proto);
    t.set(F::SrcPort);
    t.set(F::DstPort);
}

// An established TCP flow without NAT.
inline ct::Flow tcp(const char *src = "10.0.0.1", const char *dst = "10.0.0.2",
                    uint16_t sport = 40000, uint16_t dport = 80) {
    ct::Flow f;
    f.family = AF_INET;
    ports(f.orig, AF_INET, IPPROTO_TCP, v4(src), v4(dst), sport, dport);
    ports(f.reply, AF_INET, IPPROTO_TCP, v4(dst), v4(src), dport, sport);
    f.set(ct::FlowAttr::OrigTuple);
    f.set(ct::FlowAttr::ReplyTuple);
    f.set_status(0x0e);
    f.set_timeout(431999);
    f.tcp_state = 3;
    f.set(ct::FlowAttr::TcpState);
    f.set_mark(0);
    f.id = 12345;
    f.set(ct::FlowAttr::Id);
    f.use = 1;
    f.set(ct::FlowAttr::Use);
    return f;
}

// A UDP flow through SNAT (the reply goes to the translated address).
inline ct::Flow udp_snat() {
    ct::Flow f;
    f.family = AF_INET;
    ports(f.orig, AF_INET, IPPROTO_UDP, v4("192.168.1.5"), v4("8.8.8.8"), 5353, 53);
    ports(f.reply, AF_INET, IPPROTO_UDP, v4("8.8.8.8"), v4("203.0.113.1"), 53, 61000);
    f.set(ct::FlowAttr::OrigTuple);
    f.set(ct::FlowAttr::ReplyTuple);
    f.set_status(0x1ba);
    f.set_timeout(30);
    f.set_mark(7);
    f.set_zone(3);
    return f;
}

// An ICMPv6 echo with almost every other attribute.
inline ct::Flow icmpv6_everything() {
    using F = ct::TupleField;
    ct::Flow f;
    f.family = AF_INET6;
    f.orig.l3proto = f.reply.l3proto = AF_INET6;
    f.orig.l4proto = f.reply.l4proto = IPPROTO_ICMPV6;
    f.orig.src = v6("fd00::1");
    f.orig.dst = v6("fd00::2");
    f.reply.src = f.orig.dst;
    f.reply.dst = f.orig.src;
    for (ct::Tuple *t : {&f.orig, &f.reply}) {
        t->set(F::Src);
        t->set(F::Dst);
        t->set(F::L4Proto);
        t->set(F::IcmpType);
        t->set(F::IcmpCode);
        t->set(F::IcmpId);
    }
    f.orig.icmp_type = 128;
    f.reply.icmp_type = 129;
    f.orig.icmp_id = f.reply.icmp_id = 77;
    f.orig.zone = 4;
    f.orig.set(F::Zone);
    f.set(ct::FlowAttr::OrigTuple);
    f.set(ct::FlowAttr::ReplyTuple);
    f.master = f.orig;
    f.set(ct::FlowAttr::MasterTuple);
    f.set_status(0x8);
    f.set_timeout(29);
    f.set_mark(0xffffffff);
    f.secmark = 9;
    f.set(ct::FlowAttr::Secmark);
    f.counters[0] = {3, 300};
    f.counters[1] = {2, 200};
    for (auto a : {ct::FlowAttr::OrigPackets, ct::FlowAttr::OrigBytes, ct::FlowAttr::ReplyPackets,
                   ct::FlowAttr::ReplyBytes})
        f.set(a);
    f.timestamp_start = 1764290000123456789ull;
    f.set(ct::FlowAttr::TimestampStart);
    f.seqadj[0] = {1, 2, 3};
    f.set(ct::FlowAttr::SeqAdjOrig);
    f.seqadj[1] = {4, 5, 6};
    f.set(ct::FlowAttr::SeqAdjReply);
    f.synproxy = {7, 8, 9};
    f.set(ct::FlowAttr::Synproxy);
    f.set_helper("ftp");
    f.labels.set(1);
    f.labels.set(127);
    f.labels.size = 16;
    f.set(ct::FlowAttr::Labels);
    f.secctx = "system_u:object_r:unlabeled_t:s0";
    f.set(ct::FlowAttr::Secctx);
    return f;
}

} // namespace sample
