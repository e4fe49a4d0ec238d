"""One failover run: scratch database with the demo center (12 agents, the 12366 flow: welcome, menu, queue, survey
after the talk), the simulated switch posting its CDRs to the console, two engines (`callcenter run`, one active, one
standby), callers at a steady rate, SIGKILL of the active engine at random moments (the killed one restarted as the
next standby once the other has taken over), the drain, then benchmarks/failover/compare.py."""
from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.load.control import Control
from benchmarks.load.harness import RunFailed, _env, _port_open, _stop, _tail, _wait, free_ports
from benchmarks.load.traffic import Traffic

from . import compare

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CREDS = "freeswitch:bench-failover"
DID = "12366"


@dataclasses.dataclass
class Scenario:
    kills: int = 5
    seconds: float = 90.0           # of arrivals
    cps: float = 1.0
    agents: int = 12                # the demo's agents 1001..1012
    seed: int = 12366
    ring: float = 1.0
    agent_talk: float = 12.0        # an agent's phone hangs up after this (the caller then hears the survey)
    keep: bool = False


class Engine:
    """One `callcenter run --no-sim --no-web --no-demo` process and its log."""

    def __init__(self, name: str, env: dict, work: Path):
        self.name, self.env, self.work = name, env, work
        self.log = work / f"engine-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        out = open(self.log, "ab")
        out.write(f"\n===== start {self.starts} =====\n".encode())
        out.flush()
        self.proc = subprocess.Popen([sys.executable, "-m", "engine", "run", "--no-sim", "--no-web", "--no-demo"],
                                     stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=str(self.work))

    def text(self) -> str:
        t = self.log.read_text(errors="replace") if self.log.exists() else ""
        return t.rsplit("===== start", 1)[-1]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def _phases(channels: list[dict]) -> Counter:
    """What the callers on the switch are doing (the engine's marks, and the switch's own state)."""
    out: Counter = Counter()
    bridged = {c["uuid"] for c in channels if c.get("bridged_to")}
    for c in channels:
        if c.get("direction") != "inbound":
            if not c.get("answered"):
                out["agent_ringing"] += 1
            continue
        v = c.get("variables") or {}
        phase = v.get("cc_phase") or ("parked" if c.get("parked") else "unmarked")
        if c["uuid"] in bridged:
            phase = "held" if c.get("callstate") == "HELD" else "bridged"
        elif phase == "ivr" and v.get("cc_node") == "survey":
            phase = "survey"
        out[phase] += 1
    return out


def _agents_logged_in(db_path: Path) -> set[str]:
    import sqlite3
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {no for no, state in con.execute("select employee_no, state from agents") if state != "logged_out"}
    finally:
        con.close()


def _first_new_command(ctl: Control, known: set, after: float) -> float | None:
    for c in ctl.get("/commands"):
        if c["conn"] not in known and c["t"] >= after:
            return float(c["t"])
    return None


