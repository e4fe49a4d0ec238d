"""Repositories: the ACD's view of the configuration, and writing agent state changes and call records."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.domain.agent import Agent as AcdAgent
from engine.store.base import utcnow
from engine.domain.agent import AgentStateChanged
import json
import logging

from engine.domain.commands import (SaveCallback, SaveCallRecord, SaveOffer, SaveRecording, SaveRequestResult,
                                   SaveQueueStatus, SaveSurveyResult, SaveTrunkStatus, SaveVoicemail)
from engine.domain.events import AgentRequest as AgentRequestEvent
from engine.domain.events import PendingCallback
from engine.domain.queueing import OVERFLOW_ACTIONS, OverflowStep
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState
from engine.store.models import (Agent, AgentRequest, AgentSkill, AgentStateChange, Callback, CallOffer, CallRecord,
                                 PublishedNumber, Queue, QueueHallStatus, QueueSkill, QueueStatus, Recording, Skill, SurveyResult,
                                 TrunkStatus, Voicemail)

logger = logging.getLogger(__name__)


def to_datetime(epoch: float | None) -> dt.datetime | None:
    """Epoch seconds to an aware UTC datetime."""
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def to_epoch(value: dt.datetime | None) -> float:
    """Aware (or naive UTC, as SQLite returns) datetime to epoch seconds."""
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def load_directory(session: Session) -> tuple[tuple[AcdAgent, ...], tuple[QueueSpec, ...], dict[str, str]]:
    """Agents (with their stored state), queues and active numbers as the ACD needs them."""
    # plain rows, no ORM objects: the engine reads this every couple of seconds, whatever the load
    agent_skills: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in session.execute(select(AgentSkill.agent_id, AgentSkill.skill_id,
                                                            AgentSkill.level)):
        agent_skills.setdefault(agent_id, {})[skill_id] = level
    a = Agent.__table__.c
    agents = tuple(
        AcdAgent(agent_id=r.id, employee_no=r.employee_no, name=r.name, extension=r.extension,
                 skills=agent_skills.get(r.id, {}), state=r.state, reason=r.not_ready_reason,
                 since=to_epoch(r.state_since), idle_since=to_epoch(r.state_since), call_uuid=r.current_call_uuid,
                 active=r.active, position=r.position, hall_id=r.hall_id, remote_number=r.remote_number or None)
        for r in session.execute(select(a.id, a.employee_no, a.name, a.extension, a.state, a.not_ready_reason,
                                        a.state_since, a.current_call_uuid, a.active, a.position, a.hall_id,
                                        a.remote_number))
    )
    skill_ids = {code: sid for sid, code in session.execute(select(Skill.id, Skill.code))}
    queue_skills: dict[int, dict[int, int]] = {}
    for queue_id, skill_id, level in session.execute(select(QueueSkill.queue_id, QueueSkill.skill_id,
                                                            QueueSkill.min_level)):
        queue_skills.setdefault(queue_id, {})[skill_id] = level
    queue_rows = session.execute(select(*Queue.__table__.c)).all()
    queue_codes = {q.code for q in queue_rows}
    queues = tuple(
        QueueSpec(queue_id=q.id, code=q.code, name=q.name, required_skills=queue_skills.get(q.id, {}),
                  strategy=q.strategy, ring_timeout_s=q.ring_timeout_s, wrap_up_s=q.wrap_up_s,
                  max_wait_s=q.max_wait_s, moh=q.moh, priority_step_s=q.priority_step_s, max_size=q.max_size,
                  no_agent_action=q.no_agent_action, announce_every_s=q.announce_every_s,
                  callback_key=q.callback_key or None, voicemail_key=q.voicemail_key or None,
                  overflow=parse_overflow(q.overflow_rules, skill_ids, queue_codes, q.code))
        for q in queue_rows
    )
    numbers = {n.number: n.flow for n in session.scalars(select(PublishedNumber).where(PublishedNumber.active))}
    return agents, queues, numbers


# --- rows of the store commands, for the ORM writers here and the batch writer (engine.store.batch) ------------

WITH_CALL = (AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD, AgentState.WRAP_UP)   # agent row names its call
STATE_COLUMNS = ("agent_id", "at", "from_state", "to_state", "reason", "cause", "actor", "call_uuid")
AGENT_STATE_COLUMNS = ("state", "not_ready_reason", "state_since", "current_call_uuid")
OFFER_COLUMNS = ("call_uuid", "agent_id", "queue_code", "offered_at", "settled_at", "result", "cause", "strategy",
                 "reason")
RECORD_COLUMNS = ("call_uuid", "ani", "dnis", "flow", "queue_id", "agent_id", "agent_leg_uuid", "started_at",
                  "enqueued_at", "answered_at", "ended_at", "outcome", "hangup_cause", "hangup_side", "ivr_path",
                  "offers", "priority", "direction", "transfers")
RECORDING_START_COLUMNS = ("path", "call_uuid", "ani", "dnis", "extension", "agent_id", "employee_no", "queue_code",
                           "started_at")
RECORDING_STOP_COLUMNS = ("stopped_at", "switch_ms", "status", "size_bytes", "checksum", "duration_s", "problem")


def state_change_row(change: AgentStateChanged) -> tuple:
    """The agent_state_changes row of a change (STATE_COLUMNS)."""
    return (change.agent_id, to_datetime(change.at), change.from_state, change.to_state, change.reason,
            change.cause[:64], change.actor[:64], change.call_uuid)


def agent_state_row(change: AgentStateChanged) -> tuple:
    """The agent's current state after a change (AGENT_STATE_COLUMNS of its agents row)."""
    return (change.to_state, change.reason, to_datetime(change.at),
            change.call_uuid if change.to_state in WITH_CALL else None)


