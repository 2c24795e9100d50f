// conntrack: command line entry point.
#include "commands.hpp"

int main(int argc, char **argv) {
    std::vector<std::string> args(argv, argv + argc);
    return cli::run(args);
}
