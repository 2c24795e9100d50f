// Paths the test harness exports (see tests/Makefile.am).
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <string>

namespace test_env {

inline std::string require(const char *name) {
    const char *value = std::getenv(name);
    if (!value || !*value)
        CPPUNIT_FAIL(std::string("environment variable ") + name +
                     " is not set: run the tests with `make check'");
    return value;
}

inline std::string fixtures() { return require("CTD_FIXTURES"); }
inline std::string staged_plugins() { return require("CONNTRACKD_PLUGIN_DIR"); }

// A scratch directory removed by the destructor.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/ctd-unit-XXXXXX";
        const char *made = mkdtemp(pattern);
        if (!made)
            CPPUNIT_FAIL("mkdtemp failed");
        path_ = made;
    }
    ~TempDir() {
        std::string command = "rm -rf '" + path_ + "'";
        if (std::system(command.c_str()) != 0) {
        }
    }
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

} // namespace test_env
