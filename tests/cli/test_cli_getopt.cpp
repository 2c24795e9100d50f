// The glibc getopt_long model and the --load-file word splitter.
#include <cppunit/extensions/HelperMacros.h>

#include "command_line.hpp"
#include "gnu_getopt.hpp"
#include "load_file.hpp"

#include <cstdio>
#include <cstdlib>

using namespace cli;

namespace {

using A = ArgumentKind;

GnuGetopt make(std::vector<std::string> args) {
    args.insert(args.begin(), "prog");
    return GnuGetopt(std::move(args), "ab:c::L",
                     {{"alpha", A::None, 'a'},
                      {"bravo", A::Required, 'b'},
                      {"charlie", A::Optional, 'c'},
                      {"src", A::Required, 's'},
                      {"orig-src", A::Required, 's'},
                      {"src-nat", A::Optional, 'n'}});
}

std::string message(CliError &e) { return e.what(); }

std::string parameter_problem_of(const std::string &chunk) {
    try {
        split_load_line(chunk);
    } catch (CliError &e) {
        CPPUNIT_ASSERT(e.kind() == ErrorKind::Parameter);
        return message(e);
    }
    return "";
}

} // namespace

class GetoptTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GetoptTest);
    CPPUNIT_TEST(clusters_and_attached_arguments);
    CPPUNIT_TEST(required_argument_from_next_word);
    CPPUNIT_TEST(optional_argument_only_attached);
    CPPUNIT_TEST(missing_argument_names_the_last_word);
    CPPUNIT_TEST(unknown_inside_a_cluster_names_the_previous_word);
    CPPUNIT_TEST(permutation_skips_non_options);
    CPPUNIT_TEST(double_dash_stops);
    CPPUNIT_TEST(long_prefixes_and_ambiguity);
    CPPUNIT_TEST(long_equals_forms);
    CPPUNIT_TEST(options_added_later);
    CPPUNIT_TEST(caller_consumes_next_word);
    CPPUNIT_TEST(posixly_correct_stops_at_first_word);
    CPPUNIT_TEST_SUITE_END();

