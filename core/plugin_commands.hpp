// --plugins and --plugin-info: what an admin or packager uses to see which
// plugins are installed, whether they load, and what keywords they take.
#pragma once

#include <string>
#include <vector>

namespace ctd {

class PluginLoader;

// Prints every plugin file found with kind, name, version and ABI.  Returns
// 0 if all of them passed the loader's checks, 1 otherwise.
int list_plugins(const PluginLoader &loader);

// Loads and initialises KIND/NAME and describes it.  Returns 0, or the
// loader's CTD_LOAD_* code on failure (after logging the error).
int describe_plugin(PluginLoader &loader, const std::string &spec);

} // namespace ctd
