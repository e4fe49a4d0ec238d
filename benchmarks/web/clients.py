"""The console's users, as threads of plain HTTP (one connection each, as each browser tab has its own):

* Desktop: an agent's event stream (`/api/v1/events`, Bearer token), as desktop.js opens it; every `state` event
  after the first tells how long the change took to reach the desktop (received − the change's `since`).
* Actor: one of the agents who press 示忙/示闲 every `period_s`; the time from the request to its `request` event
  on that agent's stream is the request's answer time (the desktop gives up after 15 s).
* FloorViewer: a supervisor's floor view, `/floor/data.json` every 2 s; Wallboard: `/wallboard/events`.
* PageClient: ordinary pages, one after another with a second between; ReportRunner: the month of agent
  statistics, again and again.
"""
from __future__ import annotations

import abc
import datetime as dt
import http.client
import json
import random
import re
import threading
import time
import urllib.parse

from benchmarks.load.control import KeptConnection

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REQUEST_GIVE_UP_S = 15.0


class Stats:
    """Samples (seconds) by name, and counts, shared by every client thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.counts: dict[str, int] = {}
        self.recording = False          # samples are kept only while the load is on

    def add(self, name: str, seconds: float) -> None:
        if self.recording:
            with self._lock:
                self.samples.setdefault(name, []).append(seconds)

    def count(self, name: str, n: int = 1) -> None:
        if self.recording:
            with self._lock:
                self.counts[name] = self.counts.get(name, 0) + n


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


class Session:
    """One client's connection and cookies (the console's login form, its CSRF token)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self._kept = KeptConnection(host, port, timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
                ) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        response, data = self._kept.exchange(method, path, body, headers)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/auth/login")
        token = CSRF.search(page.decode("utf-8", "replace"))
        body = urllib.parse.urlencode({"csrf_token": token.group(1) if token else "", "username": username,
                                       "password": password, "next": ""}).encode()
        status, _ = self.request("POST", "/auth/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")

    def close(self) -> None:
        self._kept.close()


def sse_events(response):
    """(event, data) of a text/event-stream response, as they arrive."""
    kind, data = None, []
    while True:
        line = response.readline()
        if not line:
            return
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if kind is not None:
                yield kind, "\n".join(data)
            kind, data = None, []
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


class Desktop(threading.Thread):
    """An agent's event stream, reconnected when the console ends it (every 300 s)."""

    def __init__(self, host: str, port: int, token: str, stats: Stats, stop: threading.Event):
        super().__init__(daemon=True)
        self.host, self.port, self.token, self.stats, self.stop_event = host, port, token, stats, stop
        self.waiting: dict[int, float] = {}         # request id -> when it was sent (the Actor fills it)
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.state: str | None = None

    def run(self) -> None:
        while not self.stop_event.is_set():
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                conn.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {self.token}",
                                                               "Accept": "text/event-stream"})
                response = conn.getresponse()
                if response.status != 200:
                    self.stats.count("stream_refused")
                    time.sleep(1)
                    continue
                first = True
                for kind, data in sse_events(response):
                    now = time.time()
                    if self.stop_event.is_set():
                        break
                    if kind == "state":
                        doc = json.loads(data)
                        self.state = doc.get("state")
                        self.connected.set()
                        if not first and doc.get("since"):
                            self.stats.add("event_delivery", now - _epoch(doc["since"]))
                            if doc.get("server_time"):      # of which: the change to the console's document
                                server = _epoch(doc["server_time"]) - _epoch(doc["since"])
                                self.stats.add("event_server", server)
                                self.stats.add(f"event_server:{doc.get('state')}", server)
                        first = False
                    elif kind == "request":
                        doc = json.loads(data)
                        with self.lock:
                            sent = self.waiting.pop(doc.get("id"), None)
                        if sent is not None:
                            self.stats.add("request_answer", now - sent)
                    elif kind == "bye":
                        break
            except (OSError, http.client.HTTPException):
                self.stats.count("stream_errors")
                time.sleep(0.5)
            finally:
                conn.close()


