"""Composition root: the only module that builds the concrete adapters and wires them to the core."""
from __future__ import annotations

import logging
import time
import uuid

import gevent
from sqlalchemy import select

from engine import sealing
from engine.acd import followups
from engine.acd.center import CallCenter
from engine.acd.directory import configured_fields
from engine.cdr_sync import CdrSync, recent_cdrs
from engine.clock import REAL, RealClock
from engine.config import Config
from engine.follow_up_dialler import FollowUpDialler
from engine.domain.rules import RuleSet
from engine.domain.events import CallbacksLoaded, DirectoryLoaded, Shutdown, SwitchLimits, SwitchSynced
from engine.ivr.loader import load_flows
from engine.ivr.watcher import FlowWatcher
from engine.polling import DIRECTORY_RELOAD_S, Poller
from engine.runtime import Runtime
from engine.calendar_source import load_calendar
from engine.region_lookup import lookup_region
from engine.store import numbers as numbers_repo
from engine.store import repos
from engine.store.models import Skill
from engine.store.session import make_engine, make_session_factory, transaction
from engine.store_writer import StoreWriter
from engine.switch.connection import EslConnection
from engine.switch.decode import SUBSCRIBED_EVENTS, SUBSCRIPTION_FILTERS, decode
from engine.switch.errors import SwitchError
from engine.switch.executor import SwitchExecutor
from engine.switch.frames import EslEvent
from engine.switch.inventory import list_channels
from engine.switch.replies import parse_status

logger = logging.getLogger(__name__)
CALENDAR_RELOAD_S = 60.0


def _caller_region(number: str):
    """Province and city of a caller's number, for flow conditions and rules (phonenumbers, area codes)."""
    return lookup_region(number)


RELIST_AFTER_S = (1.0, 2.0)     # second and third looks at the switch's channels after a (re)connect


