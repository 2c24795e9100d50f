// The loader refuses each kind of broken plugin with its own code and exact
// message, and loads a good one.
#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "event_loop.hpp"
#include "log.hpp"
#include "plugin_config.hpp"
#include "plugin_host.hpp"
#include "plugin_loader.hpp"
#include "test_env.hpp"

using namespace ctd;

namespace {

// "1.1": the ABI this core was built with (messages quote it).
std::string current_abi() {
    return std::to_string(CTD_PLUGIN_ABI_MAJOR) + "." + std::to_string(CTD_PLUGIN_ABI_MINOR);
}

// Loads KIND/NAME from the fixture directory alone and returns the error.
struct Refusal {
    int code = CTD_LOAD_OK;
    std::string message;
};

Refusal refusal(PluginKind kind, const std::string &name,
                const std::vector<std::string> &extra_dirs = {}) {
    EventLoop loop;
    PluginHost host(&loop);
    PluginLoader loader(test_env::fixtures(), &host);
    for (const auto &dir : extra_dirs)
        loader.add_directory(dir);
    try {
        loader.load(kind, name);
    } catch (const PluginError &e) {
        return {e.code(), e.what()};
    }
    return {};
}

std::string fixture(const std::string &file) { return test_env::fixtures() + "/" + file; }

} // namespace

class PluginLoaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginLoaderTest);
    CPPUNIT_TEST(loads_good_plugin);
    CPPUNIT_TEST(same_plugin_loads_once);
    CPPUNIT_TEST(not_found_lists_paths_and_available);
    CPPUNIT_TEST(invalid_name_is_not_found);
    CPPUNIT_TEST(not_a_shared_object);
    CPPUNIT_TEST(unresolved_symbol);
    CPPUNIT_TEST(no_entry_symbol);
    CPPUNIT_TEST(null_descriptor);
    CPPUNIT_TEST(descriptor_too_small);
    CPPUNIT_TEST(abi_major_differs);
    CPPUNIT_TEST(abi_minor_newer);
    CPPUNIT_TEST(wrong_kind);
    CPPUNIT_TEST(wrong_name);
    CPPUNIT_TEST(missing_operation);
    CPPUNIT_TEST(duplicate_name);
    CPPUNIT_TEST(init_failed);
    CPPUNIT_TEST(scan_finds_every_fixture);
    CPPUNIT_TEST(extra_directory_searched_first);
    CPPUNIT_TEST(unload_releases_registrations);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { logger().set_console(false); }
    void tearDown() override { logger().set_console(true); }

    void loads_good_plugin() {
        EventLoop loop;
        PluginHost host(&loop);
        PluginLoader loader(test_env::fixtures(), &host);
        auto plugin = loader.load(PluginKind::output, "good");
        CPPUNIT_ASSERT_EQUAL(std::string("good"), plugin->name());
        CPPUNIT_ASSERT_EQUAL(std::string("2.3.4"), plugin->version());
        CPPUNIT_ASSERT(plugin->kind() == PluginKind::output);
        CPPUNIT_ASSERT_EQUAL(uint16_t(CTD_PLUGIN_ABI_MAJOR), plugin->abi_major());
        CPPUNIT_ASSERT_EQUAL(size_t(4), plugin->config_keys().size());
        CPPUNIT_ASSERT_EQUAL(std::string("Path"), std::string(plugin->config_keys()[0].name));
        CPPUNIT_ASSERT(plugin->initialised());
        CPPUNIT_ASSERT(plugin->ops<ctd_output_ops>().write_flow != nullptr);
    }

    void same_plugin_loads_once() {
        EventLoop loop;
        PluginHost host(&loop);
        PluginLoader loader(test_env::fixtures(), &host);
        auto first = loader.load(PluginKind::output, "good");
        auto second = loader.load(PluginKind::output, "good");
        CPPUNIT_ASSERT(first.get() == second.get());
        CPPUNIT_ASSERT_EQUAL(size_t(1), loader.loaded().size());
    }

    void not_found_lists_paths_and_available() {
        test_env::TempDir extra;
        Refusal r = refusal(PluginKind::transport, "carrier-pigeon", {extra.path()});
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_NOT_FOUND, r.code);
        CPPUNIT_ASSERT_EQUAL("transport plugin 'carrier-pigeon' not found; tried " + extra.path() +
                                 "/ct_transport_carrier-pigeon.so, " +
                                 fixture("ct_transport_carrier-pigeon.so") +
                                 "; available transport plugins: none",
                             r.message);
        Refusal s = refusal(PluginKind::sync, "ftfw");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_NOT_FOUND, s.code);
        CPPUNIT_ASSERT_EQUAL("sync plugin 'ftfw' not found; tried " + fixture("ct_sync_ftfw.so") +
                                 "; available sync plugins: kind",
                             s.message);
    }

    void invalid_name_is_not_found() {
        Refusal r = refusal(PluginKind::output, "../etc/passwd");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_NOT_FOUND, r.code);
        CPPUNIT_ASSERT_EQUAL(std::string("output plugin '../etc/passwd': not a valid plugin name "
                                         "(1-32 characters of a-z, 0-9, '_' and '-')"),
                             r.message);
    }

    void not_a_shared_object() {
        Refusal r = refusal(PluginKind::output, "garbage");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_NOT_LOADABLE, r.code);
        std::string path = fixture("ct_output_garbage.so");
        CPPUNIT_ASSERT_EQUAL("cannot load plugin " + path + ": " + path +
                                 ": invalid ELF header (check its library dependencies with: ldd " +
                                 path + ")",
                             r.message);
    }

    void unresolved_symbol() {
        Refusal r = refusal(PluginKind::output, "unresolved");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_NOT_LOADABLE, r.code);
        std::string path = fixture("ct_output_unresolved.so");
        CPPUNIT_ASSERT_EQUAL("cannot load plugin " + path + ": " + path +
                                 ": undefined symbol: ctd_fixture_symbol_that_does_not_exist "
                                 "(check its library dependencies with: ldd " + path + ")",
                             r.message);
    }

    void no_entry_symbol() {
        Refusal r = refusal(PluginKind::output, "noentry");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_NO_ENTRY, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_noentry.so") +
                                 " has no entry function ctd_plugin_entry(): it is not a conntrackd "
                                 "plugin, or it was not built with the SDK's CTD_*_PLUGIN macro",
                             r.message);
    }

    void null_descriptor() {
        Refusal r = refusal(PluginKind::output, "nulldesc");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_BAD_DESCRIPTOR, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_nulldesc.so") +
                                 ": its entry function returned no descriptor",
                             r.message);
    }

    void descriptor_too_small() {
        Refusal r = refusal(PluginKind::output, "small");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_BAD_DESCRIPTOR, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_small.so") +
                                 ": descriptor size 16 is smaller than ABI " + current_abi() + " defines (" +
                                 std::to_string(sizeof(ctd_plugin_descriptor)) + ")",
                             r.message);
    }

    void abi_major_differs() {
        Refusal r = refusal(PluginKind::output, "major");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_ABI_MAJOR, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_major.so") +
                                 " was built for plugin ABI 2." + std::to_string(CTD_PLUGIN_ABI_MINOR) +
                                 ", but this conntrackd has ABI " +
                                 current_abi() + ": "
                                 "the major versions differ; rebuild the plugin against this "
                                 "conntrackd's SDK",
                             r.message);
    }

    void abi_minor_newer() {
        Refusal r = refusal(PluginKind::output, "minor");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_ABI_MINOR_NEWER, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_minor.so") +
                                 " needs plugin ABI 1." + std::to_string(CTD_PLUGIN_ABI_MINOR + 1) +
                                 ", newer than this conntrackd's ABI " + current_abi() + ": "
                                 "upgrade conntrackd or rebuild the plugin against its SDK",
                             r.message);
    }

    void wrong_kind() {
        Refusal r = refusal(PluginKind::sync, "kind");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_WRONG_KIND, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_sync_kind.so") +
                                 " is an output plugin, but a sync plugin was asked for",
                             r.message);
    }

    void wrong_name() {
        Refusal r = refusal(PluginKind::output, "misnamed");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_WRONG_NAME, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_misnamed.so") +
                                 " calls itself 'othername', but its file name says 'misnamed'",
                             r.message);
    }

    void missing_operation() {
        Refusal r = refusal(PluginKind::output, "nowrite");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_BAD_DESCRIPTOR, r.code);
        CPPUNIT_ASSERT_EQUAL("plugin " + fixture("ct_output_nowrite.so") +
                                 ": output operation write_flow is missing",
                             r.message);
    }

    void duplicate_name() {
        test_env::TempDir other;
        std::string copy = other.path() + "/ct_output_good.so";
        CPPUNIT_ASSERT_EQUAL(0, symlink(fixture("ct_output_good.so").c_str(), copy.c_str()));
        Refusal r = refusal(PluginKind::output, "good", {other.path()});
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_DUPLICATE, r.code);
        CPPUNIT_ASSERT_EQUAL("output plugin 'good' is provided twice: " + copy + " and " +
                                 fixture("ct_output_good.so") +
                                 "; remove one of them so it is clear which one runs",
                             r.message);
    }

    void init_failed() {
        Refusal r = refusal(PluginKind::output, "initfail");
        CPPUNIT_ASSERT_EQUAL(CTD_LOAD_INIT_FAILED, r.code);
        CPPUNIT_ASSERT_EQUAL("output plugin 'initfail' (" + fixture("ct_output_initfail.so") +
                                 ") failed to initialise: fixture refuses to start: no coffee",
                             r.message);
    }

    void scan_finds_every_fixture() {
        PluginLoader loader(test_env::fixtures(), nullptr);
        std::vector<PluginFile> files = loader.scan();
        std::vector<std::string> names;
        for (const auto &f : files)
            names.push_back(std::string(plugin_kind_name(f.kind)) + "/" + f.name);
        // Sorted by kind, then name; non-plugin file names are skipped.
        std::vector<std::string> expected = {
            "sync/kind",          "output/garbage",    "output/good",  "output/initfail",
            "output/major",       "output/minor",      "output/misnamed", "output/noentry",
            "output/nowrite",     "output/nulldesc",   "output/small", "output/unresolved"};
        CPPUNIT_ASSERT_EQUAL(expected.size(), names.size());
        for (size_t i = 0; i < expected.size(); ++i)
            CPPUNIT_ASSERT_EQUAL(expected[i], names[i]);
    }

    void extra_directory_searched_first() {
        PluginLoader loader("/default", nullptr);
        loader.add_directory("/first/");
        loader.add_directory("/second");
        loader.add_directory("/first");
        std::vector<std::string> dirs = loader.directories();
        CPPUNIT_ASSERT_EQUAL(size_t(3), dirs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/first"), dirs[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("/second"), dirs[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("/default"), dirs[2]);
    }

    void unload_releases_registrations() {
        // A plugin's timers and watched fds die with it: no callback into
        // unloaded code can remain on the loop.
        EventLoop loop;
        PluginHost host(&loop);
        int pipe_fds[2];
        CPPUNIT_ASSERT_EQUAL(0, pipe(pipe_fds));
        {
            PluginLoader loader(test_env::fixtures(), &host);
            auto plugin = loader.load(PluginKind::output, "good");
            const ctd_host_api *api = host.api();
            CPPUNIT_ASSERT_EQUAL(0, api->fd_watch(plugin->host(), pipe_fds[0], CTD_FD_READ,
                                                  [](void *, int, uint32_t) {}, nullptr));
            ctd_timer *timer = api->timer_new(plugin->host(), [](void *) {}, nullptr);
            api->timer_arm(timer, 1000000, 0);
            CPPUNIT_ASSERT(loop.watching(pipe_fds[0]));
        }
        CPPUNIT_ASSERT(!loop.watching(pipe_fds[0]));
        close(pipe_fds[0]);
        close(pipe_fds[1]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginLoaderTest);
