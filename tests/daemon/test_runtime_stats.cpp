// `conntrackd -s runtime`: the uptime wording and the text layout, checked
// against what the reference (Debian's 1.4.7) prints.
#include <cppunit/extensions/HelperMacros.h>

#include "runtime_stats.hpp"

using namespace ctd;

class RuntimeStatsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RuntimeStatsTest);
    CPPUNIT_TEST(uptime_below_one_hour_is_minutes_only);
    CPPUNIT_TEST(uptime_shows_hours_only_when_not_zero);
    CPPUNIT_TEST(uptime_days_singular_and_plural);
    CPPUNIT_TEST(layout_with_zero_counters_is_the_references);
    CPPUNIT_TEST(each_counter_lands_on_its_line);
    CPPUNIT_TEST(wide_counters_are_not_truncated);
    CPPUNIT_TEST_SUITE_END();

public:
    // Observed with the reference, its clock shifted by the given seconds.
    void uptime_below_one_hour_is_minutes_only() {
        CPPUNIT_ASSERT_EQUAL(std::string("0 min"), format_uptime(0));
        CPPUNIT_ASSERT_EQUAL(std::string("0 min"), format_uptime(59));
        CPPUNIT_ASSERT_EQUAL(std::string("1 min"), format_uptime(60));
        CPPUNIT_ASSERT_EQUAL(std::string("59 min"), format_uptime(3599));
    }

    void uptime_shows_hours_only_when_not_zero() {
        CPPUNIT_ASSERT_EQUAL(std::string("1 h 0 min"), format_uptime(3600));
        CPPUNIT_ASSERT_EQUAL(std::string("1 h 1 min"), format_uptime(3661));
        CPPUNIT_ASSERT_EQUAL(std::string("23 h 59 min"), format_uptime(86399));
    }

    void uptime_days_singular_and_plural() {
        CPPUNIT_ASSERT_EQUAL(std::string("1 day 0 min"), format_uptime(86400));
        CPPUNIT_ASSERT_EQUAL(std::string("1 day 1 h 1 min"), format_uptime(90061));
        CPPUNIT_ASSERT_EQUAL(std::string("2 days 0 min"), format_uptime(172800));
        CPPUNIT_ASSERT_EQUAL(std::string("2 days 1 h 0 min"), format_uptime(176400));
        CPPUNIT_ASSERT_EQUAL(std::string("100 days 0 min"), format_uptime(8640000));
    }

    // Byte for byte what Debian's conntrackd 1.4.7 replied to request 30
    // right after it started with no Sync or Stats section.
    void layout_with_zero_counters_is_the_references() {
        const std::string reference =
            "daemon uptime: 0 min\n"
            "\n"
            "netlink stats:\n"
            "\tevents received:\t                   0\n"
            "\tevents filtered:\t                   0\n"
            "\tevents unknown type:\t\t           0\n"
            "\tcatch event failed:\t\t           0\n"
            "\tdump unknown type:\t\t           0\n"
            "\tnetlink overrun:\t\t           0\n"
            "\tflush kernel table:\t\t           0\n"
            "\tresync with kernel table:\t           0\n"
            "\tcurrent buffer size (in bytes):\t           0\n"
            "\n"
            "runtime stats:\n"
            "\tchild process failed:\t\t           0\n"
            "\t\tchild process segfault:\t           0\n"
            "\t\tchild process termsig:\t           0\n"
            "\tselect failed:\t\t\t           0\n"
            "\twait failed:\t\t\t           0\n"
            "\tlocal read failed:\t\t           0\n"
            "\tlocal unknown request:\t\t           0\n"
            "\n";
        CPPUNIT_ASSERT_EQUAL(reference, format_runtime_stats(30, NetlinkCounters(), RuntimeCounters()));
    }

    void each_counter_lands_on_its_line() {
        NetlinkCounters n;
        n.events_received = 101;
        n.events_filtered = 102;
        n.events_unknown_type = 103;
        n.catch_event_failed = 104;
        n.dump_unknown_type = 105;
        n.netlink_overrun = 106;
        n.flush_kernel_table = 107;
        n.resync_kernel_table = 108;
        n.current_buffer_size = 212992;
        RuntimeCounters r;
        r.child_process_failed = 201;
        r.child_process_segfault = 202;
        r.child_process_termsig = 203;
        r.select_failed = 204;
        r.wait_failed = 205;
        r.local_read_failed = 206;
        r.local_unknown_request = 207;
        std::string text = format_runtime_stats(90061, n, r);
        const char *lines[] = {
            "daemon uptime: 1 day 1 h 1 min\n",
            "\tevents received:\t                 101\n",
            "\tevents filtered:\t                 102\n",
            "\tevents unknown type:\t\t         103\n",
            "\tcatch event failed:\t\t         104\n",
            "\tdump unknown type:\t\t         105\n",
            "\tnetlink overrun:\t\t         106\n",
            "\tflush kernel table:\t\t         107\n",
            "\tresync with kernel table:\t         108\n",
            "\tcurrent buffer size (in bytes):\t      212992\n",
            "\tchild process failed:\t\t         201\n",
            "\t\tchild process segfault:\t         202\n",
            "\t\tchild process termsig:\t         203\n",
            "\tselect failed:\t\t\t         204\n",
            "\twait failed:\t\t\t         205\n",
            "\tlocal read failed:\t\t         206\n",
            "\tlocal unknown request:\t\t         207\n",
        };
        size_t from = 0;
        for (const char *line : lines) {
            size_t at = text.find(line, from);
            CPPUNIT_ASSERT_MESSAGE(std::string("in order: ") + line, at != std::string::npos);
            from = at;
        }
    }

    void wide_counters_are_not_truncated() {
        NetlinkCounters n;
        n.events_unknown_type = 12345678901234ull; // wider than the 12 columns
        std::string text = format_runtime_stats(0, n, RuntimeCounters());
        CPPUNIT_ASSERT(text.find("\tevents unknown type:\t\t12345678901234\n") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RuntimeStatsTest);
