#!/usr/bin/python3
# Traffic for the differential test of `conntrack` (tests/diff).
#
# Real packets make the conntrack entries the two binaries are compared on:
# a server side (TCP, UDP, UDP-Lite, a minimal FTP server, and raw responders
# for SCTP, DCCP, GRE and an unassigned protocol number) and a client side
# that runs one fixed set of flows, always from the same source ports, so
# that rebuilding a table gives the same tuples every time.
#
#   traffic.py serve ADDR4 ADDR6 [--ftp] [--raw] [--udp] [--tcp]
#   traffic.py client PLAN STATUS_FILE
#   traffic.py block-destroy-events STATUS_FILE
#
# The client writes "ready" to STATUS_FILE once its flows are done and then
# holds its open connections until it is killed.  On SIGUSR1 it sends the
# FTP commands that create expectations (PASV, PORT, EPSV, EPRT) on its open
# control connections and, once answered, writes "ftp-done MS" (MS: the
# millisecond of the second it was done; the test sends the signal at a
# chosen instant, so that every expectation times out in step).
#
# Only the Python standard library; run it with /usr/bin/python3.

import errno
import os
import select
import signal
import socket
import struct
import sys
import time

IPPROTO_UDPLITE = 136
IPPROTO_SCTP = 132
IPPROTO_DCCP = 33
IPPROTO_GRE = 47
IPPROTO_UNASSIGNED = 253  # "use for experimentation" (RFC 3692): no tracker


# ---------------------------------------------------------------------------
# Checksums

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


# ---------------------------------------------------------------------------
# SCTP: just enough of the four-way handshake for conntrack's state machine.

def sctp_packet(sport, dport, vtag, chunks):
    body = struct.pack("!HHII", sport, dport, vtag, 0) + chunks
    crc = crc32c(body)
    return body[:8] + struct.pack("<I", crc) + body[12:]


def sctp_chunk(ctype, value=b""):
    chunk = struct.pack("!BBH", ctype, 0, 4 + len(value)) + value
    return chunk + b"\0" * (-len(chunk) % 4)


def sctp_init(ctype, init_tag, extra=b""):
    # initiate tag, a_rwnd, outbound streams, inbound streams, initial TSN
    return sctp_chunk(ctype, struct.pack("!IIHHI", init_tag, 65536, 1, 1, init_tag) + extra)


def sctp_cookie_param(cookie):
    param = struct.pack("!HH", 7, 4 + len(cookie)) + cookie
    return param + b"\0" * (-len(param) % 4)


# ---------------------------------------------------------------------------
# Server side

def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen_tcp(addr, port):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family_of(addr) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def bind_dgram(addr, port, proto=0):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM, proto)
    if family_of(addr) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    return s


