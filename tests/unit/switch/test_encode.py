"""encode: exact command strings for every builder, and the dial-string escaping checked against a
Python port of FreeSWITCH's own splitter (src/switch_utils.c switch_separate_string /
cleanup_separated_string, src/switch_event.c switch_event_create_brackets, mod_commands.c
originate_function). Strings that also appear in the captures cite the capture file."""
from __future__ import annotations

import pytest

from engine.switch import encode as e
from engine.switch.encode import AppCall, Leg

U = "f6249d1a-84e3-4d4b-9e5b-3e549588400c"     # caller uuid of 03_inbound_call_ivr
A = "a0ca5754-ec08-4e91-89f7-8d6125411368"     # agent leg of 04a_bridge_to_agent


# -- a port of FreeSWITCH's string splitter (the oracle) -------------------------------------------
def _unescape(c: str) -> str:
    return {"n": "\n", "r": "\r", "t": "\t", "s": " "}.get(c, c)


def _cleanup(s: str, delim: str | None) -> str:
    """cleanup_separated_string (switch_utils.c): strip paired quotes, unescape, trim blanks."""
    i = 0
    while i < len(s) and s[i] == " ":
        i += 1
    out: list[str] = []
    end = None
    inside = False
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in ("'", '"', "\\") or (delim and n == delim) or _unescape(n) != n:
                out.append(_unescape(n) if n not in ("'", '"', "\\") and n != delim else n)
                end = len(out)
                i += 2
                continue
        if c == "'" and (inside or "'" in s[i + 1:]):
            inside = not inside
            if inside:
                end = len(out)
        else:
            out.append(c)
            if c != " " or inside:
                end = len(out)
        i += 1
    return "".join(out[:end]) if end is not None else "".join(out)


def _split_char(buf: str, delim: str, limit: int = 1024) -> list[str]:
    """separate_string_char_delim."""
    if buf.startswith("^^") and len(buf) > 3:
        delim, buf = buf[2], buf[3:]
    parts, start, i, inside = [], 0, 0, False
    while i < len(buf) and len(parts) < limit - 1:
        c = buf[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and (inside or "'" in buf[i + 1:]):
            inside = not inside
        elif c == delim and not inside:
            parts.append(buf[start:i])
            start = i + 1
        i += 1
    parts.append(buf[start:])
    return [_cleanup(p, delim) for p in parts]


def _split_blank(buf: str, limit: int = 1024) -> list[str]:
    """separate_string_blank_delim (the last of `limit` pieces is the rest of the line)."""
    parts, cur, i, inside = [], None, 0, False
    while i < len(buf):
        c = buf[i]
        if cur is None:
            if c == " ":
                i += 1
                continue
            cur = i
            if len(parts) == limit - 1:
                break
        if c == "\\":
            i += 2
            continue
        if c == "'":
            inside = not inside
        elif c == " " and not inside:
            parts.append(buf[cur:i])
            cur = None
        i += 1
    if cur is not None:
        parts.append(buf[cur:])
    return [_cleanup(p, None) for p in parts]


def _fs_originate_vars(line: str) -> tuple[dict[str, str], list[str]]:
    """What `api <line>` gives switch_ivr_originate: the {} variables and the other argv words."""
    argv = _split_blank(line)
    assert argv[0] == "originate"
    ds = argv[1]
    assert ds.startswith("{")
    depth, end = 0, None
    for i, c in enumerate(ds):                       # switch_find_end_paren: no escape handling
        depth += c == "{"
        depth -= c == "}"
        if depth == 0:
            end = i
            break
    variables = {}
    for item in _split_char(ds[1:end], ","):
        kv = _split_char(item, "=", limit=2)
        if len(kv) == 2:
            variables[kv[0]] = kv[1]
    return variables, [ds[end + 1:]] + argv[2:]


NASTY = ["Doe, John", "O'Brien", "it's Bob's", "张三 & co", "a=b=c", "x,y,z", "'quoted'", '"dq"', "50% off",
         "semi;colon", "tab\tin", "ends with comma,", "a|b", "(paren)", "$100", "multi  space"]


@pytest.mark.parametrize("value", NASTY)
def test_global_dial_var_survives_freeswitchs_three_cleanups(value):
    line = e.originate("user/1001", {"origination_caller_id_name": value, "cc_queue": "etax"})
    variables, rest = _fs_originate_vars(line)
    assert variables == {"origination_caller_id_name": value, "cc_queue": "etax"}
    assert rest == ["user/1001", "&park()"]


def test_naive_single_quotes_would_lose_the_value_after_the_comma():
    """Why dial_var escapes: the blank split strips the quotes, then the ',' split cuts the value."""
    variables, _ = _fs_originate_vars("originate {origination_caller_id_name='Doe, John'}user/1001 &park()")
    assert variables == {"origination_caller_id_name": "Doe"}


def test_dial_var_exact_forms():
    assert e.dial_var("plain") == "plain"
    assert e.dial_var("Doe, John") == "'Doe\\, John'"
    assert e.dial_var("O'Brien") == "O\\\\\\\\\\\\\\'Brien"
    assert e.dial_var("  padded  ") == "padded"
    assert e.dial_var("Doe, John", api=False) == "Doe\\, John"
    assert e.dial_var("O'Brien", api=False) == "O\\\\\\'Brien"


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "back\\slash", "{x}", "close}"])
def test_dial_var_rejects_what_the_parser_cannot_carry(value):
    with pytest.raises(ValueError, match="value"):
        e.dial_var(value)


