// Log lines have the reference's layout.
#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <regex>
#include <unistd.h>

#include "log.hpp"
#include "test_env.hpp"

using namespace ctd;

class LogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogTest);
    CPPUNIT_TEST(file_lines_have_reference_layout);
    CPPUNIT_TEST(debug_lines_only_when_enabled);
    CPPUNIT_TEST(open_failure_is_reported);
    CPPUNIT_TEST_SUITE_END();

    std::vector<std::string> lines_of(const std::string &path) {
        std::ifstream in(path);
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        return lines;
    }

public:
    void tearDown() override {
        logger().close();
        logger().set_console(true);
        logger().set_debug(false);
    }

    void file_lines_have_reference_layout() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/conntrackd.log";
        std::string error;
        logger().set_console(false);
        CPPUNIT_ASSERT(logger().open_file(path, error));
        logger().log(log_notice, "-- starting in console mode --");
        logger().logf(log_error, "can't open config file `%s'", "/x");
        logger().log(log_warning, "w");
        logger().log(log_info, "i");
        auto lines = lines_of(path);
        CPPUNIT_ASSERT_EQUAL(size_t(4), lines.size());
        std::string pid = std::to_string(getpid());
        std::regex layout(R"(^\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 0-9][0-9] )"
                          R"([0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\] \(pid=)" + pid +
                          R"(\) \[(notice|ERROR|warning|info)\] .*$)");
        for (const auto &line : lines)
            CPPUNIT_ASSERT_MESSAGE(line, std::regex_match(line, layout));
        CPPUNIT_ASSERT(lines[0].find("[notice] -- starting in console mode --") != std::string::npos);
        CPPUNIT_ASSERT(lines[1].find("[ERROR] can't open config file `/x'") != std::string::npos);
        CPPUNIT_ASSERT(lines[2].find("[warning] w") != std::string::npos);
        CPPUNIT_ASSERT(lines[3].find("[info] i") != std::string::npos);
    }

    void debug_lines_only_when_enabled() {
        test_env::TempDir dir;
        std::string path = dir.path() + "/d.log";
        std::string error;
        logger().set_console(false);
        CPPUNIT_ASSERT(logger().open_file(path, error));
        logger().log(log_debug, "hidden");
        logger().set_debug(true);
        logger().log(log_debug, "shown");
        auto lines = lines_of(path);
        CPPUNIT_ASSERT_EQUAL(size_t(1), lines.size());
        CPPUNIT_ASSERT(lines[0].find("[debug] shown") != std::string::npos);
    }

    void open_failure_is_reported() {
        std::string error;
        CPPUNIT_ASSERT(!logger().open_file("/nonexistent-dir/x.log", error));
        CPPUNIT_ASSERT_EQUAL(std::string("can't open log file `/nonexistent-dir/x.log'"), error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogTest);