class Server:
    """One select loop for every service of a server namespace."""

    def __init__(self, addrs, services):
        self.readers = {}
        for addr in addrs:
            if "tcp" in services:
                for port in (80, 81):
                    self.readers[listen_tcp(addr, port)] = self.accept_echo
            if "ftp" in services:
                self.readers[listen_tcp(addr, 21)] = self.accept_ftp
            if "udp" in services:
                for port in (53, 54, 5000, 5001, 5002):
                    self.readers[bind_dgram(addr, port)] = self.echo_dgram
                self.readers[bind_dgram(addr, 5353, IPPROTO_UDPLITE)] = self.echo_dgram
            if "raw" in services:
                fam = family_of(addr)
                for proto in (IPPROTO_SCTP, IPPROTO_DCCP, IPPROTO_GRE, IPPROTO_UNASSIGNED):
                    s = socket.socket(fam, socket.SOCK_RAW, proto)
                    self.readers[s] = self.raw_responder
        self.sctp_peers = {}

    def run(self):
        while True:
            ready, _, _ = select.select(list(self.readers), [], [])
            for s in ready:
                handler = self.readers.get(s)
                if handler:
                    handler(s)

    def accept_echo(self, listener):
        conn, _ = listener.accept()
        self.readers[conn] = self.echo_stream

    def echo_stream(self, conn):
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        if data:
            conn.sendall(data)
        else:
            # The client closed first: close too, so the connection ends in
            # an orderly FIN exchange.
            del self.readers[conn]
            conn.close()

    def echo_dgram(self, s):
        data, peer = s.recvfrom(4096)
        s.sendto(data, peer)

    def accept_ftp(self, listener):
        conn, _ = listener.accept()
        conn.sendall(b"220 ctdt test FTP server ready\r\n")
        self.readers[conn] = self.ftp_command

    def ftp_command(self, conn):
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        if not data:
            del self.readers[conn]
            conn.close()
            return
        local = conn.getsockname()
        peer = conn.getpeername()
        # A data port derived from the client's port: the same flows give the
        # same expectations every time.
        data_port = 30000 + peer[1] % 1000
        for line in data.decode("ascii", "replace").splitlines():
            verb = line.split(" ", 1)[0].upper()
            if verb == "PASV":
                h = local[0].replace(".", ",")
                reply = "227 Entering Passive Mode (%s,%d,%d).\r\n" % (h, data_port >> 8, data_port & 0xFF)
            elif verb == "EPSV":
                reply = "229 Entering Extended Passive Mode (|||%d|)\r\n" % data_port
            elif verb in ("PORT", "EPRT"):
                reply = "200 %s command successful.\r\n" % verb
            elif verb == "USER":
                reply = "230 Logged in.\r\n"
            elif verb == "QUIT":
                reply = "221 Goodbye.\r\n"
            else:
                reply = "500 Unknown command.\r\n"
            conn.sendall(reply.encode())

    def raw_responder(self, s):
        data, peer = s.recvfrom(65535)
        if s.family == socket.AF_INET:
            data = data[(data[0] & 0x0F) * 4:]
        proto = s.proto
        if proto == IPPROTO_SCTP:
            reply = self.sctp_reply(peer[0], data)
        elif proto == IPPROTO_DCCP:
            # swap the ports, keep the rest
            reply = data[2:4] + data[0:2] + data[4:] if len(data) >= 4 else None
        else:
            reply = data
        if reply:
            s.sendto(reply, (peer[0], 0))

    def sctp_reply(self, peer, data):
        if len(data) < 16:
            return None
        sport, dport, vtag = struct.unpack("!HHI", data[:8])
        ctype = data[12]
        key = (peer, sport)
        if ctype == 1:  # INIT: answer INIT ACK with a state cookie
            peer_tag = struct.unpack("!I", data[16:20])[0]
            self.sctp_peers[key] = peer_tag
            my_tag = 0x5EC0 + sport
            return sctp_packet(dport, sport, peer_tag,
                               sctp_init(2, my_tag, sctp_cookie_param(b"ctdt-cookie")))
        if ctype == 10 and key in self.sctp_peers:  # COOKIE ECHO -> COOKIE ACK
            return sctp_packet(dport, sport, self.sctp_peers[key], sctp_chunk(11))
        return None


def serve(argv):
    addrs = argv[:2]
    services = {a.lstrip("-") for a in argv[2:]}
    # SIGTERM keeps its default action.
    Server(addrs, services).run()


# ---------------------------------------------------------------------------
# Client side

