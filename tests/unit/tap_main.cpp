// Runs every registered CppUnit test and reports each one as a TAP line, so
// that the automake harness counts test cases, not test programs.
#include <cppunit/Exception.h>
#include <cppunit/SourceLine.h>
#include <cppunit/Test.h>
#include <cppunit/TestFailure.h>
#include <cppunit/TestListener.h>
#include <cppunit/TestResult.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

class TapListener : public CppUnit::TestListener {
public:
    void startTest(CppUnit::Test *) override {
        failed_ = false;
        diagnostics_.clear();
    }
    void addFailure(const CppUnit::TestFailure &failure) override {
        failed_ = true;
        const CppUnit::Exception *e = failure.thrownException();
        CppUnit::SourceLine where = failure.sourceLine();
        if (where.isValid())
            diagnostics_ += where.fileName() + ":" + std::to_string(where.lineNumber()) + ": ";
        diagnostics_ += failure.isError() ? "error: " : "failed: ";
        diagnostics_ += e ? e->what() : "(no message)";
    }
    void endTest(CppUnit::Test *test) override {
        ++number_;
        std::printf("%s %d - %s\n", failed_ ? "not ok" : "ok", number_, test->getName().c_str());
        if (failed_) {
            // Each diagnostic line must start with '#'.
            std::string line;
            for (char c : diagnostics_) {
                if (c == '\n') {
                    std::printf("# %s\n", line.c_str());
                    line.clear();
                } else {
                    line += c;
                }
            }
            if (!line.empty())
                std::printf("# %s\n", line.c_str());
        }
        std::fflush(stdout);
    }

private:
    int number_ = 0;
    bool failed_ = false;
    std::string diagnostics_;
};

} // namespace

int main(int argc, char **argv) {
    CppUnit::Test *all = CppUnit::TestFactoryRegistry::getRegistry().makeTest();
    CppUnit::Test *selected = all;
    // An optional argument runs one suite or test by name (for debugging).
    if (argc > 1) {
        try {
            selected = all->findTest(argv[1]);
        } catch (const std::exception &) {
            std::fprintf(stderr, "no test named %s\n", argv[1]);
            return 2;
        }
    }
    std::printf("1..%d\n", selected->countTestCases());
    std::fflush(stdout);
    CppUnit::TestResult result;
    TapListener listener;
    result.addListener(&listener);
    selected->run(&result);
    delete all;
    return 0;
}
