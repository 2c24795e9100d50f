// Internal: bounds-checked reading and writing of netlink attributes.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ct::wire {

// One attribute seen by AttrReader.
struct Attr {
    std::uint16_t type;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    std::uint16_t len;   // payload length
    const unsigned char *data;

    std::uint8_t u8() const { return data[0]; }
    std::uint16_t be16() const {
        std::uint16_t v;
        std::memcpy(&v, data, 2);
        return __builtin_bswap16(v);
    }
    std::uint32_t be32() const {
        std::uint32_t v;
        std::memcpy(&v, data, 4);
        return __builtin_bswap32(v);
    }
    std::uint64_t be64() const {
        std::uint64_t v;
        std::memcpy(&v, data, 8);
        return __builtin_bswap64(v);
    }
    std::uint32_t raw32() const {
        std::uint32_t v;
        std::memcpy(&v, data, 4);
        return v;
    }
};

// Walks the attributes of a byte range.  next() returns false at the end
// or when an attribute overruns its container; truncated() tells which.
class AttrReader {
public:
    AttrReader(const void *data, std::size_t len)
        : p_(static_cast<const unsigned char *>(data)), left_(len) {}
    explicit AttrReader(const Attr &nest) : AttrReader(nest.data, nest.len) {}

    bool next(Attr &out) {
        if (left_ < NLA_HDRLEN) {
            // Fewer bytes than a header are padding at most.
            return false;
        }
        std::uint16_t nla_len, nla_type;
        std::memcpy(&nla_len, p_, 2);
        std::memcpy(&nla_type, p_ + 2, 2);
        if (nla_len < NLA_HDRLEN || nla_len > left_) {
            bad_ = true;
            return false;
        }
        out.type = nla_type & NLA_TYPE_MASK;
        out.len = static_cast<std::uint16_t>(nla_len - NLA_HDRLEN);
        out.data = p_ + NLA_HDRLEN;
        std::size_t step = NLA_ALIGN(nla_len);
        if (step > left_)
            step = left_;
        p_ += step;
        left_ -= step;
        return true;
    }
    bool truncated() const { return bad_; }

private:
    const unsigned char *p_;
    std::size_t left_;
    bool bad_ = false;
};

// Builds a netlink message in a fixed buffer; once something does not fit,
// ok() turns false and every further call does nothing.
class Writer {
public:
    Writer(void *buf, std::size_t size) : buf_(buf), size_(size) {}

    nlmsghdr *begin(std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                    std::uint8_t family, std::uint16_t res_id = 0) {
        if (size_ < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg))) {
            ok_ = false;
            return nullptr;
        }
        nlh_ = mnl_nlmsg_put_header(buf_);
        nlh_->nlmsg_type = type;
        nlh_->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
        nlh_->nlmsg_seq = seq;
        auto *nfg = static_cast<nfgenmsg *>(mnl_nlmsg_put_extra_header(nlh_, sizeof(nfgenmsg)));
        nfg->nfgen_family = family;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = __builtin_bswap16(res_id);
        return nlh_;
    }
    bool ok() const { return ok_; }
    nlmsghdr *finish() { return ok_ ? nlh_ : nullptr; }

    void put(std::uint16_t type, const void *data, std::size_t len) {
        if (ok_ && !mnl_attr_put_check(nlh_, size_, type, len, data))
            ok_ = false;
    }
    void u8(std::uint16_t type, std::uint8_t v) { put(type, &v, 1); }
    void be16(std::uint16_t type, std::uint16_t v) {
        v = __builtin_bswap16(v);
        put(type, &v, 2);
    }
    void u32(std::uint16_t type, std::uint32_t v) { put(type, &v, 4); }  // host order
    void be32(std::uint16_t type, std::uint32_t v) {
        v = __builtin_bswap32(v);
        put(type, &v, 4);
    }
    void be64(std::uint16_t type, std::uint64_t v) {
        v = __builtin_bswap64(v);
        put(type, &v, 8);
    }
    void str(std::uint16_t type, const char *s) { put(type, s, std::strlen(s) + 1); }

    nlattr *nest_begin(std::uint16_t type) {
        if (!ok_)
            return nullptr;
        nlattr *n = mnl_attr_nest_start_check(nlh_, size_, type);
        if (!n)
            ok_ = false;
        return n;
    }
    void nest_end(nlattr *n) {
        if (ok_ && n)
            mnl_attr_nest_end(nlh_, n);
    }

private:
    void *buf_;
    std::size_t size_;
    nlmsghdr *nlh_ = nullptr;
    bool ok_ = true;
};

} // namespace ct::wire