def test_leg_var():
    assert e.leg_var("10") == "10"
    assert e.leg_var("a b") == "'a b'"
    assert e.leg_var("a,b") == "a\\,b"
    for bad in ("it's", "a|b", "x]", "a\nb", "a\\b"):
        with pytest.raises(ValueError, match="per-leg variable value"):
            e.leg_var(bad)


def test_agent_originate_matches_capture_04a_shape():
    # 04a_bridge_to_agent: bgapi originate {origination_uuid=<u>,ignore_early_media=true,originate_timeout=20}user/1001 &park()
    line = e.originate("user/1001", {"origination_uuid": A, "ignore_early_media": "true", "originate_timeout": "20"})
    assert line == f"originate {{origination_uuid={A},ignore_early_media=true,originate_timeout=20}}user/1001 &park()"
    line = e.agent_originate("user/1001", "leg-1", 15, "13800138000", "Doe, John", {"cc_queue": "etax"})
    assert line == ("originate {origination_uuid=leg-1,ignore_early_media=true,originate_timeout=15,"
                    "origination_caller_id_number=13800138000,origination_caller_id_name='Doe\\, John',"
                    "cc_queue=etax}user/1001 &park()")


def test_originate_legs_simultaneous_failover_and_per_leg_vars():
    assert e.originate(["user/1001", "user/1002"]) == "originate user/1001,user/1002 &park()"
    assert e.originate(["user/1001", "user/1002"], sequential=True) == "originate user/1001|user/1002 &park()"
    assert e.originate([["user/1001", "user/1002"], Leg("user/1003", {"leg_timeout": "10"})],
                       {"ignore_early_media": "true"}, sequential=True) == \
        "originate {ignore_early_media=true}user/1001,user/1002|[leg_timeout=10]user/1003 &park()"
    assert e.dial_string(Leg("user/1001", {"origination_uuid": A, "leg_timeout": "15"})) == \
        f"[origination_uuid={A},leg_timeout=15]user/1001"
    with pytest.raises(ValueError, match="nested"):
        e.dial_string([["user/1001"]])
    with pytest.raises(ValueError, match="endpoint"):
        e.dial_string(Leg("user/10 01"))


def test_originate_app_extension_and_positional_args():
    assert e.originate("user/1001", None, "eavesdrop", A) == f"originate user/1001 &eavesdrop({A})"
    assert e.originate("loopback/9999/public") == "originate loopback/9999/public &park()"   # capture 01
    assert e.originate("user/1001", extension="9501", dialplan="XML", context="public") == \
        "originate user/1001 9501 XML public"
    assert e.originate("user/1001", timeout_s=30) == "originate user/1001 &park() undef undef undef undef 30"
    assert e.originate("user/1001", cid_name="Doe John", cid_num="123") == \
        "originate user/1001 &park() undef undef 'Doe John' 123"
    assert e.originate("user/1001", None, "playback", "/tmp/a b.wav") == "originate user/1001 '&playback(/tmp/a b.wav)'"
    assert _split_blank("originate user/1001 '&playback(/tmp/a b.wav)'")[2] == "&playback(/tmp/a b.wav)"
    with pytest.raises(ValueError, match="app_arg"):
        e.originate("user/1001", None, "playback", "x)y")
    with pytest.raises(ValueError, match="dial string"):
        e.originate("user/1001\n", None)
    with pytest.raises(ValueError, match="timeout_s"):
        e.originate("user/1001", timeout_s=0)


