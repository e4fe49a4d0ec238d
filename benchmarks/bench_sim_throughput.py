"""Simulator load benchmark: how many calls per second can engine.fsim carry on this machine?

A child process runs SimSwitch (time_scale 1, auto-answering registered phones) and places inbound calls at the
offered rate. This process is a minimal ACD on a raw ESL socket (loopback only): on each caller CHANNEL_PARK it sends
`sendmsg answer` and `bgapi originate {origination_uuid=..}user/<free agent> &park()`; on the agent's CHANNEL_PARK it
sends `bgapi uuid_bridge`. Callers hang up `--talk` seconds after the bridge. The offered rate doubles every stage
until calls queue up (not bridged by the end of the stage + 1 s) or fail; the last clean stage is reported.

    .venv/bin/python benchmarks/bench_sim_throughput.py [--stage 5] [--max-rate 640] [--agents 600]
"""
import argparse
import os
import socket
import subprocess
import sys
import time
import uuid as uuidlib
from collections import deque
from urllib.parse import unquote

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


# ------------------------------------------------------------------ child: the simulated switch + callers
def child(args):
    import gevent
    from gevent.fileobject import FileObjectThread
    from engine.fsim import SimSwitch
    # the simulator's own throughput, not FreeSWITCH's default session-rate limit (30/s): limits lifted
    sim = SimSwitch(esl_port=0, dialplan_dir=os.path.join(REPO, "dialplans"), time_scale=1.0,
                    sessions_per_second=100000, max_sessions=100000)
    sim.start()
    for i in range(args.agents):
        sim.add_phone(str(10000 + i), register=True, answer_delay=args.answer_delay)
    rate = [0.0]

    def generator():
        nxt = time.monotonic()
        while True:
            if rate[0] <= 0:
                gevent.sleep(0.05)
                nxt = time.monotonic()
                continue
            nxt += 1.0 / rate[0]
            gevent.sleep(max(0.0, nxt - time.monotonic()))
            sim.place_call(did="12366", ani="1380013%04d" % (int(nxt * 1000) % 10000), talk_time=args.talk)
    gevent.spawn(generator)
    print("READY %d" % sim.esl_port, flush=True)
    stdin = FileObjectThread(sys.stdin)
    for line in stdin:
        words = line.split()
        if words[:1] == ["rate"]:
            rate[0] = float(words[1])
        elif words[:1] == ["quit"]:
            break
    sim.stop()


# ------------------------------------------------------------------ parent: the minimal ACD
class Acd:
    def __init__(self, port, agents, events="ALL"):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.free = deque(str(10000 + i) for i in range(agents))
        self.agent_of = {}      # agent leg uuid -> (caller uuid, ext)
        self.waiting = deque()  # parked callers without an agent
        self.parked_at = {}
        self.setup = []         # (t_bridged, seconds from caller park to bridge)
        self.events = 0
        self.failures = 0
        self.bridged = 0
        self._send("auth ClueCon")
        self._send("event plain " + events)

    def _send(self, cmd, headers=()):
        self.sock.sendall((cmd + "\n" + "".join("%s: %s\n" % kv for kv in headers) + "\n").encode())

    def _frames(self):
        while True:
            head, sep, rest = self.buf.partition(b"\n\n")
            if not sep:
                return
            hdrs = dict(ln.split(": ", 1) for ln in head.decode().split("\n") if ": " in ln)
            n = int(hdrs.get("Content-Length", 0))
            if len(rest) < n:
                return
            body, self.buf = rest[:n].decode(), rest[n:]
            yield hdrs, body

    def pump(self, until):
        self.sock.settimeout(max(0.001, until - time.monotonic()))
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return
        self.buf += data
        for hdrs, body in self._frames():
            if hdrs.get("Content-Type") == "text/event-plain":
                self.events += 1
                self.on_event(dict((k, unquote(v)) for k, _, v in
                                   (ln.partition(": ") for ln in body.split("\n\n", 1)[0].split("\n"))))

    def on_event(self, ev):
        name, uid = ev.get("Event-Name"), ev.get("Unique-ID")
        if name == "CHANNEL_PARK" and ev.get("Call-Direction") == "inbound":
            self.parked_at[uid] = time.monotonic()
            self._send("sendmsg " + uid, [("call-command", "execute"), ("execute-app-name", "answer")])
            self.waiting.append(uid)
            self.dispatch()
        elif name == "CHANNEL_PARK" and uid in self.agent_of:
            caller, _ = self.agent_of[uid]
            self._send("bgapi uuid_bridge %s %s" % (caller, uid))
        elif name == "CHANNEL_BRIDGE":
            t0 = self.parked_at.pop(uid, None)
            if t0 is not None:
                self.bridged += 1
                self.setup.append((time.monotonic(), time.monotonic() - t0))
        elif name == "BACKGROUND_JOB" and (ev.get("Content-Length") or "") and "-ERR" in ev.get("Content-Length"):
            self.failures += 1
        elif name == "CHANNEL_HANGUP_COMPLETE":
            if uid in self.agent_of:
                _, ext = self.agent_of.pop(uid)
                self.free.append(ext)
                self.dispatch()
            elif uid in self.parked_at:
                self.parked_at.pop(uid, None)
                self.failures += 1
            if uid in self.waiting:
                self.waiting.remove(uid)

    def dispatch(self):
        while self.waiting and self.free:
            caller, ext = self.waiting.popleft(), self.free.popleft()
            agent = str(uuidlib.uuid4())
            self.agent_of[agent] = (caller, ext)
            self._send("bgapi originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=20}"
                       "user/%s &park()" % (agent, ext))


