// -o json: JSON Lines, one object per flow, expectation or statistics line.
// The schema is documented in docs/json-schema.md; bump JsonSchemaVersion
// for any change that is not a pure addition.
#include "ct/format_internal.hpp"

namespace ct::detail {

void append_json_string(TextBuffer &out, std::string_view s) {
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            lit(out, "\\\"");
            break;
        case '\\':
            lit(out, "\\\\");
            break;
        case '\n':
            lit(out, "\\n");
            break;
        case '\t':
            lit(out, "\\t");
            break;
        case '\r':
            lit(out, "\\r");
            break;
        default:
            if (c < 0x20) {
                out.appendf("\\u%04x", c);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
}

namespace {

void key(TextBuffer &out, std::string_view name) {
    out.push_back(',');
    out.push_back('"');
    out.append(name);
    out.push_back('"');
    out.push_back(':');
}

void num(TextBuffer &out, std::string_view name, std::uint64_t v) {
    key(out, name);
    out.append_u64(v);
}

void str(TextBuffer &out, std::string_view name, std::string_view v) {
    key(out, name);
    append_json_string(out, v);
}

void address(TextBuffer &out, std::string_view name, const Address &a, std::uint8_t family) {
    key(out, name);
    out.push_back('"');
    append_address(out, a, family);
    out.push_back('"');
}

// A tuple's members, after an opening brace that the caller wrote along
// with a first member.
void tuple_members(TextBuffer &out, const Tuple &t) {
    bool ip = t.l3proto == AF_INET || t.l3proto == AF_INET6;
    if (ip && t.has(TupleField::Src))
        address(out, "src", t.src, t.l3proto);
    if (ip && t.has(TupleField::Dst))
        address(out, "dst", t.dst, t.l3proto);
    if (t.l4proto == IPPROTO_GRE) {
        if (t.has(TupleField::SrcPort))
            num(out, "srckey", t.sport);
        if (t.has(TupleField::DstPort))
            num(out, "dstkey", t.dport);
    } else {
        if (t.has(TupleField::SrcPort))
            num(out, "sport", t.sport);
        if (t.has(TupleField::DstPort))
            num(out, "dport", t.dport);
    }
    if (t.has(TupleField::IcmpType))
        num(out, "type", t.icmp_type);
    if (t.has(TupleField::IcmpCode))
        num(out, "code", t.icmp_code);
    if (t.has(TupleField::IcmpId))
        num(out, "id", t.icmp_id);
    if (t.has(TupleField::Zone))
        num(out, "zone", t.zone);
}

void tuple(TextBuffer &out, std::string_view name, const Tuple &t, const Flow *f, Direction dir) {
    key(out, name);
    lit(out, "{\"protonum\":");
    out.append_u64(t.l4proto);
    tuple_members(out, t);
    if (f) {
        FlowAttr packets = dir == Original ? FlowAttr::OrigPackets : FlowAttr::ReplyPackets;
        FlowAttr bytes = dir == Original ? FlowAttr::OrigBytes : FlowAttr::ReplyBytes;
        if (f->has(packets))
            num(out, "packets", f->counters[dir].packets);
        if (f->has(bytes))
            num(out, "bytes", f->counters[dir].bytes);
    }
    out.push_back('}');
}

void event(TextBuffer &out, MessageType type) {
    switch (type) {
    case MessageType::New:
        str(out, "event", "new");
        break;
    case MessageType::Update:
        str(out, "event", "update");
        break;
    case MessageType::Destroy:
        str(out, "event", "destroy");
        break;
    default:
        break;
    }
}

const struct {
    std::uint32_t bit;
    const char *name;
} kStatusNames[] = {
    {status::Expected, "EXPECTED"},       {status::SeenReply, "SEEN_REPLY"},
    {status::Assured, "ASSURED"},         {status::Confirmed, "CONFIRMED"},
    {status::SrcNat, "SRC_NAT"},          {status::DstNat, "DST_NAT"},
    {status::SeqAdjust, "SEQ_ADJUST"},    {status::SrcNatDone, "SRC_NAT_DONE"},
    {status::DstNatDone, "DST_NAT_DONE"}, {status::Dying, "DYING"},
    {status::FixedTimeout, "FIXED_TIMEOUT"}, {status::Template, "TEMPLATE"},
    {status::NatClash, "NAT_CLASH"},      {status::Helper, "HELPER"},
    {status::Offload, "OFFLOAD"},         {status::HwOffload, "HW_OFFLOAD"},
};

} // namespace

void format_flow_json(TextBuffer &out, const Flow &f, const FormatOptions &o, MessageType type) {
    lit(out, "{\"v\":");
    out.append_u64(JsonSchemaVersion);
    lit(out, ",\"kind\":\"flow\"");
    event(out, type);
    str(out, "family", l3proto_name(f.family));
    str(out, "proto", l4proto_name(f.orig.l4proto));
    num(out, "protonum", f.orig.l4proto);
    if (f.has(FlowAttr::Timeout))
        num(out, "timeout", f.timeout);
    if (f.has(FlowAttr::TcpState))
        str(out, "state", tcp_state_name(f.tcp_state));
    else if (f.has(FlowAttr::SctpState))
        str(out, "state", sctp_state_name(f.sctp_state));
    else if (f.has(FlowAttr::DccpState))
        str(out, "state", dccp_state_name(f.dccp_state));
    if (f.has(FlowAttr::OrigTuple))
        tuple(out, "orig", f.orig, &f, Original);
    if (f.has(FlowAttr::ReplyTuple))
        tuple(out, "reply", f.reply, &f, Reply);
    if (f.has(FlowAttr::MasterTuple))
        tuple(out, "master", f.master, nullptr, Original);
    if (f.has(FlowAttr::Status)) {
        num(out, "status_bits", f.status);
        key(out, "status");
        out.push_back('[');
        bool first = true;
        for (const auto &s : kStatusNames) {
            if (!(f.status & s.bit))
                continue;
            if (!first)
                out.push_back(',');
            first = false;
            out.push_back('"');
            out.append(s.name);
            out.push_back('"');
        }
        out.push_back(']');
    }
    if (f.has(FlowAttr::Mark))
        num(out, "mark", f.mark);
    if (f.has(FlowAttr::Secmark))
        num(out, "secmark", f.secmark);
    if (f.has(FlowAttr::Secctx))
        str(out, "secctx", f.secctx);
    if (f.has(FlowAttr::Zone))
        num(out, "zone", f.zone);
    if (f.has(FlowAttr::Use))
        num(out, "use", f.use);
    if (f.has(FlowAttr::Id))
        num(out, "id", f.id);
    if (f.has(FlowAttr::Helper))
        str(out, "helper", f.helper);
    if (f.has(FlowAttr::TimestampStart))
        num(out, "start_ns", f.timestamp_start);
    if (f.has(FlowAttr::TimestampStop))
        num(out, "stop_ns", f.timestamp_stop);
    if (f.has(FlowAttr::TimestampEvent))
        num(out, "event_ns", f.timestamp_event);
    if (f.has(FlowAttr::Labels)) {
        key(out, "labels");
        out.push_back('[');
        bool first = true;
        for (unsigned bit = 0; bit < Labels::MaxBits; ++bit) {
            if (!f.labels.test(bit))
                continue;
            if (!first)
                out.push_back(',');
            first = false;
            out.append_u64(bit);
        }
        out.push_back(']');
        if (o.labels) {
            key(out, "label_names");
            out.push_back('[');
            first = true;
            for (unsigned bit = 0; bit < Labels::MaxBits; ++bit) {
                if (!f.labels.test(bit) || o.labels->name(bit).empty())
                    continue;
                if (!first)
                    out.push_back(',');
                first = false;
                append_json_string(out, o.labels->name(bit));
            }
            out.push_back(']');
        }
    }
    if (f.has(FlowAttr::TcpWscaleOrig) || f.has(FlowAttr::TcpWscaleReply) ||
        f.has(FlowAttr::TcpFlagsOrig) || f.has(FlowAttr::TcpFlagsReply)) {
        key(out, "tcp");
        lit(out, "{\"state\":");
        out.append_u64(f.tcp_state);
        if (f.has(FlowAttr::TcpWscaleOrig))
            num(out, "wscale_orig", f.tcp_wscale[Original]);
        if (f.has(FlowAttr::TcpWscaleReply))
            num(out, "wscale_reply", f.tcp_wscale[Reply]);
        if (f.has(FlowAttr::TcpFlagsOrig))
            num(out, "flags_orig", f.tcp_flags[Original].flags);
        if (f.has(FlowAttr::TcpFlagsReply))
            num(out, "flags_reply", f.tcp_flags[Reply].flags);
        out.push_back('}');
    }
    if (f.has(FlowAttr::SctpVtagOrig) || f.has(FlowAttr::SctpVtagReply)) {
        key(out, "sctp");
        lit(out, "{\"vtag_orig\":");
        out.append_u64(f.sctp_vtag[Original]);
        num(out, "vtag_reply", f.sctp_vtag[Reply]);
        out.push_back('}');
    }
    if (f.has(FlowAttr::DccpRole) || f.has(FlowAttr::DccpHandshakeSeq)) {
        key(out, "dccp");
        lit(out, "{\"role\":");
        out.append_u64(f.dccp_role);
        num(out, "handshake_seq", f.dccp_handshake_seq);
        out.push_back('}');
    }
    for (unsigned dir = 0; dir < 2; ++dir) {
        if (!f.has(dir == 0 ? FlowAttr::SeqAdjOrig : FlowAttr::SeqAdjReply))
            continue;
        key(out, dir == 0 ? "seqadj_orig" : "seqadj_reply");
        lit(out, "{\"correction_pos\":");
        out.append_u64(f.seqadj[dir].correction_pos);
        num(out, "offset_before", f.seqadj[dir].offset_before);
        num(out, "offset_after", f.seqadj[dir].offset_after);
        out.push_back('}');
    }
    if (f.portid) {
        num(out, "portid", f.portid);
        if (!o.progname.empty())
            str(out, "progname", o.progname);
    }
    out.push_back('}');
}

void format_expect_json(TextBuffer &out, const Expect &e, const FormatOptions &o,
                        MessageType type) {
    lit(out, "{\"v\":");
    out.append_u64(JsonSchemaVersion);
    lit(out, ",\"kind\":\"expect\"");
    event(out, type);
    str(out, "family", l3proto_name(e.family));
    str(out, "proto", l4proto_name(e.tuple.l4proto));
    num(out, "protonum", e.tuple.l4proto);
    if (e.has(ExpectAttr::Timeout))
        num(out, "timeout", e.timeout);
    if (e.has(ExpectAttr::Tuple))
        tuple(out, "tuple", e.tuple, nullptr, Original);
    if (e.has(ExpectAttr::Mask))
        tuple(out, "mask", e.mask, nullptr, Original);
    if (e.has(ExpectAttr::Master))
        tuple(out, "master", e.master, nullptr, Original);
    if (e.has(ExpectAttr::Zone))
        num(out, "zone", e.zone);
    if (e.has(ExpectAttr::Flags)) {
        num(out, "flags_bits", e.flags);
        key(out, "flags");
        out.push_back('[');
        bool first = true;
        const char *names[] = {"PERMANENT", "INACTIVE", "USERSPACE"};
        for (unsigned i = 0; i < 3; ++i) {
            if (!(e.flags & (1u << i)))
                continue;
            if (!first)
                out.push_back(',');
            first = false;
            out.push_back('"');
            out.append(names[i]);
            out.push_back('"');
        }
        out.push_back(']');
    }
    if (e.has(ExpectAttr::Class))
        num(out, "class", e.expect_class);
    if (e.has(ExpectAttr::Helper))
        str(out, "helper", e.helper);
    if (e.has(ExpectAttr::Fn))
        str(out, "fn", e.fn);
    if (e.has(ExpectAttr::NatDir))
        num(out, "nat_dir", e.nat_dir);
    if (e.has(ExpectAttr::NatTuple))
        tuple(out, "nat", e.nat_tuple, nullptr, Original);
    if (e.has(ExpectAttr::Id))
        num(out, "id", e.id);
    if (e.portid) {
        num(out, "portid", e.portid);
        if (!o.progname.empty())
            str(out, "progname", o.progname);
    }
    out.push_back('}');
}

} // namespace ct::detail
