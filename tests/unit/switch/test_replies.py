"""replies: parsers fed with reply texts exactly as a real FreeSWITCH sent them.

Short replies are copied verbatim from the capture transcripts (file named next to each); long ones
(`show channels as json`, `sofia status ... reg`, `conference list`) are read straight from the capture's
.jsonl.gz, and every copied literal is checked to occur in its capture (test_literals_are_in_the_captures).
"""
from __future__ import annotations

import gzip
import json

import pytest

from engine.switch.errors import SwitchCommandError
from engine.switch.replies import (
    ChannelRow, CommandRejected, NoSuchChannel, OriginateResult, check_ok, parse_bridge, parse_channels,
    parse_conference_list, parse_contact, parse_exists, parse_getvar, parse_originate, parse_registrations,
)
from tests.captures import CAPTURES

U = "f6249d1a-84e3-4d4b-9e5b-3e549588400c"
A = "a0ca5754-ec08-4e91-89f7-8d6125411368"
CONF = "cc-e6f4a537-5366-45a7-ad68-28a18f102e31"

# (capture file, api command, reply) -- verbatim
LITERALS = [
    ("01_esl_basics", "api uuid_bridge nosuchuuid otheruuid", "-ERR Invalid uuid\n"),
    ("01_esl_basics", "api uuid_kill nosuchuuid", "-ERR No such channel!\n"),
    ("01_esl_basics", "api uuid_getvar nosuchuuid cc_entry", "-ERR No such channel!\n"),
    ("01_esl_basics", "api uuid_exists nosuchuuid", "false"),
    ("01_esl_basics", "api uuid_exists 0ff93bbd-59ee-4eb3-a452-9262f7bf047f", "true"),
    ("01_esl_basics", "api uuid_getvar 0ff93bbd-59ee-4eb3-a452-9262f7bf047f cc_note", "hello world & more"),
    ("01_esl_basics", "api originate user/1005 &park()", "-ERR USER_NOT_REGISTERED\n"),
    ("01_esl_basics", "api originate user/9999 &park()", "-ERR SUBSCRIBER_ABSENT\n"),
    ("01_esl_basics", "api originate loopback/9999/public &park()", "-ERR NORMAL_CLEARING\n"),
    ("01_esl_basics", "api uuid_kill 0ff93bbd-59ee-4eb3-a452-9262f7bf047f", "+OK\n"),
    ("01_esl_basics", "api show channels as json", '{"row_count": 0}\n'),
    ("01_esl_basics", "api nosuchcommand", "-ERR nosuchcommand Command not found!\n"),
    ("02_registration", "api sofia_contact 1001@127.0.0.1", "sofia/internal/sip:1001@127.0.0.1:5071"),
    ("02_registration", "api sofia_contact 1005@127.0.0.1", "error/user_not_registered"),
    ("02_registration", "api sofia status profile internal reg",
     "\nRegistrations:\n=================================================================================================\n"
     "Total items returned: 0\n=================================================================================================\n"),
    ("03_inbound_call_ivr", f"api uuid_recv_dtmf {U} 2", f"+OK {U} received DTMF 2.\n"),
    ("03_inbound_call_ivr", f"api uuid_getvar {U} ivr_choice3", "_undef_"),
    ("03_inbound_call_ivr", f"api uuid_getvar {U} agent_note", "VIP caller 张三 & co"),
    ("03_inbound_call_ivr", f"api uuid_getvar {U} cc_b", "two words"),
    ("03_inbound_call_ivr", f"api uuid_setvar {U} cc_skill tax", "+OK\n"),
    ("03_inbound_call_ivr", f"api uuid_broadcast {U} /srv/capture/prompt.wav aleg", "+OK Message sent\n"),
    ("03_inbound_call_ivr", f"api uuid_hold {U}", "+OK Success\n"),
    ("03_inbound_call_ivr", f"api uuid_hold off {U}", "+OK Success\n"),
    ("04a_bridge_to_agent", f"api uuid_bridge 63479672-3a55-4a9e-ae8c-b6891ef38b7a {A}", f"+OK {A}\n"),
    ("05b_supervisor_three_way_conference", f"api conference {CONF} mute 6", "+OK mute 6\n"),
    ("05b_supervisor_three_way_conference", "api conference list", "+OK No active conferences.\n"),
    ("06a_blind_transfer_caller", "api uuid_transfer 2bf09373-6d5c-436b-9742-5fc619b7b516 9501 XML public", "+OK\n"),
]


