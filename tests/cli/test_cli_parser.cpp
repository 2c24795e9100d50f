// The conntrack command line parser and validator: every message and exit
// status is the one observed from conntrack 1.4.7 for the same words (or
// 1.4.9's where the project follows a fix, marked "1.4.9").  Each table row
// is one CppUnit test, so each message is counted on its own.
#include <cppunit/TestCase.h>
#include <cppunit/TestSuite.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include "command_line.hpp"
#include "protocols.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

using namespace cli;

namespace {

struct CapturedDiagnostics : Diagnostics {
    std::vector<std::string> lines;
    void warning(const std::string &line) override { lines.push_back(line); }
};

// Splits on blanks; '' stands for an empty word.
std::vector<std::string> words(const std::string &line) {
    std::vector<std::string> out{"conntrack"};
    std::istringstream in(line);
    std::string w;
    while (in >> w)
        out.push_back(w == "''" ? std::string() : w);
    return out;
}

struct Outcome {
    bool failed = false;
    ErrorKind kind = ErrorKind::Other;
    std::string message;
    CommandLine cmd;
    std::vector<std::string> warnings;
};

// Both entry points: the command line (through Boost.Program_options) and
// a --load-file line (the same stages without Boost's driver).
Outcome parse(const std::vector<std::string> &argv, bool load_file_line = false) {
    Outcome o;
    CapturedDiagnostics diag;
    try {
        o.cmd = load_file_line ? parse_load_file_line(argv, diag) : parse_command_line(argv, diag);
    } catch (const CliError &e) {
        o.failed = true;
        o.kind = e.kind();
        o.message = e.what();
    }
    o.warnings = diag.lines;
    return o;
}

Outcome parse(const std::string &line, bool load_file_line = false) {
    return parse(words(line), load_file_line);
}

// ---------------------------------------------------------------------------
// Rejected command lines: the message, and whether it is a parameter
// problem (exit 2 with the "Try" line) or another problem (exit 1).

struct Rejection {
    const char *args;
    const char *message;
    ErrorKind kind;
};

constexpr ErrorKind P = ErrorKind::Parameter;
constexpr ErrorKind O = ErrorKind::Other;

const Rejection Rejections[] = {
    // getopt: unknown options, missing arguments, abbreviations.
    {"-X", "unknown option `-X'", P},
    {"-L --foo", "unknown option `--foo'", P},
    {"-L --foo=bar", "unknown option `--foo=bar'", P},
    {"-L -s", "option `-s' requires an argument", P},
    {"--src", "option `--src' requires an argument", P},
    {"-zs", "option `-zs' requires an argument", P},
    {"-L -p", "option `-p' requires an argument", P},
    {"-L --reply 1.2.3.4", "unknown option `--reply'", P},
    {"-L --re 1.2.3.4", "unknown option `--re'", P},
    {"-L --s 1.1.1.1", "unknown option `--s'", P},
    {"-L --sr=1.1.1.1", "unknown option `--sr=1.1.1.1'", P},
    {"-L --zero=5", "unknown option `--zero=5'", P},
    {"-L -p tcp --d 5", "unknown option `--d'", P},
    {"-L -p tcp --sp", "option `--sp' requires an argument", P},
    {"-L --sport 5 -p tcp", "unknown option `--sport'", P},
    {"-L -p tcp -p tcp --sp 1", "unknown option `--sp'", P},
    {"--load-file", "unknown option `--load-file'", P},
    {"-R", "unknown option `-R'", P},
    {"-L -R x", "unknown option `-R'", P},
    {"--stat", "unknown option `--stat'", P},
    {"--c", "unknown option `--c'", P},
    {"--ev", "unknown option `--ev'", P},
    {"-xL", "unknown option `conntrack'", P},
    {"foo -xL", "unknown option `foo'", P},
    {"-k", "unknown option `-k'", P},
    {"-:", "unknown option `-:'", P},
    // Commands and tables.
    {"-L -L", "Invalid commands combination", P},
    {"-L -I", "Invalid commands combination", P},
    {"-L -h", "Invalid commands combination", P},
    {"-h -h", "Invalid commands combination", P},
    {"-Vh", "Invalid commands combination", P},
    {"-U -A", "Invalid commands combination", P},
    {"-S foo", "unknown type `foo'", P},
    {"-V foo", "unknown type `foo'", P},
    {"-L conntrackx", "unknown type `conntrackx'", P},
    {"-L -I foo", "unknown type `foo'", P},
    {"-S dying", "Can't do that command with tables `dying' and `unconfirmed'", P},
    {"-C dying", "Can't do that command with tables `dying' and `unconfirmed'", P},
    {"-I dying", "Can't do that command with tables `dying' and `unconfirmed'", P},
    {"-E unconfirmed", "Can't do that command with tables `dying' and `unconfirmed'", P},
    {"-L -I dying", "Can't do that command with tables `dying' and `unconfirmed'", P},
    {"-U expect", "Can't do --update on expectations", P},
    {"-A expect", "Can't do --add on expectations", P},
    {"-U -A expect", "Can't do --add on expectations", P},
    {"-L -U expect", "Can't do --update on expectations", P},
    {"--add expect", "Can't do --add on expectations", P},
    // 1.4.9: commands take no attached value.
    {"-Lx", "unknown option `-Lx'", P},
    {"--dump=expect", "unknown option `--dump=expect'", P},
    // Legality, command by command.
    {"-s 1.2.3.4", "Illegal option `--src' with this command", P},
    {"-p tcp", "Illegal option `--protonum' with this command", P},
    {"-n", "Illegal option `--src-nat' with this command", P},
    {"-z", "Illegal option `--zero' with this command", P},
    {"--orig-zone 1", "Illegal option `--orig-zone' with this command", P},
    {"-L -t 10", "Illegal option `--timeout' with this command", P},
    {"-L -e NEW", "Illegal option `--event-mask' with this command", P},
    {"-L --tuple-src 3.3.3.3", "Illegal option `--tuple-src' with this command", P},
    {"-L -i 1", "Illegal option `--id' with this command", P},
    {"-L -b 100000", "Illegal option `--buffer-size' with this command", P},
    {"-L expect -s 1.1.1.1", "Illegal option `--src' with this command", P},
    {"-L expect -m 1", "Illegal option `--mark' with this command", P},
    {"-I", "You need to supply the `--protonum' option for this command", P},
    {"-A", "You need to supply the `--protonum' option for this command", P},
    {"-G", "You need to supply the `--protonum' option for this command", P},
    {"-I -p tcp", "You need to supply the `--timeout' option for this command", P},
    {"-I -p tcp -t 10", "you have to specify `--src' and `--dst'", P},
    {"-I -p tcp -t 10 -s 1.1.1.1", "you have to specify `--src' and `--dst'", P},
    {"-I -p tcp -t 10 -r 2.2.2.2", "you have to specify `--reply-src' and `--reply-dst'", P},
    {"-I -p tcp -t 10 -q 2.2.2.2", "you have to specify `--reply-src' and `--reply-dst'", P},
    {"-I -p tcp -t 10 -s 1.1.1.1 -r 2.2.2.2", "you have to specify `--src' and `--dst'", P},
    {"-I -p tcp -t 10 -z", "Illegal option `--zero' with this command", P},
    {"-I -p tcp -t 10 -f ipv4", "Illegal option `--family' with this command", P},
    {"-I -p tcp -t 10 -c 1", "Illegal option `--secmark' with this command", P},
    {"-I -p tcp -t 10 --label-del", "Illegal option `--label-del' with this command", P},
    {"-I -p tcp -t 10 -j", "Illegal option `--any-nat' with this command", P},
    {"-I -p tcp -t 10 -o xml", "Illegal option `--output' with this command", P},
    {"-I -s 1.1.1.1/24 -d 2.2.2.2 -p tcp -t 5", "Illegal option `--mask-src' with this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2/16 -p tcp -t 5", "Illegal option `--mask-dst' with this command", P},
    {"-G -p tcp", "you have to specify `--src' and `--dst'", P},
    {"-G -t 10 -p tcp", "Illegal option `--timeout' with this command", P},
    {"-G -p tcp -m 1", "Illegal option `--mark' with this command", P},
    {"-G -s 1.1.1.1/24 -d 2.2.2.2 -p tcp", "Illegal option `--mask-src' with this command", P},
    {"-U -z", "Illegal option `--zero' with this command", P},
    {"-U -c 1", "Illegal option `--secmark' with this command", P},
    {"-U -w 1", "Illegal option `--zone' with this command", P},
    {"-U --orig-zone 1", "Illegal option `--orig-zone' with this command", P},
    {"-D -j", "Illegal option `--any-nat' with this command", P},
    {"-D -c 1", "Illegal option `--secmark' with this command", P},
    {"-D --label-del", "Illegal option `--label-del' with this command", P},
    {"-D -z", "Illegal option `--zero' with this command", P},
    {"-F -s 1.1.1.1", "Illegal option `--src' with this command", P},
    {"-F -o xml", "Illegal option `--output' with this command", P},
    {"-F expect -f ipv4", "Illegal option `--family' with this command", P},
    {"-E -t 10", "Illegal option `--timeout' with this command", P},
    {"-E -u ASSURED", "Illegal option `--status' with this command", P},
    {"-E -i 1", "Illegal option `--id' with this command", P},
    {"-E expect -f ipv4", "Illegal option `--family' with this command", P},
    {"-C -f ipv4", "Illegal option `--family' with this command", P},
    {"-C -o xml", "Illegal option `--output' with this command", P},
    {"-S -s 1.1.1.1", "Illegal option `--src' with this command", P},
    {"-V -p tcp", "Illegal option `--protonum' with this command", P},
    {"-h -s 1.1.1.1", "Illegal option `--src' with this command", P},
    {"-I expect", "You need to supply the `--src' option for this command", P},
    {"-I expect -s 1.1.1.1", "You need to supply the `--dst' option for this command", P},
    {"-I expect -s 1.1.1.1 -d 2.2.2.2", "You need to supply the `--protonum' option for this command", P},
    {"-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp", "You need to supply the `--timeout' option for this command", P},
    {"-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10", "You need to supply the `--tuple-src' option for this command", P},
    {"-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10 --tuple-src 1.1.1.1 --tuple-dst 2.2.2.2",
     "You need to supply the `--mask-src' option for this command", P},
    {"-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10 --tuple-src 1.1.1.1 --tuple-dst 2.2.2.2 --mask-src 1.1.1.1 --mask-dst 1.1.1.1",
     "You need to supply the `--sport' option for this command", P},
    {"-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10 --tuple-src 1.1.1.1 --tuple-dst 2.2.2.2 --mask-src 1.1.1.1 --mask-dst 1.1.1.1 -m 1",
     "Illegal option `--mark' with this command", P},
    {"-D expect", "You need to supply the `--src' option for this command", P},
    {"-G expect -s 1.1.1.1", "You need to supply the `--dst' option for this command", P},
    {"-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10", "Illegal option `--timeout' with this command", P},
    {"-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp", "You need to supply the `--sport' option for this command", P},
    {"-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2",
     "You need to supply the `--reply-port-src' option for this command", P},
    {"-D expect -s 1.1.1.1 -d 2.2.2.2 -p gre", "You need to supply the `--srckey' option for this command", P},
    {"-D expect -s 1.1.1.1 -d 2.2.2.2 -p icmp --icmp-type 8", "Illegal option `--icmp-type' with this command", P},
    // Protocol extensions.
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p tcp", "You need to supply the `--state' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p tcp --state ESTABLISHED", "you have to specify `--sport' and `--dport'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p tcp --state ESTABLISHED --reply-port-src 1",
     "you have to specify `--reply-src-port' and `--reply-dst-port'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p tcp --state ESTABLISHED --sport 1 --reply-port-src 1",
     "you have to specify `--sport' and `--dport'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p tcp --state ESTABLISHED --sport 1 --dport 2 --mask-port-src 1",
     "Illegal option `--mask-port-src' with this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p udp", "you have to specify `--sport' and `--dport'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p udplite --reply-port-dst 1",
     "you have to specify `--reply-src-port' and `--reply-dst-port'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p sctp --sport 1 --dport 2 --state ESTABLISHED",
     "You need to supply the `--orig-vtag' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p sctp --sport 1 --dport 2 --state ESTABLISHED --orig-vtag 1",
     "You need to supply the `--reply-vtag' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p dccp --state OPEN", "You need to supply the `--role' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p dccp --state OPEN --role client --reply-port-src 1",
     "you have to specify `--reply-port-src' and `--report-port-dst'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p gre", "you have to specify `--srckey' and `--dstkey'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p gre --reply-key-src 1", "you have to specify `--reply-src-key' and `--reply-dst-key'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p icmp", "You need to supply the `--icmp-type' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p icmp --icmp-code 0", "You need to supply the `--icmp-type' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p icmp --icmp-type 8", "You need to supply the `--icmp-code' option for this command", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p icmpv6", "You need to supply the `--icmpv6-type' option for this command", P},
    {"-G -s 1.1.1.1 -d 2.2.2.2 -p dccp --sport 1 --dport 2 --role client", "Illegal option `--role' with this command", P},
    {"-L -p tcp --mask-port-src 1", "Illegal option `--mask-port-src' with this command", P},
    {"-L -p sctp --orig-vtag 1", "Illegal option `--orig-vtag' with this command", P},
    {"-L -p gre --tuple-key-src 1", "Illegal option `--tuple-key-src' with this command", P},
    {"-L -p tcp -p udp --state ESTABLISHED", "Illegal option `--tuple-port-src' with this command", P},
    {"-L -p tcp --state FOO", "unknown TCP state `FOO'", P},
    {"-L -p tcp --state established", "unknown TCP state `established'", P},
    {"-L -p dccp --state FOO", "Unknown DCCP state `FOO'", P},
    {"-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p dccp --sport 1 --dport 2 --state OPEN --role x", "Unknown DCCP role `x'", P},
    {"-L -p 300", "`300' unsupported protocol", P},
    {"-L -p -1", "`-1' unsupported protocol", P},
    {"-L -p ''", "`' unsupported protocol", P},
    {"-L -p tc", "`tc' unsupported protocol", P},
    {"-L -p 6x", "`6x' unsupported protocol", P},
    {"-L -p 0x", "`0x' unsupported protocol", P},
    {"-L -p ipv6-icmp --icmpv6-type 1", "unknown option `--icmpv6-type'", P},
    {"-h -p 256", "`256' unsupported protocol", P},
    // Addresses.
    {"-L -s garbage", "Invalid IP address `garbage'", P},
    {"-L -s 1.2.3.4/33", "Invalid netmask", P},
    {"-L -s 1.2.3.4/x", "Invalid netmask", P},
    {"-L -s 1.1.1.1/-1", "Invalid netmask", P},
    {"-L -s 1.1.1.1/0x8", "Invalid netmask", P},
    {"-L -s 1.1.1.1/24/8", "Invalid netmask", P},
    {"-L -s ::1/129", "Invalid netmask", P},
    {"-L -s x/8", "Invalid IP address `x/8'", P},
    {"-L -s /8", "Invalid IP address `/8'", P},
    {"-L -s=1.1.1.1", "Invalid IP address `=1.1.1.1'", P},
    {"-L -r 1.1.1.1/24", "CIDR notation unavailable for `--reply-src'", P},
    {"-L -q 1.1.1.1/24", "CIDR notation unavailable for `--reply-dst'", P},
    {"-L -r x/8", "Invalid IP address `x/8'", P},
    {"-L --mask-src 255.0.0.0/8 -s 1.1.1.1", "CIDR notation unavailable for `--mask-src'", P},
    {"-L -s 1.1.1.1 --mask-src x", "Invalid IP address `x'", P},
    {"-L -s 1.1.1.1 -d ::1", "mismatched address family", P},
    {"-L -f ipv6 -s 1.1.1.1", "mismatched address family", P},
    {"-L -s 1.1.1.1 -f ipv6", "mismatched address family", P},
    {"-L -f ipv4 -f ipv6", "mismatched address family", P},
    {"-L -s 1.1.1.1 --mask-src ::1", "mismatched address family", P},
    {"-L -n ::1 -s 1.1.1.1", "mismatched address family", P},
    {"-L -f ipv6 -j 1.1.1.1", "mismatched address family", P},
    {"-L --tuple-src ::1 -s 1.1.1.1", "mismatched address family", P},
    {"-L -f ip", "`ip' unsupported protocol", P},
    {"-L -f IPV4", "`IPV4' unsupported protocol", P},
    {"-L -f ''", "`' unsupported protocol", P},
    // NAT.
    {"-L -n garbage", "Invalid IP address `garbage'", P},
    {"-L -n 1.1.1.1:", "No port specified after `:'", P},
    {"-L -n 1.1.1.1:x", "Invalid port `x'", P},
    {"-L -n 1.1.1.1:70000", "Invalid port `70000'", P},
    {"-L -n 1.1.1.1:65536", "Invalid port `65536'", P},
    {"-L -n 1.1.1.1:-1", "Invalid port `-1'", P},
    {"-L -n 1.1.1.1:+5", "Invalid port `+5'", P},
    {"-L -n 1.1.1.1:0x10", "Invalid port `0x10'", P},
    {"-L -n 1.1.1.1:5-6", "Invalid port `5-6'", P},
    {"-L -n [::1", "No closing ']' around IPv6 address", P},
    {"-L -n []:5", "No IPv6 address specified", P},
    {"-L -n [::1]", "Invalid IP address `[::1]'", P},
    {"-L -n [::1]x", "Invalid IP address `[::1]x'", P},
    {"-L -n [::1]:", "No port specified after `:'", P},
    {"-L -n [::1]:5:6", "Invalid port `5:6'", P},
    {"-L -n [x]:5", "Invalid IP address `x'", P},
    {"-L -n 1:2:3", "Invalid IP address `1:2:3'", P},
    {"-L -n 1.1.1.1:5:6", "Invalid IP address `1.1.1.1:5:6'", P},
    {"-L -n x:5", "Invalid IP address `x'", P},
    {"-L -n x:y", "Invalid port `y'", P},
    {"-L -n :5", "Invalid IP address `'", P},
    {"-L -n ::1/64", "CIDR notation unavailable for `--src-nat'", P},
    {"-L -g 1.1.1.1/24", "CIDR notation unavailable for `--dst-nat'", P},
    {"-L -n -j", "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'", P},
    {"-L -j -g", "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'", P},
    {"-L -p tcp --mask-port-src 1 -j -n", "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'", P},
    // Lists of -u, -e, -o.
    {"-L -u ''", "Bad parameter `'", P},
    {"-L -u ASSURED,", "Bad parameter `'", P},
    {"-L -u ,ASSURED", "Bad parameter `,ASSURED'", P},
    {"-L -u ASSURED,,SEEN", "Bad parameter `,SEEN'", P},
    {"-L -u ASSURED,FOO,SEEN", "Bad parameter `FOO,SEEN'", P},
    {"-L -u FOO", "Bad parameter `FOO'", P},
    {"-L -u SRC_NATX", "Bad parameter `SRC_NATX'", P},
    {"-L -u unrep", "Bad parameter `unrep'", P},
    {"-L -u unreplied", "Bad parameter `unreplied'", P},
    {"-L -u !UNREPLIED", "Bad parameter `UNREPLIED'", P},
    {"-L -u !", "Bad parameter `'", P},
    {"-L -u !!ASSURED", "Bad parameter `!ASSURED'", P},
    {"-L -u CONFIRMED", "Bad parameter `CONFIRMED'", P},
    {"-L -u ASSUREDX", "Bad parameter `ASSUREDX'", P},
    {"-L -u=ASSURED", "Bad parameter `=ASSURED'", P},
    {"-E -e FOO", "Bad parameter `FOO'", P},
    {"-E -e new,x", "Bad parameter `x'", P},
    {"-E -e !NEW", "Bad parameter `!NEW'", P},
    {"-Sexpect", "Bad parameter `xpect'", P},
    {"-L -o FOO", "Bad parameter `FOO'", P},
    {"-L -o xml,", "Bad parameter `'", P},
    {"-L -o !xml", "Bad parameter `!xml'", P},
    {"-L -o xml,save", "cannot combine save output with any other output type, use -o save only", O},
    {"-L -o save,xml", "cannot combine save output with any other output type, use -o save only", O},
    {"-L -o save,id", "cannot combine save output with any other output type, use -o save only", O},
    {"-L -o xml -o save", "cannot combine save output with any other output type, use -o save only", O},
    {"-L -o save,xml -X", "cannot combine save output with any other output type, use -o save only", O},
    // Filters checked before the kernel is asked.
    {"-L -z -s 1.1.1.1", "Can't use -z with filtering parameters", P},
    {"-L -z -p tcp", "Can't use -z with filtering parameters", P},
    {"-L -z -m 1", "Can't use -z with filtering parameters", P},
    {"-L -z -u ASSURED", "Can't use -z with filtering parameters", P},
    {"-L -z -c 1", "Can't use -z with filtering parameters", P},
    {"-L -z -w 1", "Can't use -z with filtering parameters", P},
    {"-L -z --reply-zone 1", "Can't use -z with filtering parameters", P},
    {"-L -z -s 1.1.1.1 --mask-dst 1.1.1.1", "Can't use -z with filtering parameters", P},
    {"-L -z --mask-src 1.1.1.1", "Can't use --mask-src without --src", P},
    {"-L --mask-src 255.0.0.0", "Can't use --mask-src without --src", P},
    {"-L --mask-dst 255.0.0.0", "Can't use --mask-dst without --dst", P},
    {"-D --mask-src 255.0.0.0", "Can't use --mask-src without --src", P},
    {"-U --mask-dst 255.0.0.0", "Can't use --mask-dst without --dst", P},
    {"-E -s 1.1.1.1 --mask-dst 1.1.1.1", "Can't use --mask-dst without --dst", P},
    // Labels.
    {"-U --label-add one --label-del two -X", "cannot use --label-add and --label-del at the same time", O},
    {"-U --label-del --label-add one", "cannot use --label-add and --label-del at the same time", O},
    // 1.4.9: checked numbers.
    {"-L -m x", "unexpected value 'x' with -m option", O},
    {"-L -m 1/x", "unexpected value '1/x' with -m option", O},
    {"-L -m 1/", "unexpected value '1/' with -m option", O},
    {"-L -m 0x100000000", "unexpected value '0x100000000' with -m option", O},
    {"-L -c x", "unexpected value 'x' with -c option", O},
    {"-U -i x", "unexpected value 'x' with -i option", O},
    {"-L -w 70000", "unexpected value '70000' with -w option", O},
    {"-L --orig-zone x", "unexpected value 'x' with -( option", O},
    {"-L --reply-zone 65536", "unexpected value '65536' with -) option", O},
    // 1.4.9: --id needs its argument (1.4.7 crashed).
    {"-U --id", "option `--id' requires an argument", P},
    // 1.4.7 crashes on an unknown SCTP state.
    {"-L -p sctp --state FOO", "unknown SCTP state `FOO'", P},
    {"-L -p sctp --state HEARTBEAT_SENT", "unknown SCTP state `HEARTBEAT_SENT'", P},
    // Our own additions keep the reference's style.
    {"-L --labelmap a --labelmap b", "cannot use --labelmap more than once", P},
    {"-I --labelmap a -p tcp -t 1 -s 1.1.1.1 -d 2.2.2.2", "Illegal option `--labelmap' with this command", P},
    {"-L -o json,xml", "cannot combine json output with xml output", O},
};

class RejectionTest : public CppUnit::TestCase {
public:
    explicit RejectionTest(const Rejection &r)
        : CppUnit::TestCase(std::string("rejects: conntrack ") + r.args), r_(r) {}
    void runTest() override {
        for (bool load_file_line : {false, true}) {
            const Outcome o = parse(r_.args, load_file_line);
            CPPUNIT_ASSERT_MESSAGE("the command line was accepted", o.failed);
            CPPUNIT_ASSERT_EQUAL(std::string(r_.message), o.message);
            CPPUNIT_ASSERT_MESSAGE("wrong exit status", o.kind == r_.kind);
        }
    }

private:
    Rejection r_;
};

// ---------------------------------------------------------------------------
// Accepted command lines whose warnings are the reference's.

struct Warned {
    const char *args;
    const char *warning;
};

const Warned Warnings[] = {
    {"-L -a 1", "WARNING: ignoring -a, deprecated option."},
    {"-C -a 1 expect", "WARNING: ignoring -a, deprecated option."},
    {"-L -u SRC_NAT", "WARNING: ignoring SRC_NAT, use --src-nat instead"},
    {"-L -u src_nat", "WARNING: ignoring SRC_NAT, use --src-nat instead"},
    {"-L -u S", "WARNING: ignoring SRC_NAT, use --src-nat instead"},
    {"-L -u !S", "WARNING: ignoring SRC_NAT, use --src-nat instead"},
    {"-L -u D", "WARNING: ignoring DST_NAT, use --dst-nat instead"},
    {"-E -e d", "WARNING: ignoring DST_NAT, use --dst-nat instead"},
    {"-E -e NEW,s", "WARNING: ignoring SRC_NAT, use --src-nat instead"},
    {"-L -o s,e", "WARNING: ignoring SRC_NAT, use --src-nat instead"},
    {"-L -o dst_n", "WARNING: ignoring DST_NAT, use --dst-nat instead"},
    {"-L --labelmap /nonexistent/connlabel.conf -o labels", "nfct_labelmap_new: No such file or directory"},
};

class WarningTest : public CppUnit::TestCase {
public:
    explicit WarningTest(const Warned &w)
        : CppUnit::TestCase(std::string("warns: conntrack ") + w.args), w_(w) {}
    void runTest() override {
        for (bool load_file_line : {false, true}) {
            const Outcome o = parse(w_.args, load_file_line);
            CPPUNIT_ASSERT_MESSAGE("rejected: " + o.message, !o.failed);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), o.warnings.size());
            CPPUNIT_ASSERT_EQUAL(std::string(w_.warning), o.warnings[0]);
        }
    }