public:
    void clusters_and_attached_arguments() {
        GnuGetopt g = make({"-aLbvalue", "-cx"});
        CPPUNIT_ASSERT_EQUAL(int('a'), g.next());
        CPPUNIT_ASSERT_EQUAL(int('L'), g.next());
        CPPUNIT_ASSERT_EQUAL(int('b'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("value"), *g.argument());
        CPPUNIT_ASSERT_EQUAL(int('c'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("x"), *g.argument());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::End, g.next());
    }
    void required_argument_from_next_word() {
        GnuGetopt g = make({"-b", "-a"});
        CPPUNIT_ASSERT_EQUAL(int('b'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("-a"), *g.argument());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::End, g.next());
    }
    void optional_argument_only_attached() {
        GnuGetopt g = make({"-c", "word", "--charlie", "w2", "--charlie=w3"});
        CPPUNIT_ASSERT_EQUAL(int('c'), g.next());
        CPPUNIT_ASSERT(!g.argument());
        CPPUNIT_ASSERT_EQUAL(int('c'), g.next());
        CPPUNIT_ASSERT(!g.argument());
        CPPUNIT_ASSERT_EQUAL(int('c'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("w3"), *g.argument());
    }
    void missing_argument_names_the_last_word() {
        GnuGetopt g = make({"-ab"});
        CPPUNIT_ASSERT_EQUAL(int('a'), g.next());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::MissingArgument, g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("-ab"), g.last_word());
        GnuGetopt l = make({"--bravo"});
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::MissingArgument, l.next());
        CPPUNIT_ASSERT_EQUAL(std::string("--bravo"), l.last_word());
    }
    void unknown_inside_a_cluster_names_the_previous_word() {
        GnuGetopt g = make({"-xa"});
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::Unknown, g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("prog"), g.last_word());
        GnuGetopt h = make({"word", "-xa"});
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::Unknown, h.next());
        CPPUNIT_ASSERT_EQUAL(std::string("word"), h.last_word());
        GnuGetopt e = make({"-ax"});
        CPPUNIT_ASSERT_EQUAL(int('a'), e.next());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::Unknown, e.next());
        CPPUNIT_ASSERT_EQUAL(std::string("-ax"), e.last_word());
    }
    void permutation_skips_non_options() {
        GnuGetopt g = make({"one", "-a", "two", "-b", "v", "three"});
        CPPUNIT_ASSERT_EQUAL(int('a'), g.next());
        CPPUNIT_ASSERT_EQUAL(int('b'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), *g.argument());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::End, g.next());
        // The non-options end up after the options, in their order.
        const auto &argv = g.argv();
        CPPUNIT_ASSERT_EQUAL(std::string("one"), argv[argv.size() - 3]);
        CPPUNIT_ASSERT_EQUAL(std::string("three"), argv.back());
    }
    void double_dash_stops() {
        GnuGetopt g = make({"-a", "--", "-b", "x"});
        CPPUNIT_ASSERT_EQUAL(int('a'), g.next());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::End, g.next());
    }
    void long_prefixes_and_ambiguity() {
        GnuGetopt g = make({"--al", "--orig", "x", "--src-n", "--sr"});
        CPPUNIT_ASSERT_EQUAL(int('a'), g.next());
        CPPUNIT_ASSERT_EQUAL(int('s'), g.next());  // orig-src only
        CPPUNIT_ASSERT_EQUAL(int('n'), g.next());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::Unknown, g.next());  // src or src-nat
        CPPUNIT_ASSERT_EQUAL(std::string("--sr"), g.last_word());
        // An exact name wins over longer ones.
        GnuGetopt e = make({"--src", "1"});
        CPPUNIT_ASSERT_EQUAL(int('s'), e.next());
    }
    void long_equals_forms() {
        GnuGetopt g = make({"--bravo=1", "--alpha=2"});
        CPPUNIT_ASSERT_EQUAL(int('b'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("1"), *g.argument());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::Unknown, g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("--alpha=2"), g.last_word());
    }
    void options_added_later() {
        GnuGetopt g = make({"--delta", "--delta"});
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::Unknown, g.next());
        g.add_long_options({{"delta", A::None, 'd'}});
        CPPUNIT_ASSERT_EQUAL(int('d'), g.next());
    }
    void caller_consumes_next_word() {
        GnuGetopt g = make({"-L", "expect", "-a"});
        CPPUNIT_ASSERT_EQUAL(int('L'), g.next());
        CPPUNIT_ASSERT_EQUAL(std::string("expect"), g.argv()[g.optind()]);
        g.skip_word();
        CPPUNIT_ASSERT_EQUAL(int('a'), g.next());
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::End, g.next());
    }
    void posixly_correct_stops_at_first_word() {
        setenv("POSIXLY_CORRECT", "1", 1);
        GnuGetopt g = make({"word", "-a"});
        unsetenv("POSIXLY_CORRECT");
        CPPUNIT_ASSERT_EQUAL(GnuGetopt::End, g.next());
    }
};

class LoadFileTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LoadFileTest);
    CPPUNIT_TEST(blanks_separate_words);
    CPPUNIT_TEST(quotes_group_and_end_a_word);
    CPPUNIT_TEST(backslash_only_escapes_inside_quotes);
    CPPUNIT_TEST(unterminated_quote_keeps_the_rest);
    CPPUNIT_TEST(last_word_without_newline);
    CPPUNIT_TEST(word_length_limit);
    CPPUNIT_TEST(word_count_limit);
    CPPUNIT_TEST(comments_and_blank_lines);
    CPPUNIT_TEST(long_lines_are_split_like_fgets);
    CPPUNIT_TEST(nul_byte_ends_what_fgets_read);
    CPPUNIT_TEST_SUITE_END();

    using Words = std::vector<std::string>;

