"""Trunk channels in use, and the periods when every one was busy (R-RPT-4 all-busy counts and durations).

The engine cannot see channels the carrier refused, but it sees every leg it holds on the trunk: callers
(inbound legs), customers it dials (agents' outbound calls and callbacks), numbers a call is transferred to,
remote agents rung on the outside line and citizens rung for a follow-up visit. When they fill the configured channels, the trunk is all busy.
"""
from __future__ import annotations

from engine.acd.floor import Floor
from engine.domain.calllog import CallEventKind
from engine.domain.commands import Command, LogCallEvent
from engine.domain.states import AgentState

REMOTE_BUSY = (AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD)


def in_use(floor: Floor) -> int:
    """Trunk legs the engine holds right now (counted without walking every waiting call: it runs per event)."""
    legs = len(floor.calls) - len(floor.special_calls)          # the callers' legs
    for uuid in floor.special_calls:
        call = floor.calls.get(uuid)
        if call is not None and (call.customer_job is not None or call.answered_at is not None):
            legs += 1                                   # a customer being dialled or talking
    legs += len(floor.transfer_legs)
    legs += len(floor.follow_up_jobs)                   # citizens rung for an automated follow-up
    legs += sum(1 for i in floor.remote_agents if floor.agents[i].state in REMOTE_BUSY)
    return legs


def check(floor: Floor, now: float, out: list[Command]) -> None:
    """Log the start and the end of an all-busy period."""
    if floor.trunk_channels <= 0:
        return
    if floor.trunk_busy_since is None and len(floor.calls) + len(floor.transfer_legs) + len(floor.remote_agents) \
            + len(floor.follow_up_jobs) < floor.trunk_channels:
        return                                          # cannot be all busy: not worth counting
    used = in_use(floor)
    if used >= floor.trunk_channels and floor.trunk_busy_since is None:
        floor.trunk_busy_since = now
        out.append(LogCallEvent("", CallEventKind.TRUNK_ALL_BUSY, now, value=floor.trunk_channels,
                                detail=floor.trunk_group))
    elif used < floor.trunk_channels and floor.trunk_busy_since is not None:
        out.append(LogCallEvent("", CallEventKind.TRUNK_FREE, now, value=floor.trunk_channels,
                                duration_s=max(0.0, now - floor.trunk_busy_since), detail=floor.trunk_group))
        floor.trunk_busy_since = None