class Actor(threading.Thread):
    """Presses 示忙 (break) and 示闲 in turn every `period_s`, through the API as the desktop does."""

    def __init__(self, host: str, port: int, token: str, desktop: Desktop, period_s: float, stats: Stats,
                 stop: threading.Event):
        super().__init__(daemon=True)
        self.session = Session(host, port)
        self.token, self.desktop, self.period_s, self.stats, self.stop_event = token, desktop, period_s, stats, stop

    def run(self) -> None:
        self.desktop.connected.wait(60)
        self.stop_event.wait(random.uniform(0, self.period_s))
        while not self.stop_event.is_set():
            body = ({"action": "ready"} if self.desktop.state == "not_ready"
                    else {"action": "not_ready", "reason": "break"})
            sent = time.time()
            try:
                status, data = self.session.request("POST", "/api/v1/me/state", json.dumps(body).encode(), {
                    "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
                if status == 202:
                    with self.desktop.lock:
                        self.desktop.waiting[json.loads(data)["request"]["id"]] = sent
                    self.stats.count("requests")
                else:
                    self.stats.count("requests_refused")
            except (OSError, http.client.HTTPException):
                self.stats.count("request_errors")
            self.stop_event.wait(self.period_s)
            with self.desktop.lock:           # unanswered for 15 s: the desktop gave up on it
                for request_id, at in list(self.desktop.waiting.items()):
                    if time.time() - at > REQUEST_GIVE_UP_S:
                        del self.desktop.waiting[request_id]
                        self.stats.count("requests_given_up")


class LoggedIn(threading.Thread, abc.ABC):
    """A console user: logs in, then `step()` until stopped."""

    def __init__(self, host: str, port: int, username: str, password: str, stats: Stats, stop: threading.Event):
        super().__init__(daemon=True)
        self.session = Session(host, port)
        self.username, self.password, self.stats, self.stop_event = username, password, stats, stop

    def run(self) -> None:
        try:
            self.session.login(self.username, self.password)
        except (OSError, http.client.HTTPException, RuntimeError):
            self.stats.count("login_errors")
            return
        while not self.stop_event.is_set():
            try:
                self.step()
            except (OSError, http.client.HTTPException):
                self.stats.count("page_errors")
                self.stop_event.wait(1.0)

    def timed(self, name: str, path: str) -> int:
        started = time.time()
        status, _ = self.session.request("GET", path)
        self.stats.add(name, time.time() - started)
        if status >= 500:
            self.stats.count("http_5xx")
        return status

    @abc.abstractmethod
    def step(self) -> None:
        """One thing the user does (each kind of user says what)."""


class FloorViewer(LoggedIn):
    def step(self) -> None:
        self.timed("floor", "/floor/data.json")
        self.stop_event.wait(2.0)


class Wallboard(LoggedIn):
    def step(self) -> None:
        conn = http.client.HTTPConnection(self.session.host, self.session.port, timeout=60)
        try:
            conn.request("GET", "/wallboard/events", headers={"Cookie": self.session.cookie_header(),
                                                              "Accept": "text/event-stream"})
            response = conn.getresponse()
            for kind, _data in sse_events(response):
                if kind == "snapshot":
                    self.stats.count("wallboard_snapshots")
                if self.stop_event.is_set() or kind == "bye":
                    break
        finally:
            conn.close()


PAGES = ("/", "/agents/", "/calls/", "/recordings/", "/queues/", "/callbacks/", "/voicemails/", "/numbers/",
         "/halls/", "/groups/", "/floor/", "/wallboard/", "/reports/service", "/users/", "/rules/", "/holidays/")


class PageClient(LoggedIn):
    def step(self) -> None:
        self.timed("page", random.choice(PAGES))
        self.stop_event.wait(1.0)


class ReportRunner(LoggedIn):
    """The month of agent statistics (per agent and day) and the monthly operating report (XLSX), one run after
    another, each computed afresh (?fresh=1: no viewer before shares its result)."""

    def __init__(self, *args, first: dt.date, last: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = ("/reports/api/agents.json?" + urllib.parse.urlencode(
            {"dimension": "agent", "grain": "day", "start": first.isoformat(), "end": last.isoformat(), "fresh": 1}))
        self.workbook = "/reports/monthly.xlsx?" + urllib.parse.urlencode({"month": first.strftime("%Y-%m"),
                                                                          "fresh": 1})
        self.runs = 0

    def step(self) -> None:
        self.runs += 1
        name, path = ("monthly_xlsx", self.workbook) if self.runs % 3 == 0 else ("report_month", self.path)
        status = self.timed(name, path)
        if status != 200:
            self.stats.count("report_errors")
        self.stop_event.wait(1.0)
