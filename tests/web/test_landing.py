"""Where each user lands after logging in (issue 16, item 4): an agent on the desktop, staff on the home page."""
from sqlalchemy import select

from engine.store.models import User

from .helpers import PASSWORD, login


def test_an_agent_lands_on_the_desktop(client, seed):
    answer = login(client, "agent1001")
    assert answer.status_code == 302 and answer.headers["Location"] == "/desktop/"
    page = client.get("/desktop/").get_data(as_text=True)
    assert "<title>坐席工作台 · " in page


def test_an_agent_asked_for_a_page_goes_there(client, seed):
    assert login(client, "agent1001", next="/knowledge/").headers["Location"] == "/knowledge/"


def test_staff_land_on_the_home_page(client, seed):
    assert login(client, "admin").headers["Location"] == "/"
    client.post("/auth/logout")
    assert login(client, "super").headers["Location"] == "/"


def test_an_agent_with_a_one_time_password_reaches_the_desktop_once_it_is_changed(client, seed, db):
    db.scalar(select(User).where(User.username == "agent1001")).must_change_password = True
    db.commit()
    assert login(client, "agent1001").headers["Location"].startswith("/auth/password")
    done = client.post("/auth/password", data={"current": PASSWORD, "new": "a-new-passw0rd",
                                               "confirm": "a-new-passw0rd"})
    assert done.status_code == 302 and done.headers["Location"] == "/desktop/"
