"""Why the ACD offered a call to an agent, in words (issue 16): the engine stores each offer's reason as one English
sentence (call_offers.reason) of a fixed shape, built in one place per kind of offer:

* queue dispatch (engine.domain.routing.select_agent, prefixed by engine.acd.dispatch.tiered_candidates):
  ``[<halls> busy; ]served by <hall>; `` ``<strategy> among <n> ready agents with skills {<skill id>: <level>}``
  then ``: <employee no> has <detail>`` (detail per strategy: ``idle since <epoch s>``, ``<n> calls today``,
  ``<s> s talk today``, ``position <n>``, ``skill score <n>``), ``: ring all`` or ``: next after <employee no>|start``;
* a transfer to a named agent (engine.acd.agent_actions): ``transferred to <employee no> by request``;
* a ringing phone given to the next caller (engine.acd.dispatch.reoffer): ``re-offered: the phone was already ringing
  for <call>, whose caller hung up`` / ``, which another agent answered``;
* an offer found on the switch after a restart (engine.acd.directory): ``taken over after restart``;
* an agent's own outbound call (engine.acd.agent_actions): ``outbound call``.

`parse` reads that structure into its parts (the only place that knows it); `describe` puts the parts in the
console's language. A sentence of another shape is shown as it is, never guessed at.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from flask_babel import gettext as _

from admin_web.queues.vocab import STRATEGY_LABELS

_TIER = re.compile(r"^(?:(?P<busy>.+?) busy; )?served by (?P<served>.+?); (?P<rest>.*)$", re.S)
_SELECTION = re.compile(r"^(?P<strategy>[a-z_]+) among (?P<count>\d+) ready agents with skills \{(?P<skills>[^}]*)\}"
                        r": (?P<tail>.*)$", re.S)
_SKILL = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")
_CHOSEN = re.compile(r"^(?P<agent>\S+) has (?P<detail>.+)$", re.S)
_DETAILS = {
    "idle_since": re.compile(r"^idle since (?P<value>-?\d+(?:\.\d+)?)$"),
    "calls_today": re.compile(r"^(?P<value>\d+) calls today$"),
    "talk_today": re.compile(r"^(?P<value>\d+(?:\.\d+)?) s talk today$"),
    "position": re.compile(r"^position (?P<value>-?\d+)$"),
    "skill_score": re.compile(r"^skill score (?P<value>-?\d+)$"),
}
_NEXT_AFTER = re.compile(r"^next after (?P<after>\S+)$")
_TRANSFERRED = re.compile(r"^transferred to (?P<target>.+) by request$", re.S)
_REOFFERED = re.compile(r"^re-offered: the phone was already ringing for (?P<call>\S+), "
                        r"(?P<why>whose caller hung up|which another agent answered)$")
_NO_HALL = {"no hall", "agents without a hall"}


@dataclasses.dataclass(frozen=True)
class OfferReason:
    """The parts of an offer's reason; `kind` is selection, transferred, reoffered, adopted, outbound or unknown
    (then `text` is all there is)."""

    kind: str
    text: str
    strategy: str = ""
    ready: int | None = None                       # eligible agents the strategy chose among
    skills: tuple[tuple[int, int], ...] = ()        # (skill id, minimum level) the call needed
    agent: str = ""                                 # the employee number chosen (or transferred to)
    detail: str = ""                                # a key of _DETAILS, ring_all or next_after
    value: float | None = None                      # the detail's figure
    after: str = ""                                 # round robin: the employee number offered before ("start")
    busy_halls: tuple[str, ...] = ()                # tiered dispatch: the levels whose agents were all busy
    served_by: str = ""                             # tiered dispatch: the level that served
    caller_left: bool = False                       # re-offer: the earlier caller hung up (else answered elsewhere)


def parse(text: str | None) -> OfferReason:
    """The parts of a stored reason (kind unknown when it has none of the shapes the engine writes)."""
    raw = (text or "").strip()
    if raw == "taken over after restart":
        return OfferReason("adopted", raw)
    if raw == "outbound call":
        return OfferReason("outbound", raw)
    if m := _TRANSFERRED.match(raw):
        return OfferReason("transferred", raw, agent=m["target"])
    if m := _REOFFERED.match(raw):
        return OfferReason("reoffered", raw, caller_left=m["why"] == "whose caller hung up")
    busy: tuple[str, ...] = ()
    served = ""
    rest = raw
    if m := _TIER.match(raw):
        busy = tuple(h for h in (m["busy"] or "").split("、") if h)
        served, rest = m["served"], m["rest"]
    m = _SELECTION.match(rest)
    if not m:
        return OfferReason("unknown", raw)
    skills = []
    for pair in filter(None, (p.strip() for p in m["skills"].split(","))):
        skill = _SKILL.match(pair)
        if not skill:
            return OfferReason("unknown", raw)
        skills.append((int(skill[1]), int(skill[2])))
    base = dict(kind="selection", text=raw, strategy=m["strategy"], ready=int(m["count"]), skills=tuple(skills),
                busy_halls=busy, served_by=served)
    tail = m["tail"].strip()
    if tail == "ring all":
        return OfferReason(detail="ring_all", **base)
    if nxt := _NEXT_AFTER.match(tail):
        return OfferReason(detail="next_after", after=nxt["after"], **base)
    chosen = _CHOSEN.match(tail)
    if chosen:
        for key, pattern in _DETAILS.items():
            if found := pattern.match(chosen["detail"].strip()):
                return OfferReason(agent=chosen["agent"], detail=key, value=float(found["value"]), **base)
    return OfferReason("unknown", raw)


def spoken_span(seconds: float) -> str:
    """A length of time in words: 4 分 12 秒, 1 小时 5 分, 3 天 2 小时."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if minutes:
        return _("%(minutes)d min %(seconds)d s", minutes=minutes, seconds=secs)
    return _("%(seconds)d s", seconds=secs)