private:
    Warned w_;
};

// ---------------------------------------------------------------------------
// Accepted command lines: what they mean.

class AcceptedTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AcceptedTest);
    CPPUNIT_TEST(no_command_is_the_usage);
    CPPUNIT_TEST(no_command_accepts_reply_zone_only);
    CPPUNIT_TEST(table_word_is_a_prefix);
    CPPUNIT_TEST(empty_table_word_is_expect);
    CPPUNIT_TEST(table_word_only_right_after_the_command);
    CPPUNIT_TEST(table_word_after_a_cluster);
    CPPUNIT_TEST(non_option_words_are_ignored);
    CPPUNIT_TEST(double_dash_ends_options);
    CPPUNIT_TEST(long_option_abbreviations);
    CPPUNIT_TEST(synonyms_are_not_ambiguous);
    CPPUNIT_TEST(attached_values);
    CPPUNIT_TEST(optional_nat_value_from_next_word);
    CPPUNIT_TEST(attached_nat_value_is_dropped);
    CPPUNIT_TEST(nat_ports_and_ipv6);
    CPPUNIT_TEST(addresses_and_netmasks);
    CPPUNIT_TEST(inet_aton_forms);
    CPPUNIT_TEST(full_prefix_is_no_netmask);
    CPPUNIT_TEST(family_defaults);
    CPPUNIT_TEST(family_prefix_compare);
    CPPUNIT_TEST(status_lists);
    CPPUNIT_TEST(event_mask);
    CPPUNIT_TEST(output_flags);
    CPPUNIT_TEST(marks_and_numbers);
    CPPUNIT_TEST(timeout_reads_like_atol);
    CPPUNIT_TEST(buffer_size_is_kept_as_given);
    CPPUNIT_TEST(protocols_by_name_alias_and_number);
    CPPUNIT_TEST(protocol_values);
    CPPUNIT_TEST(gre_keys_any_base);
    CPPUNIT_TEST(second_protocol_reads_option_indexes);
    CPPUNIT_TEST(tcp_listen_is_syn_sent2);
    CPPUNIT_TEST(labels_from_a_map);
    CPPUNIT_TEST(unknown_label);
    CPPUNIT_TEST(label_del_without_names);
    CPPUNIT_TEST(json_for_count_and_stats);
    CPPUNIT_TEST(help_texts);
    CPPUNIT_TEST(matrix_rows_have_one_column_per_option);
    CPPUNIT_TEST(load_file_lines_parse_the_same);
    CPPUNIT_TEST_SUITE_END();

    std::string labelmap_;

