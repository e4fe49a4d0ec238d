"""How a caller's number appears where it is not sealed (logs, the audit trail): enough to tell calls apart and
spot a change, not the number (R-NF-3; the database keeps it sealed, engine.store.sealed)."""
from __future__ import annotations


def masked(number: str | None) -> str:
    """13800138000 -> 138****8000; short numbers (extensions, service numbers like 12366) as they are."""
    text = str(number or "")
    if len(text) <= 7:
        return text
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def masked_target(kind: str, target: str) -> str:
    """A transfer or consultation target: an outside number masked, a queue, agent or flow as it is."""
    return masked(target) if kind == "number" else target
