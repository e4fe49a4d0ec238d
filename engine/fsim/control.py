"""HTTP JSON control surface mirroring the SimSwitch Python API (gevent.pywsgi)."""
import json
import logging
import re

from gevent.pywsgi import WSGIServer

logger = logging.getLogger(__name__)


class ControlServer:
    """GET/POST/PATCH endpoints: /phones, /calls, /calls/<uuid>/media, /channels, /commands, /calls_log, /refused,
    /capacity, /reset."""

    def __init__(self, sim, host, port):
        self.sim = sim
        self.server = WSGIServer((host, port), self.app, log=None, error_log=logger)
        self.port = port

    def start(self):
        self.server.start()
        self.port = self.server.server_port

    def stop(self):
        self.server.stop(timeout=0)

    def app(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/").rstrip("/") or "/"
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            status, out = self.route(method, path, body)
        except KeyError as exc:
            status, out = 404, {"error": "not found: %s" % exc}
        except (ValueError, TypeError) as exc:
            status, out = 400, {"error": str(exc)}
        data = json.dumps(out, default=str).encode()
        start_response("%d %s" % (status, {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found",
                                           503: "Service Unavailable"}.get(status, "OK")),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def route(self, method, path, body):
        """Dispatch one request; returns (status, json-able)."""
        sim = self.sim
        if path == "/phones" and method == "GET":
            return 200, sim.phones()
        if path == "/phones" and method == "POST":
            ext = str(body.pop("ext"))
            return 201, sim.add_phone(ext, **body)
        m = re.match(r"^/phones/([^/]+)(/register|/unregister)?$", path)
        if m:
            ext, action = m.group(1), m.group(2)
            if sim.directory.get(ext) is None:
                raise KeyError(ext)
            if action == "/register" and method == "POST":
                sim.register(ext, **body)
                return 200, sim.directory.get(ext).describe()
            if action == "/unregister" and method == "POST":
                sim.unregister(ext)
                return 200, sim.directory.get(ext).describe()
            if action is None and method == "PATCH":
                return 200, sim.set_phone(ext, **body)
            if action is None and method == "GET":
                return 200, sim.directory.get(ext).describe()
        if path == "/calls" and method == "POST":
            uuid = sim.place_call(**body)
            if uuid is None:   # over the session rate or max-sessions: the INVITE got a 503, no channel
                return 503, {"refused": "503 Maximum Calls In Progress"}
            return 201, {"uuid": uuid}
        if path == "/refused" and method == "GET":
            return 200, sim.refused()
        if path == "/capacity" and method == "GET":
            return 200, sim.capacity()
        m = re.match(r"^/calls/([^/]+)/media$", path)
        if m and method == "GET":           # what the leg heard: playbacks and bridges, in simulated seconds
            return 200, sim.media_timeline(m.group(1))
        m = re.match(r"^/calls/([^/]+)/(dtmf|hangup)$", path)
        if m and method == "POST":
            if m.group(2) == "dtmf":
                sim.send_dtmf(m.group(1), str(body.get("digits", "")))
            else:
                sim.hangup(m.group(1), cause=body.get("cause", "NORMAL_CLEARING"))
            return 200, {"ok": True}
        if path == "/channels" and method == "GET":
            return 200, sim.channels()
        if path == "/calls_log" and method == "GET":
            return 200, sim.calls_log()
        if path == "/commands" and method == "GET":
            return 200, sim.commands()
        if path == "/reset" and method == "POST":
            sim.reset()
            return 200, {"ok": True}
        raise KeyError(path)