def offer_row(offer: SaveOffer, agent_exists: bool) -> tuple:
    """The call_offers row of an offer (OFFER_COLUMNS); an agent the database does not have is left out."""
    return (offer.call_uuid, offer.agent_id if agent_exists else None, offer.queue_code,
            to_datetime(offer.offered_at), to_datetime(offer.settled_at), offer.result, offer.cause[:48],
            offer.strategy, offer.reason)


def call_record_row(rec: SaveCallRecord) -> tuple:
    """The call_records row of a call (RECORD_COLUMNS)."""
    return (rec.call_uuid, rec.ani[:64], rec.dnis[:64], rec.flow, rec.queue_id, rec.agent_id, rec.agent_leg_uuid,
            to_datetime(rec.started_at), to_datetime(rec.enqueued_at), to_datetime(rec.answered_at),
            to_datetime(rec.ended_at), rec.outcome, rec.hangup_cause[:48], rec.hangup_side, rec.ivr_path,
            rec.offers, rec.priority, rec.direction, rec.transfers)


def recording_start_row(rec: SaveRecording) -> tuple:
    """A new recordings row (RECORDING_START_COLUMNS; the others take their defaults: status recording)."""
    return (rec.path, rec.call_uuid, rec.ani[:64], rec.dnis[:64], rec.extension, rec.agent_id, rec.employee_no,
            rec.queue_code, to_datetime(rec.started_at or rec.stopped_at))


def recording_stop_row(rec: SaveRecording, facts) -> tuple:
    """A stopped recording's completion from its file (RECORDING_STOP_COLUMNS)."""
    return (to_datetime(rec.stopped_at), rec.record_ms, facts.status, facts.size_bytes, facts.checksum,
            facts.duration_s, facts.problem[:255])


def save_agent_state(session: Session, change: AgentStateChanged) -> None:
    """Append the change to the log and update the agent's current state (one transaction, by the caller)."""
    agent = session.get(Agent, change.agent_id)
    if agent is None:
        return
    for name, value in zip(AGENT_STATE_COLUMNS, agent_state_row(change)):
        setattr(agent, name, value)
    session.add(AgentStateChange(**dict(zip(STATE_COLUMNS, state_change_row(change)))))


def save_call_record(session: Session, rec: SaveCallRecord) -> None:
    """Insert the call's record; a record already written for this call is left as it is (idempotent)."""
    if session.scalar(select(CallRecord.id).where(CallRecord.call_uuid == rec.call_uuid)) is not None:
        return
    session.add(CallRecord(**dict(zip(RECORD_COLUMNS, call_record_row(rec)))))


class OverflowRuleError(ValueError):
    """An overflow rule of a queue is invalid; the message says which and why."""


def parse_overflow(raw: str, skill_ids: dict[str, int], queue_codes: set[str], queue: str,
                   strict: bool = False) -> tuple[OverflowStep, ...]:
    """Queue overflow rules from their JSON text; invalid rules are logged and left out (or raise when strict)."""
    try:
        rules = json.loads(raw or "[]")
        if not isinstance(rules, list):
            raise OverflowRuleError("overflow rules must be a JSON list")
        steps = [_overflow_step(rule, skill_ids, queue_codes) for rule in rules]
    except (ValueError, TypeError) as exc:
        if strict:
            raise OverflowRuleError(f"queue {queue}: {exc}") from None
        logger.error("queue %s: overflow rules ignored: %s", queue, exc)
        return ()
    return tuple(sorted(steps, key=lambda step: step.after_s))


