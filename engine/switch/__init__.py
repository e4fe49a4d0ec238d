"""FreeSWITCH event-socket (ESL) connection layer."""
from .connection import EslConnection
from .errors import (
    SwitchAuthError,
    SwitchDisconnected,
    SwitchError,
    SwitchNotConnected,
    SwitchTimeout,
)
from .frames import EslEvent, parse_json_event, parse_plain_event, url_decode

__all__ = [
    "EslConnection",
    "EslEvent",
    "SwitchAuthError",
    "SwitchDisconnected",
    "SwitchError",
    "SwitchNotConnected",
    "SwitchTimeout",
    "parse_json_event",
    "parse_plain_event",
    "url_decode",
]
