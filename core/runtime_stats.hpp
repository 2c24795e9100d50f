// The counters behind `conntrackd -s runtime` and their text, in the
// reference's layout (reference-behaviour §5.1):
//
//   daemon uptime: 2 days 3 h 4 min
//
//   netlink stats:
//   	events received:	                   0
//   	...
//   runtime stats:
//   	child process failed:		           0
//   	...
//
// The core fills the structs; this file only formats them.  Counters are
// 64 bits wide (the reference's 32-bit ones wrap); the widths are the
// reference's, so small values line up exactly as it prints them.
#pragma once

#include <cstdint>
#include <string>

namespace ctd {

// Kept up to date by the ctnetlink code (events and dumps).
struct NetlinkCounters {
    uint64_t events_received = 0;
    uint64_t events_filtered = 0;
    uint64_t events_unknown_type = 0;
    uint64_t catch_event_failed = 0;
    uint64_t dump_unknown_type = 0;
    uint64_t netlink_overrun = 0;
    uint64_t flush_kernel_table = 0;
    uint64_t resync_kernel_table = 0;
    uint64_t current_buffer_size = 0; // bytes
};

// Kept up to date by the process table, the main loop and the control socket.
struct RuntimeCounters {
    uint64_t child_process_failed = 0;  // every child that ended on a signal
    uint64_t child_process_segfault = 0;
    uint64_t child_process_termsig = 0; // SIGINT, SIGTERM or SIGKILL
    uint64_t select_failed = 0;         // the main loop's wait failed
    uint64_t wait_failed = 0;           // waitpid() failed
    uint64_t local_read_failed = 0;     // a control client sent no complete request
    uint64_t local_unknown_request = 0; // a request no handler took
};

// "0 min", "1 h 5 min", "1 day 0 min", "3 days 2 h 7 min": the reference's
// wording (seconds are dropped, hours only when non-zero).
std::string format_uptime(uint64_t seconds);

// The whole reply to STATS_RUNTIME (request 30).
std::string format_runtime_stats(uint64_t uptime_seconds, const NetlinkCounters &netlink,
                                 const RuntimeCounters &runtime);

// Seconds since boot, suspend included; unlike the wall clock it does not
// jump when the time is set, so the uptime stays right.
uint64_t boottime_seconds();

} // namespace ctd
