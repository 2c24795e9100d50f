// Equality and reset for the conntrack model.
#include "ct/flow.hpp"

namespace ct {

bool Tuple::operator==(const Tuple &o) const {
    if (fields != o.fields || l3proto != o.l3proto)
        return false;
    std::uint8_t family = l3proto;
    if (has(TupleField::Src) && !same_address(src, o.src, family))
        return false;
    if (has(TupleField::Dst) && !same_address(dst, o.dst, family))
        return false;
    if (has(TupleField::L4Proto) && l4proto != o.l4proto)
        return false;
    if (has(TupleField::SrcPort) && sport != o.sport)
        return false;
    if (has(TupleField::DstPort) && dport != o.dport)
        return false;
    if (has(TupleField::IcmpType) && icmp_type != o.icmp_type)
        return false;
    if (has(TupleField::IcmpCode) && icmp_code != o.icmp_code)
        return false;
    if (has(TupleField::IcmpId) && icmp_id != o.icmp_id)
        return false;
    if (has(TupleField::Zone) && zone != o.zone)
        return false;
    return true;
}

bool NatRange::operator==(const NatRange &o) const {
    if (fields != o.fields)
        return false;
    if ((fields & MinIp) && (family != o.family || !same_address(min_ip, o.min_ip, family)))
        return false;
    if ((fields & MaxIp) && (family != o.family || !same_address(max_ip, o.max_ip, family)))
        return false;
    if ((fields & MinPort) && min_port != o.min_port)
        return false;
    if ((fields & MaxPort) && max_port != o.max_port)
        return false;
    return true;
}

void Flow::clear() {
    std::string keep = std::move(secctx);
    keep.clear();
    *this = Flow{};
    secctx = std::move(keep);
}

void Flow::set_helper(const char *name) {
    std::size_t n = std::strlen(name);
    if (n >= sizeof(helper))
        n = sizeof(helper) - 1;
    std::memcpy(helper, name, n);
    helper[n] = '\0';
    set(FlowAttr::Helper);
}

bool Flow::operator==(const Flow &o) const {
    if (present != o.present || family != o.family)
        return false;
#define CT_SAME(attr, expr) \
    if (has(FlowAttr::attr) && !(expr)) \
        return false
    CT_SAME(OrigTuple, orig == o.orig);
    CT_SAME(ReplyTuple, reply == o.reply);
    CT_SAME(MasterTuple, master == o.master);
    CT_SAME(Status, status == o.status);
    CT_SAME(StatusMask, status_mask == o.status_mask);
    CT_SAME(Timeout, timeout == o.timeout);
    CT_SAME(Mark, mark == o.mark);
    CT_SAME(MarkMask, mark_mask == o.mark_mask);
    CT_SAME(Secmark, secmark == o.secmark);
    CT_SAME(Id, id == o.id);
    CT_SAME(Use, use == o.use);
    CT_SAME(Zone, zone == o.zone);
    CT_SAME(TcpState, tcp_state == o.tcp_state);
    CT_SAME(TcpWscaleOrig, tcp_wscale[0] == o.tcp_wscale[0]);
    CT_SAME(TcpWscaleReply, tcp_wscale[1] == o.tcp_wscale[1]);
    CT_SAME(TcpFlagsOrig, tcp_flags[0].flags == o.tcp_flags[0].flags &&
                              tcp_flags[0].mask == o.tcp_flags[0].mask);
    CT_SAME(TcpFlagsReply, tcp_flags[1].flags == o.tcp_flags[1].flags &&
                               tcp_flags[1].mask == o.tcp_flags[1].mask);
    CT_SAME(SctpState, sctp_state == o.sctp_state);
    CT_SAME(SctpVtagOrig, sctp_vtag[0] == o.sctp_vtag[0]);
    CT_SAME(SctpVtagReply, sctp_vtag[1] == o.sctp_vtag[1]);
    CT_SAME(DccpState, dccp_state == o.dccp_state);
    CT_SAME(DccpRole, dccp_role == o.dccp_role);
    CT_SAME(DccpHandshakeSeq, dccp_handshake_seq == o.dccp_handshake_seq);
    CT_SAME(OrigPackets, counters[0].packets == o.counters[0].packets);
    CT_SAME(OrigBytes, counters[0].bytes == o.counters[0].bytes);
    CT_SAME(ReplyPackets, counters[1].packets == o.counters[1].packets);
    CT_SAME(ReplyBytes, counters[1].bytes == o.counters[1].bytes);
    CT_SAME(TimestampStart, timestamp_start == o.timestamp_start);
    CT_SAME(TimestampStop, timestamp_stop == o.timestamp_stop);
    CT_SAME(TimestampEvent, timestamp_event == o.timestamp_event);
    CT_SAME(SeqAdjOrig, seqadj[0].correction_pos == o.seqadj[0].correction_pos &&
                            seqadj[0].offset_before == o.seqadj[0].offset_before &&
                            seqadj[0].offset_after == o.seqadj[0].offset_after);
    CT_SAME(SeqAdjReply, seqadj[1].correction_pos == o.seqadj[1].correction_pos &&
                             seqadj[1].offset_before == o.seqadj[1].offset_before &&
                             seqadj[1].offset_after == o.seqadj[1].offset_after);
    CT_SAME(Helper, std::strcmp(helper, o.helper) == 0);
    CT_SAME(Labels, labels == o.labels);
    CT_SAME(LabelsMask, labels_mask == o.labels_mask);
    CT_SAME(Secctx, secctx == o.secctx);
    CT_SAME(Synproxy, synproxy.isn == o.synproxy.isn && synproxy.its == o.synproxy.its &&
                          synproxy.tsoff == o.synproxy.tsoff);
    CT_SAME(NatSrc, nat_src == o.nat_src);
    CT_SAME(NatDst, nat_dst == o.nat_dst);
#undef CT_SAME
    return true;
}

bool Expect::operator==(const Expect &o) const {
    if (present != o.present || family != o.family)
        return false;
#define CT_SAME(attr, expr) \
    if (has(ExpectAttr::attr) && !(expr)) \
        return false
    CT_SAME(Master, master == o.master);
    CT_SAME(Tuple, tuple == o.tuple);
    CT_SAME(Mask, mask == o.mask);
    CT_SAME(Timeout, timeout == o.timeout);
    CT_SAME(Id, id == o.id);
    CT_SAME(Helper, std::strcmp(helper, o.helper) == 0);
    CT_SAME(Zone, zone == o.zone);
    CT_SAME(Flags, flags == o.flags);
    CT_SAME(Class, expect_class == o.expect_class);
    CT_SAME(NatDir, nat_dir == o.nat_dir);
    CT_SAME(NatTuple, nat_tuple == o.nat_tuple);
    CT_SAME(Fn, std::strcmp(fn, o.fn) == 0);
#undef CT_SAME
    return true;
}

} // namespace ct
