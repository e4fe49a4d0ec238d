"""mod_xml_curl directory: FreeSWITCH gets an agent's SIP account (digest hash only) with the right credentials."""
import hashlib

from sqlalchemy import select

from engine.sip_accounts import a1_hash
from engine.store.models import Agent


def lookup(client, user, creds=("freeswitch", "secret"), **form):
    data = {"section": "directory", "action": "sip_auth", "user": user, "domain": "10.0.0.5", **form}
    headers = {}
    if creds:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
    return client.post("/freeswitch/directory", data=data, headers=headers)


def test_directory_serves_the_agent_with_the_digest_hash_and_refuses_strangers(app, client, db, seed):
    app.config["DIRECTORY_CREDENTIALS"] = "freeswitch:secret"
    agent = db.scalars(select(Agent)).first()
    agent.sip_a1_hash = a1_hash(agent.extension, "10.0.0.5", "pa55")
    db.commit()
    assert a1_hash("8001", "10.0.0.5", "pa55") == hashlib.md5(b"8001:10.0.0.5:pa55").hexdigest()
    body = lookup(client, agent.extension).get_data(as_text=True)
    assert f'<user id="{agent.extension}">' in body and f'value="{agent.sip_a1_hash}"' in body
    assert 'name="callcenter_agent" value="true"' in body and "pa55" not in body
    assert 'status="not found"' in lookup(client, "9999").get_data(as_text=True)
    assert 'status="not found"' in lookup(client, agent.extension, section="dialplan").get_data(as_text=True)
    assert lookup(client, agent.extension, creds=("freeswitch", "wrong")).status_code == 401
    assert lookup(client, agent.extension, creds=None).status_code == 401
    agent.active = False
    db.commit()
    assert 'status="not found"' in lookup(client, agent.extension).get_data(as_text=True)


def test_an_admin_sets_a_sip_password_which_is_shown_once_and_stored_as_a_hash(app, as_admin, db, seed):
    from engine.store.models import AuditEntry
    app.config["SIP_DOMAIN"] = "cc.local"
    page = as_admin.post(f"/agents/{seed.agent_id}/sip-password", follow_redirects=True).get_data(as_text=True)
    agent = db.get(Agent, seed.agent_id)
    db.refresh(agent)
    shown = page.split("新 SIP 密码：", 1)[1].split(" ", 1)[0]
    assert agent.sip_a1_hash == a1_hash(agent.extension, "cc.local", shown) and shown not in agent.sip_a1_hash
    assert shown not in as_admin.get(f"/agents/{seed.agent_id}/edit").get_data(as_text=True)
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "agent.sip_password")).one()
