// `conntrackd -F` and the purge of `-t`: deleting the kernel's flows (and
// expectations) that the daemon tracks, in a child process, as the
// reference does, so that a large table does not stall the daemon.  Flows
// the filter ignores are not the daemon's business and stay.
#pragma once

#include "filter.hpp"
#include "process_table.hpp"

namespace ctd {

// Returns false (errno set) when no child could be started, e.g. EBUSY if a
// flush is running already.
bool flush_kernel_table(ProcessTable &processes, const FilterRules &filter, bool flows,
                        bool expectations);

} // namespace ctd
