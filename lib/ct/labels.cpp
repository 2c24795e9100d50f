// connlabel.conf reading.
#include "ct/labels.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ct {

namespace {
// Label bits a map may name (the kernel supports 128; names beyond are
// kept so that the CLI can report them as unusable rather than unknown).
constexpr unsigned long MaxMappedBit = 4095;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
} // namespace

int LabelMap::load(std::string_view path) {
    names_.clear();
    std::string file(path.empty() ? std::string_view(DefaultPath) : path);
    std::ifstream in(file);
    if (!in) {
        return errno ? -errno : -ENOENT;
    }
    std::ostringstream text;
    text << in.rdbuf();
    parse(text.str());
    return 0;
}

void LabelMap::parse(std::string_view text) {
    names_.clear();
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
        if (line.empty() || line[0] == '#')
            continue;
        // "<bit> <name>": a number (decimal, 0x hex or 0 octal), blanks, then
        // the name up to the end of the line.
        std::string number(line.substr(0, 24));
        char *end = nullptr;
        errno = 0;
        unsigned long number_value = std::strtoul(number.c_str(), &end, 0);
        std::size_t used = static_cast<std::size_t>(end - number.c_str());
        if (used == 0 || errno || number_value > MaxMappedBit)
            continue;
        std::string_view name = line.substr(used);
        while (!name.empty() && is_space(name.front()))
            name.remove_prefix(1);
        while (!name.empty() && is_space(name.back()))
            name.remove_suffix(1);
        if (name.empty())
            continue;
        // As libnetfilter_conntrack: the first name given to a bit stays,
        // and a name already given to another bit is ignored.
        if (bit(name) >= 0)
            continue;
        if (names_.size() <= number_value)
            names_.resize(number_value + 1);
        if (names_[number_value].empty())
            names_[number_value] = std::string(name);
    }
    while (!names_.empty() && names_.back().empty())
        names_.pop_back();
}

std::string_view LabelMap::name(unsigned bit) const {
    return bit < names_.size() ? std::string_view(names_[bit]) : std::string_view();
}

int LabelMap::bit(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (!names_[i].empty() && names_[i] == name)
            return static_cast<int>(i);
    return -1;
}

} // namespace ct
