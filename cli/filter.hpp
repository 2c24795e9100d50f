// Which conntrack entries a command line selects (-L, -D, -E, -U), and
// what part of that selection the kernel can do during a dump.
//
// The user-space test is the reference's, in its order: NAT, mark, labels,
// netmasks, then an attribute-by-attribute comparison with the options
// given.  The kernel filter is an optimisation only: it never drops an
// entry the user-space test would keep, so the result is the same with or
// without it (and with kernels that ignore parts of it).
#pragma once

#include "command_line.hpp"

#include "ct/codec.hpp"
#include "ct/flow.hpp"

namespace cli {

class FlowFilter {
public:
    explicit FlowFilter(const CommandLine &cmd);

    // The reference's filter for -L, -D and -E.
    bool matches(const ct::Flow &flow) const;

    // -U's selection: NAT, labels, netmasks, the id, and the tuples when a
    // protocol or a port was given.
    bool matches_for_update(const ct::Flow &flow) const;

    // What a dump can ask the kernel to filter (mark, status, family, and
    // the exact parts of the tuples).  `msg_type` picks the dump kind.
    ct::DumpFilter kernel_filter(std::uint8_t msg_type, bool with_tuples) const;
    // The same for a dump of one `family` only (AF_INET or AF_INET6), when
    // the command line names none: the kernel filters tuples only in a dump
    // of one family.
    ct::DumpFilter kernel_filter(std::uint8_t msg_type, bool with_tuples, std::uint8_t family) const;

private:
    bool nat_ok(const ct::Flow &f) const;
    bool mark_ok(const ct::Flow &f) const;
    bool labels_ok(const ct::Flow &f) const;
    bool network_ok(const ct::Flow &f) const;
    bool compare_ok(const ct::Flow &f) const;
    bool tuple_ok(const ct::Tuple &want, const ct::Tuple &have) const;

    const CommandLine &cmd_;
    // The template tuples with the extension's values filled in.
    ct::Tuple orig_, reply_;
    bool compare_ = false;  // an option of the reference's CT_COMPARISON set was given
};

// The template tuples a command line describes (addresses, protocol,
// ports/ICMP fields, zones), as the reference puts them in its template.
void build_tuples(const CommandLine &cmd, ct::Tuple &orig, ct::Tuple &reply);

// NAT as libnetfilter_conntrack sees it (NFCT_GOPT_IS_SNAT and friends).
bool is_snat(const ct::Flow &f);
bool is_dnat(const ct::Flow &f);
bool is_spat(const ct::Flow &f);
bool is_dpat(const ct::Flow &f);

} // namespace cli
