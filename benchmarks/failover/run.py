"""One failover run: the scratch database seeded with the failover center (scenario.py), the console, the simulated
switch with the agents' phones, two engines (one active, one standby), callers from the plan, the floor driver
(callback keys, holds, consultations), SIGKILL of the active engine at each planned moment (the killed one started
again as the next standby once the other has taken over), the drain, then the comparison (compare.py)."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.load.control import Control, ControlError
from benchmarks.load.harness import RunFailed, _stop, _wait, free_ports
from benchmarks.load.traffic import Traffic

from . import compare, dbread, scenario
from .floor import CALL_OVER, Consults, Cti, FloorDriver, classify, consulting
from .processes import Engine, ScratchDatabase, agent_spec, engine_env, seed, start_console, start_switch, write_flows
from .scenario import Scenario
from .takeover import Takeover, takeover

TAKEOVER_TIMEOUT_S = 30.0
SETTLE_S = 12.0             # after the drain: CDRs settle 5 s in the engine, are polled every 2 s, then written
ISSUE = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b\s+(\S+): (.*)")
VOLATILE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b\w*\d[\w.]*\b")


@dataclasses.dataclass
class Kill:
    number: int
    engine: str
    at: float
    phases: Counter
    waiting: dict[str, dict]
    pending_callbacks: int
    consulting: dict[str, str] = dataclasses.field(default_factory=dict)    # caller uuid -> floor.consulting
    takeover: Takeover | None = None


class Run:
    """The processes and what was seen; `carry_out()` returns (figures, detail)."""

    def __init__(self, scn: Scenario, say=print):
        self.scn, self.say = scn, say
        self.plan = scenario.plan(scn)
        self.work = Path(tempfile.mkdtemp(prefix="bench-failover-"))
        (self.work / "recordings").mkdir()
        write_flows(self.work)
        self.db = ScratchDatabase(self.work, scn.database_url)
        self.esl_port, self.ctl_port, self.web_port = free_ports(3)
        self.env = engine_env(self.work, self.db.url, self.esl_port, self.web_port)
        self.ctl = Control("127.0.0.1", self.ctl_port)
        self.procs: list = []
        self.engines = [Engine("a", self.env, self.work), Engine("b", self.env, self.work)]
        self.kills: list[Kill] = []
        self.logged_in_before: dict[str, str] = {}
        self.t0 = 0.0

    # ------------------------------------------------------------------ the whole run
    def carry_out(self) -> tuple[dict, dict]:
        failed = True
        try:
            self._start()
            self.t0 = t0 = time.time() + 1.0
            traffic = self._traffic(t0).start()
            agents = agent_spec(self.scn)
            users = {a["employee_no"]: (a["username"], a["password"]) for a in agents}
            consults = Consults(list(self.plan.consult_at),
                                {a["employee_no"]: self.plan.phone_talk[a["extension"]] for a in agents},
                                self.scn.ring, lambda: dbread.ready_agents(self.db.url))
            driver = FloorDriver(self.ctl_port, Cti(self.web_port, users), traffic, list(self.plan.callers),
                                 list(self.plan.hold_at), t0, self.scn.seed, consults).start()
            for k, offset in enumerate(self.plan.kill_at):
                self._kill(k + 1, t0 + offset, t0, driver)
            traffic.join()
            self.say(f"  all {traffic.sent()} callers placed ({len(traffic.admitted())} admitted, "
                     f"{traffic.refused()} refused, {len(traffic.failed())} failed); draining")
            live = self._drain()
            driver.stop()
            result = self._compare(live, driver)
            failed = False
            return result
        finally:
            self._stop_all()
            if self.scn.keep or failed:
                kept = f" (and the database {self.db.describe()})" if self.db.name else ""
                self.say(f"  scratch directory kept: {self.work}{kept}")
            else:
                shutil.rmtree(self.work, ignore_errors=True)
                self.db.drop()

    def _start(self) -> None:
        scn = self.scn
        self.db.create()
        seed(self.work, self.db.url, scn)
        self.procs.append(start_console(self.work, self.env, self.web_port))
        sim = start_switch(self.work, self.env, self.esl_port, self.ctl_port, self.web_port)
        self.procs.append(sim)
        _wait(lambda: self.ctl.get("/phones") is not None, 30, "the switch's control API", sim, self.work / "sim.log")
        for ext in scn.extensions():
            self.ctl.post("/phones", {"ext": ext, "register": True, "behaviour": "answer", "answer_delay": scn.ring,
                                      "talk_time": self.plan.phone_talk[ext]})
        active, standby = self.engines
        active.start()
        active.wait_for("switch connected", 60, "to command the switch")
        standby.start()
        standby.wait_for("standby:", 60, "to wait as standby")
        time.sleep(1.0)
        callers = self.plan.callers
        self.say(f"bench-failover: {len(callers)} callers over {scn.seconds:g} s (Poisson, {scn.cps:g}/s), "
                 f"{scn.agents} agents (and {scn.consultants} to consult), {len(self.plan.kill_at)} kills at t="
                 + ", ".join(f"{k:.1f}" for k in self.plan.kill_at) + f" s, seed {scn.seed}")
        self.say(f"  database {self.db.describe()}; scratch {self.work}")
        self.say(f"  callers: {sum(c.did == scenario.IVR_DID for c in callers)} through the IVR, "
                 f"{sum(c.did == scenario.DIRECT_DID for c in callers)} straight to the queue, "
                 f"{sum(c.patience < scenario.PATIENT_S[0] for c in callers)} impatient, "
                 f"{sum(c.callback_after is not None for c in callers)} asking for a callback; "
                 f"{len(self.plan.hold_at)} holds and {len(self.plan.consult_at)} consultations planned")

    def _traffic(self, t0: float) -> Traffic:
        """The plan's callers at their own moments (Traffic places them at `due`)."""
        callers = self.plan.callers
        traffic = Traffic("127.0.0.1", self.ctl_port, len(callers), 1.0, t0, lambda i: callers[i].body(), workers=4)
        for placed, caller in zip(traffic.placed, callers):
            placed.due = t0 + caller.at
        return traffic

    # ------------------------------------------------------------------ one kill
    def _kill(self, number: int, when: float, t0: float, driver: FloorDriver) -> None:
        active, standby = self.engines
        time.sleep(max(0.0, when - time.time()))
        if active.proc.poll() is not None:
            raise RunFailed(f"engine {active.name} exited on its own ({active.proc.returncode}) before kill {number}:"
                            f"\n{active.tail()}")
        if number == 1:
            self.logged_in_before = dbread.logged_in(self.db.url)
        pending = dbread.pending_callbacks(self.db.url)
        channels = self.ctl.get("/channels")
        phases, waiting = classify(channels, set(driver.pressed()))
        killed_at = active.kill()
        kill = Kill(number, active.name, killed_at, phases, waiting, pending, consulting(channels))
        self.kills.append(kill)
        late = killed_at - when
        standby.wait_for("switch connected", TAKEOVER_TIMEOUT_S, "to take over")
        active.start()                              # back, as the next standby
        active.wait_for("standby:", 60, "to wait as standby again")
        time.sleep(max(0.0, killed_at + 4.0 - time.time()))
        kill.takeover = takeover(self.ctl.get("/commands"), killed_at)
        self.engines = [standby, active]
        self.say(_kill_line(kill, killed_at - t0, standby.name, late))

    # ------------------------------------------------------------------ the end
    def _drain(self) -> list[dict]:
        """Wait until the switch has no channel and no callback is pending (or only callbacks are left, for 20 s),
        then until the engine has written what it owes (records stable, CDRs reconciled)."""
        deadline = time.time() + self.scn.drain_timeout_s
        next_line = time.time() + 5
        empty_since = None
        live: list[dict] = []
        pending = 0
        while time.time() < deadline:
            live = self.ctl.get("/channels")
            pending = dbread.pending_callbacks(self.db.url)
            empty_since = (empty_since or time.time()) if not live else None
            if not live and (not pending or time.time() - empty_since > 20):
                break
            if time.time() >= next_line:
                next_line += 5
                callers = sum(1 for c in live if c.get("direction") == "inbound")
                self.say(f"  draining: {len(live)} channels ({callers} callers), {pending} callbacks pending")
            time.sleep(1.0)
        else:
            self.say(f"  {len(live)} channels still alive {self.scn.drain_timeout_s:.0f} s after the arrivals")
        if not live and pending:
            self.say(f"  the switch is empty but {pending} callback(s) are still pending in the database")
        time.sleep(SETTLE_S)
        before, stable_since = -1, time.time()
        while time.time() - stable_since < 3.0 and time.time() < stable_since + 30:
            count = dbread.record_count(self.db.url)
            if count != before:
                before, stable_since = count, time.time()
            time.sleep(0.5)
        return self.ctl.get("/channels")

    def _compare(self, live: list[dict], driver: FloorDriver) -> tuple[dict, dict]:
        calls_log = self.ctl.get("/calls_log")
        commands = self.ctl.get("/commands")
        snap = dbread.snapshot(self.db.url)
        if self.scn.keep:
            for name, data in (("calls_log", calls_log), ("commands", commands), ("channels_at_end", live)):
                (self.work / f"{name}.json").write_text(json.dumps(data, default=str), encoding="utf-8")
        # the final takeover times, from the whole command log (each up to the next kill)
        ends = [k.at for k in self.kills[1:]] + [None]
        for kill, until in zip(self.kills, ends):
            kill.takeover = takeover(commands, kill.at, until)
        seconds = [k.takeover.seconds for k in self.kills if k.takeover.seconds is not None]
        if len(seconds) < len(self.kills):
            raise RunFailed(f"{len(self.kills) - len(seconds)} kill(s) with no command from a new engine")
        outages = [(k.at, k.at + k.takeover.seconds) for k in self.kills]
        queued = {u: k.at for k in reversed(self.kills) for u in k.waiting}
        consulting_at: dict[str, str] = {}
        for k in self.kills:
            for u, phase in k.consulting.items():
                consulting_at[u] = ", ".join(filter(None, (consulting_at.get(u), f"kill {k.number}: {phase}")))
        figs, detail = compare.figures(calls_log, live, snap, queued, driver.pressed(),
                                       set(self.logged_in_before), seconds, outages, self.t0, consulting_at)
        detail = {"kills_at": [round(k.at - self.t0, 2) for k in self.kills],
                  "phases_at_kills": dict(sum((k.phases for k in self.kills), Counter())),
                  "takeovers": [{"connected": k.takeover.after(k.takeover.connected),
                                 "listed": k.takeover.after(k.takeover.listed),
                                 "commanding": k.takeover.after(k.takeover.commanding),
                                 "first": k.takeover.first_command} for k in self.kills],
                  **detail,
                  "holds": {"requested": len(driver.holds),
                            "accepted": sum(h.status == 202 for h in driver.holds),
                            "taken_off_hold": sum(h.unhold_status == 202 for h in driver.holds),
                            "ended_on_hold": sum(h.unhold_status == CALL_OVER for h in driver.holds)},
                  "floor_consultations": _consult_report(driver),
                  "driver_errors": dict(driver.errors),
                  "engine_log_issues": self._log_issues()}
        return figs, detail

    def _log_issues(self) -> dict[str, int]:
        """WARNING/ERROR/CRITICAL lines of both engines' logs, with uuids and numbers blanked, by count."""
        found: Counter = Counter()
        for engine in self.engines:
            text = engine.log.read_text(errors="replace") if engine.log.exists() else ""
            for m in ISSUE.finditer(text):
                found[f"{m.group(1)} {m.group(2)}: {VOLATILE.sub('#', m.group(3))[:140]}"] += 1
            found["Traceback"] += text.count("Traceback (most recent call last)")
        if not found["Traceback"]:
            del found["Traceback"]
        return dict(found.most_common(25))

    def _stop_all(self) -> None:
        for engine in reversed(self.engines):       # the standby first: it must not take over at the end
            if engine.proc is not None:
                engine.stop()
        for proc in reversed(self.procs):
            _stop(proc, 10)
        self.ctl.close()


