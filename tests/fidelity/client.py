"""A raw ESL client that records every frame the simulator sends (gevent sockets, same hub as the SimSwitch)."""
from __future__ import annotations

import time

import gevent
from gevent import socket

from .frames import FrameReader


class Recorder:
    """One ESL connection to the simulator; frames are kept in arrival order with their arrival time."""

    def __init__(self, port: int, name: str):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.settimeout(None)
        self.frames = []
        self.times = []
        self.sent = []
        self.closed = False
        self.last_rx = time.monotonic()
        self._reader = FrameReader()
        self._g = gevent.spawn(self._run)

    def _run(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                return
            for f in self._reader.feed(data):
                f.index = len(self.frames)
                self.frames.append(f)
                self.times.append(time.monotonic())
            self.last_rx = time.monotonic()

    def send(self, text: str):
        self.sent.append(text)
        try:
            self.sock.sendall(text.encode("utf-8"))
        except OSError:
            self.closed = True

    def replies(self):
        return [f for f in self.frames if not f.is_event]

    def wait_closed(self, timeout: float):
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            gevent.sleep(0.01)
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self._g.kill(block=False)
