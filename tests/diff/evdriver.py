#!/usr/bin/python3
# Event scenarios of the differential test: runs `conntrack -E ...`
# listeners while a fixed series of changes happens to the table, and
# records what each printed and how it ended.
#
#   evdriver.py SCENARIO OUTDIR SIDE...
#
# Each SIDE is a directory under OUTDIR whose file "argv" holds, as
# NUL-terminated words, the command-table line's name and kind (given to the
# listener as DIFF_LINE_NAME and DIFF_KIND), the binary and its arguments.  All listeners run at the same time
# and see the very same events: their outputs differ only if the binaries
# do.
#
# Run it as the first process of a new PID namespace with its own /proc
# (unshare --pid --fork --mount-proc), inside a fresh network namespace.
# Event lines name the process that caused them ("[USERSPACE] portid=N
# progname=NAME"), and a netlink port id is the process id as seen from its
# own PID namespace.  The driver, which makes every user-space change, is
# forked before the listeners, never forks, and stays alive until they have
# stopped, so they always find its name in /proc (the PID namespace's own).
#
# SCENARIO is "main" (timestamps off) or "main-ts" (timestamps on, and the
# changes start just after a wall-clock second begins and end within that
# second, so that every delta-time is 0).
#
# Each SIDE directory receives stdout, stderr and status (the exit status,
# "killed" if the listener had to be killed, then notes such as
# "not-subscribed" if a listener never joined an event group).

import ctypes
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

from ctnl import (CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, IPS_ASSURED, IPS_CONFIRMED,
                  TCP_CONNTRACK_ESTABLISHED, Ctnetlink, tuple_attrs)

NETLINK_NETFILTER = 12
PAUSE = 0.015  # between steps: every packet and event is settled before the next


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def step():
    time.sleep(PAUSE)


def recv_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def tcp_listen(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    return s


def tcp_connect(addr, sport, dport):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, sport))
    s.connect((addr, dport))
    return s


def tcp_exchange_and_close(addr, sport, dport):
    """Handshake, one byte each way, then an orderly close with a pause at
    each step, so that every state change happens in the same order."""
    listener = tcp_listen(addr, dport)
    client = tcp_connect(addr, sport, dport)
    server, _ = listener.accept()
    listener.close()
    step()
    client.sendall(b"x")
    server.recv(1)
    server.sendall(b"y")
    client.recv(1)
    step()
    client.shutdown(socket.SHUT_WR)
    step()
    server.recv(1)
    server.close()
    step()
    client.recv(1)
    client.close()
    step()


def udp_exchange(addr, sport, dport):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    server = socket.socket(family, socket.SOCK_DGRAM)
    server.bind((addr, dport))
    client = socket.socket(family, socket.SOCK_DGRAM)
    client.bind((addr, sport))
    client.sendto(b"ping", (addr, dport))
    data, peer = server.recvfrom(16)
    server.sendto(data, peer)
    client.recv(16)
    client.close()
    server.close()
    step()


def icmp_echo(addr, ident):
    if ":" in addr:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        body = struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"ctdt"
        want = 129
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"ctdt"
        body = body[:2] + struct.pack("!H", inet_checksum(body)) + body[4:]
        want = 0
    s.settimeout(3)
    s.sendto(body, (addr, 0))
    while True:
        data = s.recv(256)
        if ":" not in addr:
            data = data[(data[0] & 0x0F) * 4:]
        if data[0] == want:
            break
    s.close()
    step()


