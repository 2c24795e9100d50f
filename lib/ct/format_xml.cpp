// -o xml: one <flow> (or <expect>) element per line, as
// libnetfilter_conntrack 1.0.9 writes it.
#include "ct/format_internal.hpp"

#include <ctime>

namespace ct::detail {

void append_xml_escaped(TextBuffer &out, std::string_view s) {
    for (char c : s) {
        switch (c) {
        case '&':
            lit(out, "&amp;");
            break;
        case '<':
            lit(out, "&lt;");
            break;
        case '>':
            lit(out, "&gt;");
            break;
        case '"':
            lit(out, "&quot;");
            break;
        case '\'':
            lit(out, "&apos;");
            break;
        default:
            out.push_back(c);
        }
    }
}

namespace {

void tag_u64(TextBuffer &out, std::string_view open, std::uint64_t v, std::string_view close) {
    out.append(open);
    out.append_u64(v);
    out.append(close);
}

void xml_address(TextBuffer &out, const Tuple &t) {
    if (t.l3proto != AF_INET && t.l3proto != AF_INET6)
        return;
    lit(out, "<src>");
    append_address(out, t.src, t.l3proto);
    lit(out, "</src><dst>");
    append_address(out, t.dst, t.l3proto);
    lit(out, "</dst>");
}

void xml_l4(TextBuffer &out, const Tuple &t) {
    switch (t.l4proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
    case IPPROTO_DCCP:
        tag_u64(out, "<sport>", t.sport, "</sport>");
        tag_u64(out, "<dport>", t.dport, "</dport>");
        break;
    case IPPROTO_GRE:
        lit(out, "<srckey>0x");
        out.append_hex(t.sport);
        lit(out, "</srckey><dstkey>0x");
        out.append_hex(t.dport);
        lit(out, "</dstkey>");
        break;
    default:
        break;
    }
}

void xml_layers(TextBuffer &out, const Tuple &t) {
    lit(out, "<layer3 protonum=\"");
    out.append_u64(t.l3proto);
    lit(out, "\" protoname=\"");
    out.append(l3proto_name(t.l3proto));
    lit(out, "\">");
    xml_address(out, t);
    lit(out, "</layer3><layer4 protonum=\"");
    out.append_u64(t.l4proto);
    lit(out, "\" protoname=\"");
    out.append(l4proto_name(t.l4proto));
    lit(out, "\">");
    xml_l4(out, t);
    lit(out, "</layer4>");
}

void xml_direction(TextBuffer &out, const Flow &f, Direction dir) {
    const Tuple &t = dir == Original ? f.orig : f.reply;
    out.append(dir == Original ? "<meta direction=\"original\">" : "<meta direction=\"reply\">");
    xml_layers(out, t);
    if (t.has(TupleField::Zone))
        tag_u64(out, "<zone>", t.zone, "</zone>");
    bool counted = dir == Original
                       ? f.has(FlowAttr::OrigPackets) && f.has(FlowAttr::OrigBytes)
                       : f.has(FlowAttr::ReplyPackets) && f.has(FlowAttr::ReplyBytes);
    if (counted) {
        tag_u64(out, "<counters><packets>", f.counters[dir].packets, "</packets>");
        tag_u64(out, "<bytes>", f.counters[dir].bytes, "</bytes></counters>");
    }
    lit(out, "</meta>");
}

void xml_localtime(TextBuffer &out, const struct tm &tm) {
    out.appendf("<hour>%d</hour><min>%02d</min><sec>%02d</sec><wday>%d</wday>"
                "<day>%d</day><month>%d</month><year>%d</year>",
                tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday + 1, tm.tm_mday,
                tm.tm_mon + 1, 1900 + tm.tm_year);
}

} // namespace

void format_flow_xml(TextBuffer &out, const Flow &f, const FormatOptions &o, MessageType type) {
    switch (type) {
    case MessageType::New:
        lit(out, "<flow type=\"new\">");
        break;
    case MessageType::Update:
        lit(out, "<flow type=\"update\">");
        break;
    case MessageType::Destroy:
        lit(out, "<flow type=\"destroy\">");
        break;
    default:
        lit(out, "<flow>");
        break;
    }
    xml_direction(out, f, Original);
    xml_direction(out, f, Reply);

    bool independent =
        f.has(FlowAttr::TcpState) || f.has(FlowAttr::SctpState) || f.has(FlowAttr::DccpState) ||
        f.has(FlowAttr::Timeout) || f.has(FlowAttr::Mark) || f.has(FlowAttr::Secmark) ||
        f.has(FlowAttr::Zone) || f.has(FlowAttr::Use) || f.has(FlowAttr::Status) ||
        f.has(FlowAttr::Id) || f.has(FlowAttr::Labels) || f.has(FlowAttr::TimestampStart) ||
        f.has(FlowAttr::TimestampStop);
    if (independent)
        lit(out, "<meta direction=\"independent\">");
    // libnetfilter_conntrack names SCTP and DCCP states from the TCP table.
    if (f.has(FlowAttr::TcpState)) {
        lit(out, "<state>");
        out.append(tcp_state_or_none(f.tcp_state));
        lit(out, "</state>");
    }
    if (f.has(FlowAttr::SctpState)) {
        lit(out, "<state>");
        out.append(tcp_state_or_none(f.sctp_state));
        lit(out, "</state>");
    }
    if (f.has(FlowAttr::DccpState)) {
        lit(out, "<state>");
        out.append(tcp_state_or_none(f.dccp_state));
        lit(out, "</state>");
    }
    if (f.has(FlowAttr::Timeout))
        tag_u64(out, "<timeout>", f.timeout, "</timeout>");
    if (f.has(FlowAttr::Mark))
        tag_u64(out, "<mark>", f.mark, "</mark>");
    if (f.has(FlowAttr::Secmark))
        tag_u64(out, "<secmark>", f.secmark, "</secmark>");
    if (f.has(FlowAttr::Secctx)) {
        lit(out, "<secctx>");
        out.append(f.secctx);
        lit(out, "</secctx>");
    }
    if (f.has(FlowAttr::Zone))
        tag_u64(out, "<zone>", f.zone, "</zone>");
    if (f.has(FlowAttr::Use))
        tag_u64(out, "<use>", f.use, "</use>");
    if (f.has(FlowAttr::Id))
        tag_u64(out, "<id>", f.id, "</id>");
    if (f.has(FlowAttr::Labels) && o.labels) {
        lit(out, "<labels>");
        for (unsigned bit = 0; bit < Labels::MaxBits; ++bit) {
            if (!f.labels.test(bit))
                continue;
            std::string_view name = o.labels->name(bit);
            if (name.empty())
                continue;
            lit(out, "<label>");
            out.append(name);
            lit(out, "</label>");
        }
        lit(out, "</labels>");
    }
    if (f.has(FlowAttr::Status) && (f.status & status::Assured))
        lit(out, "<assured/>");
    if (f.has(FlowAttr::Status) && !(f.status & status::SeenReply))
        lit(out, "<unreplied/>");
    bool start = f.has(FlowAttr::TimestampStart);
    bool stop = f.has(FlowAttr::TimestampStop);
    if (start || stop) {
        lit(out, "<timestamp>");
        if (start)
            tag_u64(out, "<start>", f.timestamp_start, "</start>");
        if (stop)
            tag_u64(out, "<stop>", f.timestamp_stop, "</stop>");
        lit(out, "</timestamp>");
    }
    if (start) {
        std::int64_t end = stop ? static_cast<std::int64_t>(f.timestamp_stop / 1000000000ull)
                                : now_seconds(o);
        std::int64_t delta = end - static_cast<std::int64_t>(f.timestamp_start / 1000000000ull);
        tag_u64(out, "<deltatime>", static_cast<std::uint64_t>(delta), "</deltatime>");
    }
    if (independent)
        lit(out, "</meta>");
    if (o.xml_time) {
        struct tm tm;
        if (local_time(now_seconds(o), tm)) {
            lit(out, "<when>");
            xml_localtime(out, tm);
            lit(out, "</when>");
        }
    }
    lit(out, "</flow>");
}

void format_expect_xml(TextBuffer &out, const Expect &e, const FormatOptions &o, MessageType type) {
    switch (type) {
    case MessageType::New:
        lit(out, "<flow type=\"new\">");
        break;
    case MessageType::Update:
        lit(out, "<flow type=\"update\">");
        break;
    case MessageType::Destroy:
        lit(out, "<flow type=\"destroy\">");
        break;
    default:
        lit(out, "<flow>");
        break;
    }
    lit(out, "<layer3 protonum=\"");
    out.append_u64(e.tuple.l3proto);
    lit(out, "\" protoname=\"");
    out.append(l3proto_name(e.tuple.l3proto));
    lit(out, "\">");
    lit(out, "<expected>");
    xml_address(out, e.tuple);
    lit(out, "</expected><mask>");
    xml_address(out, e.mask);
    lit(out, "</mask><master>");
    xml_address(out, e.master);
    lit(out, "</master></layer3>");
    lit(out, "<layer4 protonum=\"");
    out.append_u64(e.tuple.l4proto);
    lit(out, "\" protoname=\"");
    out.append(l4proto_name(e.tuple.l4proto));
    lit(out, "\">");
    lit(out, "<expected>");
    xml_l4(out, e.tuple);
    lit(out, "</expected><mask>");
    xml_l4(out, e.mask);
    lit(out, "</mask><master>");
    xml_l4(out, e.master);
    lit(out, "</master></layer4>");
    if (e.has(ExpectAttr::Timeout))
        tag_u64(out, "<timeout>", e.timeout, "</timeout>");
    if (e.has(ExpectAttr::Zone))
        tag_u64(out, "<zone>", e.zone, "</zone>");
    if (e.has(ExpectAttr::Helper)) {
        lit(out, "<helper>");
        out.append(e.helper);
        lit(out, "</helper>");
    }
    if (o.xml_time) {
        struct tm tm;
        if (local_time(now_seconds(o), tm)) {
            lit(out, "<when>");
            xml_localtime(out, tm);
            lit(out, "</when>");
        }
    }
    lit(out, "</flow>");
}

} // namespace ct::detail