def _consult_report(driver: FloorDriver) -> dict:
    """The floor's consultations: planned, started (the consult request accepted by the console), missed (by why),
    how each went (by the ending asked for) and what the switch showed (Consult.outcome)."""
    started = [c for c in driver.consults if c.status == 202]
    return {"planned": len(driver.plan.at), "started": len(started), "missed": dict(driver.consults_missed),
            "asked": dict(Counter(c.ending for c in started)),
            "outcomes": dict(Counter(c.outcome or f"unfinished ({c.stage()})" for c in driver.consults))}


def _kill_line(kill: Kill, t: float, new: str, late: float) -> str:
    tk = kill.takeover
    phases = ", ".join(f"{k} {v}" for k, v in sorted(kill.phases.items())) or "none"
    timing = (f"connected +{tk.after(tk.connected)} s, listed +{tk.after(tk.listed)} s, commanding "
              f"+{tk.after(tk.commanding)} s ({tk.first_command})") if tk and tk.connected else "no new connection"
    return (f"  kill {kill.number} at t={t:5.1f} s{f' ({late:.1f} s late)' if late > 0.5 else ''}: engine "
            f"{kill.engine} killed; callers: {phases}; callbacks pending {kill.pending_callbacks}; engine {new} "
            f"took over: {timing}")


def run(scn: Scenario, say=print) -> tuple[dict, dict]:
    """Carry out the run; (figures for the last line, the detail behind them)."""
    try:
        return Run(scn, say).carry_out()
    except (ControlError, OSError) as exc:
        raise RunFailed(f"{type(exc).__name__}: {exc}") from exc
