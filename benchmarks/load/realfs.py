"""One load run on a real FreeSWITCH: the scenario of bench_load (benchmarks/load/harness.py) with SIPp phones and
callers instead of the simulator's, and the figures (benchmarks/load/figures.py) from the switch's own events.

What it needs (nothing here builds or configures FreeSWITCH; the suite never runs this):
* a FreeSWITCH on this machine with the README's overlay (dialplans/public/zz_callcenter.xml in the public context),
  its stock directory users 1000... (password 1234) on the internal profile (5060), the external profile (5080,
  context public) for callers, the event socket (default 127.0.0.1:8021) with a password of its own (the engine
  refuses FreeSWITCH's stock ClueCon outside demo mode: `callcenter init --freeswitch-conf`, then
  `--freeswitch host:port:password`), and the stock switch.conf.xml
  limits (sessions-per-second 30, max-sessions 1000) unless the run is about other limits;
* Debian's sipp.

Each agent is a SIPp phone (benchmarks/load/sipp.py) registered as its directory user; callers come from one SIPp
UAC at CPS calls per second (-r) to the published number on the external profile. An observer on its own event
socket connection records CHANNEL_CREATE/ANSWER/BRIDGE/HANGUP/DESTROY with the switch's event timestamps and turns
them into the records the simulator's GET /calls_log gives, so every figure is computed by the same code; on
CHANNEL_BRIDGE of a caller it sends ``uuid_send_info`` so that caller stops its patience timer (SIPp hears no
media). The CPU of the engine and of FreeSWITCH are both read from /proc, so ``controller_cpu_share_of_switch``
compares the controller with the switch on the same box.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from engine.switch.frames import parse_header_block, parse_plain_event

from . import figures, sipp
from .harness import (DID, FLOW, FLOW_YAML, HERE, RunFailed, Scenario, _env, _stop, _tail, cpu_seconds,
                      engine_figures, engine_settled, free_ports, read_engine_db, seed)

EVENTS = "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY"
KEPT_VARS = ("dialed_user",) + figures.PARTNER_VARS


@dataclasses.dataclass
class RealSwitch:
    esl_host: str = "127.0.0.1"
    esl_port: int = 8021
    esl_password: str = "ClueCon"
    sip_ip: str = ""                 # the address FreeSWITCH's SIP profiles listen on (default: its local_ip_v4)
    internal_port: int = 5060        # phones register here
    external_port: int = 5080        # callers arrive here (context public)
    user_password: str = "1234"      # the stock directory's password
    pid: int | None = None           # FreeSWITCH's process (default: found with pgrep)
    phone_base_port: int = 16000
    # the engine's CPU scheduling: FreeSWITCH runs its threads SCHED_FIFO/RR (switch_core.c
    # set_realtime_priority; Debian's unit: CPUSchedulingPolicy=rr), so on a box it shares, a busy switch starves
    # a normal-priority controller. An integer runs the engine with `chrt -r <prio>`, as a deployment would.
    engine_rt_priority: int | None = None
    # who runs the queue: "engine" (this project), or "mod_callcenter" (FreeSWITCH's own, for a side-by-side run:
    # its stock queue support@default, longest-idle-agent; the agents are added with callcenter_config for the
    # run and removed after; callers dial MOD_CALLCENTER_DID, which the switch must route to the callcenter app)
    controller: str = "engine"


MOD_CALLCENTER_DID = "95567"
MOD_CALLCENTER_QUEUE = "support@default"
# what the public context needs for the mod_callcenter run (put it before the overlay's zz_callcenter.xml, which
# takes every number no stock extension serves), e.g. in dialplan/public/000_bench_mod_callcenter.xml
MOD_CALLCENTER_EXTENSION = f"""<include>
  <extension name="bench_mod_callcenter">
    <condition field="destination_number" expression="^{MOD_CALLCENTER_DID}$">
      <action application="answer"/>
      <action application="callcenter" data="{MOD_CALLCENTER_QUEUE}"/>
      <action application="hangup"/>
    </condition>
  </extension>
