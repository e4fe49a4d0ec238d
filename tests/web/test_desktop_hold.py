"""On hold, the agent still has their caller (issue 16, item 4): /api/v1/me keeps the call, and the desktop says
the caller is held rather than showing no call."""
import datetime as dt

from engine.domain.states import AgentState
from engine.store.models import Agent, Recording

from .helpers import set_state
from .test_cti import basic


def test_the_api_keeps_the_call_while_the_caller_is_on_hold(client, db, seed):
    now = dt.datetime.now(dt.timezone.utc)
    agent = db.get(Agent, seed.agent_id)
    agent.current_call_uuid = "held-call"
    db.add(Recording(path="/nowhere/held-call.wav", call_uuid="held-call", ani="13912345678", dnis="12366",
                     extension="8001", agent_id=seed.agent_id, employee_no="1001", queue_code="tax",
                     started_at=now - dt.timedelta(seconds=90)))
    db.commit()
    set_state(db, seed.agent_id, AgentState.ON_HOLD)
    me = client.get("/api/v1/me", headers=basic("agent1001")).get_json()
    assert (me["state"], me["state_label"]) == ("on_hold", "保持")
    assert me["call"]["uuid"] == "held-call" and me["call"]["caller"] == "13912345678"
    assert me["call"]["talk_s"] >= 89                   # the talk goes on counting, hold included


def test_the_desktop_has_the_words_for_a_held_caller(as_agent):
    page = as_agent.get("/desktop/").get_data(as_text=True)
    assert 'id="call-hold"' in page and "来电者处于保持状态" in page
    script = as_agent.get("/static/js/desktop.js")
    assert b'$("call-hold").hidden = !(call && state === "on_hold")' in script.data
    script.close()
