"""Calls that end while no engine is connected still get exactly one record, from the CDR the switch posts to the
console (mod_xml_cdr, simulated as engine/fsim/xml_cdr.py), through real HTTP and real ESL."""
from __future__ import annotations

import dataclasses

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import CallEvent, SwitchCdr
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import read, record_of, set_not_ready


def test_callers_who_hang_up_while_no_engine_is_connected_get_one_record_from_the_switch_cdr(
        sim, engine, engine_config, db_url):
    from admin_web.server import start as start_web
    config = dataclasses.replace(engine_config, web_host="127.0.0.1", web_port=0)
    web = start_web(config)
    try:
        sim.configure_xml_cdr(f"http://127.0.0.1:{web.server_port}/freeswitch/cdr", config.directory_credentials)
        set_not_ready(engine, ["1001", "1006", "1007", "1008", "1009"])     # nobody takes etax
        waiting = sim.place_call(did="12366", digits="2", patience=160)    # gives up 8 s in
        wait_until(lambda: waiting in engine.center.floor.waiting, 20, "the caller waiting in etax")
        engine.stop()                                                      # no engine from here on
        unseen = sim.place_call(did="12366", patience=20)                  # comes and goes while none is there
        wait_until(lambda: read(db_url, lambda s: s.scalar(select(SwitchCdr.call_uuid).where(
            SwitchCdr.call_uuid == waiting))), 30, "the switch's CDR of the caller who gave up")
        second = Engine(engine_config, directory_reload_s=0.3)
        second.start()
        try:
            rec = wait_until(lambda: record_of(db_url, waiting), 30, "the waiting caller's record")
            assert (rec.outcome, rec.hangup_side) == (CallOutcome.ABANDONED, HangupSide.CALLER)
            assert rec.enqueued_at is not None
            kinds = read(db_url, lambda s: [e.kind for e in s.scalars(select(CallEvent).where(
                CallEvent.call_uuid == waiting).order_by(CallEvent.id))])
            for kind in ("arrived", "queued", "abandoned", "ended"):
                assert kinds.count(kind) == 1, kinds
            other = wait_until(lambda: record_of(db_url, unseen), 30, "the record of the call no engine saw")
            assert other.hangup_side is HangupSide.CALLER and other.outcome is CallOutcome.IVR_ONLY
            assert read(db_url, lambda s: s.scalar(select(SwitchCdr.reconciled).where(
                SwitchCdr.call_uuid == unseen))) == "closed"
        finally:
            second.stop()
    finally:
        web.stop(timeout=2)