def ftp_passive(sport):
    """An FTP control connection on loopback whose PASV reply makes the
    kernel's FTP helper expect a data connection, which then arrives."""
    listener = tcp_listen("127.0.0.1", 21)
    data_listener = tcp_listen("127.0.0.1", 30000)
    client = tcp_connect("127.0.0.1", sport, 21)
    server, _ = listener.accept()
    listener.close()
    server.sendall(b"220 ready\r\n")
    recv_line(client)
    client.sendall(b"USER anonymous\r\n")
    recv_line(server)
    server.sendall(b"230 Logged in.\r\n")
    recv_line(client)
    step()
    client.sendall(b"PASV\r\n")
    recv_line(server)
    server.sendall(b"227 Entering Passive Mode (127,0,0,1,117,48).\r\n")
    recv_line(client)
    step()
    data_client = tcp_connect("127.0.0.1", sport + 1, 30000)
    data_server, _ = data_listener.accept()
    data_listener.close()
    step()
    for s in (data_client, data_server, client, server):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    step()


def v4(src, dst, proto, sport=0, dport=0, icmp=None):
    return (tuple_attrs(CTA_TUPLE_ORIG, src, dst, proto, sport, dport, icmp),
            tuple_attrs(CTA_TUPLE_REPLY, dst, src, proto, dport, sport,
                        (icmp[0] ^ 8, icmp[1], icmp[2]) if icmp else None))


def scenario_main(nl):
    """User-space changes (create, update, delete) around kernel-made
    entries (TCP, UDP, ICMP, ICMPv6 and FTP with an expectation on
    loopback), then every entry deleted one by one in a fixed order."""
    tcp4 = v4("192.0.2.1", "192.0.2.2", socket.IPPROTO_TCP, 1001, 80)
    nl.create(socket.AF_INET, *tcp4, timeout=100, mark=0x10, status=IPS_ASSURED | IPS_CONFIRMED,
              tcp_state=TCP_CONNTRACK_ESTABLISHED)
    step()
    nl.update(socket.AF_INET, tcp4[0], mark=0x20)
    step()
    udp6 = (tuple_attrs(CTA_TUPLE_ORIG, "2001:db8::1", "2001:db8::2", socket.IPPROTO_UDP, 2001, 53),
            tuple_attrs(CTA_TUPLE_REPLY, "2001:db8::2", "2001:db8::1", socket.IPPROTO_UDP, 53, 2001))
    nl.create(socket.AF_INET6, *udp6, timeout=200)
    step()
    tcp_exchange_and_close("127.0.0.1", 38000, 8000)
    tcp_exchange_and_close("::1", 38000, 8000)
    udp_exchange("127.0.0.1", 38001, 8001)
    udp_exchange("::1", 38001, 8001)
    icmp_echo("127.0.0.1", 0x4242)
    icmp_echo("::1", 0x4243)
    ftp_passive(38010)
    nl.delete(socket.AF_INET, tcp4[0])
    step()
    # Everything else, in a fixed order (a flush would go in hash order,
    # which depends on the namespace).
    deletions = [
        (socket.AF_INET6, udp6[0]),
        (socket.AF_INET, tuple_attrs(CTA_TUPLE_ORIG, "127.0.0.1", "127.0.0.1", socket.IPPROTO_TCP, 38000, 8000)),
        (socket.AF_INET6, tuple_attrs(CTA_TUPLE_ORIG, "::1", "::1", socket.IPPROTO_TCP, 38000, 8000)),
        (socket.AF_INET, tuple_attrs(CTA_TUPLE_ORIG, "127.0.0.1", "127.0.0.1", socket.IPPROTO_UDP, 38001, 8001)),
        (socket.AF_INET6, tuple_attrs(CTA_TUPLE_ORIG, "::1", "::1", socket.IPPROTO_UDP, 38001, 8001)),
        (socket.AF_INET, tuple_attrs(CTA_TUPLE_ORIG, "127.0.0.1", "127.0.0.1", socket.IPPROTO_ICMP,
                                     icmp=(8, 0, 0x4242))),
        (socket.AF_INET6, tuple_attrs(CTA_TUPLE_ORIG, "::1", "::1", socket.IPPROTO_ICMPV6,
                                      icmp=(128, 0, 0x4243))),
        (socket.AF_INET, tuple_attrs(CTA_TUPLE_ORIG, "127.0.0.1", "127.0.0.1", socket.IPPROTO_TCP, 38011, 30000)),
        (socket.AF_INET, tuple_attrs(CTA_TUPLE_ORIG, "127.0.0.1", "127.0.0.1", socket.IPPROTO_TCP, 38010, 21)),
    ]
    for family, orig in deletions:
        try:
            nl.delete(family, orig)
        except FileNotFoundError:
            pass  # already gone the same way in every run
        step()


