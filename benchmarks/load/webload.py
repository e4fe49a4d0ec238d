"""A web load on the console while the engine serves calls: clients logging in with wrong passwords, each attempt
a scrypt hash in the console (werkzeug's default), CPU-bound. The console runs in processes of its own (gunicorn),
so this load must not change the engine's command latency; bench-load WEBLOAD=N measures that."""
from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class WebLoad:
    """`clients` threads, each: fetch the login form (session cookie + CSRF token), then post wrong passwords."""

    def __init__(self, host: str, port: int, clients: int):
        self.base = f"http://{host}:{port}"
        self.clients = clients
        self.attempts = 0
        self.refused = 0            # 401: wrong password, as meant
        self.errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.started = self.stopped = 0.0

    def start(self) -> "WebLoad":
        self.started = time.time()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> dict:
        self._stop.set()
        for t in self._threads:
            t.join(10)
        self.stopped = time.time()
        span = max(1e-9, self.stopped - self.started)
        return {"web_clients": self.clients, "web_logins": self.attempts, "web_logins_refused": self.refused,
                "web_login_errors": self.errors, "web_logins_per_s": round(self.attempts / span, 1)}

    def _client(self, index: int) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = None
        while not self._stop.is_set():
            try:
                if token is None:
                    page = opener.open(f"{self.base}/auth/login", timeout=30).read().decode()
                    m = CSRF.search(page)
                    token = m.group(1) if m else ""
                body = urllib.parse.urlencode({"csrf_token": token, "username": f"admin{index}",
                                               "password": "wrong-password", "next": ""}).encode()
                try:
                    opener.open(f"{self.base}/auth/login", data=body, timeout=30).read()
                    status = 200
                except urllib.error.HTTPError as exc:
                    status = exc.code
                with self._lock:
                    self.attempts += 1
                    self.refused += status == 401
                    self.errors += status not in (200, 401)
            except (OSError, ValueError):
                with self._lock:
                    self.errors += 1
                token = None
                time.sleep(0.2)
