"""Replay driver: reproduce a capture's stimuli on the simulator and record every frame it sends.

ESL side: every command the capture's client sent is sent again, in order, on the same connection, with uuids
mapped (capture uuid -> simulator uuid) and the harness's scratch directory mapped to ours. Before each command
the driver waits until the simulator has caught up with the capture (same number of replies, and at least as many
modelled events per channel as the capture had at that point), so commands hit the simulator in the same state.

SIP side (never on ESL in the capture): the far-end actions are applied through SimSwitch's control API at the
point of the capture where their first consequence shows up -- see `Stimulus` and `scenarios.py`.
"""
from __future__ import annotations

import re
import time
import uuid as uuidlib
from collections import Counter
from dataclasses import dataclass, field

import gevent

from .client import Recorder
from .differences import UNMODELLED_EVENTS, unsimulated_channel

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
QUIET = 0.6          # wall seconds without a frame after which a sync gives up (a real difference)
CAPTURE_SCRATCH = "/srv/capture"


class UuidMap:
    """A bijection capture uuid <-> simulator uuid, learned as the replay and the comparison go."""

    def __init__(self):
        self.c2s: dict[str, str] = {}
        self.s2c: dict[str, str] = {}

    def bind(self, cap: str, sim: str) -> bool:
        """Record a pair; False when it contradicts an earlier pair."""
        if self.c2s.get(cap, sim) != sim or self.s2c.get(sim, cap) != cap:
            return False
        self.c2s[cap] = sim
        self.s2c[sim] = cap
        return True

    def to_sim(self, text: str, fresh: bool = True) -> str:
        def rep(m):
            u = m.group(0)
            if u not in self.c2s and fresh:
                self.bind(u, str(uuidlib.uuid4()))
            return self.c2s.get(u, u)
        return UUID_RE.sub(rep, text)

    def to_cap(self, uuid: str) -> str | None:
        return self.s2c.get(uuid)


@dataclass
class Stimulus:
    """A far-end (SIP) action applied at a capture position."""

    at: int            # capture record seq it is applied before
    kind: str          # call | bye | dtmf | register | unregister | register_failure | expire
    target: str = ""   # capture uuid, or extension
    arg: str = ""
    params: dict = field(default_factory=dict)   # REGISTER: the phone's Call-ID, source port, User-Agent

    def __str__(self):
        return "%s %s %s" % (self.kind, self.target, self.arg)


@dataclass
class Result:
    """What the replay produced: simulator frames per connection plus bookkeeping for the comparator."""

    conns: dict[str, Recorder] = field(default_factory=dict)
    uuids: UuidMap = field(default_factory=UuidMap)
    stimuli: list[Stimulus] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)     # capture uuid -> role label
    scratch: str = ""


def stream_key(frame, roles=None) -> str:
    """Event stream of a frame: its channel (Unique-ID) or, for events of no channel, its kind."""
    uid = frame.get("Unique-ID")
    if uid:
        return "chan:" + uid
    return "kind:" + frame.name


def modelled(frame) -> bool:
    return frame.name.split(" ")[0] not in UNMODELLED_EVENTS and frame.name not in UNMODELLED_EVENTS