SCENARIOS = {"main": scenario_main, "main-ts": scenario_main}


def set_process_name(name):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME


def driver(scenario, go_r, done_w, exit_r):
    set_process_name("ctdt-driver")
    nl = Ctnetlink()
    if os.read(go_r, 1) == b"g":
        try:
            SCENARIOS[scenario](nl)
        except Exception as error:  # reported, and the test fails on it
            sys.stderr.write("evdriver: scenario failed: %r\n" % error)
            os.write(done_w, b"e")
            os.read(exit_r, 1)
            return
    os.write(done_w, b"d")
    os.read(exit_r, 1)


def event_subscribers():
    """Netfilter netlink sockets of this namespace bound to some group."""
    count = 0
    with open("/proc/net/netlink") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[1]) == NETLINK_NETFILTER and int(fields[3], 16) != 0:
                count += 1
    return count


def wait_readable(fd, seconds):
    readable, _, _ = select.select([fd], [], [], seconds)
    return bool(readable)


def read_argv(path):
    with open(path, "rb") as f:
        return [os.fsdecode(word) for word in f.read().split(b"\0")[:-1]]


def main():
    scenario, outdir, sides = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open("/proc/sys/net/netfilter/nf_conntrack_timestamp", "w") as f:
        f.write("1" if scenario.endswith("-ts") else "0")
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    exit_r, exit_w = os.pipe()
    driver_pid = os.fork()
    if driver_pid == 0:
        try:
            driver(scenario, go_r, done_w, exit_r)
        finally:
            os._exit(0)
    notes = []
    listeners = []
    for side in sides:
        name, kind, binary, *args = read_argv(os.path.join(outdir, side, "argv"))
        env = dict(os.environ, DIFF_LINE_NAME=name, DIFF_KIND=kind)
        with open(os.path.join(outdir, side, "stdout"), "wb") as out, \
             open(os.path.join(outdir, side, "stderr"), "wb") as err:
            # argv[0] "conntrack", as when run from PATH
            listeners.append(subprocess.Popen(["conntrack"] + args, executable=binary, env=env,
                                              stdout=out, stderr=err, stdin=subprocess.DEVNULL))

    def running():
        return [p for p in listeners if p.poll() is None]

    deadline = time.monotonic() + 20
    while running() and event_subscribers() < len(running()) and time.monotonic() < deadline:
        time.sleep(0.01)
    if running():
        if event_subscribers() < len(running()):
            notes.append("not-subscribed")
        if scenario.endswith("-ts"):
            # Start just after a second begins: the scenario lasts well
            # under a second, so every delta-time is 0.
            now = time.time()
            time.sleep(1.02 - (now - int(now)))
        os.write(go_w, b"g")
        if not wait_readable(done_r, 10):
            notes.append("scenario-timeout")
        elif os.read(done_r, 1) != b"d":
            notes.append("scenario-failed")
        time.sleep(0.5)  # let the listeners print the last events
        for p in running():
            p.send_signal(signal.SIGINT)
    for side, p in zip(sides, listeners):
        try:
            status = str(p.wait(timeout=5))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            status = "killed"
        with open(os.path.join(outdir, side, "status"), "w") as f:
            f.write("\n".join([status] + notes) + "\n")
    os.write(go_w, b"x")
    os.write(exit_w, b"x")
    os.waitpid(driver_pid, 0)


if __name__ == "__main__":
    main()
