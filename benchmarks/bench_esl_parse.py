"""ESL receive + parse cost per event, on real FreeSWITCH frames, ``event plain`` and ``event json``.

The events are those a call produces for the engine (engine.switch.decode.SUBSCRIBED_EVENTS), taken
verbatim from the captures in ../shared/freeswitch-captures (or $FS_CAPTURES): CHANNEL_PARK,
CHANNEL_EXECUTE_COMPLETE, CHANNEL_ANSWER, CHANNEL_BRIDGE, CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE,
BACKGROUND_JOB, DTMF. JSON frames are the real ``text/event-json`` ones of capture 03b where it has
the kind; the others (and the per-call mix of capture 04a, a caller bridged to an agent) are the plain
frames re-serialized the way switch_event_serialize_json does (cJSON, arrays for ``ARRAY::`` headers,
duplicate keys kept, ``Content-Length`` + ``_body``).

Measured, CPU time (``time.process_time``, best of several rounds; other processes do not count):

1. per kind: parse only, and parse + engine.switch.decode.decode (what the engine does per event);
2. per call: the 04a mix through FrameParser + parse + decode;
3. end to end: a FreeSWITCH stand-in in ANOTHER process streams N event frames over loopback TCP to
   an EslConnection whose on_event decodes them (as engine.bootstrap does); the engine process's CPU
   per event, everything included (recv, framing, parse, dispatch greenlet, decode): back to back
   (many frames per read), and trickled at ``--trickle`` events/s, one frame per write (each event
   then also pays a wake-up of the gevent hub: epoll, greenlet switches).

``--baseline-git REV`` (e.g. HEAD) or ``--baseline DIR`` also runs everything against another version
of engine/switch/{frames,connection,errors}.py and prints both side by side.

Run: ``.venv/bin/python benchmarks/bench_esl_parse.py [--events 20000] [--baseline-git HEAD]``
"""
from __future__ import annotations

import argparse
import gzip
import importlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import unquote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import gevent  # noqa: E402
import gevent.event  # noqa: E402

from engine.switch.decode import SUBSCRIBED_EVENTS, decode  # noqa: E402

CAPTURES = os.environ.get("FS_CAPTURES") or next(
    (p for p in (os.path.join(ROOT, "..", "shared", "freeswitch-captures"), "/work/shared/freeswitch-captures",
                 os.path.join(ROOT, "tests", "fidelity", "captures")) if os.path.isdir(p)), "")
