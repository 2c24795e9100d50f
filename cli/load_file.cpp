#include "load_file.hpp"

#include "command_line.hpp"

namespace cli {

namespace {
constexpr std::size_t MaxWordLength = 1024;
constexpr std::size_t MaxWords = 253;  // argv[0] and a terminator fill the 255 slots
} // namespace

std::vector<std::string> split_load_line(const std::string &chunk) {
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

bool read_all(std::FILE *in, std::string &text) {
    char buffer[64 * 1024];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), in)) > 0)
        text.append(buffer, n);
    return !std::ferror(in);
}

} // namespace cli
