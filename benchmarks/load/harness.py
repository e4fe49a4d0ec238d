"""One load run: scratch database and flow, the simulated switch and the engine as their own processes,
callers at a constant rate, the drain, the figures (benchmarks/load/figures.py) from the switch's records."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from . import figures
from .control import Control, ControlError
from .traffic import Traffic
from .webload import WebLoad

PROJECT_ROOT = Path(__file__).resolve().parents[2]         # /work/main: the simulator always comes from here
HERE = Path(__file__).resolve().parent
DID = "95566"
QUEUE = SKILL = FLOW = "load_bench"
FLOW_YAML = f"""# written by benchmarks/load: straight to the queue, no prompt
name: {FLOW}
description: load benchmark (no prompts)
start: to_queue
nodes:
  to_queue: {{type: queue, queue: {QUEUE}}}
"""


@dataclasses.dataclass
class Scenario:
    agents: int = 20
    cps: float = 20.0
    seconds: float = 30.0
    ring: float = 1.0               # seconds an answering phone rings before it answers
    talk: float = 3.0               # seconds of talk, then the agent's phone hangs up
    patience: float = 20.0          # a caller gives up after this long unless bridged
    noanswer: int = 0               # how many of the agents' phones never answer
    ring_timeout: int = 20          # the queue's ring timeout (the real runs: 20 s)
    sessions_per_second: int = 30   # FreeSWITCH's defaults (switch.conf.xml), passed when the simulator has them
    max_sessions: int = 1000
    engine_root: Path = PROJECT_ROOT
    first_extension: int = 7001
    workers: int = 8                # HTTP connections placing the calls
    keep: bool = False              # keep the scratch directory (logs, database)
    engine_log_level: str = "WARNING"
    drain_timeout: float | None = None
    web_load: int = 0               # clients logging in to the console with wrong passwords during the arrivals

    @property
    def calls(self) -> int:
        return int(round(self.cps * self.seconds))

    def extensions(self) -> list[str]:
        return [str(self.first_extension + i) for i in range(self.agents)]

    def answers(self, index: int) -> bool:
        """The first `noanswer` phones never answer."""
        return index >= self.noanswer


class RunFailed(RuntimeError):
    """The run could not be carried out (a process did not start, the engine never connected...)."""


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads) from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


BENCH_ESL_PASSWORD = "bench-esl-" + secrets.token_hex(8)     # outside demo mode no shipped secret is accepted


def _env(pythonpath: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process: this checkout first, no CALLCENTER_* of the caller's, and secrets of
    the run's own (the engine and the console refuse the shipped ones outside demo mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env["PYTHONPATH"] = str(pythonpath)
    env["PYTHONUNBUFFERED"] = "1"
    env.update({"CALLCENTER_WEB_SECRET_KEY": _RUN_SECRET_KEY,
                "CALLCENTER_WEB_DIRECTORY_CREDENTIALS": "freeswitch:bench-" + _RUN_SECRET_KEY[:12],
                "CALLCENTER_ESL_PASSWORD": BENCH_ESL_PASSWORD, "CALLCENTER_KEYS_RECORDINGS": _RUN_RECORDING_KEY,
                "CALLCENTER_KEYS_DATA": _RUN_DATA_KEY})
    env.update(extra or {})
    return env


_RUN_SECRET_KEY = secrets.token_hex(32)
_RUN_RECORDING_KEY = __import__("engine.sealing", fromlist=["new_key"]).new_key()
_RUN_DATA_KEY = __import__("engine.store.sealed", fromlist=["new_key"]).new_key()


def _stop(proc: subprocess.Popen | None, timeout: float) -> int | None:
    """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _epoch(value) -> float:
    """A stored timestamp (SQLite text, naive = UTC) as epoch seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    d = dt.datetime.fromisoformat(str(value))
    return (d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)).timestamp()


def read_engine_db(path: Path) -> dict:
    """The engine's own view after the run: logins over time, offers' results, not-ready changes, final states."""
    out: dict = {"logins": {}, "offers": {}, "not_ready": {}, "final": {}, "call_records": None, "recordings": {}}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return out
    try:
        ext = dict(con.execute("select id, extension from agents"))
        changes: dict[str, list] = {}
        for agent_id, at, to_state, reason in con.execute(
                "select agent_id, at, to_state, reason from agent_state_changes order by at, id"):
            e = ext.get(agent_id)
            if e is None:
                continue
            changes.setdefault(e, []).append((_epoch(at), to_state != "logged_out"))
            if to_state == "not_ready":
                out["not_ready"][reason or "?"] = out["not_ready"].get(reason or "?", 0) + 1
        out["logins"] = changes
        out["offers"] = dict(Counter(r for (r,) in con.execute("select result from call_offers")))
        out["final"] = dict(Counter(
            f"{s}/{r}" if r else s for s, r in con.execute("select state, not_ready_reason from agents")))
        out["call_records"] = con.execute("select count(*) from call_records").fetchone()[0]
        out["recordings"] = dict(con.execute("select status, count(*) from recordings group by status"))
    except sqlite3.Error as exc:
        out["error"] = str(exc)
    finally:
        con.close()
    return out


def seed(engine_root: Path, work: Path, db_url: str, exts: list[str], scn: Scenario) -> None:
    """The scratch database: migrated and seeded by the engine under test's own code (seed_db.py)."""
    spec = {"database_url": db_url, "agents": [[e, f"L{e}"] for e in exts], "queue": QUEUE, "skill": SKILL,
            "number": DID, "flow": FLOW, "ring_timeout_s": scn.ring_timeout, "wrap_up_s": 0,
            "max_wait_s": int(max(600, scn.patience * 10))}
    seeded = subprocess.run([sys.executable, str(HERE / "seed_db.py"), json.dumps(spec)], capture_output=True,
                            text=True, env=_env(engine_root), cwd=str(work), timeout=120)
    if seeded.returncode:
        raise RunFailed(f"seeding the database failed:\n{seeded.stderr[-2000:]}")