def _api_replies(name: str) -> list[tuple[str, str]]:
    """(command, api/response body) pairs of a capture, in wire order, from its .jsonl.gz."""
    path = CAPTURES / f"{name}.jsonl.gz"
    if not path.exists():
        pytest.skip(f"FreeSWITCH captures not found at {CAPTURES}")
    pending: dict[str, list[str]] = {}
    out = []
    for line in gzip.open(path, "rt", encoding="utf-8"):
        o = json.loads(line)
        conn = o.get("conn")
        if o["dir"] == "out" and o["data"].startswith("api "):
            pending.setdefault(conn, []).append(o["data"].strip())
        elif o["dir"] == "in" and o.get("headers", {}).get("Content-Type") == "api/response":
            out.append((pending[conn].pop(0), o["body"]))
    return out


def _reply(name: str, command: str, index: int = 0) -> str:
    found = [body for cmd, body in _api_replies(name) if cmd == command]
    assert len(found) > index, f"{command!r} not in {name}"
    return found[index]


@pytest.mark.parametrize("name, command, reply", LITERALS)
def test_literals_are_in_the_captures(name, command, reply):
    assert reply in [body for cmd, body in _api_replies(name) if cmd == command]


def test_originate_results():
    # 04a_bridge_to_agent BACKGROUND_JOB body / 04b / 01_esl_basics api replies
    assert parse_originate(f"+OK {A}\n") == OriginateResult(True, A, None, f"+OK {A}\n")
    for text, cause in (("-ERR USER_BUSY\n", "USER_BUSY"), ("-ERR NO_ANSWER\n", "NO_ANSWER"),
                        ("-ERR USER_NOT_REGISTERED\n", "USER_NOT_REGISTERED"),
                        ("-ERR SUBSCRIBER_ABSENT\n", "SUBSCRIBER_ABSENT"), ("-ERR NORMAL_CLEARING\n", "NORMAL_CLEARING")):
        r = parse_originate(text)
        assert (r.ok, r.uuid, r.cause, r.text) == (False, None, cause, text)
    usage = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] "
             "[<cid_num>] [<timeout_sec>]\n")
    with pytest.raises(CommandRejected) as info:
        parse_originate(usage)
    assert info.value.text == usage.rstrip("\n") and isinstance(info.value, SwitchCommandError)
    with pytest.raises(CommandRejected):
        parse_originate("-ERR nosuchcommand Command not found!\n")   # 01_esl_basics: not a cause


def test_check_ok_variants():
    assert check_ok("+OK\n") == ""                                           # 01 uuid_kill, 03 uuid_setvar
    assert check_ok("+OK Success\n") == "Success"                            # 03 uuid_hold
    assert check_ok("+OK Message sent\n") == "Message sent"                  # 03 uuid_broadcast
    assert check_ok(f"+OK {U} received DTMF 2.\n") == f"{U} received DTMF 2."  # 03 uuid_recv_dtmf
    assert check_ok("+OK mute 6\n") == "mute 6"                              # 05b conference mute
    with pytest.raises(NoSuchChannel) as info:
        check_ok("-ERR No such channel!\n", "uuid_kill")                     # 01 uuid_kill nosuchuuid
    assert info.value.text == "-ERR No such channel!" and info.value.command == "uuid_kill"
    assert str(info.value) == "uuid_kill: -ERR No such channel!"
    with pytest.raises(NoSuchChannel):
        check_ok("-ERR invalid uuid\n", "uuid_broadcast")                    # FREESWITCH.md §3.2
    with pytest.raises(NoSuchChannel):
        check_ok("-ERR Cannot locate session!\n", "uuid_record")             # FREESWITCH.md §3.2
    for text in ("-ERR Operation failed\n", "-ERROR\n", "-ERR Cannot record session!\n", "-ERR\n", "",
                 "-ERR nosuchcommand Command not found!\n"):
        with pytest.raises(CommandRejected) as info:
            check_ok(text, "x")
        assert not isinstance(info.value, NoSuchChannel)


def test_bridge_reply():
    assert parse_bridge(f"+OK {A}\n") == A                                  # 04a
    with pytest.raises(NoSuchChannel) as info:
        parse_bridge("-ERR Invalid uuid\n")                                  # 01
    assert info.value.text == "-ERR Invalid uuid"


def test_getvar_and_exists():
    assert parse_getvar("_undef_") is None                                   # 03 ivr_choice3
    assert parse_getvar("VIP caller 张三 & co") == "VIP caller 张三 & co"     # 03 agent_note
    assert parse_getvar("hello world & more") == "hello world & more"       # 01 cc_note
    assert parse_getvar("2") == "2"
    assert parse_getvar("") == ""
    with pytest.raises(NoSuchChannel):
        parse_getvar("-ERR No such channel!\n")                              # 01
    assert parse_exists("true") is True and parse_exists("false") is False   # 01
    with pytest.raises(CommandRejected):
        parse_exists("-ERR nosuchcommand Command not found!\n")