def run(scn: Scenario, say=print) -> dict:
    rng = random.Random(scn.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    db_path = work / "center.db"
    db_url = f"sqlite:///{db_path}"
    esl_port, ctl_port, web_port = free_ports(3)
    env = _env(PROJECT_ROOT, {
        "CALLCENTER_ESL_HOST": "127.0.0.1", "CALLCENTER_ESL_PORT": str(esl_port), "CALLCENTER_DATABASE_URL": db_url,
        "CALLCENTER_PATHS_FLOWS_DIR": str(PROJECT_ROOT / "ivr_flows"),
        "CALLCENTER_PATHS_PROMPTS_DIR": str(PROJECT_ROOT / "ivr_flows" / "prompts"),
        "CALLCENTER_PATHS_RECORDINGS_DIR": str(work / "recordings"),
        "CALLCENTER_WEB_BIND": f"127.0.0.1:{web_port}", "CALLCENTER_WEB_DIRECTORY_CREDENTIALS": CREDS,
        "CALLCENTER_WEB_WORKERS": "1"})
    procs: list[subprocess.Popen] = []
    engines = [Engine("a", env, work), Engine("b", env, work)]
    failed = True
    try:
        seeded = subprocess.run([sys.executable, "-m", "engine", "db", "seed-demo"], env=env, cwd=str(work),
                                capture_output=True, text=True, timeout=120)
        if seeded.returncode:
            raise RunFailed(f"seeding failed:\n{seeded.stderr[-2000:]}")
        web = subprocess.Popen([sys.executable, "-m", "engine", "web"], env=env, cwd=str(work),
                               stdout=open(work / "web.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(web)
        _wait(lambda: _port_open(web_port), 60, "the console", web, work / "web.log")
        sim = subprocess.Popen([sys.executable, "-m", "engine.fsim", "--port", str(esl_port), "--control-port",
                                str(ctl_port), "--dialplan-dir", str(PROJECT_ROOT / "dialplans"), "--log-level",
                                "WARNING", "--xml-cdr-url", f"http://127.0.0.1:{web_port}/freeswitch/cdr",
                                "--xml-cdr-cred", CREDS], env=env, cwd=str(work),
                               stdout=open(work / "sim.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(sim)
        ctl = Control("127.0.0.1", ctl_port)
        _wait(lambda: ctl.get("/phones") is not None, 30, "the simulator", sim, work / "sim.log")
        for i in range(scn.agents):
            ctl.post("/phones", {"ext": str(1001 + i), "register": True, "behaviour": "answer",
                                 "answer_delay": scn.ring, "talk_time": scn.agent_talk})
        active, standby = engines
        active.start()
        _wait(lambda: "switch connected" in active.text(), 60, "engine a active", active.proc, active.log)
        standby.start()
        _wait(lambda: "standby:" in standby.text(), 60, "engine b waiting as standby", standby.proc, standby.log)
        time.sleep(2.0)
        logged_in = _agents_logged_in(db_path)
        say(f"bench-failover: {scn.cps:g} calls/s for {scn.seconds:g} s, {scn.kills} kills, {len(logged_in)} agents "
            f"logged in; scratch {work}")

        count = int(scn.cps * scn.seconds)
        t0 = time.time() + 0.5
        menu = [rng.choice("123") for _ in range(count)]
        bodies = [{"did": DID, "ani": f"1390000{i:04d}", "digits": menu[i] + rng.choice("12345"),
                   "patience": round(rng.uniform(40, 100), 1), "talk_time": round(rng.uniform(6, 18), 1)}
                  for i in range(count)]
        traffic = Traffic("127.0.0.1", ctl_port, count, scn.cps, t0, lambda i: bodies[i], workers=2).start()
        gap = scn.seconds / (scn.kills + 1)
        kill_at = sorted(t0 + gap * (k + 1) + rng.uniform(-gap / 3, gap / 3) for k in range(scn.kills))
        takeovers: list[float] = []
        queued_at_kills: set[str] = set()
        phases_total: Counter = Counter()
        for k, when in enumerate(kill_at):
            time.sleep(max(0.0, when - time.time()))
            channels = ctl.get("/channels")
            phases = _phases(channels)
            phases_total.update(phases)
            queued_at_kills |= {c["uuid"] for c in channels if c.get("direction") == "inbound"
                                and (c.get("variables") or {}).get("cc_phase") == "queued"
                                and not c.get("bridged_to")}
            known = {c["conn"] for c in ctl.get("/commands")}
            killed_at = time.time()
            active.kill()
            deadline = killed_at + 30
            took = None
            while took is None and time.time() < deadline:
                took = _first_new_command(ctl, known, killed_at)
                time.sleep(0.05)
            if took is None:
                raise RunFailed(f"kill {k + 1}: no engine took over within 30 s:\n{_tail(standby.log)}")
            takeovers.append(took - killed_at)
            say(f"  kill {k + 1} at t={killed_at - t0:5.1f} s: callers {dict(sorted(phases.items()))}; "
                f"engine {standby.name} took over in {took - killed_at:.2f} s")
            active.start()                  # back as the next standby
            active, standby = standby, active
            _wait(lambda: "standby:" in standby.text(), 60, f"engine {standby.name} back as standby", standby.proc,
                  standby.log)
        traffic.join()
        say(f"  all {count} callers placed; draining")
        deadline = time.time() + 180
        live: list[dict] = []
        while time.time() < deadline:
            live = ctl.get("/channels")
            if not live:
                break
            time.sleep(1.0)
        time.sleep(10.0)                    # CDRs settle (5 s) and are reconciled (every 2 s); records written
        calls_log = ctl.get("/calls_log")
        if scn.keep:
            (work / "calls_log.json").write_text(json.dumps(calls_log, default=str), encoding="utf-8")
        figs = compare.figures(calls_log, live, queued_at_kills, str(db_path), logged_in, takeovers)
        figs["_detail"]["phases_at_kills"] = dict(sorted(phases_total.items()))
        failed = False
        return figs
    finally:
        for e in engines:
            if e.proc is not None:
                _stop(e.proc, 15)
        for p in reversed(procs):
            _stop(p, 10)
        if scn.keep or failed:
            say(f"  scratch directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
