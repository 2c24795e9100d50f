#!/usr/bin/python3
# Just enough ctnetlink for the differential test (tests/diff), in the
# Python standard library: create, update, delete and dump entries.
#
#   ctnl.py arm-corpus   (inside the router's namespace)
#   ctnl.py fill COUNT [FIRST]   (the benchmark's table)
#
# arm-corpus re-arms the timeout of every entry, zones included (which
# `conntrack -U` cannot reach), then makes four entries and deletes them:
# with a blocked DESTROY listener in place, three of them stay on the dying
# list.  It runs at a chosen instant, so that every timer of the table
# ticks at the same moment of each second afterwards.

import os
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
NFNL_SUBSYS_CTNETLINK_EXP = 2
IPCTNL_MSG_CT_NEW = 0
IPCTNL_MSG_CT_DELETE = 2
IPCTNL_MSG_EXP_DELETE = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000

CTA_TUPLE_ORIG = 1
CTA_TUPLE_REPLY = 2
CTA_STATUS = 3
CTA_PROTOINFO = 4
CTA_TIMEOUT = 7
CTA_MARK = 8
CTA_TUPLE_IP = 1
CTA_TUPLE_PROTO = 2
CTA_IP_V4_SRC, CTA_IP_V4_DST, CTA_IP_V6_SRC, CTA_IP_V6_DST = 1, 2, 3, 4
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE = 4, 5, 6
CTA_PROTO_ICMPV6_ID, CTA_PROTO_ICMPV6_TYPE, CTA_PROTO_ICMPV6_CODE = 7, 8, 9
CTA_PROTOINFO_TCP = 1
CTA_PROTOINFO_TCP_STATE = 1
TCP_CONNTRACK_ESTABLISHED = 3
IPS_ASSURED = 0x4
IPS_SEEN_REPLY = 0x2
IPS_CONFIRMED = 0x8  # the kernel refuses a status without it on create


def nla(attr_type, payload):
    data = struct.pack("=HH", 4 + len(payload), attr_type) + payload
    return data + b"\0" * (-len(data) % 4)


def nest(attr_type, *attrs):
    return nla(attr_type | NLA_F_NESTED, b"".join(attrs))


def ip_attrs(src, dst):
    if ":" in src:
        return nest(CTA_TUPLE_IP, nla(CTA_IP_V6_SRC, socket.inet_pton(socket.AF_INET6, src)),
                    nla(CTA_IP_V6_DST, socket.inet_pton(socket.AF_INET6, dst)))
    return nest(CTA_TUPLE_IP, nla(CTA_IP_V4_SRC, socket.inet_aton(src)),
                nla(CTA_IP_V4_DST, socket.inet_aton(dst)))


def tuple_attrs(kind, src, dst, proto, sport=0, dport=0, icmp=None):
    """icmp = (type, code, id) for ICMP/ICMPv6 tuples."""
    l4 = [nla(CTA_PROTO_NUM, struct.pack("B", proto))]
    if icmp:
        v6 = proto == socket.IPPROTO_ICMPV6
        icmp_type, icmp_code, icmp_id = icmp
        l4 += [nla(CTA_PROTO_ICMPV6_ID if v6 else CTA_PROTO_ICMP_ID, struct.pack("!H", icmp_id)),
               nla(CTA_PROTO_ICMPV6_TYPE if v6 else CTA_PROTO_ICMP_TYPE, struct.pack("B", icmp_type)),
               nla(CTA_PROTO_ICMPV6_CODE if v6 else CTA_PROTO_ICMP_CODE, struct.pack("B", icmp_code))]
    elif proto in (socket.IPPROTO_TCP, socket.IPPROTO_UDP):
        l4 += [nla(CTA_PROTO_SRC_PORT, struct.pack("!H", sport)),
               nla(CTA_PROTO_DST_PORT, struct.pack("!H", dport))]
    return nest(kind, ip_attrs(src, dst), nest(CTA_TUPLE_PROTO, *l4))


