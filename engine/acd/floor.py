"""The live floor: every agent, queue, number and call the ACD knows, with the indexes routing needs."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping

from engine.domain import agent as agent_fsm
from engine.domain import dialplan
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import Call
from engine.domain.calllog import CallEventKind
from engine.domain.commands import Command, LogCallEvent, SaveAgentState
from engine.domain.errors import InvalidTransition
from engine.domain.events import DueFollowUp, PendingCallback
from engine.domain.pacing import Pacer
from engine.domain.queueing import WaitingList, wait_key
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, NotReadyReason
from engine.ivr.conditions import CallContext
from engine.ivr.model import Flow

logger = logging.getLogger(__name__)
DAY_S = 86400
HUNG_UP_KEEP_S = 300.0      # how long a handled hang-up keeps its leg from being taken over again
HUNG_UP_PRUNE_AT = 2000


@dataclasses.dataclass(frozen=True)
class Offer:
    """An agent's phone being rung for a call: the originate job, the new leg, the agent, and why.

    caller_uuid is None once the offer is being cancelled (its caller left and nobody else waited): the leg is
    being hung up and the offer is forgotten when the originate's outcome arrives."""

    job_uuid: str
    caller_uuid: str | None
    agent_id: int
    leg_uuid: str
    queue_code: str
    offered_at: float
    reason: str
    strategy: str