def test_uuid_commands_exact():
    assert e.uuid_bridge(U, A) == f"uuid_bridge {U} {A}"            # 04a
    assert e.uuid_bridge(U, A, "c") == f"uuid_bridge {U} {A} c"
    assert e.uuid_transfer(U, "9501", "XML", "public") == f"uuid_transfer {U} 9501 XML public"           # 06a
    assert e.uuid_transfer(A, "9502", "XML", "public", leg="bleg") == f"uuid_transfer {A} -bleg 9502 XML public"  # 06b
    assert e.uuid_transfer(A, "9502", leg="both") == f"uuid_transfer {A} -both 9502 XML"
    assert e.uuid_transfer(A, "9502", None) == f"uuid_transfer {A} 9502"
    assert e.uuid_transfer_inline(A, [e.conference(f"cc-{U}")], leg="both") == \
        f"uuid_transfer {A} -both 'conference:cc-{U}@default' inline"                                 # 05b
    assert e.uuid_transfer_inline(U, [("playback", "/x/hold.wav"), ("park", "")]) == \
        f"uuid_transfer {U} 'playback:/x/hold.wav,park' inline"
    assert e.uuid_kill(U) == f"uuid_kill {U} NORMAL_CLEARING"
    assert e.uuid_kill(U, "USER_BUSY") == f"uuid_kill {U} USER_BUSY"
    assert e.uuid_hold(U) == f"uuid_hold {U}"                       # 03
    assert e.uuid_hold(U, "off") == f"uuid_hold off {U}"            # 03
    assert e.uuid_hold(U, "toggle") == f"uuid_hold toggle {U}"      # 03
    assert e.uuid_broadcast(U, "/srv/capture/prompt.wav") == f"uuid_broadcast {U} /srv/capture/prompt.wav aleg"  # 03
    assert e.uuid_broadcast(U, "playback", "/x/moh.wav", "both") == f"uuid_broadcast {U} playback::/x/moh.wav both"
    assert e.uuid_broadcast(U, "/x/a b.wav", leg="holdb") == f"uuid_broadcast {U} '/x/a b.wav' holdb"
    assert e.uuid_break(U) == f"uuid_break {U} all"
    assert e.uuid_break(U, False) == f"uuid_break {U}"
    assert e.uuid_break(U, True, both=True) == f"uuid_break {U} all both"
    assert e.uuid_record(U, "start", "/rec/a.wav") == f"uuid_record {U} start /rec/a.wav"
    assert e.uuid_record(U, "start", "/rec/a.wav", 3600, {"RECORD_STEREO": "true"}) == \
        f"uuid_record {U} start /rec/a.wav 3600 {{RECORD_STEREO=true}}"
    assert e.uuid_record(U, "start", "/rec/a.wav", None, {"RECORD_TITLE": "Doe, John"}) == \
        f"uuid_record {U} start /rec/a.wav 0 {{RECORD_TITLE='Doe\\, John'}}"
    assert e.uuid_record(U, "stop", "all") == f"uuid_record {U} stop all"
    assert e.uuid_record(U, "mask", "/rec/a.wav") == f"uuid_record {U} mask /rec/a.wav"
    assert e.uuid_record(U, "unmask", "/rec/a.wav") == f"uuid_record {U} unmask /rec/a.wav"
    assert e.uuid_setvar(U, "cc_skill", "tax") == f"uuid_setvar {U} cc_skill tax"             # 03
    assert e.uuid_setvar(U, "cc_skill", None) == f"uuid_setvar {U} cc_skill"                  # 03: unset
    assert e.uuid_setvar(U, "hold_music", "/srv/capture/moh.wav") == f"uuid_setvar {U} hold_music /srv/capture/moh.wav"
    assert e.uuid_setvar(U, "note", "VIP 张三 & co") == f"uuid_setvar {U} note VIP 张三 & co"
    assert e.uuid_setvar(U, "note", "it's") == f"uuid_setvar {U} note it\\'s"
    assert e.uuid_setvar_multi(U, {"cc_a": "1", "cc_b": "two words"}) == f"uuid_setvar_multi {U} cc_a=1;cc_b=two words"  # 03
    assert e.uuid_setvar_multi(U, {"a": "x;y"}) == f"uuid_setvar_multi {U} a=x\\\\;y"
    assert e.uuid_getvar(U, "ivr_choice") == f"uuid_getvar {U} ivr_choice"    # 03
    assert e.uuid_exists(U) == f"uuid_exists {U}"
    assert e.uuid_recv_dtmf(U, "2") == f"uuid_recv_dtmf {U} 2"                # 03
    assert e.uuid_send_dtmf(U, "123#") == f"uuid_send_dtmf {U} 123#"
    assert e.uuid_send_dtmf(U, "1", 500) == f"uuid_send_dtmf {U} 1@500"
    assert e.uuid_answer(U) == f"uuid_answer {U}"
    assert e.uuid_park(U) == f"uuid_park {U}"


