# Servers in namespace B for traffic.py: TCP echo (v4, v6), an FTP-like
# banner on port 21, UDP and UDP-Lite echo.
import socket, threading, sys
def tcp_server(fam, addr, port, banner=None):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port)); s.listen(16)
    def serve(c):
        try:
            if banner: c.sendall(banner)
            while True:
                d = c.recv(100)
                if not d: break
                c.sendall(b"200 ok\r\n" if banner else d)
        except Exception: pass
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
def udp_server(fam, addr, port, proto=0):
    s = socket.socket(fam, socket.SOCK_DGRAM, proto)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    while True:
        d, a = s.recvfrom(100); s.sendto(d, a)
ts = [(tcp_server, (socket.AF_INET, "0.0.0.0", 7000)), (tcp_server, (socket.AF_INET6, "::", 7000)),
      (tcp_server, (socket.AF_INET, "0.0.0.0", 21, b"220 hi\r\n")),
      (udp_server, (socket.AF_INET, "0.0.0.0", 7001)), (udp_server, (socket.AF_INET6, "::", 7001)),
      (udp_server, (socket.AF_INET, "0.0.0.0", 7002, 136)), (udp_server, (socket.AF_INET, "0.0.0.0", 7100))]
for f, a in ts: threading.Thread(target=f, args=a, daemon=True).start()
print("ready"); sys.stdout.flush()
threading.Event().wait()
