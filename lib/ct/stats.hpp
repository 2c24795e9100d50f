// Conntrack statistics: per-CPU counters (conntrack -S, -S expect) and the
// global entry count (conntrack -C).
#pragma once

#include "ct/codec.hpp"
#include "ct/text_buffer.hpp"

#include <cstdint>

namespace ct {

// One CPU's counters from a CT_GET_STATS_CPU (or EXP_GET_STATS_CPU) dump.
struct CpuStats {
    // Attribute numbers (CTA_STATS_* / CTA_STATS_EXP_*) go up to this; the
    // reference prints up to 4 attributes newer than the ones it knows.
    static constexpr unsigned MaxAttr = 19;
    bool expect = false;       // expectation statistics
    std::uint16_t cpu = 0;     // nfgenmsg res_id
    std::uint32_t present = 0; // bit n: attribute n was sent
    std::uint32_t value[MaxAttr + 1] = {};

    bool has(unsigned attr) const { return attr <= MaxAttr && (present >> attr) & 1u; }
};

ParseResult parse_cpu_stats(const nlmsghdr *nlh, CpuStats &out);

// The name the reference prints for attribute `attr`, or nullptr.
const char *cpu_stat_name(bool expect, unsigned attr);

// From CT_GET_STATS: CTA_STATS_GLOBAL_ENTRIES (and _MAX_ENTRIES if sent).
struct GlobalStats {
    bool has_entries = false;
    bool has_max_entries = false;
    std::uint32_t entries = 0;
    std::uint32_t max_entries = 0;
};

ParseResult parse_global_stats(const nlmsghdr *nlh, GlobalStats &out);

} // namespace ct