@pytest.mark.parametrize("value", ["tax", "VIP 张三 & co", "it's 'quoted'", "two  spaces", "a\\b"])
def test_setvar_value_survives_the_blank_split_tail(value):
    """uuid_setvar_function: argv[3] = uuid, var, rest-of-line (cleaned)."""
    assert _split_blank(e.uuid_setvar(U, "note", value), limit=4)[1:] == [U, "note", value]


def test_setvar_multi_value_survives_both_cleanups():
    line = e.uuid_setvar_multi(U, {"a": "x;y", "b": "it's"})
    tail = _split_blank(line, limit=3)[2]
    pairs = [p.split("=", 1) for p in _split_char(tail, ";")]
    assert pairs == [["a", "x;y"], ["b", "it's"]]


def test_inventory_and_misc_commands():
    assert e.SHOW_CHANNELS_JSON == "show channels as json" == e.show_channels_json()
    assert e.sofia_status_reg() == "sofia status profile internal reg"           # 02
    assert e.sofia_status_reg("internal", "1001") == "sofia status profile internal reg 1001"  # 02
    assert e.sofia_contact("1001", "127.0.0.1") == "sofia_contact 1001@127.0.0.1"  # 02
    assert e.sofia_contact("1001", "127.0.0.1", "internal") == "sofia_contact internal/1001@127.0.0.1"  # 02
    assert e.sofia_contact("1001", "127.0.0.1", "*") == "sofia_contact */1001@127.0.0.1"  # 02
    assert e.sofia_contact("1001") == "sofia_contact 1001"
    assert e.conference_list() == "conference list"                              # 05b
    assert e.conference_list(f"cc-{U}") == f"conference cc-{U} list"             # 05b
    assert e.conference_member(f"cc-{U}", "mute", 3) == f"conference cc-{U} mute 3"
    assert e.conference_member("room", "unmute", "6") == "conference room unmute 6"
    assert e.conference_member("room", "kick", "all") == "conference room kick all"
    assert e.hupall() == "hupall NORMAL_CLEARING"
    assert e.hupall("MANAGER_REQUEST", "cc_queue", "etax") == "hupall MANAGER_REQUEST cc_queue etax"
    with pytest.raises(ValueError, match="both var and value"):
        e.hupall("NORMAL_CLEARING", "x")


def test_sendmsg_app_builders():
    assert e.playback("/srv/capture/prompt.wav") == AppCall("playback", "/srv/capture/prompt.wav")
    assert e.playback_with_terminators("/p/m.wav", "#") == (AppCall("set", "playback_terminators=#"),
                                                           AppCall("playback", "/p/m.wav"))
    assert e.playback_with_terminators("/p/m.wav", "")[0] == AppCall("set", "playback_terminators=none")
    assert e.collect(1, 1, 3, 3000, "#", "/p/menu.wav", "/p/invalid.wav", "ivr_choice", "\\d", 3000) == \
        AppCall("play_and_get_digits", "1 1 3 3000 # /p/menu.wav /p/invalid.wav ivr_choice \\d 3000")   # 03
    assert e.record_session("/rec/a.wav") == AppCall("record_session", "/rec/a.wav")
    assert e.record_session("/rec/a.wav", 600, {"RECORD_STEREO": "true", "RECORD_TITLE": "Doe, John"}) == \
        AppCall("record_session", "/rec/a.wav +600 {RECORD_STEREO=true,RECORD_TITLE=Doe\\, John}")
    assert e.stop_record_session() == AppCall("stop_record_session", "all")
    assert e.set_var("agent_note", "VIP caller 张三 & co") == AppCall("set", "agent_note=VIP caller 张三 & co")  # 03
    assert e.export_var("cc_queue", "etax") == AppCall("export", "cc_queue=etax")
    assert e.export_var("x", "1", nolocal=True) == AppCall("export", "nolocal:x=1")
    assert e.bridge("user/1001", {"origination_caller_id_name": "Doe, John"}) == \
        AppCall("bridge", "{origination_caller_id_name=Doe\\, John}user/1001")
    assert e.bridge(["user/1001", "user/1002"], sequential=True) == AppCall("bridge", "user/1001|user/1002")
    assert e.conference("cc-1") == AppCall("conference", "cc-1@default")
    assert e.conference("cc-1", "default", ["mute"]) == AppCall("conference", "cc-1@default+flags{mute}")
    for bad in (lambda: e.record_session("/a b.wav"), lambda: e.record_session("/a+b.wav"),
                lambda: e.set_var("x", "a\nb"), lambda: e.set_var("bad name", "1"), lambda: e.playback(""),
                lambda: e.conference("a@b")):
        with pytest.raises(ValueError):
            bad()


