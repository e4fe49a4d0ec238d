"""Pipelined commands over real loopback TCP against the scripted fake ESL server: many commands in flight,
replies matched in wire order, a failure reported for the right command, timeouts, disconnects; and the
pipelined SwitchExecutor reporting exactly what the waiting one reports."""
from __future__ import annotations

import uuid as uuidlib

import gevent
import pytest

from engine.domain import commands as c
from engine.domain.events import CommandFailed
from engine.switch import encode
from engine.switch.connection import EslConnection, PendingReply, _subscription_command
from engine.switch.errors import SwitchCommandError, SwitchDisconnected, SwitchNotConnected, SwitchTimeout
from engine.switch.executor import SwitchExecutor

from .fake_esl import api_response, command_reply, event_json, simple_event, wait_until


class Events(list):
    def __call__(self, ev):
        self.append(ev)


@pytest.fixture
def up(fake):
    """(conn, fake_conn, events) for a connected EslConnection with a short command timeout."""
    events = Events()
    conn = EslConnection("127.0.0.1", fake.port, "ClueCon", on_event=events, command_timeout=0.3,
                         reconnect_delays=(5.0,))
    conn.start()
    fc = fake.next_conn()
    fc.handshake()
    assert conn.wait_connected(3)
    yield conn, fc, events
    fc.close()
    conn.stop()


def reply_for(cmd: bytes) -> bytes:
    """What the fake switch answers: by rule on the command text (FAIL / GONE uuids are refused)."""
    text = cmd.decode()
    if text.startswith("api "):
        if "GONE" in text:
            return api_response("-ERR No such channel!\n")
        if "FAIL" in text:
            return api_response("-ERR Invalid uuid\n")
        return api_response("+OK\n")
    if text.startswith("bgapi "):
        if "FAIL" in text:
            return command_reply("-ERR command not found")
        job = next(line[10:] for line in text.split("\n") if line.startswith("Job-UUID: "))
        return command_reply("+OK Job-UUID: " + job, {"Job-UUID": job})
    if text.startswith("sendmsg "):
        uuid = text.split("\n", 1)[0][8:]
        return command_reply("-ERR invalid session id [%s]" % uuid if "FAIL" in uuid else "+OK")
    return command_reply("+OK")


def read_commands(fc, n: int) -> list[bytes]:
    return [fc.read_command() for _ in range(n)]


def u(tag: str = "") -> str:
    return tag + str(uuidlib.uuid4())[len(tag):]


# -- the connection ----------------------------------------------------------------------------------------
def test_many_commands_in_flight_are_written_at_once_and_matched_in_order(up):
    conn, fc, events = up
    pendings = [conn.api_nowait("echo %d" % i) for i in range(50)]
    assert conn.pending_count == 50 and not any(p.ready() for p in pendings)
    cmds = read_commands(fc, 50)  # all on the wire before a single reply
    assert cmds == [b"api echo %d\n\n" % i for i in range(50)]
    out = b""
    for i, cmd in enumerate(cmds):
        out += simple_event("HEARTBEAT", seq=i) + api_response(b"reply %d\n" % i)
    fc.send(out, chunk=997)
    for i, p in enumerate(pendings):
        assert p.get() == "reply %d\n" % i
        assert p.successful() and p.reply.content_type == "api/response"
    assert conn.pending_count == 0
    wait_until(lambda: len(events) == 50, what="the events")


def test_callbacks_run_in_the_dispatch_greenlet_after_the_events_before_the_reply(up):
    conn, fc, events = up
    seen = []

    def on_reply(p):
        seen.append((p.value, len(events), gevent.getcurrent() is conn._dispatcher))

    conn.api_nowait("one", callback=on_reply)
    p2 = conn.sendmsg_nowait(u(), "answer")
    p2.link(on_reply)
    read_commands(fc, 2)
    fc.send(simple_event("CHANNEL_PARK") + api_response("1\n") + simple_event("HEARTBEAT") + command_reply("+OK"))
    wait_until(lambda: len(seen) == 2, what="callbacks")
    assert seen == [("1\n", 1, True), ("+OK", 2, True)]
    late = []
    p2.link(late.append)  # already complete: runs at once, here
    assert late == [p2]


