"""Runs a call through its IVR flow: flow nodes become media commands, media results choose the next node.

A call keeps the flow version it began with (call.flow_def), so reloading flows never changes a call midway.
"""
from __future__ import annotations

import logging
import urllib.parse

from engine.acd import calllog, waiting
from engine.acd.calllog import K
from engine.acd.floor import Floor
from engine.domain.call import Call
from engine.domain.commands import (Bridge, Collect, Command, DialCustomer, Hangup, Play, SaveFollowUpResult,
                                    SaveSurveyResult, SetLegVars)
from engine.domain.followup import FOLLOW_UP_VAR, RATED_VAR
from engine.domain.events import AppFinished, OriginateResult
from engine.ivr.conditions import expand, matches
from engine.ivr.model import (CollectNode, ConditionNode, FollowUpNode, GotoNode, HangupNode, MenuNode, PlayNode,
                              QueueNode, SetNode, SurveyNode, TransferNode, VoicemailNode)

logger = logging.getLogger(__name__)

FALLBACK_PROMPT = "unknown_number.wav"     # spoken when a number has no flow (unknown DID)
MAX_STEPS = 64                             # nodes entered without waiting for media: more means a broken flow


def enter_node(floor: Floor, call: Call, node_id: str | None, now: float, out: list[Command]) -> QueueNode | None:
    """Run nodes from node_id until one waits for media or the caller; returns a queue node to enqueue."""
    for _ in range(MAX_STEPS):
        if node_id is None:
            return None
        node = call.flow_def.node(node_id)  # type: ignore[union-attr]
        call.node = node_id
        call.ivr_path.append(node_id)
        call.pending_app = None
        if isinstance(node, ConditionNode):
            ctx = floor.context(call, now)
            node_id = next((nxt for when, nxt in node.branches if matches(when, ctx)), node.otherwise)
        elif isinstance(node, SetNode):
            call.variables.update({k: expand(v, call.variables) for k, v in node.values.items()})
            node_id = node.next
        elif isinstance(node, GotoNode):
            call.flow_def = floor.flows[node.flow]
            call.flow = node.flow
            node_id = node.node or call.flow_def.start
        elif isinstance(node, QueueNode):
            data = {k: expand(v, call.variables) for k, v in node.data.items()}
            call.variables.update({k: v for k, v in data.items() if v})      # attached data (随路数据)
            call.after_call = node.after_call
            return node
        else:
            _start_media(floor, call, node, now, out)
            return None
    logger.error("call %s: flow %s runs in circles at node %s; hanging up", call.uuid, call.flow, node_id)
    call.ending = True
    out.append(Hangup(call.uuid, "NORMAL_TEMPORARY_FAILURE"))
    return None


MARKED_NODES = (PlayNode, MenuNode, CollectNode, SurveyNode, FollowUpNode)     # the IVR waits on the caller there: resumable


DIGITS_MARK = "cc_digits"       # where play_and_get_digits collects (engine.switch.decode.DIGITS_VAR)


def mark_ivr(call: Call, out: list[Command]) -> None:
    """Put where the caller is in its flow on its channel (cc_phase=ivr, flow, node, what it keyed and the path so
    far, the node's last media app), before the node's media, so that an engine taking over resumes it there
    (engine.acd.directory). An answered call going on to a survey keeps its cc_answered_at and cc_agent marks."""
    out.append(SetLegVars(call.uuid, {"cc_phase": "ivr", "cc_flow": call.flow or "", "cc_node": call.node or "",
                                      "cc_data": urllib.parse.urlencode(call.variables),
                                      "cc_path": urllib.parse.quote(" > ".join(call.ivr_path)[-1000:]),
                                      "cc_media": call.pending_app or "", DIGITS_MARK: ""},
                          in_channel=True))


def mark_done(call: Call, out: list[Command]) -> None:
    """Queued on the channel right after a node's media: set by the switch itself when the media ends, so that an
    engine taking over knows the media ended while no engine listened (FreeSWITCH's `show channels` keeps naming
    the last application after it ended: seen on a real 1.11)."""
    out.append(SetLegVars(call.uuid, {"cc_done": call.pending_app or ""}, in_channel=True))


def _start_media(floor: Floor, call: Call, node, now: float, out: list[Command]) -> None:
    """Nodes that wait: prompts, menus, digit collection, transfer, voice message, survey, hang-up."""
    if isinstance(node, MARKED_NODES):
        media: list[Command] = []
        _start_marked_media(floor, call, node, media)
        mark_ivr(call, out)
        out.extend(media)
        mark_done(call, out)
        return
    _start_other_media(floor, call, node, now, out)


