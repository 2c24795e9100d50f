#include "runtime_stats.hpp"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace ctd {

namespace {

// Appends printf output to `out`.
__attribute__((format(printf, 2, 3))) void append(std::string &out, const char *format, ...) {
    char line[256];
    va_list args;
    va_start(args, format);
    int n = std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (n > 0)
        out.append(line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
}

} // namespace

std::string format_uptime(uint64_t seconds) {
    std::string text;
    uint64_t days = seconds / 86400;
    uint64_t hours = seconds / 3600 % 24;
    uint64_t minutes = seconds / 60 % 60;
    if (days)
        append(text, "%" PRIu64 " day%s ", days, days == 1 ? "" : "s");
    if (hours)
        append(text, "%" PRIu64 " h ", hours);
    append(text, "%" PRIu64 " min", minutes);
    return text;
}

std::string format_runtime_stats(uint64_t uptime_seconds, const NetlinkCounters &netlink,
                                 const RuntimeCounters &runtime) {
    std::string text;
    text.reserve(1024);
    text += "daemon uptime: ";
    text += format_uptime(uptime_seconds);
    text += "\n\nnetlink stats:\n";
    append(text, "\tevents received:\t%20" PRIu64 "\n", netlink.events_received);
    append(text, "\tevents filtered:\t%20" PRIu64 "\n", netlink.events_filtered);
    append(text, "\tevents unknown type:\t\t%12" PRIu64 "\n", netlink.events_unknown_type);
    append(text, "\tcatch event failed:\t\t%12" PRIu64 "\n", netlink.catch_event_failed);
    append(text, "\tdump unknown type:\t\t%12" PRIu64 "\n", netlink.dump_unknown_type);
    append(text, "\tnetlink overrun:\t\t%12" PRIu64 "\n", netlink.netlink_overrun);
    append(text, "\tflush kernel table:\t\t%12" PRIu64 "\n", netlink.flush_kernel_table);
    append(text, "\tresync with kernel table:\t%12" PRIu64 "\n", netlink.resync_kernel_table);
    append(text, "\tcurrent buffer size (in bytes):\t%12" PRIu64 "\n\n",
           netlink.current_buffer_size);
    text += "runtime stats:\n";
    append(text, "\tchild process failed:\t\t%12" PRIu64 "\n", runtime.child_process_failed);
    append(text, "\t\tchild process segfault:\t%12" PRIu64 "\n", runtime.child_process_segfault);
    append(text, "\t\tchild process termsig:\t%12" PRIu64 "\n", runtime.child_process_termsig);
    append(text, "\tselect failed:\t\t\t%12" PRIu64 "\n", runtime.select_failed);
    append(text, "\twait failed:\t\t\t%12" PRIu64 "\n", runtime.wait_failed);
    append(text, "\tlocal read failed:\t\t%12" PRIu64 "\n", runtime.local_read_failed);
    append(text, "\tlocal unknown request:\t\t%12" PRIu64 "\n\n", runtime.local_unknown_request);
    return text;
}

uint64_t boottime_seconds() {
    timespec now{};
    if (clock_gettime(CLOCK_BOOTTIME, &now) != 0)
        clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<uint64_t>(now.tv_sec);
}

} // namespace ctd
