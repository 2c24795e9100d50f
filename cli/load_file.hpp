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
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// Splits one chunk into words.  Throws CliError.
std::vector<std::string> split_load_line(std::string_view chunk);

// Calls `on_chunk(chunk, number)` for every chunk of `text` that is not
// blank or a comment, leading blanks removed; `number` counts the reads,
// from 1.
template <typename OnChunk>
void for_each_load_chunk(std::string_view text, OnChunk &&on_chunk) {
    constexpr std::size_t ReadSize = 10239;  // fgets with a 10240-byte buffer
    std::size_t pos = 0;
    unsigned number = 0;
    while (pos < text.size()) {
        std::size_t len = std::min(ReadSize, text.size() - pos);
        const void *newline = std::memchr(text.data() + pos, '\n', len);
        if (newline)
            len = static_cast<std::size_t>(static_cast<const char *>(newline) - (text.data() + pos)) + 1;
        // What fgets hands over is a C string: a NUL byte ends it.
        std::string_view chunk = text.substr(pos, len);
        pos += len;
        ++number;
        if (const void *nul = std::memchr(chunk.data(), '\0', chunk.size()))
            chunk = chunk.substr(0, static_cast<std::size_t>(static_cast<const char *>(nul) - chunk.data()));
        std::size_t start = 0;
        while (start < chunk.size() && (chunk[start] == ' ' || chunk[start] == '\t'))
            ++start;
        if (start == chunk.size() || chunk[start] == '#' || chunk[start] == '\n')
            continue;
        on_chunk(chunk.substr(start), number);
    }
}

// The same, split into words: `on_line(words, number)`.  Throws CliError
// from split_load_line.
template <typename OnLine>
void for_each_load_line(std::string_view text, OnLine &&on_line) {
    for_each_load_chunk(text, [&](std::string_view chunk, unsigned number) {
        on_line(split_load_line(chunk), number);
    });
}

// Anonymous memory, asked for as transparent huge pages: a 200,000-line
// file needs tens of megabytes (its text and its prepared requests), and
// faulting them in 4 KiB at a time cost a tenth of -R's time.  Not zeroed
// beyond what the kernel does.  Move-only.
class BulkMemory {
public:
    BulkMemory() = default;
    // Throws std::bad_alloc when the memory cannot be had.
    explicit BulkMemory(std::size_t size);
    ~BulkMemory();
    BulkMemory(BulkMemory &&other) noexcept;
    BulkMemory &operator=(BulkMemory &&other) noexcept;
    BulkMemory(const BulkMemory &) = delete;
    BulkMemory &operator=(const BulkMemory &) = delete;

    unsigned char *data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    unsigned char *data_ = nullptr;
    std::size_t size_ = 0;
};

// A whole file's text in bulk memory.
struct FileText {
    BulkMemory memory;
    std::size_t length = 0;
    std::string_view view() const {
        return {reinterpret_cast<const char *>(memory.data()), length};
    }
};

// Reads a whole stream.  False if reading failed.
bool read_all(std::FILE *in, FileText &text);
bool read_all(std::FILE *in, std::string &text);

} // namespace cli
