// The C++ namespace helper: a namespace lives exactly as long as its object,
// and code can run inside it.
#include <cppunit/extensions/HelperMacros.h>

#include <net/if.h>
#include <sys/socket.h>

#include "../lib/netns.hpp"

using namespace test_netns;

namespace {
bool namespace_exists(const std::string &name) {
    return run("ip netns list | awk '{print $1}' | grep -qx " + name) == 0;
}
} // namespace

class NetnsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NetnsTest);
    CPPUNIT_TEST(namespace_removed_with_its_processes);
    CPPUNIT_TEST(removed_when_a_test_throws);
    CPPUNIT_TEST(enter_runs_code_inside);
    CPPUNIT_TEST_SUITE_END();

public:
    void namespace_removed_with_its_processes() {
        std::string name;
        {
            TestNamespace ns("unit-a");
            name = ns.name();
            CPPUNIT_ASSERT(namespace_exists(name));
            CPPUNIT_ASSERT_EQUAL(0, ns.exec("sleep 1000 >/dev/null 2>&1 &"));
            CPPUNIT_ASSERT(run("test -n \"$(ip netns pids " + name + ")\"") == 0);
        }
        CPPUNIT_ASSERT(!namespace_exists(name));
    }

    void removed_when_a_test_throws() {
        std::string name;
        try {
            TestNamespace ns("unit-b");
            name = ns.name();
            throw std::runtime_error("a failing assertion");
        } catch (const std::runtime_error &) {
        }
        CPPUNIT_ASSERT(!name.empty());
        CPPUNIT_ASSERT(!namespace_exists(name));
    }

    void enter_runs_code_inside() {
        TestNamespace ns("unit-c");
        CPPUNIT_ASSERT_EQUAL(0, ns.exec("ip link add ctdtdummy type veth peer name ctdtpeer"));
        {
            EnterNamespace inside(ns);
            CPPUNIT_ASSERT(if_nametoindex("ctdtdummy") != 0);
        }
        CPPUNIT_ASSERT_EQUAL(0u, if_nametoindex("ctdtdummy"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NetnsTest);
