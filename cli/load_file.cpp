#include "load_file.hpp"

#include "command_line.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cstring>
#include <new>
#include <utility>

namespace cli {

namespace {
constexpr std::size_t MaxWordLength = 1024;
constexpr std::size_t MaxWords = 253;  // argv[0] and a terminator fill the 255 slots
} // namespace

std::vector<std::string> split_load_line(std::string_view chunk) {
    std::vector<std::string> words;
    std::string word;
    bool quoted = false;
    bool escaped = false;

    auto end_word = [&]() {
        if (word.empty())
            return;
        if (words.size() >= MaxWords)
            parameter_problem("too many arguments");
        words.push_back(word);
        word.clear();
    };
    auto add = [&](char c) {
        word.push_back(c);
        if (word.size() >= MaxWordLength)
            parameter_problem("Parameter too long!");
    };

    for (char c : chunk) {
        if (quoted) {
            if (escaped) {
                add(c);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                // The closing quote ends the word, like a blank.
                quoted = false;
                end_word();
            } else {
                add(c);
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            end_word();
        } else {
            add(c);
        }
    }
    // A last word without a newline (or an unterminated quote) still counts.
    end_word();
    return words;
}

BulkMemory::BulkMemory(std::size_t size) {
    if (size == 0)
        return;
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        throw std::bad_alloc();
    madvise(p, size, MADV_HUGEPAGE);  // a hint: without THP, plain pages
    data_ = static_cast<unsigned char *>(p);
    size_ = size;
}

BulkMemory::~BulkMemory() {
    if (data_)
        munmap(data_, size_);
}

BulkMemory::BulkMemory(BulkMemory &&other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

BulkMemory &BulkMemory::operator=(BulkMemory &&other) noexcept {
    if (this != &other) {
        if (data_)
            munmap(data_, size_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

bool read_all(std::FILE *in, FileText &text) {
    // A regular file's size is known; a pipe's is found by doubling.
    struct stat st;
    std::size_t capacity = 1 << 20;
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        capacity = static_cast<std::size_t>(st.st_size) + 1;  // +1: sees the end at once
    text.memory = BulkMemory(capacity);
    text.length = 0;
    for (;;) {
        if (text.length == text.memory.size()) {
            BulkMemory bigger(text.memory.size() * 2);
            std::memcpy(bigger.data(), text.memory.data(), text.length);
            text.memory = std::move(bigger);
        }
        const std::size_t n = std::fread(text.memory.data() + text.length, 1,
                                         text.memory.size() - text.length, in);
        if (n == 0)
            break;
        text.length += n;
    }
    return !std::ferror(in);
}

bool read_all(std::FILE *in, std::string &text) {
    FileText whole;
    if (!read_all(in, whole))
        return false;
    text.assign(whole.view());
    return true;
}

} // namespace cli
