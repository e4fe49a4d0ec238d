"""What the callers are doing (from the switch's GET /channels and the marks the engine leaves on the channels), and
the floor's own actions during the run: callers pressing the callback key, agents putting callers on hold and
taking them off it, and agents consulting another agent then conferencing, transferring or going back to the
caller, through the console's CTI API (POST /api/v1/me/call/hold|unhold|consult|conference|consult_transfer|
consult_cancel, HTTP Basic as the agent; GET /api/v1/requests/<id> for the engine's answer)."""
from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import random
import threading
import time
from collections import Counter
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from benchmarks.load.control import Control, ControlError

from .scenario import (CALLBACK_KEY, CONFERENCE_S, CONSULT_AFTER_S, CONSULT_DECIDE_S, CONSULT_ENDINGS, HOLD_S,
                       Caller)

# the flow's nodes (scenario.FLOWS) by what the caller is doing there
DIGIT_NODES = {"menu", "collect_id"}
SURVEY_NODES = {"survey"}


def _held(ch: dict) -> bool:
    return bool(ch.get("held")) or ch.get("callstate") == "HELD"


def consult_legs(channels: list[dict]) -> dict[str, dict]:
    """Caller uuid -> the leg of the third party its agent consults (an outbound leg marked cc_consult_of)."""
    out = {}
    for c in channels:
        caller = (c.get("variables") or {}).get("cc_consult_of")
        if c.get("direction") == "outbound" and caller:
            out[caller] = c
    return out


def in_conference(ch: dict) -> bool:
    return ch.get("application") == "conference"


def consult_phase(caller: dict, partner: dict | None, consult: dict | None) -> str | None:
    """conference (the caller in the three-party room, or left in it with the consulted agent), consulting (their
    agent consults a third party: its phone ringing, or the two talking while the caller waits with music), or
    None (a caller transferred to the consulted agent is bridged to that leg: a conversation like any other)."""
    if in_conference(caller):
        return "conference"
    if consult is not None and (partner is None or partner["uuid"] != consult["uuid"]):
        return "consulting"
    return None


def consulting(channels: list[dict]) -> dict[str, str]:
    """Caller uuid -> consulting or conference (consult_phase), or transferred (bridged to the consulted agent's
    leg: a `bridged` caller for classify), for the callers a consultation is about."""
    by_uuid = {c["uuid"]: c for c in channels}
    legs = consult_legs(channels)
    out = {}
    for c in channels:
        if c.get("direction") != "inbound":
            continue
        partner, consult = by_uuid.get(c.get("bridged_to") or ""), legs.get(c["uuid"])
        phase = consult_phase(c, partner, consult)
        if phase is None and consult is not None and partner is consult:
            phase = "transferred"
        if phase:
            out[c["uuid"]] = phase
    return out


def classify(channels: list[dict], callback_pressed: set[str]) -> tuple[Counter, dict[str, dict]]:
    """(callers by phase, the callers waiting in a queue: uuid -> {queue, priority, enqueued_at, ringing}).

    Phases: arriving (no mark yet), ivr_prompt, ivr_digits (menu, digit collection), survey, queued, ringing_agent
    (waiting, an agent's phone ringing for them), bridged, on_hold, consulting and conference (consult_phase),
    callback_confirming (pressed the key, hearing the confirmation), after_talk (the agent gone, being released),
    and the legs of callbacks (callback_dialling, callback_talking: the customer called back)."""
    by_uuid = {c["uuid"]: c for c in channels}
    consults = consult_legs(channels)
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
        consult = consult_phase(c, partner, consults.get(c["uuid"]))
        if consult is not None:
            phases[consult] += 1
        elif partner is not None:
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


def on_the_switch(channels: list[dict]) -> set[str]:
    """Employee numbers of the agents with a leg on the switch: rung for a caller (cc_call_uuid, cc_agent), or
    consulted (cc_consult_of, cc_consulted; that leg's cc_agent is the consulting agent)."""
    out = set()
    for c in channels:
        v = c.get("variables") or {}
        if c.get("direction") != "outbound":
            continue
        if v.get("cc_call_uuid") and v.get("cc_agent"):
            out.add(v["cc_agent"])
        if v.get("cc_consulted"):
            out.add(v["cc_consulted"])
    return out