def engine_figures(db: dict) -> dict:
    """The engine's own view (read_engine_db) as figures: offers' results, not-ready changes, final states, how many
    call records and recordings (by status) it wrote."""
    return {"engine_offer_results": db["offers"], "engine_not_ready_changes": db["not_ready"],
            "engine_agents_at_end": db["final"], "engine_call_records": db["call_records"],
            "engine_recordings": db["recordings"]}


def engine_settled(db_path: Path, callers: int, timeout: float) -> bool:
    """Wait until the engine has written a call record for each of `callers` and closed every recording (its store
    coalesces writes, and closes a recording the switch never reported 5 s after its call): the harness stops the
    engine only then, so the figures see what the engine wrote, not where a stop cut it."""
    deadline = time.time() + timeout
    while True:
        if _written(db_path, callers):
            return True
        if time.time() >= deadline:
            return False
        time.sleep(0.25)


def _written(db_path: Path, callers: int) -> bool:
    """Two counts, not the whole of read_engine_db: this is polled."""
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        records = con.execute("select count(*) from call_records").fetchone()[0]
        open_recordings = con.execute("select count(*) from recordings where status = 'recording'").fetchone()[0]
        return records >= callers and not open_recordings
    except sqlite3.Error:
        return False
    finally:
        con.close()