def test_bridge_app_value_survives_two_cleanups():
    arg = e.bridge("user/1001", {"n": "O'Brien, Pat"}).arg
    inner = arg[1:arg.index("}")]
    items = [_split_char(i, "=", 2) for i in _split_char(inner, ",")]
    assert items == [["n", "O'Brien, Pat"]]


def test_eavesdrop_lines_use_the_right_flags():
    """FREESWITCH.md §3.5: whisper to the agent is ..._whisper_bleg (MUX_WRITE), not _aleg."""
    listen = e.eavesdrop_originate("user/1002", A, "listen", supervisor_uuid="s-1", timeout_s=20)
    assert listen == ("originate {origination_uuid=s-1,ignore_early_media=true,originate_timeout=20,"
                      "eavesdrop_enable_dtmf=false,eavesdrop_whisper_aleg=false,eavesdrop_whisper_bleg=false}"
                      f"user/1002 &eavesdrop({A})")
    whisper = e.eavesdrop_originate("user/1002", A, "whisper", dtmf=True)
    assert whisper == ("originate {ignore_early_media=true,eavesdrop_enable_dtmf=true,eavesdrop_whisper_aleg=false,"
                       f"eavesdrop_whisper_bleg=true}}user/1002 &eavesdrop({A})")
    barge = e.eavesdrop_originate("user/1002", A, "barge")
    assert barge == f"originate {{ignore_early_media=true}}user/1002 &three_way({A})"   # 05b
    with pytest.raises(ValueError, match="mode"):
        e.eavesdrop_originate("user/1002", A, "spy")


@pytest.mark.parametrize("call, what", [
    (lambda: e.uuid_kill("a b"), "uuid"), (lambda: e.uuid_kill(U, "normal clearing"), "cause"),
    (lambda: e.uuid_kill(U, "normal"), "cause"), (lambda: e.uuid_getvar(U, "a b"), "variable name"),
    (lambda: e.uuid_setvar(U, "x", "a\nb"), "value"), (lambda: e.uuid_hold(U, "maybe"), "mode"),
    (lambda: e.uuid_transfer(U, "9501", leg="cleg"), "leg"), (lambda: e.uuid_transfer(U, "95 01"), "destination"),
    (lambda: e.uuid_transfer_inline(U, [("playback", "a,b")]), "inline app argument"),
    (lambda: e.uuid_broadcast(U, "x", leg="all"), "leg"), (lambda: e.uuid_record(U, "begin", "/a"), "action"),
    (lambda: e.uuid_record(U, "stop", "/a", 5), "limit_s"), (lambda: e.uuid_record(U, "start", "/a b"), "path"),
    (lambda: e.uuid_recv_dtmf(U, "12x"), "digits"), (lambda: e.sofia_contact("1001@x"), "user"),
    (lambda: e.conference_member("r", "mute", "x"), "member_id"), (lambda: e.uuid_bridge(U, ""), "b_uuid"),
    (lambda: e.uuid_bridge(U + "\n", A), "a_uuid"),
])
def test_rejections_name_the_argument(call, what):
    with pytest.raises(ValueError, match=what):
        call()


def test_multiset_sets_many_variables_in_the_channels_own_thread():
    """mod_dptools multiset: `^^<delim>` then the items, each a `set`."""
    from engine.switch.encode import AppCall, multiset
    assert multiset({"cc_phase": "queued", "cc_queue": "etax", "cc_enqueued_at": "8.000000"}) == AppCall(
        "multiset", "^^|cc_phase=queued|cc_queue=etax|cc_enqueued_at=8.000000")
    with pytest.raises(ValueError, match="delimiter"):
        multiset({"cc_agent": "A|3"})
    with pytest.raises(ValueError):
        multiset({})
