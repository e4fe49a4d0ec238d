r"""Agent state machine: one table of transitions and a pure apply().

    LOGGED_OUT -1-> READY -3-> RESERVED -4-> TALKING -6-> WRAP_UP -7-> READY
                     ^  \2                \5   9|  ^10        \8
                     |   v                 v    v  |           v
                     +- NOT_READY <--------+   ON_HOLD -6->    NOT_READY

 1 login   2 not ready (with a reason)   3 a call is offered (the phone rings)   4 the agent answers
 5 the offer fails: unanswered -> NOT_READY(no_answer), cancelled -> READY   6 the call ends
 7 wrap-up done (timer or the agent)   8 the agent goes not ready during wrap-up   9 hold   10 retrieve.
 RESERVED -> RESERVED (reoffer): the caller hung up while the phone rang and the same ringing leg now rings for
 the next waiting caller the agent may serve.
 Logout from READY, NOT_READY, WRAP_UP. "Not ready" asked while ringing, talking or holding is kept as
 pending and applied when the wrap-up ends (the agent finishes the call first, then goes on the break).
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from engine.domain.errors import InvalidTransition
from engine.domain.states import AgentState, NotReadyReason

S = AgentState


class AgentTrigger(str, enum.Enum):
    """What can happen to an agent."""

    LOGIN = "login"
    READY = "ready"
    NOT_READY = "not_ready"
    LOGOUT = "logout"
    OFFER = "offer"
    ANSWER = "answer"
    OFFER_UNANSWERED = "offer_unanswered"
    OFFER_CANCELLED = "offer_cancelled"
    CALL_END = "call_end"
    WRAP_UP_DONE = "wrap_up_done"
    HOLD = "hold"
    UNHOLD = "unhold"
    DIAL = "dial"                  # the agent places an outbound call
    REOFFER = "reoffer"            # the ringing phone is given to another caller (the first one hung up)


T = AgentTrigger

TRANSITIONS: Mapping[tuple[AgentState, AgentTrigger], AgentState] = {
    (S.LOGGED_OUT, T.LOGIN): S.READY,
    (S.READY, T.NOT_READY): S.NOT_READY,
    (S.NOT_READY, T.NOT_READY): S.NOT_READY,      # change of reason
    (S.NOT_READY, T.READY): S.READY,
    (S.READY, T.LOGOUT): S.LOGGED_OUT,
    (S.NOT_READY, T.LOGOUT): S.LOGGED_OUT,
    (S.WRAP_UP, T.LOGOUT): S.LOGGED_OUT,
    (S.READY, T.OFFER): S.RESERVED,
    (S.READY, T.DIAL): S.RESERVED,
    (S.NOT_READY, T.DIAL): S.RESERVED,          # dialling out while not ready: back to not ready afterwards
    (S.RESERVED, T.ANSWER): S.TALKING,
    (S.RESERVED, T.REOFFER): S.RESERVED,         # same ringing leg, next caller (call_uuid changes)
    (S.RESERVED, T.OFFER_UNANSWERED): S.NOT_READY,
    (S.RESERVED, T.OFFER_CANCELLED): S.READY,
    (S.TALKING, T.CALL_END): S.WRAP_UP,
    (S.TALKING, T.HOLD): S.ON_HOLD,
    (S.ON_HOLD, T.UNHOLD): S.TALKING,
    (S.ON_HOLD, T.CALL_END): S.WRAP_UP,
    (S.RESERVED, T.NOT_READY): S.RESERVED,       # pending: applied after the call
    (S.TALKING, T.NOT_READY): S.TALKING,
    (S.ON_HOLD, T.NOT_READY): S.ON_HOLD,
    (S.WRAP_UP, T.WRAP_UP_DONE): S.READY,
    (S.WRAP_UP, T.READY): S.READY,
    (S.WRAP_UP, T.NOT_READY): S.NOT_READY,
}

_NEEDS_REASON = {(S.NOT_READY, T.NOT_READY), (S.READY, T.NOT_READY), (S.WRAP_UP, T.NOT_READY),
                 (S.RESERVED, T.OFFER_UNANSWERED), (S.RESERVED, T.NOT_READY), (S.TALKING, T.NOT_READY),
                 (S.ON_HOLD, T.NOT_READY)}
_ON_A_CALL = (S.RESERVED, S.TALKING, S.ON_HOLD)


@dataclasses.dataclass(frozen=True)
class Agent:
    """What the ACD knows of one agent at one moment."""

    agent_id: int
    employee_no: str
    name: str
    extension: str
    skills: Mapping[int, int]                 # skill id -> proficiency level 1..10
    state: AgentState = S.LOGGED_OUT
    reason: NotReadyReason | None = None
    since: float = 0.0                        # when the current state began (epoch seconds)
    idle_since: float = 0.0                   # when the agent last became READY (longest-idle ordering)
    call_uuid: str | None = None
    calls_answered: int = 0                   # today (reset by roll_day)
    talk_s: float = 0.0                       # talk time today, seconds
    last_offered_at: float = 0.0
    position: int = 0                         # order for top-down and round-robin (then 工号)
    pending_reason: NotReadyReason | None = None   # "not ready" asked during a call, applied after wrap-up
    hall_id: int | None = None                # the service hall (服务厅) the agent works for
    remote_number: str | None = None          # a remote or mobile agent is rung at this outside number
    stats_day: int = 0                        # the day the counters belong to
    active: bool = True

    def has_skill(self, skill_id: int, min_level: int) -> bool:
        """True when the agent holds the skill at min_level or above."""
        return self.skills.get(skill_id, 0) >= min_level


@dataclasses.dataclass(frozen=True)
class AgentStateChanged:
    """The record of one transition, to be stored (R-ADM-3, R-CTI-7)."""

    agent_id: int
    at: float
    from_state: AgentState
    to_state: AgentState
    reason: NotReadyReason | None
    cause: str
    actor: str
    call_uuid: str | None


def apply(agent: Agent, trigger: AgentTrigger, now: float, *, reason: NotReadyReason | None = None,
          cause: str = "", actor: str = "system", call_uuid: str | None = None) -> tuple[Agent, AgentStateChanged]:
    """Apply a trigger; return the new agent and the change to store, or raise InvalidTransition saying why."""
    dest = TRANSITIONS.get((agent.state, trigger))
    if dest is None:
        raise InvalidTransition(f"agent {agent.employee_no}: cannot {trigger.value} while {agent.state.value}")
    if (agent.state, trigger) in _NEEDS_REASON and reason is None:
        raise InvalidTransition(f"agent {agent.employee_no}: {trigger.value} needs a not-ready reason")
    pending = agent.pending_reason
    if trigger is T.DIAL and agent.state is S.NOT_READY:
        pending = agent.reason
    elif trigger is T.NOT_READY and agent.state in _ON_A_CALL:
        pending = reason                        # remembered; the state itself does not change yet
    elif trigger is T.WRAP_UP_DONE and pending is not None:
        dest, reason, pending = S.NOT_READY, pending, None
    elif dest in (S.READY, S.NOT_READY, S.LOGGED_OUT):
        pending = None
    if dest is not S.NOT_READY:
        reason = None
    if trigger is T.REOFFER:
        if call_uuid is None:
            raise InvalidTransition(f"agent {agent.employee_no}: reoffer needs the new call")
        new_call = call_uuid
    elif dest in _ON_A_CALL:
        new_call = call_uuid or agent.call_uuid
    else:
        new_call = agent.call_uuid if dest is S.WRAP_UP else None
    same = dest is agent.state and trigger is T.NOT_READY and agent.state in _ON_A_CALL
    changed = dataclasses.replace(
        agent, state=dest, reason=reason if not same else agent.reason,
        since=agent.since if same or trigger is T.REOFFER else now,
        call_uuid=new_call, pending_reason=pending,
        idle_since=now if dest is S.READY else agent.idle_since,
        calls_answered=agent.calls_answered + (1 if trigger is T.ANSWER else 0),
        talk_s=agent.talk_s + (now - agent.since if trigger is T.CALL_END else 0.0),
        last_offered_at=now if trigger is T.OFFER else agent.last_offered_at,
    )
    record = AgentStateChanged(agent.agent_id, now, agent.state, dest, reason, cause, actor,
                               call_uuid or agent.call_uuid)
    return changed, record


def roll_day(agent: Agent, day: int) -> Agent:
    """Reset the per-day counters (calls answered, talk time) when a new day begins."""
    if agent.stats_day == day:
        return agent
    return dataclasses.replace(agent, calls_answered=0, talk_s=0.0, stats_day=day)
