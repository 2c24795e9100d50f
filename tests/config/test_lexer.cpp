// The lexer splits a file into the same tokens as conntrackd 1.4.7 (each
// expectation below was observed by running the reference).
#include "test_support.hpp"

using cfg_test::lex;
using namespace ctd::config;

class LexerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LexerTest);
    CPPUNIT_TEST(keywords_are_case_sensitive);
    CPPUNIT_TEST(every_reference_keyword_is_a_keyword);
    CPPUNIT_TEST(booleans_any_case);
    CPPUNIT_TEST(bar_matches_any_letter_of_on_off_and_modes);
    CPPUNIT_TEST(mode_names_any_case);
    CPPUNIT_TEST(legacy_mode_names);
    CPPUNIT_TEST(persistent_needs_final_upper_case_t);
    CPPUNIT_TEST(numbers_and_signed_numbers);
    CPPUNIT_TEST(one_to_four_hex_digits_are_an_address);
    CPPUNIT_TEST(ipv4_with_prefix);
    CPPUNIT_TEST(ipv4_needs_four_parts);
    CPPUNIT_TEST(ipv6_forms);
    CPPUNIT_TEST(ipv6_groups_need_no_colon);
    CPPUNIT_TEST(ipv6_at_most_eight_groups);
    CPPUNIT_TEST(path_runs_to_space_newline_or_quote);
    CPPUNIT_TEST(string_characters);
    CPPUNIT_TEST(braces_and_other_characters);
    CPPUNIT_TEST(comments_and_line_numbers);
    CPPUNIT_TEST(carriage_return_separates_words);
    CPPUNIT_TEST(nul_byte_ends_the_input);
    CPPUNIT_TEST_SUITE_END();