@dataclasses.dataclass
class Floor:
    """Mutable state owned by the single ACD loop (no locks: one serial loop applies every event)."""

    flows: dict[str, Flow]
    prompts_dir: str
    new_id: Callable[[], str]
    tz_offset_s: int = 8 * 3600                      # the center's day starts at local midnight (UTC+8)
    recordings_dir: str = "recordings"
    queue_aht: dict[str, float] = dataclasses.field(default_factory=dict)   # live handling time per queue
    pending_retries: dict[str, Call] = dataclasses.field(default_factory=dict)  # callbacks waiting to retry
    # callbacks an engine before this one was dialling whose legs were gone at the takeover (callbacks.py)
    unresolved_callbacks: dict[str, PendingCallback] = dataclasses.field(default_factory=dict)
    dialable: frozenset = dialplan.DOMESTIC       # the kinds of numbers agents may dial, consult or transfer to
    calendar: object = None                          # WorkCalendar-like: is_holiday(date), is_workday(date)
    region_of: Callable[[str], object] = lambda number: None    # caller number -> CallerRegion (province, city…)
    rules: object = None                             # RuleSet
    skill_ids: dict[str, int] = dataclasses.field(default_factory=dict)
    agents: dict[int, Agent] = dataclasses.field(default_factory=dict)
    queues: dict[str, QueueSpec] = dataclasses.field(default_factory=dict)
    numbers: dict[str, str] = dataclasses.field(default_factory=dict)
    calls: dict[str, Call] = dataclasses.field(default_factory=dict)
    agent_legs: dict[str, str] = dataclasses.field(default_factory=dict)    # agent leg uuid -> caller uuid
    transfer_legs: dict[str, str] = dataclasses.field(default_factory=dict)  # far end of an IVR transfer -> caller
    consult_legs: dict[str, str] = dataclasses.field(default_factory=dict)   # consulted party's leg -> caller
    supervision_jobs: dict[str, str] = dataclasses.field(default_factory=dict)  # originate job -> what it is
    supervision_legs: dict[str, list] = dataclasses.field(default_factory=dict)   # a supervisor's leg ->
    #   [its originate job, the caller's call, the agent, the mode, when it joined]: its end is logged
    halls: dict[int, object] = dataclasses.field(default_factory=dict)          # hall id -> HallRef
    number_halls: dict[str, int | None] = dataclasses.field(default_factory=dict)
    offers: dict[str, Offer] = dataclasses.field(default_factory=dict)      # originate job uuid -> offer
    waiting: WaitingList = dataclasses.field(default_factory=WaitingList)
    ready_by_skill: dict[int, set[int]] = dataclasses.field(default_factory=dict)
    ready: set[int] = dataclasses.field(default_factory=set)
    round_robin: dict[str, tuple] = dataclasses.field(default_factory=dict)   # queue -> last offered agent order
    directory_loaded: bool = False
    wrap_ups: dict[int, tuple] = dataclasses.field(default_factory=dict)   # agent -> (queue, queued_at, hall) of
                                                                            # the call whose after-call work runs
    open_recordings: dict[str, str] = dataclasses.field(default_factory=dict)   # recording path -> call uuid, from
                                                                  # the start until the switch's RECORD_STOP
    trunk_group: str = "pstn"
    trunk_channels: int = 0                          # trunk capacity (0: unknown, all-busy never reported)
    trunk_busy_since: float | None = None
    # legs whose hang-up this engine handled, with when: a listing taken before it (and so still showing the leg,
    # `show channels` being slow under load) must not bring the leg back as a call to take over
    hung_up: dict[str, float] = dataclasses.field(default_factory=dict)
    live_legs: dict[str, int] = dataclasses.field(default_factory=dict)     # agent legs the switch may still have
    leg_of_agent: dict[int, str] = dataclasses.field(default_factory=dict)  # -> agent id, and back: an agent is
                                                                            # free only when its leg is gone
    orphans: list[tuple[str, str]] = dataclasses.field(default_factory=list)   # (job, why) of ringing offers
                                            # whose caller left or was answered elsewhere: re-offered or cancelled
    rechecks: dict[int, int] = dataclasses.field(default_factory=dict)   # agent set not ready by the system ->
                                                                         # phone checks so far (back-off)
    # seconds each agent's phone has rung, unanswered, for callers who gave up while it rang, since its last
    # answered (or rung-out) offer: the agent has had that much of the queue's ring timeout already
    unanswered_ring_s: dict[int, float] = dataclasses.field(default_factory=dict)
    retry_elsewhere: dict[str, int] = dataclasses.field(default_factory=dict)   # call -> agent the switch just
                                                                                # refused for it
    pacer: Pacer = dataclasses.field(default_factory=Pacer)
    switch_connected: bool = False
    switch_sessions: tuple[int | None, int | None] = (None, None)   # sessions now, created in the last second
    version: int = 0                                 # bumped when an agent becomes free or a call starts waiting
    fruitless: tuple | None = None                   # the dispatch point's last look that found no match
    special_calls: set[str] = dataclasses.field(default_factory=set)   # callbacks and agents' outbound calls
                                                     # (every other call is a caller holding a trunk leg)
    remote_agents: set[int] = dataclasses.field(default_factory=set)   # agents rung on the outside line
    follow_up_jobs: dict[str, tuple[DueFollowUp, str]] = dataclasses.field(default_factory=dict)   # automated follow-up
                                                     # calls being dialled: job -> (DueFollowUp, leg uuid)

    def prompt(self, name: str) -> str:
        """Absolute path (or stream URL) of a prompt."""
        if "://" in name or name.startswith("/"):
            return name
        return f"{self.prompts_dir.rstrip('/')}/{name}"

    def local_time(self, now: float) -> dt.datetime:
        """The center's local wall-clock time."""
        return dt.datetime.fromtimestamp(now, dt.timezone(dt.timedelta(seconds=self.tz_offset_s))).replace(tzinfo=None)

    def context(self, call: Call, now: float) -> CallContext:
        """What the flow's conditions may look at for this call, now."""
        local = self.local_time(now)
        day = local.date()
        if self.calendar is not None:
            holiday, workday = self.calendar.is_holiday(day), self.calendar.is_workday(day)
        else:
            holiday, workday = False, local.isoweekday() <= 5
        region = self.region_of(call.ani)
        return CallContext(now=local, caller=call.ani, called=call.dnis, holiday=holiday, workday=workday,
                           province=getattr(region, "province", None) or "", city=getattr(region, "city", None) or "",
                           variables=dict(call.variables))

    def decide(self, call: Call, now: float):
        """The routing rules' decision for a new call (None without rules or when none matches)."""
        if self.rules is None:
            return None
        from engine.domain.rules import RuleContext
        ctx = self.context(call, now)
        return self.rules.evaluate(RuleContext(call.ani, call.dnis, ctx.now, ctx.holiday, ctx.workday,
                                               self.region_of(call.ani), dict(call.variables)))

    def hall_chain_from(self, hall_id: int | None) -> tuple[int, ...]:
        """A hall and its parents, lowest level first."""
        from engine.domain.regions import tier_chain
        if hall_id is None or hall_id not in self.halls:
            return ()
        return tuple(h.hall_id for h in tier_chain(self.halls[hall_id], self.halls.values()))

    def day(self, now: float) -> int:
        """The center's local day number (for per-day agent counters)."""
        return int((now + self.tz_offset_s) // DAY_S)

    def put_agent(self, agent: Agent) -> None:
        """Store an agent and keep the index of free agents in step: ready, active, and no leg of theirs left on
        the switch (an agent whose last call's leg is still being torn down is not rung yet)."""
        old = self.agents.get(agent.agent_id)
        if old is not None and old.agent_id in self.ready:
            self.ready.discard(old.agent_id)
            for skill in old.skills:
                self.ready_by_skill.get(skill, set()).discard(old.agent_id)
        self.agents[agent.agent_id] = agent
        if agent.remote_number:
            self.remote_agents.add(agent.agent_id)
        else:
            self.remote_agents.discard(agent.agent_id)
        if agent.state is AgentState.READY and agent.active and agent.agent_id not in self.leg_of_agent:
            self.ready.add(agent.agent_id)
            for skill in agent.skills:
                self.ready_by_skill.setdefault(skill, set()).add(agent.agent_id)
            self.version += 1

    def changed(self) -> None:
        """Something that may make a waiting call offerable changed (besides an agent freed or a call added, which
        count themselves): the dispatch point must look again."""
        self.version += 1

    def is_free(self, agent_id: int) -> bool:
        """Ready, active and with no leg left on the switch: may be rung now."""
        return agent_id in self.ready

    def leg_up(self, leg_uuid: str, agent_id: int) -> None:
        """An agent leg exists (or is being created) on the switch."""
        self.live_legs[leg_uuid] = agent_id
        self.leg_of_agent[agent_id] = leg_uuid
        agent = self.agents.get(agent_id)
        if agent is not None:
            self.put_agent(agent)

    def saw_hangup(self, uuid: str, at: float) -> None:
        """A leg's hang-up was handled; legs seen ended over HUNG_UP_KEEP_S ago are forgotten (checked in bulk)."""
        self.hung_up[uuid] = at
        if len(self.hung_up) > HUNG_UP_PRUNE_AT:
            self.hung_up = {u: t for u, t in self.hung_up.items() if at - t < HUNG_UP_KEEP_S}

    def leg_gone(self, leg_uuid: str) -> int | None:
        """An agent leg is gone from the switch; its agent may be free again. Returns the agent id."""
        agent_id = self.live_legs.pop(leg_uuid, None)
        if agent_id is not None and self.leg_of_agent.get(agent_id) == leg_uuid:
            del self.leg_of_agent[agent_id]
            agent = self.agents.get(agent_id)
            if agent is not None:
                self.put_agent(agent)
        return agent_id

    def drop_agent(self, agent_id: int) -> None:
        """Forget an agent (deleted from the configuration while idle)."""
        agent = self.agents.get(agent_id)
        if agent is not None:
            self.put_agent(dataclasses.replace(agent, active=False))
            del self.agents[agent_id]
            self.remote_agents.discard(agent_id)

    def candidates(self, required: Mapping[int, int]) -> Iterable[Agent]:
        """Ready agents holding the rarest required skill (a superset of the eligible ones)."""
        if not required:
            return [self.agents[i] for i in self.ready]
        pools = [self.ready_by_skill.get(skill, set()) for skill in required]
        return [self.agents[i] for i in min(pools, key=len)]

    def waiting_key(self, call: Call) -> float:
        """The call's place among waiting calls (arrival time, advanced by its priority)."""
        queue = self.queues[call.queue_code]  # type: ignore[index]
        return wait_key(call.enqueued_at or 0.0, call.priority, queue.priority_step_s)

    def hall_chain(self, dnis: str) -> tuple[int, ...]:
        """The dialled number's hall and its parents, lowest level first (county, city, province)."""
        return self.hall_chain_from(self.number_halls.get(dnis))

    def queue_by_id(self, queue_id: int | None) -> QueueSpec | None:
        """The queue with that database id."""
        return next((q for q in self.queues.values() if q.queue_id == queue_id), None)

    def change_agent(self, agent_id: int, trigger: AgentTrigger, now: float, out: list[Command], *,
                     reason: NotReadyReason | None = None, cause: str = "", actor: str = "system",
                     call_uuid: str | None = None) -> bool:
        """Apply a trigger to an agent and queue the store command; log and keep the state if refused."""
        agent = self.agents.get(agent_id)
        if agent is None:
            logger.warning("agent %s unknown: %s ignored", agent_id, trigger.value)
            return False
        agent = agent_fsm.roll_day(agent, self.day(now))
        try:
            updated, change = agent_fsm.apply(agent, trigger, now, reason=reason, cause=cause, actor=actor,
                                              call_uuid=call_uuid)
        except InvalidTransition as exc:
            logger.warning("%s", exc)
            return False
        self.put_agent(updated)
        out.append(SaveAgentState(change))
        if change.to_state in (AgentState.NOT_READY, AgentState.LOGGED_OUT):
            self.unanswered_ring_s.pop(agent_id, None)       # a fresh ring budget when the agent comes back
        if change.from_state is AgentState.WRAP_UP and change.to_state is not AgentState.WRAP_UP:
            queue_code, queued_at, hall_id = self.wrap_ups.pop(agent_id, (None, None, None))
            out.append(LogCallEvent(call_uuid=agent.call_uuid or "", kind=CallEventKind.WRAP_UP_ENDED, at=now,
                                    queue_code=queue_code, agent_id=agent_id, queued_at=queued_at, hall_id=hall_id,
                                    duration_s=max(0.0, now - agent.since)))
        logger.info("agent %s %s -> %s (%s%s)", agent.employee_no, change.from_state.value, change.to_state.value,
                    cause or trigger.value, f", {reason.value}" if reason else "")
        return True
