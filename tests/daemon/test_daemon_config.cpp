// What the life cycle takes from the parsed configuration.
#include <cppunit/extensions/HelperMacros.h>

#include <sched.h>
#include <syslog.h>

#include "config/config.hpp"
#include "daemon_config.hpp"

using namespace ctd;

namespace {

DaemonSettings settings_of(const std::string &general_body) {
    return daemon_settings_from(
        config::parse_text("General {\n" + general_body + "\n}\n", "test.conf").general);
}

} // namespace

class DaemonConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DaemonConfigTest);
    CPPUNIT_TEST(defaults_are_the_references);
    CPPUNIT_TEST(general_keywords_reach_the_daemon);
    CPPUNIT_TEST(scheduler_priority_counts_only_with_type);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaults_are_the_references() {
        DaemonSettings s = settings_of("UNIX { Path /run/ct.ctl }");
        CPPUNIT_ASSERT_EQUAL(std::string("/run/ct.ctl"), s.unix_path);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lock/conntrackd.lock"), s.lock_file);
        CPPUNIT_ASSERT_EQUAL(std::string(), s.log_file);
        CPPUNIT_ASSERT(!s.syslog_facility);
        CPPUNIT_ASSERT(s.systemd);
        CPPUNIT_ASSERT_EQUAL(SCHED_RR, s.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(sched_get_priority_max(SCHED_RR), s.scheduler_priority);
    }

    void general_keywords_reach_the_daemon() {
        DaemonSettings s = settings_of("LogFile on\nSyslog local3\nLockFile /tmp/x/lock\n"
                                       "Systemd off\nUNIX { Path /tmp/x/sock }");
        CPPUNIT_ASSERT_EQUAL(std::string("/var/log/conntrackd.log"), s.log_file);
        CPPUNIT_ASSERT_EQUAL(LOG_LOCAL3, *s.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x/lock"), s.lock_file);
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x/sock"), s.unix_path);
        CPPUNIT_ASSERT(!s.systemd);
        s = settings_of("LogFile /tmp/l.log\nSyslog on\nUNIX { Path /s }");
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/l.log"), s.log_file);
        CPPUNIT_ASSERT_EQUAL(LOG_DAEMON, *s.syslog_facility);
    }

    void scheduler_priority_counts_only_with_type() {
        DaemonSettings s = settings_of("Scheduler { Priority 5 }\nUNIX { Path /s }");
        CPPUNIT_ASSERT_EQUAL(SCHED_RR, s.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(sched_get_priority_max(SCHED_RR), s.scheduler_priority);
        s = settings_of("Scheduler { Type FIFO\nPriority 5 }\nUNIX { Path /s }");
        CPPUNIT_ASSERT_EQUAL(SCHED_FIFO, s.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(5, s.scheduler_priority);
        s = settings_of("Scheduler { Type RR }\nUNIX { Path /s }");
        CPPUNIT_ASSERT_EQUAL(SCHED_RR, s.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(0, s.scheduler_priority);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonConfigTest);