public:
    void keywords_are_case_sensitive() {
        CPPUNIT_ASSERT_EQUAL(std::string("keyword:General string:general string:GENERAL"),
                             lex("General general GENERAL"));
        // A keyword followed by more word characters is a STRING (longest match).
        CPPUNIT_ASSERT_EQUAL(std::string("string:HashSizeX keyword:HashSize open:{"),
                             lex("HashSizeX HashSize{"));
    }

    void every_reference_keyword_is_a_keyword() {
        // 1.4.7 turned each of these into its own token (probed one by one);
        // old keywords it dropped (ListenTo, Family, RelaxTransitions...) and
        // our Output are plain words.
        for (std::string_view k : reference_keywords())
            CPPUNIT_ASSERT_EQUAL("keyword:" + std::string(k), lex(std::string(k)));
        CPPUNIT_ASSERT_EQUAL(std::string("string:ListenTo string:Family string:RelaxTransitions "
                                         "string:IgnoreProtocol string:Output string:ICMP"),
                             lex("ListenTo Family RelaxTransitions IgnoreProtocol Output ICMP"));
        CPPUNIT_ASSERT(is_reference_keyword("Setup"));
        CPPUNIT_ASSERT(!is_reference_keyword("setup"));
    }

    void booleans_any_case() {
        CPPUNIT_ASSERT_EQUAL(std::string("on:on on:ON on:Yes on:yES off:off off:OFF off:No off:nO"),
                             lex("on ON Yes yES off OFF No nO"));
        CPPUNIT_ASSERT_EQUAL(std::string("string:online string:yesterday string:none"),
                             lex("online yesterday none"));
    }

    void bar_matches_any_letter_of_on_off_and_modes() {
        // The reference wrote [o|O][n|N]: `|` is in every class.  On a tie
        // the earlier rule wins: on before no, yes before off, ftfw before nack.
        CPPUNIT_ASSERT_EQUAL(std::string("on:|| on:||| on:o| off:of| mode:||||"),
                             lex("|| ||| o| of| ||||"));
        std::vector<Token> tokens = tokenize("|||| ||||| ||||||| al|rm");
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), tokens[0].canonical);
        CPPUNIT_ASSERT_EQUAL(std::string("alarm"), tokens[1].canonical);
        CPPUNIT_ASSERT_EQUAL(std::string("notrack"), tokens[2].canonical);
        CPPUNIT_ASSERT_EQUAL(std::string("alarm"), tokens[3].canonical);
        CPPUNIT_ASSERT(!tokens[0].legacy);
        CPPUNIT_ASSERT_EQUAL(std::string("other:|"), lex("|"));
    }

    void mode_names_any_case() {
        std::vector<Token> tokens = tokenize("FTFW ftfw Alarm aLaRm NOTRACK NoTrack");
        for (size_t i = 0; i < 6; ++i)
            CPPUNIT_ASSERT(tokens[i].kind == TokenKind::mode);
        CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), tokens[1].canonical);
        CPPUNIT_ASSERT_EQUAL(std::string("alarm"), tokens[3].canonical);
        CPPUNIT_ASSERT_EQUAL(std::string("notrack"), tokens[5].canonical);
        CPPUNIT_ASSERT_EQUAL(std::string("string:ftfwx"), lex("ftfwx"));
    }

    void legacy_mode_names() {
        std::vector<Token> tokens = tokenize("nack NACK nAck");
        for (size_t i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT(tokens[i].kind == TokenKind::mode);
            CPPUNIT_ASSERT_EQUAL(std::string("ftfw"), tokens[i].canonical);
            CPPUNIT_ASSERT(tokens[i].legacy);
        }
    }

    void persistent_needs_final_upper_case_t() {
        // Observed: every letter may have any case but the last must be `T`
        // (or `|`): `persistent` itself is a plain word.
        std::vector<Token> tokens = tokenize("persistenT PERSISTENT pERSISTENT persisten|");
        for (size_t i = 0; i < 4; ++i) {
            CPPUNIT_ASSERT(tokens[i].kind == TokenKind::mode);
            CPPUNIT_ASSERT_EQUAL(std::string("alarm"), tokens[i].canonical);
            CPPUNIT_ASSERT(tokens[i].legacy);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("string:persistent string:Persistent string:PERSISTENt"),
                             lex("persistent Persistent PERSISTENt"));
    }

    void numbers_and_signed_numbers() {
        CPPUNIT_ASSERT_EQUAL(std::string("number:0 number:007 number:12345 number:99999999999999999999"),
                             lex("0 007 12345 99999999999999999999"));
        CPPUNIT_ASSERT_EQUAL(std::string("signed_number:-5 signed_number:+5 signed_number:-0 other:- "
                                         "other:+"),
                             lex("-5 +5 -0 - +"));
        // A number directly followed by a letter splits.
        CPPUNIT_ASSERT_EQUAL(std::string("number:5 string:k"), lex("5k"));
    }

    void one_to_four_hex_digits_are_an_address() {
        // The IPv6 rule ties with STRING on such words and comes first; with
        // NUMBER, NUMBER comes first.
        CPPUNIT_ASSERT_EQUAL(std::string("address:cafe address:CAFE address:bad0 address:abc "
                                         "address:Ab9 address:f number:1234"),
                             lex("cafe CAFE bad0 abc Ab9 f 1234"));
        // Longer words are STRINGs again.
        CPPUNIT_ASSERT_EQUAL(std::string("string:cafe1 string:fffff string:eth0 string:dccp"),
                             lex("cafe1 fffff eth0 dccp"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:5abc"), lex("5abc"));
    }

    void ipv4_with_prefix() {
        CPPUNIT_ASSERT_EQUAL(std::string("address:192.168.0.1 address:10.0.0.0/8 "
                                         "address:999.1.1.1 address:1.2.3.4/299 address:001.002.003.004"),
                             lex("192.168.0.1 10.0.0.0/8 999.1.1.1 1.2.3.4/299 001.002.003.004"));
        // A slash without digits is not part of the address: it starts a path.
        CPPUNIT_ASSERT_EQUAL(std::string("address:1.2.3.4 path:/"), lex("1.2.3.4/"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:1.2.3.4 path:/a"), lex("1.2.3.4/a"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:1.2.3.4 path:/-1"), lex("1.2.3.4/-1"));
    }

    void ipv4_needs_four_parts() {
        CPPUNIT_ASSERT_EQUAL(std::string("number:1 other:. number:2 other:. number:3"), lex("1.2.3"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:1.2.3.4 other:. number:5"), lex("1.2.3.4.5"));
    }

    void ipv6_forms() {
        CPPUNIT_ASSERT_EQUAL(std::string("address:::1 address::: address:2001:db8::1/64 "
                                         "address:fe80::215:58ff:fe28:5a27 address:1:2:3:4:5:6:7:8 "
                                         "address:::/0 address:1:2:3:4:5:6:7::"),
                             lex("::1 :: 2001:db8::1/64 fe80::215:58ff:fe28:5a27 1:2:3:4:5:6:7:8 "
                                 "::/0 1:2:3:4:5:6:7::"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:12:34 address:ab:cd other::"), lex("12:34 ab:cd :"));
        // No zone index and no embedded IPv4.
        CPPUNIT_ASSERT_EQUAL(std::string("address:fe80::1 other:% string:eth0"), lex("fe80::1%eth0"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:::ffff:1 other:. number:2 other:. number:3 other:. "
                                         "number:4"),
                             lex("::ffff:1.2.3.4"));
    }

    void ipv6_groups_need_no_colon() {
        // Form 1 is (hex{1,4} ":"?){0,7} "::" (hex{1,4} ":"?){0,7}.
        CPPUNIT_ASSERT_EQUAL(std::string("address:::12345"), lex("::12345"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:1::2: other:: number:3"), lex("1::2::3"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:::1:2:3:4:5:6:7: number:8"), lex("::1:2:3:4:5:6:7:8"));
    }

    void ipv6_at_most_eight_groups() {
        CPPUNIT_ASSERT_EQUAL(std::string("address:1:2:3:4:5:6:7:8 other:: number:9"),
                             lex("1:2:3:4:5:6:7:8:9"));
        CPPUNIT_ASSERT_EQUAL(std::string("address:1:2:3:4:5:6:7:8 address:::"), lex("1:2:3:4:5:6:7:8::"));
        CPPUNIT_ASSERT_EQUAL(std::string("string:abcde other:: number:1"), lex("abcde:1"));
    }

    void path_runs_to_space_newline_or_quote() {
        std::vector<Token> tokens = tokenize("/a\tb#c}d;e'f\\g\r /x\"y\n/z");
        CPPUNIT_ASSERT(tokens[0].kind == TokenKind::path);
        CPPUNIT_ASSERT_EQUAL(std::string("/a\tb#c}d;e'f\\g\r"), tokens[0].text);
        CPPUNIT_ASSERT_EQUAL(std::string("path:/x other:\" string:y path:/z"),
                             cfg_test::lex("/x\"y\n/z"));
        CPPUNIT_ASSERT_EQUAL(2u, tokens[4].line);
    }

    void string_characters() {
        CPPUNIT_ASSERT_EQUAL(std::string("string:q.931 string:h.245 string:a_b-c.d string:IPv6-ICMP"),
                             lex("q.931 h.245 a_b-c.d IPv6-ICMP"));
        CPPUNIT_ASSERT_EQUAL(std::string("string:x other:: path:/y string:x other:@ string:y "
                                         "string:x other:+ string:y"),
                             lex("x:/y x@y x+y"));
    }

    void braces_and_other_characters() {
        CPPUNIT_ASSERT_EQUAL(std::string("keyword:UNIX open:{ keyword:Path path:/x} close:}"),
                             lex("UNIX{Path /x} }"));
        CPPUNIT_ASSERT_EQUAL(std::string("other:; other:\" other:\v other:\f other:,"), lex(";\"\v\f,"));
    }

    void comments_and_line_numbers() {
        std::vector<Token> tokens = tokenize("# comment\nHashSize 5#x\n\n  # more\nHashLimit");
        CPPUNIT_ASSERT_EQUAL(size_t(4), tokens.size());
        CPPUNIT_ASSERT_EQUAL(std::string("HashSize"), tokens[0].text);
        CPPUNIT_ASSERT_EQUAL(2u, tokens[0].line);
        CPPUNIT_ASSERT_EQUAL(std::string("5"), tokens[1].text);
        CPPUNIT_ASSERT_EQUAL(std::string("HashLimit"), tokens[2].text);
        CPPUNIT_ASSERT_EQUAL(5u, tokens[2].line);
        CPPUNIT_ASSERT(tokens[3].kind == TokenKind::end);
        CPPUNIT_ASSERT_EQUAL(5u, tokens[3].line);
    }

    void carriage_return_separates_words() {
        CPPUNIT_ASSERT_EQUAL(std::string("keyword:General open:{ keyword:HashSize number:5 close:}"),
                             lex("General {\r\n\tHashSize 5\r\n}\r\n"));
    }

    void nul_byte_ends_the_input() {
        std::string text = "General { }";
        text += '\0';
        text += " garbage {";
        CPPUNIT_ASSERT_EQUAL(std::string("keyword:General open:{ close:}"), lex(text));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LexerTest);