class Ctnetlink:
    """Create, update, delete and dump entries over one netlink socket."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, subsys, msg, flags, family, attrs=b""):
        self.seq += 1
        payload = struct.pack("=BBH", family, 0, 0) + attrs
        header = struct.pack("=IHHII", 16 + len(payload), (subsys << 8) | msg,
                             NLM_F_REQUEST | NLM_F_ACK | flags, self.seq, 0)
        self.sock.send(header + payload)
        while True:
            reply = self.sock.recv(65536)
            length, msg_type = struct.unpack("=IH", reply[:6])
            if msg_type == NLMSG_ERROR:
                error = struct.unpack("=i", reply[16:20])[0]
                if error:
                    raise OSError(-error, os.strerror(-error))
                return

    def create(self, family, orig, reply, timeout, mark=None, status=None, tcp_state=None):
        attrs = orig + reply + nla(CTA_TIMEOUT, struct.pack("!I", timeout))
        if mark is not None:
            attrs += nla(CTA_MARK, struct.pack("!I", mark))
        if status is not None:
            attrs += nla(CTA_STATUS, struct.pack("!I", status))
        if tcp_state is not None:
            attrs += nest(CTA_PROTOINFO, nest(CTA_PROTOINFO_TCP,
                                              nla(CTA_PROTOINFO_TCP_STATE, struct.pack("B", tcp_state))))
        self.request(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, family, attrs)

    def update(self, family, orig, mark=None, timeout=None):
        attrs = orig
        if mark is not None:
            attrs += nla(CTA_MARK, struct.pack("!I", mark))
        if timeout is not None:
            attrs += nla(CTA_TIMEOUT, struct.pack("!I", timeout))
        self.request(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, family, attrs)

    def delete(self, family, orig):
        self.request(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE, 0, family, orig)

    def flush(self):
        self.request(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE, 0, socket.AF_UNSPEC)
        self.request(NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_DELETE, 0, socket.AF_UNSPEC)



CTA_ZONE = 18
NLM_F_DUMP = 0x300
NLMSG_DONE = 3
IPCTNL_MSG_CT_GET = 1


def attributes(data):
    """(type without flags, payload, raw attribute padded to 4 bytes) of
    each attribute."""
    offset = 0
    while offset + 4 <= len(data):
        length, attr_type = struct.unpack_from("=HH", data, offset)
        if length < 4:
            break
        raw = data[offset:offset + length]
        yield attr_type & 0x3FFF, data[offset + 4:offset + length], raw + b"\0" * (-len(raw) % 4)
        offset += (length + 3) & ~3


def dump(nl):
    """(family, raw CTA_TUPLE_ORIG, raw CTA_ZONE or b"", l4 protocol) of
    every entry of the table."""
    nl.seq += 1
    payload = struct.pack("=BBH", socket.AF_UNSPEC, 0, 0)
    header = struct.pack("=IHHII", 16 + len(payload), (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
                         NLM_F_REQUEST | NLM_F_DUMP, nl.seq, 0)
    nl.sock.send(header + payload)
    entries = []
    while True:
        data = nl.sock.recv(1 << 20)
        offset = 0
        while offset < len(data):
            length, msg_type = struct.unpack_from("=IH", data, offset)
            if msg_type == NLMSG_DONE:
                return entries
            if msg_type == NLMSG_ERROR:
                raise OSError("dump failed")
            family = data[offset + 16]
            orig = zone = b""
            proto = 0
            for attr_type, value, raw in attributes(data[offset + 20:offset + length]):
                if attr_type == CTA_TUPLE_ORIG:
                    orig = raw
                    for t, v, _ in attributes(value):
                        if t == CTA_TUPLE_PROTO:
                            for pt, pv, _ in attributes(v):
                                if pt == CTA_PROTO_NUM:
                                    proto = pv[0]
                elif attr_type == CTA_ZONE:
                    zone = raw
            entries.append((family, orig, zone, proto))
            offset += (length + 3) & ~3


# Timeouts the corpus is re-armed with, by family and protocol.
ARM_TIMEOUTS = {
    (socket.AF_INET, socket.IPPROTO_TCP): 3600,
    (socket.AF_INET, socket.IPPROTO_UDP): 1800,
    (socket.AF_INET6, socket.IPPROTO_TCP): 3500,
}
ARM_DEFAULT = {socket.AF_INET: 900, socket.AF_INET6: 800}


def arm_corpus():
    nl = Ctnetlink()
    for family, orig, zone, proto in dump(nl):
        timeout = ARM_TIMEOUTS.get((family, proto), ARM_DEFAULT.get(family, 700))
        nl.request(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW, 0, family,
                   orig + zone + nla(CTA_TIMEOUT, struct.pack("!I", timeout)))
    doomed = [
        (socket.IPPROTO_TCP, "192.0.2.201", 5001, 80, 700),
        (socket.IPPROTO_UDP, "192.0.2.202", 5002, 53, 600),
        (socket.IPPROTO_TCP, "192.0.2.203", 5003, 443, 500),
        (socket.IPPROTO_UDP, "192.0.2.204", 5004, 123, 400),
    ]
    for proto, src, sport, dport, timeout in doomed:
        orig, reply = (tuple_attrs(CTA_TUPLE_ORIG, src, "192.0.2.250", proto, sport, dport),
                       tuple_attrs(CTA_TUPLE_REPLY, "192.0.2.250", src, proto, dport, sport))
        state = TCP_CONNTRACK_ESTABLISHED if proto == socket.IPPROTO_TCP else None
        nl.create(socket.AF_INET, orig, reply, timeout, tcp_state=state)
    for proto, src, sport, dport, _ in doomed:
        nl.delete(socket.AF_INET, tuple_attrs(CTA_TUPLE_ORIG, src, "192.0.2.250", proto, sport, dport))


# The benchmark's table (bench/conntrack-bench.sh): ESTABLISHED TCP
# entries from 198.18.0.1 to 198.19.0.1 (the benchmarking prefix), entry i
# with source port 1024 + i % 50000 and destination port 80 + i // 50000.
BENCH_SRC, BENCH_DST = "198.18.0.1", "198.19.0.1"


def bench_tuple(i):
    return 1024 + i % 50000, 80 + i // 50000


def fill(count, first=0):
    """Creates the entries first..first+count-1, many messages per send
    and no acknowledgement each (the table is checked by counting)."""
    nl = Ctnetlink()
    nl.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
    batch = []
    flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL
    protoinfo = nest(CTA_PROTOINFO, nest(CTA_PROTOINFO_TCP, nla(CTA_PROTOINFO_TCP_STATE,
                                                               struct.pack("B", TCP_CONNTRACK_ESTABLISHED))))
    timeout = nla(CTA_TIMEOUT, struct.pack("!I", 3600))
    for i in range(first, first + count):
        sport, dport = bench_tuple(i)
        attrs = (tuple_attrs(CTA_TUPLE_ORIG, BENCH_SRC, BENCH_DST, socket.IPPROTO_TCP, sport, dport) +
                 tuple_attrs(CTA_TUPLE_REPLY, BENCH_DST, BENCH_SRC, socket.IPPROTO_TCP, dport, sport) +
                 timeout + protoinfo)
        payload = struct.pack("=BBH", socket.AF_INET, 0, 0) + attrs
        batch.append(struct.pack("=IHHII", 16 + len(payload), (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW,
                                 flags, i, 0) + payload)
        if len(batch) == 256:
            nl.sock.send(b"".join(batch))
            batch = []
    if batch:
        nl.sock.send(b"".join(batch))


def main():
    if sys.argv[1:] == ["arm-corpus"]:
        arm_corpus()
    elif sys.argv[1:2] == ["fill"] and len(sys.argv) in (3, 4):
        fill(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 0)
    else:
        sys.exit("usage: ctnl.py arm-corpus | fill COUNT [FIRST]")


if __name__ == "__main__":
    main()
