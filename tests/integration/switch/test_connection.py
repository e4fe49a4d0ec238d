"""EslConnection against a scripted fake ESL server over real loopback TCP.

Also reproduces each known greenswitch 0.0.19 defect (FREESWITCH.md §5) with plain greenswitch
against the same fake server, next to the test showing our layer handles it. Every wait is bounded.
"""
from __future__ import annotations

import logging
import time

import gevent
import gevent.event
import pytest
from greenswitch import InboundESL

from engine.switch.connection import EslConnection, EslSession
from engine.switch.errors import (
    SwitchAuthError,
    SwitchDisconnected,
    SwitchNotConnected,
    SwitchTimeout,
)

from .fake_esl import (
    DISCONNECT_BODY,
    FakeEsl,
    api_response,
    auth_request,
    command_reply,
    disconnect_notice,
    event_json,
    event_plain,
    simple_event,
    wait_until,
)

JOB = "5b7e0d6a-1111-4222-8333-444455556666"
CALL = "8d0c4f2e-aaaa-4bbb-8ccc-000000000001"
BG_JOB_FRAME = event_plain(
    [("Event-Name", "BACKGROUND_JOB"), ("Core-UUID", "6db5df64-bbd6-4a69-8ced-7c0964deb754"),
     ("Event-Date-Local", "2026-11-22 18:46:15"), ("Event-Sequence", "5012"), ("Job-UUID", JOB),
     ("Job-Command", "originate"),
     ("Job-Command-Arg", "{origination_uuid=%s,ignore_early_media=true}user/1001 &park()" % CALL)],
    body="+OK %s\n" % CALL)  # 41 bytes, as in FREESWITCH.md §1.4
JSON_EVENT_FRAME = event_json(
    '{"Event-Name":"BACKGROUND_JOB","Core-UUID":"6db5df64-bbd6-4a69-8ced-7c0964deb754",'
    '"Job-UUID":"%s","Job-Command":"originate","Job-Command-Arg":"user/1005 &park()",'
    '"Content-Length":"25","_body":"-ERR USER_NOT_REGISTERED\\n"}' % JOB)


# -- helpers ------------------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.events = []
        self.connected = 0
        self.disconnected = 0
        self.log = []

    def on_event(self, ev):
        self.events.append(ev)
        self.log.append(("event", ev.name))

    def on_connected(self):
        self.connected += 1
        self.log.append(("connected",))

    def on_disconnected(self):
        self.disconnected += 1
        self.log.append(("disconnected",))

    def names(self):
        return [e.name if e.name != "CUSTOM" else e.subclass for e in self.events]


@pytest.fixture
def make_conn(fake):
    made = []

    def make(recorder=None, **kw):
        rec = recorder or Recorder()
        kw.setdefault("reconnect_delays", (0.02, 0.05))
        kw.setdefault("command_timeout", 2.0)
        conn = EslConnection("127.0.0.1", fake.port, "ClueCon", on_event=rec.on_event,
                             on_connected=rec.on_connected, on_disconnected=rec.on_disconnected, **kw)
        made.append(conn)
        conn.start()
        return conn, rec

    yield make
    for fc in fake.conns:
        fc.close()
    for conn in made:
        conn.stop()


@pytest.fixture
def up(fake, make_conn):
    """A connected EslConnection: (conn, recorder, fake_conn)."""
    conn, rec = make_conn()
    fc = fake.next_conn()
    fc.handshake()
    assert conn.wait_connected(3)
    wait_until(lambda: rec.connected == 1, what="on_connected")
    return conn, rec, fc


def spawn(fn, *args, **kw):
    return gevent.spawn(fn, *args, **kw)


def gs_connect(fake):
    """Plain greenswitch InboundESL connected + authenticated to the fake server."""
    fs = InboundESL("127.0.0.1", fake.port, "ClueCon", timeout=2)
    g = gevent.spawn(fs.connect)
    fc = fake.next_conn()
    fc.handshake(subscribe=None)
    g.get(timeout=3)
    return fs, fc