def test_a_failing_callback_does_not_stop_dispatch(up, caplog):
    conn, fc, events = up
    conn.api_nowait("a", callback=lambda p: 1 / 0)
    p = conn.api_nowait("b")
    read_commands(fc, 2)
    fc.send(api_response("x") + api_response("y") + simple_event("HEARTBEAT"))
    assert p.get() == "y"
    wait_until(lambda: events, what="event after the failing callback")
    assert any("reply callback" in r.getMessage() for r in caplog.records)


def test_bgapi_nowait_rejection_is_a_switch_command_error(up):
    conn, fc, _ = up
    ok = conn.bgapi_nowait("originate user/1001 &park()", job_uuid="job-1")
    bad = conn.bgapi_nowait("originate user/1002 &park()")
    read_commands(fc, 2)
    fc.send(command_reply("+OK Job-UUID: job-1", {"Job-UUID": "job-1"}) + command_reply("-ERR command not found"))
    assert ok.get() == "job-1"
    with pytest.raises(SwitchCommandError, match="bgapi originate: -ERR command not found"):
        bad.get()
    assert bad.reply.reply_text == "-ERR command not found" and bad.value is None


def test_timeout_fails_the_command_keeps_its_slot_and_the_late_reply_is_dropped(up):
    conn, fc, _ = up
    failed = []
    slow = conn.api_nowait("slow", timeout=0.1, callback=failed.append)
    fc.expect("api slow\n\n")
    wait_until(lambda: failed, what="the timeout")
    assert isinstance(slow.exception, SwitchTimeout) and "within 0.1s to 'api slow'" in str(slow.exception)
    assert conn.pending_count == 1  # the slot stays: the late reply must not be taken for the next command
    fast = conn.api_nowait("fast")
    fc.expect("api fast\n\n")
    fc.send(api_response("late reply for slow") + api_response("fast reply"))
    assert fast.get() == "fast reply"
    assert slow.value is None and conn.pending_count == 0


def test_disconnect_fails_every_command_in_flight(up, fake):
    conn, fc, _ = up
    failed = []
    pendings = [conn.api_nowait("c%d" % i, callback=failed.append) for i in range(10)]
    read_commands(fc, 10)
    fc.send(api_response("first"))
    assert pendings[0].get() == "first"
    fc.close()
    wait_until(lambda: len(failed) == 10, what="all failed")
    assert failed[0] is pendings[0] and failed[0].successful()
    assert all(isinstance(p.exception, SwitchDisconnected) for p in pendings[1:])
    assert conn.pending_count == 0
    with pytest.raises(SwitchNotConnected):
        conn.api_nowait("after")


def test_blocking_calls_are_nowait_plus_get(up):
    conn, fc, _ = up
    g = gevent.spawn(conn.api, "status")
    fc.expect("api status\n\n")
    fc.send(api_response("UP\n"))
    assert g.get(timeout=2) == "UP\n"
    with pytest.raises(SwitchTimeout):
        conn.api("never", timeout=0.05)
    p = conn.command_nowait("filter Unique-ID abc")
    fc.expect("api never\n\n")
    fc.expect("filter Unique-ID abc\n\n")
    fc.send(api_response("late") + command_reply("+OK filter added. [Unique-ID]=[abc]"))
    assert p.get() == "+OK filter added. [Unique-ID]=[abc]"
    assert conn._filters == [("Unique-ID", "abc")]  # remembered for the reconnect, as command() does
    assert isinstance(p, PendingReply) and p.get(timeout=0) == p.value


