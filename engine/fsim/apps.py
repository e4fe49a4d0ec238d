"""Emulated dialplan applications (mod_dptools) and the execute wrapper (switch_core_session_exec)."""
import logging
import math
import re
import time
import uuid as uuidlib

from . import media
from .causes import str2cause
from .channels import Break, BridgeRequest, Hangup

logger = logging.getLogger(__name__)

_VAR = re.compile(r"\$\{([^${}]+)\}")


_API_CALL = re.compile(r"\$\{(\w+)\(([^${}]*)\)\}")


def _expand_api(chan, name, arg):
    """${name(arg)}: switch_channel_expand_variables runs the api command, which fires an API event (obs. 9)."""
    chan.sw.fire_api_event(name, arg)
    if name == "strftime":
        return time.strftime(arg or "%Y-%m-%d %T", time.localtime(chan.sw.clock.now()))
    logger.info("%s: ${%s(...)} not simulated, expands to empty", chan.uuid, name)
    return ""


def expand(chan, text):
    """switch_channel_expand_variables for ${name} references (unknown -> empty) and ${api(args)} calls."""
    if not text or "${" not in text:
        return text or ""
    text = _API_CALL.sub(lambda m: _expand_api(chan, m.group(1), m.group(2)), text)
    return _VAR.sub(lambda m: str(chan.variables.get(m.group(1), "")), text)


def split_args(data):
    """switch_separate_string(' '): blank-separated tokens, single/double quotes group and are removed."""
    out, cur, quote, has = [], [], None, False
    for ch in data:
        if quote:
            if ch == quote:
                quote = None
            else:
                cur.append(ch)
        elif ch in "'\"":
            quote, has = ch, True
        elif ch == " ":
            if cur or has:
                out.append("".join(cur))
            cur, has = [], False
        else:
            cur.append(ch)
    if cur or has:
        out.append("".join(cur))
    return out


def execute(chan, app, arg, app_uuid=None, event_lock=False, uuid_name=None):
    """CHANNEL_EXECUTE, run, CHANNEL_EXECUTE_COMPLETE (Application-Response, `_none_` default); True once run.

    Unknown application: no event, hang up DESTINATION_OUT_OF_ORDER (switch_core_session_execute_application).
    """
    impl = APPS.get(app)
    if impl is None:
        logger.info("%s: invalid application %s", chan.uuid, app)
        chan.hangup("DESTINATION_OUT_OF_ORDER")
        raise Hangup()
    data = expand(chan, arg)
    app_uuid = app_uuid or str(uuidlib.uuid4())
    chan.variables.pop("current_application_response", None)
    chan.variables["current_application"] = app
    if data:
        chan.variables["current_application_data"] = data
    else:
        chan.variables.pop("current_application_data", None)
    ids = [("Application-UUID", app_uuid), ("Application-UUID-Name", uuid_name)]
    chan.fire("CHANNEL_EXECUTE", after=[("Application", app), ("Application-Data", data)] + ids)
    prev_nested, prev_app = chan.nested_ok, chan.current_app
    chan.nested_ok = not event_lock
    chan.current_app, chan.current_app_data = app, data
    chan.last_app, chan.last_arg = app, data   # the CDR app log's last entry (variable_last_app/last_arg)
    chan.app_stack.append(app)
    try:
        impl(chan, data)
    except Break:
        pass
    finally:
        chan.app_stack.pop()
        chan._pending = [e for e in chan._pending if not isinstance(e, Break)]
        chan.nested_ok = prev_nested
        resp = chan.variables.get("current_application_response") or "_none_"
        chan.fire("CHANNEL_EXECUTE_COMPLETE", after=[("Application", app), ("Application-Data", data),
                                                     ("Application-Response", resp)] + ids)
        if prev_app and prev_app != app:
            chan.current_app = prev_app
    if chan.hangup_cause:
        raise Hangup()
    return True


def _need_media(chan):
    # Media applications pre-answer an unanswered inbound leg (switch_channel_pre_answer), they never answer it.
    if not chan.media_up:
        if chan.direction == "inbound":
            chan.pre_answer()


def _terminators(chan):
    terms = chan.variables.get("playback_terminators", "*")
    if terms.lower() == "none":
        return ""
    if terms.lower() == "any":
        return "0123456789*#ABCD"
    return terms


