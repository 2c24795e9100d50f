#!/usr/bin/python3
# A `conntrack` that is wrong on purpose, for the differential test's own
# test (selftest.sh): it runs the reference and then changes one thing,
# chosen from the name of the command-table line it runs for
# (DIFF_LINE_NAME, exported by the harness):
#
#   none    nothing (the line must pass)
#   stdout  one character of stdout (the last letter, its case swapped, or
#           the last digit if there is no letter)
#   stderr  the same on stderr
#   status  the exit status (0 becomes 1, anything else n+1)
#   table   for a table-changing line (DIFF_KIND rw:...): one more entry in
#           the table after the command
#
#   mutant.py --mode NAME KIND   prints the mode of a line
#   mutant.py ARGS...            behaves as described (REFERENCE_CONNTRACK)
#
# Signals (SIGINT ending an event listener) are passed on to the reference.

import os
import signal
import subprocess
import sys
import zlib

MODES = ["none", "stdout", "stderr", "status"]
TABLE_MODES = MODES + ["table"]


def mode_of(name, kind):
    modes = TABLE_MODES if kind.startswith("rw:") else MODES
    return modes[zlib.crc32(name.encode()) % len(modes)]


def alter(data):
    """Swap the case of the last letter, or else bump the last digit."""
    if not data:
        return data
    buf = bytearray(data)
    for i in range(len(buf) - 1, -1, -1):
        if chr(buf[i]).isascii() and chr(buf[i]).isalpha():
            buf[i] ^= 0x20
            return bytes(buf)
    for i in range(len(buf) - 1, -1, -1):
        if chr(buf[i]).isdigit():
            buf[i] = ord("0") + (buf[i] - ord("0") + 1) % 10
            return bytes(buf)
    buf[-1] ^= 0x01
    return bytes(buf)


def main():
    if sys.argv[1:2] == ["--mode"]:
        print(mode_of(sys.argv[2], sys.argv[3]))
        return
    reference = os.environ.get("REFERENCE_CONNTRACK", "/usr/sbin/conntrack")
    mode = mode_of(os.environ.get("DIFF_LINE_NAME", ""), os.environ.get("DIFF_KIND", ""))
    # The harness runs every binary as "conntrack" (argv[0]); so does this.
    child = subprocess.Popen(["conntrack"] + sys.argv[1:], executable=reference,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _: child.send_signal(number))
    out, err = child.communicate()
    status = child.returncode
    if mode == "stdout":
        out = alter(out)
    elif mode == "stderr":
        err = alter(err)
    elif mode == "status":
        status = 1 if status == 0 else status + 1
    elif mode == "table":
        subprocess.run([reference, "-I", "-p", "udp", "-s", "192.0.2.254", "-d", "192.0.2.253",
                        "--sport", "9", "--dport", "9", "-t", "50"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
