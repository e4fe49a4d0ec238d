"""Key data sealed in the database (engine.store.sealed), on SQLite and PostgreSQL: what a reader of the database
file or a dump sees, what the console and the engine see, searches, reports by caller region, key rotation."""
from __future__ import annotations

import glob
import os

import pytest
from sqlalchemy import String, select, text, type_coerce

from engine.domain.calllog import CallEventKind
from engine.domain.commands import LogCallEvent, SaveCallRecord
from engine.domain.states import CallOutcome, HangupSide
from engine.store import calllog, repos, resealing, sealed
from engine.store.models import Agent, CallEvent, CallRecord, ReportCallerRegionDay
from engine.store.session import transaction

CALLER = "13800138000"
TAXPAYER_ID = "91440300MA5F1234X7"


def _call(s, uuid="c-1", ani=CALLER, at=1_800_000_000.0):
    repos.save_call_record(s, SaveCallRecord(uuid, ani, "12366", "tax_main", None, None, None, at, at + 5, at + 9,
                                             at + 60, CallOutcome.ANSWERED, "NORMAL_CLEARING", HangupSide.CALLER,
                                             f"welcome > menu > key:2 | taxpayer_id={TAXPAYER_ID}", 1))
    calllog.append(s, LogCallEvent(uuid, CallEventKind.ARRIVED, at, ani=ani, dnis="12366"))


def _stored(s, column) -> list[str]:
    return list(s.scalars(select(type_coerce(column, String()))))


def test_no_caller_number_or_collected_id_is_readable_in_the_database(sessions, database_url):
    with transaction(sessions) as s:
        _call(s)
        agent = s.scalar(select(Agent).where(Agent.extension == "1001"))
        agent.remote_number = "13900139000"
    with transaction(sessions) as s:
        anis, paths = _stored(s, CallRecord.ani), _stored(s, CallRecord.ivr_path)
        assert anis[0].startswith("s1.") and CALLER not in anis[0]
        assert paths[0].startswith("r1.") and TAXPAYER_ID not in paths[0]
        assert all(v.startswith("s1.") for v in _stored(s, CallEvent.ani))
        # the engine and the console read them clear
        record = s.scalars(select(CallRecord)).one()
        assert record.ani == CALLER and record.ivr_path.endswith(TAXPAYER_ID)
        assert s.scalar(select(Agent.remote_number).where(Agent.extension == "1001")) == "13900139000"
    if database_url.startswith("sqlite"):
        sessions.kw["bind"].dispose()
        path = database_url.split("///", 1)[1]
        for name in glob.glob(path + "*"):          # the file, its WAL and shared memory
            data = open(name, "rb").read()
            assert CALLER.encode() not in data and TAXPAYER_ID.encode() not in data, os.path.basename(name)
            assert b"13900139000" not in data


def test_a_number_is_found_by_equality_and_a_like_search_is_refused(sessions):
    with transaction(sessions) as s:
        _call(s, "a", CALLER)
        _call(s, "b", "13900000002")
        _call(s, "c", CALLER, at=1_800_000_100.0)
    with transaction(sessions) as s:
        assert sorted(s.scalars(select(CallRecord.call_uuid).where(CallRecord.ani == CALLER))) == ["a", "c"]
        assert s.scalars(select(CallRecord.call_uuid).where(
            CallRecord.ani.in_(sealed.number_forms("+86 139 0000 0002")))).all() == ["b"]
        counts = dict(s.execute(select(CallEvent.ani, text("count(*)")).group_by(CallEvent.ani)).all())
        assert counts == {CALLER: 2, "13900000002": 1}
        with pytest.raises(TypeError, match="sealed"):
            select(CallRecord).where(CallRecord.ani.like("138%"))
        with pytest.raises(TypeError, match="sealed"):
            select(CallRecord).where(CallRecord.ivr_path == "x")


def test_reports_by_caller_region_work_on_sealed_numbers(sessions):
    with transaction(sessions) as s:
        _call(s, "a", CALLER)
        _call(s, "b", "075588888888")
    from engine.reports.rollups import rebuild_regions
    with transaction(sessions) as s:
        rebuild_regions(s, None, None)
    with transaction(sessions) as s:
        regions = {(r.province, r.city): r.calls for r in s.scalars(select(ReportCallerRegionDay))}
    assert regions.get(("北京市", "")) or regions.get(("北京市", "北京市")), regions    # 138 0013: Beijing
    assert any(city.startswith("深圳") for _p, city in regions), regions


def test_keys_rotate_and_values_written_before_sealing_are_sealed(sessions):
    with transaction(sessions) as s:
        _call(s, "old", CALLER)
        # a row written before this version: clear values
        s.execute(text("insert into callbacks (call_uuid, number, queue_code, enqueued_at, requested_at, status, "
                       "attempts, last_cause) values ('legacy', '13700137000', 'etax', :t, :t, 'pending', 0, '')"),
                  {"t": "2026-12-01 10:00:00"})
    from engine.store.models import Callback
    with transaction(sessions) as s:
        assert s.scalar(select(Callback.number).where(Callback.call_uuid == "legacy")) == "13700137000"
        assert s.scalar(select(Callback.call_uuid).where(Callback.number == "13700137000")) == "legacy"
    old = sealed.keys().current_id
    new_key = sealed.new_key()
    sealed.configure(new_key + "," + sealed.DEMO_DATA_KEY)
    with transaction(sessions) as s:                    # a search finds values of the key being rotated out
        assert s.scalar(select(CallRecord.call_uuid).where(CallRecord.ani == CALLER)) == "old"
    outcome = resealing.reseal(sessions)
    assert outcome.key == sealed.keys().current_id != old and outcome.rewritten["callbacks"] == 1
    assert outcome.rewritten["call_records"] == 1 and outcome.rewritten["call_events"] == 1
    assert resealing.reseal_if_needed(sessions) is None             # done under this key already
    sealed.configure(new_key)                                       # the old key dropped
    with transaction(sessions) as s:
        assert s.scalar(select(CallRecord.ani)) == CALLER
        assert s.scalar(select(Callback.number).where(Callback.call_uuid == "legacy")) == "13700137000"
        assert all(sealed.key_id(v) == sealed.keys().current_id for v in _stored(s, Callback.number))
    sealed.configure(sealed.new_key())                              # a key that never sealed them
    with transaction(sessions) as s, pytest.raises(sealed.SealError, match="does not hold"):
        s.scalar(select(CallRecord.ani))


def test_unseal_writes_clear_values_for_a_downgrade(sessions):
    with transaction(sessions) as s:
        _call(s)
    outcome = resealing.unseal(sessions)
    assert outcome.rewritten["call_records"] == 1
    with transaction(sessions) as s:
        assert _stored(s, CallRecord.ani) == [CALLER]
