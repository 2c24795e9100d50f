#!/usr/bin/env python3
"""Real traffic for the stats tests: a server and a client that exchange a
few TCP connections, UDP datagrams and ICMP echoes (ping is done by the
shell).  Usage: traffic.py serve ADDR | traffic.py client ADDR COUNT"""
import socket
import sys
import threading
import time


def serve(addr):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, 8080))
    tcp.listen(16)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, 5353))

    def udp_echo():
        while True:
            data, peer = udp.recvfrom(2048)
            udp.sendto(data, peer)

    threading.Thread(target=udp_echo, daemon=True).start()
    while True:
        conn, _ = tcp.accept()
        data = conn.recv(4096)
        conn.sendall(data * 2)
        conn.close()


def client(addr, count):
    for i in range(count):
        s = socket.create_connection((addr, 8080), timeout=5)
        s.sendall(b"x" * (100 + i))
        s.recv(65536)
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("", 20000 + i))
        u.settimeout(5)
        u.sendto(b"y" * (10 + i), (addr, 5353))
        u.recvfrom(2048)
        u.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        client(sys.argv[2], int(sys.argv[3]))
