# Test traffic from namespace A to B (see kernel-setup.sh): one flow of
# every kind the conntrack table can hold.  Keeps its sockets open for
# argv[1] seconds so that connections stay established.
import socket, struct, sys, time, os
B4 = "10.99.0.2"; B6 = "fd00:99::2"
def tcp(addr, port, fam=socket.AF_INET, keep=False):
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(2)
    s.connect((addr, port)); s.sendall(b"hello\n"); s.recv(100)
    if not keep: s.close()
    return s
def udp(addr, port, proto=0, fam=socket.AF_INET, src=None):
    s = socket.socket(fam, socket.SOCK_DGRAM, proto); s.settimeout(1)
    if src: s.bind(src)
    s.sendto(b"ping", (addr, port))
    try: s.recvfrom(100)
    except Exception: pass
    s.close()
def raw(addr, proto, payload, fam=socket.AF_INET):
    s = socket.socket(fam, socket.SOCK_RAW, proto); s.sendto(payload, (addr, 0)); s.close()
def csum(data):
    if len(data) % 2: data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data)//2), data)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return (~t) & 0xffff
kept = []
kept.append(tcp(B4, 7000, keep=True))
tcp(B4, 7000)
tcp(B6, 7000, socket.AF_INET6)
udp(B4, 7001)
udp(B6, 7001, fam=socket.AF_INET6)
udp(B4, 7002, proto=136)
udp(B4, 7100)
tcp("10.99.0.99", 7200)
# ICMP echo
icmp = struct.pack("!BBHHH", 8, 0, 0, 77, 1) + b"abcd"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
raw(B4, socket.IPPROTO_ICMP, icmp)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s6.sendto(struct.pack("!BBHHH", 128, 0, 0, 78, 1) + b"abcd", (B6, 0)); s6.close()
# SCTP INIT: common header + INIT chunk
init = struct.pack("!BBH", 1, 0, 20) + struct.pack("!IIHHI", 0x11223344, 65535, 1, 1, 1000)
sctp = struct.pack("!HHII", 5000, 7003, 0, 0) + init
raw(B4, 132, sctp)
# GRE version 1 (PPTP) with key
gre = struct.pack("!HHHH", 0x2001, 0x880b, 0, 0x1234)
raw(B4, 47, gre)
raw(B4, 253, b"unknown-protocol")
# FTP PORT command through the helper
f = socket.socket(); f.settimeout(2); f.connect((B4, 21)); f.recv(100)
f.sendall(b"USER test\r\n"); f.recv(100)
f.sendall(b"PORT 10,99,0,1,31,64\r\n"); f.recv(100)
kept.append(f)
print("traffic done"); sys.stdout.flush()
if len(sys.argv) > 1: time.sleep(float(sys.argv[1]))
