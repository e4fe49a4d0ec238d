"""The standby's two moves, without a database: wait for the lease, and fence at once when it is lost."""
from __future__ import annotations

import gevent
import gevent.event

from engine import standby
from engine.domain import commands as c
from engine.switch.executor import SwitchExecutor


class FakeLease:
    def __init__(self, free_after: int = 0):
        self.tries, self.free_after, self.ours = 0, free_after, False

    def try_acquire(self):
        self.tries += 1
        self.ours = self.tries > self.free_after
        return self.ours

    def held(self):
        return self.ours

    def release(self):
        self.ours = False

    def describe(self):
        return "fake"


def test_a_standby_takes_the_lease_as_soon_as_it_is_free_and_gives_up_waiting_when_asked_to_stop(monkeypatch):
    monkeypatch.setattr(standby, "POLL_S", 0.01)
    said = []
    lease = FakeLease(free_after=3)
    assert standby.wait_for_lease(lease, gevent.event.Event(), said.append)
    assert lease.tries == 4 and said[0].startswith("standby: another engine is active")
    stopping = gevent.event.Event()
    gevent.spawn_later(0.05, stopping.set)
    assert not standby.wait_for_lease(FakeLease(free_after=10**9), stopping, said.append)


def test_losing_the_lease_fences_the_engine_once(monkeypatch):
    monkeypatch.setattr(standby, "WATCH_S", 0.01)
    lease = FakeLease()
    lease.try_acquire()
    lost = []
    watcher = standby.watch(lease, lambda: lost.append(True))
    gevent.sleep(0.05)
    assert not lost
    lease.ours = False
    watcher.join(1)
    assert lost == [True] and watcher.dead


class Link:
    def __init__(self):
        self.sent = []

    def api(self, line, timeout=None):
        self.sent.append(line)
        return "+OK\n"

    def sendmsg(self, uuid, app, arg=None, *, event_uuid=None, event_lock=False):
        self.sent.append(f"sendmsg {uuid} {app}")
        return "+OK"

    def bgapi(self, line, job_uuid=None):
        self.sent.append(line)
        return "+OK"


def test_a_fenced_executor_sends_nothing_more_to_the_switch():
    link = Link()
    ex = SwitchExecutor(link, lambda event: None, pipelined=False)
    ex.execute(c.Hangup("u1", "NORMAL_CLEARING"))
    assert len(link.sent) == 1
    ex.fence()
    ex.execute(c.Hangup("u2", "NORMAL_CLEARING"))
    ex.execute(c.Answer("u3"))
    assert len(link.sent) == 1


def test_an_engine_that_lost_the_switch_hands_over_only_after_a_while_and_only_to_a_standby_that_reaches_it():
    now = [100.0]
    up = [True]
    reaching: list = [None]
    loss = standby.SwitchLoss(lambda: up[0], lambda: reaching[0], clock=lambda: now[0])
    assert loss.hand_over_to() is None
    up[0] = False
    reaching[0] = "cc2:200"
    assert loss.hand_over_to() is None                  # a reconnect may be under way
    now[0] += standby.SWITCH_LOSS_S - 0.1
    assert loss.hand_over_to() is None
    up[0] = True
    now[0] += 0.2
    assert loss.hand_over_to() is None                  # it came back: the count starts again
    up[0] = False
    assert loss.hand_over_to() is None
    now[0] += standby.SWITCH_LOSS_S
    reaching[0] = None
    assert loss.hand_over_to() is None                  # nobody better placed: it keeps trying itself
    reaching[0] = "cc2:200"
    assert loss.hand_over_to() == "cc2:200"