def _start_marked_media(floor: Floor, call: Call, node, out: list[Command]) -> None:
    """Prompts, menus, digit collection, the survey: the IVR waits on the caller there."""
    if isinstance(node, PlayNode):
        for source in [node.prompt, *_said(node, call)]:
            call.pending_app = floor.new_id()
            out.append(Play(call.uuid, floor.prompt(expand(source, call.variables)), call.pending_app))
    elif isinstance(node, (MenuNode, CollectNode)):
        _one_try(floor, call, node, out)
    elif isinstance(node, SurveyNode):
        keys = f"{node.low}-{node.high}" if not node.ratings else _regex_class(node.keys)
        _collect(floor, call, out, node.prompt, node.invalid_prompt, 1, 1, node.tries, node.timeout_ms,
                 f"^[{keys}]$")
    elif isinstance(node, FollowUpNode):
        _collect(floor, call, out, node.prompt, node.invalid_prompt, 1, 1, node.tries, node.timeout_ms,
                 f"^[{_regex_class(node.keys)}]$")


def _start_other_media(floor: Floor, call: Call, node, now: float, out: list[Command]) -> None:
    """Transfer, voice message, hang-up."""
    if isinstance(node, TransferNode):
        kind, _, value = node.target.partition(":")
        call.transfer_job = floor.new_id()
        call.transfer_leg = floor.new_id()
        number = expand(value, call.variables)
        out.append(DialCustomer(call.transfer_job, call.transfer_leg, number, node.timeout_s, call.ani,
                                {"cc_transfer_of": call.uuid}, extension=kind == "extension"))
    elif isinstance(node, VoicemailNode):
        waiting.start_voicemail(floor, call, now, out, prompt=node.prompt, max_s=node.max_s)
    elif isinstance(node, HangupNode):
        if node.prompt:
            call.pending_app = floor.new_id()
            out.append(Play(call.uuid, floor.prompt(node.prompt), call.pending_app))
        else:
            call.ending = True
            out.append(Hangup(call.uuid, node.cause))


def _said(node: PlayNode, call: Call) -> list[str]:
    """Prompt files speaking a variable's digits one by one, or as a number."""
    files: list[str] = []
    for how, template in node.say:
        value = expand(template, call.variables)
        if how == "digits":
            files += [f"num_{d}.wav" for d in value if d.isdigit()]
        elif value.isdigit():
            files += waiting.number_prompts(int(value))
    return files


def _collect(floor: Floor, call: Call, out: list[Command], prompt: str, invalid: str, low: int, high: int,
             tries: int, timeout_ms: int, regex: str, terminators: str = "#") -> None:
    call.pending_app = floor.new_id()
    out.append(Collect(call.uuid, call.pending_app, floor.prompt(prompt), floor.prompt(invalid), low, high, tries,
                       timeout_ms, regex, terminators))


# FreeSWITCH's play_and_get_digits plays its invalid file after every failed try, a timeout as much as a wrong key
# (switch_ivr_play_say.c switch_play_and_get_digits), and says nothing of which it was but in read_result. A menu or a
# collection therefore asks one try at a time, with a short silence as that file, and says itself what went wrong.
ONE_TRY_SILENCE = "silence_stream://200"
NO_INPUT, INVALID_KEY = "no_input", "invalid_key"       # a failed try, in the call's IVR path


def _one_try(floor: Floor, call: Call, node: MenuNode | CollectNode, out: list[Command]) -> None:
    """One try of a menu (one key among its choices) or of a digit collection."""
    if isinstance(node, MenuNode):
        keys = "".join(sorted(node.choices))
        _collect(floor, call, out, node.prompt, ONE_TRY_SILENCE, 1, 1, 1, node.timeout_ms,
                 f"^[{_regex_class(keys)}]$")
    else:
        _collect(floor, call, out, node.prompt, ONE_TRY_SILENCE, node.min_digits, node.max_digits, 1,
                 node.timeout_ms, node.regex, node.terminator)


def _failed_try(floor: Floor, call: Call, node: MenuNode | CollectNode, result: AppFinished,
                out: list[Command]) -> bool:
    """A try brought no valid input: say why (no key at all: the node's no-input prompt; a wrong key, or too few
    digits: its invalid prompt) and ask again; False once the node's tries are used up (the caller goes on at once).

    After a single try FreeSWITCH leaves read_result `failure` and no digits when nothing was pressed, `success`
    and no digits after a key the regex refused, `failure` with the digits when too few came
    (switch_ivr_read, switch_play_and_get_digits)."""
    if result.response == "PLAYBACK ERROR":
        return False            # the switch could not run it (center._on_command_failed): no use asking again
    nothing = not result.digits and result.read_result != "success"
    call.ivr_path.append(NO_INPUT if nothing else INVALID_KEY)
    if _failed_tries(call) >= node.tries:
        return False
    out.append(Play(call.uuid, floor.prompt(node.no_input_prompt if nothing else node.invalid_prompt),
                    floor.new_id()))
    media: list[Command] = []
    _one_try(floor, call, node, media)
    mark_ivr(call, out)
    out.extend(media)
    mark_done(call, out)
    return True


