#include "lock_file.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ctd {

namespace {

std::string errno_text() { return std::strerror(errno); }

bool write_pid(int fd) {
    std::string text = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0)
        return false;
    return pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
}

// The pid written in the file, or 0 if there is none (empty file, other text).
pid_t read_pid(int fd) {
    char text[32];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    char *end = nullptr;
    long pid = std::strtol(text, &end, 10);
    if (end == text || pid <= 0 || pid > 0x3fffffff || (*end != '\n' && *end != '\0'))
        return 0;
    return static_cast<pid_t>(pid);
}

// Whether `pid` names a live process (a zombie is dead: its lock is gone).
bool process_is_running(pid_t pid) {
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return false;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    std::FILE *stat_file = std::fopen(path, "re");
    if (!stat_file)
        return true; // no /proc: trust kill()
    char line[512];
    bool zombie = false;
    if (std::fgets(line, sizeof line, stat_file)) {
        // "pid (comm) S ...": the state follows the last ')'.
        const char *end_of_name = std::strrchr(line, ')');
        zombie = end_of_name && end_of_name[1] == ' ' && end_of_name[2] == 'Z';
    }
    std::fclose(stat_file);
    return !zombie;
}

// Whether `fd` is still the file found at `path` (the owner may have
// removed it while we were waiting for its lock).
bool still_linked(int fd, const std::string &path, struct stat &st) {
    struct stat at_path;
    if (fstat(fd, &st) != 0 || stat(path.c_str(), &at_path) != 0)
        return false;
    return st.st_dev == at_path.st_dev && st.st_ino == at_path.st_ino;
}

} // namespace

std::optional<LockFile> LockFile::acquire(const std::string &path, Outcome &outcome) {
    const std::string refused =
        "lockfile `" + path + "' exists, perhaps conntrackd already running?";
    // A few rounds: between our open and our lock, the owner may remove the
    // file at shutdown, or another starting instance may create it.
    for (int attempt = 0; attempt < 8; ++attempt) {
        UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (fd) {
            // Ours from the start.  Another instance may hold the lock for an
            // instant while it looks at the file (empty, so it refuses).
            if (flock(fd.get(), LOCK_EX) != 0) {
                outcome.errors.push_back("can't lock `" + path + "': " + errno_text());
                unlink(path.c_str());
                return std::nullopt;
            }
            struct stat st;
            if (!still_linked(fd.get(), path, st))
                continue;
            if (!write_pid(fd.get())) {
                outcome.errors.push_back("can't write to lockfile `" + path + "': " + errno_text());
                unlink(path.c_str());
                return std::nullopt;
            }
            return LockFile(path, std::move(fd), st.st_dev, st.st_ino);
        }
        if (errno != EEXIST) {
            outcome.errors.push_back("can't create lockfile `" + path + "': " + errno_text());
            return std::nullopt;
        }

        fd.reset(open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
        if (!fd) {
            if (errno == ENOENT)
                continue; // removed meanwhile: try to create it again
            outcome.errors.push_back(refused);
            outcome.errors.push_back("can't open lockfile `" + path + "': " + errno_text());
            return std::nullopt;
        }
        if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            // Held: a running daemon owns it.
            outcome.errors.push_back(refused);
            return std::nullopt;
        }
        struct stat st;
        if (!still_linked(fd.get(), path, st))
            continue; // we locked a file its owner has just removed
        pid_t previous = read_pid(fd.get());
        if (previous == 0) {
            // Not written by us: no proof that its owner is gone.
            outcome.errors.push_back(refused);
            outcome.errors.push_back("the lockfile holds no process id (it was not written by "
                                     "this conntrackd): if no conntrackd is running, remove `" +
                                     path + "' and start again");
            return std::nullopt;
        }
        if (previous == getpid()) {
            // Written by this very process through another descriptor, which
            // holds no lock: never take over our own file.
            outcome.errors.push_back(refused);
            return std::nullopt;
        }
        outcome.stale_pid = previous;
        bool gone = !process_is_running(previous);
        outcome.warnings.push_back(
            "lockfile `" + path + "' is stale: the conntrackd that created it (pid " +
            std::to_string(previous) + ") " +
            (gone ? "is no longer running" : "no longer holds it") + "; taking it over");
        if (!write_pid(fd.get())) {
            outcome.errors.push_back("can't write to lockfile `" + path + "': " + errno_text());
            return std::nullopt;
        }
        return LockFile(path, std::move(fd), st.st_dev, st.st_ino);
    }
    outcome.errors.push_back(refused);
    outcome.errors.push_back("lockfile `" + path + "' keeps changing: another conntrackd is "
                             "starting or stopping with it");
    return std::nullopt;
}

LockFile &LockFile::operator=(LockFile &&other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        fd_ = std::move(other.fd_);
        device_ = other.device_;
        inode_ = other.inode_;
    }
    return *this;
}

void LockFile::release() {
    if (!fd_)
        return;
    // Unlink while still holding the lock, and only our own file: a process
    // waiting on the old inode then sees it unlinked and starts afresh.
    struct stat st;
    if (stat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_)
        unlink(path_.c_str());
    fd_.reset();
}

} // namespace ctd