def gs_cleanup(fs):
    gevent.killall([g for g in (fs._receive_events_greenlet, fs._process_events_greenlet) if g],
                   timeout=2)
    try:
        fs.sock.close()
    except Exception:
        pass


# -- connection basics --------------------------------------------------------------------------
def test_auth_and_subscription_bytes(fake, make_conn):
    conn, rec = make_conn(events=("CHANNEL_PARK", "CUSTOM sofia::register callcenter::info", "BACKGROUND_JOB"))
    assert not conn.connected
    fc = fake.next_conn()
    fc.send(auth_request())
    assert fc.read_command() == b"auth ClueCon\n\n"
    fc.send(command_reply("+OK accepted"))
    assert fc.read_command() == (b"event plain CHANNEL_PARK BACKGROUND_JOB CUSTOM sofia::register "
                                 b"callcenter::info\n\n")
    assert not conn.connected  # not before the subscription is confirmed
    fc.send(command_reply("+OK event listener enabled plain"))
    assert conn.wait_connected(3)
    assert conn.connected
    wait_until(lambda: rec.connected == 1, what="on_connected")
    assert conn.last_error is None


def test_wrong_password(fake, make_conn):
    conn, rec = make_conn()
    fc = fake.next_conn()
    fc.send(auth_request())
    fc.expect("auth ClueCon\n\n")
    fc.send(command_reply("-ERR invalid") + disconnect_notice())
    fc.close()
    started = time.monotonic()
    assert conn.wait_connected(3) is False
    assert time.monotonic() - started < 2  # returns early on an auth failure
    assert isinstance(conn.last_error, SwitchAuthError)
    with pytest.raises(SwitchNotConnected):
        conn.api("status")
    assert fake.no_conn_within(0.3)  # no fast retry after a rejected password
    assert rec.connected == 0


def test_session_wrong_password_raises(fake):
    session = EslSession("127.0.0.1", fake.port, "bad", sink=lambda ev: None)
    g = spawn(session.connect)
    fc = fake.next_conn()
    fc.send(auth_request())
    fc.expect("auth bad\n\n")
    fc.send(command_reply("-ERR invalid") + disconnect_notice())
    with pytest.raises(SwitchAuthError):
        g.get(timeout=3)
    assert session.closed.is_set()


def test_connection_refused_retries(make_conn):
    server = FakeEsl().start()
    port = server.port
    server.stop()
    rec = Recorder()
    conn = EslConnection("127.0.0.1", port, "ClueCon", on_event=rec.on_event,
                         reconnect_delays=(0.01,))
    conn.start()
    try:
        assert conn.wait_connected(0.3) is False
        assert isinstance(conn.last_error, SwitchNotConnected)
        with pytest.raises(SwitchNotConnected):
            conn.api("status")
    finally:
        conn.stop()


def test_not_connected_before_start(fake):
    conn = EslConnection("127.0.0.1", fake.port, "ClueCon", on_event=lambda ev: None)
    with pytest.raises(SwitchNotConnected):
        conn.api("status")
    with pytest.raises(SwitchNotConnected):
        conn.sendmsg(CALL, "answer")


def test_api_exact_bytes_and_body(up):
    conn, rec, fc = up
    g = spawn(conn.api, "uuid_exists %s" % CALL)
    assert fc.read_command() == b"api uuid_exists %s\n\n" % CALL.encode()
    fc.send(api_response("false"))
    assert g.get(timeout=2) == "false"  # verbatim, no trailing LF added
    g = spawn(conn.api, "nosuchcommand")
    fc.expect("api nosuchcommand\n\n")
    fc.send(api_response("-ERR nosuchcommand Command not found!\n"))
    assert g.get(timeout=2) == "-ERR nosuchcommand Command not found!\n"
    with pytest.raises(ValueError):
        conn.api("status\n\nexit")