def test_channels_empty_quirk_and_rows():
    assert parse_channels('{"row_count": 0}\n') == []                        # 01 (space + LF)
    body = _reply("01_esl_basics", "api show channels as json", 1)           # one parked SIP call
    (row,) = parse_channels(body)
    assert isinstance(row, ChannelRow)
    assert (row.uuid, row.direction, row.name, row.state, row.cid_name, row.cid_num, row.dest, row.application,
            row.context, row.callstate, row.created_epoch, row.read_rate) == (
        "0ff93bbd-59ee-4eb3-a452-9262f7bf047f", "inbound", "sofia/internal/13800138000@127.0.0.1:5070",
        "CS_EXECUTE", "张三", "13800138000", "12366", "park", "public", "RINGING", 1795371991, None)
    assert row.raw["hostname"] == "vm"
    rows = parse_channels(_reply("04a_bridge_to_agent", "api show channels as json"))   # bridged pair
    assert {r.uuid for r in rows} == {"63479672-3a55-4a9e-ae8c-b6891ef38b7a", A}
    assert {r.read_rate for r in rows} == {8000}
    with pytest.raises(CommandRejected):
        parse_channels("-ERR nosuchcommand Command not found!\n")
    with pytest.raises(CommandRejected):
        parse_channels('{"row_count":1,"rows":[')


def test_registrations():
    assert parse_registrations(
        "\nRegistrations:\n=================================================================================================\n"
        "Total items returned: 0\n=================================================================================================\n"
    ) == []                                                                  # 02
    (reg,) = parse_registrations(_reply("02_registration", "api sofia status profile internal reg", 1))
    assert (reg.user, reg.extension, reg.realm, reg.contact, reg.status, reg.expires_at, reg.expires_in,
            reg.call_id, reg.agent, reg.ping_status, reg.ip, reg.port, reg.auth_user) == (
        "1001@127.0.0.1", "1001", "127.0.0.1", '"" <sip:1001@127.0.0.1:5071>', "Registered(UDP)(unknown)",
        "2026-11-22 19:28:12", 3659, "reg-1001-5071@127.0.0.1", "SIPp-capture", "Reachable", "127.0.0.1", 5071,
        "1001")
    regs = parse_registrations([b for c, b in _api_replies("02_registration")
                                if c == "api sofia status profile internal reg"][-1])   # 1001 and 1002
    assert [r.extension for r in regs] == ["1001", "1002"]
    assert [r.port for r in regs] == [5071, 5072]
    with pytest.raises(CommandRejected):
        parse_registrations("-ERR nosuchcommand Command not found!\n")


def test_contact():
    assert parse_contact("sofia/internal/sip:1001@127.0.0.1:5071") == "sofia/internal/sip:1001@127.0.0.1:5071"  # 02
    assert parse_contact("error/user_not_registered") is None                # 02
    with pytest.raises(CommandRejected):
        parse_contact("error/invalid_profile")
    with pytest.raises(CommandRejected):
        parse_contact("")


def test_conference_list():
    assert parse_conference_list("+OK No active conferences.\n") == []      # 05b
    members = parse_conference_list(_reply("05b_supervisor_three_way_conference", f"api conference {CONF} list", 1))
    assert [(m.member_id, m.uuid, m.cid_name, m.cid_num, m.flags) for m in members] == [
        (6, "e7fdedd8-3114-4958-8fed-bdef2dda6723", "Outbound Call", "1002", ("hear", "speak", "talking")),
        (5, "e6f4a537-5366-45a7-ad68-28a18f102e31", "张三", "13800138000", ("hear", "speak", "talking")),
        (4, "8dde7431-22b5-4164-9811-74e4b758eff9", "", "0000000000", ("hear", "speak", "talking", "floor")),
    ]
    assert members[0].channel == "sofia/internal/1002@127.0.0.1:5072"
    assert (members[0].volume_in, members[0].volume_out, members[0].energy) == (0, 0, 100)
    assert not members[0].muted and not members[0].deaf and members[0].conference is None
    # `conference list` (all conferences) prefixes each conference with a +OK header line (05b)
    every = parse_conference_list(_reply("05b_supervisor_three_way_conference", "api conference list", 0))
    assert [(m.conference, m.member_id) for m in every] == [(CONF, 6), (CONF, 5), (CONF, 4)]
    (m,) = parse_conference_list("6;sofia/internal/1002@127.0.0.1:5072;e7fdedd8;Outbound Call;1002;hear|talking;0;0;100\n")
    assert m.muted and not m.deaf
    assert parse_conference_list("7;loopback/x;u;a;b;c;1002;hear;0;0;100\n")[0].cid_name == "a;b;c"
    with pytest.raises(CommandRejected):
        parse_conference_list("-ERR Conference nosuch not found\n")
    with pytest.raises(CommandRejected):
        parse_conference_list("garbage\n")
