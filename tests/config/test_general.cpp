// General: every keyword's value and default.
#include "test_support.hpp"

#include <sched.h>
#include <syslog.h>

using namespace ctd::config;
using cfg_test::general;
using cfg_test::joined;

class GeneralTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GeneralTest);
    CPPUNIT_TEST(defaults);
    CPPUNIT_TEST(hash_size_and_limit);
    CPPUNIT_TEST(hash_zero_means_unset);
    CPPUNIT_TEST(log_file);
    CPPUNIT_TEST(syslog);
    CPPUNIT_TEST(syslog_unknown_facility_is_ignored);
    CPPUNIT_TEST(lock_file);
    CPPUNIT_TEST(unix_path_and_backlog);
    CPPUNIT_TEST(netlink_buffer_sizes);
    CPPUNIT_TEST(netlink_buffer_size_aliases);
    CPPUNIT_TEST(netlink_overrun_resync);
    CPPUNIT_TEST(netlink_events_reliable);
    CPPUNIT_TEST(poll_secs);
    CPPUNIT_TEST(event_iteration_limit);
    CPPUNIT_TEST(nice_is_deprecated);
    CPPUNIT_TEST(scheduler);
    CPPUNIT_TEST(scheduler_priority_without_type);
    CPPUNIT_TEST(scheduler_type_without_priority);
    CPPUNIT_TEST(systemd);
    CPPUNIT_TEST(later_values_win);
    CPPUNIT_TEST(tabs_in_paths_warn);
    CPPUNIT_TEST(nul_byte_ends_the_file);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaults() {
        Config c = general("");
        const General &g = c.general;
        CPPUNIT_ASSERT_EQUAL(1u, g.line);
        CPPUNIT_ASSERT(!g.hash_size);
        CPPUNIT_ASSERT(!g.hash_limit);
        CPPUNIT_ASSERT_EQUAL(std::string(), g.log_file);
        CPPUNIT_ASSERT(!g.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lock/conntrackd.lock"), g.lock_file);
        CPPUNIT_ASSERT_EQUAL(std::string("/run/ctd.ctl"), g.unix_path);
        CPPUNIT_ASSERT(!g.netlink_buffer_size);
        CPPUNIT_ASSERT(!g.netlink_buffer_size_max_growth);
        CPPUNIT_ASSERT_EQUAL(30, g.netlink_overrun_resync);
        CPPUNIT_ASSERT(!g.netlink_events_reliable);
        CPPUNIT_ASSERT(!g.poll_secs);
        CPPUNIT_ASSERT_EQUAL(100u, g.event_iteration_limit);
        CPPUNIT_ASSERT_EQUAL(int(SCHED_RR), g.scheduler.effective_type());
        CPPUNIT_ASSERT_EQUAL(sched_get_priority_max(SCHED_RR), g.scheduler.effective_priority());
        CPPUNIT_ASSERT(g.systemd);
        CPPUNIT_ASSERT(!g.filter.configured);
        CPPUNIT_ASSERT(!c.sync.configured);
        CPPUNIT_ASSERT(!c.stats.configured);
        CPPUNIT_ASSERT(!c.helper.configured);
        CPPUNIT_ASSERT(c.warnings.empty());
        CPPUNIT_ASSERT(c.plugin_blocks().empty());
    }

    void hash_size_and_limit() {
        Config c = general("HashSize 8192\nHashLimit 4294967295");
        CPPUNIT_ASSERT_EQUAL(8192u, *c.general.hash_size);
        CPPUNIT_ASSERT_EQUAL(4294967295u, *c.general.hash_limit);
    }

    void hash_zero_means_unset() {
        // The reference replaces 0 by its default; here that is "size it
        // from nf_conntrack_max".
        Config c = general("HashSize 5\nHashSize 0\nHashLimit 0");
        CPPUNIT_ASSERT(!c.general.hash_size);
        CPPUNIT_ASSERT(!c.general.hash_limit);
    }

    void log_file() {
        CPPUNIT_ASSERT_EQUAL(std::string("/var/log/conntrackd.log"), general("LogFile on").general.log_file);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/log/conntrackd.log"), general("LogFile YES").general.log_file);
        CPPUNIT_ASSERT_EQUAL(std::string(), general("LogFile on\nLogFile off").general.log_file);
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x.log"), general("LogFile /tmp/x.log").general.log_file);
        std::string longest = "/" + std::string(255, 'a');
        CPPUNIT_ASSERT_EQUAL(longest, general("LogFile " + longest).general.log_file);
    }

    void syslog() {
        CPPUNIT_ASSERT_EQUAL(int(LOG_DAEMON), *general("Syslog on").general.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(int(LOG_LOCAL0), *general("Syslog local0").general.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(int(LOG_LOCAL7), *general("Syslog local7").general.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(int(LOG_DAEMON), *general("Syslog daemon").general.syslog_facility);
        CPPUNIT_ASSERT(!general("Syslog local3\nSyslog no").general.syslog_facility);
    }

    void syslog_unknown_facility_is_ignored() {
        // Facility names are case-sensitive; an unknown one leaves the
        // previous value, with a warning (as the reference does).
        Config c = general("Syslog local1\nSyslog LOCAL0\nSyslog user");
        CPPUNIT_ASSERT_EQUAL(int(LOG_LOCAL1), *c.general.syslog_facility);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: 'LOCAL0' is not a known syslog facility "
                                         "(daemon, local0 to local7): Syslog ignored\n"
                                         "test.conf:5: 'user' is not a known syslog facility "
                                         "(daemon, local0 to local7): Syslog ignored\n"),
                             joined(c.warnings));
    }

    void lock_file() {
        CPPUNIT_ASSERT_EQUAL(std::string("/var/lock/conntrack.lock"),
                             general("LockFile /var/lock/conntrack.lock").general.lock_file);
        // A PATH takes everything to the next space: `;` included.
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/lock;"), general("LockFile /tmp/lock;").general.lock_file);
    }

    void unix_path_and_backlog() {
        Config c = cfg_test::parse("General {\n UNIX {\n  Path /var/run/conntrackd.sock\n  Backlog 20\n }\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("/var/run/conntrackd.sock"), c.general.unix_path);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: Backlog is deprecated and ignored (the control "
                                         "socket's backlog is fixed)\n"),
                             joined(c.warnings));
        // A later UNIX block without Path keeps the path.
        CPPUNIT_ASSERT_EQUAL(std::string("/run/ctd.ctl"), general("UNIX { }").general.unix_path);
        std::string longest = "/" + std::string(106, 's');
        CPPUNIT_ASSERT_EQUAL(longest, general("UNIX { Path " + longest + " }").general.unix_path);
    }

    void netlink_buffer_sizes() {
        Config c = general("NetlinkBufferSize 2097152\nNetlinkBufferSizeMaxGrowth 8388608");
        CPPUNIT_ASSERT_EQUAL(2097152u, *c.general.netlink_buffer_size);
        CPPUNIT_ASSERT_EQUAL(8388608u, *c.general.netlink_buffer_size_max_growth);
        CPPUNIT_ASSERT(c.warnings.empty());
        Config zero = general("NetlinkBufferSize 5\nNetlinkBufferSize 0\nNetlinkBufferSizeMaxGrowth 0");
        CPPUNIT_ASSERT(!zero.general.netlink_buffer_size);
        CPPUNIT_ASSERT(!zero.general.netlink_buffer_size_max_growth);
    }

    void netlink_buffer_size_aliases() {
        Config c = general("SocketBufferSize 262142\nSocketBufferSizeMaxGrown 655355\n"
                           "SocketBufferSizeMaxGrowth 655356");
        CPPUNIT_ASSERT_EQUAL(262142u, *c.general.netlink_buffer_size);
        CPPUNIT_ASSERT_EQUAL(655356u, *c.general.netlink_buffer_size_max_growth);
        CPPUNIT_ASSERT_EQUAL(
            std::string("test.conf:3: SocketBufferSize is the old name of NetlinkBufferSize\n"
                        "test.conf:4: SocketBufferSizeMaxGrown is the old name of "
                        "NetlinkBufferSizeMaxGrowth\n"
                        "test.conf:5: SocketBufferSizeMaxGrowth is the old name of "
                        "NetlinkBufferSizeMaxGrowth\n"),
            joined(c.warnings));
    }

    void netlink_overrun_resync() {
        CPPUNIT_ASSERT_EQUAL(30, general("NetlinkOverrunResync on").general.netlink_overrun_resync);
        CPPUNIT_ASSERT_EQUAL(-1, general("NetlinkOverrunResync off").general.netlink_overrun_resync);
        CPPUNIT_ASSERT_EQUAL(5, general("NetlinkOverrunResync 5").general.netlink_overrun_resync);
        // 0 is the reference's "unset": the default 30.
        CPPUNIT_ASSERT_EQUAL(30, general("NetlinkOverrunResync 0").general.netlink_overrun_resync);
    }

    void netlink_events_reliable() {
        CPPUNIT_ASSERT(general("NetlinkEventsReliable on").general.netlink_events_reliable);
        CPPUNIT_ASSERT(!general("NetlinkEventsReliable yes\nNetlinkEventsReliable Off")
                            .general.netlink_events_reliable);
    }

    void poll_secs() {
        CPPUNIT_ASSERT_EQUAL(15u, *general("PollSecs 15").general.poll_secs);
    }

    void event_iteration_limit() {
        CPPUNIT_ASSERT_EQUAL(7u, general("EventIterationLimit 7").general.event_iteration_limit);
        CPPUNIT_ASSERT_EQUAL(100u, general("EventIterationLimit 0").general.event_iteration_limit);
    }

    void nice_is_deprecated() {
        Config c = general("Nice -5\nNice +5");
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:3: Nice is deprecated and ignored: set the nice "
                                         "value with nice(1) or renice(1)\n"
                                         "test.conf:4: Nice is deprecated and ignored: set the nice "
                                         "value with nice(1) or renice(1)\n"),
                             joined(c.warnings));
    }

    void scheduler() {
        Config fifo = general("Scheduler {\n Type FIFO\n Priority 7\n}");
        CPPUNIT_ASSERT_EQUAL(int(SCHED_FIFO), *fifo.general.scheduler.type);
        CPPUNIT_ASSERT_EQUAL(7, *fifo.general.scheduler.priority);
        CPPUNIT_ASSERT_EQUAL(int(SCHED_FIFO), fifo.general.scheduler.effective_type());
        CPPUNIT_ASSERT_EQUAL(7, fifo.general.scheduler.effective_priority());
        CPPUNIT_ASSERT(fifo.warnings.empty());
        // Type is case-insensitive; the last one counts.
        Config rr = general("Scheduler { Type fifo Type rr Priority 99 }");
        CPPUNIT_ASSERT_EQUAL(int(SCHED_RR), rr.general.scheduler.effective_type());
        CPPUNIT_ASSERT_EQUAL(99, rr.general.scheduler.effective_priority());
    }

    void scheduler_priority_without_type() {
        // Observed with chrt on 1.4.7: Priority alone is ignored, RR 99 is used.
        Config c = general("Scheduler {\n Priority 5\n}");
        CPPUNIT_ASSERT_EQUAL(int(SCHED_RR), c.general.scheduler.effective_type());
        CPPUNIT_ASSERT_EQUAL(sched_get_priority_max(SCHED_RR), c.general.scheduler.effective_priority());
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: Scheduler Priority without Type is ignored: the "
                                         "daemon uses RR at priority 99\n"),
                             joined(c.warnings));
    }

    void scheduler_type_without_priority() {
        // Observed: the reference then asks for priority 0, the kernel
        // refuses it and the daemon keeps SCHED_OTHER.
        Config c = general("Scheduler {\n Type RR\n}");
        CPPUNIT_ASSERT_EQUAL(int(SCHED_RR), c.general.scheduler.effective_type());
        CPPUNIT_ASSERT_EQUAL(0, c.general.scheduler.effective_priority());
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:4: Scheduler Type RR needs a Priority from 1 to 99: "
                                         "with 0 the kernel refuses the real-time policy and the daemon "
                                         "keeps its scheduler\n"),
                             joined(c.warnings));
    }

    void systemd() {
        CPPUNIT_ASSERT(!general("Systemd off").general.systemd);
        CPPUNIT_ASSERT(general("Systemd no\nSystemd yes").general.systemd);
    }

    void later_values_win() {
        // Several General blocks: each keyword keeps its last value.
        Config c = cfg_test::parse("General { HashSize 1 LockFile /a }\n"
                                   "General { HashSize 2 UNIX { Path /p } }\n");
        CPPUNIT_ASSERT_EQUAL(2u, *c.general.hash_size);
        CPPUNIT_ASSERT_EQUAL(std::string("/a"), c.general.lock_file);
        CPPUNIT_ASSERT_EQUAL(1u, c.general.line);
    }

    void tabs_in_paths_warn() {
        // The reference keeps a tab or a carriage return in a path (a file
        // with DOS line ends gets "lock\r"): same value, but we say so.
        Config c = cfg_test::parse("General {\r\n UNIX { Path /run/ctd.ctl }\r\n LockFile /tmp/lock\r\n}\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp/lock\r"), c.general.lock_file);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:3: LockFile path '/tmp/lock\\r' contains a tab or "
                                         "carriage return (kept as written; is the file in DOS format?)\n"),
                             joined(c.warnings));
    }

    void nul_byte_ends_the_file() {
        // As for the reference, whose lexer returns the NUL as end of input.
        std::string text = cfg_test::general_text("HashSize 5");
        text += '\0';
        text += "General { HashSize x }\n";
        Config c = cfg_test::parse(text);
        CPPUNIT_ASSERT_EQUAL(5u, *c.general.hash_size);
        CPPUNIT_ASSERT_EQUAL(std::string("test.conf:5: a NUL byte ends the file here: the rest is ignored, "
                                         "as by the reference\n"),
                             joined(c.warnings));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GeneralTest);
