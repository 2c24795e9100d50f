// A growable output buffer that formatters append to.  The caller owns it
// and reuses it for every entry, so formatting allocates nothing once the
// buffer has grown to its working size; flush it to a file descriptor when
// it holds enough (e.g. 64 KiB) for buffered, streaming output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace ct {

class TextBuffer {
public:
    explicit TextBuffer(std::size_t initial_capacity = 64 * 1024);
    TextBuffer(const TextBuffer &) = delete;
    TextBuffer &operator=(const TextBuffer &) = delete;

    const char *data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::string_view view() const { return {data_.get(), size_}; }
    void clear() { size_ = 0; }
    // Drops everything after the first `len` bytes.
    void truncate(std::size_t len) { if (len < size_) size_ = len; }

    // Makes room for `n` more bytes and returns where they go; commit(k)
    // then adds the k bytes written there.
    char *reserve(std::size_t n) {
        if (capacity_ - size_ < n)
            grow(n);
        return data_.get() + size_;
    }
    void commit(std::size_t n) { size_ += n; }

    void append(std::string_view s) {
        std::memcpy(reserve(s.size()), s.data(), s.size());
        size_ += s.size();
    }
    void push_back(char c) {
        *reserve(1) = c;
        ++size_;
    }
    void append_u64(std::uint64_t v);   // decimal
    void append_i64(std::int64_t v);    // decimal
    void append_hex(std::uint64_t v);   // lower-case hex, no prefix
    // Appends printf-formatted text (for the rare complex cases).
    void appendf(const char *format, ...) __attribute__((format(printf, 2, 3)));

    // Writes everything to `fd` (retrying short writes) and empties the
    // buffer.  0 or -errno.
    int write_to(int fd);

private:
    void grow(std::size_t need);
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

} // namespace ct