def test_event_json_subscription(fake):
    assert _subscription_command(["CHANNEL_PARK", "CUSTOM sofia::register"], "json") == \
        "event json CHANNEL_PARK CUSTOM sofia::register"
    with pytest.raises(ValueError):
        _subscription_command(["ALL"], "xml")
    events = Events()
    conn = EslConnection("127.0.0.1", fake.port, "ClueCon", events=("CHANNEL_PARK",), on_event=events,
                         event_format="json")
    conn.start()
    try:
        fc = fake.next_conn()
        fc.handshake(subscribe="event json CHANNEL_PARK")
        assert conn.wait_connected(3)
        fc.send(event_json('{"Event-Name":"CHANNEL_PARK","Unique-ID":"u-1","Caller-Caller-ID-Name":"张三",'
                           '"variable_DP_MATCH":["12366","12366"]}'))
        wait_until(lambda: events, what="the JSON event")
        ev = events[0]
        assert (ev.name, ev.uuid, ev.get("caller-caller-id-name"), ev.var("DP_MATCH")) == (
            "CHANNEL_PARK", "u-1", "张三", "ARRAY::12366|:12366")
    finally:
        conn.stop()


# -- the executor ------------------------------------------------------------------------------------------
def scenario():
    """Commands and, by the uuids, which of them the fake refuses."""
    job_ok, job_bad = u(), u()
    return [
        c.Answer(u()),
        c.Answer(u("FAIL")),
        c.Play(u(), "/p/welcome.wav", u()),
        c.Play(u("FAIL"), "/p/welcome.wav", u()),
        c.Collect(u("FAIL"), u(), "/p/menu.wav", "/p/invalid.wav", 1, 1, 3, 5000, "\\d"),
        c.StopMedia(u("FAIL")),
        c.DialAgent(job_bad, u("FAIL"), "1001", 20, "13800138000", "张三", {}),
        c.DialAgent(job_ok, u(), "1002", 20, "13800138000", "张三", {"cc_queue": "tax"}),
        c.DialCustomer(u(), u(), "13800138000", 30, "12366", {}),
        c.StartRecording(u("FAIL"), "/rec/a.wav"),
        c.Supervise("1099", u(), "whisper", u(), u()),
        c.HoldCall(u("FAIL"), True),
        c.Bridge(u("FAIL"), u()),
        c.PhoneEvent(u()),
        c.PlayMusic(u(), "local_stream://moh"),
        c.JoinConference(u(), "cc-room", both=True),
        c.Hangup(u("GONE")),          # "No such channel": quiet
        c.Hangup(u("FAIL"), "USER_BUSY"),
    ]


def strip(reports):
    return [(type(r).__name__,) + ((r.key, r.uuid, r.detail) if isinstance(r, CommandFailed)
                                   else (r.job_uuid, r.ok, r.leg_uuid, r.cause)) for r in reports]


def run_executor(conn, fc, cmds, pipelined: bool, tmp_path=None):
    reports = []
    ex = SwitchExecutor(conn, reports.append, pipelined=pipelined)
    sent = []
    if pipelined:
        for cmd in cmds:
            ex.execute(cmd)  # returns at once: nothing has been answered yet
        n = sum(2 if isinstance(cmd, c.Record) else 1 for cmd in cmds)     # Record: set, then record
        assert ex.in_flight == n
        sent = read_commands(fc, n)
        fc.send(b"".join(reply_for(cmd) for cmd in sent))
        wait_until(lambda: ex.in_flight == 0, what="every reply checked")
    else:
        def replier():
            while True:
                cmd = fc.read_command()
                sent.append(cmd)
                fc.send(reply_for(cmd))

        g = gevent.spawn(replier)
        for cmd in cmds:
            ex.execute(cmd)  # waits for each reply
        g.kill()
    return strip(reports), sent


def test_pipelined_executor_reports_exactly_what_the_waiting_one_reports(up, fake, tmp_path):
    conn, fc, _ = up
    cmds = scenario() + [c.Record(u("FAIL"), str(tmp_path / "vm" / "a.wav"), 60, u())]
    waiting, sent_waiting = run_executor(conn, fc, cmds, pipelined=False)
    pipelined, sent_pipelined = run_executor(conn, fc, cmds, pipelined=True)
    assert pipelined == waiting
    assert sent_pipelined == sent_waiting  # the same bytes, in execute() order
    keys = [r[1] for r in pipelined if r[0] == "CommandFailed"]
    assert keys == ["answer", "play", "collect", "stop_media", "dialagent", "record", "hold", "bridge",
                    "hangup", "record", "record"]
    dial = next(r for r in pipelined if r[0] == "CommandFailed" and r[1] == "dialagent")
    assert dial[2] is None and dial[3] == "SwitchCommandError: bgapi originate: -ERR command not found"
    assert [r for r in pipelined if r[0] == "OriginateResult"] == [
        ("OriginateResult", cmds[6].job_uuid, False, None, "SWITCH_UNAVAILABLE")]
    bridge = next(r for r in pipelined if r[1] == "bridge")
    assert bridge[2] == cmds[12].a_uuid and bridge[3] == "-ERR Invalid uuid"


