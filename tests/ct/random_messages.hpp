// Test helper: synthesized ctnetlink messages covering every attribute,
// with odd values (zero, maximum, out-of-range states, unknown protocols,
// missing attributes).  Deterministic: a seed gives the same messages.
#pragma once

#include "raw_message.hpp"

#include <cstdint>
#include <random>
#include <vector>

namespace cttest {

class MessageGenerator {
public:
    explicit MessageGenerator(std::uint32_t seed) : rng_(seed) {}

    // A conntrack message (dump entry or event) with random attributes.
    Message flow();
    // An expectation message.
    Message expect();
    // A per-CPU statistics message.
    Message cpu_stats(bool expect);

    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_); }
    std::uint64_t u64() { return std::uniform_int_distribution<std::uint64_t>()(rng_); }
    // A value biased towards the edges: 0, 1, the maximum, or anything.
    std::uint64_t edgy(std::uint64_t max);

private:
    std::uint8_t pick_family();
    std::uint8_t pick_l4proto();
    void tuple(RawMessage &m, std::uint16_t type, std::uint8_t family, std::uint8_t l4proto,
               bool with_zone);
    std::string word(unsigned max_len, const char *alphabet);

    std::mt19937_64 rng_;
};

} // namespace cttest
