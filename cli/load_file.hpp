// conntrack -R / --load-file: the file format.
//
// The file is read in chunks of at most 10239 bytes ending at a newline
// (the reference's fgets buffer: a longer line is split in two).  Leading
// blanks are skipped; empty chunks and chunks starting with '#' are
// ignored.  Each chunk is split into words like iptables-restore does:
// blanks separate words, a double quote opens a group that a second quote
// closes (ending the word), and inside a group a backslash escapes the next
// character.  A word may not reach 1024 bytes, a line may not have more
// than 253 words.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace cli {

// Splits one chunk into words.  Throws CliError.
std::vector<std::string> split_load_line(const std::string &chunk);

// Calls `on_line(words)` for every line of the stream that is not blank or
// a comment.  Throws CliError from split_load_line.
template <typename OnLine>
void read_load_lines(std::FILE *in, OnLine &&on_line) {
    char buffer[10240];
    while (std::fgets(buffer, sizeof(buffer), in)) {
        const char *p = buffer;
        while (*p == ' ' || *p == '\t')
            ++p;
        if (*p == '\0' || *p == '#' || *p == '\n')
            continue;
        on_line(split_load_line(p));
    }
}

} // namespace cli