</include>"""


def _mod_callcenter_agents(ctl: "Esl", exts: list[str], ring_timeout: int, add: bool) -> None:
    """Add (Available, wrap-up 0, tier 1 of the stock queue) or remove the run's agents in mod_callcenter."""
    for e in exts:
        name = f"{e}@default"
        if not add:
            ctl.api(f"callcenter_config tier del {MOD_CALLCENTER_QUEUE} {name}")
            ctl.api(f"callcenter_config agent del {name}")
            continue
        for line in (f"agent add {name} callback",
                     f"agent set contact {name} [leg_timeout={ring_timeout}]user/{e}",
                     f"agent set wrap_up_time {name} 0",
                     f"agent set status {name} Available",
                     f"tier add {MOD_CALLCENTER_QUEUE} {name} 1 1"):
            reply = ctl.api(f"callcenter_config {line}").strip()
            if not reply.startswith("+OK"):
                raise RunFailed(f"mod_callcenter refused `callcenter_config {line}`: {reply}")


class Esl:
    """A small blocking event-socket client: one connection, api/bgapi, and a reader for events."""

    def __init__(self, host: str, port: int, password: str, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        head, _ = self.frame()
        if head.get("Content-Type") != "auth/request":
            raise RunFailed(f"{host}:{port} is not a FreeSWITCH event socket ({head})")
        self.send(f"auth {password}")
        head, _ = self.frame()
        if not head.get("Reply-Text", "").startswith("+OK"):
            raise RunFailed(f"the event socket refused the password: {head.get('Reply-Text')}")

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n\n")

    def frame(self) -> tuple[dict[str, str], bytes]:
        while b"\n\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("event socket closed")
            self.buf += chunk
        block, self.buf = self.buf.split(b"\n\n", 1)
        head = parse_header_block(block)
        n = int(head.get("Content-Length", "0") or 0)
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("event socket closed")
            self.buf += chunk
        body, self.buf = self.buf[:n], self.buf[n:]
        return head, body

    def api(self, command: str) -> str:
        self.send(f"api {command}")
        while True:
            head, body = self.frame()
            if head.get("Content-Type") == "api/response":
                return body.decode(errors="replace")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Observer(threading.Thread):
    """Records every channel's life from the switch's events; tells bridged callers (uuid_send_info)."""

    def __init__(self, sw: RealSwitch, did: str):
        super().__init__(daemon=True)
        self.esl = Esl(sw.esl_host, sw.esl_port, sw.esl_password)
        self.esl.sock.settimeout(None)
        self.did = did
        self.channels: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.error: str | None = None
        self.esl.send(f"event plain {EVENTS}")

    def run(self) -> None:
        try:
            while True:
                head, body = self.esl.frame()
                if head.get("Content-Type") == "text/event-plain":
                    self._event(parse_plain_event(body))
        except (ConnectionError, OSError) as exc:
            self.error = str(exc)

    def _event(self, ev) -> None:
        uuid = ev.get("Unique-ID")
        if not uuid:
            return
        at = int(ev.get("Event-Date-Timestamp") or 0) / 1e6
        name = ev.name
        with self.lock:
            ch = self.channels.get(uuid)
            if ch is None:
                ch = self.channels[uuid] = {
                    "uuid": uuid, "direction": ev.get("Call-Direction"), "name": ev.get("Channel-Name"),
                    "destination": ev.get("Caller-Destination-Number"), "created": at, "variables": {}}
            for k in KEPT_VARS:
                v = ev.get(f"variable_{k}")
                if v:
                    ch["variables"][k] = v
            if name == "CHANNEL_ANSWER":
                ch.setdefault("answered_at", at)
            elif name == "CHANNEL_BRIDGE":
                for side in ("Bridge-A-Unique-ID", "Bridge-B-Unique-ID"):
                    other = self.channels.get(ev.get(side) or "")
                    if other is not None:
                        other.setdefault("bridged_at", at)
                        if other.get("direction") == "inbound" and other.get("destination") == self.did:
                            self.esl.send(f"bgapi uuid_send_info {other['uuid']} bridged")
            elif name == "CHANNEL_HANGUP":
                ch["ended"] = at
                ch["hangup_cause"] = ev.get("Hangup-Cause")
            elif name == "CHANNEL_HANGUP_COMPLETE":
                ch["hangup_complete"] = at
                ch.setdefault("ended", at)
            elif name == "CHANNEL_DESTROY":
                ch["destroyed"] = at
                ch.setdefault("ended", at)
            if name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"):
                # mod_sofia sets sip_hangup_disposition (recv_bye, recv_cancel, send_bye...) while hanging up: the
                # last event that carries it wins
                disposition = ev.get("variable_sip_hangup_disposition")
                if disposition:
                    ch["disposition"] = disposition

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [dict(c, variables=dict(c["variables"])) for c in self.channels.values()]

    def alive(self) -> list[dict]:
        with self.lock:
            return [dict(c) for c in self.channels.values() if "destroyed" not in c]


def _freeswitch_pid(sw: RealSwitch) -> int | None:
    if sw.pid:
        return sw.pid
    try:
        out = subprocess.run(["pgrep", "-x", "freeswitch"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]) if len(out) == 1 else None


def _start_engine(engine_root: Path, work: Path, db_url: str, sw: RealSwitch, domain: str,
                  scn: Scenario) -> subprocess.Popen:
    """The engine alone, as its own process, on this switch; returns once it has connected."""
    web_port, sim_port = free_ports(2)
    env = _env(engine_root, {
        "CALLCENTER_ESL_HOST": sw.esl_host, "CALLCENTER_ESL_PORT": str(sw.esl_port),
        "CALLCENTER_ESL_PASSWORD": sw.esl_password, "CALLCENTER_DATABASE_URL": db_url,
        "CALLCENTER_PATHS_FLOWS_DIR": str(work / "flows"),
        "CALLCENTER_PATHS_RECORDINGS_DIR": str(work / "recordings"),
        "CALLCENTER_SWITCH_RING_TIMEOUT": str(scn.ring_timeout), "CALLCENTER_SWITCH_SIP_DOMAIN": domain,
        "CALLCENTER_WEB_BIND": f"127.0.0.1:{web_port}", "CALLCENTER_SIM_CONTROL_PORT": str(sim_port),
        "BENCH_ENGINE_LOG_LEVEL": scn.engine_log_level})
    log_path = work / "engine.log"
    prefix = ["chrt", "-r", str(sw.engine_rt_priority)] if sw.engine_rt_priority is not None else []
    engine = subprocess.Popen(prefix + [sys.executable, str(HERE / "engine_main.py")], stdout=open(log_path, "wb"),
                              stderr=subprocess.STDOUT, env=env, cwd=str(work))
    deadline = time.time() + 60
    while "switch connected" not in log_path.read_text(errors="replace"):
        if engine.poll() is not None or time.time() > deadline:
            _stop(engine, 5)
            raise RunFailed(f"the engine did not connect to the switch:\n{_tail(log_path)}")
        time.sleep(0.2)
    return engine


def run_real(scn: Scenario, sw: RealSwitch, say=print) -> dict:
    """Carry out the run on the FreeSWITCH `sw` and return its figures."""
    binary = sipp.sipp_binary()
    if not binary:
        raise RunFailed("sipp is not installed (Debian package sipp)")
    engine_root = Path(scn.engine_root).resolve()
    modcc = sw.controller == "mod_callcenter"
    did = MOD_CALLCENTER_DID if modcc else DID
    try:
        ctl = Esl(sw.esl_host, sw.esl_port, sw.esl_password)
    except OSError as exc:
        raise RunFailed(f"no FreeSWITCH event socket at {sw.esl_host}:{sw.esl_port}: {exc}") from None
    domain = ctl.api("global_getvar domain").strip()
    sip_ip = sw.sip_ip or ctl.api("global_getvar local_ip_v4").strip()
    status_text = ctl.api("status")
    if ctl.api("show channels count").strip().split()[:1] not in (["0"], []):
        say(f"  note: the switch has live channels before the run: {ctl.api('show channels count').strip()}")
    fs_pid = _freeswitch_pid(sw)
    work = Path(tempfile.mkdtemp(prefix="bench-load-fs-"))
    for sub in ("flows", "recordings", "sipp"):
        (work / sub).mkdir()
    (work / "flows" / f"{FLOW}.yaml").write_text(FLOW_YAML, encoding="utf-8")
    db_path = work / "load.db"
    db_url = f"sqlite:///{db_path}"
    exts = scn.extensions()
    phones = {e: scn.answers(i) for i, e in enumerate(exts)}
    procs: list[subprocess.Popen] = []
    engine: subprocess.Popen | None = None
    observer = None
    agents_added = False
    failed = True
    try:
        if not modcc:
            seed(engine_root, work, db_url, exts, scn)

        # ---- the agents' phones: REGISTER as the directory user, then answer on the same port
        scen = sipp.write_scenarios(work / "sipp", scn.ring, scn.talk, scn.patience)
        switch_internal = f"{sip_ip}:{sw.internal_port}"
        for i, e in enumerate(exts):
            port = sw.phone_base_port + i
            try:
                sipp.register(binary, work / "sipp", scen["register"], sip_ip, port, switch_internal, e, domain,
                              sw.user_password)
            except subprocess.CalledProcessError as exc:
                raise RunFailed(f"phone {e} could not register at {switch_internal} (user {e}@{domain}):\n"
                                f"{(exc.stdout or '')[-800:]}{(exc.stderr or '')[-800:]}") from None
            log = open(work / "sipp" / f"phone_{e}.out", "wb")
            procs.append(subprocess.Popen(
                [binary, "-sf", str(scen["phone" if phones[e] else "phone_noanswer"])]
                + sipp.base_args(sip_ip, port, work / "sipp", f"phone_{e}", auto_answer=True),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        time.sleep(0.5)
        missing = [e for e in exts if "error/" in ctl.api(f"sofia_contact {e}@{domain}")]
        if missing:
            raise RunFailed(f"phones not registered after REGISTER: {missing}")
        say(f"bench-load (real FreeSWITCH): {scn.agents} agents ({scn.noanswer} never answer), {scn.cps:g} calls/s "
            f"for {scn.seconds:g} s ({scn.calls} calls), ring {scn.ring:g} s, talk {scn.talk:g} s, patience "
            f"{scn.patience:g} s, ring timeout {scn.ring_timeout} s")
        say(f"  switch: FreeSWITCH pid {fs_pid} at ESL {sw.esl_host}:{sw.esl_port}, SIP {sip_ip} (domain {domain}); "
            + " ".join(status_text.split("\n")[2:5]).strip())
        say(f"  controller: {'mod_callcenter, queue ' + MOD_CALLCENTER_QUEUE if modcc else engine_root}; "
            f"scratch {work}")

        # ---- the controller: the engine alone, as its own process, or mod_callcenter inside the switch
        if modcc:
            _mod_callcenter_agents(ctl, exts, scn.ring_timeout, add=True)
            agents_added = True
        else:
            engine = _start_engine(engine_root, work, db_url, sw, domain, scn)
        observer = Observer(sw, did)
        observer.start()
        time.sleep(1.0)
        idle0, idle_t0 = (cpu_seconds(engine.pid) if engine else 0.0), time.time()
        time.sleep(2.0)
        idle_cpu_ms_per_s = ((cpu_seconds(engine.pid) - idle0) * 1000 / (time.time() - idle_t0)) if engine else None

        # ---- callers at a constant rate from one SIPp
        cpu0 = cpu_seconds(engine.pid) if engine else None
        fs_cpu0 = cpu_seconds(fs_pid) if fs_pid else None
        wall0 = time.time()
        rate, period = (int(scn.cps), 1000) if float(scn.cps).is_integer() else (int(round(scn.cps * 10)), 10000)
        caller_port = sw.phone_base_port + scn.agents + 10
        callers = subprocess.Popen(
            [binary, f"{sip_ip}:{sw.external_port}", "-sf", str(scen["caller"]), "-s", did, "-r", str(rate),
             "-rp", str(period), "-m", str(scn.calls), "-l", "100000"]
            + sipp.base_args(sip_ip, caller_port, work / "sipp", "callers", auto_answer=False),
            stdout=open(work / "sipp" / "callers.out", "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        procs.append(callers)
        t0 = wall0
        next_line = t0 + 2
        limit = t0 + scn.seconds + scn.patience + scn.ring_timeout + scn.ring + scn.talk + 60
        while callers.poll() is None and time.time() < limit:
            time.sleep(0.2)
            if time.time() >= next_line:
                next_line += 2
                say(_progress(observer, phones, t0))
            if engine is not None and engine.poll() is not None:
                raise RunFailed(f"the engine exited during the run ({engine.returncode}):\n{_tail(work / 'engine.log')}")
        if callers.poll() is None:
            say("  the callers' SIPp did not finish: stopping it")
        _stop(callers, 5)
        deadline = time.time() + 30
        while observer.alive() and time.time() < deadline:
            time.sleep(0.25)
        stuck = observer.alive()
        wall1 = time.time()
        cpu1 = cpu_seconds(engine.pid) if engine else None
        fs_cpu1 = cpu_seconds(fs_pid) if fs_pid else None
        drained_after = wall1 - (t0 + scn.seconds)
        if stuck:
            say(f"  {len(stuck)} channels still alive: hanging them up")
            for c in stuck:
                ctl.api(f"uuid_kill {c['uuid']}")
            time.sleep(1.0)
        sessions_peak = ctl.api("status")
        calls_log = observer.snapshot()
        admitted = {c["uuid"] for c in calls_log if c.get("direction") == "inbound" and c.get("destination") == did}
        if engine is not None and not engine_settled(db_path, len(admitted), 15.0):
            say("  the engine had not written every call record or closed every recording 15 s after the drain")
        engine_rc = _stop(engine, 20)
        engine = None
        if scn.keep:
            (work / "calls_log.json").write_text(json.dumps(calls_log), encoding="utf-8")
        db = read_engine_db(db_path)
        fig = figures.compute(figures.RunInputs(
            calls_log=calls_log, admitted=admitted, phones=phones, logins=db["logins"], run_start=t0,
            seconds=scn.seconds, ring=scn.ring, talk=scn.talk, cps=scn.cps, live_after=stuck))
        bridged = fig["bridged"]
        # mod_callcenter's own CPU is inside the switch's: controller figures only for the engine
        cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
        fs_cpu = None if fs_cpu0 is None or fs_cpu1 is None else fs_cpu1 - fs_cpu0
        fig.update({
            "controller": "mod_callcenter" if modcc else "engine",
            "controller_cpu_ms_per_call": round(cpu * 1000.0 / bridged, 2) if bridged and cpu is not None else None,
            "switch_cpu_ms_per_call": round(fs_cpu * 1000.0 / bridged, 2) if bridged and fs_cpu else None,
            "controller_cpu_share_of_switch": round(cpu / fs_cpu, 3) if fs_cpu and cpu is not None else None,
            "offered": scn.calls,
            "refused_invites": scn.calls - len(admitted),
            "controller_cpu_s": None if cpu is None else round(cpu, 3),
            "switch_cpu_s": None if fs_cpu is None else round(fs_cpu, 3),
            "controller_cpu_ms_per_admitted_call":
                round(cpu * 1000.0 / len(admitted), 2) if admitted and cpu is not None else None,
            "controller_idle_cpu_ms_per_s": None if idle_cpu_ms_per_s is None else round(idle_cpu_ms_per_s, 1),
            "controller_cpu_share": None if cpu is None else round(cpu / (wall1 - wall0), 3),
            "switch_cpu_share": None if fs_cpu is None else round(fs_cpu / (wall1 - wall0), 3),
            "drain_s": round(max(0.0, drained_after), 1),
            **engine_figures(db),
            "switch_sessions_left": ctl.api("show channels count").strip(),
            "noanswer": scn.noanswer, "seconds": scn.seconds, "ring_s": scn.ring, "talk_s": scn.talk,
            "patience_s": scn.patience, "ring_timeout_s": scn.ring_timeout,
            "switch": "FreeSWITCH " + (ctl.api("version").strip().split(" ")[2] if ctl.api("version") else "?"),
            "switch_status_after": " ".join(sessions_peak.split("\n")[2:5]).strip(),
            "engine_root": str(engine_root), "engine_exit": engine_rc,
            "engine_scheduling": f"SCHED_RR {sw.engine_rt_priority}" if sw.engine_rt_priority is not None else "normal",
        })
        if stuck:
            fig["stuck_detail"] = [{k: c.get(k) for k in ("uuid", "direction", "name", "destination")}
                                   for c in stuck[:10]]
        failed = False
        return fig
    finally:
        _stop(engine, 20)
        if agents_added:
            _mod_callcenter_agents(ctl, exts, scn.ring_timeout, add=False)
        for p in procs:
            _stop(p, 3)
        if observer is not None:
            observer.esl.close()
        ctl.close()
        if scn.keep or failed:
            say(f"  scratch directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _progress(observer: Observer, phones: dict[str, bool], t0: float) -> str:
    alive = observer.alive()
    callers = sum(1 for c in alive if c.get("direction") == "inbound")
    legs = sum(1 for c in alive if c.get("direction") == "outbound")
    done = sum(1 for c in observer.snapshot() if c.get("bridged_at") and c.get("direction") == "inbound")
    return (f"  t={time.time() - t0:6.1f} s  channels {len(alive)} ({callers} callers, {legs} agent legs of "
            f"{len(phones)} phones)  callers bridged so far {done}")
