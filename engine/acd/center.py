"""The call center's brain: one handle(event) -> commands entry point over the live floor. Pure: no I/O."""
from __future__ import annotations

import logging
from collections.abc import Callable

from engine.acd import (agent_actions, arrivals, callbacks, calllog, consult, directory, dispatch, effects, followups,
                        ivr_runner, offers, phones, queueing, reconcile, trunks, waiting)
from engine.acd.calllog import K
from engine.acd.endings import on_agent_leg_hangup, on_caller_hangup
from engine.acd.floor import Floor
from engine.domain.agent import AgentTrigger
from engine.domain.call import CallPhase
from engine.domain import agent as agent_fsm
from engine.domain import dialplan
from engine.domain.commands import (CancelTimer, Command, HallFigures, Hangup, QueueSnapshot, SaveQueueStatus,
                                   SaveSwitchStatus, SaveTrunkStatus, SaveRequestResult, StartTimer, Supervise)
from engine.domain.errors import InvalidTransition
from engine.domain.events import (AgentRequest, AppFinished, CallbacksLoaded, CallParked, CdrsArrived, CommandFailed,
                                  DigitPressed,
                                  DirectoryLoaded, Event, FlowsLoaded, FollowUpsDue,
                                  LegAnswered, LegBridged, LegHeld, LegHungUp, OriginateResult, PhoneProbed,
                                  PublishStatus, RecordingStopped, Shutdown, SwitchLimits, SwitchSynced, TimerFired)
from engine.domain.routing import qualifies
from engine.domain.states import AgentState, CallOutcome, NotReadyReason
from engine.ivr.model import Flow

logger = logging.getLogger(__name__)


class CallCenter:
    """Applies events to the floor and returns the commands to execute, in order."""

    def __init__(self, flows: dict[str, Flow], prompts_dir: str, new_id: Callable[[], str],
                 recordings_dir: str = "recordings", region_of: Callable[[str], tuple[str, str]] | None = None,
                 trunk_group: str = "pstn", trunk_channels: int = 0, exempt_agent_legs: bool = True,
                 international_dialling: bool = False):
        self.floor = Floor(flows=flows, prompts_dir=prompts_dir, new_id=new_id, recordings_dir=recordings_dir,
                           trunk_group=trunk_group, trunk_channels=trunk_channels)
        self.floor.pacer.exempt = exempt_agent_legs
        if international_dialling:
            self.floor.dialable = dialplan.DOMESTIC | {dialplan.NumberKind.INTERNATIONAL}
        if region_of is not None:
            self.floor.region_of = region_of

    def handle(self, event: Event) -> list[Command]:
        """Apply one event, then let the dispatch point offer what became possible; never raises for bad
        input (it is logged and the state kept)."""
        out: list[Command] = []
        handler = _HANDLERS.get(type(event))
        if handler is None:
            logger.warning("no handler for %r", event)
            return out
        handler(self.floor, event, out)
        at = getattr(event, "at", None)
        if at is not None:
            dispatch.settle(self.floor, at, out)
            trunks.check(self.floor, at, out)
        return out

    def set_flows(self, flows: dict[str, Flow]) -> None:
        """Serve new calls with these flows (calls already in a flow keep the version they began with)."""
        self.floor.flows = {**self.floor.flows, **flows}


def _on_parked(floor: Floor, ev: CallParked, out: list[Command]) -> None:
    """A new inbound call starts its flow; a known caller parked again means the agent left first."""
    call = floor.calls.get(ev.uuid)
    if call is not None or ev.uuid in floor.agent_legs or not ev.inbound:
        return          # agent legs park after answering; known callers are handled by the agent's hang-up
    floor.pacer.inbound(ev.at)
    arrivals.start_call(floor, ev, out)