def test_bgapi_exact_bytes(up):
    conn, rec, fc = up
    g = spawn(conn.bgapi, "status")
    fc.expect("bgapi status\n\n")
    fc.send(command_reply("+OK Job-UUID: %s" % JOB, {"Job-UUID": JOB}))
    assert g.get(timeout=2) == JOB

    g = spawn(conn.bgapi, "originate user/1001 &park()", job_uuid=JOB)
    fc.expect("bgapi originate user/1001 &park()\nJob-UUID: %s\n\n" % JOB)
    fc.send(command_reply("+OK Job-UUID: %s" % JOB, {"Job-UUID": JOB}) + BG_JOB_FRAME)
    assert g.get(timeout=2) == JOB
    wait_until(lambda: rec.events, what="BACKGROUND_JOB")
    ev = rec.events[0]
    assert ev.name == "BACKGROUND_JOB" and ev.get("Job-UUID") == JOB
    assert ev.body == "+OK %s\n" % CALL
    assert ev.headers["Job-Command-Arg"] == "{origination_uuid=%s,ignore_early_media=true}user/1001 &park()" % CALL


def test_sendmsg_exact_bytes(up):
    conn, rec, fc = up
    ev_uuid = "9a1e0c55-0000-4000-8000-000000000001"
    g = spawn(conn.sendmsg, CALL, "playback", "/x.wav", event_uuid=ev_uuid, event_lock=True)
    assert fc.read_command() == (
        "sendmsg %s\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /x.wav\n"
        "event-lock: true\nEvent-UUID: %s\n\n" % (CALL, ev_uuid)).encode()
    fc.send(command_reply("+OK"))
    assert g.get(timeout=2) == "+OK"

    # -ERR is returned, not raised
    g = spawn(conn.sendmsg, "nosuch", "answer")
    fc.expect("sendmsg nosuch\ncall-command: execute\nexecute-app-name: answer\n\n")
    fc.send(command_reply("-ERR invalid session id [nosuch]"))
    assert g.get(timeout=2) == "-ERR invalid session id [nosuch]"

    g = spawn(conn.sendmsg, CALL, command="hangup")
    fc.expect("sendmsg %s\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n" % CALL)
    fc.send(command_reply("+OK"))
    assert g.get(timeout=2) == "+OK"

    g = spawn(conn.sendmsg, CALL, arg="USER_BUSY", command="hangup")
    fc.expect("sendmsg %s\ncall-command: hangup\nhangup-cause: USER_BUSY\n\n" % CALL)
    fc.send(command_reply("+OK"))
    g.get(timeout=2)

    g = spawn(conn.sendmsg, CALL, "playback", "/a.wav", loops=3, headers={"hold-bleg": "true"})
    fc.expect("sendmsg %s\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /a.wav\n"
              "loops: 3\nhold-bleg: true\n\n" % CALL)
    fc.send(command_reply("+OK"))
    g.get(timeout=2)

    # an argument with a newline goes in a text/plain body; content-length counts bytes
    arg = "agent_note=张三\nline2"
    g = spawn(conn.sendmsg, CALL, "set", arg)
    body = arg.encode("utf-8")
    assert fc.read_command() == (
        "sendmsg %s\ncall-command: execute\nexecute-app-name: set\ncontent-type: text/plain\n"
        "content-length: %d\n\n" % (CALL, len(body))).encode() + body
    fc.send(command_reply("+OK"))
    assert g.get(timeout=2) == "+OK"


def test_command_and_filter_replay_after_reconnect(up, fake):
    conn, rec, fc = up
    g = spawn(conn.command, "filter Unique-ID %s" % CALL)
    fc.expect("filter Unique-ID %s\n\n" % CALL)
    fc.send(command_reply("+OK filter added. [Unique-ID]=[%s]" % CALL))
    assert g.get(timeout=2) == "+OK filter added. [Unique-ID]=[%s]" % CALL
    g = spawn(conn.command, "filter Event-Name BACKGROUND_JOB")
    fc.expect("filter Event-Name BACKGROUND_JOB\n\n")
    fc.send(command_reply("+OK filter added. [Event-Name]=[BACKGROUND_JOB]"))
    g.get(timeout=2)
    g = spawn(conn.command, "filter delete Event-Name BACKGROUND_JOB")
    fc.expect("filter delete Event-Name BACKGROUND_JOB\n\n")
    fc.send(command_reply("+OK filter deleted. [Event-Name][BACKGROUND_JOB]"))
    g.get(timeout=2)

    fc.close()
    fc2 = fake.next_conn()
    fc2.handshake()  # `event plain ALL` sent again
    fc2.expect("filter Unique-ID %s\n\n" % CALL)  # only the filter still in force
    fc2.send(command_reply("+OK filter added. [Unique-ID]=[%s]" % CALL))
    wait_until(lambda: rec.connected == 2, what="second on_connected")
    assert rec.disconnected == 1
    assert rec.log[-2:] == [("disconnected",), ("connected",)]


