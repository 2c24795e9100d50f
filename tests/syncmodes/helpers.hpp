// Shorthands for the sync mode tests.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "mock_sync_host.hpp"

namespace syncmodes_test {

constexpr uint64_t second = 1000000;

// A state message from the peer.
inline mock::Sent data(uint32_t seq, uint8_t flags = 0, uint8_t type = 0, uint32_t object = 0) {
    mock::Sent s;
    s.type = type;
    s.flags = flags;
    s.seq = seq;
    s.object = object;
    return s;
}

// A control message from the peer.
inline mock::Sent control(uint32_t seq, uint8_t flags, uint32_t from = 0, uint32_t to = 0) {
    mock::Sent s;
    s.type = 10;
    s.flags = flags;
    s.seq = seq;
    s.from = from;
    s.to = to;
    return s;
}

inline std::string describe(const mock::Sent &s) {
    char text[128];
    std::snprintf(text, sizeof text, "{type %u flags 0x%02x seq %u [%u,%u] object %u}", s.type,
                  s.flags, s.seq, s.from, s.to, s.object);
    return text;
}

inline std::string describe(const std::vector<mock::Sent> &all) {
    std::string text;
    for (const mock::Sent &s : all)
        text += describe(s) + "\n";
    return text;
}

inline void assert_clean(const mock::Host &host) {
    std::string text;
    for (const std::string &v : host.violations)
        text += v + "\n";
    CPPUNIT_ASSERT_MESSAGE("misuse of the host's services:\n" + text, host.violations.empty());
}

} // namespace syncmodes_test