def _on_app_finished(floor: Floor, ev: AppFinished, out: list[Command]) -> None:
    """A prompt or menu finished: move the call on."""
    call = floor.calls.get(ev.uuid)
    if call is None or not (call.pending_app == ev.app_uuid or call.pending_app == directory.ADOPTED_APP + ev.app):
        return
    if ev.hangup and not (call.end_outcome is CallOutcome.VOICEMAIL and ev.app == "record"):
        return          # cut short by the caller's hang-up: the leg's end follows (nothing to play any more)
    if queueing.music_plays_on(call, ev):
        return          # one pass of a waiting caller's hold music: the switch plays it again itself
    music = (call.pending_app or "").startswith(queueing.MUSIC_APP)
    call.pending_app = None
    if ev.response == "FILE NOT FOUND":     # counted in the call's path; the flow goes on, never silence
        call.ivr_path.append(f"prompt_missing:{call.node or ev.app}")
        logger.warning("call %s: a prompt of node %s of flow %s is missing on the switch", call.uuid, call.node,
                       call.flow)
    if call.ending:
        if call.end_outcome is not None:        # the all-busy (or goodbye) prompt has been spoken
            queueing.on_release_prompt_done(floor, call, out)
        return
    if call.end_outcome is CallOutcome.VOICEMAIL and ev.app == "record":
        waiting.on_voicemail_recorded(floor, call, ev, out)
        return
    if call.flow is None:           # the unknown-number fallback has been spoken
        call.ending = True
        out.append(Hangup(call.uuid, "UNALLOCATED_NUMBER"))
        return
    if call.phase in queueing.WAITING_PHASES:     # waiting, or an agent's phone rings for it
        queueing.media_ended(floor, call, music, ev.at, out)
        return
    if call.phase is CallPhase.IVR:
        arrivals.run_node(floor, call, ivr_runner.next_node(floor, call, ev, out), ev.at, out)


def _on_originate_result(floor: Floor, ev: OriginateResult, out: list[Command]) -> None:
    """An outcome of dialling: an offer to an agent, a supervisor's phone, a consultation, a callback's
    customer, or a transfer from the IVR."""
    if ev.job_uuid in floor.offers:
        offers.on_originate_result(floor, ev, out)
        return
    if ev.job_uuid in floor.follow_up_jobs:     # an automated follow-up call (回访)
        followups.on_result(floor, ev, out)
        return
    supervision = floor.supervision_jobs.pop(ev.job_uuid, None)
    if supervision is not None:         # the supervisor's phone joined (or not): the floor marks the call meanwhile
        logger.info("supervision %s: %s", supervision, "joined" if ev.ok else f"failed ({ev.cause})")
        _supervision_joined(floor, ev, out)
        return
    consulting = next((c for c in floor.calls.values() if c.consult and c.consult.job_uuid == ev.job_uuid), None)
    if consulting is not None:
        consult.on_result(floor, consulting, ev, out)
        return
    customer_call = next((c for c in floor.calls.values() if c.customer_job == ev.job_uuid), None)
    if customer_call is not None:
        callbacks.customer_result(floor, customer_call, ev, out)
        return
    call = next((c for c in floor.calls.values() if c.transfer_job == ev.job_uuid), None)
    if call is None:
        offers.on_originate_result(floor, ev, out)      # settled already: an answered phone is hung up
        return
    if call.ending:
        if ev.ok and ev.leg_uuid:
            out.append(Hangup(ev.leg_uuid, "ORIGINATOR_CANCEL"))
        return
    if ev.ok and ev.leg_uuid:
        floor.transfer_legs[ev.leg_uuid] = call.uuid
    next_node = ivr_runner.on_transfer_result(floor, call, ev, out)
    if next_node == ivr_runner.BACK_TO_QUEUE:       # an agent's transfer to a number failed: back to waiting
        queueing.enqueue(floor, call, call.queue_code or next(iter(floor.queues)),
                         max(call.priority, agent_actions.TRANSFER_PRIORITY), ev.at, out)
        return
    arrivals.run_node(floor, call, next_node, ev.at, out)


def _supervision_joined(floor: Floor, ev: OriginateResult, out: list[Command]) -> None:
    leg = next((leg for leg, fact in floor.supervision_legs.items() if fact[0] == ev.job_uuid), None)
    if leg is None:
        return
    if ev.ok:
        floor.supervision_legs[leg][4] = ev.at
    else:                               # the supervisor's phone never joined: the call is not monitored after all
        _supervision_left(floor, leg, ev.at, out)


