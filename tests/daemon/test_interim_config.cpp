// The interim config reader (replaced by core/config when it lands): the
// General keywords the life cycle needs, skipping the rest, and the
// reference's messages.
#include <cppunit/extensions/HelperMacros.h>

#include <sched.h>
#include <syslog.h>

#include "interim_config.hpp"

using namespace ctd;

class InterimConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(InterimConfigTest);
    CPPUNIT_TEST(defaults);
    CPPUNIT_TEST(general_keywords);
    CPPUNIT_TEST(other_keywords_and_sections_are_skipped);
    CPPUNIT_TEST(scheduler_priority_counts_only_with_type);
    CPPUNIT_TEST(syntax_errors_name_line_and_symbol);
    CPPUNIT_TEST(missing_file);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaults() {
        InterimConfig c = parse_interim_config("General {\n UNIX { Path /run/ct.ctl }\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("/run/ct.ctl"), c.settings.unix_path);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lock/conntrackd.lock"), c.settings.lock_file);
        CPPUNIT_ASSERT_EQUAL(std::string(), c.settings.log_file);
        CPPUNIT_ASSERT(!c.settings.syslog_facility);
        CPPUNIT_ASSERT(c.settings.systemd);
        CPPUNIT_ASSERT_EQUAL(SCHED_RR, c.settings.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(sched_get_priority_max(SCHED_RR), c.settings.scheduler_priority);
        CPPUNIT_ASSERT(!c.has_sync && !c.has_stats && !c.has_helper);
    }

    void general_keywords() {
        InterimConfig c = parse_interim_config(
            "# comment\n"
            "General {\n"
            "\tLogFile on\n"
            "\tSyslog local3   # trailing comment\n"
            "\tLockFile /tmp/x/lock\n"
            "\tSystemd Off\n"
            "\tUNIX {\n\t\tPath /tmp/x/sock\n\t\tBacklog 20\n\t}\n"
            "}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("/var/log/conntrackd.log"), c.settings.log_file);
        CPPUNIT_ASSERT_EQUAL(LOG_LOCAL3, *c.settings.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x/lock"), c.settings.lock_file);
        CPPUNIT_ASSERT(!c.settings.systemd);
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x/sock"), c.settings.unix_path);
        CPPUNIT_ASSERT_EQUAL(size_t(1), c.warnings.size());
        c = parse_interim_config("General { LogFile /tmp/l Syslog on UNIX { Path /s } }");
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/l"), c.settings.log_file);
        CPPUNIT_ASSERT_EQUAL(LOG_DAEMON, *c.settings.syslog_facility);
    }

    void other_keywords_and_sections_are_skipped() {
        InterimConfig c = parse_interim_config(
            "General {\n"
            "\tHashSize 32768\n"
            "\tNetlinkBufferSize 2097152\n"
            "\tFilter From Userspace {\n"
            "\t\tProtocol Accept { TCP }\n"
            "\t\tAddress Ignore { IPv4_address 127.0.0.1 }\n"
            "\t}\n"
            "\tUNIX { Path /s }\n"
            "}\n"
            "Sync {\n\tMode FTFW { }\n\tUDP { IPv4_address 1.2.3.4 }\n}\n"
            "Stats { LogFile on }\n"
            "Helper { Type ftp inet tcp { QueueNum 5 } }\n");
        CPPUNIT_ASSERT_EQUAL(std::string("/s"), c.settings.unix_path);
        CPPUNIT_ASSERT(c.has_sync && c.has_stats && c.has_helper);
    }

    void scheduler_priority_counts_only_with_type() {
        InterimConfig c = parse_interim_config("General { Scheduler { Priority 5 } UNIX { Path /s } }");
        CPPUNIT_ASSERT_EQUAL(SCHED_RR, c.settings.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(sched_get_priority_max(SCHED_RR), c.settings.scheduler_priority);
        c = parse_interim_config("General { Scheduler { Type FIFO\nPriority 5 } UNIX { Path /s } }");
        CPPUNIT_ASSERT_EQUAL(SCHED_FIFO, c.settings.scheduler_policy);
        CPPUNIT_ASSERT_EQUAL(5, c.settings.scheduler_priority);
        c = parse_interim_config("General { Scheduler { Type RR } UNIX { Path /s } }");
        CPPUNIT_ASSERT_EQUAL(0, c.settings.scheduler_priority);
    }

    void syntax_errors_name_line_and_symbol() {
        auto message = [](const std::string &text) {
            try {
                parse_interim_config(text);
            } catch (const std::runtime_error &e) {
                return std::string(e.what());
            }
            return std::string("(accepted)");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("parsing config file in line (3), symbol 'Bogus': syntax error"),
                             message("General {\n}\nBogus {\n}\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("parsing config file in line (3), symbol 'relative': syntax error"),
                             message("General {\n\tUNIX {\n\t\tPath relative\n\t}\n}\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("parsing config file in line (2), symbol 'end of file': syntax error"),
                             message("General {\n\tLogFile on\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("`Priority' must be [0, 99]"),
                             message("General { Scheduler { Type RR Priority 100 } }"));
    }

    void missing_file() {
        try {
            read_interim_config("/nonexistent-dir/conntrackd.conf");
            CPPUNIT_FAIL("accepted");
        } catch (const std::runtime_error &e) {
            CPPUNIT_ASSERT_EQUAL(std::string("can't open config file `/nonexistent-dir/conntrackd.conf'"),
                                 std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InterimConfigTest);