public:
    void setUp() override {
        char path[] = "/tmp/cli-labelmapXXXXXX";
        const int fd = mkstemp(path);
        CPPUNIT_ASSERT(fd >= 0);
        const std::string text = "0 zero\n1 one\n2 two\n5 five\n40 forty\n# comment\n127 last\n";
        CPPUNIT_ASSERT(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        ::close(fd);
        labelmap_ = path;
    }
    void tearDown() override { std::remove(labelmap_.c_str()); }

    static Outcome ok(const std::string &line) {
        Outcome o = parse(line);
        CPPUNIT_ASSERT_MESSAGE("conntrack " + line + ": " + o.message, !o.failed);
        return o;
    }
    static std::string v4(const ct::Address &a) {
        char buf[INET_ADDRSTRLEN];
        return inet_ntop(AF_INET, &a.v4, buf, sizeof(buf));
    }

    void no_command_is_the_usage() {
        const Outcome o = ok("");
        CPPUNIT_ASSERT(o.cmd.action == Action::None);
        CPPUNIT_ASSERT(ok("-a 5").cmd.action == Action::None);
    }
    void no_command_accepts_reply_zone_only() {
        // The reference reads past its matrix without a command.
        CPPUNIT_ASSERT(ok("--reply-zone 1").cmd.action == Action::None);
        CPPUNIT_ASSERT(parse("--orig-zone 1").failed);
    }
    void table_word_is_a_prefix() {
        CPPUNIT_ASSERT(ok("-L e").cmd.table == Table::Expect);
        CPPUNIT_ASSERT(ok("-L exp").cmd.table == Table::Expect);
        CPPUNIT_ASSERT(ok("-L c").cmd.table == Table::Conntrack);
        CPPUNIT_ASSERT(ok("-L d").cmd.table == Table::Dying);
        CPPUNIT_ASSERT(ok("-L u").cmd.table == Table::Unconfirmed);
        CPPUNIT_ASSERT(ok("-L unconfirmed").cmd.table == Table::Unconfirmed);
        CPPUNIT_ASSERT(ok("--dump expect").cmd.table == Table::Expect);
        CPPUNIT_ASSERT(ok("-C expect").cmd.table == Table::Expect);
        CPPUNIT_ASSERT(ok("-S expect").cmd.table == Table::Expect);
    }
    void empty_table_word_is_expect() { CPPUNIT_ASSERT(ok("-L ''").cmd.table == Table::Expect); }
    void table_word_only_right_after_the_command() {
        const Outcome o = ok("-L -o xml expect");
        CPPUNIT_ASSERT(o.cmd.table == Table::Conntrack);
        CPPUNIT_ASSERT(ok("-L !x").cmd.table == Table::Conntrack);
    }
    void table_word_after_a_cluster() {
        // -zL: the cluster ends with the command, the next word is its table.
        CPPUNIT_ASSERT(ok("-zL dying").cmd.table == Table::Dying);
        CPPUNIT_ASSERT_EQUAL(std::string("Illegal option `--zero' with this command"),
                             parse("-zL expect").message);
    }
    void non_option_words_are_ignored() {
        const Outcome o = ok("conntrack -L -p tcp -");
        CPPUNIT_ASSERT(o.cmd.action == Action::List);
        CPPUNIT_ASSERT(o.cmd.table == Table::Conntrack);
    }
    void double_dash_ends_options() {
        const Outcome o = ok("-L -p tcp -- --sport 5");
        CPPUNIT_ASSERT_EQUAL(0u, o.cmd.proto_values.given);
    }
    void long_option_abbreviations() {
        CPPUNIT_ASSERT(ok("--dum").cmd.action == Action::List);
        CPPUNIT_ASSERT(ok("--co").cmd.action == Action::Count);
        CPPUNIT_ASSERT(ok("--h").cmd.action == Action::Help);
        CPPUNIT_ASSERT(ok("--v").cmd.action == Action::Version);
        CPPUNIT_ASSERT(ok("-L --proto tcp").cmd.has(OptProto));
        const Outcome o = ok("-L -p tcp --dp 5");
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5), o.cmd.proto_values.orig_dport);
    }
    void synonyms_are_not_ambiguous() {
        // --orig-s is only --orig-src; --sp only --sport (= --orig-port-src).
        CPPUNIT_ASSERT(ok("-L --orig-s 1.1.1.1").cmd.has(OptSrc));
        const Outcome o = ok("-L -p tcp --sp 7");
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(7), o.cmd.proto_values.orig_sport);
    }
    void attached_values() {
        const Outcome o = ok("-L -s1.1.1.1 -ptcp --sport=5 --dst=2.2.2.2");
        CPPUNIT_ASSERT_EQUAL(std::string("1.1.1.1"), v4(o.cmd.orig.src));
        CPPUNIT_ASSERT_EQUAL(std::string("2.2.2.2"), v4(o.cmd.orig.dst));
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5), o.cmd.proto_values.orig_sport);
    }
    void optional_nat_value_from_next_word() {
        Outcome o = ok("-L -n 1.1.1.1");
        CPPUNIT_ASSERT(o.cmd.snat.has_address);
        o = ok("-L -n -s 1.1.1.1");
        CPPUNIT_ASSERT(o.cmd.has(OptSrcNat));
        CPPUNIT_ASSERT(!o.cmd.snat.has_address);
        CPPUNIT_ASSERT(o.cmd.has(OptSrc));
        o = ok("-L -n !1.1.1.1");
        CPPUNIT_ASSERT(!o.cmd.snat.has_address);
        o = ok("-L --src-nat 1.1.1.1");
        CPPUNIT_ASSERT(o.cmd.snat.has_address);
    }
    void attached_nat_value_is_dropped() {
        CPPUNIT_ASSERT(!ok("-L -n=garbage").cmd.snat.has_address);
        CPPUNIT_ASSERT(!ok("-L -n1.1.1.1").cmd.snat.has_address);
        CPPUNIT_ASSERT(!ok("-L --src-nat=garbage").cmd.snat.has_address);
        CPPUNIT_ASSERT(ok("-L -j=x").cmd.has(OptAnyNat));
    }
    void nat_ports_and_ipv6() {
        Outcome o = ok("-L -g 10.0.5.5:8080");
        CPPUNIT_ASSERT(o.cmd.dnat.has_port);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(8080), o.cmd.dnat.port);
        o = ok("-L -n [::1]:5");
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET6), o.cmd.snat.family);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5), o.cmd.snat.port);
        o = ok("-L -n fe80::1:5");  // two colons: an address, no port
        CPPUNIT_ASSERT(!o.cmd.snat.has_port);
        o = ok("-L -n [1.1.1.1]:5");
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET), o.cmd.snat.family);
        CPPUNIT_ASSERT(ok("-L -n 1.1.1.1:000000000000000000005").cmd.snat.port == 5);
    }
    void addresses_and_netmasks() {
        Outcome o = ok("-L -s 10.0.0.5/30");
        CPPUNIT_ASSERT(o.cmd.has(OptMaskSrc));
        CPPUNIT_ASSERT_EQUAL(std::string("255.255.255.252"), v4(o.cmd.src_mask.mask));
        o = ok("-L -s 1.1.1.1/08");
        CPPUNIT_ASSERT_EQUAL(std::string("255.0.0.0"), v4(o.cmd.src_mask.mask));
        o = ok("-L -s 1.1.1.1/");  // an empty prefix is a prefix of 0
        CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.0"), v4(o.cmd.src_mask.mask));
        o = ok("-L -s 10.0.0.0 --mask-src 255.255.255.0");
        CPPUNIT_ASSERT(o.cmd.has(OptMaskSrc));
        o = ok("-L -s fd00::1/64");
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET6), o.cmd.family);
        CPPUNIT_ASSERT_EQUAL(0xffffffffu, o.cmd.src_mask.mask.v6w[1]);
        CPPUNIT_ASSERT_EQUAL(0u, o.cmd.src_mask.mask.v6w[2]);
    }
    void inet_aton_forms() {
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.0.3"), v4(ok("-L -s 1.2.3").cmd.orig.src));
        CPPUNIT_ASSERT_EQUAL(std::string("1.1.1.1"), v4(ok("-L -s 0x01010101").cmd.orig.src));
        CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.1"), v4(ok("-L -s 1").cmd.orig.src));
    }
    void full_prefix_is_no_netmask() {
        CPPUNIT_ASSERT(!ok("-L -d 1.1.1.1/32").cmd.has(OptMaskDst));
        CPPUNIT_ASSERT(!ok("-G -s 1.1.1.1/32 -d 2.2.2.2 -p tcp --sport 1 --dport 2").cmd.has(OptMaskSrc));
        CPPUNIT_ASSERT(!ok("-L -s ::1/128").cmd.has(OptMaskSrc));
    }
    void family_defaults() {
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(0), ok("-L").cmd.family);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(0), ok("-D").cmd.family);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(0), ok("-E").cmd.family);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(0), ok("-L expect").cmd.family);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET), ok("-S").cmd.family);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET), ok("-C").cmd.family);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET6), ok("-L -f ipv6").cmd.family);
    }
    void family_prefix_compare() { CPPUNIT_ASSERT_EQUAL(std::uint8_t(AF_INET), ok("-L -f ipv4xx").cmd.family); }
    void status_lists() {
        Outcome o = ok("-L -u ASSURED,SEEN");
        CPPUNIT_ASSERT_EQUAL(6u, o.cmd.status_value);
        CPPUNIT_ASSERT_EQUAL(6u, o.cmd.status_mask);
        o = ok("-L -u !ASSURED");
        CPPUNIT_ASSERT_EQUAL(0u, o.cmd.status_value);
        CPPUNIT_ASSERT_EQUAL(4u, o.cmd.status_mask);
        o = ok("-L -u UNREPLIED,assured");
        CPPUNIT_ASSERT_EQUAL(4u, o.cmd.status_value);
        CPPUNIT_ASSERT_EQUAL(6u, o.cmd.status_mask);
        o = ok("-L -u F,O,H,E");
        CPPUNIT_ASSERT_EQUAL(0x400u | 0x4000u | 0x8000u | 1u, o.cmd.status_value);
        o = ok("-L -u U");  // UNSET
        CPPUNIT_ASSERT_EQUAL(0u, o.cmd.status_mask);
    }
    void event_mask() {
        CPPUNIT_ASSERT_EQUAL(event::New, ok("-E -e n").cmd.event_mask);
        CPPUNIT_ASSERT_EQUAL(event::Update | event::Destroy, ok("-E -e DE,U").cmd.event_mask);
        CPPUNIT_ASSERT_EQUAL(event::All, ok("-E -e ALL,NEW").cmd.event_mask);
    }
    void output_flags() {
        CPPUNIT_ASSERT_EQUAL(output::Xml, ok("-L -o x").cmd.output_flags);
        CPPUNIT_ASSERT_EQUAL(output::Save, ok("-L -o sa").cmd.output_flags);
        CPPUNIT_ASSERT_EQUAL(output::Save, ok("-L -o userspace,save").cmd.output_flags);
        CPPUNIT_ASSERT_EQUAL(output::Extended | output::Id | output::Timestamp | output::Ktimestamp,
                             ok("-L -o e,i,t,k,u").cmd.output_flags);
        CPPUNIT_ASSERT_EQUAL(output::Json, ok("-L -o json").cmd.output_flags);
        CPPUNIT_ASSERT_EQUAL(0u, ok("-L -o s").cmd.output_flags);  // SRC_NAT, ignored
    }
    void marks_and_numbers() {
        Outcome o = ok("-L -m 0x10/0xf0");
        CPPUNIT_ASSERT_EQUAL(0x10u, o.cmd.mark_value);
        CPPUNIT_ASSERT_EQUAL(0xf0u, o.cmd.mark_mask);
        o = ok("-L -m 7");
        CPPUNIT_ASSERT_EQUAL(0xffffffffu, o.cmd.mark_mask);
        CPPUNIT_ASSERT_EQUAL(16u, ok("-U -i 0x10").cmd.id);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(65535), ok("-L -w 65535").cmd.zone);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(8), ok("-L --orig-zone 010").cmd.orig_zone);
    }
    void timeout_reads_like_atol() {
        CPPUNIT_ASSERT_EQUAL(12u, ok("-U -t 12abc").cmd.timeout);
        CPPUNIT_ASSERT_EQUAL(0u, ok("-U -t x").cmd.timeout);
    }
    void buffer_size_is_kept_as_given() {
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(100000), ok("-E -b 100000").cmd.buffer_size);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(-5), ok("-E -b -5").cmd.buffer_size);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), ok("-E -b 0x1000").cmd.buffer_size);
    }
    void protocols_by_name_alias_and_number() {
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), std::string(ok("-L -p TCP").cmd.proto->name));
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), std::string(ok("-L -p 6").cmd.proto->name));
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), std::string(ok("-L -p 0x6").cmd.proto->name));
        CPPUNIT_ASSERT_EQUAL(std::string("icmp"), std::string(ok("-L -p 1").cmd.proto->name));
        // icmpv6's official name is ipv6-icmp: no extension by number.
        Outcome o = ok("-L -p 58");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), std::string(o.cmd.proto->name));
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(58), o.cmd.l4proto);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(0), ok("-L -p -0").cmd.l4proto);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(255), ok("-L -p 255").cmd.l4proto);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(47), ok("-L -p gre").cmd.l4proto);
    }
    void protocol_values() {
        const Outcome o =
            ok("-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p sctp --sport 70000 --dport -1 --state SHUTDOWN_ACK_SENT "
               "--orig-vtag 010 --reply-vtag 0x10");
        const ProtocolValues &v = o.cmd.proto_values;
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(4464), v.orig_sport);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(65535), v.orig_dport);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(7), v.state);
        CPPUNIT_ASSERT_EQUAL(10u, v.orig_vtag);   // atoi: decimal only
        CPPUNIT_ASSERT_EQUAL(0u, v.reply_vtag);
        const Outcome d = ok("-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p dccp --sport 1 --dport 2 --state OPEN --role Server");
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(1), d.cmd.proto_values.role);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(4), d.cmd.proto_values.state);
        const Outcome i = ok("-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p icmp --icmp-type 300 --icmp-code 0 --icmp-id 77");
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(44), i.cmd.proto_values.icmp_type);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(77), i.cmd.proto_values.icmp_id);
    }
    void gre_keys_any_base() {
        const Outcome o = ok("-L -p gre --srckey 0x10 --dstkey 010 --reply-key-src 0x12345");
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(16), o.cmd.proto_values.orig_sport);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(8), o.cmd.proto_values.orig_dport);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(0x2345), o.cmd.proto_values.reply_sport);
    }
    void second_protocol_reads_option_indexes() {
        // icmp's first option handed to tcp is tcp's first: the source port.
        const Outcome o = ok("-L -p icmp -p tcp --icmp-type 9");
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(9), o.cmd.proto_values.orig_sport);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(6), o.cmd.l4proto);
        // tcp's --state (index 6) means nothing to icmp.
        CPPUNIT_ASSERT(ok("-L -p tcp -p icmp --state FOO").cmd.proto_values.given == 0);
    }
    void tcp_listen_is_syn_sent2() {
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(9), ok("-L -p tcp --state LISTEN").cmd.proto_values.state);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(9), ok("-L -p tcp --state SYN_SENT2").cmd.proto_values.state);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(7), ok("-L -p tcp --state TIME_WAIT").cmd.proto_values.state);
    }
    void labels_from_a_map() {
        const Outcome o = ok("-L -l one,five -l forty --labelmap " + labelmap_);
        CPPUNIT_ASSERT(o.cmd.labels.test(1));
        CPPUNIT_ASSERT(o.cmd.labels.test(5));
        CPPUNIT_ASSERT(o.cmd.labels.test(40));
        CPPUNIT_ASSERT(!o.cmd.labels.test(2));
        CPPUNIT_ASSERT(o.cmd.labelmap != nullptr);
        const Outcome a = ok("-U --labelmap " + labelmap_ + " --label-add last");
        CPPUNIT_ASSERT(a.cmd.label_add.test(127));
    }
    void unknown_label() {
        Outcome o = parse("-L --labelmap " + labelmap_ + " -l one,,two");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown label ''"), o.message);
        CPPUNIT_ASSERT(o.kind == ErrorKind::Parameter);
        o = parse("-U --labelmap " + labelmap_ + " --label-add one,foo");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown label 'foo'"), o.message);
        o = parse("-L --labelmap /nonexistent -l one");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown label 'one'"), o.message);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), o.warnings.size());
        CPPUNIT_ASSERT_EQUAL(std::string("nfct_labelmap_new: No such file or directory"), o.warnings[0]);
    }
    void label_del_without_names() {
        const Outcome o = ok("-U --label-del --labelmap " + labelmap_);
        CPPUNIT_ASSERT(o.cmd.has(OptLabelDel));
        CPPUNIT_ASSERT(o.cmd.label_del_names.empty());
    }
    void json_for_count_and_stats() {
        CPPUNIT_ASSERT(ok("-C -o json").cmd.action == Action::Count);
        CPPUNIT_ASSERT(ok("-S -o json").cmd.action == Action::Stats);
        CPPUNIT_ASSERT(parse("-S -o xml").failed);
    }
    void help_texts() {
        const std::string usage = usage_text("prog");
        CPPUNIT_ASSERT(usage.find("Usage: prog [commands] [options]\n") != std::string::npos);
        CPPUNIT_ASSERT(usage.find("  -S\t\t\t\tShow statistics\n") != std::string::npos);
        CPPUNIT_ASSERT(usage.find("Source address from reply direction") != std::string::npos);
        Outcome o = ok("-h -p tcp");
        std::string help = protocol_help_text(o.cmd);
        CPPUNIT_ASSERT_EQUAL(0u, static_cast<unsigned>(help.find("Proto `tcp' help:\n")));
        CPPUNIT_ASSERT(help.find("  --state\t\t\tTCP state, fe. ESTABLISHED\n") != std::string::npos);
        o = ok("-h -p 50");
        CPPUNIT_ASSERT_EQUAL(std::string("Proto `esp' help:\n  no options (unsupported)\n"),
                             protocol_help_text(o.cmd));
        o = ok("-h -p 200");
        CPPUNIT_ASSERT_EQUAL(std::string("Proto `unknown' help:\n  no options (unsupported)\n"),
                             protocol_help_text(o.cmd));
        CPPUNIT_ASSERT_EQUAL(std::string("conntrack v1.4.7 (conntrack-tools)\n"), version_text());
    }
    void load_file_lines_parse_the_same() {
        for (const char *line :
             {"-I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -m 5 -u ASSURED",
              "-D -s 10.0.0.0/24 -p udp --dport 53", "-U -f ipv6 -m 0x10/0xf0 -t 30", "-F -f ipv4",
              "-A -r 1.2.3.4 -q 5.6.7.8 -p icmp --icmp-type 8 --icmp-code 0 -t 9 -w 3 -n 9.9.9.9:77"}) {
            const Outcome a = ok(line);
            const Outcome b = parse(line, true);
            CPPUNIT_ASSERT(!b.failed);
            CPPUNIT_ASSERT(a.cmd.action == b.cmd.action);
            CPPUNIT_ASSERT_EQUAL(a.cmd.options, b.cmd.options);
            CPPUNIT_ASSERT_EQUAL(a.cmd.family, b.cmd.family);
            CPPUNIT_ASSERT(a.cmd.orig == b.cmd.orig);
            CPPUNIT_ASSERT(a.cmd.reply == b.cmd.reply);
            CPPUNIT_ASSERT_EQUAL(a.cmd.proto_values.given, b.cmd.proto_values.given);
            CPPUNIT_ASSERT_EQUAL(a.cmd.mark_value, b.cmd.mark_value);
            CPPUNIT_ASSERT_EQUAL(a.cmd.status_value, b.cmd.status_value);
            CPPUNIT_ASSERT_EQUAL(a.cmd.timeout, b.cmd.timeout);
        }
    }
    void matrix_rows_have_one_column_per_option() {
        for (const char *name : {"tcp", "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "gre"}) {
            const ProtocolLookup l = find_protocol(name);
            CPPUNIT_ASSERT(l.extension);
            for (MatrixLine line : l.extension->matrix)
                if (line)
                    CPPUNIT_ASSERT_EQUAL(l.extension->option_names.size(), std::strlen(line));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AcceptedTest);

// One test per table row.
class TableTests : public CppUnit::TestFactory {
public:
    CppUnit::Test *makeTest() override {
        auto *suite = new CppUnit::TestSuite("conntrack command line messages");
        for (const Rejection &r : Rejections)
            suite->addTest(new RejectionTest(r));
        for (const Warned &w : Warnings)
            suite->addTest(new WarningTest(w));
        return suite;
    }
};

struct RegisterTableTests {
    TableTests factory;
    RegisterTableTests() { CppUnit::TestFactoryRegistry::getRegistry().registerFactory(&factory); }
} register_table_tests;

} // namespace
