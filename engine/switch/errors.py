"""Errors raised by the ESL connection layer (engine.switch)."""
from __future__ import annotations


class SwitchError(Exception):
    """Base of every error raised by engine.switch."""


class SwitchNotConnected(SwitchError):
    """A command was attempted while the connection to FreeSWITCH is down."""


class SwitchDisconnected(SwitchError):
    """The connection was lost while the command was waiting for its reply."""


class SwitchTimeout(SwitchError):
    """No reply arrived within the command timeout."""


class SwitchAuthError(SwitchError):
    """FreeSWITCH rejected the event-socket password (``-ERR invalid``)."""


class SwitchCommandError(SwitchError):
    """FreeSWITCH answered a command with ``-ERR ...`` where a success was required (e.g. bgapi)."""