public:
    void blanks_separate_words() {
        CPPUNIT_ASSERT(split_load_line("-D\t-s  1.1.1.1\n") == (Words{"-D", "-s", "1.1.1.1"}));
        CPPUNIT_ASSERT(split_load_line("-D\r\n") == (Words{"-D\r"}));
    }
    void quotes_group_and_end_a_word() {
        CPPUNIT_ASSERT(split_load_line("-u \"ASSURED,SEEN\"x\n") == (Words{"-u", "ASSURED,SEEN", "x"}));
        CPPUNIT_ASSERT(split_load_line("-u AS\"SURED\"\n") == (Words{"-u", "ASSURED"}));
        CPPUNIT_ASSERT(split_load_line("-u \"AS\"SURED\n") == (Words{"-u", "AS", "SURED"}));
        CPPUNIT_ASSERT(split_load_line("-s \"1.1.1.1 \"\n") == (Words{"-s", "1.1.1.1 "}));
        CPPUNIT_ASSERT(split_load_line("a \"\" b\n") == (Words{"a", "b"}));
        CPPUNIT_ASSERT(split_load_line("-u 'ASSURED'\n") == (Words{"-u", "'ASSURED'"}));
    }
    void backslash_only_escapes_inside_quotes() {
        CPPUNIT_ASSERT(split_load_line("1.1.1.\\1\n") == (Words{"1.1.1.\\1"}));
        CPPUNIT_ASSERT(split_load_line("\"1.1.1.\\1\"\n") == (Words{"1.1.1.1"}));
        CPPUNIT_ASSERT(split_load_line("\"1.1\\\"1\"\n") == (Words{"1.1\"1"}));
    }
    void unterminated_quote_keeps_the_rest() {
        CPPUNIT_ASSERT(split_load_line("-s \"1.1.1.1\n") == (Words{"-s", "1.1.1.1\n"}));
    }
    void last_word_without_newline() {
        CPPUNIT_ASSERT(split_load_line("-D -s 1.1.1.1") == (Words{"-D", "-s", "1.1.1.1"}));
    }
    void word_length_limit() {
        CPPUNIT_ASSERT_EQUAL(std::string(), parameter_problem_of("-s " + std::string(1023, 'a') + "\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("Parameter too long!"),
                             parameter_problem_of("-s " + std::string(1024, 'a') + "\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("Parameter too long!"),
                             parameter_problem_of("-s \"" + std::string(1024, 'a') + "\"\n"));
    }
    void word_count_limit() {
        std::string ok = "-D", too_many = "-D";
        for (int i = 0; i < 252; ++i)
            ok += " x";
        for (int i = 0; i < 253; ++i)
            too_many += " x";
        CPPUNIT_ASSERT_EQUAL(std::size_t(253), split_load_line(ok + "\n").size());
        CPPUNIT_ASSERT_EQUAL(std::string("too many arguments"), parameter_problem_of(too_many + "\n"));
    }
    void comments_and_blank_lines() {
        std::FILE *f = std::tmpfile();
        std::fputs("# comment\n   \n\t# indented\n\n  -D -s 1.1.1.1\n-D # not a comment\n", f);
        std::rewind(f);
        std::string text;
        CPPUNIT_ASSERT(read_all(f, text));
        std::fclose(f);
        std::vector<Words> lines;
        std::vector<unsigned> numbers;
        for_each_load_line(text, [&](Words w, unsigned n) {
            lines.push_back(std::move(w));
            numbers.push_back(n);
        });
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), lines.size());
        CPPUNIT_ASSERT(lines[0] == (Words{"-D", "-s", "1.1.1.1"}));
        CPPUNIT_ASSERT(lines[1] == (Words{"-D", "#", "not", "a", "comment"}));
        // Numbers count every line read, skipped ones included.
        CPPUNIT_ASSERT(numbers == (std::vector<unsigned>{5, 6}));
    }
    void long_lines_are_split_like_fgets() {
        // 10239 bytes per read: "-D", blanks, then "-" ends the first read.
        std::FILE *f = std::tmpfile();
        const std::string line = "-D" + std::string(10236, ' ') + "-s 1.1.1.1\n";
        std::fputs(line.c_str(), f);
        std::rewind(f);
        std::string text;
        CPPUNIT_ASSERT(read_all(f, text));
        std::fclose(f);
        std::vector<Words> lines;
        for_each_load_line(text, [&](Words w, unsigned) { lines.push_back(std::move(w)); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), lines.size());
        CPPUNIT_ASSERT(lines[0] == (Words{"-D", "-"}));
        CPPUNIT_ASSERT(lines[1] == (Words{"s", "1.1.1.1"}));
    }
    void nul_byte_ends_what_fgets_read() {
        // fgets hands over a C string: the rest of that read is lost.
        const std::string text = std::string("-D -s 1.1.1.1\0 -p tcp\n-F\n", 25);
        std::vector<Words> lines;
        for_each_load_line(text, [&](Words w, unsigned) { lines.push_back(std::move(w)); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), lines.size());
        CPPUNIT_ASSERT(lines[0] == (Words{"-D", "-s", "1.1.1.1"}));
        CPPUNIT_ASSERT(lines[1] == (Words{"-F"}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GetoptTest);
CPPUNIT_TEST_SUITE_REGISTRATION(LoadFileTest);