def play_file(chan, target, terms="", on_digit=None):
    """switch_ivr_play_file: PLAYBACK_START/STOP around the file's duration. Returns done|break|notfound.

    on_digit(d) -> True stops the playback (play_and_get_digits); otherwise a digit in `terms` stops it.
    """
    found, secs, ftype = media.probe(chan, target)
    if not found:
        return "notfound"   # obs. 17/§2.3: no PLAYBACK events when the file cannot be opened
    _need_media(chan)
    after = [("Playback-File-Path", target)]
    if ftype:
        after.append(("Playback-File-Type", ftype))
    chan.fire("PLAYBACK_START", after=after)
    heard = media.heard_from(chan, "playback", target)
    start = time.monotonic()
    deadline = None if math.isinf(secs) else start + chan.sw.real(secs)
    status = "done"
    try:
        while True:
            remaining = None
            if deadline is not None:
                remaining = (deadline - time.monotonic()) / chan.sw.time_scale if chan.sw.time_scale else 0
            # switch_ivr_play_file knows nothing of a bridge: run inside one's loop (switch_ivr_bridge.c parses
            # private events there), it plays on when the partner goes; only CF_TRANSFER (a uuid_bridge) or a
            # break ends it
            what = chan.wait(remaining, dtmf=True, nested=True, ended=False)
            if what == "timeout":
                break
            digit = chan.dequeue_dtmf()
            if on_digit is not None:
                if on_digit(digit):
                    status = "break"
                    break
            elif digit in terms:
                chan.variables["playback_terminator_used"] = digit
                status = "break"
                break
    except BridgeRequest as req:
        # capture 06c: cut by uuid_bridge, the channel already shows the new state; the status reads `done`
        chan.state_number = req.state_number
        _playback_stop(chan, after, "done", start, heard)
        raise
    except (Break, Hangup):
        _playback_stop(chan, after, "break", start, heard)
        raise
    _playback_stop(chan, after, status, start, heard)
    return status


def _playback_stop(chan, after, status, start, heard):
    media.heard_until(chan, heard)
    elapsed = (time.monotonic() - start) / (chan.sw.time_scale or 1)
    samples = int(elapsed * 8000)
    chan.variables["playback_last_offset_pos"] = str(samples)
    chan.variables["playback_seconds"] = str(int(elapsed))
    chan.variables["playback_ms"] = str(int(elapsed * 1000))
    chan.variables["playback_samples"] = str(samples)
    chan.fire("PLAYBACK_STOP", after=after + [("Playback-Status", status)])


# ------------------------------------------------------------------ apps
def app_answer(chan, data):
    """answer: CHANNEL_PROGRESS_MEDIA, CHANNEL_ANSWER, CALLSTATE ACTIVE."""
    chan.answer()


def app_pre_answer(chan, data):
    chan.pre_answer()


def app_ring_ready(chan, data):
    if not chan.progress_us:
        chan.progress_us = chan.profile["Channel-Progress-Time"] = int(chan.sw.clock.now() * 1e6)
        chan.fire("CHANNEL_PROGRESS")


def app_park(chan, data):
    """park: CHANNEL_PARK, wait for commands; UNPARK + EXECUTE_COMPLETE when leaving (obs. 15)."""
    chan.park_loop(in_app=True)


def _set(chan, data, export=False):
    name, sep, value = data.partition("=")
    name = name.strip()
    if not name:
        return
    local = True
    if export and name.startswith("nolocal:"):
        name, local = name[8:], False
    if local:
        if value == "" and sep:
            chan.variables.pop(name, None)
        else:
            chan.variables[name] = value
    if export:
        # switch_channel_export_variable_var_check appends the name every time (capture 06a after a transfer
        # re-runs `export RFC2822_DATE=...`: export_vars=RFC2822_DATE,RFC2822_DATE)
        names = [n for n in chan.variables.get("export_vars", "").split(",") if n]
        chan.variables["export_vars"] = ",".join(names + [name])
        chan.exported = getattr(chan, "exported", {})
        chan.exported[name] = value


def app_set(chan, data):
    """set name=value (empty value unsets)."""
    _set(chan, data)


def app_multiset(chan, data):
    """multiset [^^<delim>]name=value name=value... (mod_dptools.c multiset_function: each item is a `set`)."""
    data, delim = data or "", " "
    if data.startswith("^^") and len(data) > 2:
        delim, data = data[2], data[3:]
    for item in data.split(delim):
        _set(chan, item)


def app_export(chan, data):
    """export [nolocal:]name=value: also remembered for future B legs (export_vars)."""
    _set(chan, data, export=True)


def app_unset(chan, data):
    chan.variables.pop(data.strip(), None)


def app_hangup(chan, data):
    """hangup [cause] (default NORMAL_CLEARING)."""
    chan.hangup(str2cause(data))
    raise Hangup()


def app_sleep(chan, data):
    """sleep <ms>: DTMF stays queued; queued commands run nested."""
    try:
        ms = int(data.strip() or 0)
    except ValueError:
        ms = 0
    chan.wait(ms / 1000.0, nested=True)


def app_playback(chan, data):
    """playback <file>: FILE PLAYED / FILE NOT FOUND / PLAYBACK ERROR (cut by a bridge)."""
    if "playback_terminators" in chan.variables and chan.variables["playback_terminators"].lower() != "none":
        chan.request_input()
    try:
        status = play_file(chan, data, _terminators(chan))
    except BridgeRequest:
        chan.variables["current_application_response"] = "PLAYBACK ERROR"
        raise
    except Break:
        chan.variables["current_application_response"] = "FILE PLAYED"
        raise
    chan.variables["current_application_response"] = "FILE NOT FOUND" if status == "notfound" else "FILE PLAYED"


FRAME_S = 0.02     # one 20 ms frame: what a pass of an empty file still takes here (never a tight loop)