def parent(args):
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", "--agents", str(args.agents),
                             "--talk", str(args.talk), "--answer-delay", str(args.answer_delay)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit("child did not start: %r" % line)
        acd = Acd(int(line.split()[1]), args.agents, args.events)
        best, rate = None, args.start_rate
        t_end = time.monotonic() + args.budget
        print("%8s %8s %8s %8s %10s %10s %8s" % ("offered", "placed", "bridged", "queued", "setup_p95", "events/s",
                                                 "fail"))
        while rate <= args.max_rate and time.monotonic() < t_end:
            proc.stdin.write("rate %s\n" % rate)
            proc.stdin.flush()
            b0, e0, f0, t0 = acd.bridged, acd.events, acd.failures, time.monotonic()
            while time.monotonic() < t0 + args.stage:
                acd.pump(t0 + args.stage)
            proc.stdin.write("rate 0\n")
            proc.stdin.flush()
            grace = time.monotonic() + 1.0
            while time.monotonic() < grace:
                acd.pump(grace)
            span = time.monotonic() - t0
            bridged, fails = acd.bridged - b0, acd.failures - f0
            queued = len(acd.parked_at)
            lat = sorted(s for t, s in acd.setup if t >= t0)
            p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
            offered = rate * args.stage
            eps = (acd.events - e0) / span
            print("%8.0f %8.0f %8d %8d %9.3fs %10.0f %8d" % (rate, offered, bridged, queued, p95, eps, fails))
            ok = fails == 0 and queued <= max(2, 0.02 * offered) and bridged >= 0.95 * offered and p95 < 1.0
            if not ok:
                break
            best = (rate, eps)
            rate *= 2
            drain = time.monotonic() + args.talk + 1.0   # let the stage's calls end before the next one
            while time.monotonic() < drain:
                acd.pump(drain)
        if best:
            print("\nsustainable: %.0f calls/s (%.0f events/s delivered to one ESL client) on this machine"
                  % best)
        else:
            print("\nno stage completed cleanly")
    finally:
        try:
            proc.stdin.write("quit\n")
            proc.stdin.flush()
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--agents", type=int, default=600)
    p.add_argument("--talk", type=float, default=1.0, help="seconds a caller stays after the bridge")
    p.add_argument("--answer-delay", type=float, default=0.05)
    p.add_argument("--stage", type=float, default=5.0, help="seconds per offered rate")
    p.add_argument("--start-rate", type=float, default=5.0)
    p.add_argument("--max-rate", type=float, default=640.0)
    p.add_argument("--events", default="ALL", help="event subscription of the ACD socket (ALL = every event)")
    p.add_argument("--budget", type=float, default=120.0, help="overall time bound in seconds")
    args = p.parse_args()
    child(args) if args.child else parent(args)


if __name__ == "__main__":
    main()
