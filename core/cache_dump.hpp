// The text dumps of a cache (-i, -e, stats mode's -i), shared by the stats
// mode and the sync engine: one line per live entry, in the reference's
// layout, streamed to the control client in chunks so that a large cache is
// never held whole in memory.
#pragma once

#include <cstdint>

#include "control_server.hpp"
#include "ct/text_buffer.hpp"
#include "flow_cache.hpp"

namespace ctd {

// `format_line(entry, out)` appends the entry's text without the newline.
template <typename FormatLine>
void write_cache_lines(ReplyWriter &writer, FlowCache &cache, FormatLine format_line) {
    constexpr std::size_t chunk = 60000;
    ct::TextBuffer out;
    cache.for_each([&](FlowCache::Entry *e) {
        if (e->state == FlowCache::State::dead)
            return;
        format_line(e, out);
        out.push_back('\n');
        if (out.size() > chunk) {
            writer.write(out.view());
            out.clear();
        }
    });
    writer.write(out.view());
}

// The " [active since Ns]" the reference appends to a cache's text lines.
inline void append_active_since(ct::TextBuffer &out, uint32_t now, uint32_t created) {
    out.append(" [active since ");
    out.append_u64(now - created);
    out.append("s]");
}

} // namespace ctd
