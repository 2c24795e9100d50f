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

void xml_address(TextBuffer &out, const Tuple &t, std::uint8_t family) {
    // An unknown family still gets (empty) elements.
    lit(out, "<src>");
    append_address(out, t.src, family);
    lit(out, "</src><dst>");
    append_address(out, t.dst, family);
    lit(out, "</dst>");
}

void xml_l4(TextBuffer &out, const Tuple &t) {
    switch (t.l4proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
    case IPPROTO_DCCP:
        tag_u64(out, "<sport>", shown_sport(t), "</sport>");
        tag_u64(out, "<dport>", shown_dport(t), "</dport>");
        break;
    case IPPROTO_GRE:
        lit(out, "<srckey>0x");
        out.append_hex(shown_sport(t));
        lit(out, "</srckey><dstkey>0x");
        out.append_hex(shown_dport(t));
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
    xml_address(out, t, t.l3proto);
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
    // libnetfilter_conntrack decides on the original counters for both
    // directions (a reply without its own counters prints zeros).
    if (f.has(FlowAttr::OrigPackets) && f.has(FlowAttr::OrigBytes)) {
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
        out.append(tcp_state_or_none(shown_state(f)));
        lit(out, "</state>");
    }
    if (f.has(FlowAttr::SctpState)) {
        lit(out, "<state>");
        out.append(tcp_state_or_none(shown_state(f)));
        lit(out, "</state>");
    }
    if (f.has(FlowAttr::DccpState)) {
        lit(out, "<state>");
        out.append(tcp_state_or_none(shown_state(f)));
        lit(out, "</state>");
    }
    if (f.has(FlowAttr::Timeout))
        tag_u64(out, "<timeout>", f.timeout, "</timeout>");
    if (f.has(FlowAttr::Mark))
        tag_u64(out, "<mark>", f.mark, "</mark>");
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
    if (f.has(FlowAttr::Status) && (f.status & status::Assured))
        lit(out, "<assured/>");
    if (f.has(FlowAttr::Status) && !(f.status & status::SeenReply))
        lit(out, "<unreplied/>");
    bool start = f.has(FlowAttr::TimestampStart);
    bool stop = f.has(FlowAttr::TimestampStop);
    if (o.ktimestamp && (start || stop)) {
        lit(out, "<timestamp>");
        if (start)
            tag_u64(out, "<start>", f.timestamp_start, "</start>");
        if (stop)
            tag_u64(out, "<stop>", f.timestamp_stop, "</stop>");
        lit(out, "</timestamp>");
    }
    if (start) {
        // An ended flow: the difference in nanoseconds (unsigned), then
        // seconds; a live one: now minus the start second.
        std::uint64_t delta;
        if (stop)
            delta = (f.timestamp_stop - f.timestamp_start) / 1000000000ull;
        else
            delta = static_cast<std::uint64_t>(
                now_seconds(o) - static_cast<std::int64_t>(f.timestamp_start / 1000000000ull));
        tag_u64(out, "<deltatime>", delta, "</deltatime>");
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
    if (f.has(FlowAttr::Helper)) {
        lit(out, "<helper>");
        out.append(f.helper);
        lit(out, "</helper>");
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
    std::uint8_t expected_family = shown_family(e, ExpectPart::Expected);
    lit(out, "<layer3 protonum=\"");
    out.append_u64(expected_family);
    lit(out, "\" protoname=\"");
    out.append(l3proto_name(expected_family));
    lit(out, "\">");
    lit(out, "<expected>");
    xml_address(out, e.tuple, expected_family);
    lit(out, "</expected><mask>");
    xml_address(out, e.mask, shown_family(e, ExpectPart::Mask));
    lit(out, "</mask><master>");
    xml_address(out, e.master, shown_family(e, ExpectPart::Master));
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
    lit(out, "<meta>");
    if (e.has(ExpectAttr::Helper)) {
        lit(out, "<helper-name>");
        out.append(e.helper);
        lit(out, "</helper-name>");
    }
    if (e.has(ExpectAttr::Timeout))
        tag_u64(out, "<timeout>", e.timeout, "</timeout>");
    if (e.has(ExpectAttr::Class))
        tag_u64(out, "<class>", e.expect_class, "</class>");
    if (e.has(ExpectAttr::Zone))
        tag_u64(out, "<zone>", e.zone, "</zone>");
    if (o.xml_time) {
        struct tm tm;
        if (local_time(now_seconds(o), tm)) {
            lit(out, "<when>");
            xml_localtime(out, tm);
            lit(out, "</when>");
        }
    }
    if (e.has(ExpectAttr::Flags)) {
        if (e.flags & expect_flag::Permanent)
            lit(out, "<permanent/>");
        if (e.flags & expect_flag::Inactive)
            lit(out, "<inactive/>");
        if (e.flags & expect_flag::Userspace)
            lit(out, "<userspace/>");
    }
    lit(out, "</meta></flow>");
}

} // namespace ct::detail