class Replayer:
    def __init__(self, cap, sim, spec, scratch: str):
        self.cap = cap
        self.sim = sim
        self.spec = spec
        self.res = Result(scratch=scratch)
        self.originates: Counter = Counter()
        self.records = cap.records
        self._lookahead_cache = {}
        self._refill_pending = False

    # ------------------------------------------------------------------ mapping helpers
    def map_out(self, text: str) -> str:
        text = self.res.uuids.to_sim(text)
        return text.replace(CAPTURE_SCRATCH, self.res.scratch)

    def _sim_key(self, frame) -> str:
        uid = frame.get("Unique-ID")
        if uid:
            cap = self.res.uuids.to_cap(uid)
            return "chan:" + (cap or ("sim:" + uid))
        return "kind:" + frame.name

    # ------------------------------------------------------------------ sync
    def _targets(self, upto: int, conn: str):
        replies, events = 0, Counter()
        for r in self.records[:upto]:
            if r.kind != "in" or r.conn != conn:
                continue
            f = r.frame
            if not f.is_event:
                replies += 1
            elif modelled(f) and not unsimulated_channel(self.cap, f):
                events[stream_key(f)] += 1
        return replies, events

    def sync(self, upto: int):
        start = time.monotonic()
        for conn, rec in self.res.conns.items():
            want_replies, want_events = self._targets(upto, conn)
            while True:
                have_replies = len(rec.replies())
                have = Counter(self._sim_key(f) for f in rec.frames if f.is_event)
                if have_replies >= want_replies and all(have[k] >= n for k, n in want_events.items()):
                    break
                if rec.closed or time.monotonic() - max(rec.last_rx, start) > QUIET:
                    break
                gevent.sleep(0.005)

    # ------------------------------------------------------------------ stimuli
    def _future(self, start: int, pred):
        for r in self.records[start:]:
            if r.kind == "in" and r.frame.is_event and pred(r.frame):
                return r.frame
        return None

    def stimulus_for(self, rec) -> Stimulus | None:
        """Infer the far-end action whose first consequence is this capture frame."""
        f = rec.frame
        if not f.is_event:
            return None
        uid = f.get("Unique-ID")
        name = f.name
        if (name == "CHANNEL_STATE" and f.get("Channel-State") == "CS_NEW" and f.get("Call-Direction") == "inbound"
                and (f.get("Channel-Name") or "").startswith("sofia/") and uid not in self.res.uuids.c2s):
            return Stimulus(rec.seq, "call", uid)
        if (name == "CHANNEL_HANGUP" and f.get("variable_sip_term_status") == "200"
                and f.get("Answer-State") == "hangup" and uid in self.res.uuids.c2s):
            return Stimulus(rec.seq, "bye", uid)
        if name == "DTMF" and f.get("DTMF-Source") == "RTP":
            return Stimulus(rec.seq, "dtmf", uid, f.get("DTMF-Digit"))
        if name == "CUSTOM sofia::pre_register":
            return self.register_stimulus(rec, f)
        if name == "CUSTOM sofia::expire":
            return Stimulus(rec.seq, "expire", f.get("user"))
        return None

    def register_stimulus(self, rec, f):
        """A REGISTER from a phone: its first consequence is sofia::pre_register; what it was (a registration or
        refresh, a wrong password, Expires: 0) is the outcome event that follows for the same phone."""
        ext, port = f.get("from-user"), f.get("network-port")
        outcome = self._future(rec.seq + 1, lambda fr: fr.name in (
            "CUSTOM sofia::register", "CUSTOM sofia::unregister", "CUSTOM sofia::register_failure")
            and (fr.get("from-user") or fr.get("to-user")) == ext and fr.get("network-port") == port)
        kind = {"CUSTOM sofia::unregister": "unregister",
                "CUSTOM sofia::register_failure": "register_failure"}.get(outcome.name if outcome else "", "register")
        params = {"call_id": f.get("call-id"), "port": int(port), "user_agent": f.get("user-agent")}
        if kind != "unregister":
            params["expires"] = int(f.get("expires"))
        if kind == "register_failure":
            params["password"] = "not-the-directory-password"
        return Stimulus(rec.seq, kind, ext, params=params)

    def apply(self, st: Stimulus):
        sim, m = self.sim, self.res.uuids
        self.res.stimuli.append(st)
        if st.kind == "call":
            create = self._future(st.at, lambda fr: fr.name == "CHANNEL_CREATE" and fr.get("Unique-ID") == st.target)
            did = create.get("Caller-Destination-Number") if create else self.spec.did
            new = sim.place_call(did=did, ani=self.spec.ani, caller_name=self.spec.caller_name)
            assert new is not None, "the simulator refused the capture's inbound call (503): %s" % sim.refused()[-1:]
            m.bind(st.target, new)
            self.res.roles.setdefault(st.target, "caller" if "caller" not in self.res.roles.values()
                                      else "caller%d" % len(self.res.roles))
        elif st.kind == "bye":
            sim.hangup(m.c2s[st.target])
        elif st.kind == "dtmf":
            sim.send_dtmf(m.c2s[st.target], st.arg, source="RTP")
        elif st.kind in ("register", "register_failure"):
            sim.register(st.target, **st.params)
        elif st.kind == "unregister":
            sim.unregister(st.target, **st.params)
        elif st.kind == "expire":
            sim.expire(st.target)
        else:
            raise ValueError(st)

    # ------------------------------------------------------------------ commands
    def before_command(self, rec, text: str):
        if self._refill_pending:
            # the harness waited for the new session rate to take effect: start right after the next refill, so
            # that a burst of commands falls in one second of the session-rate timer as it did in the capture
            self._refill_pending = False
            limits = self.sim.limits
            gevent.sleep(limits.next_refill_in() + 0.05 * limits._period())
        if any(re.match(p, text) for p in self.spec.refill_after):
            self._refill_pending = True
        m = re.match(r"^(?:api|bgapi) originate (\{[^}]*\})?user/(\d+)", text)
        if m:
            ext = m.group(2)
            n = self.originates[ext]
            self.originates[ext] += 1
            behaviour = self.spec.phone_behaviour(ext, n)
            if behaviour and self.sim.directory.get(ext) is not None:
                self.sim.set_phone(ext, behaviour=behaviour[0], answer_delay=behaviour[1])
            um = re.search(r"origination_uuid=(%s)" % UUID_RE.pattern, text)
            if um:
                self.res.roles.setdefault(um.group(1), "leg %s #%d" % (ext, n + 1))

    # ------------------------------------------------------------------ main loop
    def run(self) -> Result:
        try:
            for i, rec in enumerate(self.records):
                if rec.kind == "in":
                    if rec.conn not in self.res.conns:
                        self.sync(i)
                        self.res.conns[rec.conn] = Recorder(self.sim.esl_port, rec.conn)
                        continue
                    st = self.stimulus_for(rec)
                    if st is not None:
                        self.sync(i)
                        self.apply(st)
                elif rec.kind == "out":
                    self.sync(i)
                    self.before_command(rec, rec.text)
                    conn = self.res.conns[rec.conn]
                    conn.send(self.map_out(rec.text))
                elif rec.kind == "note" and rec.text.startswith("[conn ") and "closed by peer" in rec.text:
                    self.sync(i)
            self.sync(len(self.records))
            for conn in self.res.conns.values():
                conn.wait_closed(0.5 if not self._closed_in_capture(conn.name) else 8.0)
        finally:
            for conn in self.res.conns.values():
                conn.close()
        return self.res

    def _closed_in_capture(self, conn: str) -> bool:
        return any(r.kind == "note" and r.text.startswith("[conn %s] TCP connection closed" % conn)
                   for r in self.records)
