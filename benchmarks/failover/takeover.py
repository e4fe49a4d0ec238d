"""When the engine that took over began to command the switch, from the switch's own log of every command it
received (GET /commands: [{t, conn, command}], `conn` numbering the ESL connections).

A connection is the new engine's when its first command comes after the kill (the standby never connects before
it holds the lease, and the killed engine's connection sends nothing more). Three moments of it:

* connected  its first command (`auth`);
* listed     its `api show channels as json`: subscribed, reading what it has to take over;
* commanding its first command about a call (not part of connecting and listing: auth, event subscription and
             filters, `status`, `show channels`, the `uuid_getvar` reads of the inventory). The takeover time is
             the kill to this moment, when callers are being served again.
"""
from __future__ import annotations

import dataclasses

SETUP = ("auth", "event ", "filter ", "nixevent", "noevents", "myevents", "linger", "api status", "bgapi status",
         "api show channels", "api uuid_getvar", "api show calls", "api sofia status")


@dataclasses.dataclass(frozen=True)
class Takeover:
    killed_at: float
    conn: int | None = None
    connected: float | None = None
    listed: float | None = None
    commanding: float | None = None
    first_command: str = ""

    def after(self, moment: float | None) -> float | None:
        return None if moment is None else round(moment - self.killed_at, 3)

    @property
    def seconds(self) -> float | None:
        """The takeover time: the kill to the first command about a call (else to the channel listing)."""
        return self.after(self.commanding if self.commanding is not None else self.listed)


def is_setup(command: str) -> bool:
    first = command.split("\n", 1)[0].strip().lower()
    return first.startswith(SETUP)


def takeover(commands: list[dict], killed_at: float, until: float | None = None) -> Takeover:
    """The takeover after a kill at `killed_at`; looks at commands before `until` (the next kill) only."""
    before = {c["conn"] for c in commands if float(c["t"]) < killed_at}
    new = [c for c in commands if float(c["t"]) >= killed_at and c["conn"] not in before
           and (until is None or float(c["t"]) < until)]
    if not new:
        return Takeover(killed_at)
    conn = new[0]["conn"]
    mine = [c for c in new if c["conn"] == conn]
    listed = next((float(c["t"]) for c in mine if "show channels" in c["command"]), None)
    command = next((c for c in mine if listed is not None and float(c["t"]) >= listed
                    and not is_setup(c["command"])), None)
    return Takeover(killed_at, conn, float(mine[0]["t"]), listed,
                    None if command is None else float(command["t"]),
                    "" if command is None else command["command"].split("\n", 1)[0][:80])
