// Running conntrack commands against the kernel.
#pragma once

#include "command_line.hpp"

#include <string>
#include <vector>

namespace cli {

// The whole program: -R/--load-file detection, parsing, execution, the
// messages on stderr and the exit status.  argv[0] is the program name.
int run(const std::vector<std::string> &argv);

// Runs one parsed command.  Returns the exit status; throws CliError for
// the failures the reference reports with a message.
int execute(const CommandLine &cmd);

// The error text the reference prints after "Operation failed: " for a
// netlink error (a positive errno) of a command.
std::string operation_error_text(int error, const CommandLine &cmd);

} // namespace cli