def test_one_failure_among_many_is_reported_for_the_right_command(up):
    conn, fc, _ = up
    reports = []
    ex = SwitchExecutor(conn, reports.append)
    assert ex.pipelined
    uuids = [u() for _ in range(40)]
    for i, uuid in enumerate(uuids):
        ex.execute(c.Play(uuid, "/p/%d.wav" % i, "app-%d" % i))
    sent = read_commands(fc, 40)
    assert [s.split(b"\n", 1)[0] for s in sent] == [b"sendmsg " + x.encode() for x in uuids]
    fc.send(b"".join(command_reply("-ERR invalid session id [%s]" % uuids[i] if i == 23 else "+OK")
                     for i in range(40)))
    wait_until(lambda: ex.in_flight == 0, what="replies")
    assert strip(reports) == [("CommandFailed", "play", uuids[23], "-ERR invalid session id [%s]" % uuids[23])]


def test_executor_timeout_is_reported_and_does_not_leak(up):
    conn, fc, _ = up
    reports = []
    ex = SwitchExecutor(conn, reports.append)
    leg, job, agent_leg = u(), u(), u()
    ex.execute(c.Hangup(leg))
    ex.execute(c.DialAgent(job, agent_leg, "1001", 20, "1", "n", {}))
    read_commands(fc, 2)
    wait_until(lambda: len(reports) == 3, timeout=2, what="timeouts reported")  # command_timeout 0.3 s
    assert ex.in_flight == 0
    where = "127.0.0.1:%d" % conn.port
    dial_line = ("bgapi " + encode.agent_originate("user/1001", agent_leg, 20, "1", "n", {}))[:80]
    assert strip(reports) == [
        ("CommandFailed", "hangup", leg, "SwitchTimeout: no reply from FreeSWITCH %s within 0.3s to %r"
         % (where, "api " + encode.uuid_kill(leg))),
        ("CommandFailed", "dialagent", None, "SwitchTimeout: no reply from FreeSWITCH %s within 0.3s to %r"
         % (where, dial_line)),
        ("OriginateResult", job, False, None, "SWITCH_UNAVAILABLE")]
    # the late replies are matched to their slots, then the next command is answered normally
    ex.execute(c.Answer(leg))
    fc.read_command()
    fc.send(api_response("+OK\n") + command_reply("+OK Job-UUID: " + job) + command_reply("-ERR invalid session id"))
    wait_until(lambda: len(reports) == 4, what="the answer's failure")
    assert strip(reports)[3] == ("CommandFailed", "answer", leg, "-ERR invalid session id")
    assert conn.pending_count == 0 and ex.in_flight == 0


def test_executor_disconnect_with_commands_in_flight(up, tmp_path):
    conn, fc, _ = up
    reports = []
    ex = SwitchExecutor(conn, reports.append)
    legs = [u() for _ in range(5)]
    job = u()
    for leg in legs:
        ex.execute(c.Answer(leg))
    ex.execute(c.Record(legs[0], str(tmp_path / "vm" / "b.wav"), 60, u()))  # two switch commands, one report
    ex.execute(c.DialCustomer(job, u(), "13800138000", 30, "12366", {}))
    read_commands(fc, 8)
    fc.send(command_reply("+OK"))  # the first answer went through
    fc.close()
    wait_until(lambda: ex.in_flight == 0, what="all failed")
    got = strip(reports)
    assert [r[:3] for r in got] == [("CommandFailed", "answer", leg) for leg in legs[1:]] + [
        ("CommandFailed", "record", legs[0]), ("CommandFailed", "dialcustomer", None),
        ("OriginateResult", job, False)]
    assert all(r[3].startswith("SwitchDisconnected: connection to FreeSWITCH 127.0.0.1:%d lost: " % conn.port)
               for r in got if r[0] == "CommandFailed")
    assert conn.pending_count == 0
    # and while down, execute() reports at once, as before
    ex.execute(c.Hangup(legs[1]))
    assert strip(reports)[-1][:3] == ("CommandFailed", "hangup", legs[1])
    assert strip(reports)[-1][3].startswith("SwitchNotConnected: ")