class Client:
    def __init__(self):
        self.held = []        # sockets kept open (ESTABLISHED entries)
        self.ftp = []         # (socket, command) sent on SIGUSR1

    @staticmethod
    def tcp_socket(src, sport):
        s = socket.socket(family_of(src), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Killing the client resets its connections instead of leaving
        # half-closed ones that would keep sending FINs.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.bind((src, sport))
        return s

    def tcp_open(self, src, sport, dst, dport):
        """An ESTABLISHED connection with one exchange, kept open."""
        s = self.tcp_socket(src, sport)
        s.settimeout(3)
        s.connect((dst, dport))
        s.sendall(b"hello\n")
        recv_exactly(s, 6)
        self.held.append(s)

    def tcp_closed(self, src, sport, dst, dport):
        """A complete connection: exchange, then an orderly close."""
        s = self.tcp_socket(src, sport)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
        s.settimeout(3)
        s.connect((dst, dport))
        s.sendall(b"bye\n")
        recv_exactly(s, 4)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        s.close()

    def tcp_syn_only(self, src, sport, dst, dport):
        """A SYN that gets no answer; the socket is closed before the kernel
        retransmits it, so the entry does not change afterwards."""
        s = self.tcp_socket(src, sport)
        s.setblocking(False)
        try:
            s.connect((dst, dport))
        except BlockingIOError:
            pass
        time.sleep(0.05)
        s.close()

    def ftp_open(self, src, sport, dst, dport, command):
        s = self.tcp_socket(src, sport)
        s.settimeout(3)
        s.connect((dst, dport))
        recv_line(s)  # banner
        # The kernel's FTP helper reads a command only when it starts right
        # after a line it has seen in the same direction: one line first.
        s.sendall(b"USER anonymous\r\n")
        recv_line(s)
        self.held.append(s)
        self.ftp.append((s, command))

    def send_ftp_commands(self):
        for s, command in self.ftp:
            s.sendall(command.encode() + b"\r\n")
        for s, _ in self.ftp:
            recv_line(s)

    @staticmethod
    def dgram(src, sport, dst, dport, proto=0, reply=True):
        s = socket.socket(family_of(src), socket.SOCK_DGRAM, proto)
        s.bind((src, sport))
        s.settimeout(3)
        s.sendto(b"ping", (dst, dport))
        if reply:
            s.recvfrom(4096)
        s.close()

    @staticmethod
    def raw(src, dst, proto, payload, reply=True):
        s = socket.socket(family_of(src), socket.SOCK_RAW, proto)
        s.bind((src, 0))
        s.settimeout(3)
        s.sendto(payload, (dst, 0))
        if reply:
            raw_recv_from(s, dst)
        s.close()

    @staticmethod
    def sctp_handshake(src, sport, dst, dport, complete=True):
        s = socket.socket(family_of(src), socket.SOCK_RAW, IPPROTO_SCTP)
        s.bind((src, 0))
        s.settimeout(3)
        my_tag = 0xC0DE0000 + sport
        s.sendto(sctp_packet(sport, dport, 0, sctp_init(1, my_tag)), (dst, 0))
        if complete:
            init_ack = raw_recv_from(s, dst)
            peer_tag = struct.unpack("!I", init_ack[16:20])[0]
            cookie = b"ctdt-cookie"
            s.sendto(sctp_packet(sport, dport, peer_tag, sctp_chunk(10, cookie)), (dst, 0))
            raw_recv_from(s, dst)  # COOKIE ACK
        s.close()

    @staticmethod
    def icmp_echo(src, dst, ident, reply=True):
        if family_of(src) == socket.AF_INET:
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"ctdt"
            body = body[:2] + struct.pack("!H", inet_checksum(body)) + body[4:]
        else:
            # The kernel fills in the ICMPv6 checksum of raw sockets.
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            body = struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"ctdt"
        s.bind((src, 0))
        s.settimeout(3)
        s.sendto(body, (dst, 0))
        if reply:
            want = 0 if family_of(src) == socket.AF_INET else 129
            while True:
                data = raw_recv_from(s, dst)
                if data[0] == want:
                    break
        s.close()


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise RuntimeError("connection closed early")
        data += chunk
    return data


def recv_line(s):
    # Acknowledge at once instead of after the delayed-ACK time: the packet
    # counters of a rebuilt table must not depend on when it is read.
    if s.type == socket.SOCK_STREAM:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def raw_recv_from(s, peer):
    """The next packet from PEER on a raw socket, without the IPv4 header."""
    while True:
        data, addr = s.recvfrom(65535)
        if addr[0] != peer:
            continue
        if s.family == socket.AF_INET:
            data = data[(data[0] & 0x0F) * 4:]
        return data


def gre_v1(call_id):
    # Enhanced GRE (PPTP, version 1): key present, protocol PPP.
    return struct.pack("!HHHH", 0x2001, 0x880B, 4, call_id) + b"ctdt"


def gre_v0():
    return struct.pack("!HH", 0x0000, 0x0800) + b"ctdt"


def dccp_request(sport, dport):
    # A DCCP-Request header; there is no DCCP tracker in the kernels this
    # runs on, so the entry is a generic one, but the bytes are plausible.
    return struct.pack("!HHBBHHHI", sport, dport, 4, 0, 0, 0, 0, 0) + b"ctdt"


# The corpus flows.  Addresses: client 198.51.100.2 / 2001:db8:1::2, router
# 198.51.100.1 (public side, DNAT) and 203.0.113.1 / 2001:db8:2::1 (bridge),
# server 203.0.113.2 / 2001:db8:2::2, server2 203.0.113.3 / 2001:db8:2::3.
C4, C6 = "198.51.100.2", "2001:db8:1::2"
R4, R6 = "198.51.100.1", "2001:db8:1::1"
S4, S6 = "203.0.113.2", "2001:db8:2::2"
T4, T6 = "203.0.113.3", "2001:db8:2::3"


def plan_corpus(c):
    # TCP, IPv4 and IPv6: kept open (mark + label from the router's rules),
    # closed in order (TIME_WAIT), DNAT to server2, masquerade, refused, and
    # a SYN nobody answers.
    c.tcp_open(C4, 40001, S4, 80)
    c.tcp_closed(C4, 40002, S4, 80)
    c.tcp_open(C4, 40003, R4, 8080)
    c.tcp_open(C4, 40004, S4, 81)
    c.tcp_syn_only(C4, 40006, T4, 83)
    c.tcp_open(C6, 40007, S6, 80)
    c.tcp_open(C6, 40008, R6, 8080)
    c.tcp_open(C6, 40009, S6, 81)
    c.tcp_closed(C6, 40010, S6, 80)
    # UDP: answered (label, connmark), source-NATed, unanswered, zones.
    c.dgram(C4, 41001, S4, 53)
    c.dgram(C4, 41002, S4, 54)
    c.dgram(C4, 41003, T4, 55, reply=False)
    c.dgram(C4, 41004, S4, 5000)
    c.dgram(C4, 41005, S4, 5001)
    c.dgram(C4, 41006, S4, 5002, reply=False)
    c.dgram(C6, 41007, S6, 53)
    c.dgram(C6, 41008, S6, 5000)
    c.dgram(C4, 41009, R4, 5353, reply=False)
    # UDP-Lite
    c.dgram(C4, 42001, S4, 5353, IPPROTO_UDPLITE)
    c.dgram(C6, 42002, S6, 5353, IPPROTO_UDPLITE)
    # SCTP: a complete handshake (ESTABLISHED) and a lone INIT.
    c.sctp_handshake(C4, 43001, S4, 9899)
    c.sctp_handshake(C4, 43002, T4, 9899, complete=False)
    c.sctp_handshake(C6, 43003, S6, 9899)
    # DCCP (generic tracking), GRE (version 1 with a key, version 0), an
    # unassigned protocol number.
    c.raw(C4, S4, IPPROTO_DCCP, dccp_request(44001, 5001))
    c.raw(C6, S6, IPPROTO_DCCP, dccp_request(44002, 5001))
    c.raw(C4, S4, IPPROTO_GRE, gre_v1(0x1234))
    c.raw(C4, S4, IPPROTO_GRE, gre_v0())
    c.raw(C6, S6, IPPROTO_GRE, gre_v0())
    c.raw(C4, S4, IPPROTO_UNASSIGNED, b"ctdt-unassigned")
    c.raw(C6, S6, IPPROTO_UNASSIGNED, b"ctdt-unassigned")
    c.raw(C4, T4, IPPROTO_UNASSIGNED, b"ctdt-unassigned", reply=False)
    # ICMP and ICMPv6 echo, answered and not.
    c.icmp_echo(C4, S4, 0x1234)
    c.icmp_echo(C4, T4, 0x1235, reply=False)
    c.icmp_echo(C6, S6, 0x1236)
    # FTP control connections through the router's ftp helper: plain,
    # DNATed (nf_nat_ftp rewrites the reply), masqueraded, and IPv6.
    c.ftp_open(C4, 45001, S4, 21, "PASV")
    c.ftp_open(C4, 45002, S4, 21, "PORT 198,51,100,2,176,1")
    c.ftp_open(C4, 45003, R4, 2121, "PASV")
    c.ftp_open(C6, 45004, S6, 21, "EPSV")
    c.ftp_open(C6, 45005, S6, 21, "EPRT |2|2001:db8:1::2|45006|")


def plan_nat(c):
    """The flows that the table-changing commands are tried on (a smaller
    set that rebuilds quickly): NAT both ways, both families, and FTP."""
    c.tcp_open(C4, 40003, R4, 8080)
    c.tcp_open(C4, 40004, S4, 81)
    c.tcp_open(C4, 40001, S4, 80)
    c.dgram(C4, 41002, S4, 54)
    c.dgram(C4, 41001, S4, 53)
    c.tcp_open(C6, 40008, R6, 8080)
    c.dgram(C6, 41007, S6, 53)
    c.icmp_echo(C4, S4, 0x1234)
    c.ftp_open(C4, 45001, S4, 21, "PASV")
    c.ftp_open(C4, 45003, R4, 2121, "PASV")


PLANS = {"corpus": plan_corpus, "nat": plan_nat}


def client(argv):
    plan, status_file = argv
    c = Client()
    # SIGUSR1 stays pending until the loop below waits for it, so a signal
    # sent while the flows still run is not lost.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    # SIGTERM keeps its default action: end at once, whatever it waits for.
    PLANS[plan](c)
    with open(status_file, "w") as f:
        f.write("ready\n")
    while True:
        signal.sigwait({signal.SIGUSR1})
        c.send_ftp_commands()
        with open(status_file, "a") as f:
            f.write("ftp-done %d\n" % (time.time() % 1 * 1000))


def block_destroy_events(argv):
    """A listener for DESTROY events that never reads, asks to be told when
    a delivery fails (NETLINK_BROADCAST_ERROR) and has the smallest receive
    buffer: once it is full, the kernel keeps deleted entries on the dying
    list to deliver their event again later, so `-L dying` has something to
    show.  Ends (and releases them) when killed."""
    (status_file,) = argv
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    s.setsockopt(270, 4, 1)  # SOL_NETLINK, NETLINK_BROADCAST_ERROR
    s.bind((0, 1 << 2))  # NFNLGRP_CONNTRACK_DESTROY
    # SIGTERM keeps its default action: end at once, whatever it waits for.
    with open(status_file, "w") as f:
        f.write("ready\n")
    while True:
        signal.pause()


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: traffic.py serve|client|block-destroy-events ...")
    command, argv = sys.argv[1], sys.argv[2:]
    if command == "serve":
        serve(argv)
    elif command == "client":
        client(argv)
    elif command == "block-destroy-events":
        block_destroy_events(argv)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
