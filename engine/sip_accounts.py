"""Agents' SIP passwords: only the digest hash FreeSWITCH needs (a1-hash) is kept, never the password."""
from __future__ import annotations

import hashlib
import secrets


def a1_hash(extension: str, domain: str, password: str) -> str:
    """md5(user:realm:password), what mod_sofia compares a digest against (directory param a1-hash)."""
    return hashlib.md5(f"{extension}:{domain}:{password}".encode()).hexdigest()


def new_password() -> str:
    """A random SIP password for a new extension (shown once)."""
    return secrets.token_urlsafe(12)
