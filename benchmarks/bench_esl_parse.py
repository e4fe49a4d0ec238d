"""ESL parsing throughput.

1. ``parse_plain_event`` (and frame splitting) on real captured FreeSWITCH frames.
2. End to end over loopback TCP: a tiny server streams N captured event frames to an
   ``EslConnection``; we time until ``on_event`` has seen all N.

Run: ``.venv/bin/python benchmarks/bench_esl_parse.py [N]``
"""
from __future__ import annotations

import gzip
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gevent  # noqa: E402
import gevent.event  # noqa: E402
from gevent.server import StreamServer  # noqa: E402

from engine.switch.connection import EslConnection  # noqa: E402
from engine.switch.frames import FrameParser, parse_json_event, parse_plain_event  # noqa: E402

CAPTURES = os.environ.get("FS_CAPTURES", "/work/shared/freeswitch-captures")
SOURCES = ["03_inbound_call_ivr.full.txt.gz", "04a_bridge_to_agent.full.txt.gz", "02_registration.txt"]


def capture_stream(path: str) -> bytes:
    """Received bytes of a transcript: drop '>>> ' (sent) and '### ' (annotation) lines; undo the LF
    the capture adds after frames that did not end in one."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        lines = f.read().split(b"\n")
    buf = bytearray()
    for line in lines:
        if line.startswith(b"### (frame above ended without LF)"):
            del buf[-1]
        elif line.startswith((b">>> ", b"### ")) or line == b">>>":
            continue
        else:
            buf += line + b"\n"
    return bytes(buf)


def load_event_frames() -> list[bytes]:
    """Whole wire frames (envelope + body) of every plain event in the sources."""
    out: list[bytes] = []
    for name in SOURCES:
        path = os.path.join(CAPTURES, name)
        if not os.path.exists(path):
            continue
        for fr in FrameParser().feed(capture_stream(path)):
            if fr.content_type == "text/event-plain":
                out.append(b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(fr.body) + fr.body)
    if not out:  # captures not available: a synthetic CHANNEL_PARK-sized event
        body = b"Event-Name: CHANNEL_PARK\nUnique-ID: x\n" + b"variable_x: a%20b\n" * 150 + b"\n"
        out.append(b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body)
    return out


def bench_parse(frames: list[bytes], seconds: float = 2.0) -> None:
    bodies = [fr.body for fr in FrameParser().feed(b"".join(frames))]
    total_bytes = sum(len(b) for b in bodies)
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for body in bodies:
            parse_plain_event(body)
        n += len(bodies)
    elapsed = time.perf_counter() - start
    print("parse_plain_event: %d captured events (avg %d bytes, %d headers avg): %.0f events/s"
          % (len(bodies), total_bytes / len(bodies),
             sum(len(parse_plain_event(b).headers) for b in bodies) / len(bodies), n / elapsed))

    stream = b"".join(frames)
    reps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        parser = FrameParser()
        for i in range(0, len(stream), 65536):
            for fr in parser.feed(stream[i:i + 65536]):
                parse_plain_event(fr.body)
        reps += 1
    elapsed = time.perf_counter() - start
    print("FrameParser + parse_plain_event (64 KiB reads): %.0f events/s, %.1f MB/s"
          % (reps * len(frames) / elapsed, reps * len(stream) / elapsed / 1e6))

    js = ('{"Event-Name":"CHANNEL_PARK","Unique-ID":"x",'
          + ",".join('"variable_%d":"a b"' % i for i in range(150)) + "}").encode()
    n = 20000
    start = time.perf_counter()
    for _ in range(n):
        parse_json_event(js)
    print("parse_json_event (152 headers): %.0f events/s" % (n / (time.perf_counter() - start)))


def bench_end_to_end(frames: list[bytes], n_events: int) -> None:
    payload = b"".join(frames[i % len(frames)] for i in range(n_events))
    ready = gevent.event.Event()

    def handle(sock, _addr):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = sock.makefile("rb")
        sock.sendall(b"Content-Type: auth/request\n\n")
        f.readline(), f.readline()  # auth ClueCon + blank
        sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
        f.readline(), f.readline()  # event plain ALL + blank
        sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")
        ready.wait()
        sock.sendall(payload)
        # answer one api so we also see a command round-trip behind the burst
        f.readline(), f.readline()
        sock.sendall(b"Content-Type: api/response\nContent-Length: 3\n\nUP\n")
        gevent.sleep(1)

    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    count = [0]
    done = gevent.event.Event()

    def on_event(_ev):
        count[0] += 1
        if count[0] == n_events:
            done.set()

    conn = EslConnection("127.0.0.1", server.server_port, "ClueCon", on_event=on_event)
    conn.start()
    assert conn.wait_connected(5), conn.last_error
    start = time.perf_counter()
    ready.set()
    assert done.wait(120), "only %d of %d events" % (count[0], n_events)
    elapsed = time.perf_counter() - start
    t0 = time.perf_counter()
    assert conn.api("status") == "UP\n"
    rtt = time.perf_counter() - t0
    print("end to end over loopback TCP via EslConnection: %d events (%.1f MB) in %.2fs = %.0f events/s; "
          "api round trip after burst %.1f ms" % (n_events, len(payload) / 1e6, elapsed, n_events / elapsed,
                                                   rtt * 1000))
    conn.stop()
    server.stop()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    frames = load_event_frames()
    bench_parse(frames)
    bench_end_to_end(frames, n)


if __name__ == "__main__":
    main()
