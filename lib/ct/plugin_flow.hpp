// Conversion between ct::Flow and the plugin ABI's struct ctd_flow.
#pragma once

#include "ct/flow.hpp"

#include <conntrackd/plugin.h>

namespace ct {

// Fills `out` (whose size member is set to sizeof(ctd_flow)).  out.secctx
// points into `flow` and is valid as long as `flow` is unchanged.  Labels
// beyond the ABI's 128 bits and attributes the ABI lacks are dropped.
void to_plugin_flow(const Flow &flow, ctd_flow &out);

// Reads a ctd_flow, honouring its size member (members past it are absent).
void from_plugin_flow(const ctd_flow &in, Flow &out);

} // namespace ct
