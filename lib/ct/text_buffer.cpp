// TextBuffer: the formatters' output buffer.
#include "ct/text_buffer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace ct {

TextBuffer::TextBuffer(std::size_t initial_capacity)
    : data_(new char[initial_capacity ? initial_capacity : 1]),
      capacity_(initial_capacity ? initial_capacity : 1) {}

void TextBuffer::grow(std::size_t need) {
    std::size_t capacity = capacity_ * 2;
    while (capacity - size_ < need)
        capacity *= 2;
    std::unique_ptr<char[]> bigger(new char[capacity]);
    std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
}

// Two digits at a time: the formatters print many small numbers.
static const char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void TextBuffer::append_u64(std::uint64_t v) {
    char tmp[20];
    char *end = tmp + sizeof(tmp);
    char *p = end;
    while (v >= 100) {
        unsigned pair = static_cast<unsigned>(v % 100) * 2;
        v /= 100;
        *--p = kDigitPairs[pair + 1];
        *--p = kDigitPairs[pair];
    }
    if (v >= 10) {
        unsigned pair = static_cast<unsigned>(v) * 2;
        *--p = kDigitPairs[pair + 1];
        *--p = kDigitPairs[pair];
    } else {
        *--p = static_cast<char>('0' + v);
    }
    std::size_t n = static_cast<std::size_t>(end - p);
    std::memcpy(reserve(n), p, n);
    size_ += n;
}

void TextBuffer::append_i64(std::int64_t v) {
    if (v < 0) {
        push_back('-');
        append_u64(static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(v));
    } else {
        append_u64(static_cast<std::uint64_t>(v));
    }
}

void TextBuffer::append_hex(std::uint64_t v) {
    char tmp[16];
    char *end = tmp + sizeof(tmp);
    char *p = end;
    do {
        *--p = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v);
    std::size_t n = static_cast<std::size_t>(end - p);
    std::memcpy(reserve(n), p, n);
    size_ += n;
}

void TextBuffer::appendf(const char *format, ...) {
    va_list args;
    va_start(args, format);
    char small[256];
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(small, sizeof(small), format, copy);
    va_end(copy);
    if (n > 0) {
        std::size_t len = static_cast<std::size_t>(n);
        if (len < sizeof(small)) {
            append({small, len});
        } else {
            char *at = reserve(len + 1);
            std::vsnprintf(at, len + 1, format, args);
            size_ += len;
        }
    }
    va_end(args);
}

int TextBuffer::write_to(int fd) {
    std::size_t done = 0;
    while (done < size_) {
        ssize_t n = ::write(fd, data_.get() + done, size_ - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            // Keep what was not written, so the caller may retry.
            std::memmove(data_.get(), data_.get() + done, size_ - done);
            size_ -= done;
            return -err;
        }
        done += static_cast<std::size_t>(n);
    }
    size_ = 0;
    return 0;
}

} // namespace ct
