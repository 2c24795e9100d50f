#include "compare.hpp"

#include "ct/codec.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace cttest {

std::string Combo::describe() const {
    std::string s = out_type == NFCT_O_XML ? "xml" : "plain";
    if (flags & NFCT_OF_SHOW_LAYER3)
        s += ",extended";
    if (flags & NFCT_OF_TIME)
        s += ",time";
    if (flags & NFCT_OF_ID)
        s += ",id";
    if (flags & NFCT_OF_TIMESTAMP)
        s += ",ktimestamp";
    s += msg_type == NFCT_T_NEW       ? " [NEW]"
         : msg_type == NFCT_T_UPDATE  ? " [UPDATE]"
         : msg_type == NFCT_T_DESTROY ? " [DESTROY]"
                                      : "";
    if (with_map)
        s += " +labelmap";
    return s;
}

std::vector<Combo> all_combos() {
    std::vector<Combo> combos;
    for (unsigned out : {NFCT_O_PLAIN, NFCT_O_XML})
        for (unsigned flags = 0; flags < 16; ++flags)
            for (unsigned type : {NFCT_T_UNKNOWN, NFCT_T_NEW, NFCT_T_UPDATE, NFCT_T_DESTROY})
                for (bool map : {false, true})
                    combos.push_back({out, flags, type, map});
    return combos;
}

void Differences::add(const std::string &what, const std::string &expected,
                      const std::string &actual) {
    ++failures;
    if (failures > 6)
        return;
    // Long lines: show where they start to differ.
    std::size_t same = 0;
    while (same < expected.size() && same < actual.size() && expected[same] == actual[same])
        ++same;
    std::size_t from = same > 60 ? same - 60 : 0;
    std::string prefix = from ? "..." : "";
    report += what + "\n  libnetfilter_conntrack: " + prefix + expected.substr(from) +
              "\n  ours:                   " + prefix + actual.substr(from) + "\n";
}

std::string hex(const Message &msg) {
    std::string s;
    char b[4];
    for (unsigned char c : msg.bytes) {
        std::snprintf(b, sizeof(b), "%02x", c);
        s += b;
    }
    return s;
}

namespace {

ct::MessageType to_type(unsigned t) {
    switch (t) {
    case NFCT_T_NEW:
        return ct::MessageType::New;
    case NFCT_T_UPDATE:
        return ct::MessageType::Update;
    case NFCT_T_DESTROY:
        return ct::MessageType::Destroy;
    default:
        return ct::MessageType::Unknown;
    }
}

ct::FormatOptions to_options(const Combo &c, const ct::LabelMap *map, std::int64_t now) {
    ct::FormatOptions o;
    o.format = c.out_type == NFCT_O_XML ? ct::OutputFormat::Xml : ct::OutputFormat::Default;
    o.extended = c.flags & NFCT_OF_SHOW_LAYER3;
    o.xml_time = c.flags & NFCT_OF_TIME;
    o.show_id = c.flags & NFCT_OF_ID;
    o.ktimestamp = c.flags & NFCT_OF_TIMESTAMP;
    o.labels = c.with_map ? map : nullptr;
    o.override_type = true;
    o.type = to_type(c.msg_type);
    o.now = now;
    return o;
}

} // namespace

void compare_flow(const Message &msg, const std::vector<Combo> &combos, const ct::LabelMap &ours_map,
                  nfct_labelmap *oracle_map, Differences &diff) {
    ct::Flow flow;
    ct::ParseResult r = ct::parse_flow(msg.header(), flow);
    if (r != ct::ParseResult::Ok) {
        diff.add("our parser rejects a message libnetfilter_conntrack accepts (" +
                     std::string(ct::to_string(r)) + "): " + hex(msg),
                 "(parsed)", "(rejected)");
        return;
    }
    ct::TextBuffer buf;
    for (const Combo &c : combos) {
        // libnetfilter_conntrack reads the clock itself (delta-time, <when>):
        // compare within one second, retrying across a second boundary.
        for (int attempt = 0;; ++attempt) {
            std::int64_t now = std::time(nullptr);
            std::string expected;
            try {
                expected = oracle_flow(msg.header(), c.msg_type, c.out_type, c.flags,
                                       c.with_map ? oracle_map : nullptr);
            } catch (const std::exception &) {
                // libnetfilter_conntrack gives up on some impossible messages
                // (no tuple in a family it does not know): nothing to compare.
                ++diff.oracle_failures;
                break;
            }
            if (std::time(nullptr) != now && attempt < 3)
                continue;
            buf.clear();
            ct::format_flow(buf, flow, to_options(c, &ours_map, now));
            ++diff.compared;
            if (buf.view() != expected) {
                // One difference per message is enough to see what is wrong.
                diff.add(c.describe() + " of " + hex(msg), expected, std::string(buf.view()));
                return;
            }
            break;
        }
    }
}

void compare_expect(const Message &msg, Differences &diff) {
    ct::Expect exp;
    ct::ParseResult r = ct::parse_expect(msg.header(), exp);
    if (r != ct::ParseResult::Ok) {
        diff.add("our parser rejects an expectation (" + std::string(ct::to_string(r)) + "): " + hex(msg),
                 "(parsed)", "(rejected)");
        return;
    }
    ct::TextBuffer buf;
    for (unsigned out : {NFCT_O_PLAIN, NFCT_O_XML}) {
        for (unsigned flags : {0u, unsigned(NFCT_OF_TIME)}) {
            for (unsigned type : {NFCT_T_UNKNOWN, NFCT_T_NEW, NFCT_T_UPDATE, NFCT_T_DESTROY}) {
                Combo c{out, flags, type, false};
                for (int attempt = 0;; ++attempt) {
                    std::int64_t now = std::time(nullptr);
                    std::string expected = oracle_expect(msg.header(), type, out, flags);
                    if (std::time(nullptr) != now && attempt < 3)
                        continue;
                    buf.clear();
                    ct::format_expect(buf, exp, to_options(c, nullptr, now));
                    ++diff.compared;
                    if (buf.view() != expected) {
                        diff.add("expect " + c.describe() + " of " + hex(msg), expected,
                                 std::string(buf.view()));
                        return;
                    }
                    break;
                }
            }
        }
    }
}

TempFile::TempFile(const std::string &contents) {
    char path[] = "/tmp/ct-tests-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        throw std::runtime_error("mkstemp failed");
    close(fd);
    path_ = path;
    std::ofstream(path_) << contents;
}

TempFile::~TempFile() { unlink(path_.c_str()); }

const char *test_label_map_text() {
    return "# label names for the tests\n"
           "0 zero\n"
           "1 one\n"
           "2 two\n"
           "5 five\n"
           "17 seventeen\n"
           "31 thirty-one\n"
           "32 thirty-two\n"
           "63 sixty-three\n"
           "64 sixty-four\n"
           "100 hundred\n"
           "127 last\n";
}

} // namespace cttest
