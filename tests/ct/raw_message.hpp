// Test helper: writes arbitrary ctnetlink messages, including attributes
// and values the library's builders never produce (counters, timestamps,
// secctx, wrong sizes...), so the parser and the formatters can be fed
// anything the kernel could send.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace cttest {

class RawMessage {
public:
    RawMessage(std::uint8_t subsys, std::uint8_t type, std::uint16_t flags, std::uint8_t family,
               std::uint32_t seq = 0, std::uint32_t portid = 0)
        : buf_(65536, 0) {
        nlh_ = mnl_nlmsg_put_header(buf_.data());
        nlh_->nlmsg_type = static_cast<std::uint16_t>(subsys << 8 | type);
        nlh_->nlmsg_flags = flags;
        nlh_->nlmsg_seq = seq;
        nlh_->nlmsg_pid = portid;
        auto *nfg = static_cast<nfgenmsg *>(mnl_nlmsg_put_extra_header(nlh_, sizeof(nfgenmsg)));
        nfg->nfgen_family = family;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = 0;
    }
    void res_id(std::uint16_t id) {
        auto *nfg = static_cast<nfgenmsg *>(mnl_nlmsg_get_payload(nlh_));
        nfg->res_id = htobe16(id);
    }

    void put(std::uint16_t type, const void *data, std::size_t len) {
        mnl_attr_put(nlh_, type, len, data);
    }
    void u8(std::uint16_t type, std::uint8_t v) { put(type, &v, 1); }
    void be16(std::uint16_t type, std::uint16_t v) {
        v = htobe16(v);
        put(type, &v, 2);
    }
    void be32(std::uint16_t type, std::uint32_t v) {
        v = htobe32(v);
        put(type, &v, 4);
    }
    void be64(std::uint16_t type, std::uint64_t v) {
        v = htobe64(v);
        put(type, &v, 8);
    }
    void str(std::uint16_t type, const std::string &s) { put(type, s.c_str(), s.size() + 1); }
    nlattr *nest(std::uint16_t type) { return mnl_attr_nest_start(nlh_, type); }
    void end(nlattr *n) { mnl_attr_nest_end(nlh_, n); }

    const nlmsghdr *header() const { return nlh_; }
    nlmsghdr *header() { return nlh_; }
    // The message as bytes (exactly nlmsg_len of them).
    std::vector<unsigned char> bytes() const {
        return std::vector<unsigned char>(buf_.begin(), buf_.begin() + nlh_->nlmsg_len);
    }

private:
    std::vector<unsigned char> buf_;
    nlmsghdr *nlh_;
};

// A message kept as exactly its own bytes (so that any read past its end
// is a read past the allocation, which the sanitizers and valgrind see).
struct Message {
    std::vector<unsigned char> bytes;
    const nlmsghdr *header() const { return reinterpret_cast<const nlmsghdr *>(bytes.data()); }
};

inline Message copy_message(const nlmsghdr *nlh) {
    const auto *p = reinterpret_cast<const unsigned char *>(nlh);
    return Message{std::vector<unsigned char>(p, p + nlh->nlmsg_len)};
}

} // namespace cttest
