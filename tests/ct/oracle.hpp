// The oracle: libnetfilter_conntrack 1.0.9 itself, fed the same netlink
// messages as our parser and formatters.  Used only by the tests.
#pragma once

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cttest {

struct NfctDeleter {
    void operator()(nf_conntrack *ct) const { nfct_destroy(ct); }
};
struct NfexpDeleter {
    void operator()(nf_expect *exp) const { nfexp_destroy(exp); }
};
struct LabelmapDeleter {
    void operator()(nfct_labelmap *map) const { nfct_labelmap_destroy(map); }
};
using NfctLabelmap = std::unique_ptr<nfct_labelmap, LabelmapDeleter>;

// nfct_snprintf_labels on the message, or throws if libnfct cannot parse it.
inline std::string oracle_flow(const nlmsghdr *nlh, unsigned msg_type, unsigned out_type,
                               unsigned flags, nfct_labelmap *map) {
    std::unique_ptr<nf_conntrack, NfctDeleter> ct(nfct_new());
    if (!ct || nfct_nlmsg_parse(nlh, ct.get()) < 0)
        throw std::runtime_error("libnetfilter_conntrack cannot parse the message");
    std::vector<char> buf(16384);
    int n = nfct_snprintf_labels(buf.data(), buf.size(), ct.get(), msg_type, out_type, flags, map);
    if (n < 0)
        throw std::runtime_error("nfct_snprintf failed");
    return std::string(buf.data());
}

inline std::string oracle_expect(const nlmsghdr *nlh, unsigned msg_type, unsigned out_type,
                                 unsigned flags) {
    std::unique_ptr<nf_expect, NfexpDeleter> exp(nfexp_new());
    if (!exp || nfexp_nlmsg_parse(nlh, exp.get()) < 0)
        throw std::runtime_error("libnetfilter_conntrack cannot parse the expectation");
    std::vector<char> buf(16384);
    int n = nfexp_snprintf(buf.data(), buf.size(), exp.get(), msg_type, out_type, flags);
    if (n < 0)
        throw std::runtime_error("nfexp_snprintf failed");
    return std::string(buf.data());
}

} // namespace cttest