def _supervision_left(floor: Floor, leg: str, at: float, out: list[Command]) -> None:
    """A supervisor's phone left the agent's call: logged, so the floor stops marking the call as monitored."""
    _job, call_uuid, agent_id, mode, joined = floor.supervision_legs.pop(leg)
    call = floor.calls.get(call_uuid)
    if call is not None:
        calllog.log(call, K.SUPERVISION_ENDED, at, out, agent_id=agent_id, detail=mode,
                    duration_s=max(0.0, at - joined) if joined is not None else 0.0)


def _on_hangup(floor: Floor, ev: LegHungUp, out: list[Command]) -> None:
    """A leg ended: the caller's, an agent's, or the far end of a transfer. An agent's own leg gone frees the
    agent (the dispatch point may ring them again only now: never while their last leg is torn down)."""
    floor.saw_hangup(ev.uuid, ev.at)
    if floor.leg_gone(ev.uuid) is not None:
        out.append(CancelTimer(f"leg:{ev.uuid}"))
    call = floor.calls.get(ev.uuid)
    if call is not None:
        on_caller_hangup(floor, call, ev.cause, ev.at, out)
        return
    if ev.uuid in floor.supervision_legs:
        _supervision_left(floor, ev.uuid, ev.at, out)
        return
    consulted = floor.consult_legs.get(ev.uuid)
    if consulted in floor.calls:
        consult.on_leg_hangup(floor, floor.calls[consulted], ev.uuid, ev.at, out)
        return
    transferred = floor.transfer_legs.pop(ev.uuid, None)
    if transferred in floor.calls and not floor.calls[transferred].ending:
        floor.calls[transferred].ending = True          # the caller stays parked (park_after_bridge): release
        out.append(Hangup(transferred, "NORMAL_CLEARING"))
        return
    caller_uuid = floor.agent_legs.get(ev.uuid)
    call = floor.calls.get(caller_uuid) if caller_uuid else None
    if call is not None:
        on_agent_leg_hangup(floor, call, ev.cause, ev.at, out)


def _on_timer(floor: Floor, ev: TimerFired, out: list[Command]) -> None:
    """Wrap-up over, or an offer the switch never settled."""
    kind, _, key = ev.key.partition(":")
    if kind == "wrapup":
        agent = floor.agents.get(int(key))
        if agent is not None and agent.state.value == "wrap_up":
            floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, ev.at, out, cause="wrap-up time over")
        return
    if kind == "offer":
        offers.on_offer_timeout(floor, key, ev.at, out)
        return
    if kind == "pace":
        return              # the switch's budget allows originates again: the dispatch point runs after this
    if kind == "kill":
        offers.kill_again(floor, key, out)
        return
    if kind == "leg":
        if floor.leg_gone(key) is not None:
            logger.warning("agent leg %s: its end was never reported; taken as gone", key)
        return
    if kind == "recheck":
        phones.due(floor, int(key), out)
        return
    if kind == "cbretry":
        callbacks.retry_due(floor, key, ev.at, out)
        return
    if kind == "cbunresolved":
        callbacks.unresolved_due(floor, key, ev.at, out)
        return
    if kind == "recstop":
        effects.recording_never_stopped(floor, key, ev.at, out)
        return
    call = floor.calls.get(key)
    if call is None or call.ending:
        return
    if kind == "moh" and call.phase in queueing.WAITING_PHASES and call.pending_app is None:
        queueing.retry_hold_music(floor, call, ev.at, out)
    elif kind == "step":
        queueing.on_step_due(floor, call, ev.at, out)
    elif kind == "maxwait":
        queueing.on_max_wait(floor, call, ev.at, out)
    elif kind == "announce" and call.phase is CallPhase.QUEUED:
        waiting.announce(floor, call, ev.at, out)


REFUSED_WINDOW_S = 900.0            # the wallboard's switch alert counts refusals of the last 15 minutes
REQUESTABLE = frozenset({AgentTrigger.LOGIN, AgentTrigger.READY, AgentTrigger.NOT_READY, AgentTrigger.LOGOUT})
WRAP_UP_EXTENSION_S = 60.0


SUPERVISION_MODES = ("listen", "whisper", "barge", "takeover")


