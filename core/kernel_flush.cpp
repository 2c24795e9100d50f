#include "kernel_flush.hpp"

#include <unistd.h>
#include <vector>

#include "kernel.hpp"

namespace ctd {

bool flush_kernel_table(ProcessTable &processes, const FilterRules &filter, bool flows,
                        bool expectations) {
    pid_t child = processes.fork_child(ProcessType::flush, true);
    if (child != 0)
        return child > 0;
    int status = 0;
    try {
        KernelTable table;
        table.open();
        if (expectations)
            table.flush_expect();
        if (flows) {
            if (filter.empty()) {
                table.flush();
            } else {
                std::vector<ct::Flow> doomed;
                table.dump(ct::DumpFilter{}, [&](const ct::Flow &flow) {
                    if (filter_accepts(filter, flow))
                        doomed.push_back(flow);
                });
                for (const ct::Flow &flow : doomed)
                    table.destroy(flow);
            }
        }
    } catch (...) {
        status = 1;
    }
    _exit(status);
}

} // namespace ctd
