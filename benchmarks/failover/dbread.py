"""What the engine wrote, read back with plain SQL (SQLite or PostgreSQL alike) into plain values for compare.py:
call records, the call-event log, agents' states, callbacks and the agents' requests (holds, consultations)."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import create_engine, text

# kinds of call_events compare.py looks at (engine.domain.calllog.CallEventKind values)
EVENT_KINDS = ("arrived", "queued", "ended", "abandoned", "callback_requested", "cut", "answered", "released")


def _value(v) -> str | None:
    """An enum column as its value (SQLite gives text, PostgreSQL enum labels)."""
    return None if v is None else str(getattr(v, "value", v))


def _connect(url: str):
    if url.startswith("sqlite"):
        return create_engine(url.replace("sqlite:///", "sqlite:///file:", 1) + "?mode=ro&uri=true")
    return create_engine(url)


def logged_in(url: str) -> dict[str, str]:
    """Agents not logged out right now: employee_no -> state."""
    db = _connect(url)
    try:
        with db.connect() as conn:
            rows = conn.execute(text("select employee_no, state from agents")).all()
    finally:
        db.dispose()
    return {no: _value(state) for no, state in rows if _value(state) != "logged_out"}


def ready_agents(url: str) -> set[str]:
    """Employee numbers of the agents ready right now (the floor driver consults one of them)."""
    db = _connect(url)
    try:
        with db.connect() as conn:
            return {no for no, state in conn.execute(text("select employee_no, state from agents"))
                    if _value(state) == "ready"}
    finally:
        db.dispose()


def _count(url: str, sql: str) -> int:
    db = _connect(url)
    try:
        with db.connect() as conn:
            return conn.execute(text(sql)).scalar() or 0
    finally:
        db.dispose()


def pending_callbacks(url: str) -> int:
    return _count(url, "select count(*) from callbacks where status = 'pending'")


def record_count(url: str) -> int:
    return _count(url, "select count(*) from call_records")


def snapshot(url: str) -> dict:
    """Everything compare.py needs, once the floor has settled."""
    db = _connect(url)
    try:
        with db.connect() as conn:
            records = [dict(call_uuid=u, outcome=_value(o), hangup_side=_value(s), hangup_cause=c, agent_id=a)
                       for u, o, s, c, a in conn.execute(text(
                           "select call_uuid, outcome, hangup_side, hangup_cause, agent_id from call_records"))]
            kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
            events = [dict(call_uuid=u, kind=k, queue_code=q, detail=d) for u, k, q, d in conn.execute(text(
                f"select call_uuid, kind, queue_code, detail from call_events where kind in ({kinds}) order by id"))]
            rows = conn.execute(text("select id, employee_no, state, not_ready_reason from agents")).all()
            agents = {no: (_value(st), _value(r)) for _id, no, st, r in rows}
            agent_ids = {agent_id: no for agent_id, no, _st, _r in rows}
            callbacks = {u: (st, n) for u, st, n in conn.execute(text(
                "select call_uuid, status, attempts from callbacks"))}
            requests = Counter(f"{a}: {_short(r)}" for a, r in conn.execute(text(
                "select action, result from agent_requests")))
            not_ready = Counter(f"{_value(r)}" for (r,) in conn.execute(text(
                "select reason from agent_state_changes where to_state = 'not_ready'")))
            set_aside = [dict(agent=no, at=str(at), to=_value(to), reason=_value(r), cause=c, actor=who)
                         for no, at, to, r, c, who in conn.execute(text(
                             "select a.employee_no, c.at, c.to_state, c.reason, c.cause, c.actor "
                             "from agent_state_changes c join agents a on a.id = c.agent_id "
                             "where c.to_state = 'logged_out' or (c.to_state = 'not_ready' "
                             "and c.reason in ('system', 'no_answer')) order by c.at"))]
    finally:
        db.dispose()
    return {"records": records, "events": events, "agents": agents, "agent_ids": agent_ids, "callbacks": callbacks,
            "requests": dict(requests), "not_ready_changes": dict(not_ready), "set_aside": set_aside}


def _short(result: str | None) -> str:
    """A request's result without the details that differ per request ("refused: no call" stays)."""
    r = (result or "pending").strip()
    return r if len(r) <= 60 else r[:57] + "..."