# -- framing ------------------------------------------------------------------------------------
def test_event_between_command_and_reply(up):
    conn, rec, fc = up
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    # an event (with its own Content-Length and body) arrives before the reply
    fc.send(BG_JOB_FRAME + simple_event("HEARTBEAT") + api_response("UP 0 years\n"))
    assert g.get(timeout=2) == "UP 0 years\n"
    wait_until(lambda: len(rec.events) == 2, what="2 events")
    assert rec.names() == ["BACKGROUND_JOB", "HEARTBEAT"]


def test_replies_are_fifo_for_concurrent_commands(up):
    conn, rec, fc = up
    greenlets = [spawn(conn.api, "echo %d" % i) for i in range(5)]
    cmds = [fc.read_command() for _ in range(5)]
    assert sorted(cmds) == sorted(b"api echo %d\n\n" % i for i in range(5))
    # reply in wire order, with events interleaved
    out = b""
    for i, cmd in enumerate(cmds):
        out += simple_event("HEARTBEAT", seq=i) + api_response(cmd[len(b"api "):-2] + b"!")
    fc.send(out)
    for i, g in enumerate(greenlets):
        assert g.get(timeout=2) == "echo %d!" % i


def test_frames_split_into_tiny_tcp_writes(up):
    conn, rec, fc = up
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    body = "张三 UP\n"
    fc.send(BG_JOB_FRAME + simple_event("CHANNEL_PARK", Unique_ID=CALL) + api_response(body), chunk=3)
    assert g.get(timeout=3) == body
    wait_until(lambda: len(rec.events) == 2, what="events")
    assert rec.events[0].body == "+OK %s\n" % CALL
    assert rec.events[1].uuid == CALL


def test_large_body_arrives_whole(up):
    conn, rec, fc = up
    row = '{"uuid":"%s","cid_name":"张三","state":"CS_EXECUTE"},' % CALL
    body = '{"row_count":20000,"rows":[' + row * 20000 + "]}"
    raw = body.encode("utf-8")
    assert len(raw) > 1024 * 1024
    g = spawn(conn.api, "show channels as json")
    fc.expect("api show channels as json\n\n")
    fc.send(api_response(raw) + simple_event("HEARTBEAT"))
    assert g.get(timeout=5) == body
    wait_until(lambda: rec.names() == ["HEARTBEAT"], what="event after the big body")


def test_every_event_reaches_the_sink_in_order(up):
    conn, rec, fc = up
    frames = [simple_event("CHANNEL_PARK", seq=1), simple_event("HEARTBEAT", seq=2),
              event_plain([("Event-Subclass", "sofia::register"), ("Event-Name", "CUSTOM"),
                           ("from-user", "1001")]),
              simple_event("CHANNEL_PARK", seq=3), JSON_EVENT_FRAME]
    fc.send(b"".join(frames))
    wait_until(lambda: len(rec.events) == 5, what="5 events")
    assert rec.names() == ["CHANNEL_PARK", "HEARTBEAT", "sofia::register", "CHANNEL_PARK", "BACKGROUND_JOB"]


def test_unparseable_frames_are_skipped(up, caplog):
    conn, rec, fc = up
    with caplog.at_level(logging.WARNING, logger="engine.switch.connection"):
        fc.send(event_json("{not json") + b"Content-Length: 3\nContent-Type: text/event-xml\n\n<x>"
                + b"Content-Length: 5\nContent-Type: text/event-plain\n\nnope\n"
                + simple_event("HEARTBEAT"))
        wait_until(lambda: rec.names() == ["HEARTBEAT"], what="event after bad frames")
    assert conn.connected
    assert sum("unparseable" in r.getMessage() for r in caplog.records) == 3