def _supervise(floor: Floor, ev: AgentRequest, out: list[Command]) -> str:
    """A supervisor listens to, coaches (only the agent hears), barges into or takes over an agent's call."""
    if ev.action == "takeover":
        return agent_actions.take_over(floor, ev, out)
    agent = floor.agents.get(ev.agent_id)
    call = floor.calls.get(agent.call_uuid or "") if agent is not None else None
    if agent is None or call is None or call.agent_leg is None or call.answered_at is None:
        return f"agent {agent.employee_no if agent else ev.agent_id} is not in a conversation"
    if not (ev.argument or "").isdigit():
        return "the supervisor's extension is needed (digits)"
    job, leg = floor.new_id(), floor.new_id()
    floor.supervision_jobs[job] = f"{ev.actor} {ev.action} {agent.employee_no}"
    floor.supervision_legs[leg] = [job, call.uuid, agent.agent_id, ev.action, None]
    out.append(Supervise(ev.argument, call.agent_leg, ev.action, leg, job))   # type: ignore[arg-type]
    calllog.log(call, K.SUPERVISED, ev.at, out, agent_id=agent.agent_id, detail=ev.action)
    call.ivr_path.append(f"{ev.action}:{ev.actor}")
    logger.info("%s %ss agent %s on call %s from extension %s", ev.actor, ev.action, agent.employee_no,
                call.uuid, ev.argument)
    return ""


def _extend_wrap_up(floor: Floor, ev: AgentRequest, out: list[Command]) -> str:
    """The agent needs more after-call time: the wrap-up timer restarts; '' when done, else why not."""
    agent = floor.agents.get(ev.agent_id)
    if agent is None or agent.state.value != "wrap_up":
        return f"agent {agent.employee_no if agent else ev.agent_id}: can only extend wrap-up during wrap-up"
    out.append(StartTimer(f"wrapup:{ev.agent_id}", WRAP_UP_EXTENSION_S))
    logger.info("agent %s extended wrap-up by %.0f s", agent.employee_no, WRAP_UP_EXTENSION_S)
    return ""


def _on_agent_request(floor: Floor, ev: AgentRequest, out: list[Command]) -> None:
    """Login / ready / not ready / logout asked by the agent or a supervisor; the answer goes back to the console."""
    if ev.action in ("extend_wrap_up", *SUPERVISION_MODES, *agent_actions.CALL_ACTIONS):
        if ev.action == "extend_wrap_up":
            message = _extend_wrap_up(floor, ev, out)
        elif ev.action in SUPERVISION_MODES:
            message = _supervise(floor, ev, out)
        else:
            message = agent_actions.handle(floor, ev, out)
        if message:
            logger.warning("request %s from %s for agent %s refused: %s", ev.action, ev.actor, ev.agent_id, message)
        if ev.request_id is not None:
            out.append(SaveRequestResult(ev.request_id, not message, message, ev.agent_id))
        return
    message = ""
    try:
        trigger = AgentTrigger(ev.action)
        reason = NotReadyReason(ev.reason) if ev.reason else None
        if trigger not in REQUESTABLE:
            raise ValueError
    except ValueError:
        message = f"unknown request {ev.action}/{ev.reason}"
    else:
        agent = floor.agents.get(ev.agent_id)
        try:
            if agent is None:
                raise InvalidTransition(f"agent {ev.agent_id} is not known to the engine")
            agent_fsm.apply(agent, trigger, ev.at, reason=reason)          # dry run: the refusal's reason
        except InvalidTransition as exc:
            message = str(exc)
    accepted = not message and floor.change_agent(ev.agent_id, trigger, ev.at, out, reason=reason,
                                                  cause="requested", actor=ev.actor)
    if accepted:
        phones.forget(floor, ev.agent_id)
    else:
        logger.warning("request from %s for agent %s refused: %s", ev.actor, ev.agent_id, message)
    if ev.request_id is not None:
        out.append(SaveRequestResult(ev.request_id, accepted, message, ev.agent_id))


