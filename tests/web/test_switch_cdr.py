"""mod_xml_cdr posts: the console keeps each caller leg's CDR once (the switch retries), refuses strangers and
bodies that are not CDRs, and drops agents' legs; the engine then reconciles them (engine.store.cdrs)."""
import base64
import types
import urllib.parse
from pathlib import Path

from sqlalchemy import select

from engine.fsim.xml_cdr import cdr_xml
from engine.store import cdrs
from engine.store.models import SwitchCdr

CREDS = "freeswitch:secret"


def leg(uuid, **variables):
    """A reported channel as the simulated switch has it (the XML is built by its mod_xml_cdr)."""
    sw = types.SimpleNamespace(core_uuid="core-1", hostname="fs1")
    profile = {"Caller-ID-Name": "张三", "Caller-ID-Number": "13800138000", "Destination-Number": "12366",
               "Unique-ID": uuid, "Profile-Created-Time": "1000000"}
    v = {"uuid": uuid, "direction": "inbound", "start_uepoch": "1000000", "answer_uepoch": "1200000",
         "end_uepoch": "70000000", "hangup_cause": "NORMAL_CLEARING", "sip_hangup_disposition": "recv_bye",
         "caller_id_name": "张三", **variables}
    return types.SimpleNamespace(sw=sw, uuid=uuid, running_state="CS_REPORTING", direction="inbound",
                                 state_number=11, variables=v, profile=profile)


def post(client, chan, creds=CREDS):
    body = "cdr=" + urllib.parse.quote(cdr_xml(chan), safe="")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "freeswitch-xml/1.0"}
    if creds:
        headers["Authorization"] = "Basic " + base64.b64encode(creds.encode()).decode()
    return client.post(f"/freeswitch/cdr?uuid=a_{chan.uuid}", data=body, headers=headers)


def test_a_caller_cdr_is_kept_once_with_its_marks_and_times(app, client, db):
    app.config["DIRECTORY_CREDENTIALS"] = CREDS
    chan = leg("c1", cc_phase="queued", cc_queue="tax_policy", cc_enqueued_at="8000000")
    assert post(client, chan).status_code == 200
    assert post(client, chan).status_code == 200          # the switch's retry of a post it thinks failed
    rows = db.scalars(select(SwitchCdr)).all()
    assert [r.call_uuid for r in rows] == ["c1"] and rows[0].disposition == "recv_bye"
    [cdr], traces = cdrs.unreconciled(db, received_before=4e9, now=4e9)
    assert (cdr.ani, cdr.dnis, cdr.caller_name, cdr.ended_at, cdr.caller_hung_up) == (
        "13800138000", "12366", "张三", 70.0, True)
    assert cdr.mark("cc_queue") == "tax_policy" and traces["c1"].kinds == frozenset()


def test_strangers_non_cdrs_and_agent_legs_are_not_kept(app, client, db):
    app.config["DIRECTORY_CREDENTIALS"] = CREDS
    assert post(client, leg("c2"), creds="freeswitch:wrong").status_code == 401
    assert post(client, leg("c2"), creds=None).status_code == 401
    bad = client.post("/freeswitch/cdr?uuid=a_x", data="cdr=%3Cnot-a-cdr%2F%3E",
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Authorization": "Basic " + base64.b64encode(CREDS.encode()).decode()})
    assert bad.status_code == 400
    assert post(client, leg("agent-leg", cc_call_uuid="c9", cc_agent="A1")).status_code == 200
    assert db.scalars(select(SwitchCdr)).all() == []


def test_a_cdr_file_from_err_log_dir_posted_back_as_text_xml_is_kept(app, client, db):
    app.config["DIRECTORY_CREDENTIALS"] = CREDS
    reply = client.post("/freeswitch/cdr?uuid=a_c3", data=cdr_xml(leg("c3")).encode(),
                        headers={"Content-Type": "text/xml",
                                 "Authorization": "Basic " + base64.b64encode(CREDS.encode()).decode()})
    assert reply.status_code == 200 and db.get(SwitchCdr, "c3") is not None


def _real_post(client, name):
    """Replay a request a real FreeSWITCH 1.11 (mod_xml_cdr, encode=true) sent, byte for byte."""
    head, body = (Path(__file__).parent / "data" / name).read_bytes().split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    path = lines[0].split(" ")[1].replace("/cdr?", "/freeswitch/cdr?")     # the capture's listener had /cdr
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    headers.pop("Content-Length", None)
    headers.pop("Host", None)
    return path, client.post(path, data=body, headers=headers)


def test_real_freeswitch_posts_are_kept_as_what_they_say(app, client, db):
    app.config["DIRECTORY_CREDENTIALS"] = "freeswitch:secret"          # the capture's credentials
    path, reply = _real_post(client, "xml_cdr_post_caller_bye.http")
    assert reply.status_code == 200, reply.get_data(as_text=True)
    uuid = path.split("uuid=a_", 1)[1]
    [cdr], _ = cdrs.unreconciled(db, received_before=4e9, now=4e9)
    assert cdr.uuid == uuid and cdr.caller_hung_up and cdr.hangup_cause == "NORMAL_CLEARING"
    assert (cdr.ani, cdr.dnis, cdr.caller_name) == ("1000", "9664", "SIPp Caller")
    assert cdr.mark("cc_phase") == "queued" and cdr.mark("cc_queue")
    assert cdr.answered_at and cdr.started_at <= cdr.answered_at <= cdr.ended_at
    _, reply = _real_post(client, "xml_cdr_post_switch_shutdown.http")
    shutdown = [c for c in cdrs.unreconciled(db, 4e9, 4e9)[0] if c.uuid != uuid][0]
    assert not shutdown.caller_hung_up and shutdown.hangup_cause == "SYSTEM_SHUTDOWN"


def test_the_simulated_switch_encodes_its_cdr_as_freeswitch_does():
    """Variables url-encoded inside the XML, the caller profile only XML-escaped (compared with the capture)."""
    from engine.xml_cdr import parse_cdr
    real = urllib.parse.unquote((Path(__file__).parent / "data" / "xml_cdr_post_caller_bye.http").read_bytes()
                                .split(b"\r\n\r\n", 1)[1].decode()[4:])
    assert "<caller_id_name>SIPp Caller</caller_id_name>" in real       # profile: plain
    assert "%40" in real.split("<variables>", 1)[1].split("</variables>", 1)[0]   # variables: encoded
    chan = leg("s1", sip_from_uri="1000@127.0.0.1")
    chan.profile["Caller-ID-Name"] = "张 三"
    ours = cdr_xml(chan)
    assert "<caller_id_name>张 三</caller_id_name>" in ours and "<sip_from_uri>1000%40127.0.0.1</sip_from_uri>" in ours
    for text in (real, ours):
        top = [child.tag for child in __import__("xml.etree.ElementTree", fromlist=["x"]).fromstring(text)]
        assert top.index("channel_data") < top.index("variables") < top.index("app_log") < top.index("callflow")
    assert parse_cdr(ours).caller_name == "张 三"
