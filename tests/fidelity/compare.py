"""Comparator: capture frames vs simulator frames, per connection and per channel, field by field."""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from .differences import CLOCK_PATTERNS, KNOWN, UNMODELLED_EVENTS, VARYING, unsimulated_channel
from .replay import CAPTURE_SCRATCH, UUID_RE, modelled

_VARYING = [(re.compile(p), rule, reason) for p, rule, reason in VARYING]

_UNITS = re.compile(r"\b\d+ (year|day|hour|minute|second|millisecond|microsecond)s?\b")
_NUMBERS = re.compile(r"-?\d+(\.\d+)?")   # sps_last is negative for the second after `fsctl sps` lowers the rate


def status_norm(body: str) -> str:
    """`status`: every number is process state; the uptime units follow them in the singular for 1
    (mod_commands.c status_function: `%u year%s`...), so they are normalised with their number."""
    return _NUMBERS.sub("N", _UNITS.sub(lambda m: "N %ss" % m.group(1), body))


# api bodies whose content is process state rather than behaviour (uptime, session counters); the session counters'
# behaviour (refill, N-1 per second, the sps_last quirk) is tested in tests/integration/fsim/test_capacity.py
VARYING_BODIES = [
    (re.compile(r"^(api|bgapi) status\b"), status_norm, "uptime, session counters, idle cpu"),
]


@dataclass
class Diff:
    scenario: str
    kind: str          # reply-count reply-envelope reply-body stream-missing stream-extra event-missing
    #                    event-extra header-missing header-extra header-order value unmodelled-produced closed
    subject: str       # what KNOWN patterns match against
    where: str = ""

    def __str__(self):
        return "[%s] %s  (%s)" % (self.kind, self.subject, self.where)


def _clock(text: str) -> str:
    for pat in CLOCK_PATTERNS:
        text = pat.sub("<clock>", text)
    return text


def _zero(v) -> bool:
    return v in (None, "", "0")