def _on_command_failed(floor: Floor, ev: CommandFailed, out: list[Command]) -> None:
    """The switch refused a command: a failed bridge puts the caller back in the queue; otherwise log it."""
    logger.warning("switch command %s failed for %s: %s", ev.key, ev.uuid, ev.detail)
    call = floor.calls.get(ev.uuid or "")
    if call is not None:
        call.ivr_path.append(f"switch_error:{ev.key}")
        if ev.key in ("play", "collect") and call.pending_app and not call.ending:
            # the prompt or menu could not start: the flow goes on as after a timeout, never left in silence
            _on_app_finished(floor, AppFinished(call.uuid, "playback", call.pending_app, "PLAYBACK ERROR", None,
                                                "failure", ev.at), out)
    if ev.key == "bridge" and call is not None and call.phase is CallPhase.CONNECTED and call.agent_leg:
        out.append(Hangup(call.agent_leg, "NORMAL_TEMPORARY_FAILURE"))


def _on_hold(floor: Floor, ev: LegHeld, out: list[Command]) -> None:
    """The caller or the agent's leg of a connected call was held or retrieved: the agent is on hold or talking."""
    caller_uuid = ev.uuid if ev.uuid in floor.calls else floor.agent_legs.get(ev.uuid)
    call = floor.calls.get(caller_uuid or "")
    if call is None or call.phase is not CallPhase.CONNECTED or call.agent_id is None:
        return
    trigger = AgentTrigger.HOLD if ev.held else AgentTrigger.UNHOLD
    agent = floor.agents.get(call.agent_id)
    held_since = agent.since if agent is not None and agent.state is AgentState.ON_HOLD else None
    if floor.change_agent(call.agent_id, trigger, ev.at, out, cause="hold" if ev.held else "retrieved",
                          call_uuid=call.uuid):
        calllog.log(call, K.HELD if ev.held else K.RETRIEVED, ev.at, out,
                    duration_s=None if ev.held or held_since is None else max(0.0, ev.at - held_since))
    call.hold_count += 1 if ev.held else 0


def _on_shutdown(floor: Floor, ev: Shutdown, out: list[Command]) -> None:
    """Stopping: ask the switch to hang every call up; when forced, close the records of calls still open."""
    for call in list(floor.calls.values()):
        if call.callback_of and call.phase in (CallPhase.QUEUED, CallPhase.OFFERING):
            if call.phase is CallPhase.OFFERING or ev.force:   # stays pending in the database; reloaded at start
                dispatch.cancel_ringing(floor, call, "caller_left", ev.at, out)
                floor.calls.pop(call.uuid, None)
                floor.special_calls.discard(call.uuid)
                floor.waiting.remove(call.uuid)
            continue
        reconcile.cut(call, CallOutcome.ENGINE_STOPPED)
        if ev.force:
            on_caller_hangup(floor, call, "SYSTEM_SHUTDOWN", ev.at, out)
        elif ev.hangup:
            call.ending = True
            out.append(Hangup(call.uuid, "SYSTEM_SHUTDOWN"))
            for leg in [call.agent_leg, *call.ringing.values()]:
                if leg:
                    out.append(Hangup(leg, "SYSTEM_SHUTDOWN"))


def _on_flows_loaded(floor: Floor, ev: FlowsLoaded, out: list[Command]) -> None:
    """New versions serve new calls; calls in progress keep theirs; an invalid file keeps its last valid version."""
    floor.flows = {**floor.flows, **ev.flows}   # type: ignore[dict-item]
    for source, problems in ev.errors.items():
        logger.error("flow file %s rejected, last valid version kept: %s", source, "; ".join(problems))


def _on_recording_stopped(floor: Floor, ev: RecordingStopped, out: list[Command]) -> None:
    """The switch closed a recording: complete its metadata (the store reads the file's size and duration)."""
    effects.recording_stopped(floor, ev.path, ev.uuid, ev.at, ev.record_ms, out)


_BUSY = (AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD, AgentState.WRAP_UP)


def _queue_figures(waiting: list, able: list) -> tuple:
    """(waiting, longest wait since, agents ready, busy, signed in) of these calls and agents."""
    return (len(waiting), min((c.enqueued_at for c in waiting if c.enqueued_at), default=None),
            sum(a.state is AgentState.READY for a in able), sum(a.state in _BUSY for a in able), len(able))


