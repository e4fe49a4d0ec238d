"""A small client of the simulator's HTTP control API (engine/fsim/control.py) over a persistent connection."""
from __future__ import annotations

import http.client
import json
import threading


class ControlError(Exception):
    """The control API answered something unexpected."""


class KeptConnection:
    """One keep-alive HTTP/1.1 connection, opened again once when the other side dropped it (not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self._conn: http.client.HTTPConnection | None = None

    def exchange(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
                 ) -> tuple[http.client.HTTPResponse, bytes]:
        """(the response, its body read whole)."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Control:
    """The control API on one kept connection; safe to share between threads (requests are serialised)."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port = host, port
        self._kept = KeptConnection(host, port, timeout)
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        """(HTTP status, decoded JSON body or None); reconnects once if the connection was dropped."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        with self._lock:
            resp, raw = self._kept.exchange(method, path, data, headers)
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode(errors="replace")
        return resp.status, decoded

    def get(self, path: str):
        status, out = self.request("GET", path)
        if status != 200:
            raise ControlError(f"GET {path}: HTTP {status} {out!r}"[:300])
        return out

    def post(self, path: str, body: dict | None = None):
        status, out = self.request("POST", path, body or {})
        if status not in (200, 201):
            raise ControlError(f"POST {path}: HTTP {status} {out!r}"[:300])
        return out

    def close(self) -> None:
        with self._lock:
            self._kept.close()