def _overflow_step(rule: object, skill_ids: dict[str, int], queue_codes: set[str]) -> OverflowStep:
    if not isinstance(rule, dict):
        raise OverflowRuleError("each overflow rule must be an object")
    after_s, action = int(rule.get("after_s", -1)), rule.get("action")
    if after_s < 0 or action not in OVERFLOW_ACTIONS:
        raise OverflowRuleError(f"rule {rule}: needs after_s >= 0 and action in {OVERFLOW_ACTIONS}")
    if action == "widen":
        skills = rule.get("skills")
        if not isinstance(skills, dict) or any(code not in skill_ids for code in skills):
            raise OverflowRuleError(f"rule {rule}: 'skills' must map known skill codes to minimum levels")
        return OverflowStep(after_s, action, skills={skill_ids[c]: int(lv) for c, lv in skills.items()})
    if action == "overflow":
        if rule.get("queue") not in queue_codes:
            raise OverflowRuleError(f"rule {rule}: 'queue' must name an existing queue")
        return OverflowStep(after_s, action, queue=str(rule["queue"]))
    if not rule.get("prompt"):
        raise OverflowRuleError(f"rule {rule}: 'prompt' is required")
    return OverflowStep(after_s, action, prompt=str(rule["prompt"]))


def save_offer(session: Session, offer: SaveOffer) -> None:
    """Append one offer and how it ended (why that agent: strategy and reason)."""
    exists = session.get(Agent, offer.agent_id) is not None
    session.add(CallOffer(**dict(zip(OFFER_COLUMNS, offer_row(offer, exists)))))