class Cti:
    """The console's CTI API as an agent (HTTP Basic with the agent's console user)."""

    def __init__(self, port: int, users: dict[str, tuple[str, str]]):
        self.port, self.users = port, users            # employee_no -> (username, password)

    def call_action(self, employee_no: str, action: str, argument: str | None = None) -> tuple[int, dict]:
        """POST /me/call/<action>: (HTTP status, body: 202 with the queued request)."""
        body = {"argument": argument} if argument else {}
        return self._send(employee_no, "POST", f"/api/v1/me/call/{action}", json.dumps(body).encode())

    def request_status(self, employee_no: str, request_id: int) -> tuple[int, dict]:
        """GET /requests/<id>: the request and the engine's answer (status pending, ok or refused)."""
        return self._send(employee_no, "GET", f"/api/v1/requests/{request_id}", None)

    def _send(self, employee_no: str, method: str, path: str, body: bytes | None) -> tuple[int, dict]:
        user, password = self.users[employee_no]
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
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


@dataclasses.dataclass
class Consult:
    """One consultation the floor carried out, step by step; `outcome` is set once it is over (for the report)."""
    caller: str
    agent: str                      # the consulting agent (employee number) and their leg
    agent_leg: str
    other: str                      # the consulted agent
    ending: str                     # CONSULT_ENDINGS
    decide_s: float
    conference_s: float
    at: float
    status: int = 0                 # of the consult request (202: queued for the engine)
    request: int | None = None
    answer: str = ""                # the engine's answer to it, looked up until the consulted phone rings
    polled_at: float = 0.0
    leg: str | None = None          # the consulted agent's leg, once seen
    answered_at: float | None = None
    decided_at: float | None = None
    ending_status: int | None = None
    ending_request: int | None = None
    ending_answer: str = ""         # the engine's answer to it (refused once, e.g. by an engine killed before it
    asked_again: bool = False       # carried it out: asked again, as an agent would click again)
    joined_at: float | None = None  # conference: when the caller was seen in the room
    left_at: float | None = None    # conference: when the consulting agent hung up
    outcome: str = ""

    def refused(self) -> bool:
        """The consult request not taken: refused by the console or the engine (another attempt may follow)."""
        return self.status != 202 or self.outcome.startswith("consult refused")

    def stage(self) -> str:
        if self.answered_at is None:
            return "ringing"
        if self.decided_at is None:
            return "consulting"
        return "in conference" if self.joined_at is not None else f"after {self.ending}"


@dataclasses.dataclass
class Consults:
    """What the floor driver needs to consult: the planned moments (seconds after t0), each agent's phone talk time
    (employee number -> seconds from the answer: a conversation ends then), the phones' ring, and the employee
    numbers of the agents ready right now (read from the database)."""
    at: list[float]
    phone_talk: dict[str, float]
    ring: float
    ready: Callable[[], set[str]]


CONSULT_PATIENCE_S = 3.0    # a planned consultation waits this long at most for a conversation and an agent to fit
CONSULT_GIVE_UP_S = 8.0     # the consulted phone not seen ringing by then: given up
REQUEST_POLL_S = 0.5        # meanwhile the engine's answer to the consult request is looked up this often
CONSULT_SETTLE_S = 6.0      # the decision not seen on the switch by then (a kill may fall in between): given up
CONSULT_REACT_S = 0.5       # the engine's part: the request read, the consulted phone rung, the decision carried out
CONSULT_MARGIN_S = 1.0      # left of the caller's talk time when the consulting agent is gone


