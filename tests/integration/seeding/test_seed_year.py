"""The generated year (small size) is a log the engine could have written: consistent call by call, agent by agent."""
from __future__ import annotations

import collections
import datetime as dt

import pytest
from sqlalchemy import select, text

from engine.seeding.year import SeedingError, YearOptions, seed_year
from engine.store.models import AgentStateChange, CallEvent, CallRecord, SurveyResult
from engine.store.session import make_engine

SMALL = YearOptions(calls=2000, agents=12, start=dt.date(2025, 3, 3), days=3, seed=7, rebuild_rollups=False)


def _as_epoch(value: dt.datetime) -> float:
    value = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value
    return value.timestamp()


@pytest.fixture
def seeded(database_url):
    summary = seed_year(database_url, SMALL, progress=lambda _line: None)
    eng = make_engine(database_url)
    with eng.connect() as conn:
        events = conn.execute(select(CallEvent).order_by(CallEvent.at, CallEvent.id)).all()
        changes = conn.execute(select(AgentStateChange).order_by(AgentStateChange.agent_id, AgentStateChange.at,
                                                                 AgentStateChange.id)).all()
        records = conn.execute(select(CallRecord)).all()
        surveys = conn.execute(select(SurveyResult)).all()
    eng.dispose()
    return summary, events, changes, records, surveys


def test_every_call_follows_the_engines_sequence(seeded):
    summary, events, _changes, records, surveys = seeded
    assert summary.calls == len(records) > 1500
    by_call = collections.defaultdict(list)
    for e in events:
        if not e.kind.startswith("trunk_"):
            by_call[e.call_uuid].append(e)
    kinds = collections.Counter(e.kind for e in events)
    for kind in ("arrived", "ivr_entered", "queued", "offered", "answered", "talk_ended", "wrap_up_ended",
                 "survey", "abandoned", "ended", "held", "retrieved", "transferred"):
        assert kinds[kind] > 0, kind
    assert kinds["talk_ended"] == kinds["wrap_up_ended"]
    outcomes = {r.call_uuid: r for r in records}
    for call_uuid, log in by_call.items():
        seen = [e.kind for e in log if e.kind != "wrap_up_ended"]
        if "dialed" in seen:                        # a callback: offered at the original place, then dialled
            assert seen[0] == "offered" and seen[-2:] == ["dialed", "ended"]
            continue
        assert seen[:2] == ["arrived", "ivr_entered"] and seen[-1] == "ended", seen
        assert log[-1].detail == outcomes[call_uuid].outcome.value if log[-1].kind == "ended" else True
        queued_at = None
        for e in log:
            if e.kind == "queued":
                queued_at = e.at
                assert _as_epoch(e.queued_at) == _as_epoch(e.at)
            if e.kind in ("arrived", "ivr_entered"):
                assert e.queued_at is None
            elif e.kind != "wrap_up_ended" and "queued" in seen[:seen.index(e.kind) + 1]:
                assert e.queued_at is not None and _as_epoch(e.queued_at) == _as_epoch(queued_at)
            if e.wait_s is not None:
                assert e.wait_s >= 0
                assert e.wait_s == pytest.approx(_as_epoch(e.at) - _as_epoch(e.queued_at), abs=0.002)
            if e.duration_s is not None:
                assert e.duration_s >= 0
        for i, e in enumerate(log):
            if e.kind == "answered":    # queued, then offered to this very agent, before the answer
                before = [x for x in log[:i]]
                assert any(x.kind == "queued" for x in before)
                offer = [x for x in before if x.kind == "offered"][-1]
                assert offer.agent_id == e.agent_id and offer.at <= e.at
            if e.kind == "survey":
                # the shipped survey's ratings: key 3 基本满意 stores 6, no 3 (一般) any more
                assert any(x.kind == "talk_ended" for x in log[:i]) and e.value in (1, 2, 4, 5, 6)
            if e.kind == "abandoned":   # gave up while waiting: not answered since entering the queue
                last_queued = max(j for j, x in enumerate(log[:i]) if x.kind == "queued")
                assert not any(x.kind == "answered" for x in log[last_queued:i])
    assert len(surveys) == kinds["survey"]
    assert sum(1 for r in records if r.outcome.value == "answered") == len({e.call_uuid for e in events
                                                                            if e.kind in ("answered", "dialed")})


def test_agent_states_chain_without_overlap(seeded):
    _summary, events, changes, _records, _surveys = seeded
    by_agent = collections.defaultdict(list)
    for c in changes:
        by_agent[c.agent_id].append(c)
    assert len(by_agent) == 12
    for agent_id, log in by_agent.items():
        assert log[0].from_state.value == "logged_out" and log[-1].to_state.value == "logged_out"
        for previous, change in zip(log, log[1:]):
            assert change.from_state == previous.to_state, (agent_id, previous, change)
            assert change.at >= previous.at
            if change.to_state.value == "not_ready":
                assert change.reason is not None
    # an agent talks to one caller at a time: answered .. talk_ended intervals never overlap per agent
    talks = collections.defaultdict(list)
    started = {}
    for e in events:
        if e.kind == "answered":
            started[(e.call_uuid, e.agent_id)] = e.at
        elif e.kind == "talk_ended" and (e.call_uuid, e.agent_id) in started:
            talks[e.agent_id].append((started.pop((e.call_uuid, e.agent_id)), e.at))
    for spans in talks.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_trunk_all_busy_and_free_come_in_pairs(seeded):
    _summary, events, *_ = seeded
    open_since = {}
    pairs = 0
    for e in events:
        if e.kind == "trunk_all_busy":
            assert e.detail not in open_since and e.value > 0
            open_since[e.detail] = e.at
        elif e.kind == "trunk_free":
            since = open_since.pop(e.detail)
            assert e.duration_s == pytest.approx(_as_epoch(e.at) - _as_epoch(since), abs=0.002)
            pairs += 1
    assert pairs > 0 and not open_since


def test_same_seed_same_year_and_no_silent_overwrite(tmp_path):
    from engine.store.migrate import upgrade
    digests = []
    for name in ("a.db", "b.db"):
        url = f"sqlite:///{tmp_path / name}"
        upgrade(url)
        seed_year(url, SMALL, progress=lambda _line: None)
        eng = make_engine(url)
        with eng.connect() as conn:
            digests.append(conn.execute(text(
                "select kind, count(*), sum(coalesce(wait_s, 0)), sum(coalesce(duration_s, 0)), min(at), max(at) "
                "from call_events group by kind order by kind")).all())
        eng.dispose()
    assert digests[0] == digests[1]
    with pytest.raises(SeedingError, match="--replace"):
        seed_year(url, SMALL, progress=lambda _line: None)
