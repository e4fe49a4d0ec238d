"""fsim: a simulated FreeSWITCH speaking the real inbound ESL protocol, for tests, demos and load runs.

A separate program: it imports nothing from the rest of `engine`.
"""
from .callers import CallerScript
from .phones import BEHAVIOURS as PHONE_BEHAVIOURS
from .phones import Phone
from .switch import SimSwitch

__all__ = ["SimSwitch", "Phone", "PHONE_BEHAVIOURS", "CallerScript"]
