"""Every answered call is recorded (stereo, metadata completed from the file); a caller whose agent hangs up
first rates the service — through the real ESL path."""
from __future__ import annotations

import io
import wave

from sqlalchemy import select

from engine import sealing
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import Recording, SurveyResult
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import read, record_of


def test_an_answered_call_is_recorded_in_stereo_with_its_metadata(sim, engine, db_url):
    uuid = sim.place_call(did="12366", ani="13811112222", digits="2", talk_time=60.0)   # 3 s at the test scale
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    recording = wait_until(lambda: read(db_url, lambda s: s.scalars(select(Recording).where(
        Recording.call_uuid == uuid, Recording.status != "recording")).first()), 10, "the recording completed")
    assert recording.status == "complete" and recording.problem == ""
    assert (recording.ani, recording.dnis, recording.agent_id, recording.queue_code) == (
        "13811112222", "12366", rec.agent_id, "etax")
    assert recording.employee_no.startswith("A") and recording.extension.isdigit()
    assert recording.size_bytes > 44 and len(recording.checksum) == 64 and recording.duration_s > 0
    # sealed on disk once the switch closed it (no key configured: the demo's), stereo inside
    sealed = wait_until(lambda: sealing.is_sealed(recording.path), 5, "the recording sealed")
    assert sealed and b"RIFF" not in open(recording.path, "rb").read(64)
    with wave.open(io.BytesIO(sealing.open_audio(recording.path, sealing.keyring("")))) as w:
        assert w.getnchannels() == 2            # caller left, agent right
    # started in the caller's own thread (sendmsg execute record_session), never by uuid_record from outside,
    # which on FreeSWITCH can leak the session when it races the caller's hang-up (docs/fsim-fidelity.md)
    started = [c["command"] for c in sim.commands() if c["command"].startswith(f"sendmsg {uuid}")
               and "execute-app-name: record_session" in c["command"]]
    assert len(started) == 1 and f"execute-app-arg: {recording.path} {{RECORD_STEREO=true}}" in started[0]
    assert not any(c["command"].startswith(f"api uuid_record {uuid} start") for c in sim.commands())


def test_when_the_agent_hangs_up_first_the_caller_rates_the_service(sim, engine, db_url):
    for ext in ("1006", "1007", "1008", "1009", "1001"):
        sim.set_phone(ext, talk_time=20.0)          # every etax agent ends the conversation (1 s at test scale)
    uuid = sim.place_call(did="12366", digits="25")  # 2: e-tax menu; 5: the rating asked after the call
    rec = wait_until(lambda: record_of(db_url, uuid), 40, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED and rec.hangup_side is HangupSide.AGENT
    assert rec.ivr_path.endswith("after_call > survey > rated:5 > thanks")
    rating = read(db_url, lambda s: s.scalars(select(SurveyResult).where(SurveyResult.call_uuid == uuid)).one())
    assert (rating.rating, rating.agent_id, rating.queue_code) == (5, rec.agent_id, "etax")


def test_basically_satisfied_is_stored_as_its_own_rating(sim, engine, db_url):
    """The shipped survey: "基本满意请按3" stores 6, so that a 3 stored by the first survey still means 一般."""
    for ext in ("1006", "1007", "1008", "1009", "1001"):
        sim.set_phone(ext, talk_time=20.0)
    uuid = sim.place_call(did="12366", digits="23")  # 2: e-tax menu; 3: 基本满意
    rec = wait_until(lambda: record_of(db_url, uuid), 40, "the call record")
    assert rec.ivr_path.endswith("after_call > survey > rated:3 > thanks")
    rating = read(db_url, lambda s: s.scalars(select(SurveyResult).where(SurveyResult.call_uuid == uuid)).one())
    assert (rating.rating, rating.agent_id, rating.queue_code) == (6, rec.agent_id, "etax")
