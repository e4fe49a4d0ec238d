"""The route × role matrix, generated from the console's url_map: every route must declare who may use it
(admin_web.access), and each is tried as every role and anonymously against that declaration: an allowed role is
never refused, any other role gets 403 (or, for FreeSWITCH's own routes, 401), nobody gets in without logging in."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from admin_web.access import Access
from admin_web.auth.services import create_user
from engine.domain.states import Role
from .helpers import PASSWORD, login

SAMPLE = {"kind": "service", "action": "hold", "direction": "up", "filename": "x.wav", "stem": "tax_main",
          "call_uuid": "x", "job_id": "x"}


def routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {name: 1 if isinstance(conv, IntegerConverter) else SAMPLE.get(name, "x")
                  for name, conv in rule._converters.items()}
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url, app.view_functions[rule.endpoint]))
    return out


def test_every_route_declares_who_may_use_it(app):
    undeclared = [endpoint for endpoint, _m, _u, view in routes(app) if not isinstance(getattr(view, "access", None),
                                                                                      Access)]
    assert undeclared == [], "declare with roles_required, agent_api, public, signed_in or switch_only"
    from admin_web.access import SCOPES
    unscoped = [endpoint for endpoint, _m, _u, view in routes(app) if view.access.scope not in SCOPES]
    assert unscoped == [], "each route says what part of the data it reaches (admin_web.access.SCOPES)"


@pytest.fixture
def clients(app, seed, db):
    create_user(db, "qc", PASSWORD, Role.QUALITY)
    create_user(db, "monitor", PASSWORD, Role.VIEWER)
    from engine.store.models import Department, Hall
    hall = Hall(code="acc-h", name="Hall", level="province", region_code="440000")
    db.add(hall)
    db.flush()
    department = Department(hall_id=hall.id, name="税政一科")
    db.add(department)
    db.flush()
    user = create_user(db, "dept", PASSWORD, Role.DEPARTMENT)
    user.department_id, user.hall_id = department.id, hall.id
    db.commit()
    out = {None: app.test_client()}
    for role, username in ((Role.ADMIN, "admin"), (Role.SUPERVISOR, "super"), (Role.AGENT, "agent1001"),
                           (Role.QUALITY, "qc"), (Role.VIEWER, "monitor"), (Role.DEPARTMENT, "dept")):
        out[role] = app.test_client()
        assert login(out[role], username).status_code == 302
    return out


def _ask(client, method, url):
    body = ({"json": {}} if url.startswith("/api/") else {"data": {}}) if method == "POST" else {}
    response = client.open(url, method=method, buffered=False, **body)
    status, location = response.status_code, response.headers.get("Location", "")
    response.close()            # event streams are never read
    return status, location


def test_each_route_answers_each_role_as_declared(app, clients):
    wrong = []
    for endpoint, method, url, view in routes(app):
        access: Access = view.access
        for role, client in clients.items():
            if method == "POST" and role is not None and access.allows(role):
                continue        # writes are tried only by those who may not make them (a logout would end the run)
            status, location = _ask(client, method, url)
            refused = status in (401, 403) or "/auth/login" in location
            if role is None:
                if access.kind != "public" and not refused:
                    wrong.append(f"{method} {url}: anonymous got {status}")
                continue
            if access.allows(role):
                if refused:
                    wrong.append(f"{method} {url} ({endpoint}): {role.value} refused with {status} {location}")
            elif not refused:
                wrong.append(f"{method} {url} ({endpoint}): {role.value} got {status}, declared {access}")
    assert wrong == [], "\n".join(wrong)


# the declarations themselves, where a mistake would matter most (a declaration can only be as right as this)
PINNED = {"users.": {Role.ADMIN}, "groups.": {Role.ADMIN}, "recordings.": {Role.ADMIN, Role.SUPERVISOR, Role.QUALITY},
          "calls.": {Role.ADMIN, Role.SUPERVISOR, Role.QUALITY}, "agents.sip_password": {Role.ADMIN},
          "wallboard.": {Role.ADMIN, Role.SUPERVISOR, Role.QUALITY, Role.VIEWER}, "desktop.": {Role.AGENT},
          "cti.me": {Role.AGENT}, "fsdirectory.": set()}


def test_the_sensitive_routes_are_declared_for_the_right_roles(app):
    for endpoint, _method, _url, view in routes(app):
        for prefix, allowed in PINNED.items():
            if endpoint.startswith(prefix):
                assert {r for r in Role if view.access.allows(r)} == allowed, endpoint
