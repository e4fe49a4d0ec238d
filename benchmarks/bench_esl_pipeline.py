"""Switch commands under load: SwitchExecutor waiting for every reply (as before) vs pipelined.

A FreeSWITCH stand-in runs in ANOTHER process and behaves like mod_event_socket's inbound listener:
one connection's commands are executed strictly one after the other, each taking ``--service-us`` of
the switch's time and answered with one reply (``api`` -> api/response ``+OK``, ``sendmsg`` ->
``+OK``, ``bgapi`` -> ``+OK Job-UUID``); ``--one-way-ms`` of network delay each way (0 = loopback;
0.25 = a switch on another host, 0.5 ms round trip). With ``--events-per-command K`` it also sends K
real CHANNEL_EXECUTE_COMPLETE frames after every reply, which the engine side decodes as
engine.bootstrap does (a call produces ~25 events for ~15 commands).

The engine side is the real chain: a runtime-like drain greenlet (engine.runtime.Runtime._drain)
calling SwitchExecutor.execute() on an EslConnection.

1. burst: ``--burst`` commands queued at once (the 281-deep queue that was seen); when is the LAST one
   written (how late an arriving caller's ``answer`` leaves), when is its reply checked, CPU per command;
2. steady: ``--rate`` commands per second for ``--seconds``; latency from queueing to the reply being
   checked (p50/p99), and the engine process's CPU per command (events included).

Run: ``.venv/bin/python benchmarks/bench_esl_pipeline.py [--burst 300] [--rate 300] [--one-way-ms 0.25]``
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import gevent  # noqa: E402
import gevent.event  # noqa: E402
from gevent.queue import Queue  # noqa: E402

from engine.domain import commands as c  # noqa: E402
from engine.switch.connection import EslConnection  # noqa: E402
from engine.switch.decode import SUBSCRIBED_EVENTS, decode  # noqa: E402
from engine.switch.executor import SwitchExecutor  # noqa: E402

SERVER = r'''
import socket, sys, threading, time, queue
service_s, one_way_s, k_events = float(sys.argv[1]) / 1e6, float(sys.argv[2]) / 1e3, int(sys.argv[3])
event = open(sys.argv[4], "rb").read() if sys.argv[4] != "-" else b""
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)

def reply_to(cmd):
    if cmd.startswith(b"api "):
        body = b"-ERR no such channel\n" if b"FAIL" in cmd else b"+OK\n"
        return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body
    if cmd.startswith(b"bgapi "):
        job = b"x"
        for line in cmd.split(b"\n"):
            if line.startswith(b"Job-UUID: "):
                job = line[10:]
        return b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n" % (job, job)
    if cmd.startswith(b"exit"):
        return b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"
    if cmd.startswith(b"event") or cmd.startswith(b"auth"):
        return b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    return b"Content-Type: command/reply\nReply-Text: %s\n\n" % (b"-ERR invalid session id [x]" if b"FAIL" in cmd else b"+OK")

def serve(conn):
    inq, outq = queue.Queue(), queue.Queue()
    def reader():
        buf = b""
        while True:
            data = conn.recv(262144)
            if not data:
                inq.put(None); return
            buf += data
            while b"\n\n" in buf:
                cmd, buf = buf.split(b"\n\n", 1)
                while cmd.startswith(b"\n"):
                    cmd = cmd[1:]
                inq.put((time.monotonic(), cmd))
    def processor():   # mod_event_socket: one command after the other
        while True:
            item = inq.get()
            if item is None:
                outq.put(None); return
            arrived, cmd = item
            wait = arrived + one_way_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if service_s:
                end = time.monotonic() + service_s
                while time.monotonic() < end:
                    pass
            out = reply_to(cmd)
            if cmd.startswith((b"api ", b"bgapi ", b"sendmsg")):
                out += event * k_events
            outq.put((time.monotonic() + one_way_s, out))
            if cmd.startswith(b"exit"):
                outq.put(None); return
    def sender():
        while True:
            item = outq.get()
            if item is None:
                return
            at, out = item
            batch = [out]
            while not outq.empty():     # what is already due goes in one write, like a kernel buffer
                nxt = outq.queue[0]
                if nxt is None or nxt[0] > time.monotonic():
                    break
                batch.append(outq.get()[1])
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            conn.sendall(b"".join(batch))
    conn.sendall(b"Content-Type: auth/request\n\n")
    threads = [threading.Thread(target=f, daemon=True) for f in (reader, processor, sender)]
    for t in threads: t.start()
    threads[2].join()
    try:
        conn.close()
    except OSError:
        pass

while True:
    conn, _ = srv.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
'''


def event_frame() -> bytes:
    """One real CHANNEL_EXECUTE_COMPLETE frame (benchmarks/bench_esl_parse.py corpus), or a synthetic one."""
    try:
        sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
        from bench_esl_parse import frame, load_corpus
        return frame("plain", load_corpus()["kinds"]["CHANNEL_EXECUTE_COMPLETE"]["plain"])
    except Exception:  # noqa: BLE001
        body = b"Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: x\nApplication: set\n\n"
        return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body


def commands(n: int, fail_every: int = 0) -> list:
    """A call's mix: answer, playback, collect-ish sendmsg, bridge, hang-ups; distinct uuids."""
    out = []
    for i in range(n):
        uuid = "%08d-aaaa-4bbb-8ccc-%012d" % (i // 6, i)
        if fail_every and i % fail_every == fail_every - 1:
            uuid = "FAIL" + uuid[4:]
        kind = i % 6
        if kind == 0:
            out.append(c.Answer(uuid))
        elif kind == 1:
            out.append(c.Play(uuid, "/usr/share/freeswitch/sounds/welcome.wav", "app-%d" % i))
        elif kind == 2:
            out.append(c.StopMedia(uuid))
        elif kind == 3:
            out.append(c.Bridge(uuid, "b-" + uuid))
        elif kind == 4:
            out.append(c.PlayMusic(uuid, "local_stream://moh"))
        else:
            out.append(c.Hangup(uuid, "NORMAL_CLEARING"))
    return out


class Engine:
    """The runtime's serial drain -> SwitchExecutor -> EslConnection, instrumented: for command i,
    when it was queued, when execute() returned (written), when its reply had been checked."""

    def __init__(self, port: int, pipelined: bool) -> None:
        self.events = 0
        self.failures: list = []
        self.conn = EslConnection("127.0.0.1", port, "ClueCon", events=SUBSCRIBED_EVENTS, on_event=self._on_event,
                                  command_timeout=60)
        self.executor = SwitchExecutor(self.conn, self.failures.append, pipelined=pipelined)
        self.pipelined = pipelined
        self.queue: Queue = Queue()
        self.queued: dict[int, float] = {}
        self.written: dict[int, float] = {}
        self.checked: dict[int, float] = {}
        self._current = -1
        if pipelined:
            track = self.executor._track

            def timed_track(pending, run, on_value, *args, _i=None):
                i = self._current
                pending.link(lambda p: self.checked.__setitem__(i, time.perf_counter()))
                track(pending, run, on_value, *args)

            self.executor._track = timed_track  # type: ignore[method-assign]
        self.conn.start()
        assert self.conn.wait_connected(10), self.conn.last_error
        self.drainer = gevent.spawn(self._drain)

    def _on_event(self, ev) -> None:
        decode(ev, time.time())
        self.events += 1

    def put(self, i: int, cmd) -> None:
        self.queued[i] = time.perf_counter()
        self.queue.put((i, cmd))

    def _drain(self) -> None:  # engine.runtime.Runtime._drain
        while True:
            item = self.queue.get()
            if item is None:
                return
            i, cmd = item
            self._current = i
            self.executor.execute(cmd)
            self.written[i] = now = time.perf_counter()
            if not self.pipelined:
                self.checked[i] = now

    def idle(self) -> bool:
        return self.queue.empty() and self.executor.in_flight == 0 and self.conn.pending_count == 0

    def wait_idle(self, timeout: float = 300) -> None:
        """Poll (rarely: the figures come from the timestamps, the CPU must not be the polling's)."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() > deadline:
                raise RuntimeError("not idle: %d queued, %d in flight" % (self.queue.qsize(), self.executor.in_flight))
            gevent.sleep(0.01)

    def stop(self) -> None:
        self.queue.put(None)
        self.conn.stop()


def burst(port: int, pipelined: bool, n: int, fail_every: int) -> dict:
    eng = Engine(port, pipelined)
    try:
        cmds = commands(n, fail_every)
        c0 = time.process_time()
        for i, cmd in enumerate(cmds):
            eng.put(i, cmd)
        t0 = eng.queued[0]
        eng.wait_idle()
        c1 = time.process_time()
        return {"last_written_ms": (eng.written[n - 1] - t0) * 1000,
                "last_checked_ms": (eng.checked[n - 1] - t0) * 1000,
                "all_checked_ms": (max(eng.checked.values()) - t0) * 1000,
                "cpu_us_per_command": (c1 - c0) / n * 1e6, "failures": len(eng.failures)}
    finally:
        eng.stop()


def steady(port: int, pipelined: bool, rate: float, seconds: float) -> dict:
    eng = Engine(port, pipelined)
    try:
        n = int(rate * seconds)
        cmds = commands(n)
        ev0 = eng.events
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        c0, t0 = time.process_time(), time.perf_counter()
        for i, cmd in enumerate(cmds):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            eng.put(i, cmd)
        eng.wait_idle()
        c1, t1 = time.process_time(), time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        lat = sorted(eng.checked[i] - eng.queued[i] for i in range(n))

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000

        return {"commands": n, "events": eng.events - ev0, "cpu_us_per_command": (c1 - c0) / n * 1e6,
                "user_us_per_command": (r1.ru_utime - r0.ru_utime) / n * 1e6,
                "sys_us_per_command": (r1.ru_stime - r0.ru_stime) / n * 1e6,
                "voluntary_switches": r1.ru_nvcsw - r0.ru_nvcsw,
                "latency_p50_ms": pct(0.5), "latency_p99_ms": pct(0.99), "latency_max_ms": lat[-1] * 1000,
                "achieved_rate": n / (t1 - t0), "failures": len(eng.failures)}
    finally:
        eng.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--burst", type=int, default=300)
    ap.add_argument("--rate", type=float, default=300.0, help="commands/s in the steady run (20 calls/s x 15)")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--service-us", type=float, default=100.0, help="switch time per command")
    ap.add_argument("--one-way-ms", type=float, default=0.0, help="network delay each way")
    ap.add_argument("--events-per-command", type=int, default=2)
    ap.add_argument("--fail-every", type=int, default=0, help="every Nth command fails (-ERR), burst only")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    import tempfile
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(event_frame())
    results = {}
    for k_events, label in ((0, "no events"), (args.events_per_command, "%d events/command" % args.events_per_command)):
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.service_us), str(args.one_way_ms),
                                   str(k_events), f.name], stdout=subprocess.PIPE)
        try:
            port = int(server.stdout.readline())  # type: ignore[union-attr]
            for pipelined in (False, True):
                mode = "pipelined" if pipelined else "waiting"
                if k_events == 0:
                    results["burst %s" % mode] = burst(port, pipelined, args.burst, args.fail_every)
                else:
                    results["steady %s, %s" % (mode, label)] = steady(port, pipelined, args.rate, args.seconds)
        finally:
            server.kill()
            server.wait()
    os.unlink(f.name)
    print("switch stand-in: %.0f µs per command, %.2f ms each way" % (args.service_us, args.one_way_ms))
    for name, r in results.items():
        if name.startswith("burst"):
            print("%-20s %d commands queued at once: the last one written after %7.1f ms, its reply checked "
                  "after %7.1f ms; %5.1f µs CPU/command; %d failures reported" % (
                      name, args.burst, r["last_written_ms"], r["last_checked_ms"], r["cpu_us_per_command"],
                      r["failures"]))
        else:
            print("%-36s %d commands at %.0f/s (achieved %.0f/s), %d events: queued->checked p50 %.2f ms p99 %.2f ms "
                  "max %.2f ms, %5.1f µs CPU/command incl. events" % (
                      name, r["commands"], args.rate, r["achieved_rate"], r["events"], r["latency_p50_ms"],
                      r["latency_p99_ms"], r["latency_max_ms"], r["cpu_us_per_command"]))
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