class PendingRequestsProbe:
    """Is any console request waiting to be picked up? Asked four times a second, almost always to hear no: one
    indexed read on a DBAPI connection of its own, kept open (autocommit where the driver has it, so no snapshot
    is held on PostgreSQL), with the SQL written once; no pool checkout, statement compilation or result
    processing per poll. A failed read drops the connection (the next poll opens another) and answers True, so
    that the ordinary path, which reports the error, runs."""

    SQL = f"SELECT 1 FROM {AgentRequest.__tablename__} WHERE processed_at IS NULL LIMIT 1"

    def __init__(self, engine) -> None:
        self._engine = engine
        self._conn = None

    def __call__(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.raw_connection()
                if hasattr(self._conn.driver_connection, "autocommit"):
                    self._conn.driver_connection.autocommit = True
            cursor = self._conn.cursor()
            try:
                cursor.execute(self.SQL)
                return cursor.fetchone() is not None
            finally:
                cursor.close()
        except Exception:
            self.close()
            return True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:       # already broken: nothing to give back
                pass


def take_pending_requests(session: Session, limit: int = 200) -> list[AgentRequestEvent]:
    """Console requests not yet picked up, oldest first; marked as taken in the same transaction."""
    rows = session.scalars(select(AgentRequest).where(AgentRequest.processed_at.is_(None))
                           .order_by(AgentRequest.id).limit(limit)).all()
    now = utcnow()
    events = []
    for row in rows:
        row.processed_at = now
        events.append(AgentRequestEvent(row.agent_id, row.action, row.reason.value if row.reason else None,
                                        row.actor, to_epoch(row.requested_at), row.id, row.argument,
                                        row.note or ""))
    return events


ORPHANED_REQUEST = "refused: the engine stopped before carrying it out; ask again"


def answer_orphaned_requests(session: Session) -> int:
    """Requests an engine took but never answered (it died in between): answered as not carried out, so that the
    console does not wait for them for ever. Called by the engine that holds the lease, before it takes any."""
    rows = session.scalars(select(AgentRequest).where(AgentRequest.processed_at.is_not(None),
                                                      (AgentRequest.result == "") | AgentRequest.result.is_(None))).all()
    for row in rows:
        row.result = ORPHANED_REQUEST
    return len(rows)


def save_request_result(session: Session, result: SaveRequestResult) -> None:
    """Record whether the engine carried a console request out, or why not."""
    row = session.get(AgentRequest, result.request_id)
    if row is not None:
        row.result = "ok" if result.accepted else f"refused: {result.message}"[:255]


def save_callback(session: Session, cb: SaveCallback) -> None:
    """Create the callback on request, then follow its attempts and outcome (keyed by the requesting call)."""
    row = session.scalar(select(Callback).where(Callback.call_uuid == cb.call_uuid))
    if row is None:
        row = Callback(call_uuid=cb.call_uuid, number=cb.number[:64], queue_code=cb.queue_code,
                       enqueued_at=to_datetime(cb.enqueued_at), requested_at=to_datetime(cb.at))
        session.add(row)
    row.status, row.attempts, row.last_cause = cb.status, cb.attempts, cb.cause[:48]
    if cb.agent_id is not None and session.get(Agent, cb.agent_id) is not None:
        row.agent_id = cb.agent_id
    if cb.status in ("done", "failed"):
        row.completed_at = to_datetime(cb.at)


def pending_callbacks(session: Session) -> tuple[PendingCallback, ...]:
    """Callbacks not yet done, to put back in their queues at start-up."""
    open_ = Callback.status.in_(("pending", "dialling"))
    rows = session.scalars(select(Callback).where(open_).order_by(Callback.enqueued_at))
    dnis = {r.call_uuid: r.dnis for r in session.scalars(select(CallRecord).where(
        CallRecord.call_uuid.in_(select(Callback.call_uuid).where(open_))))}
    return tuple(PendingCallback(r.call_uuid, r.number, dnis.get(r.call_uuid, ""), r.queue_code,
                                 to_epoch(r.enqueued_at), 0, r.attempts, r.status) for r in rows)


def save_voicemail(session: Session, vm: SaveVoicemail) -> None:
    """Store a voice message (once per call)."""
    if session.scalar(select(Voicemail.id).where(Voicemail.call_uuid == vm.call_uuid)) is None:
        session.add(Voicemail(call_uuid=vm.call_uuid, ani=vm.ani[:64], dnis=vm.dnis[:64], queue_code=vm.queue_code,
                              recorded_at=to_datetime(vm.recorded_at), file_path=vm.path, duration_s=vm.duration_s))


def save_queue_status(session: Session, status: SaveQueueStatus) -> None:
    """Replace each queue's published status, and the figures of every hall (engine.store.models.QueueHallStatus)."""
    at = to_datetime(status.at)
    session.execute(delete(QueueHallStatus))
    for snap in status.queues:
        row = session.get(QueueStatus, snap.queue_code) or QueueStatus(queue_code=snap.queue_code)
        row.waiting, row.longest_wait_since = snap.waiting, to_datetime(snap.longest_wait_since)
        row.agents_ready, row.agents_busy, row.agents_logged_in = snap.agents_ready, snap.agents_busy, \
            snap.agents_logged_in
        row.updated_at = at
        session.add(row)
        session.add_all(QueueHallStatus(queue_code=snap.queue_code, hall_id=h.hall_id, waiting=h.waiting,
                                        longest_wait_since=to_datetime(h.longest_wait_since),
                                        agents_ready=h.agents_ready, agents_busy=h.agents_busy,
                                        agents_logged_in=h.agents_logged_in) for h in snap.halls)


def save_trunk_status(session: Session, status: SaveTrunkStatus) -> None:
    """Replace the trunk group's published status."""
    row = session.get(TrunkStatus, status.name) or TrunkStatus(name=status.name)
    row.channels, row.in_use, row.all_busy_since = status.channels, status.in_use, to_datetime(status.all_busy_since)
    row.updated_at = to_datetime(status.at)
    session.add(row)


def save_survey_result(session: Session, result: SaveSurveyResult) -> None:
    """Store a rating (one per call; a second rating of the same call replaces the first)."""
    agent_id = result.agent_id if result.agent_id and session.get(Agent, result.agent_id) else None
    row = session.scalar(select(SurveyResult).where(SurveyResult.call_uuid == result.call_uuid))
    if row is None:
        row = SurveyResult(call_uuid=result.call_uuid, rating=result.rating, rated_at=to_datetime(result.at))
        session.add(row)
    row.agent_id, row.queue_code = agent_id, result.queue_code
    row.rating, row.rated_at = result.rating, to_datetime(result.at)


def save_recording(session: Session, rec: SaveRecording, inspect) -> None:
    """Create the recording's row when it starts; complete it from the file when the switch stops it."""
    row = session.scalar(select(Recording).where(Recording.path == rec.path))
    if row is None:
        if rec.stopped_at is not None and not rec.call_uuid:
            logger.warning("recording %s stopped but was never started by this engine", rec.path)
        row = Recording(**dict(zip(RECORDING_START_COLUMNS, recording_start_row(rec))))
        session.add(row)
    if rec.stopped_at is None:
        return
    facts = inspect(rec.path)
    if facts.checksum is None and facts.status == "complete" and row.checksum:
        return                  # a second stop of a file sealed since the first: its facts are those of the first
    for name, value in zip(RECORDING_STOP_COLUMNS, recording_stop_row(rec, facts)):
        setattr(row, name, value)