def _hall(name: str) -> str:
    return _("agents of no hall") if name in _NO_HALL else name


def describe(reason: OfferReason, offered_at_s: float | None = None,
             skill_names: Mapping[int, str] | None = None) -> str:
    """The reason in the console's language, its parts joined by " · " (offered_at_s: the offer's time as epoch
    seconds, for how long the chosen agent had been idle then; skill_names: skill id -> name)."""
    if reason.kind == "adopted":
        return _("Found ringing on the switch after an engine restart and taken over")
    if reason.kind == "outbound":
        return _("The agent's own outbound call")
    if reason.kind == "transferred":
        return _("Transferred straight to agent %(agent)s at an agent's request", agent=reason.agent)
    if reason.kind == "reoffered":
        return (_("The phone was still ringing for a caller who hung up; given to this call")
                if reason.caller_left else
                _("The phone was still ringing for a call another agent answered; given to this call"))
    if reason.kind != "selection":
        return reason.text
    parts = []
    if reason.served_by:
        if reason.busy_halls:
            parts.append(_("%(halls)s all busy", halls=_(", ").join(_hall(h) for h in reason.busy_halls)))
        parts.append(_("served by %(hall)s", hall=_hall(reason.served_by)))
    parts.append(str(STRATEGY_LABELS.get(reason.strategy, reason.strategy)))
    if reason.detail == "ring_all":
        parts.append(_("all %(count)d ready agents rung at once", count=reason.ready))
    else:
        parts.append(_("among %(count)d ready agents", count=reason.ready))
    if reason.detail == "idle_since" and reason.value is not None and offered_at_s is not None:
        parts.append(_("idle %(span)s", span=spoken_span(offered_at_s - reason.value)))
    elif reason.detail == "calls_today":
        parts.append(_("%(count)d calls answered today", count=int(reason.value or 0)))
    elif reason.detail == "talk_today":
        parts.append(_("talk today %(span)s", span=spoken_span(reason.value or 0)))
    elif reason.detail == "position":
        parts.append(_("position %(position)d in agent order", position=int(reason.value or 0)))
    elif reason.detail == "skill_score":
        parts.append(_("skill score %(score)d", score=int(reason.value or 0)))
    elif reason.detail == "next_after":
        parts.append(_("first in agent order") if reason.after == "start"
                     else _("next after %(agent)s", agent=reason.after))
    if reason.skills:
        names = skill_names or {}
        parts.append(_("skills: %(skills)s", skills=_(", ").join(
            _("%(skill)s level %(level)d+", skill=names.get(skill, f"#{skill}"), level=level)
            for skill, level in reason.skills)))
    return " · ".join(parts)