def run(scn: Scenario, say=print) -> dict:
    """Carry out the run and return its figures (benchmarks/load/figures.py keys plus the harness's extras)."""
    engine_root = Path(scn.engine_root).resolve()
    if not (engine_root / "engine" / "cli.py").is_file():
        raise RunFailed(f"{engine_root} is not an engine checkout (no engine/cli.py)")
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (work / "flows").mkdir()
    (work / "recordings").mkdir()
    (work / "flows" / f"{FLOW}.yaml").write_text(FLOW_YAML, encoding="utf-8")
    db_path = work / "load.db"
    db_url = f"sqlite:///{db_path}"
    esl_port, ctl_port, web_port = free_ports(3)
    exts = scn.extensions()
    phones = {e: scn.answers(i) for i, e in enumerate(exts)}
    sim = engine = None
    failed = True
    try:
        seed(engine_root, work, db_url, exts, scn)

        # ---- the simulated switch (always from this checkout), with FreeSWITCH's session limits
        args = [sys.executable, "-m", "engine.fsim", "--host", "127.0.0.1", "--port", str(esl_port),
                "--password", BENCH_ESL_PASSWORD, "--control-port", str(ctl_port),
                "--dialplan-dir", str(PROJECT_ROOT / "dialplans"), "--time-scale", "1", "--log-level", "WARNING",
                "--sessions-per-second", str(scn.sessions_per_second), "--max-sessions", str(scn.max_sessions)]
        sim_log = open(work / "sim.log", "wb")
        sim = subprocess.Popen(args, stdout=sim_log, stderr=subprocess.STDOUT, env=_env(PROJECT_ROOT), cwd=str(work))
        ctl = Control("127.0.0.1", ctl_port)
        _wait(lambda: _answers(ctl, "/phones"), 30, "the simulator's control API", sim, work / "sim.log")
        for i, e in enumerate(exts):
            ctl.post("/phones", {"ext": e, "register": True, "behaviour": "answer" if phones[e] else "no_answer",
                                 "answer_delay": scn.ring, "talk_time": scn.talk})
        limits = f"{scn.sessions_per_second} sessions/s, max {scn.max_sessions} sessions"
        say(f"bench-load: {scn.agents} agents ({scn.noanswer} never answer), {scn.cps:g} calls/s for "
            f"{scn.seconds:g} s ({scn.calls} calls), ring {scn.ring:g} s, talk {scn.talk:g} s, patience "
            f"{scn.patience:g} s, ring timeout {scn.ring_timeout} s")
        say(f"  switch: simulator of {PROJECT_ROOT} at ESL 127.0.0.1:{esl_port}, control :{ctl_port}; {limits}")
        say(f"  engine: {engine_root}; scratch {work}")

        # ---- the engine alone, as its own process
        env = _env(engine_root, {
            "CALLCENTER_ESL_HOST": "127.0.0.1", "CALLCENTER_ESL_PORT": str(esl_port),
            "CALLCENTER_ESL_PASSWORD": BENCH_ESL_PASSWORD, "CALLCENTER_DATABASE_URL": db_url,
            "CALLCENTER_PATHS_FLOWS_DIR": str(work / "flows"),
            "CALLCENTER_PATHS_RECORDINGS_DIR": str(work / "recordings"),
            "CALLCENTER_SWITCH_RING_TIMEOUT": str(scn.ring_timeout),
            "CALLCENTER_WEB_BIND": f"127.0.0.1:{web_port}", "CALLCENTER_SIM_CONTROL_PORT": str(ctl_port),
            "BENCH_ENGINE_LOG_LEVEL": scn.engine_log_level})
        engine_log = open(work / "engine.log", "wb")
        engine = subprocess.Popen([sys.executable, str(HERE / "engine_main.py")], stdout=engine_log,
                                  stderr=subprocess.STDOUT, env=env, cwd=str(work))
        _wait(lambda: any("show channels" in c.get("command", "") for c in ctl.get("/commands")), 60,
              "the engine to connect to the switch", engine, work / "engine.log")
        time.sleep(1.0)     # the engine lists the switch's channels, then serves
        idle0, idle_t0 = cpu_seconds(engine.pid), time.time()
        time.sleep(2.0)     # the engine's own CPU with no calls (console requests, configuration reloads)
        idle_cpu_ms_per_s = (cpu_seconds(engine.pid) - idle0) * 1000 / (time.time() - idle_t0)
        if engine.poll() is not None:
            raise RunFailed(f"the engine exited ({engine.returncode}):\n{_tail(work / 'engine.log')}")

        # ---- the console in its own processes, under a load of wrong-password logins (WEBLOAD=N)
        web_figures: dict = {}
        if scn.web_load:
            web_log = open(work / "web.log", "wb")
            web = subprocess.Popen([sys.executable, "-m", "engine", "web"], stdout=web_log, stderr=subprocess.STDOUT,
                                   env=env, cwd=str(work))
            _wait(lambda: _port_open(web_port), 60, "the console to listen", web, work / "web.log")
            webload = WebLoad("127.0.0.1", web_port, scn.web_load).start()
            say(f"  console: gunicorn at :{web_port}, {scn.web_load} clients logging in with wrong passwords")

        # ---- callers at a constant rate
        cpu0, sim_cpu0 = cpu_seconds(engine.pid), cpu_seconds(sim.pid)
        wall0 = time.time()
        t0 = wall0 + 0.5
        traffic = Traffic("127.0.0.1", ctl_port, scn.calls, scn.cps, t0, lambda i: {
            "did": DID, "ani": f"139{i:08d}", "caller_name": "", "patience": scn.patience}, scn.workers).start()
        next_line = t0 + _progress_every(scn.seconds)
        while not traffic.join(0.2):
            if time.time() >= next_line:
                next_line += _progress_every(scn.seconds)
                say(_progress(ctl, traffic, t0, phones))
            if engine.poll() is not None:
                raise RunFailed(f"the engine exited during the run ({engine.returncode}):\n"
                                f"{_tail(work / 'engine.log')}")
        say(_progress(ctl, traffic, t0, phones) + "  (all placed)")
        if scn.web_load:
            web_figures = webload.stop()
            _stop(web, 10)
            say(f"  console load: {web_figures['web_logins']} wrong-password logins "
                f"({web_figures['web_logins_per_s']}/s, {web_figures['web_login_errors']} errors)")

        # ---- let every call finish: callers bridged or gone, agent legs hung up, channels destroyed
        drain_limit = scn.drain_timeout or (scn.patience + scn.ring_timeout + scn.ring + scn.talk + 30)
        deadline = time.time() + drain_limit
        next_line = time.time() + 2
        live: list[dict] = []
        while time.time() < deadline:
            live = ctl.get("/channels")
            if not live:
                break
            if time.time() >= next_line:
                next_line += 2
                callers = sum(1 for c in live if c.get("direction") == "inbound")
                say(f"  draining: {len(live)} channels alive ({callers} callers)")
            time.sleep(0.25 if len(live) < 100 else 1.0)    # a big /channels costs the switch time
        else:
            live = ctl.get("/channels")
        drained_after = time.time() - (t0 + scn.seconds)
        cpu1, sim_cpu1 = cpu_seconds(engine.pid), cpu_seconds(sim.pid)
        wall1 = time.time()
        stuck = [{k: c.get(k) for k in ("uuid", "direction", "name", "callstate", "application", "bridged_to")}
                 for c in live]
        if stuck:
            say(f"  {len(stuck)} channels still alive {drain_limit:.0f} s after the last call: hanging them up")
            for c in stuck:
                try:
                    ctl.post(f"/calls/{c['uuid']}/hangup", {"cause": "MANAGER_REQUEST"})
                except ControlError:
                    pass
            time.sleep(1.0)
        else:
            say(f"  drained {max(0.0, drained_after):.1f} s after the last call was due")
        calls_log = ctl.get("/calls_log")
        status, refused_list = ctl.request("GET", "/refused")
        cap_status, capacity = ctl.request("GET", "/capacity")
        capacity = capacity if cap_status == 200 and isinstance(capacity, dict) else {}
        if scn.keep:        # the switch's records, for looking into a run afterwards
            (work / "calls_log.json").write_text(json.dumps(calls_log, default=str), encoding="utf-8")
            (work / "commands.json").write_text(json.dumps(ctl.get("/commands"), default=str), encoding="utf-8")
        ctl.close()

        # ---- stop everything once the engine has written what it owes, then read its database
        if not engine_settled(db_path, len(traffic.admitted()), 10.0):
            say("  the engine had not written every call record 10 s after the drain")
        engine_rc = _stop(engine, 20)
        engine = None
        sim_rc = _stop(sim, 10)
        sim = None
        db = read_engine_db(db_path)
        admitted = {p.uuid for p in traffic.admitted()}
        fig = figures.compute(figures.RunInputs(
            calls_log=calls_log, admitted=admitted, phones=phones, logins=db["logins"], run_start=t0,
            seconds=scn.seconds, ring=scn.ring, talk=scn.talk, cps=scn.cps, live_after=stuck))
        bridged = fig["bridged"]
        cpu = cpu1 - cpu0
        lateness = traffic.lateness_ms()
        fig.update({
            "controller_cpu_ms_per_call": round(cpu * 1000.0 / bridged, 2) if bridged else None,
            "offered": scn.calls,
            "refused_invites": traffic.refused(),
            "placement_failed": len(traffic.failed()),
            "placement_late_ms_p99": None if not lateness else round(figures.percentile(lateness, 99), 1),
            "switch_refused_listed": len(refused_list) if status == 200 and isinstance(refused_list, list) else None,
            "refused_agent_legs": capacity.get("refused_originates"),
            "switch_sps_peak": capacity.get("sps_peak"),
            "switch_sessions_peak": capacity.get("sessions_peak"),
            "controller_cpu_s": round(cpu, 3),
            "controller_cpu_ms_per_admitted_call": round(cpu * 1000.0 / len(admitted), 2) if admitted else None,
            "controller_cpu_share": round(cpu / (wall1 - wall0), 3) if wall1 > wall0 else None,
            "controller_idle_cpu_ms_per_s": round(idle_cpu_ms_per_s, 1),
            "sim_cpu_share": round((sim_cpu1 - sim_cpu0) / (wall1 - wall0), 3) if wall1 > wall0 else None,
            "drain_s": round(max(0.0, drained_after), 1),
            **engine_figures(db),
            **web_figures,
            "noanswer": scn.noanswer, "seconds": scn.seconds, "ring_s": scn.ring, "talk_s": scn.talk,
            "patience_s": scn.patience, "ring_timeout_s": scn.ring_timeout,
            "sim_sessions_per_second": scn.sessions_per_second,
            "sim_max_sessions": scn.max_sessions,
            "engine_root": str(engine_root),
            "engine_exit": engine_rc, "sim_exit": sim_rc,
        })
        if stuck:
            fig["stuck_detail"] = stuck[:10]
        failed = False
        return fig
    finally:
        _stop(engine, 20)
        _stop(sim, 10)
        if scn.keep or failed:
            say(f"  scratch directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _answers(ctl: Control, path: str) -> bool:
    try:
        ctl.get(path)
        return True
    except (ControlError, OSError):
        return False


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RunFailed(f"waiting for {what}: the process exited ({proc.returncode}):\n{_tail(log)}")
        try:
            if predicate():
                return
        except (ControlError, OSError):
            pass
        time.sleep(0.1)
    raise RunFailed(f"timed out after {timeout:.0f} s waiting for {what}:\n{_tail(log)}")


def _progress_every(seconds: float) -> float:
    return 1.0 if seconds <= 20 else 2.0 if seconds <= 60 else 5.0


def _progress(ctl: Control, traffic: Traffic, t0: float, phones: dict[str, bool]) -> str:
    try:
        listed = ctl.get("/phones")
        by_ext = {p["ext"]: p for p in listed}
        busy = sum(1 for e in phones if by_ext.get(e, {}).get("active_calls"))
        idle = sum(1 for e, ok in phones.items() if ok and not by_ext.get(e, {}).get("active_calls"))
        phones_text = f"phones with a leg {busy}/{len(phones)}, answering phones idle {idle}"
    except (ControlError, OSError) as exc:
        phones_text = f"phones: {exc}"
    late = traffic.lateness_ms()
    return (f"  t={max(0.0, time.time() - t0):6.1f} s  placed {traffic.sent():5d}/{traffic.count}  refused "
            f"{traffic.refused():4d}  {phones_text}  (pacing late p99 "
            f"{(figures.percentile(late, 99) or 0.0):.0f} ms)")