def test_slow_on_event_does_not_delay_replies(fake, make_conn):
    release = gevent.event.Event()
    rec = Recorder()
    seen = []

    def slow(ev):
        seen.append(ev.name)
        release.wait(10)  # a (badly) slow engine handler
        rec.on_event(ev)

    rec_slow = Recorder()
    rec_slow.on_event = slow
    conn, _ = make_conn(recorder=rec_slow)
    fc = fake.next_conn()
    fc.handshake()
    assert conn.wait_connected(3)
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    fc.send(simple_event("CHANNEL_PARK") + simple_event("HEARTBEAT") + api_response("UP\n"))
    assert g.get(timeout=1) == "UP\n"  # while the handler is still blocked
    wait_until(lambda: seen == ["CHANNEL_PARK"], what="handler entered")
    assert rec.events == []
    release.set()
    wait_until(lambda: len(rec.events) == 2, what="events after release")
    assert rec.names() == ["CHANNEL_PARK", "HEARTBEAT"]


def test_command_timeout_keeps_fifo(up):
    conn, rec, fc = up
    with pytest.raises(SwitchTimeout):
        conn.api("slow", timeout=0.1)
    fc.expect("api slow\n\n")
    g = spawn(conn.api, "fast")
    fc.expect("api fast\n\n")
    fc.send(api_response("late reply for slow") + api_response("fast reply"))
    assert g.get(timeout=2) == "fast reply"  # the late reply was not mistaken for it


# -- disconnects --------------------------------------------------------------------------------
def test_drop_mid_frame_fails_pending_and_reconnects(up, fake):
    conn, rec, fc = up
    greenlets = [spawn(conn.api, "status"), spawn(conn.bgapi, "status")]
    fc.read_command()
    fc.read_command()
    fc.send(b"Content-Type: api/response\nContent-Length: 500\n\nonly part of the bo")
    started = time.monotonic()
    fc.close()
    for g in greenlets:
        with pytest.raises(SwitchDisconnected):
            g.get(timeout=2)
    assert time.monotonic() - started < 1.0  # promptly, not after command_timeout
    assert "mid-frame" in (conn.last_disconnect_reason or "")
    wait_until(lambda: rec.disconnected == 1, what="on_disconnected")
    with pytest.raises(SwitchNotConnected):
        conn.api("status")
    fc2 = fake.next_conn()
    fc2.handshake()  # new instance: auth + `event plain ALL` again
    assert conn.wait_connected(3)
    wait_until(lambda: rec.connected == 2, what="on_connected again")
    g = spawn(conn.api, "status")
    fc2.expect("api status\n\n")
    fc2.send(api_response("UP\n"))
    assert g.get(timeout=2) == "UP\n"
    assert conn.connect_count == 2


def test_on_connected_may_issue_commands(fake, make_conn):
    rec = Recorder()
    results = []

    def resync():
        rec.on_connected()
        results.append(conn.api("show channels as json"))

    conn, _ = make_conn(recorder=rec)
    conn._on_connected = resync
    fc = fake.next_conn()
    fc.handshake()
    fc.expect("api show channels as json\n\n")
    fc.send(api_response('{"row_count": 0}\n'))
    wait_until(lambda: results == ['{"row_count": 0}\n'], what="resync result")


def test_disconnect_notice_body_is_consumed(up, fake):
    conn, rec, fc = up
    # linger notice (Content-Length 0): the session continues
    fc.send(b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\n"
            b"Content-Disposition: linger\nChannel-Name: sofia/internal/1001@127.0.0.1\n"
            b"Linger-Time: 5\nContent-Length: 0\n\n" % CALL.encode() + simple_event("CHANNEL_HANGUP"))
    wait_until(lambda: rec.names() == ["CHANNEL_HANGUP"], what="event after linger notice")
    assert conn.connected
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    # disconnect notice with its 67-byte body, and more bytes behind it: read whole, no crash
    fc.send(simple_event("CHANNEL_HANGUP_COMPLETE") + disconnect_notice(extra={
        "Controlled-Session-UUID": CALL, "Content-Disposition": "disconnect"}) + simple_event("HEARTBEAT"))
    with pytest.raises(SwitchDisconnected):
        g.get(timeout=2)
    assert "Disconnected, goodbye." in conn.last_disconnect_reason
    wait_until(lambda: rec.disconnected == 1, what="on_disconnected")
    assert rec.names() == ["CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"]
    fake.next_conn().handshake()
    assert conn.wait_connected(3)


