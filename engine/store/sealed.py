"""Key data encrypted in the database (issue 13, R-NF-3): caller numbers, the data the IVR collected (a taxpayer
ID in the IVR path), remote agents' numbers, the SIP digest hashes, the switch's CDR variables.

A column of type `Sealed` holds `cryptography`'s AES-SIV (RFC 5297) ciphertext of its value, base64 text,
behind a prefix naming the form and the key: `s1.<kid>.<...>` or `r1.<kid>.<...>`. The clear value never reaches
the database file, its WAL, its backups or a PostgreSQL dump; SQLAlchemy encrypts on every write (ORM, Core, the
store's bulk writer, the seeder) and decrypts on every read, so the code above sees clear values.

* **Searchable** columns (numbers) are sealed deterministically: the same number under the same key is the same
  ciphertext, whose synthetic IV is a keyed hash (AES-CMAC S2V) of it, so `column == "13800138000"`,
  `column.in_([...])`, GROUP BY and joins between sealed columns work in SQL without the key leaving the process,
  and equal numbers can be counted without being read. The comparator seals the value under every configured
  key (and keeps the clear value, for rows written before sealing): a search finds rows of a key being rotated
  out. Nothing else is possible on them: LIKE, ranges and comparisons with a clear column raise TypeError
  instead of silently matching nothing; search by the whole number (`number_forms`).
* **Other** columns (long texts) are sealed with a random nonce: equal values do not show.

Keys: `[keys] data` in the private settings file (conf/secrets.toml; `callcenter init` writes one), a
comma-separated list of 512-bit AES-SIV keys (AES-256), base64: values are sealed with the first, any of them
opens one. Rotation: put a new key first, run `callcenter data reseal` (every sealed value rewritten under it, and
any value still clear sealed), then drop the old key. In demo mode with no key, the demo key below is used; it
is refused anywhere else (engine.config.require_own_secrets), since it is in this repository.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from sqlalchemy import String, Text, type_coerce
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

logger = logging.getLogger(__name__)

# The demo's key: in the repository, so it protects nothing; refused outside demo mode.
DEMO_DATA_KEY = "ZGVtby1vbmx5LWRhdGEta2V5LWluLXRoZS1yZXBvc2l0b3J5LWRvLW5vdC11c2UtaXQtZm9yLXJlYWwtZGF0YQ=="
_DETERMINISTIC, _RANDOM = "s1", "r1"
_NONCE = 16


class SealError(ValueError):
    """A sealed value that no configured key opens (or that was altered)."""


def new_key() -> str:
    """A fresh key for `[keys] data`."""
    return base64.urlsafe_b64encode(AESSIV.generate_key(512)).decode("ascii")


class FieldKeys:
    """The configured keys: the first seals, any opens (found by the key id in the value)."""

    def __init__(self, spec: str):
        raw = [k.strip() for k in (spec or "").split(",") if k.strip()]
        if not raw:
            raise ValueError("no key")
        self.keys: list[tuple[str, AESSIV]] = []
        for text in raw:
            try:
                key = base64.urlsafe_b64decode(text.encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError("a key is not base64") from None
            if len(key) not in (32, 48, 64):
                raise ValueError(f"a key has {len(key)} bytes (AES-SIV takes 32, 48 or 64)")
            self.keys.append((hashlib.sha256(key).hexdigest()[:6], AESSIV(key)))
        self.by_id = dict(self.keys)
        self.spec = ",".join(raw)

    @property
    def current_id(self) -> str:
        return self.keys[0][0]


_keys: FieldKeys | None = None
_warned = False


def configure(spec: str) -> FieldKeys:
    """Use these keys in this process (a `[keys] data` setting; empty: the demo key)."""
    global _keys
    _keys = FieldKeys(spec or DEMO_DATA_KEY)
    _seal_det.cache_clear()
    _open_cached.cache_clear()
    return _keys


def keys() -> FieldKeys:
    global _keys, _warned
    if _keys is None:
        if not _warned:
            logger.warning("database field keys not configured in this process: using the demo key")
            _warned = True
        _keys = FieldKeys(DEMO_DATA_KEY)
    return _keys


def uses_demo_key() -> bool:
    return keys().spec == DEMO_DATA_KEY


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=65536)
def _seal_det(kid: str, value: str) -> str:
    return f"{_DETERMINISTIC}.{kid}.{_b64(keys().by_id[kid].encrypt(value.encode('utf-8'), None))}"


def seal(value: str, searchable: bool = True, kid: str | None = None) -> str:
    """The stored form of a value, under the first key (or the key `kid`)."""
    ring = keys()
    kid = kid or ring.current_id
    if searchable:
        return _seal_det(kid, value)
    nonce = os.urandom(_NONCE)
    return f"{_RANDOM}.{kid}.{_b64(nonce + ring.by_id[kid].encrypt(value.encode('utf-8'), [nonce]))}"


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and stored[:3] in (_DETERMINISTIC + ".", _RANDOM + ".")


def key_id(stored: str) -> str | None:
    return stored.split(".", 2)[1] if is_sealed(stored) else None


@functools.lru_cache(maxsize=65536)
def _open_cached(stored: str) -> str:
    return _open(stored)


def _open(stored: str) -> str:
    form, kid, body = stored.split(".", 2)
    siv = keys().by_id.get(kid)
    if siv is None:
        raise SealError(f"a value sealed with key {kid} that [keys] data does not hold")
    try:
        data = _unb64(body)
        if form == _RANDOM:
            return siv.decrypt(data[_NONCE:], [data[:_NONCE]]).decode("utf-8")
        return siv.decrypt(data, None).decode("utf-8")
    except (InvalidTag, ValueError):
        raise SealError(f"a value sealed with key {kid} was altered") from None


def open_value(stored: str | None) -> str | None:
    """The clear value of a stored one (a value written before sealing is returned as it is)."""
    if not is_sealed(stored):
        return stored
    return _open_cached(stored) if stored.startswith(_DETERMINISTIC) else _open(stored)


def candidates(value: str) -> list[str]:
    """Every stored form a clear value can have: sealed under each key, and clear (not sealed yet)."""
    if value == "":
        return [""]
    return [_seal_det(kid, value) for kid, _ in keys().keys] + [value]


def number_forms(text: str) -> list[str]:
    """The forms a number searched for may have been stored in (+86 / 86 / 0 before a mobile, or as typed)."""
    from engine.domain.rules import normalise_number
    typed = (text or "").strip()
    digits = normalise_number(typed)
    forms = [typed, digits]
    if len(digits) == 11 and digits.startswith("1"):
        forms += ["+86" + digits, "86" + digits, "0" + digits, "0086" + digits]
    return list(dict.fromkeys(f for f in forms if f))


def sealed_length(plain: int) -> int:
    """Characters a sealed value of `plain` characters (UTF-8 up to 3 bytes each for Chinese text) needs."""
    data = _NONCE + 16 + plain * 3
    return 3 + 1 + 6 + 1 + (data * 4 + 2) // 3


_REFUSED = {operators.like_op, operators.not_like_op, operators.ilike_op, operators.not_ilike_op,
            operators.startswith_op, operators.endswith_op, operators.contains_op, operators.not_contains_op,
            operators.lt, operators.le, operators.gt, operators.ge, operators.between_op,
            operators.regexp_match_op, operators.concat_op}


class Sealed(TypeDecorator):
    """A text column stored sealed (see the module's text); `length` is the clear value's maximum."""

    impl = String
    cache_ok = True

    def __init__(self, length: int, searchable: bool = True):
        super().__init__(sealed_length(length))
        self.plain_length = length
        self.searchable = searchable

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return seal(str(value), self.searchable)

    def process_result_value(self, value, dialect):
        return open_value(value)

    class comparator_factory(TypeDecorator.Comparator):
        def operate(self, op, *other, **kwargs):
            sealed_type = self.type
            if op in (operators.eq, operators.ne, operators.in_op, operators.not_in_op):
                values = other[0] if op in (operators.in_op, operators.not_in_op) else [other[0]]
                if op in (operators.eq, operators.ne) and values[0] is None:
                    return super().operate(op, *other, **kwargs)
                if _is_sql(values) or any(_is_sql(v) for v in values):
                    other_type = getattr(getattr(other[0], "expression", other[0]), "type", None)
                    if op in (operators.eq, operators.ne) and isinstance(other_type, Sealed):
                        return super().operate(op, *other, **kwargs)     # sealed against sealed: same key
                    raise TypeError("a sealed column can only be compared with clear values or another sealed "
                                    "column, not with a clear column or a subquery")
                if not sealed_type.searchable:
                    raise TypeError("this sealed column is not searchable")
                forms = [f for v in values for f in candidates(_text(v))]
                clear = type_coerce(self.expr, String())
                return clear.in_(forms) if op in (operators.eq, operators.in_op) else clear.not_in(forms)
            if op in _REFUSED:
                raise TypeError(f"{op.__name__} on a sealed column: search by the whole value (number_forms)")
            return super().operate(op, *other, **kwargs)


class SealedText(Sealed):
    """A long text stored sealed with a random nonce (not searchable)."""

    impl = Text
    cache_ok = True

    def __init__(self):
        TypeDecorator.__init__(self)
        self.plain_length = None
        self.searchable = False


def _is_sql(value) -> bool:
    return isinstance(value, ClauseElement) or hasattr(value, "__clause_element__")


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a sealed column holds text, not {type(value).__name__}")
    return value
