// Test helper: formats a message with our library and with the oracle for
// a combination of output options, and collects the differences.
#pragma once

#include "oracle.hpp"
#include "raw_message.hpp"

#include "ct/format.hpp"

#include <string>
#include <vector>

namespace cttest {

// One way of printing: what conntrack would ask libnetfilter_conntrack for.
struct Combo {
    unsigned out_type;  // NFCT_O_PLAIN or NFCT_O_XML
    unsigned flags;     // NFCT_OF_*
    unsigned msg_type;  // NFCT_T_UNKNOWN/NEW/UPDATE/DESTROY
    bool with_map;
    std::string describe() const;
};

// Every combination of output type, flags, message type and label map.
std::vector<Combo> all_combos();

// Differences found while comparing; `failures` is the total count, only
// the first few are described.
struct Differences {
    unsigned compared = 0;
    unsigned failures = 0;
    unsigned oracle_failures = 0;  // messages libnetfilter_conntrack cannot print
    std::string report;
    void add(const std::string &what, const std::string &expected, const std::string &actual);
};

// Compares every combo on one conntrack message.  Returns false (and notes
// why) if our parser rejects what libnetfilter_conntrack accepts.
void compare_flow(const Message &msg, const std::vector<Combo> &combos,
                  const ct::LabelMap &ours_map, nfct_labelmap *oracle_map, Differences &diff);
void compare_expect(const Message &msg, Differences &diff);

std::string hex(const Message &msg);

// A temporary file removed when the object goes away.
class TempFile {
public:
    explicit TempFile(const std::string &contents);
    ~TempFile();
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

// The label names the comparisons use.
const char *test_label_map_text();

} // namespace cttest
