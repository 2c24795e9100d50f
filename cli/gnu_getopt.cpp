#include "gnu_getopt.hpp"

#include <algorithm>
#include <cstdlib>

namespace cli {

GnuGetopt::GnuGetopt(std::vector<std::string> argv, std::string short_options,
                     std::vector<LongOption> long_options)
    : argv_(std::move(argv)), short_options_(std::move(short_options)),
      long_options_(std::move(long_options)) {
    // getopt reads the environment once, when it starts.
    require_order_ = std::getenv("POSIXLY_CORRECT") != nullptr;
}

void GnuGetopt::add_long_options(const std::vector<LongOption> &more) {
    long_options_.insert(long_options_.end(), more.begin(), more.end());
}

const std::string &GnuGetopt::last_word() const {
    static const std::string none;
    if (optind_ == 0 || optind_ - 1 >= argv_.size())
        return none;
    return argv_[optind_ - 1];
}

// "-" alone and words without a leading '-' are not options.
bool GnuGetopt::is_nonoption(std::size_t index) const {
    const std::string &word = argv_[index];
    return word.size() < 2 || word[0] != '-';
}

// Moves the non-options skipped so far ([first_nonopt, last_nonopt)) after
// the options processed since ([last_nonopt, optind)), as glibc permutes.
void GnuGetopt::exchange() {
    std::rotate(argv_.begin() + static_cast<std::ptrdiff_t>(first_nonopt_),
                argv_.begin() + static_cast<std::ptrdiff_t>(last_nonopt_),
                argv_.begin() + static_cast<std::ptrdiff_t>(optind_));
    first_nonopt_ += optind_ - last_nonopt_;
    last_nonopt_ = optind_;
}

int GnuGetopt::next() {
    argument_.reset();
    optopt_ = 0;
    const std::size_t argc = argv_.size();

    if (cluster_pos_ == std::string::npos) {
        // The caller may have moved optind (consumed a word): keep the
        // non-option bookkeeping inside the processed range.
        if (last_nonopt_ > optind_)
            last_nonopt_ = optind_;
        if (first_nonopt_ > optind_)
            first_nonopt_ = optind_;

        if (!require_order_) {
            if (first_nonopt_ != last_nonopt_ && last_nonopt_ != optind_)
                exchange();
            else if (last_nonopt_ != optind_)
                first_nonopt_ = optind_;
            while (optind_ < argc && is_nonoption(optind_))
                ++optind_;
            last_nonopt_ = optind_;
        }

        // "--" ends the options; what follows are non-options.
        if (optind_ != argc && argv_[optind_] == "--") {
            ++optind_;
            if (first_nonopt_ != last_nonopt_ && last_nonopt_ != optind_)
                exchange();
            else if (first_nonopt_ == last_nonopt_)
                first_nonopt_ = optind_;
            last_nonopt_ = argc;
            optind_ = argc;
        }

        if (optind_ == argc) {
            if (first_nonopt_ != last_nonopt_)
                optind_ = first_nonopt_;
            return End;
        }
        if (is_nonoption(optind_))
            return End;  // only reached with POSIXLY_CORRECT

        if (argv_[optind_][1] == '-')
            return long_option();
        cluster_pos_ = 1;
    }
    return short_option();
}

int GnuGetopt::short_option() {
    const std::string &word = argv_[optind_];
    const char c = word[cluster_pos_++];
    const bool cluster_done = cluster_pos_ >= word.size();
    if (cluster_done)
        ++optind_;

    const std::size_t at = c == ':' ? std::string::npos : short_options_.find(c);
    if (at == std::string::npos) {
        optopt_ = static_cast<unsigned char>(c);
        if (cluster_done)
            cluster_pos_ = std::string::npos;
        return Unknown;
    }

    const bool takes_argument = at + 1 < short_options_.size() && short_options_[at + 1] == ':';
    if (!takes_argument) {
        if (cluster_done)
            cluster_pos_ = std::string::npos;
        return static_cast<unsigned char>(c);
    }

    const bool optional = at + 2 < short_options_.size() && short_options_[at + 2] == ':';
    if (!cluster_done) {
        // The rest of the word is the argument ("-s1.2.3.4", "-n=x").
        argument_ = word.substr(cluster_pos_);
        ++optind_;
    } else if (!optional) {
        if (optind_ == argv_.size()) {
            optopt_ = static_cast<unsigned char>(c);
            cluster_pos_ = std::string::npos;
            return MissingArgument;
        }
        argument_ = argv_[optind_++];
    }
    cluster_pos_ = std::string::npos;
    return static_cast<unsigned char>(c);
}

int GnuGetopt::long_option() {
    const std::string &word = argv_[optind_];
    const std::size_t eq = word.find('=', 2);
    const std::string_view name =
        std::string_view(word).substr(2, eq == std::string::npos ? std::string::npos : eq - 2);

    // An exact name wins; otherwise a prefix must designate one option
    // (several names of the same option, e.g. --src and --orig-src, are not
    // ambiguous).
    const LongOption *found = nullptr;
    for (const LongOption &o : long_options_) {
        if (o.name == name) {
            found = &o;
            break;
        }
    }
    if (!found) {
        bool ambiguous = false;
        for (const LongOption &o : long_options_) {
            if (o.name.substr(0, name.size()) != name)
                continue;
            if (!found)
                found = &o;
            else if (found->argument != o.argument || found->id != o.id)
                ambiguous = true;
        }
        if (ambiguous || !found) {
            ++optind_;
            return Unknown;
        }
    }

    ++optind_;
    if (eq != std::string::npos) {
        if (found->argument == ArgumentKind::None) {
            optopt_ = found->id;
            return Unknown;
        }
        argument_ = word.substr(eq + 1);
    } else if (found->argument == ArgumentKind::Required) {
        if (optind_ >= argv_.size()) {
            optopt_ = found->id;
            return MissingArgument;
        }
        argument_ = argv_[optind_++];
    }
    return found->id;
}

} // namespace cli
