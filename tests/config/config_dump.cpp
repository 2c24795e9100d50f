// Parses a conntrackd.conf with the core's parser and prints the model
// (to_string) on stdout, or the error on stderr with exit status 1.  With
// --reference-plugins, every plugin block is also checked with PluginConfig
// against the keywords the reference takes in that block, so the verdict
// covers the whole file as the daemon will check it.  The shell tests use
// it to compare our verdict with the reference's.
#include "config/config.hpp"
#include "reference_plugins.hpp"

#include <cstdio>
#include <cstring>

int main(int argc, char **argv) {
    bool with_plugins = argc == 3 && !std::strcmp(argv[1], "--reference-plugins");
    if (argc != 2 && !with_plugins) {
        std::fprintf(stderr, "usage: %s [--reference-plugins] FILE\n", argv[0]);
        return 2;
    }
    try {
        ctd::config::Config config = ctd::config::parse_file(argv[argc - 1]);
        if (with_plugins)
            reference_plugins::check(config, &config.warnings);
        std::fputs(ctd::config::to_string(config).c_str(), stdout);
    } catch (const ctd::ConfigError &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
