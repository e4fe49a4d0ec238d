"""Errors raised by the domain core."""
from __future__ import annotations


class DomainError(Exception):
    """Base of domain errors."""


class InvalidTransition(DomainError):
    """A state change that the state machine does not allow; the message says why."""
