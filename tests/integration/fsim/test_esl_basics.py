"""ESL protocol basics over real TCP: auth, subscriptions, filters, api/bgapi (captures 01, obs. 1-9)."""
from engine.fsim import wire

from .esl_client import EslClient


def reply_text(frame):
    return dict(frame.headers).get("Reply-Text")


def test_greeting_and_auth_ok(sim):
    c = EslClient(sim.esl_port)
    c.wait_for(lambda: c.replies)
    assert c.replies[0].headers == [("Content-Type", "auth/request")]
    r = c.send("auth ClueCon")
    assert r.headers == [("Content-Type", "command/reply"), ("Reply-Text", "+OK accepted")]
    c.close()


def test_command_before_auth_then_bad_password(sim):
    c = EslClient(sim.esl_port)
    c.wait_for(lambda: c.replies)
    assert reply_text(c.send("api status")) == "-ERR command not found"
    assert reply_text(c.send("auth wrong")) == "-ERR invalid"
    c.wait_for(lambda: len(c.replies) >= 4)
    notice = c.replies[3]
    assert notice.headers == [("Content-Type", "text/disconnect-notice"), ("Content-Length", "67")]
    assert notice.body == wire.DISCONNECT_BODY and len(notice.body.encode()) == 67
    c.wait_for(lambda: c.closed)


def test_exit_says_bye_and_closes(sim):
    c = EslClient(sim.esl_port)
    c.wait_for(lambda: c.replies)
    assert reply_text(c.send("exit")) == "+OK bye"
    c.wait_for(lambda: c.closed)
    assert c.replies[-1].ctype == "text/disconnect-notice"


def test_crlf_and_pipelined_commands_in_order(sim):
    c = EslClient(sim.esl_port)
    c.wait_for(lambda: c.replies)
    c.raw(b"\r\nauth ClueCon\r\n\r\napi uuid_exists nope\n\napi version\n\n")
    c.wait_for(lambda: len(c.replies) >= 4)
    assert reply_text(c.replies[1]) == "+OK accepted"
    assert c.replies[2].body == "false"
    assert c.replies[3].body.startswith("FreeSWITCH Version")
    c.close()


def test_event_and_filter_replies(sim):
    c = EslClient(sim.esl_port)
    c.auth()
    assert reply_text(c.send("event plain")) == "-ERR no keywords supplied"
    assert reply_text(c.send("event plain nosuchevent")) == "-ERR no keywords supplied"
    assert reply_text(c.send("event plain channel_answer CUSTOM sofia::register")) == \
        "+OK event listener enabled plain"
    assert reply_text(c.send("filter Unique-ID abc")) == "+OK filter added. [Unique-ID]=[abc]"
    assert reply_text(c.send("filter Unique-ID")) == "-ERR invalid syntax"
    assert reply_text(c.send("filter delete Unique-ID abc")) == "+OK filter deleted. [Unique-ID][abc]"
    assert reply_text(c.send("filter delete Unique-ID never")) == "+OK filter deleted. [Unique-ID][never]"
    assert reply_text(c.send("nixevent CHANNEL_ANSWER")) == "+OK events nixed"
    assert reply_text(c.send("nixevent")) == "-ERR no keywords supplied"
    assert reply_text(c.send("noevents")) == "+OK no longer listening for events"
    assert reply_text(c.send("noevents")) == "-ERR not listening for events"
    assert reply_text(c.send("linger")) == "-ERR not controlling a session"
    assert reply_text(c.send("nolinger")) == "-ERR not controlling a session"
    assert reply_text(c.send("myevents nosuchuuid")) == "-ERR invalid uuid"
    assert reply_text(c.send("bogus")) == "-ERR command not found"
    c.close()


def test_api_errors(esl):
    r = esl.send("api nosuchcommand with args")
    assert r.headers == [("Content-Type", "api/response"), ("Content-Length", "38")]
    assert r.body == "-ERR nosuchcommand Command not found!\n"
    assert esl.send("api uuid_bridge nosuchuuid otheruuid").body == "-ERR Invalid uuid\n"
    assert esl.send("api uuid_kill nosuchuuid").body == "-ERR No such channel!\n"
    assert esl.send("api uuid_getvar nosuchuuid cc_entry").body == "-ERR No such channel!\n"
    assert esl.send("api uuid_exists nosuchuuid").body == "false"
    assert esl.send("api uuid_answer nosuchuuid").body == "-ERROR\n"
    assert esl.send("api show channels as json").body == '{"row_count": 0}\n'
    assert esl.send("api show channels").body == "\n0 total.\n"
    assert esl.send("api sofia_contact 1005@127.0.0.1").body == "error/user_not_registered"
    api = esl.wait_event("API", API_Command="uuid_exists")
    assert api.get("API-Command-Argument") == "nosuchuuid"


def test_bgapi_background_job(esl):
    r = esl.send("bgapi status")
    text = reply_text(r)
    assert text.startswith("+OK Job-UUID: ")
    job = text.split(": ", 1)[1]
    assert r.headers[2] == ("Job-UUID", job)
    ev = esl.wait_event("BACKGROUND_JOB", Job_UUID=job)
    assert ev.get("Job-Command") == "status" and ev.get("Job-Command-Arg") is None
    assert ev.ev_body.startswith("UP ")
    assert "Unique-ID" not in ev.names()
    # the reply came before the event
    assert esl.frames.index(r) < esl.frames.index(ev)


def test_bgapi_honours_client_job_uuid(esl):
    job = "11111111-2222-3333-4444-555555555555"
    r = esl.send("bgapi uuid_exists nosuch", headers=[("Job-UUID", job)])
    assert reply_text(r) == "+OK Job-UUID: %s" % job
    ev = esl.wait_event("BACKGROUND_JOB", Job_UUID=job)
    assert ev.get("Job-Command-Arg") == "nosuch"
    assert ev.ev_body == "false"
    body_part = ev.body.split("\n\n", 1)[0].split("\n")
    assert body_part[-1] == "Content-Length: 5"


def test_filter_positive_and_negative(sim):
    c = EslClient(sim.esl_port)
    c.auth()
    c.send("event plain BACKGROUND_JOB API")
    c.send("filter Event-Name BACKGROUND_JOB")
    c.send("filter Job-Command -uuid_exists")
    c.send("bgapi uuid_exists x", headers=[("Job-UUID", "job-1")])
    c.send("bgapi status", headers=[("Job-UUID", "job-2")])
    c.wait_event("BACKGROUND_JOB", Job_UUID="job-2")
    names = [(e.name, e.get("Job-UUID")) for e in c.events]
    assert names == [("BACKGROUND_JOB", "job-2")]
    c.close()


def test_json_events(sim):
    import json
    c = EslClient(sim.esl_port)
    c.auth()
    assert reply_text(c.send("event json BACKGROUND_JOB")) == "+OK event listener enabled json"
    c.send("bgapi uuid_exists x", headers=[("Job-UUID", "job-j")])
    c.wait_for(lambda: c.events)
    ev = c.events[0]
    assert ev.ctype == "text/event-json"
    obj = json.loads(ev.body)
    assert obj["Job-UUID"] == "job-j" and obj["_body"] == "false" and obj["Content-Length"] == "5"
    assert all(isinstance(v, str) for v in obj.values())
    c.close()


def test_event_sequence_increases(esl):
    esl.send("api status")
    esl.send("api status")
    esl.wait_for(lambda: len([e for e in esl.events if e.name == "API"]) >= 2)
    seqs = [int(e.get("Event-Sequence")) for e in esl.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