class Engine:
    """The running call-center engine: switch connection, core loop, store writer, directory reloads."""

    def __init__(self, config: Config, directory_reload_s: float = DIRECTORY_RELOAD_S, clock: RealClock = REAL):
        self.config = config
        #: what decides when (engine.clock): the core's timers and the times the engine stamps on its own events;
        #: the switch's events carry the switch's time (the twin gives both the same accelerated clock)
        self.clock = clock
        self.directory_reload_s = directory_reload_s
        self.db = make_engine(config.database_url)
        self.sessions = make_session_factory(self.db)
        self._requests_pending = repos.PendingRequestsProbe(self.db)
        flows, flow_errors = load_flows(config.flows_dir, config.prompts_dir)
        self.center = CallCenter(flows, str(config.prompts_dir), new_id=lambda: str(uuid.uuid4()),
                                 recordings_dir=str(config.recordings_dir), region_of=_caller_region,
                                 trunk_group=config.trunk_group, trunk_channels=config.trunk_channels,
                                 exempt_agent_legs=config.exempt_agent_legs,
                                 international_dialling=config.international_dialling)
        self._calendar_loaded_at = 0.0
        self.switch = EslConnection(config.esl_host, config.esl_port, config.esl_password,
                                    events=SUBSCRIBED_EVENTS, on_event=self._on_esl_event,
                                    on_connected=self._on_connected, on_disconnected=self._on_disconnected,
                                    command_timeout=config.esl_command_timeout, filters=SUBSCRIPTION_FILTERS)
        self.store = StoreWriter(self.sessions, keys=sealing.keyring(config.recording_keys))
        self.runtime = Runtime(self.center, self._execute_switch, self.store.write, clock=clock)
        self.flows = FlowWatcher(config.flows_dir, config.prompts_dir, self.runtime.post, flow_errors)
        self.executor = SwitchExecutor(self.switch, self.runtime.post, config.agent_dial_string,
                                       config.outbound_dial_string, sip_domain=config.sip_domain, now=clock.now)
        self.runtime.inline_switch = self.executor.pipelined      # writing a command never blocks the loop
        self.poller = Poller(self.runtime.post, self._take_requests, self._read_limits, lambda: self.switch.connected,
                             self.reload_directory, self.reload_flows_if_changed, directory_reload_s, now=clock.now)
        self._directory_key: tuple | None = None
        self.cdr_sync = CdrSync(self.sessions, self.runtime.post)
        self.follow_ups = FollowUpDialler(self.sessions, self.runtime.post, lambda: self.switch.connected,
                                          lambda: followups.in_flight(self.center.floor))
        self._disconnected_at: float | None = None
        self._callbacks_loaded = False

    def start(self) -> None:
        """Load the directory, start the loop, connect to the switch (reconnecting forever)."""
        logger.info("engine starting: %d flows loaded (%d invalid), switch %s:%s", len(self.center.floor.flows),
                    len(self.flow_errors), self.config.esl_host, self.config.esl_port)
        self.runtime.start()
        orphaned = gevent.get_hub().threadpool.apply(self._answer_orphaned_requests)
        if orphaned:
            logger.warning("%d console request(s) a previous engine took but never answered: refused", orphaned)
        self.reload_directory()
        self.poller.start()
        self.cdr_sync.start()
        self.follow_ups.start()
        self.switch.start()

    def stop(self, hangup_calls: bool = False, grace_s: float = 5.0) -> None:
        """Stop reloading, drain the loop and the store writer, close the switch connection.

        With hangup_calls (the simulated switch is going away too) every call is hung up first and its
        record written, so nothing is left half-way; otherwise live calls stay up on the switch and agents
        are reconciled with it at the next start."""
        self.poller.stop()
        self.cdr_sync.stop()
        self.follow_ups.stop()
        if hangup_calls:
            self.runtime.post(Shutdown(hangup=True, force=False, at=self.clock.now()))
            deadline = time.time() + grace_s
            while self.center.floor.calls and time.time() < deadline:
                gevent.sleep(0.05)
            self.runtime.post(Shutdown(hangup=False, force=True, at=self.clock.now()))
        self.runtime.stop()
        self.switch.stop()
        self._requests_pending.close()
        self.db.dispose()

    def reload_directory(self) -> None:
        """Read agents, queues and numbers from the database into the core."""
        agents, queues, numbers, halls, number_halls, calendar, rules, skill_ids = \
            gevent.get_hub().threadpool.apply(self._read_directory)
        # what the console configures (not the agents' live state, which the engine itself writes): unchanged,
        # the reload is over here, at no cost to the core
        key = (tuple((a.agent_id, configured_fields(a)) for a in agents), queues,
               tuple(sorted(numbers.items())), halls, tuple(sorted(number_halls.items(), key=str)), rules.rules,
               tuple(sorted(skill_ids.items())))
        if calendar is None and key == self._directory_key:
            return
        self._directory_key = key
        self.runtime.post(DirectoryLoaded(agents, queues, numbers, self.clock.now(), halls, number_halls, calendar,
                                          rules, skill_ids))

    def _read_callbacks(self):
        with transaction(self.sessions) as session:
            return repos.pending_callbacks(session)

    def _read_directory(self):
        with transaction(self.sessions) as session:
            agents, queues, numbers = repos.load_directory(session)
            halls, number_halls = numbers_repo.hall_refs(session), numbers_repo.number_halls(session)
            calendar = None
            if time.time() - self._calendar_loaded_at > CALENDAR_RELOAD_S:   # holidays + console overrides
                calendar = load_calendar(session)
                self._calendar_loaded_at = time.time()
            rules = RuleSet([r for r in numbers_repo.load_rules(session) if r.active])
            skill_ids = {code: sid for sid, code in session.execute(select(Skill.id, Skill.code))}
            return agents, queues, numbers, tuple(halls), number_halls, calendar, rules, skill_ids

    @property
    def flow_errors(self) -> dict:
        """Flow files refused at the last load, with their problems."""
        return self.flows.errors

    def reload_flows_if_changed(self) -> bool:
        """Reload flows without a restart when their files changed; calls in progress keep their version."""
        return self.flows.check(list(self.center.floor.queues) or None)

    def _answer_orphaned_requests(self) -> int:
        with transaction(self.sessions) as session:
            return repos.answer_orphaned_requests(session)

    def _take_requests(self):
        if not self._requests_pending():        # the usual answer: one indexed read, no ORM
            return []
        with transaction(self.sessions) as session:
            return repos.take_pending_requests(session)

    def _on_esl_event(self, esl_event: EslEvent) -> None:
        """Decode only, then enqueue (handlers must be fast: one reader serves every call)."""
        event = decode(esl_event, self.clock.now())
        if event is not None:
            self.runtime.post(event)

    def _read_limits(self) -> None:
        """The switch's session limits as `status` shows them (sessions-per-second, max-sessions)."""
        try:
            status = parse_status(self.switch.api("status"))
        except (SwitchError, ValueError) as exc:
            logger.warning("could not read the switch's limits: %s", exc)
            return
        self.runtime.post(SwitchLimits(True, status.sessions_per_second_limit, status.max_sessions, self.clock.now(),
                                       status.sessions, status.last_second))

    def _on_disconnected(self) -> None:
        self._disconnected_at = self.clock.now()
        self.runtime.post(SwitchLimits(False, None, None, self.clock.now()))

    def _on_connected(self) -> None:
        """After every (re)connect: read the switch's limits, tell the core which legs it really has, and what
        they are."""
        self._read_limits()
        listed_at = self.clock.now()
        try:
            channels = list_channels(self.switch.api)
        except (SwitchError, ValueError) as exc:
            logger.error("could not list the switch's channels after connecting: %s", exc)
            return
        live = frozenset(ch.uuid for ch in channels)
        logger.info("switch connected: %d live channels", len(live))
        cdrs = ()
        if self._disconnected_at is not None:     # how calls that ended while this engine was away really ended
            try:
                cdrs = gevent.get_hub().threadpool.apply(recent_cdrs, (self.sessions, self._disconnected_at - 5.0))
            except Exception:
                logger.exception("could not read the switch's CDRs; calls that vanished are closed as cut")
        self.runtime.post(SwitchSynced(live, self.clock.now(), channels, cdrs, listed_at=listed_at))
        gevent.spawn(self._look_again)
        if not self._callbacks_loaded:      # after the takeover: a callback under way on the switch is not queued again
            try:
                pending = gevent.get_hub().threadpool.apply(self._read_callbacks)
            except Exception:
                logger.exception("could not read the stored callbacks; trying again at the next connect")
                return
            self._callbacks_loaded = True
            self.runtime.post(CallbacksLoaded(pending, self.clock.now()))

    def _look_again(self) -> None:
        """List the switch's channels again shortly after (re)connecting: `show channels` reads the core database,
        which lags the channels (switch_core_sqldb.c; 54-159 ms on a real FreeSWITCH 1.11), so a caller that
        arrived at the moment of the first listing, its park event sent before this engine subscribed, is found
        and served now instead of left parked."""
        for delay in RELIST_AFTER_S:
            gevent.sleep(delay)
            if not self.switch.connected:
                return
            listed_at = self.clock.now()
            try:
                channels = list_channels(self.switch.api)
            except (SwitchError, ValueError) as exc:
                logger.warning("could not list the switch's channels again: %s", exc)
                continue
            self.runtime.post(SwitchSynced(frozenset(ch.uuid for ch in channels), self.clock.now(), channels,
                                           listed_at=listed_at, adopt_only=True))

    def _execute_switch(self, command: object) -> None:
        self.executor.execute(command)