class FloorDriver:
    """A thread that looks at the switch every POLL_S: presses the callback key for the callers meant to (once they
    have waited their time in the queue), puts a random conversation on hold at each planned moment, taking it
    off hold HOLD_S later, and at each planned consultation has the agent of a random conversation (talked
    CONSULT_AFTER_S, with time enough left) consult a ready agent, then conference, transfer or go back to the
    caller (scenario.py). Every action is kept for the report."""

    POLL_S = 0.25

    def __init__(self, ctl_port: int, cti: Cti, traffic, callers: list[Caller], hold_at: list[float], t0: float,
                 seed: int, consults: Consults | None = None):
        self.ctl = Control("127.0.0.1", ctl_port, timeout=15.0)
        self.cti, self.traffic = cti, traffic
        self.rng = random.Random(seed ^ 0x5EED)
        self.consult_rng = random.Random(seed ^ 0xC0515)
        self.talk = {c.index: c.talk for c in callers}
        self.plan = consults or Consults([], {}, 0.0, set)
        self.consult_at = sorted(t0 + c for c in self.plan.at)
        self.consults: list[Consult] = []
        self.consults_missed: Counter = Counter()       # planned moments with no consultation, by why
        self.bridged_since: dict[str, float] = {}       # caller uuid -> first seen bridged to an agent
        self._next: tuple | None = None                 # the next consultation's draw (ending, decide, conference)
        self._attempt: Consult | None = None            # the consultation started for the next planned moment
        self._why = ""                                  # why none could be started for it yet
        self._refused: set[str] = set()                 # agents the engine would not have consulted for it
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
            self._consults(channels, now)

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
        busy = self._busy() | set(consult_legs(channels))
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

    def _busy(self) -> set[str]:
        """Callers the floor is doing something with: on hold, or their agent consulting."""
        return {h.caller for h in self.holds if h.unhold_status is None} | \
            {c.caller for c in self.consults if not c.outcome}

    def _cti(self, agent: str, action: str) -> int:
        return self._request(agent, action)[0]

    def _request(self, agent: str, action: str, argument: str | None = None) -> tuple[int, int | None]:
        """(HTTP status, the request's id) of a call action."""
        try:
            status, body = self.cti.call_action(agent, action, argument)
        except OSError:
            self.errors[f"cti_{action}"] += 1
            return 0, None
        request = body.get("request") if isinstance(body, dict) else None
        return status, request.get("id") if isinstance(request, dict) else None

    def _answer(self, agent: str, request: int | None) -> str:
        """The engine's answer to a request: pending, ok or refused: <why>."""
        if request is None:
            return "not queued"
        try:
            status, body = self.cti.request_status(agent, request)
        except OSError:
            self.errors["cti_request"] += 1
            return "unknown"
        if status != 200:
            return f"HTTP {status}"
        return body.get("status", "?") + (f": {body['message']}" if body.get("message") else "")

    # ------------------------------------------------------------------ consultations
    def _consults(self, channels: list[dict], now: float) -> None:
        by_uuid = {c["uuid"]: c for c in channels}
        legs = consult_legs(channels)
        for caller, leg in self._agent_legs(channels).items():
            self.bridged_since.setdefault(caller, now)
        for consult in self.consults:
            if not consult.outcome:
                self._follow(consult, by_uuid, legs.get(consult.caller), now)
        if not self.consult_at or now < self.consult_at[0]:
            return
        tried = self._attempt
        if tried is not None and not tried.refused():
            if tried.answer == "ok" or tried.leg or tried.outcome:      # under way (or over): the moment is taken
                self._moment_done()
            return                                            # the engine's answer not known yet
        if tried is not None:                                 # refused (the agent taken meanwhile): another try
            self._attempt, self._why = None, f"consult refused ({tried.answer or f'HTTP {tried.status}'})"
            self._refused.add(tried.other)
        if self._next is None:
            ending = self.consult_rng.choice(CONSULT_ENDINGS)
            self._next = (ending, self.consult_rng.uniform(*CONSULT_DECIDE_S),
                          self.consult_rng.uniform(*CONFERENCE_S) if ending == "conference" else 0.0)
        if now - self.consult_at[0] > CONSULT_PATIENCE_S:
            self.consults_missed[self._why] += 1
            self._moment_done()
            return
        why = self._start_consult(channels, legs, now)
        if why:
            self._why = why
        else:
            self._attempt = self.consults[-1]

    def _moment_done(self) -> None:
        self.consult_at.pop(0)
        self._attempt, self._next, self._why = None, None, ""
        self._refused = set()

    @staticmethod
    def _agent_legs(channels: list[dict]) -> dict[str, dict]:
        """Caller uuid -> the leg of the agent rung for them, when the two are bridged."""
        by_uuid = {c["uuid"]: c for c in channels}
        out = {}
        for c in channels:
            caller = (c.get("variables") or {}).get("cc_call_uuid")
            if c.get("direction") == "outbound" and caller and c.get("bridged_to") == caller \
                    and by_uuid.get(caller, {}).get("direction") == "inbound":
                out[caller] = c
        return out

    def _start_consult(self, channels: list[dict], legs: dict[str, dict], now: float) -> str:
        """Start the next consultation: '' when the request went out, else why not (yet)."""
        ending, decide, conference = self._next
        decided = self.plan.ring + CONSULT_REACT_S + decide       # the decision carried out, after the request
        need_agent = decided + CONSULT_REACT_S        # (in conference the agent's phone may hang up on its own)
        need_caller = decided + conference + CONSULT_MARGIN_S
        uuids = {p.uuid: p.index for p in self.traffic.placed if p.uuid}
        busy = self._busy()
        by_uuid = {c["uuid"]: c for c in channels}
        fits = []
        for caller, leg in sorted(self._agent_legs(channels).items()):
            agent = (leg.get("variables") or {}).get("cc_agent")
            talked = now - self.bridged_since.get(caller, now)
            if caller in busy or caller in legs or agent not in self.cti.users or _held(leg) \
                    or _held(by_uuid[caller]) or talked < CONSULT_AFTER_S:
                continue
            caller_left = self.talk.get(uuids.get(caller, -1), 0.0) - talked
            agent_left = self.plan.phone_talk.get(agent, 0.0) - talked
            if caller_left >= need_caller and agent_left >= need_agent:
                fits.append((caller, agent, leg["uuid"]))
        if not fits:
            return "no conversation with time enough left"
        caller, agent, agent_leg = self.consult_rng.choice(fits)
        try:
            ready = set(self.plan.ready()) - on_the_switch(channels) - self._refused - {agent}
        except (SQLAlchemyError, OSError):      # the database locked for a moment: tried again at the next poll
            self.errors["ready_agents"] += 1
            return "could not read the ready agents"
        if not ready:
            return "no ready agent to consult"
        other = self.consult_rng.choice(sorted(ready))
        consult = Consult(caller, agent, agent_leg, other, ending, decide, conference, now)
        consult.status, consult.request = self._request(agent, "consult", f"agent:{other}")
        if consult.status != 202:
            consult.outcome = f"consult request HTTP {consult.status}"
        self.consults.append(consult)
        return ""

    def _follow(self, c: Consult, by_uuid: dict[str, dict], leg: dict | None, now: float) -> None:
        """Take one consultation a step further, from what the switch shows."""
        caller = by_uuid.get(c.caller)
        if caller is None:
            c.outcome = f"caller gone while {c.stage()}"
            return
        if leg is not None:
            c.leg = leg["uuid"]
        if c.answered_at is None:
            if leg is not None and leg.get("answered"):
                c.answered_at = now
            elif leg is None and c.leg:
                c.outcome = "consulted phone released unanswered"
            elif leg is None and now - c.at > CONSULT_GIVE_UP_S:
                c.outcome = f"consulted phone never rang (consult {c.answer or 'pending'})"
            elif leg is None and c.answer in ("", "pending") and now - c.polled_at >= REQUEST_POLL_S:
                c.polled_at, c.answer = now, self._answer(c.agent, c.request)
                if c.answer.startswith("refused"):
                    c.outcome = f"consult {c.answer}"
            return
        if c.decided_at is None:
            if leg is None:
                c.outcome = "consulted agent gone before the decision"
            elif now >= c.answered_at + c.decide_s:
                c.decided_at = now
                c.ending_status, c.ending_request = self._request(c.agent, c.ending)
            return
        self._ending(c, caller, leg, by_uuid, now)

    def _ending(self, c: Consult, caller: dict, leg: dict | None, by_uuid: dict[str, dict], now: float) -> None:
        """After the decision: seen carried out on the switch (the consulting agent leaves a conference
        conference_s after the caller joined it), asked again once if refused, or given up CONSULT_SETTLE_S after."""
        if c.ending == "consult_transfer" and leg is not None and caller.get("bridged_to") == leg["uuid"]:
            c.outcome = "transferred"
        elif c.ending == "consult_cancel" and leg is None and caller.get("bridged_to") == c.agent_leg:
            c.outcome = "back to the caller"
        elif c.ending == "conference" and in_conference(caller):
            c.joined_at = c.joined_at or now
            if now >= c.joined_at + c.conference_s:
                self._leave_conference(c, by_uuid, now)
        if c.outcome or c.joined_at:
            return
        if c.ending_answer in ("", "pending") and now - c.polled_at >= REQUEST_POLL_S:
            c.polled_at, c.ending_answer = now, self._answer(c.agent, c.ending_request)
            if c.ending_answer.startswith("refused") and not c.asked_again:
                c.asked_again, c.ending_answer = True, ""
                c.ending_status, c.ending_request = self._request(c.agent, c.ending)
        if now - c.decided_at > CONSULT_SETTLE_S:
            c.outcome = f"{c.ending} not seen done ({c.ending_answer or 'pending'}" \
                        f"{', asked twice' if c.asked_again else ''})"

    def _leave_conference(self, c: Consult, by_uuid: dict[str, dict], now: float) -> None:
        """The consulting agent hangs up (POST /calls/<their leg>/hangup): the consulted agent keeps the caller."""
        if c.agent_leg not in by_uuid:
            c.outcome = "conference, the consulting agent gone before"
            return
        try:
            self.ctl.post(f"/calls/{c.agent_leg}/hangup", {})
            c.left_at, c.outcome = now, "conference, then the consulting agent hung up"
        except (ControlError, OSError):
            self.errors["hangup"] += 1