class Comparator:
    def __init__(self, scenario, cap, res):
        self.scenario = scenario
        self.cap = cap
        self.res = res
        self.umap = res.uuids
        self.diffs: list[Diff] = []
        self.ignored_events: dict[str, int] = {}

    def add(self, kind, subject, where=""):
        self.diffs.append(Diff(self.scenario, kind, subject, where))

    # ------------------------------------------------------------------ values
    def text_equal(self, cap: str, sim: str) -> bool:
        cap, sim = _clock(cap), _clock(sim.replace(self.res.scratch, CAPTURE_SCRATCH) if self.res.scratch else sim)
        cu, su = UUID_RE.findall(cap), UUID_RE.findall(sim)
        if len(cu) != len(su):
            return False
        for c, s in zip(cu, su):
            if not self.umap.bind(c, s):
                return False
        return UUID_RE.sub(lambda m: self.umap.c2s.get(m.group(0), m.group(0)), cap) == sim

    def value_equal(self, name: str, cap: str, sim: str) -> bool:
        for pat, rule, _ in _VARYING:
            if pat.search(name):
                if rule == "any":
                    return bool(cap) == bool(sim)
                return _zero(cap) == _zero(sim)
        return self.text_equal(cap, sim)

    # ------------------------------------------------------------------ replies
    def _contexts(self, conn):
        """For each non-event capture frame of a connection: the last command sent before it."""
        out, last = [], ""
        for r in self.cap.records:
            if r.conn != conn:
                continue
            if r.kind == "out":
                last = r.text.split("\n", 1)[0]
            elif r.kind == "in" and not r.frame.is_event:
                out.append(last)
        return out

    def compare_replies(self, conn, sim_frames):
        cap_frames = [f for f in self.cap.frames(conn) if not f.is_event]
        sim_replies = [f for f in sim_frames if not f.is_event]
        ctx = self._contexts(conn)
        for i, cf in enumerate(cap_frames):
            where = "conn %s reply #%d after %r" % (conn, i, ctx[i][:70])
            if i >= len(sim_replies):
                self.add("reply-missing", "%s %s" % (ctx[i], cf.describe()), where)
                continue
            self.compare_reply(ctx[i], cf, sim_replies[i], where)
        for sf in sim_replies[len(cap_frames):]:
            self.add("reply-extra", sf.describe(), "conn %s" % conn)

    def compare_rows(self, cmd, cbody, sbody, where):
        """`show ... as json`: row count, column order, then every cell (clock patterns normalised)."""
        c, s = json.loads(cbody), json.loads(sbody)
        ok = c.get("row_count") == s.get("row_count")
        if not ok:
            self.add("reply-body", "%s row_count cap=%s sim=%s" % (cmd, c.get("row_count"), s.get("row_count")), where)
        for i, (cr, sr) in enumerate(zip(c.get("rows", []), s.get("rows", []))):
            if list(cr) != list(sr):
                ok = False
                self.add("reply-body", "%s row %d columns %s != %s" % (cmd, i, list(cr), list(sr)), where)
            for k, cv in cr.items():
                if not self.text_equal(cv, sr.get(k, "")):
                    ok = False
                    self.add("row-value", "%s %s cap=%r sim=%r" % (cmd.split(" ", 1)[1], k, cv, sr.get(k)), where)
        return ok or cbody.count("\n") != sbody.count("\n")

    def compare_reply(self, cmd, cf, sf, where):
        cnames, snames = [k for k, _ in cf.envelope], [k for k, _ in sf.envelope]
        if cnames != snames:
            self.add("reply-envelope", "%s %s != %s" % (cmd, cnames, snames), where)
            return
        cbody, sbody = cf.body.decode("utf-8", "replace"), sf.body.decode("utf-8", "replace")
        for pat, norm, _ in VARYING_BODIES:
            if pat.search(cmd):
                cbody, sbody = norm(cbody), norm(sbody)
        if cbody.startswith('{"row_count"') and sbody.startswith('{"row_count"'):
            body_ok = self.compare_rows(cmd, cbody, sbody, where)
        else:
            body_ok = self.text_equal(cbody, sbody)
        if not body_ok and not cbody.startswith('{"row_count"'):
            self.add("reply-body", "%s | cap=%r | sim=%r" % (cmd, cbody[:300], sbody[:300]), where)
        for (k, cv), (_, sv) in zip(cf.envelope, sf.envelope):
            if k == "Content-Length":
                continue   # derived from the body, which is compared above (the parser checks consistency)
            if not self.value_equal(k, cv, sv):
                self.add("reply-envelope", "%s %s: cap=%r sim=%r" % (cmd, k, cv, sv), where)

    # ------------------------------------------------------------------ events
    # BACKGROUND_JOB events form one stream per job, as channel events do per channel: the order between jobs
    # that run at the same time is thread scheduling (capture 08: six concurrent originates). The job uuids are
    # paired through the replies (`+OK Job-UUID: <uuid>`), which are compared first.
    def _key_cap(self, f):
        uid = f.get("Unique-ID")
        if not uid and f.name == "BACKGROUND_JOB" and f.get("Job-UUID"):
            return ("job", f.get("Job-UUID"))
        return ("chan", uid) if uid else ("kind", f.name.split(" ")[0])

    def _key_sim(self, f):
        uid = f.get("Unique-ID")
        if uid:
            cap = self.umap.to_cap(uid)
            return ("chan", cap or "sim:" + uid)
        if f.name == "BACKGROUND_JOB" and f.get("Job-UUID"):
            job = f.get("Job-UUID")
            return ("job", self.umap.to_cap(job) or "sim:" + job)
        return ("kind", f.name.split(" ")[0])

    def role(self, key):
        kind, val = key
        if kind == "kind":
            return val
        if kind == "job":
            return "job " + val[:8]
        return self.res.roles.get(val) or ("chan " + val[:8])

    @staticmethod
    def token(f):
        t = f.name
        for h in ("Application", "Channel-State", "Channel-Call-State", "API-Command", "Action"):
            if f.name.startswith(("CHANNEL_EXECUTE", "CHANNEL_STATE", "CHANNEL_CALLSTATE", "API", "CUSTOM")):
                v = f.get(h)
                if v and (h != "Channel-Call-State" or f.name == "CHANNEL_CALLSTATE") and \
                        (h != "Channel-State" or f.name == "CHANNEL_STATE"):
                    t += "(%s)" % v
                    break
        return t

    def compare_events(self, conn, sim_frames):
        cap_streams, sim_streams = {}, {}
        for f in self.cap.frames(conn):
            if not f.is_event:
                continue
            if not modelled(f):
                self.ignored_events[f.name] = self.ignored_events.get(f.name, 0) + 1
                continue
            if unsimulated_channel(self.cap, f):
                self.add("unsimulated-channel", "%s %s" % (f.get("Channel-Name"), f.name), "conn %s" % conn)
                continue
            cap_streams.setdefault(self._key_cap(f), []).append(f)
        for f in sim_frames:
            if not f.is_event:
                continue
            if not modelled(f):
                self.add("unmodelled-produced", f.name, "the simulator produces %s: drop it from "
                         "UNMODELLED_EVENTS" % f.name)
                continue
            sim_streams.setdefault(self._key_sim(f), []).append(f)
        for key, cev in cap_streams.items():
            sev = sim_streams.pop(key, None)
            if sev is None:
                self.add("stream-missing", "%s: %s" % (self.role(key), " ".join(self.token(f) for f in cev[:6])),
                         "conn %s" % conn)
                continue
            self.compare_stream(conn, key, cev, sev)
        for key, sev in sim_streams.items():
            self.add("stream-extra", "%s: %s" % (key[1], " ".join(self.token(f) for f in sev[:6])),
                     "conn %s" % conn)

    def compare_stream(self, conn, key, cev, sev):
        role = self.role(key)
        ct, st = [self.token(f) for f in cev], [self.token(f) for f in sev]
        sm = difflib.SequenceMatcher(a=ct, b=st, autojunk=False)
        for op, a0, a1, b0, b1 in sm.get_opcodes():
            if op == "equal":
                for i, j in zip(range(a0, a1), range(b0, b1)):
                    self.compare_event(conn, role, i, cev[i], sev[j])
                continue
            if op in ("delete", "replace"):
                for i in range(a0, a1):
                    self.add("event-missing", "%s %s" % (role, ct[i]),
                             "conn %s %s event #%d; sim has %s" % (conn, role, i, st[b0:b1]))
            if op in ("insert", "replace"):
                for j in range(b0, b1):
                    self.add("event-extra", "%s %s" % (role, st[j]),
                             "conn %s %s sim event #%d; capture has %s" % (conn, role, j, ct[a0:a1]))

    def compare_event(self, conn, role, idx, cf, sf):
        where = "conn %s %s event #%d %s" % (conn, role, idx, self.token(cf))
        kind = cf.name
        cn, sn = [k for k, _ in cf.event], [k for k, _ in sf.event]
        sm = difflib.SequenceMatcher(a=cn, b=sn, autojunk=False)
        cset, sset = set(cn), set(sn)
        for op, a0, a1, b0, b1 in sm.get_opcodes():
            if op == "equal":
                for i, j in zip(range(a0, a1), range(b0, b1)):
                    name, cv, sv = cn[i], cf.event[i][1], sf.event[j][1]
                    if not self.value_equal(name, cv, sv):
                        self.add("value", "%s %s cap=%r sim=%r" % (kind, name, cv[:200], sv[:200]), where)
                continue
            for i in range(a0, a1):
                k = "header-order" if cn[i] in sset and cn.count(cn[i]) == sn.count(cn[i]) else "header-missing"
                self.add(k, "%s %s" % (kind, cn[i]), where)
            for j in range(b0, b1):
                if sn[j] in cset and cn.count(sn[j]) == sn.count(sn[j]):
                    continue   # reported as header-order on the capture side
                self.add("header-extra", "%s %s" % (kind, sn[j]), where)
        if (cf.event_body is None) != (sf.event_body is None) or (
                cf.event_body is not None and not self.text_equal(self._body_norm(cf), self._body_norm(sf))):
            self.add("event-body", "%s cap=%r sim=%r" % (kind, (cf.event_body or "")[:200],
                                                        (sf.event_body or "")[:200]), where)

    def _body_norm(self, f):
        body = f.event_body or ""
        if f.get("Job-Command") == "status":
            body = status_norm(body)
        return body

    # ------------------------------------------------------------------ main
    def run(self):
        for conn in self.cap.connections():
            rec = self.res.conns.get(conn)
            if rec is None:
                self.add("connection-missing", conn)
                continue
            self.compare_replies(conn, rec.frames)
            self.compare_events(conn, rec.frames)
            cap_closed = any(r.kind == "note" and r.text.startswith("[conn %s] TCP connection closed" % conn)
                             for r in self.cap.records)
            if cap_closed != rec.closed:
                self.add("closed", "conn %s closed by server: capture %s, simulator %s" % (conn, cap_closed,
                                                                                            rec.closed))
        return self.diffs

    def unexplained(self):
        return [d for d in self.diffs if not any(k.covers(d) for k in KNOWN)]

    def explained(self):
        out = {}
        for d in self.diffs:
            for k in KNOWN:
                if k.covers(d):
                    out.setdefault(k.id, 0)
                    out[k.id] += 1
                    break
        return out