def test_a_link_without_nowait_methods_is_driven_the_waiting_way():
    calls = []

    class Blocking:
        def api(self, command, timeout=None):
            calls.append(command)
            return "-ERR nope\n"

    reports = []
    ex = SwitchExecutor(Blocking(), reports.append)
    assert not ex.pipelined
    ex.execute(c.Bridge("a", "b"))
    assert calls == ["uuid_bridge a b"] and strip(reports) == [("CommandFailed", "bridge", "a", "-ERR nope")]


def test_bare_session_callbacks_never_run_in_the_hub(fake):
    from engine.switch.connection import EslSession

    session = EslSession("127.0.0.1", fake.port, "ClueCon", sink=lambda ev: None, command_timeout=0.1)
    g = gevent.spawn(session.connect)
    fc = fake.next_conn()
    fc.handshake(subscribe=None)
    g.get(timeout=3)
    try:
        where = []
        p = session.send_nowait(b"api never\n\n")
        p.link(lambda p: where.append(gevent.getcurrent()))
        fc.expect("api never\n\n")
        wait_until(lambda: where, what="the timeout callback")
        assert where[0] is not gevent.get_hub() and isinstance(p.exception, SwitchTimeout)
        q = session.send_nowait(b"api now\n\n")
        q.link(lambda q: where.append(gevent.getcurrent()))
        fc.expect("api now\n\n")
        fc.send(api_response("late") + api_response("now"))
        assert q.get() is q.reply and q.reply.text == "now"
        wait_until(lambda: len(where) == 2, what="the reply callback")
        assert where[1] is session._receive_events_greenlet  # inline, in the reader
    finally:
        session.close("test over")


def test_a_connection_that_stops_answering_is_dropped_and_reestablished(fake, caplog):
    """No reply even long after the timeout: FreeSWITCH answers every command, so the connection is wedged
    (and delivers no events either); the timed-out slots must not pile up forever."""
    events = Events()
    conn = EslConnection("127.0.0.1", fake.port, "ClueCon", on_event=events, command_timeout=0.1,
                         stall_timeout=0.2, reconnect_delays=(0.05,))
    conn.start()
    try:
        fc = fake.next_conn()
        fc.handshake()
        assert conn.wait_connected(3)
        first, late = conn.api_nowait("wedged"), conn.api_nowait("answered late")
        read_commands(fc, 2)  # and never answered
        wait_until(lambda: first.ready() and late.ready(), what="the timeouts")
        assert conn.pending_count == 2
        fc.wait_eof(timeout=2)  # dropped by the client, ~0.2 s after the timeout
        assert "stopped answering" in (conn.last_disconnect_reason or "")
        fc2 = fake.next_conn()
        fc2.handshake()
        assert conn.wait_connected(3)
        g = gevent.spawn(conn.api, "status")
        fc2.expect("api status\n\n")
        fc2.send(api_response("UP\n"))
        assert g.get(timeout=2) == "UP\n"
    finally:
        conn.stop()


def test_a_late_reply_cancels_the_stall_watch(up):
    conn, fc, _ = up
    conn.stall_timeout = 0.2  # (read by new sessions only: this one keeps its 30 s default)
    session = conn._session
    session._stall = (0.2, session._stalled)
    p = conn.api_nowait("slow", timeout=0.05)
    fc.expect("api slow\n\n")
    wait_until(p.ready, what="the timeout")
    fc.send(api_response("late"))
    wait_until(lambda: conn.pending_count == 0, what="the late reply")
    gevent.sleep(0.4)
    assert conn.connected and not session.closed.is_set()
