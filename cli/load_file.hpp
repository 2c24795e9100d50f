// conntrack -R / --load-file: the file format.
//
// The file is read whole, then taken in chunks of at most 10239 bytes ending
// at a newline
// (the reference's fgets buffer: a longer line is split in two).  Leading
// blanks are skipped; empty chunks and chunks starting with '#' are
// ignored.  Each chunk is split into words like iptables-restore does:
// blanks separate words, a double quote opens a group that a second quote
// closes (ending the word), and inside a group a backslash escapes the next
// character.  A word may not reach 1024 bytes, a line may not have more
// than 253 words.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// Splits one chunk into words.  Throws CliError.
std::vector<std::string> split_load_line(const std::string &chunk);

// Calls `on_line(words, number)` for every line of `text` that is not blank
// or a comment; `number` counts the reads, from 1.  Throws CliError from
// split_load_line.
template <typename OnLine>
void for_each_load_line(std::string_view text, OnLine &&on_line) {
    constexpr std::size_t ReadSize = 10239;  // fgets with a 10240-byte buffer
    std::size_t pos = 0;
    unsigned number = 0;
    while (pos < text.size()) {
        std::size_t len = std::min(ReadSize, text.size() - pos);
        const std::size_t newline = text.find('\n', pos);
        if (newline != std::string_view::npos && newline - pos < len)
            len = newline - pos + 1;
        // What fgets hands over is a C string: a NUL byte ends it.
        std::string_view chunk = text.substr(pos, len);
        pos += len;
        ++number;
        chunk = chunk.substr(0, chunk.find('\0'));
        std::size_t start = 0;
        while (start < chunk.size() && (chunk[start] == ' ' || chunk[start] == '\t'))
            ++start;
        if (start == chunk.size() || chunk[start] == '#' || chunk[start] == '\n')
            continue;
        on_line(split_load_line(std::string(chunk.substr(start))), number);
    }
}

// Reads a whole stream.  False if reading failed.
bool read_all(std::FILE *in, std::string &text);

} // namespace cli
