#!/usr/bin/python3
# Replaces, in the output of a table-changing command or of an event
# listener, only what differs from one rebuild of the table to the next
# (see conntrack-diff.sh): conntrack ids, kernel start/stop times, and for
# events the time the event was read.  Each value is replaced only where it
# has exactly the reference's form, so a binary that prints it differently
# still shows up in the diff.
#
#   normalize.py table|events DIR...
#
# rewrites DIR/stdout, DIR/stderr and DIR/table in place (those present).
#
#   normalize.py fix NAME[,NAME...] DIR...
#
# rewrites the reference's outputs in DIR as 1.4.9 prints them, for the
# lines where ours follows a 1.4.9 fix of an output (docs/compatibility.md)
# and no reference arguments give the same output ("%%fix" in
# commands.txt).  Each fix changes exactly what 1.4.9 changed, nothing else:
#
#   help-1.4.9     the usage text: the typo "Source addres from" fixed, and
#                  the --labelmap option (new in 1.4.9) listed after
#                  --mask-dst, worded as HELP_LABELMAP below
#   xml-userspace  no " [USERSPACE] portid=N progname=NAME" tag after an
#                  XML event line
#
# Ids become ID1, ID2, ... in order of first appearance, so the same entry
# keeps the same name across the lines of one output.

import os
import re
import sys

CTIME = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}"
KTIMESTAMP = re.compile(r"\[(start|stop)=" + CTIME + r"\]")
XML_TIMESTAMP = re.compile(r"<timestamp>(<start>\d+</start>)?(<stop>\d+</stop>)?</timestamp>")
# The conntrack id of the text format; an ICMP id follows "code=N ".
TEXT_ID = re.compile(r"(code=\d+ )?\bid=(\d+)")
XML_INDEPENDENT = re.compile(r'<meta direction="independent">.*?</meta>')
XML_ID = re.compile(r"<id>(\d+)</id>")
# -o timestamp: "[%-.8ld.%-.6ld]\t" for flows, "[%-8ld.%-6ld]\t" for
# expectations (space padded).
EVENT_TIME = re.compile(r"^\[\d{8,}\.\d{6}\]\t")
EVENT_TIME_PADDED = re.compile(r"^\[\d{8,}\.(\d{1,5}) +\]\t")
XML_WHEN = re.compile(r"<when><hour>\d+</hour><min>\d+</min><sec>\d+</sec><wday>\d+</wday>"
                      r"<day>\d+</day><month>\d+</month><year>\d+</year></when>")


# The help line of --labelmap, as ours words it (1.4.9 added the option).
HELP_LABELMAP = "  --labelmap path\t\tLabel map file (1.4.9)\n"
HELP_MASK_DST = "  --mask-dst ip\t\t\tDestination mask address\n"
XML_USERSPACE = re.compile(r"^(<flow .*</flow>) \[USERSPACE\] portid=\d+( progname=\S*)?$")


def fix_help(line):
    line = line.replace("Source addres from", "Source address from")
    if line == HELP_MASK_DST:
        line += HELP_LABELMAP
    return line


def fix_xml_userspace(line):
    body = line.rstrip("\n")
    m = XML_USERSPACE.match(body)
    return m.group(1) + line[len(body):] if m else line


FIXES = {"help-1.4.9": fix_help, "xml-userspace": fix_xml_userspace}


def rewrite(directory, change):
    for name in ("stdout", "stderr", "table"):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "surrogateescape")
        out = "".join(change(line) for line in data.splitlines(keepends=True))
        with open(path, "wb") as f:
            f.write(out.encode("utf-8", "surrogateescape"))


class Ids:
    def __init__(self):
        self.names = {}

    def name(self, value):
        if value not in self.names:
            self.names[value] = "ID%d" % (len(self.names) + 1)
        return self.names[value]


def normalize_line(line, ids, events):
    line = KTIMESTAMP.sub(lambda m: "[%s=TIME]" % m.group(1), line)

    def xml_timestamp(m):
        start = "<start>TIME</start>" if m.group(1) else ""
        stop = "<stop>TIME</stop>" if m.group(2) else ""
        return "<timestamp>%s%s</timestamp>" % (start, stop)

    line = XML_TIMESTAMP.sub(xml_timestamp, line)
    line = TEXT_ID.sub(lambda m: m.group(0) if m.group(1) else "id=" + ids.name(m.group(2)), line)
    line = XML_INDEPENDENT.sub(
        lambda m: XML_ID.sub(lambda i: "<id>%s</id>" % ids.name(i.group(1)), m.group(0)), line)
    if events:
        line = EVENT_TIME.sub("[TIME]\t", line)
        padded = EVENT_TIME_PADDED.match(line)
        if padded and len(padded.group(0)) - len(padded.group(0).split(".")[0]) == 9:
            line = "[TIME-PADDED]\t" + line[padded.end():]
        line = XML_WHEN.sub("<when>TIME</when>", line)
    return line


def main():
    if sys.argv[1] == "fix":
        fixes = [FIXES[name] for name in sys.argv[2].split(",")]  # KeyError: a typo in the table

        def change(line):
            for fix in fixes:
                line = fix(line)
            return line

        for directory in sys.argv[3:]:
            rewrite(directory, change)
        return
    events = sys.argv[1] == "events"
    for directory in sys.argv[2:]:
        ids = Ids()
        rewrite(directory, lambda line: normalize_line(line, ids, events))


if __name__ == "__main__":
    main()
