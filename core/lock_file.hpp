// The daemon's lock file (General/LockFile): one daemon per lock file.
//
// The reference creates the file with O_EXCL and refuses to start while it
// exists, so a crashed daemon blocks every restart until someone removes
// the file by hand.  Here the running daemon also holds an flock(2) on it
// and writes its pid into it.  A second instance finds the lock held and is
// refused with the reference's message; a file left by a daemon that died
// (the kernel dropped its lock) is reported, with the dead pid, and taken
// over.  A file without a pid was not written by this implementation (the
// reference leaves an empty file, and holds no lock): nothing proves that
// its owner is gone, so it is refused as the reference would.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "unique_fd.hpp"

namespace ctd {

class LockFile {
public:
    // What acquire() found; for the caller to log.
    struct Outcome {
        std::vector<std::string> errors;   // set when refused (first line: the reference's)
        std::vector<std::string> warnings; // e.g. the stale lock taken over
        pid_t stale_pid = 0;               // pid found in a stale file, 0 if none
    };

    // Creates or takes over the lock file, locks it and writes the pid.
    static std::optional<LockFile> acquire(const std::string &path, Outcome &outcome);

    LockFile(LockFile &&other) noexcept = default;
    LockFile &operator=(LockFile &&other) noexcept;
    LockFile(const LockFile &) = delete;
    LockFile &operator=(const LockFile &) = delete;
    ~LockFile() { release(); }

    // Removes the file (if it is still ours) and drops the lock.
    void release();

    const std::string &path() const { return path_; }
    // The locked descriptor, for closing it in forked children (see
    // ProcessTable::set_child_setup); closing a copy keeps the lock.
    int fd() const { return fd_.get(); }

private:
    LockFile(std::string path, UniqueFd fd, dev_t device, ino_t inode)
        : path_(std::move(path)), fd_(std::move(fd)), device_(device), inode_(inode) {}

    std::string path_;
    UniqueFd fd_;
    dev_t device_ = 0;
    ino_t inode_ = 0;
};

} // namespace ctd
