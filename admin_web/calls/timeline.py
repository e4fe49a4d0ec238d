"""A call's timeline in words: each entry of the call-event log (engine.domain.calllog, call_events) as the console
says it, with the agent's name and the queue's, and the durations as h:mm:ss; codes (abandoned / ringing,
no_answer:NO_ANSWER, overflow:etax) never reach the page as they are."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_web.filters import hms
from admin_web.labels import OUTCOME_LABELS
from engine.domain.calllog import CallEventKind as K
from engine.domain.states import CallOutcome
from engine.reports.definitions import RATING_MEANINGS
from engine.store.models import CallEvent

KIND_LABELS = {
    K.ARRIVED: _l("Call arrived"), K.IVR_ENTERED: _l("IVR started"), K.IVR_COMPLETED: _l("IVR finished"),
    K.QUEUED: _l("Queued"), K.OFFERED: _l("Agent's phone rang"), K.NO_ANSWER: _l("Not answered by the agent"),
    K.ANSWERED: _l("Answered by the agent"), K.HELD: _l("Put on hold"), K.RETRIEVED: _l("Taken off hold"),
    K.TRANSFERRED: _l("Call transferred"), K.OVERFLOWED: _l("Overflow step"), K.ABANDONED: _l("Caller hung up while waiting"),
    K.CALLBACK_REQUESTED: _l("Callback requested"), K.VOICEMAIL: _l("Left for a voice message"),
    K.RELEASED: _l("Sent away by the queue"), K.CUT: _l("Cut off by a fault"), K.TALK_ENDED: _l("Conversation ended"),
    K.WRAP_UP_ENDED: _l("Wrap-up finished"), K.SURVEY: _l("Caller's satisfaction rating"), K.DIALED: _l("Outbound call"),
    K.ENDED: _l("Call ended"), K.TRUNK_ALL_BUSY: _l("All trunk lines busy"), K.TRUNK_FREE: _l("A trunk line came free"),
    K.SUPERVISED: _l("A supervisor joined the call"), K.SUPERVISION_ENDED: _l("The supervisor left the call"),
}
# how an offer ended (engine.acd.offers)
OFFER_RESULT_LABELS = {
    "answered": _l("Answered"),
    "no_answer": _l("No answer"),
    "rejected": _l("Rejected"),
    "busy": _l("Busy"),
    "unreachable": _l("Unreachable"),
    "caller_left": _l("Caller hung up"),
    "lost_race": _l("Another agent answered first"),
    "failed": _l("Could not ring the phone"),
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: dt.datetime
    kind: str
    what: str
    detail: str


def transfer_target(detail: str, private: str, queues: Mapping[str, str]) -> str:
    """A transfer entry's target in words (detail kind:target, consult:kind:target or takeover:extension; an outside
    number is in the sealed private part)."""
    text = detail.removeprefix("consult:")
    kind, _sep, target = text.partition(":")
    if kind == "takeover":
        return _("taken over by a supervisor at extension %(extension)s", extension=target)
    target = target or private
    if kind == "queue":
        words = _("queue %(queue)s", queue=queues.get(target, target))
    elif kind == "agent":
        words = _("agent %(agent)s", agent=target)
    elif kind == "flow":
        words = _("IVR flow %(flow)s", flow=target)
    elif kind == "number":
        words = _("number %(number)s", number=target) if target else _("an outside number")
    else:
        words = text
    return _("after a consultation, to %(target)s", target=words) if detail.startswith("consult:") else words


def _outcome(code: str) -> str:
    try:
        return str(OUTCOME_LABELS[CallOutcome(code)])
    except (ValueError, KeyError):
        return code


def _detail(event: CallEvent, agents: Mapping[int, str], queues: Mapping[str, str],
            flows: Mapping[str, str]) -> str:
    try:
        kind = K(event.kind)
    except ValueError:
        return event.detail or ""
    detail = event.detail or ""
    agent = agents.get(event.agent_id, "") if event.agent_id is not None else ""
    parts: list[str] = []
    if kind == K.IVR_ENTERED:
        parts.append(flows.get(detail, detail))
    elif kind == K.QUEUED:
        parts.append(queues.get(event.queue_code or "", event.queue_code or ""))
        if detail == "transfer":
            parts.append(_("again, after a transfer"))
        elif detail:
            parts.append(_("written from the switch's record"))
    elif kind in (K.OFFERED, K.ANSWERED, K.HELD, K.RETRIEVED, K.TALK_ENDED, K.WRAP_UP_ENDED) and agent:
        parts.append(agent)
        if kind == K.OFFERED and detail == "reoffer":
            parts.append(_("a phone already ringing, given to this call"))
    elif kind == K.NO_ANSWER:
        result, _sep, cause = detail.partition(":")
        parts += [p for p in (agent, str(OFFER_RESULT_LABELS.get(result, result)), cause) if p]
    elif kind == K.TRANSFERRED:
        parts += [p for p in (agent, transfer_target(detail, event.private or "", queues)) if p]
    elif kind == K.OVERFLOWED:
        step, _sep, code = detail.partition(":")
        parts.append(_("skills widened in %(queue)s", queue=queues.get(code, code)) if step == "widen"
                     else _("moved to the queue %(queue)s", queue=queues.get(code, code)))
    elif kind == K.ABANDONED:
        if detail == "ringing":
            parts.append(_("while an agent's phone was ringing") + (f" ({agent})" if agent else ""))
    elif kind in (K.RELEASED, K.CUT, K.ENDED):
        parts.append(_outcome(detail))
    elif kind == K.SURVEY and event.value is not None:
        parts.append(RATING_MEANINGS.get(event.value, str(event.value)))
    elif kind == K.DIALED:
        parts.append({"callback": _("a callback"), "answered": _("the number answered"),
                      "unanswered": _("the number did not answer")}.get(detail, detail))
    if event.wait_s is not None and kind not in (K.OFFERED, K.NO_ANSWER):
        parts.append(_("waited %(time)s", time=hms(event.wait_s)))
    if event.duration_s is not None:
        label = {K.NO_ANSWER: _("rang %(time)s"), K.ANSWERED: _("rang %(time)s"), K.RETRIEVED: _("held %(time)s"),
                 K.TALK_ENDED: _("talked %(time)s"), K.WRAP_UP_ENDED: _("wrap-up %(time)s"),
                 K.ENDED: _("whole call %(time)s"), K.TRANSFERRED: _("talked %(time)s before")}.get(kind)
        if label:
            parts.append(label % {"time": hms(event.duration_s)})
    return " · ".join(p for p in parts if p)


def entries(events: list[CallEvent], agents: Mapping[int, str], queues: Mapping[str, str],
            flows: Mapping[str, str]) -> list[Entry]:
    """The call's events in order, in words (agents: id -> "工号 name"; queues: code -> name; flows: name -> its
    description)."""
    out = []
    for event in events:
        try:
            what = str(KIND_LABELS[K(event.kind)])
        except ValueError:
            what = event.kind
        out.append(Entry(event.at, event.kind, what, _detail(event, agents, queues, flows)))
    return out
