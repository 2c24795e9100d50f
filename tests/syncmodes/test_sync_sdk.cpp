// The SDK's sync layer as the three modes use it (optional table entries,
// refusal of a core without sync services, the exception boundary), and
// their config keys, which must be the reference's for each mode.
#include <cppunit/extensions/HelperMacros.h>

#include "helpers.hpp"

using namespace mock;
using namespace syncmodes_test;

namespace {

std::vector<std::string> key_names(const ModePlugin &plugin) {
    std::vector<std::string> names;
    for (const ctd_config_key &key : plugin.keys())
        names.push_back(key.name);
    return names;
}

const ctd_config_key *find_key(const ModePlugin &plugin, const std::string &name) {
    for (const ctd_config_key &key : plugin.keys())
        if (name == key.name)
            return &key;
    return nullptr;
}

std::string config_error(ModePlugin &plugin, const std::vector<ctd::ConfigEntry> &entries,
                         const std::string &block) {
    World world;
    Host host(world);
    try {
        ModeInstance mode(plugin, host, entries, block);
    } catch (const ctd::ConfigError &e) {
        return e.what();
    }
    return "";
}

} // namespace

class SyncSdkTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SyncSdkTest);
    CPPUNIT_TEST(tables_have_the_entries_each_mode_implements);
    CPPUNIT_TEST(config_keys_are_the_reference_ones);
    CPPUNIT_TEST(config_defaults_and_ranges);
    CPPUNIT_TEST(keys_of_another_mode_are_refused);
    CPPUNIT_TEST(core_without_sync_services_is_refused);
    CPPUNIT_TEST(exception_in_receive_becomes_a_drop);
    CPPUNIT_TEST(modes_release_everything_when_destroyed);
    CPPUNIT_TEST_SUITE_END();