KINDS = ("CHANNEL_PARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_ANSWER", "CHANNEL_BRIDGE", "CHANNEL_HANGUP",
         "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "DTMF")
CALL_CAPTURE = "04a_bridge_to_agent"
JSON_CAPTURE = "03b_inbound_call_ivr_json"
SUBSCRIBED = set(SUBSCRIBED_EVENTS[0].split())


# -- corpus ---------------------------------------------------------------------------------------------
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


def _split(stream: bytes) -> list[tuple[str, bytes]]:
    """(Content-Type, body) of every frame; a minimal splitter independent of the code measured."""
    out, pos = [], 0
    while True:
        while stream.startswith(b"\n", pos):
            pos += 1
        end = stream.find(b"\n\n", pos)
        if end < 0:
            return out
        head = dict(line.split(": ", 1) for line in stream[pos:end].decode().split("\n") if ": " in line)
        pos = end + 2
        n = int(head.get("Content-Length", 0))
        out.append((head.get("Content-Type", ""), stream[pos:pos + n]))
        pos += n


def _transcript(name: str) -> str | None:
    for suffix in (".full.txt.gz", ".txt"):
        path = os.path.join(CAPTURES, name + suffix)
        if os.path.exists(path):
            return path
    return None


def _plain_pairs(body: bytes) -> tuple[list[tuple[str, str]], str | None]:
    end = body.find(b"\n\n")
    head, rest = (body, b"") if end < 0 else (body[:end], body[end + 2:])
    pairs = []
    for line in head.decode("utf-8", "replace").split("\n"):
        if line:
            name, _, value = line.partition(": ")
            pairs.append((name, unquote(value, errors="replace")))
    return pairs, (rest.decode("utf-8", "replace") if rest else None)


def plain_to_json(body: bytes) -> bytes:
    """switch_event_serialize_json of the same event (cJSON_PrintUnformatted)."""
    pairs, text = _plain_pairs(body)
    items = []
    for name, value in pairs:
        if name == "Content-Length" and text is not None:
            continue
        val = value[7:].split("|:") if value.startswith("ARRAY::") else value
        items.append(json.dumps(name, ensure_ascii=False) + ":" + json.dumps(val, ensure_ascii=False))
    if text is not None:
        items.append('"Content-Length":"%d"' % len(text.encode("utf-8")))
        items.append('"_body":' + json.dumps(text, ensure_ascii=False))
    return ("{" + ",".join(items) + "}").encode("utf-8")


def frame(kind: str, body: bytes) -> bytes:
    return b"Content-Length: %d\nContent-Type: text/event-%s\n\n" % (len(body), kind.encode()) + body


def load_corpus() -> dict:
    """{"kinds": {kind: {"plain": body, "json": body, "json_src": "capture"|"converted"}},
        "call": {"plain": [bodies], "json": [bodies]}}"""
    plain: dict[str, bytes] = {}
    names = sorted({f.split(".")[0] for f in os.listdir(CAPTURES)} if CAPTURES else set())
    for name in [CALL_CAPTURE] + [n for n in names if n != CALL_CAPTURE]:
        path = _transcript(name)
        if path is None:
            continue
        for ctype, body in _split(capture_stream(path)):
            if ctype != "text/event-plain":
                continue
            ev = body[12:body.find(b"\n")].decode() if body.startswith(b"Event-Name: ") else ""
            if ev in KINDS and ev not in plain and (ev != "BACKGROUND_JOB" or b"Job-Command: originate" in body):
                plain[ev] = body
    real_json: dict[str, bytes] = {}
    path = _transcript(JSON_CAPTURE)
    for ctype, body in (_split(capture_stream(path)) if path else []):
        if ctype == "text/event-json":
            name = json.loads(body).get("Event-Name")
            if name in KINDS and name not in real_json:
                real_json[name] = body
    if not plain:  # no captures: a CHANNEL_PARK-sized synthetic event
        plain["CHANNEL_PARK"] = (b"Event-Name: CHANNEL_PARK\nUnique-ID: x\nCall-Direction: inbound\n"
                                 + b"".join(b"variable_v%d: a%%20b\n" % i for i in range(150)) + b"\n")
    kinds = {}
    for kind in KINDS:
        if kind not in plain:
            continue
        js = real_json.get(kind)
        kinds[kind] = {"plain": plain[kind], "json": js or plain_to_json(plain[kind]),
                       "json_src": "capture 03b" if js else "converted"}
    call_plain: list[bytes] = []
    path = _transcript(CALL_CAPTURE)
    for ctype, body in (_split(capture_stream(path)) if path else []):
        if ctype == "text/event-plain" and body.startswith(b"Event-Name: "):
            if body[12:body.find(b"\n")].decode() in SUBSCRIBED:
                call_plain.append(body)
    if not call_plain:
        call_plain = [k["plain"] for k in kinds.values()]
    return {"kinds": kinds, "call": {"plain": call_plain, "json": [plain_to_json(b) for b in call_plain]}}


# -- implementations -------------------------------------------------------------------------------------
class Impl:
    def __init__(self, label: str, frames, connection) -> None:
        self.label, self.frames, self.connection = label, frames, connection

    def parser(self, kind: str):
        return self.frames.parse_plain_event if kind == "plain" else self.frames.parse_json_event


def current_impl() -> Impl:
    from engine.switch import connection, frames
    return Impl("current", frames, connection)


def baseline_impl(directory: str | None, git_rev: str | None) -> Impl:
    """Load another frames.py / connection.py / errors.py as the package esl_baseline."""
    pkg_root = tempfile.mkdtemp(prefix="esl_baseline_")
    pkg = os.path.join(pkg_root, "esl_baseline")
    os.makedirs(pkg)
    for name in ("frames", "connection", "errors"):
        if git_rev:
            text = subprocess.run(["git", "-C", ROOT, "show", "%s:engine/switch/%s.py" % (git_rev, name)],
                                  check=True, capture_output=True).stdout
        else:
            with open(os.path.join(directory, name + ".py"), "rb") as f:  # type: ignore[arg-type]
                text = f.read()
        with open(os.path.join(pkg, name + ".py"), "wb") as f:
            f.write(text)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    sys.path.insert(0, pkg_root)
    return Impl("baseline %s" % (git_rev or directory), importlib.import_module("esl_baseline.frames"),
                importlib.import_module("esl_baseline.connection"))


# -- timing ---------------------------------------------------------------------------------------------
def cpu_us(fn, items, rounds: int = 7, min_time: float = 0.2) -> float:
    """Best per-item CPU µs of ``fn(item)`` over ``items``, over several rounds."""
    reps = 1
    while True:  # calibrate so that one round takes ~min_time
        t0 = time.process_time()
        for _ in range(reps):
            for item in items:
                fn(item)
        dt = time.process_time() - t0
        if dt >= min_time / 4 or reps > 1 << 16:
            break
        reps *= 4
    reps = max(1, int(reps * min_time / max(dt, 1e-9)))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(reps):
            for item in items:
                fn(item)
        best = min(best, time.process_time() - t0)
    return best / (reps * len(items)) * 1e6


def parse_and_decode(parse):
    def run(body):
        return decode(parse(body), 0.0)
    return run


def split_parse_decode(impl: Impl, kind: str, stream: bytes):
    parse = impl.parser(kind)
    ctype = "text/event-" + kind

    def run(_):
        parser = impl.frames.FrameParser()
        for i in range(0, len(stream), 262144):
            for fr in parser.feed(stream[i:i + 262144]):
                if fr.headers.get("Content-Type") == ctype:
                    decode(parse(fr.body), 0.0)
    return run


# -- end to end over TCP, the switch stand-in in another process --------------------------------------------
SERVER = r'''
import socket, sys, time
payload = open(sys.argv[1], "rb").read()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sendall(b"Content-Type: auth/request\n\n")
    buf = b""
    try:
        while True:
            while b"\n\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    raise EOFError
                buf += data
            cmd, buf = buf.split(b"\n\n", 1)
            if cmd.startswith(b"auth"):
                conn.sendall(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
            elif cmd.startswith(b"event"):
                conn.sendall(b"Content-Type: command/reply\nReply-Text: +OK event listener enabled\n\n")
            elif cmd.startswith(b"api bench"):
                conn.sendall(payload + b"Content-Type: api/response\nContent-Length: 3\n\nOK\n")
            elif cmd.startswith(b"api trickle "):   # one frame per write, evenly spaced: rate/s
                rate = float(cmd.split()[2])
                frames = [f for f in payload.split(b"\x00SPLIT\x00") if f]
                t0 = time.monotonic()
                for i, f in enumerate(frames):
                    delay = t0 + i / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    conn.sendall(f)
                conn.sendall(b"Content-Type: api/response\nContent-Length: 3\n\nOK\n")
            elif cmd.startswith(b"exit"):
                conn.sendall(b"Content-Type: command/reply\nReply-Text: +OK bye\n\n")
                break
            else:
                conn.sendall(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
    except (EOFError, OSError):
        pass
    conn.close()
'''


def end_to_end(impl: Impl, kind: str, bodies: list[bytes], n_events: int, rounds: int = 3,
               rate: float | None = None) -> dict:
    """Back to back (rate None: many frames per read), or ``rate`` events/s, one frame per TCP write."""
    sep = b"\x00SPLIT\x00" if rate else b""
    payload = sep.join(frame(kind, bodies[i % len(bodies)]) for i in range(n_events))
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(payload)
    server = subprocess.Popen([sys.executable, "-c", SERVER, f.name], stdout=subprocess.PIPE)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        count = [0]
        done = gevent.event.Event()

        def on_event(ev):
            decode(ev, time.time())
            count[0] += 1
            if count[0] >= n_events:
                done.set()

        conn = impl.connection.EslConnection("127.0.0.1", port, "ClueCon", events=SUBSCRIBED_EVENTS,
                                             on_event=on_event, command_timeout=300)
        conn.start()
        assert conn.wait_connected(10), conn.last_error
        best_cpu, best_wall = float("inf"), float("inf")
        for _ in range(rounds):
            count[0] = 0
            done.clear()
            c0, w0 = time.process_time(), time.perf_counter()
            g = gevent.spawn(conn.api, "trickle %s" % rate if rate else "bench")
            assert done.wait(300), "only %d of %d events" % (count[0], n_events)
            c1, w1 = time.process_time(), time.perf_counter()
            g.get(timeout=10)
            best_cpu, best_wall = min(best_cpu, c1 - c0), min(best_wall, w1 - w0)
        conn.stop()
    finally:
        server.kill()
        server.wait()
        os.unlink(f.name)
    return {"cpu_us_per_event": best_cpu / n_events * 1e6, "events_per_s": n_events / best_wall,
            "mb": len(payload) / 1e6, "rate": rate}


# -- report ---------------------------------------------------------------------------------------------
def run(impl: Impl, corpus: dict, n_events: int, trickle: float | None = None) -> dict:
    out: dict = {"kinds": {}, "call": {}, "e2e": {}}
    for name, data in corpus["kinds"].items():
        row = {}
        for kind in ("plain", "json"):
            body = data[kind]
            row[kind] = {"bytes": len(body), "parse_us": cpu_us(impl.parser(kind), [body]),
                         "parse_decode_us": cpu_us(parse_and_decode(impl.parser(kind)), [body])}
        out["kinds"][name] = row
    for kind in ("plain", "json"):
        bodies = corpus["call"][kind]
        stream = b"".join(frame(kind, b) for b in bodies)
        per_call = cpu_us(split_parse_decode(impl, kind, stream), [None], rounds=5)
        out["call"][kind] = {"events": len(bodies), "bytes": len(stream), "us_per_call": per_call,
                             "us_per_event": per_call / len(bodies)}
        out["e2e"][kind] = end_to_end(impl, kind, bodies, n_events)
        if trickle:
            out["e2e"][kind + " trickle"] = end_to_end(impl, kind, bodies, max(200, int(trickle * 4)), rounds=1,
                                                       rate=trickle)
    return out


def print_report(results: list[tuple[str, dict]], corpus: dict) -> None:
    labels = [label for label, _ in results]
    print("Corpus: %s (json frames: %s)" % (CAPTURES or "synthetic", ", ".join(
        "%s=%s" % (k, v["json_src"]) for k, v in corpus["kinds"].items())))
    print("\n1. per event kind, CPU µs per event: parse only / parse + decode")
    head = "%-26s %6s %6s" % ("kind", "plain B", "json B")
    for label in labels:
        head += " | %-32s" % label[:32]
    print(head)
    print("%-40s" % "" + "".join(" | %-32s" % "plain parse/+dec   json parse/+dec" for _ in labels))
    for name in corpus["kinds"]:
        first = results[0][1]["kinds"][name]
        line = "%-26s %6d %6d" % (name, first["plain"]["bytes"], first["json"]["bytes"])
        for _, res in results:
            r = res["kinds"][name]
            line += " | %6.1f / %6.1f   %6.1f / %6.1f" % (r["plain"]["parse_us"], r["plain"]["parse_decode_us"],
                                                         r["json"]["parse_us"], r["json"]["parse_decode_us"])
        print(line)
    call = results[0][1]["call"]["plain"]
    print("\n2. one call (capture %s: %d subscribed events, %d bytes plain): FrameParser + parse + decode"
          % (CALL_CAPTURE, call["events"], call["bytes"]))
    for label, res in results:
        print("   %-28s plain %7.1f µs/call (%5.1f µs/event)   json %7.1f µs/call (%5.1f µs/event)" % (
            label, res["call"]["plain"]["us_per_call"], res["call"]["plain"]["us_per_event"],
            res["call"]["json"]["us_per_call"], res["call"]["json"]["us_per_event"]))
    print("\n3. end to end over loopback TCP into EslConnection + decode (engine process CPU, switch in another process)")
    for label, res in results:
        for kind, r in res["e2e"].items():
            how = ("%5.0f/s, one per write" % r["rate"]) if r.get("rate") else "%8.0f events/s" % r["events_per_s"]
            print("   %-28s %-13s %6.1f µs CPU/event  %s  -> %5.2f ms CPU per 25-event call"
                  % (label, kind, r["cpu_us_per_event"], how, r["cpu_us_per_event"] * 25 / 1000))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=20000, help="events streamed end to end")
    ap.add_argument("--baseline-git", metavar="REV", help="also measure engine/switch/*.py as of this git revision")
    ap.add_argument("--baseline", metavar="DIR", help="also measure frames.py/connection.py/errors.py from DIR")
    ap.add_argument("--trickle", type=float, default=500.0, metavar="RATE",
                    help="also stream events at RATE/s, one per TCP write (20 calls/s x 25 events = 500); 0: no")
    ap.add_argument("--json-out", metavar="FILE", help="write the figures as JSON")
    args = ap.parse_args()
    corpus = load_corpus()
    impls = [current_impl()]
    if args.baseline_git or args.baseline:
        impls.insert(0, baseline_impl(args.baseline, args.baseline_git))
    results = [(impl.label, run(impl, corpus, args.events, args.trickle or None)) for impl in impls]
    print_report(results, corpus)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({label: res for label, res in results}, f, indent=1)


if __name__ == "__main__":
    main()