def app_endless_playback(chan, data):
    """endless_playback <file> (mod_dptools.c endless_playback_function): switch_ivr_play_file with no input args
    (keys never stop it) while the channel is ready, BREAK taken as SUCCESS: uuid_break only starts the file again;
    a bridge, a transfer or the hang-up end it (raised here), and so does a file that cannot play."""
    while True:
        before = time.monotonic()
        try:
            status = play_file(chan, data)
        except Break:
            status = "break"
        if status == "notfound":
            chan.variables["current_application_response"] = "FILE NOT FOUND"
            return
        if time.monotonic() - before < chan.sw.real(FRAME_S):
            try:
                chan.wait(FRAME_S, nested=True)
            except Break:
                pass


def collect(chan, prompt, min_d, max_d, timeout_ms, digit_timeout_ms, terms):
    """switch_ivr_read: prompt (any digit stops it), then collect; returns (digits, terminator, timed_out)."""
    digits, term = [], []

    def on_digit(d):
        if d in terms:
            term.append(d)
        else:
            digits.append(d)
        return True
    if prompt:
        play_file(chan, prompt, on_digit=on_digit)
    timed_out = False
    while not term and len(digits) < max_d:
        wait_ms = digit_timeout_ms if digits else timeout_ms
        if chan.wait(wait_ms / 1000.0, dtmf=True, nested=True) == "timeout":
            timed_out = True
            break
        d = chan.dequeue_dtmf()
        if d in terms:
            term.append(d)
        else:
            digits.append(d)
    return "".join(digits), (term[0] if term else ""), timed_out


def app_play_and_get_digits(chan, data):
    """play_and_get_digits min max tries timeout terms file invalid var regex [digit_timeout] [fail] (obs. 18)."""
    a = split_args(data)
    if len(a) < 9:
        logger.warning("play_and_get_digits: bad args %r", data)
        return
    min_d, max_d, tries, timeout = int(a[0]), int(a[1]), int(a[2]), int(a[3])
    terms = "#" if a[4] in ("", None) else ("" if a[4] == "none" else a[4])
    prompt, invalid, var, regex = a[5], a[6], a[7], a[8]
    timeout = max(1000, timeout)
    digit_timeout = int(a[9]) if len(a) > 9 and a[9].isdigit() and int(a[9]) > 0 else timeout
    _need_media(chan)
    chan.variables.pop(var + "_invalid", None)      # switch_play_and_get_digits clears it first
    for _ in range(max(1, tries)):
        chan.request_input()
        # switch_ivr_read clears read_result and the variable, plays the prompt, then sets them from what it read
        # (capture 03: the invalid-file playback after a regex mismatch shows `success`, after a timeout `failure`)
        chan.variables.pop("read_result", None)
        chan.variables.pop(var, None)
        digits, term, _timed_out = collect(chan, prompt, min_d, max_d, timeout, digit_timeout, terms)
        if term:
            chan.variables["read_terminator_used"] = term
        ok = len(digits) >= min_d
        chan.variables["read_result"] = "success" if ok else "failure"
        if digits:
            chan.variables[var] = digits        # switch_ivr_read keeps what it read, too few digits as well
        if ok:
            try:
                ok = re.search(regex, digits) is not None
            except re.error:
                ok = False
            if not ok and digits:               # refused by the regex: only in <var>_invalid
                chan.variables.pop(var, None)
                chan.variables[var + "_invalid"] = digits
        if ok:
            chan.variables[var] = digits
            chan.variables["read_result"] = "success"
            return
        if invalid:
            play_file(chan, invalid)
    # switch_play_and_get_digits leaves read_result as the last switch_ivr_read set it: `success` after a key the
    # regex refused (the digits only in <var>_invalid), `failure` after too few digits or none (the timeout)
    if len(a) > 10 and a[10]:
        logger.warning("play_and_get_digits transfer_on_fail %r not simulated", a[10])


def app_read(chan, data):
    """read min max file var timeout_ms terminators [digit_timeout]."""
    a = split_args(data)
    if len(a) < 6:
        return
    min_d, max_d = max(1, int(a[0])), int(a[1])
    timeout = max(1000, int(a[4]))
    digit_timeout = int(a[6]) if len(a) > 6 and a[6].isdigit() else timeout
    _need_media(chan)
    chan.request_input()
    chan.variables.pop("read_result", None)
    digits, term, timed_out = collect(chan, a[2], min_d, max_d, timeout, digit_timeout, a[5] or "#")
    if term:
        chan.variables["read_terminator_used"] = term
    if len(digits) >= min_d:
        chan.variables[a[3]] = digits
        chan.variables["read_result"] = "success"
    else:
        chan.variables["read_result"] = "timeout" if timed_out else "failure"


def app_noop(chan, data):
    """log / info / event: no observable effect on ESL here."""


APPS = {
    "answer": app_answer, "pre_answer": app_pre_answer, "ring_ready": app_ring_ready, "park": app_park,
    "set": app_set, "multiset": app_multiset, "export": app_export, "unset": app_unset, "hangup": app_hangup, "sleep": app_sleep,
    "playback": app_playback, "endless_playback": app_endless_playback,
    "play_and_get_digits": app_play_and_get_digits, "read": app_read, "log": app_noop, "info": app_noop,
}
