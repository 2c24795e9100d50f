// The codec without the kernel: strict parsing (truncated, malformed and
// fuzzed input is rejected without reading out of bounds), unknown
// attributes ignored, and build -> parse round trips.
#include "compare.hpp"
#include "random_messages.hpp"

#include "ct/codec.hpp"

#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <random>

using namespace cttest;

namespace {

// A copy of a message that ends exactly where a page without access rights
// begins: any read past the message's end faults.
class GuardedCopy {
public:
    explicit GuardedCopy(const unsigned char *data, std::size_t len) {
        long page = sysconf(_SC_PAGESIZE);
        pages_ = static_cast<std::size_t>((len + page - 1) / page + 1) * page;
        base_ = static_cast<unsigned char *>(
            mmap(nullptr, pages_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (base_ == MAP_FAILED)
            throw std::runtime_error("mmap failed");
        mprotect(base_ + pages_ - page, page, PROT_NONE);
        // Netlink headers want 4-byte alignment: pad the length up.
        std::size_t room = (len + 3) & ~std::size_t{3};
        start_ = base_ + pages_ - page - room;
        std::memcpy(start_, data, len);
    }
    ~GuardedCopy() { munmap(base_, pages_); }
    GuardedCopy(const GuardedCopy &) = delete;
    GuardedCopy &operator=(const GuardedCopy &) = delete;
    nlmsghdr *header() { return reinterpret_cast<nlmsghdr *>(start_); }

private:
    unsigned char *base_;
    unsigned char *start_;
    std::size_t pages_;
};

ct::ParseResult parse_guarded(const std::vector<unsigned char> &bytes, std::size_t len) {
    GuardedCopy copy(bytes.data(), len);
    copy.header()->nlmsg_len = static_cast<std::uint32_t>(len);
    ct::Flow f;
    return ct::parse_flow(copy.header(), f);
}

// The offsets where top-level attributes start, and the end of each.
std::vector<std::pair<std::size_t, std::size_t>> top_attributes(const Message &m) {
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    while (off + 4 <= m.bytes.size()) {
        std::uint16_t len;
        std::memcpy(&len, &m.bytes[off], 2);
        spans.push_back({off, off + len});
        off += NLA_ALIGN(len);
    }
    return spans;
}

// A random flow the builder can express, with consistent fields.
ct::Flow random_flow(MessageGenerator &g) {
    ct::Flow f;
    f.family = g.chance(0.5) ? AF_INET : AF_INET6;
    const std::uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP,
                                   IPPROTO_ICMPV6, IPPROTO_GRE, 99};
    std::uint8_t proto = protos[g.below(sizeof(protos))];
    auto tuple = [&](ct::Tuple &t) {
        t.l3proto = f.family;
        t.l4proto = proto;
        t.set(ct::TupleField::L4Proto);
        if (g.chance(0.9)) {
            t.set(ct::TupleField::Src);
            t.set(ct::TupleField::Dst);
            for (int i = 0; i < 4; ++i) {
                t.src.v6w[i] = static_cast<std::uint32_t>(g.u64());
                t.dst.v6w[i] = static_cast<std::uint32_t>(g.u64());
            }
            if (f.family == AF_INET) {
                std::memset(t.src.v6 + 4, 0, 12);
                std::memset(t.dst.v6 + 4, 0, 12);
            }
        }
        if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
            t.icmp_type = static_cast<std::uint8_t>(g.edgy(255));
            t.icmp_code = static_cast<std::uint8_t>(g.edgy(255));
            t.icmp_id = static_cast<std::uint16_t>(g.edgy(65535));
            t.set(ct::TupleField::IcmpType);
            t.set(ct::TupleField::IcmpCode);
            t.set(ct::TupleField::IcmpId);
        } else if (proto != 99) {
            t.sport = static_cast<std::uint16_t>(g.edgy(65535));
            t.dport = static_cast<std::uint16_t>(g.edgy(65535));
            t.set(ct::TupleField::SrcPort);
            t.set(ct::TupleField::DstPort);
        }
        if (g.chance(0.2)) {
            t.zone = static_cast<std::uint16_t>(g.edgy(65535));
            t.set(ct::TupleField::Zone);
        }
    };
    tuple(f.orig);
    f.set(ct::FlowAttr::OrigTuple);
    if (g.chance(0.8)) {
        tuple(f.reply);
        f.set(ct::FlowAttr::ReplyTuple);
    }
    if (g.chance(0.1)) {
        tuple(f.master);
        f.set(ct::FlowAttr::MasterTuple);
    }
    if (g.chance(0.8))
        f.set_status(static_cast<std::uint32_t>(g.edgy(UINT32_MAX)));
    if (g.chance(0.3)) {
        f.status_mask = static_cast<std::uint32_t>(g.u64());
        f.set(ct::FlowAttr::StatusMask);
    }
    if (g.chance(0.8))
        f.set_timeout(static_cast<std::uint32_t>(g.edgy(UINT32_MAX)));
    if (g.chance(0.5))
        f.set_mark(static_cast<std::uint32_t>(g.edgy(UINT32_MAX)));
    if (g.chance(0.3)) {
        f.mark_mask = static_cast<std::uint32_t>(g.u64());
        f.set(ct::FlowAttr::MarkMask);
    }
    if (g.chance(0.3)) {
        f.id = static_cast<std::uint32_t>(g.u64());
        f.set(ct::FlowAttr::Id);
    }
    if (g.chance(0.3))
        f.set_zone(static_cast<std::uint16_t>(g.edgy(65535)));
    if (proto == IPPROTO_TCP) {
        f.tcp_state = static_cast<std::uint8_t>(g.below(10));
        f.set(ct::FlowAttr::TcpState);
        if (g.chance(0.5)) {
            f.tcp_wscale[0] = static_cast<std::uint8_t>(g.below(15));
            f.tcp_wscale[1] = static_cast<std::uint8_t>(g.below(15));
            f.set(ct::FlowAttr::TcpWscaleOrig);
            f.set(ct::FlowAttr::TcpWscaleReply);
            f.tcp_flags[0] = {static_cast<std::uint8_t>(g.below(256)), static_cast<std::uint8_t>(g.below(256))};
            f.tcp_flags[1] = {static_cast<std::uint8_t>(g.below(256)), static_cast<std::uint8_t>(g.below(256))};
            f.set(ct::FlowAttr::TcpFlagsOrig);
            f.set(ct::FlowAttr::TcpFlagsReply);
        }
    }
    if (proto == IPPROTO_SCTP) {
        f.sctp_state = static_cast<std::uint8_t>(g.below(10));
        f.sctp_vtag[0] = static_cast<std::uint32_t>(g.u64());
        f.sctp_vtag[1] = static_cast<std::uint32_t>(g.u64());
        f.set(ct::FlowAttr::SctpState);
        f.set(ct::FlowAttr::SctpVtagOrig);
        f.set(ct::FlowAttr::SctpVtagReply);
    }
    if (g.chance(0.1)) {
        f.dccp_state = static_cast<std::uint8_t>(g.below(10));
        f.dccp_role = static_cast<std::uint8_t>(g.below(2));
        f.dccp_handshake_seq = g.u64();
        f.set(ct::FlowAttr::DccpState);
        f.set(ct::FlowAttr::DccpRole);
        f.set(ct::FlowAttr::DccpHandshakeSeq);
    }
    if (g.chance(0.3))
        f.set_helper(g.chance(0.5) ? "ftp" : "fifteen-chars-x");
    if (g.chance(0.3)) {
        f.labels.size = 16;
        for (auto &w : f.labels.words)
            w = static_cast<std::uint32_t>(g.u64());
        f.set(ct::FlowAttr::Labels);
        if (g.chance(0.5)) {
            f.labels_mask.size = 16;
            for (auto &w : f.labels_mask.words)
                w = static_cast<std::uint32_t>(g.u64());
            f.set(ct::FlowAttr::LabelsMask);
        }
    }
    for (unsigned dir = 0; dir < 2; ++dir) {
        if (!g.chance(0.2))
            continue;
        f.seqadj[dir] = {static_cast<std::uint32_t>(g.u64()), static_cast<std::uint32_t>(g.u64()),
                         static_cast<std::uint32_t>(g.u64())};
        f.set(dir ? ct::FlowAttr::SeqAdjReply : ct::FlowAttr::SeqAdjOrig);
    }
    if (g.chance(0.2)) {
        f.synproxy = {static_cast<std::uint32_t>(g.u64()), static_cast<std::uint32_t>(g.u64()),
                      static_cast<std::uint32_t>(g.u64())};
        f.set(ct::FlowAttr::Synproxy);
    }
    for (ct::NatRange *n : {&f.nat_src, &f.nat_dst}) {
        if (!g.chance(0.2))
            continue;
        n->family = f.family;
        n->fields = static_cast<std::uint8_t>(1 + g.below(15));
        for (int i = 0; i < 4; ++i) {
            n->min_ip.v6w[i] = static_cast<std::uint32_t>(g.u64());
            n->max_ip.v6w[i] = static_cast<std::uint32_t>(g.u64());
        }
        n->min_port = static_cast<std::uint16_t>(g.u64());
        n->max_port = static_cast<std::uint16_t>(g.u64());
        f.set(n == &f.nat_src ? ct::FlowAttr::NatSrc : ct::FlowAttr::NatDst);
    }
    return f;
}

} // namespace

class CodecTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CodecTest);
    CPPUNIT_TEST(truncated_messages_are_rejected);
    CPPUNIT_TEST(wrong_attribute_sizes_are_rejected);
    CPPUNIT_TEST(overlong_nested_lengths_are_rejected);
    CPPUNIT_TEST(fuzzed_messages_never_read_out_of_bounds);
    CPPUNIT_TEST(unknown_attributes_are_ignored);
    CPPUNIT_TEST(wrong_subsystem_is_rejected);
    CPPUNIT_TEST(message_types_follow_libnfct);
    CPPUNIT_TEST(built_flows_parse_back_unchanged);
    CPPUNIT_TEST(built_expectations_parse_back_unchanged);
    CPPUNIT_TEST(builders_fail_cleanly_on_small_buffers);
    CPPUNIT_TEST(dump_filter_carries_what_the_kernel_filters);
    CPPUNIT_TEST_SUITE_END();

public:
    void truncated_messages_are_rejected() {
        MessageGenerator gen(99);
        unsigned rejected = 0;
        for (int i = 0; i < 300; ++i) {
            Message m = gen.flow();
            CPPUNIT_ASSERT(parse_guarded(m.bytes, m.bytes.size()) == ct::ParseResult::Ok);
            auto spans = top_attributes(m);
            // Every length from a bare netlink header up (the caller of
            // parse_flow guarantees that much, as mnl_nlmsg_ok does).
            for (std::size_t len = NLMSG_HDRLEN; len < m.bytes.size(); ++len) {
                ct::ParseResult r = parse_guarded(m.bytes, len);
                if (len < NLMSG_HDRLEN + sizeof(nfgenmsg)) {
                    CPPUNIT_ASSERT(r == ct::ParseResult::Truncated);
                    ++rejected;
                    continue;
                }
                // A cut inside an attribute whose header is complete must be
                // noticed; a cut between attributes leaves a shorter message.
                for (auto [start, end] : spans) {
                    if (len >= start + 4 && len < end) {
                        CPPUNIT_ASSERT_MESSAGE("cut at " + std::to_string(len) + " of " + hex(m),
                                               r == ct::ParseResult::Truncated);
                        ++rejected;
                    }
                }
            }
        }
        CPPUNIT_ASSERT(rejected > 10000);
    }

    void wrong_attribute_sizes_are_rejected() {
        struct Case {
            const char *what;
            std::function<void(RawMessage &)> put;
        };
        auto in_tuple = [](auto body) {
            return [body](RawMessage &m) {
                nlattr *t = m.nest(CTA_TUPLE_ORIG);
                body(m);
                m.end(t);
            };
        };
        std::vector<Case> cases = {
            {"status of 2 bytes", [](RawMessage &m) { m.be16(CTA_STATUS, 1); }},
            {"timeout of 8 bytes", [](RawMessage &m) { m.be64(CTA_TIMEOUT, 1); }},
            {"mark of 1 byte", [](RawMessage &m) { m.u8(CTA_MARK, 1); }},
            {"zone of 4 bytes", [](RawMessage &m) { m.be32(CTA_ZONE, 1); }},
            {"id of 2 bytes", [](RawMessage &m) { m.be16(CTA_ID, 1); }},
            {"use of 8 bytes", [](RawMessage &m) { m.be64(CTA_USE, 1); }},
            {"labels of 3 bytes", [](RawMessage &m) { m.put(CTA_LABELS, "abc", 3); }},
            {"empty labels", [](RawMessage &m) { m.put(CTA_LABELS, "", 0); }},
            {"IPv4 source of 16 bytes", in_tuple([](RawMessage &m) {
                 nlattr *ip = m.nest(CTA_TUPLE_IP);
                 unsigned char a[16] = {};
                 m.put(CTA_IP_V4_SRC, a, 16);
                 m.end(ip);
             })},
            {"IPv6 source of 4 bytes", in_tuple([](RawMessage &m) {
                 nlattr *ip = m.nest(CTA_TUPLE_IP);
                 m.be32(CTA_IP_V6_SRC, 1);
                 m.end(ip);
             })},
            {"protocol number of 2 bytes", in_tuple([](RawMessage &m) {
                 nlattr *p = m.nest(CTA_TUPLE_PROTO);
                 m.be16(CTA_PROTO_NUM, 6);
                 m.end(p);
             })},
            {"port of 4 bytes", in_tuple([](RawMessage &m) {
                 nlattr *p = m.nest(CTA_TUPLE_PROTO);
                 m.be32(CTA_PROTO_SRC_PORT, 6);
                 m.end(p);
             })},
            {"tuple zone of 1 byte", in_tuple([](RawMessage &m) { m.u8(CTA_TUPLE_ZONE, 1); })},
            {"counter of 2 bytes",
             [](RawMessage &m) {
                 nlattr *n = m.nest(CTA_COUNTERS_ORIG);
                 m.be16(CTA_COUNTERS_PACKETS, 1);
                 m.end(n);
             }},
            {"TCP flags of 3 bytes",
             [](RawMessage &m) {
                 nlattr *i = m.nest(CTA_PROTOINFO);
                 nlattr *t = m.nest(CTA_PROTOINFO_TCP);
                 m.put(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, "abc", 3);
                 m.end(t);
                 m.end(i);
             }},
            {"helper name without NUL",
             [](RawMessage &m) {
                 nlattr *h = m.nest(CTA_HELP);
                 m.put(CTA_HELP_NAME, "ftp", 3);
                 m.end(h);
             }},
            {"helper name of 16 characters",
             [](RawMessage &m) {
                 nlattr *h = m.nest(CTA_HELP);
                 m.str(CTA_HELP_NAME, "sixteen-chars-xx");
                 m.end(h);
             }},
            {"timestamp of 4 bytes",
             [](RawMessage &m) {
                 nlattr *n = m.nest(CTA_TIMESTAMP);
                 m.be32(CTA_TIMESTAMP_START, 1);
                 m.end(n);
             }},
        };
        for (const Case &c : cases) {
            RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, AF_INET);
            c.put(m);
            Message msg{m.bytes()};
            CPPUNIT_ASSERT_MESSAGE(c.what, parse_guarded(msg.bytes, msg.bytes.size()) ==
                                               ct::ParseResult::Malformed);
        }
    }

    void overlong_nested_lengths_are_rejected() {
        RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, AF_INET);
        nlattr *t = m.nest(CTA_TUPLE_ORIG);
        nlattr *p = m.nest(CTA_TUPLE_PROTO);
        m.u8(CTA_PROTO_NUM, 6);
        m.end(p);
        m.end(t);
        m.be32(CTA_MARK, 5);
        Message msg{m.bytes()};
        // The inner attribute claims more than its nest holds.
        std::size_t proto_num = NLMSG_HDRLEN + 4 + 4 + 4;
        std::uint16_t big = 40;
        std::memcpy(&msg.bytes[proto_num], &big, 2);
        CPPUNIT_ASSERT(parse_guarded(msg.bytes, msg.bytes.size()) == ct::ParseResult::Truncated);
        // A length below the attribute header's size.
        std::uint16_t tiny = 2;
        std::memcpy(&msg.bytes[proto_num], &tiny, 2);
        CPPUNIT_ASSERT(parse_guarded(msg.bytes, msg.bytes.size()) == ct::ParseResult::Truncated);
    }

    void fuzzed_messages_never_read_out_of_bounds() {
        MessageGenerator gen(4242);
        std::mt19937 rng(17);
        unsigned outcomes[4] = {};
        for (int i = 0; i < 20000; ++i) {
            Message m = (i % 5 == 0) ? gen.expect() : gen.flow();
            int flips = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < flips; ++k) {
                std::size_t at = NLMSG_HDRLEN + rng() % (m.bytes.size() - NLMSG_HDRLEN);
                m.bytes[at] = static_cast<unsigned char>(rng());
            }
            GuardedCopy copy(m.bytes.data(), m.bytes.size());
            ct::Flow f;
            ct::Expect e;
            outcomes[static_cast<int>(ct::parse_flow(copy.header(), f))]++;
            ct::parse_expect(copy.header(), e);
        }
        // Both accepted and rejected inputs occurred (and nothing faulted).
        CPPUNIT_ASSERT(outcomes[0] > 0);
        CPPUNIT_ASSERT(outcomes[1] + outcomes[2] > 0);
    }

    void unknown_attributes_are_ignored() {
        auto make = [](bool extra) {
            RawMessage m(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, AF_INET6);
            nlattr *t = m.nest(CTA_TUPLE_ORIG);
            nlattr *p = m.nest(CTA_TUPLE_PROTO);
            m.u8(CTA_PROTO_NUM, 17);
            if (extra)
                m.be64(30, 7);  // unknown inside a nest
            m.be16(CTA_PROTO_SRC_PORT, 53);
            m.end(p);
            if (extra)
                m.put(9, "xyz", 3);
            m.end(t);
            if (extra) {
                m.be32(60, 1);
                nlattr *n = m.nest(61);
                m.be32(1, 2);
                m.end(n);
            }
            m.be32(CTA_MARK, 9);
            return Message{m.bytes()};
        };
        ct::Flow plain, extended;
        CPPUNIT_ASSERT(ct::parse_flow(make(false).header(), plain) == ct::ParseResult::Ok);
        Message with = make(true);
        CPPUNIT_ASSERT(ct::parse_flow(with.header(), extended) == ct::ParseResult::Ok);
        CPPUNIT_ASSERT(plain == extended);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{53}, extended.orig.sport);
        CPPUNIT_ASSERT_EQUAL(9u, extended.mark);
    }

    void wrong_subsystem_is_rejected() {
        MessageGenerator gen(5);
        Message flow = gen.flow();
        Message exp = gen.expect();
        ct::Flow f;
        ct::Expect e;
        CPPUNIT_ASSERT(ct::parse_expect(flow.header(), e) == ct::ParseResult::WrongMessage);
        CPPUNIT_ASSERT(ct::parse_flow(exp.header(), f) == ct::ParseResult::WrongMessage);
    }

    void message_types_follow_libnfct() {
        auto type = [](std::uint8_t msg, std::uint16_t flags, std::uint32_t seq) {
            RawMessage m(NFNL_SUBSYS_CTNETLINK, msg, flags, AF_INET, seq);
            ct::Flow f;
            CPPUNIT_ASSERT(ct::parse_flow(m.header(), f) == ct::ParseResult::Ok);
            return f.type;
        };
        CPPUNIT_ASSERT(type(IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, 0) == ct::MessageType::New);
        CPPUNIT_ASSERT(type(IPCTNL_MSG_CT_NEW, NLM_F_CREATE, 0) == ct::MessageType::New);
        CPPUNIT_ASSERT(type(IPCTNL_MSG_CT_NEW, 0, 0) == ct::MessageType::Update);
        CPPUNIT_ASSERT(type(IPCTNL_MSG_CT_DELETE, 0, 0) == ct::MessageType::Destroy);
        CPPUNIT_ASSERT(type(IPCTNL_MSG_CT_NEW, NLM_F_MULTI, 7) == ct::MessageType::Unknown);
        CPPUNIT_ASSERT(type(IPCTNL_MSG_CT_NEW, 0, 12345) == ct::MessageType::Unknown);
    }

    void built_flows_parse_back_unchanged() {
        MessageGenerator gen(31337);
        unsigned char buf[ct::MaxRequestSize];
        for (int i = 0; i < 5000; ++i) {
            ct::Flow f = random_flow(gen);
            nlmsghdr *nlh = ct::build_flow(buf, sizeof(buf), ct::msg::CtNew,
                                           NLM_F_CREATE | NLM_F_EXCL, 1, f);
            CPPUNIT_ASSERT(nlh != nullptr);
            ct::Flow back;
            CPPUNIT_ASSERT(ct::parse_flow(nlh, back) == ct::ParseResult::Ok);
            CPPUNIT_ASSERT_MESSAGE("flow " + std::to_string(i), back == f);
        }
    }

    void built_expectations_parse_back_unchanged() {
        MessageGenerator gen(2718);
        unsigned char buf[ct::MaxRequestSize];
        for (int i = 0; i < 2000; ++i) {
            ct::Flow a = random_flow(gen), b = random_flow(gen), c = random_flow(gen);
            ct::Expect e;
            e.family = a.family;
            b.orig.l3proto = c.orig.l3proto = a.family;
            if (a.family == AF_INET) {
                for (ct::Tuple *t : {&b.orig, &c.orig}) {
                    std::memset(t->src.v6 + 4, 0, 12);
                    std::memset(t->dst.v6 + 4, 0, 12);
                }
            }
            e.master = a.orig;
            e.tuple = b.orig;
            e.mask = c.orig;
            for (ct::Tuple *t : {&e.master, &e.tuple, &e.mask}) {
                t->fields &= static_cast<std::uint16_t>(~static_cast<std::uint16_t>(ct::TupleField::Zone));
                t->zone = 0;
            }
            e.set(ct::ExpectAttr::Master);
            e.set(ct::ExpectAttr::Tuple);
            e.set(ct::ExpectAttr::Mask);
            e.timeout = static_cast<std::uint32_t>(gen.u64());
            e.set(ct::ExpectAttr::Timeout);
            if (gen.chance(0.5)) {
                e.flags = static_cast<std::uint32_t>(gen.below(8));
                e.set(ct::ExpectAttr::Flags);
            }
            if (gen.chance(0.5)) {
                e.expect_class = static_cast<std::uint32_t>(gen.u64());
                e.set(ct::ExpectAttr::Class);
            }
            if (gen.chance(0.5)) {
                e.zone = static_cast<std::uint16_t>(gen.u64());
                e.set(ct::ExpectAttr::Zone);
            }
            if (gen.chance(0.5)) {
                std::strcpy(e.helper, "ftp");
                e.set(ct::ExpectAttr::Helper);
            }
            if (gen.chance(0.3)) {
                std::strcpy(e.fn, "nat-follow-master");
                e.set(ct::ExpectAttr::Fn);
                e.nat_dir = 1;
                e.set(ct::ExpectAttr::NatDir);
                e.nat_tuple = e.tuple;
                e.set(ct::ExpectAttr::NatTuple);
            }
            if (gen.chance(0.5)) {
                e.id = static_cast<std::uint32_t>(gen.u64());
                e.set(ct::ExpectAttr::Id);
            }
            nlmsghdr *nlh = ct::build_expect(buf, sizeof(buf), ct::msg::ExpNew, NLM_F_CREATE, 1, e);
            CPPUNIT_ASSERT(nlh != nullptr);
            ct::Expect back;
            CPPUNIT_ASSERT(ct::parse_expect(nlh, back) == ct::ParseResult::Ok);
            CPPUNIT_ASSERT_MESSAGE("expectation " + std::to_string(i), back == e);
        }
    }

    void builders_fail_cleanly_on_small_buffers() {
        MessageGenerator gen(8);
        ct::Flow f = random_flow(gen);
        f.set_helper("ftp");
        f.set_mark(1);
        unsigned char big[ct::MaxRequestSize];
        nlmsghdr *full = ct::build_flow(big, sizeof(big), ct::msg::CtNew, 0, 1, f);
        CPPUNIT_ASSERT(full != nullptr);
        for (std::size_t size = 0; size < full->nlmsg_len; ++size) {
            std::vector<unsigned char> small(size + 64, 0xa5);
            CPPUNIT_ASSERT(ct::build_flow(small.data(), size, ct::msg::CtNew, 0, 1, f) == nullptr);
            // Nothing written past the given size.
            for (std::size_t k = size; k < small.size(); ++k)
                CPPUNIT_ASSERT_EQUAL(0xa5, static_cast<int>(small[k]));
        }
    }

    void dump_filter_carries_what_the_kernel_filters() {
        ct::DumpFilter filter;
        filter.family = AF_INET;
        filter.has_mark = true;
        filter.mark_value = 0x10;
        filter.mark_mask = 0xf0;
        filter.has_status = true;
        filter.status_value = ct::status::Assured;
        filter.status_mask = ct::status::Assured;
        filter.has_zone = true;
        filter.zone = 3;
        filter.orig.set(ct::TupleField::L4Proto);
        filter.orig.l4proto = IPPROTO_TCP;
        filter.orig.set(ct::TupleField::DstPort);
        filter.orig.dport = 22;
        unsigned char buf[ct::MaxRequestSize];
        nlmsghdr *nlh = ct::build_dump(buf, sizeof(buf), 9, filter);
        CPPUNIT_ASSERT(nlh != nullptr);
        CPPUNIT_ASSERT(nlh->nlmsg_flags & NLM_F_DUMP);
        // The request reuses the entry attributes: our parser reads them back.
        ct::Flow f;
        CPPUNIT_ASSERT(ct::parse_flow(nlh, f) == ct::ParseResult::Ok);
        CPPUNIT_ASSERT_EQUAL(0x10u, f.mark);
        CPPUNIT_ASSERT_EQUAL(0xf0u, f.mark_mask);
        CPPUNIT_ASSERT_EQUAL(ct::status::Assured, f.status_mask);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{3}, f.zone);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{22}, f.orig.dport);
        CPPUNIT_ASSERT(ct::tuple_filter_usable(filter));
        // Without a family the kernel cannot match addresses: no CTA_FILTER.
        filter.family = AF_UNSPEC;
        CPPUNIT_ASSERT(!ct::tuple_filter_usable(filter));
        nlh = ct::build_dump(buf, sizeof(buf), 9, filter);
        CPPUNIT_ASSERT(ct::parse_flow(nlh, f) == ct::ParseResult::Ok);
        CPPUNIT_ASSERT(!f.has(ct::FlowAttr::OrigTuple));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CodecTest);
