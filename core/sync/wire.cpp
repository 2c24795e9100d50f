#include "wire.hpp"

#include <cstring>

namespace ctd::sync {

namespace {

// Conntrack attribute numbers (NTA_*).
enum CtAttr : uint16_t {
    nta_ipv4 = 0,
    nta_ipv6 = 1,
    nta_l4proto = 2,
    nta_port = 3,
    nta_tcp_state = 4,
    nta_status = 5,
    nta_timeout = 6,
    nta_mark = 7,
    nta_master_ipv4 = 8,
    nta_master_ipv6 = 9,
    nta_master_l4proto = 10,
    nta_master_port = 11,
    nta_snat_ipv4 = 12,
    nta_dnat_ipv4 = 13,
    nta_spat_port = 14,
    nta_dpat_port = 15,
    nta_nat_seq_adj = 16,
    nta_sctp_state = 17,
    nta_sctp_vtag_orig = 18,
    nta_sctp_vtag_repl = 19,
    nta_dccp_state = 20,
    nta_dccp_role = 21,
    nta_icmp_type = 22,
    nta_icmp_code = 23,
    nta_icmp_id = 24,
    nta_tcp_wscale_orig = 25,
    nta_tcp_wscale_repl = 26,
    nta_helper_name = 27,
    nta_labels = 28,
    nta_snat_ipv6 = 29,
    nta_dnat_ipv6 = 30,
    nta_synproxy = 31,
    nta_zone = 32,
    nta_count = 33,
};

// Expectation attribute numbers (NTA_EXP_*).
enum ExpAttr : uint16_t {
    exp_master_ipv4 = 0,
    exp_master_ipv6 = 1,
    exp_master_l4proto = 2,
    exp_master_port = 3,
    exp_expect_ipv4 = 4,
    exp_expect_ipv6 = 5,
    exp_expect_l4proto = 6,
    exp_expect_port = 7,
    exp_mask_ipv4 = 8,
    exp_mask_ipv6 = 9,
    exp_mask_l4proto = 10,
    exp_mask_port = 11,
    exp_timeout = 12,
    exp_flags = 13,
    exp_class = 14,
    exp_nat_ipv4 = 15,
    exp_nat_port = 16,
    exp_nat_l4proto = 17,
    exp_nat_dir = 18,
    exp_helper_name = 19,
    exp_fn = 20,
    exp_count = 21,
};

// Attribute length (header included) a type must have: exact (size) or at
// most (max_size).
struct AttrRule {
    uint16_t size;
    uint16_t max_size;
};

constexpr AttrRule ct_rules[nta_count] = {
    {12, 0}, {36, 0}, {5, 0},  {8, 0},  {5, 0},  {8, 0},  {8, 0},  {8, 0},  {12, 0},
    {36, 0}, {5, 0},  {8, 0},  {8, 0},  {8, 0},  {6, 0},  {6, 0},  {28, 0}, {5, 0},
    {8, 0},  {8, 0},  {5, 0},  {5, 0},  {5, 0},  {5, 0},  {6, 0},  {5, 0},  {5, 0},
    {0, 16}, {0, 1028}, {20, 0}, {20, 0}, {16, 0}, {6, 0},
};

constexpr AttrRule exp_rules[exp_count] = {
    {12, 0}, {36, 0}, {5, 0}, {8, 0}, {12, 0}, {36, 0}, {5, 0}, {8, 0},  {12, 0}, {36, 0}, {5, 0},
    {8, 0},  {8, 0},  {8, 0}, {8, 0}, {12, 0}, {8, 0},  {5, 0}, {8, 0},  {0, 16}, {0, 32},
};

constexpr uint16_t attr_header = 4;
constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

void put_be16(uint8_t *p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put_be32(uint8_t *p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
// The reference's NAT ports and ICMP id: the network-order value swapped
// once more on a little-endian host, i.e. the number in little-endian.
void put_le16(uint8_t *p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}
uint16_t get_be16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get_be32(const uint8_t *p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
           static_cast<uint32_t>(p[2]) << 8 | p[3];
}
uint16_t get_le16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

class AttrWriter {
public:
    explicit AttrWriter(uint8_t *out) : out_(out) {}
    // Starts an attribute of `len` data bytes; returns where they go.  The
    // padding up to a multiple of 4 is zeroed.
    uint8_t *add(uint16_t type, std::size_t len) {
        uint8_t *a = out_ + used_;
        put_be16(a, static_cast<uint16_t>(attr_header + len));
        put_be16(a + 2, type);
        std::size_t total = align4(attr_header + len);
        std::memset(a + attr_header, 0, total - attr_header);
        used_ += total;
        return a + attr_header;
    }
    void u8(uint16_t type, uint8_t v) { *add(type, 1) = v; }
    void be16(uint16_t type, uint16_t v) { put_be16(add(type, 2), v); }
    void be32(uint16_t type, uint32_t v) { put_be32(add(type, 4), v); }
    void le16(uint16_t type, uint16_t v) { put_le16(add(type, 2), v); }
    void raw(uint16_t type, const void *data, std::size_t len) { std::memcpy(add(type, len), data, len); }
    std::size_t size() const { return used_; }

private:
    uint8_t *out_;
    std::size_t used_ = 0;
};

bool has_ports(uint8_t proto) {
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
           proto == IPPROTO_SCTP || proto == IPPROTO_DCCP;
}

// The 16-bit value libnetfilter_conntrack keeps at the "source port" and
// "destination port" place of a tuple, whatever the protocol: the ports,
// the ICMP id (source) and type/code (destination), the GRE keys.  The
// reference's NAT port attributes are decided and filled from these.
uint16_t source_view(const ct::Tuple &t) {
    if (t.l4proto == IPPROTO_ICMP || t.l4proto == IPPROTO_ICMPV6)
        return t.icmp_id;
    return t.sport;
}
uint16_t destination_view(const ct::Tuple &t) {
    if (t.l4proto == IPPROTO_ICMP || t.l4proto == IPPROTO_ICMPV6)
        return static_cast<uint16_t>(t.icmp_type << 8 | t.icmp_code);
    return t.dport;
}

void put_addresses(AttrWriter &w, uint16_t v4_type, uint16_t v6_type, const ct::Tuple &t) {
    if (t.l3proto == AF_INET6) {
        uint8_t *p = w.add(v6_type, 32);
        std::memcpy(p, t.src.v6, 16);
        std::memcpy(p + 16, t.dst.v6, 16);
    } else {
        uint8_t *p = w.add(v4_type, 8);
        std::memcpy(p, &t.src.v4, 4);
        std::memcpy(p + 4, &t.dst.v4, 4);
    }
}

void put_ports(AttrWriter &w, uint16_t type, const ct::Tuple &t) {
    uint8_t *p = w.add(type, 4);
    put_be16(p, t.sport);
    put_be16(p + 2, t.dport);
}

void set_tuple_addresses(ct::Tuple &t, uint8_t family, const uint8_t *data) {
    using F = ct::TupleField;
    t.l3proto = family;
    std::size_t n = family == AF_INET6 ? 16 : 4;
    std::memcpy(family == AF_INET6 ? static_cast<void *>(t.src.v6) : &t.src.v4, data, n);
    std::memcpy(family == AF_INET6 ? static_cast<void *>(t.dst.v6) : &t.dst.v4, data + n, n);
    t.set(F::Src);
    t.set(F::Dst);
}

void set_tuple_ports(ct::Tuple &t, const uint8_t *data) {
    t.sport = get_be16(data);
    t.dport = get_be16(data + 2);
    t.set(ct::TupleField::SrcPort);
    t.set(ct::TupleField::DstPort);
}

void set_nat_address(ct::NatRange &nat, uint8_t family, const uint8_t *data) {
    nat.family = family;
    std::memcpy(family == AF_INET6 ? static_cast<void *>(nat.min_ip.v6) : &nat.min_ip.v4, data,
                family == AF_INET6 ? 16 : 4);
    nat.max_ip = nat.min_ip;
    nat.fields |= ct::NatRange::MinIp | ct::NatRange::MaxIp;
}

void set_nat_port(ct::NatRange &nat, uint16_t port) {
    nat.min_port = nat.max_port = port;
    nat.fields |= ct::NatRange::MinPort | ct::NatRange::MaxPort;
}

// Walks the attributes of a payload as the reference does, validating each
// one before `apply` sees it.
template <class Apply>
bool walk(const uint8_t *payload, std::size_t length, const AttrRule *rules, uint16_t count,
          Apply &&apply) {
    long left = static_cast<long>(length);
    const uint8_t *a = payload;
    // A trailing fragment of a header's size or less is not an attribute.
    while (left > static_cast<long>(attr_header)) {
        uint16_t len = get_be16(a);
        uint16_t type = get_be16(a + 2);
        if (len > left || len < attr_header || type >= count)
            return false;
        if (rules[type].size && len != rules[type].size)
            return false;
        if (rules[type].max_size && len > rules[type].max_size)
            return false;
        if (!apply(type, a + attr_header, static_cast<uint16_t>(len - attr_header)))
            return false;
        std::size_t step = align4(len);
        a += step;
        left -= static_cast<long>(step);
    }
    return true;
}

} // namespace

void write_header(const Header &h, uint8_t *out) {
    out[0] = static_cast<uint8_t>(h.version << 4 | (h.type & 0x0f));
    out[1] = h.flags;
    put_be16(out + 2, h.length);
    put_be32(out + 4, h.seq);
    if (h.has_range()) {
        put_be32(out + 8, h.from);
        put_be32(out + 12, h.to);
    }
}

HeaderCheck read_header(const uint8_t *data, std::size_t available, Header &out) {
    if (available < header_size)
        return HeaderCheck::truncated;
    out.version = data[0] >> 4;
    out.type = data[0] & 0x0f;
    out.flags = data[1];
    out.length = get_be16(data + 2);
    out.seq = get_be32(data + 4);
    out.from = out.to = 0;
    if (out.length == 0 || out.length > available)
        return HeaderCheck::bad_size;
    if (out.has_range()) {
        if (available < range_header_size)
            return HeaderCheck::truncated;
        if (out.length < range_header_size)
            return HeaderCheck::bad_size;
        out.from = get_be32(data + 8);
        out.to = get_be32(data + 12);
    } else if (out.length < header_size) {
        return HeaderCheck::bad_size;
    }
    if (out.version != protocol_version)
        return HeaderCheck::wrong_version;
    return HeaderCheck::ok;
}

std::size_t encode_flow(const ct::Flow &flow, const EncodeOptions &options, uint8_t *out) {
    using A = ct::FlowAttr;
    AttrWriter w(out);
    const ct::Tuple &orig = flow.orig;
    put_addresses(w, nta_ipv4, nta_ipv6, orig);
    if (flow.has(A::Status))
        w.be32(nta_status, flow.status);
    if (orig.has(ct::TupleField::L4Proto))
        w.u8(nta_l4proto, orig.l4proto);

    switch (orig.l4proto) {
    case IPPROTO_TCP:
        put_ports(w, nta_port, orig);
        if (flow.has(A::TcpState)) {
            w.u8(nta_tcp_state, flow.tcp_state);
            if (options.tcp_window_tracking) {
                if (flow.has(A::TcpWscaleOrig))
                    w.u8(nta_tcp_wscale_orig, flow.tcp_wscale[0]);
                if (flow.has(A::TcpWscaleReply))
                    w.u8(nta_tcp_wscale_repl, flow.tcp_wscale[1]);
            }
        }
        break;
    case IPPROTO_SCTP:
        put_ports(w, nta_port, orig);
        if (flow.has(A::SctpState)) {
            w.u8(nta_sctp_state, flow.sctp_state);
            w.be32(nta_sctp_vtag_orig, flow.sctp_vtag[0]);
            w.be32(nta_sctp_vtag_repl, flow.sctp_vtag[1]);
        }
        break;
    case IPPROTO_DCCP:
        put_ports(w, nta_port, orig);
        if (flow.has(A::DccpState)) {
            w.u8(nta_dccp_state, flow.dccp_state);
            w.u8(nta_dccp_role, flow.dccp_role);
        }
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        w.u8(nta_icmp_type, orig.icmp_type);
        w.u8(nta_icmp_code, orig.icmp_code);
        w.le16(nta_icmp_id, orig.icmp_id);
        break;
    case IPPROTO_UDP:
        put_ports(w, nta_port, orig);
        break;
    default:
        // udplite, gre and the rest: the reference sends no ports.
        break;
    }

    if (!options.commit_timeout_set && flow.has(A::Timeout))
        w.be32(nta_timeout, flow.timeout);
    if (flow.has(A::Mark))
        w.be32(nta_mark, flow.mark);

    if (flow.has(A::MasterTuple)) {
        const ct::Tuple &m = flow.master;
        put_addresses(w, nta_master_ipv4, nta_master_ipv6, m);
        w.u8(nta_master_l4proto, m.l4proto);
        if (m.has(ct::TupleField::SrcPort) && m.has(ct::TupleField::DstPort))
            put_ports(w, nta_master_port, m);
    }

    if (flow.has(A::ReplyTuple)) {
        const ct::Tuple &reply = flow.reply;
        bool status = flow.has(A::Status);
        bool ipv6 = orig.l3proto == AF_INET6;
        bool src_nat_done = status && (flow.status & ct::status::SrcNatDone);
        bool dst_nat_done = status && (flow.status & ct::status::DstNatDone);
        if (src_nat_done && !ct::same_address(reply.dst, orig.src, orig.l3proto)) {
            if (ipv6)
                w.raw(nta_snat_ipv6, reply.dst.v6, 16);
            else
                w.raw(nta_snat_ipv4, &reply.dst.v4, 4);
        }
        if (dst_nat_done && !ct::same_address(reply.src, orig.dst, orig.l3proto)) {
            if (ipv6)
                w.raw(nta_dnat_ipv6, reply.src.v6, 16);
            else
                w.raw(nta_dnat_ipv4, &reply.src.v4, 4);
        }
        // Port translation is judged on the status bits when there are any
        // (and assumed otherwise), as libnetfilter_conntrack does.
        if ((status ? src_nat_done : true) && destination_view(reply) != source_view(orig))
            w.le16(nta_spat_port, destination_view(reply));
        if ((status ? dst_nat_done : true) && source_view(reply) != destination_view(orig))
            w.le16(nta_dpat_port, source_view(reply));
    }

    if (flow.has(A::SeqAdjOrig) && flow.has(A::SeqAdjReply)) {
        uint8_t *p = w.add(nta_nat_seq_adj, 24);
        const ct::SeqAdj *s = flow.seqadj;
        uint32_t values[6] = {s[0].correction_pos, s[0].offset_before, s[0].offset_after,
                              s[1].correction_pos, s[1].offset_before, s[1].offset_after};
        for (int i = 0; i < 6; ++i)
            put_be32(p + 4 * i, values[i]);
    }
    if (flow.has(A::Helper)) {
        // At most 11 characters fit the reference's 16-byte attribute.
        std::size_t n = strnlen(flow.helper, 11);
        uint8_t *p = w.add(nta_helper_name, n + 1);
        std::memcpy(p, flow.helper, n);
        p[n] = '\0';
    }
    if (flow.has(A::Labels) && flow.labels.any()) {
        std::size_t words = flow.labels.size ? (flow.labels.size + 3) / 4 : 4;
        if (words > 4)
            words = 4;
        uint8_t *p = w.add(nta_labels, words * 4);
        for (std::size_t i = 0; i < words; ++i)
            put_be32(p + 4 * i, flow.labels.words[i]);
    }
    if (flow.has(A::Synproxy)) {
        uint8_t *p = w.add(nta_synproxy, 12);
        put_be32(p, flow.synproxy.its);
        put_be32(p + 4, flow.synproxy.isn);
        put_be32(p + 8, flow.synproxy.tsoff);
    }
    if (flow.has(A::Zone))
        w.be16(nta_zone, flow.zone);
    return w.size();
}

bool decode_flow(const uint8_t *payload, std::size_t length, ct::Flow &out) {
    using A = ct::FlowAttr;
    using F = ct::TupleField;
    out.clear();
    bool have_spat = false, have_dpat = false;
    uint16_t spat = 0, dpat = 0;
    bool ok = walk(payload, length, ct_rules, nta_count, [&](uint16_t type, const uint8_t *d, uint16_t len) {
        switch (type) {
        case nta_ipv4:
        case nta_ipv6:
            out.family = type == nta_ipv4 ? AF_INET : AF_INET6;
            set_tuple_addresses(out.orig, out.family, d);
            out.set(A::OrigTuple);
            break;
        case nta_l4proto:
            out.orig.l4proto = d[0];
            out.orig.set(F::L4Proto);
            break;
        case nta_port:
            set_tuple_ports(out.orig, d);
            break;
        case nta_tcp_state:
            out.tcp_state = d[0];
            out.set(A::TcpState);
            break;
        case nta_status:
            out.set_status(get_be32(d));
            break;
        case nta_timeout:
            out.set_timeout(get_be32(d));
            break;
        case nta_mark:
            out.set_mark(get_be32(d));
            break;
        case nta_master_ipv4:
        case nta_master_ipv6:
            set_tuple_addresses(out.master, type == nta_master_ipv4 ? AF_INET : AF_INET6, d);
            out.set(A::MasterTuple);
            break;
        case nta_master_l4proto:
            out.master.l4proto = d[0];
            out.master.set(F::L4Proto);
            out.set(A::MasterTuple);
            break;
        case nta_master_port:
            set_tuple_ports(out.master, d);
            out.set(A::MasterTuple);
            break;
        case nta_snat_ipv4:
            set_nat_address(out.nat_src, AF_INET, d);
            out.set(A::NatSrc);
            break;
        case nta_dnat_ipv4:
            set_nat_address(out.nat_dst, AF_INET, d);
            out.set(A::NatDst);
            break;
        case nta_snat_ipv6:
            set_nat_address(out.nat_src, AF_INET6, d);
            out.set(A::NatSrc);
            break;
        case nta_dnat_ipv6:
            set_nat_address(out.nat_dst, AF_INET6, d);
            out.set(A::NatDst);
            break;
        case nta_spat_port:
            spat = get_le16(d);
            have_spat = true;
            break;
        case nta_dpat_port:
            dpat = get_le16(d);
            have_dpat = true;
            break;
        case nta_nat_seq_adj:
            for (int dir = 0; dir < 2; ++dir) {
                out.seqadj[dir].correction_pos = get_be32(d + 12 * dir);
                out.seqadj[dir].offset_before = get_be32(d + 12 * dir + 4);
                out.seqadj[dir].offset_after = get_be32(d + 12 * dir + 8);
            }
            out.set(A::SeqAdjOrig);
            out.set(A::SeqAdjReply);
            break;
        case nta_sctp_state:
            out.sctp_state = d[0];
            out.set(A::SctpState);
            break;
        case nta_sctp_vtag_orig:
            out.sctp_vtag[0] = get_be32(d);
            out.set(A::SctpVtagOrig);
            break;
        case nta_sctp_vtag_repl:
            out.sctp_vtag[1] = get_be32(d);
            out.set(A::SctpVtagReply);
            break;
        case nta_dccp_state:
            out.dccp_state = d[0];
            out.set(A::DccpState);
            break;
        case nta_dccp_role:
            out.dccp_role = d[0];
            out.set(A::DccpRole);
            break;
        case nta_icmp_type:
            out.orig.icmp_type = d[0];
            out.orig.set(F::IcmpType);
            break;
        case nta_icmp_code:
            out.orig.icmp_code = d[0];
            out.orig.set(F::IcmpCode);
            break;
        case nta_icmp_id:
            out.orig.icmp_id = get_le16(d);
            out.orig.set(F::IcmpId);
            break;
        case nta_tcp_wscale_orig:
            out.tcp_wscale[0] = d[0];
            out.set(A::TcpWscaleOrig);
            break;
        case nta_tcp_wscale_repl:
            out.tcp_wscale[1] = d[0];
            out.set(A::TcpWscaleReply);
            break;
        case nta_helper_name: {
            std::size_t n = strnlen(reinterpret_cast<const char *>(d), len);
            if (n >= sizeof out.helper)
                n = sizeof out.helper - 1;
            std::memcpy(out.helper, d, n);
            out.helper[n] = '\0';
            out.set(A::Helper);
            break;
        }
        case nta_labels: {
            if (len % 4)
                return false;
            std::size_t words = len / 4;
            for (std::size_t i = 0; i < words && i < 4; ++i)
                out.labels.words[i] = get_be32(d + 4 * i);
            out.labels.size = static_cast<uint8_t>((words < 4 ? words : 4) * 4);
            out.set(A::Labels);
            break;
        }
        case nta_synproxy:
            out.synproxy.its = get_be32(d);
            out.synproxy.isn = get_be32(d + 4);
            out.synproxy.tsoff = get_be32(d + 8);
            out.set(A::Synproxy);
            break;
        case nta_zone:
            out.set_zone(get_be16(d));
            break;
        }
        return true;
    });
    if (!ok || !out.has(A::OrigTuple))
        return false;
    if (out.orig.l3proto == AF_INET6 && out.orig.l4proto == 0 && !out.orig.has(F::L4Proto))
        return false;
    // NAT ports only make sense for protocols with ports; the reference
    // also sends them for ICMP (the id / type-code), which cannot be set up
    // as NAT: they are left out.
    if (has_ports(out.orig.l4proto)) {
        if (have_spat && out.has(A::NatSrc))
            set_nat_port(out.nat_src, spat);
        if (have_dpat && out.has(A::NatDst))
            set_nat_port(out.nat_dst, dpat);
        // Port-only translation (masquerade to the same address keeps the
        // address, PAT changes the port): a NAT range with the port only.
        if (have_spat && !out.has(A::NatSrc)) {
            set_nat_port(out.nat_src, spat);
            out.set(A::NatSrc);
        }
        if (have_dpat && !out.has(A::NatDst)) {
            set_nat_port(out.nat_dst, dpat);
            out.set(A::NatDst);
        }
    }
    return true;
}

std::size_t encode_expect(const ct::Expect &exp, const EncodeOptions &options, uint8_t *out) {
    using E = ct::ExpectAttr;
    AttrWriter w(out);
    bool ports = has_ports(exp.master.l4proto);
    auto group = [&](uint16_t v4, uint16_t v6, uint16_t l4, uint16_t port, const ct::Tuple &t) {
        put_addresses(w, v4, v6, t);
        w.u8(l4, t.l4proto);
        if (ports)
            put_ports(w, port, t);
    };
    group(exp_master_ipv4, exp_master_ipv6, exp_master_l4proto, exp_master_port, exp.master);
    group(exp_expect_ipv4, exp_expect_ipv6, exp_expect_l4proto, exp_expect_port, exp.tuple);
    group(exp_mask_ipv4, exp_mask_ipv6, exp_mask_l4proto, exp_mask_port, exp.mask);
    if (!options.commit_timeout_set && exp.has(E::Timeout))
        w.be32(exp_timeout, exp.timeout);
    w.be32(exp_flags, exp.flags);
    if (exp.has(E::Class))
        w.be32(exp_class, exp.expect_class);
    if (exp.has(E::NatTuple) && exp.nat_tuple.l3proto != AF_INET6) {
        uint8_t *p = w.add(exp_nat_ipv4, 8);
        std::memcpy(p, &exp.nat_tuple.src.v4, 4);
        std::memcpy(p + 4, &exp.nat_tuple.dst.v4, 4);
        w.u8(exp_nat_l4proto, exp.nat_tuple.l4proto);
        put_ports(w, exp_nat_port, exp.nat_tuple);
        w.be32(exp_nat_dir, exp.nat_dir);
    }
    if (exp.has(E::Helper)) {
        std::size_t n = strnlen(exp.helper, 11);
        uint8_t *p = w.add(exp_helper_name, n + 1);
        std::memcpy(p, exp.helper, n);
        p[n] = '\0';
    }
    if (exp.has(E::Fn)) {
        std::size_t n = strnlen(exp.fn, 27);
        uint8_t *p = w.add(exp_fn, n + 1);
        std::memcpy(p, exp.fn, n);
        p[n] = '\0';
    }
    return w.size();
}

bool decode_expect(const uint8_t *payload, std::size_t length, ct::Expect &out) {
    using E = ct::ExpectAttr;
    using F = ct::TupleField;
    out.clear();
    auto tuple_of = [&](uint16_t type) -> ct::Tuple * {
        switch (type / 4) {
        case 0: out.set(E::Master); return &out.master;
        case 1: out.set(E::Tuple); return &out.tuple;
        case 2: out.set(E::Mask); return &out.mask;
        default: return nullptr;
        }
    };
    bool ok = walk(payload, length, exp_rules, exp_count, [&](uint16_t type, const uint8_t *d, uint16_t len) {
        switch (type) {
        case exp_master_ipv4: case exp_expect_ipv4: case exp_mask_ipv4:
            set_tuple_addresses(*tuple_of(type), AF_INET, d);
            out.family = AF_INET;
            break;
        case exp_master_ipv6: case exp_expect_ipv6: case exp_mask_ipv6:
            set_tuple_addresses(*tuple_of(type), AF_INET6, d);
            out.family = AF_INET6;
            break;
        case exp_master_l4proto: case exp_expect_l4proto: case exp_mask_l4proto: {
            ct::Tuple *t = tuple_of(type);
            t->l4proto = d[0];
            t->set(F::L4Proto);
            break;
        }
        case exp_master_port: case exp_expect_port: case exp_mask_port:
            set_tuple_ports(*tuple_of(type), d);
            break;
        case exp_timeout:
            out.timeout = get_be32(d);
            out.set(E::Timeout);
            break;
        case exp_flags:
            out.flags = get_be32(d);
            out.set(E::Flags);
            break;
        case exp_class:
            out.expect_class = get_be32(d);
            out.set(E::Class);
            break;
        case exp_nat_ipv4:
            set_tuple_addresses(out.nat_tuple, AF_INET, d);
            out.set(E::NatTuple);
            break;
        case exp_nat_port:
            set_tuple_ports(out.nat_tuple, d);
            out.set(E::NatTuple);
            break;
        case exp_nat_l4proto:
            out.nat_tuple.l4proto = d[0];
            out.nat_tuple.set(F::L4Proto);
            out.set(E::NatTuple);
            break;
        case exp_nat_dir:
            out.nat_dir = get_be32(d);
            out.set(E::NatDir);
            break;
        case exp_helper_name:
        case exp_fn: {
            char *dest = type == exp_helper_name ? out.helper : out.fn;
            std::size_t cap = type == exp_helper_name ? sizeof out.helper : sizeof out.fn;
            std::size_t n = strnlen(reinterpret_cast<const char *>(d), len);
            if (n >= cap)
                n = cap - 1;
            std::memcpy(dest, d, n);
            dest[n] = '\0';
            out.set(type == exp_helper_name ? E::Helper : E::Fn);
            break;
        }
        }
        return true;
    });
    return ok && out.has(E::Master) && out.has(E::Tuple);
}

bool reverse_tuple(const ct::Tuple &orig, ct::Tuple &reply) {
    using F = ct::TupleField;
    reply = orig;
    reply.src = orig.dst;
    reply.dst = orig.src;
    reply.fields = orig.fields & ~static_cast<uint16_t>(static_cast<uint16_t>(F::SrcPort) |
                                                        static_cast<uint16_t>(F::DstPort));
    if (orig.has(F::SrcPort))
        reply.set(F::DstPort);
    if (orig.has(F::DstPort))
        reply.set(F::SrcPort);
    reply.sport = orig.dport;
    reply.dport = orig.sport;
    if (orig.l4proto == IPPROTO_ICMP || orig.l4proto == IPPROTO_ICMPV6) {
        static constexpr uint8_t icmp_pairs[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13},
                                                   {15, 16}, {16, 15}, {17, 18}, {18, 17}};
        static constexpr uint8_t icmpv6_pairs[][2] = {{128, 129}, {129, 128}, {139, 140}, {140, 139}};
        bool found = false;
        if (orig.l4proto == IPPROTO_ICMP) {
            for (const auto &p : icmp_pairs)
                if (p[0] == orig.icmp_type) {
                    reply.icmp_type = p[1];
                    found = true;
                }
        } else {
            for (const auto &p : icmpv6_pairs)
                if (p[0] == orig.icmp_type) {
                    reply.icmp_type = p[1];
                    found = true;
                }
        }
        return found;
    }
    return true;
}

} // namespace ctd::sync