def _on_publish_status(floor: Floor, ev: PublishStatus, out: list[Command]) -> None:
    """Each queue's waiting calls, longest wait and agents able to take it, for the supervisors' floor view."""
    snapshots = []
    for code, queue in floor.queues.items():
        waiting = [floor.calls[u] for u in floor.waiting if floor.calls[u].queue_code == code]
        able = [a for a in floor.agents.values() if a.active and qualifies(a, queue.required_skills)
                and a.state is not AgentState.LOGGED_OUT]
        by_hall: dict[int, tuple[list, list]] = {}
        for call in waiting:
            by_hall.setdefault(call.hall_chain[0] if call.hall_chain else 0, ([], []))[0].append(call)
        for agent in able:
            by_hall.setdefault(agent.hall_id or 0, ([], []))[1].append(agent)
        snapshots.append(QueueSnapshot(code, *_queue_figures(waiting, able), halls=tuple(
            HallFigures(hall, *_queue_figures(calls, agents)) for hall, (calls, agents) in sorted(by_hall.items()))))
    out.append(SaveQueueStatus(tuple(snapshots), ev.at))
    pacer = floor.pacer
    out.append(SaveSwitchStatus(floor.switch_connected, pacer.sessions_per_second, pacer.max_sessions, pacer.exempt,
                                pacer.refused_total, pacer.refused_since(ev.at - REFUSED_WINDOW_S),
                                pacer.last_refused_at(), ev.at, *floor.switch_sessions))
    if floor.trunk_channels:
        out.append(SaveTrunkStatus(floor.trunk_group, floor.trunk_channels, trunks.in_use(floor),
                                   floor.trunk_busy_since, ev.at))


def _on_switch_limits(floor: Floor, ev: SwitchLimits, out: list[Command]) -> None:
    """The switch connected with these limits (or went away): the pacing follows them."""
    floor.switch_connected = ev.connected
    floor.switch_sessions = (ev.sessions, ev.last_second) if ev.connected else (None, None)
    if ev.connected and (ev.sessions_per_second, ev.max_sessions) == (floor.pacer.sessions_per_second,
                                                                       floor.pacer.max_sessions):
        return                  # the periodic read: same limits, only the load figures changed
    if ev.connected:
        floor.pacer.configure(ev.sessions_per_second, ev.max_sessions)
        logger.info("switch limits: %s sessions per second, %s sessions at most; agent legs %s", ev.sessions_per_second,
                    ev.max_sessions, "exempt (no_throttle_limits)" if floor.pacer.exempt else "paced within the rate")


def _ignore(_floor: Floor, _ev: Event, _out: list[Command]) -> None:
    """Events that need no decision (yet)."""


_HANDLERS: dict[type, Callable[[Floor, Event, list[Command]], None]] = {
    CallParked: _on_parked,             # type: ignore[dict-item]
    AppFinished: _on_app_finished,      # type: ignore[dict-item]
    LegHungUp: _on_hangup,              # type: ignore[dict-item]
    OriginateResult: _on_originate_result,   # type: ignore[dict-item]
    TimerFired: _on_timer,              # type: ignore[dict-item]
    AgentRequest: _on_agent_request,    # type: ignore[dict-item]
    CommandFailed: _on_command_failed,  # type: ignore[dict-item]
    DirectoryLoaded: directory.on_directory_loaded,   # type: ignore[dict-item]
    SwitchSynced: directory.on_switch_synced,         # type: ignore[dict-item]
    Shutdown: _on_shutdown,             # type: ignore[dict-item]
    DigitPressed: waiting.on_digit,     # type: ignore[dict-item]
    LegHeld: _on_hold,                  # type: ignore[dict-item]
    FlowsLoaded: _on_flows_loaded,      # type: ignore[dict-item]
    RecordingStopped: _on_recording_stopped,   # type: ignore[dict-item]
    PublishStatus: _on_publish_status,  # type: ignore[dict-item]
    CallbacksLoaded: callbacks.on_callbacks_loaded,   # type: ignore[dict-item]
    SwitchLimits: _on_switch_limits,    # type: ignore[dict-item]
    PhoneProbed: phones.on_probed,      # type: ignore[dict-item]
    CdrsArrived: reconcile.on_cdrs_arrived,   # type: ignore[dict-item]
    FollowUpsDue: followups.on_due,     # type: ignore[dict-item]
    LegAnswered: _ignore,
    LegBridged: _ignore,
}
