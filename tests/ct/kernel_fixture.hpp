// Test helper: two network namespaces with real conntrack entries of every
// kind (see kernel-setup.sh and traffic.py), built once per test program
// and removed when it exits, however it exits.
#pragma once

#include "raw_message.hpp"
#include "lib/netns.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cttest {

class KernelTable {
public:
    // The shared table (created on first use).
    static KernelTable &instance();

    const test_netns::TestNamespace &client() const { return *a_; }
    // Every conntrack entry of the client namespace, as the kernel sent it.
    std::vector<Message> dump_flows() const;
    // Every expectation of the client namespace.
    std::vector<Message> dump_expectations() const;
    // Runs a command in the client namespace and returns its stdout.
    std::string run(const std::string &command) const;

private:
    KernelTable();
    std::unique_ptr<test_netns::TestNamespace> a_, b_;
};

// Runs a shell command and returns its standard output.
std::string capture(const std::string &command);

} // namespace cttest
