#!/usr/bin/env python3
"""A long-lived TCP flow for the fail-over test bed and the demo.

    flow.py server --bind ADDR --port PORT
    flow.py client --connect ADDR --port PORT --log FILE [--interval 0.05]
                   [--stall-timeout 10] [--duration SECONDS]

The server echoes every line it receives.  The client sends one numbered,
timestamped line every INTERVAL seconds, waits for its echo and appends one
line per exchange to FILE, so that a test (or a person) can see exactly when
the traffic stopped and when it came back:

    reply seq=17 t=1718000000.123456 rtt_ms=0.21
    pause gap_ms=2650.3 from=1718000001.000000 to=1718000003.650300
    summary result=ok exchanges=120 max_gap_ms=2650.3 max_gap_end=... \
        last_reply=...

Timestamps are wall-clock (time.time()) so they can be lined up with the
daemons' and keepalived's logs; gaps are measured on the monotonic clock.

The client stops cleanly on SIGTERM, SIGINT or SIGUSR1, or after DURATION.
It ends with result
  ok        stopped on request, every echo arrived intact
  reset     the connection was reset (ECONNRESET, EPIPE)
  closed    the server closed the connection
  stalled   no echo for STALL_TIMEOUT seconds
  corrupt   an echo did not match what was sent
  connect-failed
and exits 0 only for ok.
"""

import argparse
import errno
import signal
import socket
import sys
import threading
import time

# A gap between two echoes longer than this many intervals is reported as a
# pause (the normal gap is one interval plus a round trip).
PAUSE_FACTOR = 4


def serve(args):
    listener = socket.socket(socket.AF_INET6 if ":" in args.bind else socket.AF_INET,
                             socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(8)
    print("listening on %s port %d" % (args.bind, args.port), flush=True)

    def echo(conn, peer):
        print("%.6f accepted %s:%d" % (time.time(), peer[0], peer[1]), flush=True)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    print("%.6f closed by %s:%d" % (time.time(), peer[0], peer[1]), flush=True)
                    return
                conn.sendall(data)
        except OSError as error:
            print("%.6f error from %s:%d: %s" % (time.time(), peer[0], peer[1], error),
                  flush=True)
        finally:
            conn.close()

    while True:
        conn, peer = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=echo, args=(conn, peer), daemon=True).start()


class Client:
    def __init__(self, args):
        self.args = args
        self.stop_requested = False
        self.log = open(args.log, "a", buffering=1) if args.log != "-" else sys.stdout
        self.exchanges = 0
        self.max_gap = 0.0
        self.max_gap_end = 0.0
        self.last_reply_wall = 0.0

    def request_stop(self, _signum, _frame):
        self.stop_requested = True

    def note(self, text):
        self.log.write(text + "\n")

    def finish(self, result, detail=""):
        self.note("summary result=%s exchanges=%d max_gap_ms=%.1f max_gap_end=%.6f "
                  "last_reply=%.6f%s" % (result, self.exchanges, self.max_gap * 1000.0,
                                         self.max_gap_end, self.last_reply_wall,
                                         (" detail=" + detail.replace(" ", "_")) if detail else ""))
        return 0 if result == "ok" else 1

    def run(self):
        args = self.args
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            signal.signal(signum, self.request_stop)
        try:
            conn = socket.create_connection((args.connect, args.port), timeout=args.connect_timeout)
        except OSError as error:
            return self.finish("connect-failed", str(error))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Short socket timeouts so that a stop request is seen while waiting.
        conn.settimeout(0.1)
        local = conn.getsockname()
        self.note("connected sport=%d dport=%d t=%.6f" % (local[1], args.port, time.time()))

        started = time.monotonic()
        previous_reply = started
        pending = b""
        seq = 0
        try:
            while not self.stop_requested:
                if args.duration and time.monotonic() - started >= args.duration:
                    break
                seq += 1
                sent_at = time.monotonic()
                line = b"%d %.6f\n" % (seq, time.time())
                conn.sendall(line)
                # Wait for the echo of exactly this line.
                while b"\n" not in pending:
                    if self.stop_requested:
                        return self.finish("ok")
                    if time.monotonic() - previous_reply > args.stall_timeout:
                        return self.finish("stalled", "no echo of seq %d" % seq)
                    try:
                        data = conn.recv(65536)
                    except socket.timeout:
                        continue
                    if not data:
                        return self.finish("closed", "server closed the connection")
                    pending += data
                echoed, pending = pending.split(b"\n", 1)
                now = time.monotonic()
                now_wall = time.time()
                if echoed + b"\n" != line:
                    return self.finish("corrupt", "sent %r got %r" % (line, echoed))
                gap = now - previous_reply
                if gap > PAUSE_FACTOR * args.interval and self.exchanges > 0:
                    self.note("pause gap_ms=%.1f from=%.6f to=%.6f"
                              % (gap * 1000.0, now_wall - gap, now_wall))
                if gap > self.max_gap and self.exchanges > 0:
                    self.max_gap = gap
                    self.max_gap_end = now_wall
                previous_reply = now
                self.last_reply_wall = now_wall
                self.exchanges += 1
                self.note("reply seq=%d t=%.6f rtt_ms=%.2f"
                          % (seq, now_wall, (now - sent_at) * 1000.0))
                delay = args.interval - (time.monotonic() - sent_at)
                if delay > 0:
                    time.sleep(delay)
        except OSError as error:
            if error.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
                return self.finish("reset", str(error))
            return self.finish("error", str(error))
        finally:
            conn.close()
        return self.finish("ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server")
    server.add_argument("--bind", required=True)
    server.add_argument("--port", type=int, required=True)
    client = sub.add_parser("client")
    client.add_argument("--connect", required=True)
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--log", default="-")
    client.add_argument("--interval", type=float, default=0.05)
    client.add_argument("--stall-timeout", type=float, default=10.0)
    client.add_argument("--connect-timeout", type=float, default=5.0)
    client.add_argument("--duration", type=float, default=0.0)
    args = parser.parse_args()
    if args.role == "server":
        serve(args)
        return 0
    return Client(args).run()


if __name__ == "__main__":
    sys.exit(main())