public:
    void tables_have_the_entries_each_mode_implements() {
        ModePlugin ftfw("ftfw"), notrack("notrack"), alarm("alarm");
        for (ModePlugin *p : {&ftfw, &notrack, &alarm}) {
            const ctd_sync_ops &ops = p->ops();
            CPPUNIT_ASSERT(ops.local_change && ops.receive && ops.send_bulk && ops.queue_stats);
            CPPUNIT_ASSERT(ops.object_area_size >= 32 && ops.object_area_size <= 64);
            CPPUNIT_ASSERT_EQUAL(0u, ops.object_area_size % 8);
        }
        CPPUNIT_ASSERT(ftfw.ops().request_resync && ftfw.ops().dump_resend_queue);
        CPPUNIT_ASSERT(notrack.ops().request_resync && !notrack.ops().dump_resend_queue);
        CPPUNIT_ASSERT(!alarm.ops().request_resync && !alarm.ops().dump_resend_queue);
    }

    // What 1.4.7's grammar accepts in each Mode block (checked against
    // /usr/sbin/conntrackd: any other keyword is a syntax error there).
    void config_keys_are_the_reference_ones() {
        ModePlugin ftfw("ftfw"), notrack("notrack"), alarm("alarm");
        CPPUNIT_ASSERT((std::vector<std::string>{"ResendQueueSize", "ACKWindowSize", "CommitTimeout",
                                                 "PurgeTimeout", "DisableExternalCache",
                                                 "StartupResync"}) == key_names(ftfw));
        CPPUNIT_ASSERT((std::vector<std::string>{"CommitTimeout", "PurgeTimeout",
                                                 "DisableInternalCache", "DisableExternalCache",
                                                 "StartupResync"}) == key_names(notrack));
        CPPUNIT_ASSERT((std::vector<std::string>{"RefreshTime", "CacheTimeout", "CommitTimeout",
                                                 "PurgeTimeout"}) == key_names(alarm));
    }

    void config_defaults_and_ranges() {
        ModePlugin ftfw("ftfw"), notrack("notrack"), alarm("alarm");
        CPPUNIT_ASSERT_EQUAL(std::string("131072"), std::string(find_key(ftfw, "ResendQueueSize")->default_value));
        CPPUNIT_ASSERT_EQUAL(std::string("300"), std::string(find_key(ftfw, "ACKWindowSize")->default_value));
        CPPUNIT_ASSERT_EQUAL(std::string("60"), std::string(find_key(alarm, "RefreshTime")->default_value));
        CPPUNIT_ASSERT_EQUAL(std::string("180"), std::string(find_key(alarm, "CacheTimeout")->default_value));
        for (ModePlugin *p : {&ftfw, &notrack, &alarm}) {
            CPPUNIT_ASSERT_EQUAL(std::string("60"), std::string(find_key(*p, "PurgeTimeout")->default_value));
            CPPUNIT_ASSERT(!find_key(*p, "CommitTimeout")->default_value); // unset
            CPPUNIT_ASSERT_EQUAL(uint32_t(CTD_CONFIG_UINT), find_key(*p, "CommitTimeout")->type);
        }
        CPPUNIT_ASSERT_EQUAL(uint32_t(CTD_CONFIG_BOOL), find_key(notrack, "DisableInternalCache")->type);
        // Values the reference's grammar takes are taken (0 is the default
        // there, and here); the others are refused with file and line.
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             config_error(ftfw, {{"ResendQueueSize", "0", 2}, {"ACKWindowSize", "0", 3}},
                                          "Sync/Mode FTFW"));
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             config_error(alarm, {{"CacheTimeout", "0", 2}, {"RefreshTime", "0", 3}},
                                          "Sync/Mode ALARM"));
        std::string e = config_error(ftfw, {{"ResendQueueSize", "-1", 4}}, "Sync/Mode FTFW");
        CPPUNIT_ASSERT_MESSAGE(e, e.find("test.conf:4:") == 0);
        e = config_error(alarm, {{"RefreshTime", "4294967296", 5}}, "Sync/Mode ALARM");
        CPPUNIT_ASSERT_MESSAGE(e, e.find("test.conf:5:") == 0);
        e = config_error(notrack, {{"StartupResync", "maybe", 6}}, "Sync/Mode NOTRACK");
        CPPUNIT_ASSERT_MESSAGE(e, e.find("test.conf:6:") == 0);
    }

    void keys_of_another_mode_are_refused() {
        ModePlugin ftfw("ftfw"), notrack("notrack"), alarm("alarm");
        struct Case {
            ModePlugin *plugin;
            const char *key, *value, *block;
        } cases[] = {
            {&ftfw, "RefreshTime", "5", "Sync/Mode FTFW"},
            {&ftfw, "DisableInternalCache", "on", "Sync/Mode FTFW"},
            {&alarm, "StartupResync", "on", "Sync/Mode ALARM"},
            {&alarm, "DisableExternalCache", "on", "Sync/Mode ALARM"},
            {&alarm, "ResendQueueSize", "5", "Sync/Mode ALARM"},
            {&notrack, "ACKWindowSize", "5", "Sync/Mode NOTRACK"},
            {&notrack, "CacheTimeout", "5", "Sync/Mode NOTRACK"},
        };
        for (const Case &c : cases) {
            std::string e = config_error(*c.plugin, {{c.key, c.value, 3}}, c.block);
            CPPUNIT_ASSERT_MESSAGE(e, e.find(std::string("unknown keyword '") + c.key + "'") !=
                                          std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(e, e.find(c.block) != std::string::npos);
        }
    }

    // A core older than ABI 1.1 has no sync services: the mode refuses to
    // start, with a reason, instead of calling through null pointers.
    void core_without_sync_services_is_refused() {
        ModePlugin plugin("ftfw", Host::api(offsetof(ctd_host_api, object_area)));
        World world;
        Host host(world);
        ModeInstance mode(plugin, host);
        CPPUNIT_ASSERT(!mode.self());
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.error().find("offers no sync services") !=
                                                 std::string::npos);
    }

    // NOTRACK without an internal cache needs send_kernel_table; on a core
    // without it the failure is logged and the message dropped, and the
    // exception never reaches the core.
    void exception_in_receive_becomes_a_drop() {
        ModePlugin plugin("notrack", Host::api(offsetof(ctd_host_api, send_kernel_table)));
        World world;
        Host host(world);
        ModeInstance mode(plugin, host, {{"DisableInternalCache", "yes", 2}});
        CPPUNIT_ASSERT_MESSAGE(mode.error(), mode.self());
        CPPUNIT_ASSERT_EQUAL(CTD_SYNC_MSG_DROP, host.receive(control(1, CTD_SYNC_F_RESYNC)));
        CPPUNIT_ASSERT_EQUAL(0u, host.kernel_table_sends);
        // The notices of the RESYNC, then the failure.
        CPPUNIT_ASSERT_EQUAL(size_t(3), host.logs.size());
        CPPUNIT_ASSERT_EQUAL(uint32_t(CTD_LOG_ERR), host.logs[2].first);
        CPPUNIT_ASSERT_EQUAL(std::string("this conntrackd cannot send its kernel table"),
                             host.logs[2].second);
        mode.send_bulk(); // the same, through another trampoline
        CPPUNIT_ASSERT_EQUAL(size_t(4), host.logs.size());
        CPPUNIT_ASSERT_EQUAL(uint32_t(CTD_LOG_ERR), host.logs[3].first);
    }

    // A mode destroyed with objects queued (the daemon stops) gives back
    // every reference and timer it had.
    void modes_release_everything_when_destroyed() {
        for (const char *name : {"ftfw", "notrack", "alarm"}) {
            ModePlugin plugin(name);
            World world;
            Host host(world);
            {
                ModeInstance mode(plugin, host);
                for (int i = 0; i < 10; ++i)
                    host.add_flow();
                world.settle();
                for (int i = 0; i < 5; ++i)
                    host.update_flow(host.objects[i].get());
                host.destroy_flow(host.objects[9].get());
                CPPUNIT_ASSERT_MESSAGE(name, host.held_references() > 0);
            }
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, uint64_t(0), host.held_references());
            CPPUNIT_ASSERT_MESSAGE(name, host.objects[9]->freed);
            for (const auto &timer : host.timers)
                CPPUNIT_ASSERT_MESSAGE(name, timer->freed);
            assert_clean(host);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SyncSdkTest);
