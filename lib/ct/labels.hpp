// Connection label names (connlabel.conf), as libnetfilter_conntrack reads
// them: one "<bit> <name>" per line, '#' starts a comment line.
#pragma once

#include "ct/flow.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace ct {

class LabelMap {
public:
    // The file libnetfilter_conntrack 1.0.9 opens when given no path.
    static constexpr const char *DefaultPath = "/etc/xtables/connlabel.conf";

    // Loads `path` (DefaultPath when empty).  0 or -errno (the map is then
    // empty); the CLI prints its own message, as the reference does.
    int load(std::string_view path = {});
    // Parses the text of a connlabel.conf.
    void parse(std::string_view text);

    // The name of label `bit`, or an empty view if it has none.
    std::string_view name(unsigned bit) const;
    // The bit of a label name, or -1 if unknown.
    int bit(std::string_view name) const;
    // Highest bit that has a name, or -1 for an empty map.
    int max_bit() const { return static_cast<int>(names_.size()) - 1; }
    bool empty() const { return names_.empty(); }

private:
    std::vector<std::string> names_;  // indexed by bit; empty: no name
};

} // namespace ct
