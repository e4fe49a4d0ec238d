"""Who may use each route, declared once on the route's view (issue 13, item 4): every endpoint carries an
`access` (set by admin_web.security.roles_required, the CTI API's agent_api, or the markers below), and the
access-matrix test (tests/web/test_access_matrix.py) fails for any route that does not, then tries each route as
every role and checks the answer against the declaration."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


# What part of the data a route reaches (tests/web/test_scope_matrix.py tries every route across two halls):
SCOPES = {
    "hall": "the user's halls and those under them (admin_web.scope; every hall for the province's staff)",
    "own": "the caller's own agent or account only",
    "centre": "the centre's shared configuration (flows, prompts, routing rules, the calendar, report definitions): "
              "every hall's staff read it, only users who see every hall change it",
    "none": "no center data (login, the API's description, FreeSWITCH's own routes)",
}


@dataclasses.dataclass(frozen=True)
class Access:
    kind: str                   # "roles", "signed_in" (any logged-in user), "agent" (CTI API), "switch", "public"
    roles: tuple = ()           # for "roles": who may
    scope: str = "hall"         # one of SCOPES

    def allows(self, role) -> bool:
        if self.kind in ("public", "signed_in"):
            return True
        if self.kind == "agent":
            return role is not None and role.value == "agent"
        if self.kind == "roles":
            return role in self.roles
        return False            # "switch": FreeSWITCH's own credentials, never a console user


def declare(view: F, access: Access) -> F:
    view.access = access  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """Anyone, signed in or not (the login page, the API's description)."""
    return declare(view, Access("public", scope="none"))


def signed_in(view: F) -> F:
    """Any logged-in user, whatever the role (logout, one's own password, the system alerts); to be used with
    flask_login.login_required, which does the check."""
    return declare(view, Access("signed_in", scope="own"))


def switch_only(view: F) -> F:
    """FreeSWITCH with the directory credentials (mod_xml_curl, mod_xml_cdr), never a console user."""
    return declare(view, Access("switch", scope="none"))