def test_stop_sends_exit_and_does_not_reconnect(up, fake):
    conn, rec, fc = up
    g = spawn(conn.stop)
    fc.expect("exit\n\n")
    fc.send(command_reply("+OK bye") + disconnect_notice())
    fc.close()
    g.get(timeout=3)
    assert not conn.connected
    wait_until(lambda: rec.disconnected == 1, what="on_disconnected")
    assert fake.no_conn_within(0.2)
    with pytest.raises(SwitchNotConnected):
        conn.api("status")


# -- greenswitch defects, reproduced with plain greenswitch, and handled by our layer ---------------
def test_defect1_background_job_body_inside_content_length(fake, up):
    fs, gfc = gs_connect(fake)
    try:
        got = []
        fs.register_handle("BACKGROUND_JOB", got.append)
        gfc.send(BG_JOB_FRAME)
        wait_until(lambda: got, what="greenswitch BACKGROUND_JOB")
        # greenswitch: the body is glued into the inner Content-Length header value
        assert got[0].headers["Content-Length"] == "41\n\n+OK %s" % CALL
    finally:
        gs_cleanup(fs)
    conn, rec, fc = up
    fc.send(BG_JOB_FRAME)
    wait_until(lambda: rec.events, what="our BACKGROUND_JOB")
    assert rec.events[0].headers["Content-Length"] == "41"
    assert rec.events[0].body == "+OK %s\n" % CALL


def test_defect2_event_json_kills_greenswitch_reader(fake, up):
    fs, gfc = gs_connect(fake)
    try:
        gfc.send(JSON_EVENT_FRAME)
        wait_until(lambda: fs._receive_events_greenlet.dead, what="greenswitch reader death")
        assert isinstance(fs._receive_events_greenlet.exception, AttributeError)
        # the reader is gone: a command's reply is never read
        g = spawn(fs.send, "api status")
        gfc.expect("api status\n\n")
        gfc.send(api_response("UP\n"))
        assert g.join(timeout=0.3) is None or not g.ready()
        assert not g.ready()
        g.kill()
    finally:
        gs_cleanup(fs)
    conn, rec, fc = up
    fc.send(JSON_EVENT_FRAME)
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    fc.send(api_response("UP\n"))
    assert g.get(timeout=2) == "UP\n"
    wait_until(lambda: rec.events, what="json event")
    assert rec.events[0].name == "BACKGROUND_JOB"
    assert rec.events[0].body == "-ERR USER_NOT_REGISTERED\n"


def test_defect3_pending_send_never_returns_after_disconnect(fake, up):
    fs, gfc = gs_connect(fake)
    try:
        g = spawn(fs.send, "api status")
        gfc.expect("api status\n\n")
        gfc.close()
        wait_until(lambda: not fs.connected, what="greenswitch noticing the close")
        g.join(timeout=0.3)
        assert not g.ready()  # still blocked forever (bounded here by join timeout)
        g.kill()
    finally:
        gs_cleanup(fs)
    conn, rec, fc = up
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    fc.close()
    with pytest.raises(SwitchDisconnected):
        g.get(timeout=1)


def test_defect4_greenswitch_instance_cannot_reconnect(fake, up):
    fs, gfc = gs_connect(fake)
    try:
        gfc.close()
        wait_until(lambda: fs._receive_events_greenlet.dead, what="greenswitch reader exit")
        assert fs._run is False and fs._auth_request_event.is_set()
        g = spawn(fs.connect)
        gfc2 = fake.next_conn()
        gfc2.send(auth_request())
        gfc2.expect("auth ClueCon\n\n")
        gfc2.send(command_reply("+OK accepted"))
        g.join(timeout=0.3)
        assert not g.ready()  # no reader was started (_run is False): connect() hangs
        g.kill()
        gs_cleanup(fs)
    finally:
        gs_cleanup(fs)
    conn, rec, fc = up
    first_session = conn._session
    fc.close()
    fc2 = fake.next_conn()
    fc2.handshake()
    assert conn.wait_connected(3)
    wait_until(lambda: rec.connected == 2, what="reconnected")
    assert conn._session is not first_session  # a NEW InboundESL-subclass instance
    assert isinstance(conn._session, InboundESL)


