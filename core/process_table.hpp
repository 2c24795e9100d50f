// The daemon's child processes: who runs, for what, and what became of them.
//
// Long jobs that must not stall the main loop (a large cache dump, a kernel
// table flush) run in a forked child.  The table lists the running children
// for `conntrackd -s process` (`PID=%u type=any|flush|commit`, newest first,
// as the reference prints them), refuses a second child of an exclusive kind
// (one kernel flush at a time), reaps them on SIGCHLD and logs the ones that
// ended on a signal, with the reference's messages and counters.
#pragma once

#include <functional>
#include <list>
#include <string>
#include <utility>
#include <sys/types.h>

#include "runtime_stats.hpp"

namespace ctd {

enum class ProcessType { any, flush, commit };
const char *process_type_name(ProcessType type);

class ProcessTable {
public:
    // Runs in the parent when the child has been reaped, with its wait status.
    using ExitCallback = std::function<void(int wait_status)>;

    explicit ProcessTable(RuntimeCounters &counters) : counters_(counters) {}
    ProcessTable(const ProcessTable &) = delete;
    ProcessTable &operator=(const ProcessTable &) = delete;

    // What every child does first, before its job, in the order added: the
    // daemon closes the descriptors a child must not keep (the control
    // socket and its clients, which would otherwise wait for the child's
    // exit to see their EOF; the lock file) and restores the signal mask so
    // that SIGTERM kills a child.  Returns an id for remove_child_setup().
    int add_child_setup(std::function<void()> setup);
    void remove_child_setup(int id);

    // fork(2) with bookkeeping.  Returns 0 in the child (which must end with
    // _exit, never return to the main loop), the child's pid in the parent,
    // and -1 on failure with errno set: EBUSY when `exclusive` and a child of
    // the same type is running, or fork's own errno.
    pid_t fork_child(ProcessType type, bool exclusive, ExitCallback on_exit = {});

    // Reaps every child that has ended (call it on SIGCHLD).  Children that
    // ended on a signal are logged and counted; callbacks run.
    void reap();

    // Whether a child of this type is running.
    bool running(ProcessType type) const;
    size_t size() const { return children_.size(); }

    // The reply to STATS_PROCESS (request 35): one `PID=%u type=%s` line per
    // running child, newest first; empty when there is none.
    std::string format() const;

private:
    struct Child {
        pid_t pid;
        ProcessType type;
        ExitCallback on_exit;
    };
    void child_ended(pid_t pid, int status);

    RuntimeCounters &counters_;
    std::list<std::pair<int, std::function<void()>>> child_setups_;
    int next_setup_id_ = 1;
    std::list<Child> children_; // newest first
};

} // namespace ctd
