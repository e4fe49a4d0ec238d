"""What the callers are doing (from the switch's GET /channels and the marks the engine leaves on the channels), and
the floor's own actions during the run: callers pressing the callback key, agents putting callers on hold and
taking them off it through the console's CTI API (POST /api/v1/me/call/hold|unhold, HTTP Basic as the agent)."""
from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import random
import threading
import time
from collections import Counter

from benchmarks.load.control import Control, ControlError

from .scenario import CALLBACK_KEY, HOLD_S, Caller

# the flow's nodes (scenario.FLOWS) by what the caller is doing there
DIGIT_NODES = {"menu", "collect_id"}
SURVEY_NODES = {"survey"}


def _held(ch: dict) -> bool:
    return bool(ch.get("held")) or ch.get("callstate") == "HELD"


def classify(channels: list[dict], callback_pressed: set[str]) -> tuple[Counter, dict[str, dict]]:
    """(callers by phase, the callers waiting in a queue: uuid -> {queue, priority, enqueued_at, ringing}).

    Phases: arriving (no mark yet), ivr_prompt, ivr_digits (menu, digit collection), survey, queued, ringing_agent
    (waiting, an agent's phone ringing for them), bridged, on_hold, callback_confirming (pressed the key, hearing
    the confirmation), after_talk (the agent gone, being released), and the legs of callbacks (callback_dialling,
    callback_talking: the customer called back)."""
    by_uuid = {c["uuid"]: c for c in channels}
    ringing_for: dict[str, list[dict]] = {}
    for c in channels:
        caller = (c.get("variables") or {}).get("cc_call_uuid")
        if c.get("direction") == "outbound" and caller:
            ringing_for.setdefault(caller, []).append(c)
    phases: Counter = Counter()
    waiting: dict[str, dict] = {}
    for c in channels:
        v = c.get("variables") or {}
        if c.get("direction") != "inbound":
            if v.get("cc_callback_of"):
                phases["callback_talking" if c.get("bridged_to") else "callback_dialling"] += 1
            continue
        partner = by_uuid.get(c.get("bridged_to") or "")
        phase = v.get("cc_phase")
        if partner is not None:
            phases["on_hold" if _held(c) or _held(partner) else "bridged"] += 1
        elif phase == "queued":
            legs = ringing_for.get(c["uuid"], [])
            if c["uuid"] in callback_pressed:
                phases["callback_confirming"] += 1
                continue
            ringing = any(not leg.get("answered") for leg in legs)
            phases["ringing_agent" if ringing else "queued"] += 1
            waiting[c["uuid"]] = {"queue": v.get("cc_queue"), "priority": v.get("cc_priority", "0"),
                                  "enqueued_at": float(v.get("cc_enqueued_at") or 0.0), "ringing": ringing}
        elif phase == "ivr":
            node = v.get("cc_node") or ""
            phases["survey" if node in SURVEY_NODES else "ivr_digits" if node in DIGIT_NODES else "ivr_prompt"] += 1
        elif phase == "connected":
            phases["after_talk"] += 1
        else:
            phases["arriving"] += 1
    return phases, waiting


def agent_of(channels: list[dict], caller_uuid: str) -> str | None:
    """The employee number of the agent a caller is bridged to (their leg's cc_agent mark)."""
    for c in channels:
        v = c.get("variables") or {}
        if c.get("bridged_to") == caller_uuid and v.get("cc_call_uuid") == caller_uuid:
            return v.get("cc_agent")
    return None


class Cti:
    """The console's CTI API as an agent (HTTP Basic with the agent's console user)."""

    def __init__(self, port: int, users: dict[str, tuple[str, str]]):
        self.port, self.users = port, users            # employee_no -> (username, password)

    def call_action(self, employee_no: str, action: str) -> tuple[int, dict]:
        user, password = self.users[employee_no]
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", f"/api/v1/me/call/{action}", body=b"{}",
                         headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"})
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw or b"{}")
        except ValueError:
            return resp.status, {"raw": raw[:200].decode(errors="replace")}


CALL_OVER = -1         # Hold.unhold_status: the conversation ended on hold, nothing to take off hold