def test_defect5_star_handler_skipped_when_specific_exists(fake, up):
    fs, gfc = gs_connect(fake)
    try:
        star, park = [], []
        fs.register_handle("*", star.append)
        fs.register_handle("CHANNEL_PARK", park.append)
        gfc.send(simple_event("CHANNEL_PARK") + simple_event("HEARTBEAT"))
        wait_until(lambda: park and star, what="greenswitch handlers")
        assert [e.headers["Event-Name"] for e in star] == ["HEARTBEAT"]  # CHANNEL_PARK skipped
    finally:
        gs_cleanup(fs)
    conn, rec, fc = up
    fc.send(simple_event("CHANNEL_PARK") + simple_event("HEARTBEAT"))
    wait_until(lambda: len(rec.events) == 2, what="both events")
    assert rec.names() == ["CHANNEL_PARK", "HEARTBEAT"]


class _SpinDetector:
    """Wraps greenswitch's sock_file; stops its at-EOF read loop after many empty reads (the
    real loop never yields to the gevent hub, so it would hang the whole test process)."""

    def __init__(self, f, limit=1000):
        self.f, self.limit, self.empty_reads = f, limit, 0

    def readline(self):
        return self.f.readline()

    def read(self, n):
        data = self.f.read(n)
        if not data:
            self.empty_reads += 1
            if self.empty_reads >= self.limit:
                raise RuntimeError("spinning on EOF")
        return data

    def close(self):
        self.f.close()


def test_defect6_drop_mid_frame_spins_greenswitch_forever(fake, up):
    fs, gfc = gs_connect(fake)
    try:
        detector = _SpinDetector(fs.sock_file)
        fs.sock_file = detector
        gfc.send(b"Content-Length: 500\nContent-Type: text/event-plain\n\nEvent-Name: CHANN")
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # greenswitch warns on every empty read
        try:
            gfc.close()
            wait_until(lambda: fs._receive_events_greenlet.dead, what="spin detector")
        finally:
            logging.disable(previous)
        assert detector.empty_reads == 1000  # 1000 consecutive reads of b'' at EOF, no exit
        assert isinstance(fs._receive_events_greenlet.exception, RuntimeError)
    finally:
        gs_cleanup(fs)
    conn, rec, fc = up
    g = spawn(conn.api, "status")
    fc.expect("api status\n\n")
    fc.send(b"Content-Length: 500\nContent-Type: text/event-plain\n\nEvent-Name: CHANN")
    fc.close()
    with pytest.raises(SwitchDisconnected):
        g.get(timeout=1)
    assert "mid-frame" in conn.last_disconnect_reason


def test_defect7_disconnect_notice_body_left_on_stream(fake):
    fs, gfc = gs_connect(fake)
    try:
        got = []
        fs.register_handle("HEARTBEAT", got.append)
        gfc.send(disconnect_notice(extra={"Content-Disposition": "disconnect"}) + simple_event("HEARTBEAT"))
        wait_until(lambda: fs._receive_events_greenlet.dead, what="greenswitch reader death")
        # the unread 67-byte body was taken for the next frame's headers
        assert isinstance(fs._receive_events_greenlet.exception, AttributeError)
        assert got == []
    finally:
        gs_cleanup(fs)
    # ours: FrameParser consumes the body (see also test_disconnect_notice_body_is_consumed)
    from engine.switch.frames import FrameParser
    frames = FrameParser().feed(disconnect_notice() + simple_event("HEARTBEAT"))
    assert frames[0].body == DISCONNECT_BODY
    assert frames[1].content_type == "text/event-plain"
