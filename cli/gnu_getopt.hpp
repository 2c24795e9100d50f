// A faithful model of glibc's getopt_long, as conntrack 1.4.7 uses it.
//
// Scripts depend on details of the reference's command line that come from
// glibc rather than from conntrack itself: long options may be abbreviated
// to any unambiguous prefix, short options cluster ("-Ls" is "-L -s"), an
// optional argument must be attached, arguments are permuted so that
// non-option words anywhere are skipped, and an error message names
// argv[optind-1] of the *permuted* vector (which is why `conntrack -xL`
// complains about the program name).  This class reproduces those rules,
// state for state, so that the parser above it can keep the reference's
// habit of peeking at argv[optind] and consuming it (table names and the
// optional arguments of -n/-g/-j/--label-del).
//
// The option table can grow between calls: `-p tcp` adds the TCP options
// for the words that follow, as the reference merges them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

enum class ArgumentKind { None, Required, Optional };

struct LongOption {
    std::string_view name;  // static text: the tables are copied around
    ArgumentKind argument = ArgumentKind::None;
    int id = 0;  // returned by next(); options with the same id are synonyms
};

class GnuGetopt {
public:
    // What next() returns besides an option id.
    static constexpr int End = -1;
    static constexpr int Unknown = '?';         // unknown or ambiguous option
    static constexpr int MissingArgument = ':'; // a required argument is missing

    // `short_options` uses getopt's syntax: a letter, ':' for a required
    // argument, '::' for an optional one.  A leading ':' (as conntrack has)
    // is implied: errors are returned, never printed.
    GnuGetopt(std::vector<std::string> argv, std::string short_options,
              std::vector<LongOption> long_options);

    void add_long_options(const std::vector<LongOption> &more);

    // The next option's id, or End/Unknown/MissingArgument.  A short
    // option's id is its character.
    int next();

    // The argument of the option just returned, if it had one.
    const std::optional<std::string> &argument() const { return argument_; }

    // The getopt globals, for callers that consume words themselves.
    std::size_t optind() const { return optind_; }
    void skip_word() { ++optind_; }
    const std::vector<std::string> &argv() const { return argv_; }
    // The word getopt reports in its error messages: argv[optind-1].
    const std::string &last_word() const;
    // The option character of the last error (0 for a long option).
    int optopt() const { return optopt_; }

private:
    bool is_nonoption(std::size_t index) const;
    void exchange();
    int short_option();
    int long_option();

    std::vector<std::string> argv_;
    std::string short_options_;
    std::vector<LongOption> long_options_;
    bool require_order_ = false;  // POSIXLY_CORRECT: stop at the first non-option

    std::size_t optind_ = 1;
    std::size_t first_nonopt_ = 1;
    std::size_t last_nonopt_ = 1;
    // Position inside the current cluster of short options ("-Lsn"), or
    // npos when the next call must start a new argv element.
    std::size_t cluster_pos_ = std::string::npos;
    std::optional<std::string> argument_;
    int optopt_ = 0;
};

} // namespace cli