@dataclasses.dataclass
class Hold:
    caller: str
    agent: str
    at: float
    until: float
    status: int = 0
    unhold_status: int | None = None


class FloorDriver:
    """A thread that looks at the switch every POLL_S: presses the callback key for the callers meant to (once they
    have waited their time in the queue), and puts a random conversation on hold at each planned moment, taking it
    off hold HOLD_S later. Every action is kept for the report."""

    POLL_S = 0.25

    def __init__(self, ctl_port: int, cti: Cti, traffic, callers: list[Caller], hold_at: list[float], t0: float,
                 seed: int):
        self.ctl = Control("127.0.0.1", ctl_port, timeout=15.0)
        self.cti, self.traffic = cti, traffic
        self.rng = random.Random(seed ^ 0x5EED)
        self.callback_after: dict[str, float] = {}       # caller uuid -> seconds to wait in the queue, then press
        self._to_learn = {c.index: c.callback_after for c in callers if c.callback_after is not None}
        self.queued_since: dict[str, float] = {}
        self.callback_pressed: dict[str, float] = {}     # caller uuid -> when the key was pressed
        self.hold_at = sorted(t0 + h for h in hold_at)
        self.holds: list[Hold] = []
        self.errors: Counter = Counter()
        self._lock = threading.Lock()                   # callback_pressed is read by the harness meanwhile
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="floor-driver")

    def pressed(self) -> dict[str, float]:
        """A copy of callback_pressed (caller uuid -> when the callback key was pressed)."""
        with self._lock:
            return dict(self.callback_pressed)

    def start(self) -> "FloorDriver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)
        self.ctl.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.POLL_S):
            try:
                channels = self.ctl.get("/channels")
            except (ControlError, OSError):
                self.errors["channels"] += 1
                continue
            now = time.time()
            self._learn_uuids()
            self._callbacks(channels, now)
            self._holds(channels, now)

    def _learn_uuids(self) -> None:
        """The uuids the switch gave the callers meant to press the callback key, once they are placed."""
        for index in [i for i in self._to_learn if self.traffic.placed[i].uuid]:
            self.callback_after[self.traffic.placed[index].uuid] = self._to_learn.pop(index)

    def _callbacks(self, channels: list[dict], now: float) -> None:
        _, waiting = classify(channels, set(self.pressed()))
        for uuid, w in waiting.items():
            if uuid not in self.callback_after or uuid in self.callback_pressed or w["ringing"]:
                continue
            since = self.queued_since.setdefault(uuid, now)
            if now - since >= self.callback_after[uuid]:
                try:
                    self.ctl.post(f"/calls/{uuid}/dtmf", {"digits": CALLBACK_KEY})
                    with self._lock:
                        self.callback_pressed[uuid] = now
                except (ControlError, OSError):
                    self.errors["dtmf"] += 1

    def _holds(self, channels: list[dict], now: float) -> None:
        bridged = {c["uuid"] for c in channels if c.get("bridged_to")}
        for hold in self.holds:
            if hold.unhold_status is None and now >= hold.until:    # (the request names the agent, not the call)
                hold.unhold_status = self._cti(hold.agent, "unhold") if hold.caller in bridged else CALL_OVER
        if not self.hold_at or now < self.hold_at[0]:
            return
        self.hold_at.pop(0)
        busy = {h.caller for h in self.holds if h.unhold_status is None}
        by_uuid = {c["uuid"]: c for c in channels}
        talking = [c["uuid"] for c in channels if c.get("direction") == "inbound" and c.get("bridged_to")
                   and c["uuid"] not in busy and not _held(c) and not _held(by_uuid.get(c["bridged_to"]) or {})]
        self.rng.shuffle(talking)
        for uuid in talking:
            agent = agent_of(channels, uuid)
            if agent and agent in self.cti.users:
                hold = Hold(uuid, agent, now, now + self.rng.uniform(*HOLD_S))
                hold.status = self._cti(agent, "hold")
                self.holds.append(hold)
                return

    def _cti(self, agent: str, action: str) -> int:
        try:
            status, _ = self.cti.call_action(agent, action)
            return status
        except OSError:
            self.errors[f"cti_{action}"] += 1
            return 0
