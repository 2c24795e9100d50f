// A plugin's config block is checked against the keys it declared.
#include <cppunit/extensions/HelperMacros.h>

#include "plugin_config.hpp"

using namespace ctd;

namespace {

const std::vector<ctd_config_key> keys = {
    {"Interface", CTD_CONFIG_STRING, CTD_CONFIG_REQUIRED, nullptr, "link device", 0, 0},
    {"Port", CTD_CONFIG_UINT, 0, "3780", "UDP port", 1, 65535},
    {"Checksum", CTD_CONFIG_BOOL, 0, "on", "UDP checksum", 0, 0},
    {"IPv4_address", CTD_CONFIG_ADDRESS, 0, nullptr, "bind address", 0, 0},
    {"LogFile", CTD_CONFIG_PATH, 0, nullptr, "where", 0, 0},
    {"Nice", CTD_CONFIG_INT, 0, "0", "priority", -20, 19},
    {"Tag", CTD_CONFIG_STRING, CTD_CONFIG_REPEATABLE, nullptr, "tags", 0, 0},
};

std::string error_of(const std::vector<ConfigEntry> &entries) {
    try {
        PluginConfig config("/etc/c.conf", "Sync/UDP", 7, keys, entries);
    } catch (const ConfigError &e) {
        return e.what();
    }
    return "";
}

const ctd_config_value *find(const ctd_config *c, const char *key) {
    for (size_t i = 0; i < c->count; ++i)
        if (std::string(c->values[i].key) == key)
            return &c->values[i];
    return nullptr;
}

} // namespace

class PluginConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PluginConfigTest);
    CPPUNIT_TEST(values_and_defaults);
    CPPUNIT_TEST(unknown_key);
    CPPUNIT_TEST(missing_required);
    CPPUNIT_TEST(number_out_of_range);
    CPPUNIT_TEST(not_a_number);
    CPPUNIT_TEST(bad_boolean);
    CPPUNIT_TEST(bad_address);
    CPPUNIT_TEST(relative_path);
    CPPUNIT_TEST(signed_range);
    CPPUNIT_TEST(repeated_key);
    CPPUNIT_TEST_SUITE_END();

public:
    void values_and_defaults() {
        PluginConfig config("/etc/c.conf", "Sync/UDP", 7, keys,
                            {{"Interface", "eth1", 9},
                             {"Checksum", "OFF", 10},
                             {"IPv4_address", "192.168.1.0/24", 11},
                             {"Tag", "a", 12},
                             {"Tag", "b", 13}});
        const ctd_config *c = config.get();
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/c.conf"), std::string(c->file));
        CPPUNIT_ASSERT_EQUAL(std::string("Sync/UDP"), std::string(c->block));
        const ctd_config_value *port = find(c, "Port");
        CPPUNIT_ASSERT(port && port->is_default);
        CPPUNIT_ASSERT_EQUAL(int64_t(3780), port->number);
        const ctd_config_value *checksum = find(c, "Checksum");
        CPPUNIT_ASSERT_EQUAL(int64_t(0), checksum->number);
        CPPUNIT_ASSERT_EQUAL(uint32_t(10), checksum->line);
        const ctd_config_value *logfile = find(c, "LogFile");
        CPPUNIT_ASSERT(logfile && logfile->text == nullptr && logfile->is_default);
        size_t tags = 0;
        for (size_t i = 0; i < c->count; ++i)
            tags += std::string(c->values[i].key) == "Tag";
        CPPUNIT_ASSERT_EQUAL(size_t(2), tags);
    }
    void unknown_key() {
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/c.conf:9: unknown keyword 'Prot' in Sync/UDP "
                                         "(expected one of: Interface, Port, Checksum, "
                                         "IPv4_address, LogFile, Nice, Tag)"),
                             error_of({{"Interface", "eth0", 8}, {"Prot", "1", 9}}));
    }
    void missing_required() {
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/c.conf:7: Sync/UDP needs 'Interface' (link device)"),
                             error_of({{"Port", "1", 8}}));
    }
    void number_out_of_range() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/etc/c.conf:8: 'Port' expects a number from 1 to 65535, found '65536'"),
            error_of({{"Interface", "eth0", 7}, {"Port", "65536", 8}}));
    }
    void not_a_number() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/etc/c.conf:8: 'Port' expects a number from 1 to 65535, found '12a'"),
            error_of({{"Interface", "eth0", 7}, {"Port", "12a", 8}}));
    }
    void bad_boolean() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/etc/c.conf:8: 'Checksum' expects on, off, yes or no, found 'maybe'"),
            error_of({{"Interface", "eth0", 7}, {"Checksum", "maybe", 8}}));
    }
    void bad_address() {
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/c.conf:8: 'IPv4_address' expects an IPv4 or IPv6 "
                                         "address, found '10.0.0.1/33'"),
                             error_of({{"Interface", "eth0", 7}, {"IPv4_address", "10.0.0.1/33", 8}}));
    }
    void relative_path() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/etc/c.conf:8: 'LogFile' expects an absolute path, found 'log.txt'"),
            error_of({{"Interface", "eth0", 7}, {"LogFile", "log.txt", 8}}));
    }
    void signed_range() {
        CPPUNIT_ASSERT_EQUAL(std::string(""), error_of({{"Interface", "e", 7}, {"Nice", "-20", 8}}));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/etc/c.conf:8: 'Nice' expects a number from -20 to 19, found '-21'"),
            error_of({{"Interface", "e", 7}, {"Nice", "-21", 8}}));
    }
    void repeated_key() {
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/c.conf:9: 'Port' is given twice in Sync/UDP"),
                             error_of({{"Interface", "e", 7}, {"Port", "1", 8}, {"Port", "2", 9}}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginConfigTest);
