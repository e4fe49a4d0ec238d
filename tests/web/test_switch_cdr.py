"""mod_xml_cdr posts: the console keeps each caller leg's CDR once (the switch retries), refuses strangers and
bodies that are not CDRs, and drops agents' legs; the engine then reconciles them (engine.store.cdrs)."""
import base64
import types
import urllib.parse

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