def _failed_tries(call: Call) -> int:
    """Failed tries of the node the call is at: the marks in its path since it entered the node."""
    failed = 0
    for step in reversed(call.ivr_path):
        if step == call.node:
            break
        failed += step in (NO_INPUT, INVALID_KEY)
    return failed


def _regex_class(keys: str) -> str:
    """A regex character class matching exactly these DTMF keys."""
    return "".join("\\" + k if k in "*#" else k for k in keys)


def next_node(floor: Floor, call: Call, result: AppFinished, out: list[Command]) -> str | None:
    """The node after a finished media app; None when the call stays at its node (a menu or a collection asks
    again) or is being hung up."""
    node = call.flow_def.node(call.node)  # type: ignore[union-attr, arg-type]
    ok = result.read_result == "success" and result.digits is not None
    if isinstance(node, PlayNode):
        return node.next
    if isinstance(node, MenuNode):
        if ok and result.digits in node.choices:
            call.ivr_path.append(f"key:{result.digits}")
            return node.choices[result.digits]
        if _failed_try(floor, call, node, result, out):
            return None
        call.ivr_path.append("key:default")
        logger.info("call %s: no valid key in menu %s (%s), taking the default", call.uuid, node.id,
                    result.read_result)
        return node.default
    if isinstance(node, CollectNode):
        if ok:
            call.variables[node.variable] = result.digits  # type: ignore[assignment]
            return node.next
        if _failed_try(floor, call, node, result, out):
            return None
        logger.info("call %s: nothing valid collected in %s (%s)", call.uuid, node.id, result.read_result)
        return node.on_failure
    if isinstance(node, SurveyNode):
        rating = node.rating_of(result.digits) if ok else None   # type: ignore[arg-type]
        if rating is not None:
            out.append(SaveSurveyResult(call.uuid, call.agent_id, rating, call.queue_code, result.at))
            call.ivr_path.append(f"rated:{result.digits}")
            # the key pressed and, when the flow maps keys to ratings, the rating it stores
            detail = f"scale:{node.low}-{node.high}" if not node.ratings else f"key:{result.digits}"
            calllog.log(call, K.SURVEY, result.at, out, value=rating, detail=detail)
        return node.next
    if isinstance(node, FollowUpNode):
        _follow_up_rated(call, node, result.digits if ok else None, result.at, out)
        return node.next
    if isinstance(node, HangupNode):
        call.ending = True
        out.append(Hangup(call.uuid, node.cause))
    return None


def _follow_up_rated(call: Call, node: FollowUpNode, key: str | None, at: float, out: list[Command]) -> None:
    """An automated follow-up call's rating (engine.acd.followups placed the call): stored with the follow-up; the
    handling's rating completes the visit (its absence at the hang-up counts as not reached)."""
    rating = node.rating_of(key)
    follow_up = call.variables.get(FOLLOW_UP_VAR, "")
    if rating is None or not follow_up.isdigit():
        call.ivr_path.append("not_rated")
        return
    call.ivr_path.append(f"rated:{key}")
    if node.of == "handling":
        call.variables[RATED_VAR] = rating
    out.append(SaveFollowUpResult(int(follow_up), "rated" if node.of == "handling" else "department", at,
                                  rating=rating, call_uuid=call.uuid))


BACK_TO_QUEUE = "\x00back-to-queue"      # on_transfer_result: an agent's transfer failed, the caller waits again


def dial_out(floor: Floor, call: Call, number: str, out: list[Command], timeout_s: int = 30,
             extension: bool = False) -> None:
    """Send the call to an outside number or an extension (blind transfer, supervisor takeover); bridged when
    it answers."""
    call.node = None
    call.transfer_job, call.transfer_leg = floor.new_id(), floor.new_id()
    out.append(DialCustomer(call.transfer_job, call.transfer_leg, number, timeout_s, call.ani,
                            {"cc_transfer_of": call.uuid}, extension=extension))


def on_transfer_result(floor: Floor, call: Call, result: OriginateResult, out: list[Command]) -> str | None:
    """The transfer target answered (bridge; the call is theirs now) or not (the flow's on_failure node)."""
    node = call.flow_def.node(call.node) if call.node and call.flow_def else None  # type: ignore[union-attr]
    call.transfer_job = None
    if result.ok and result.leg_uuid:
        call.ivr_path.append(f"transferred:{node.target if isinstance(node, TransferNode) else 'number'}")
        call.transferred = True
        out.append(Bridge(call.uuid, result.leg_uuid))
        return None
    call.ivr_path.append(f"transfer_failed:{result.cause}")
    return node.on_failure if isinstance(node, TransferNode) else BACK_TO_QUEUE
