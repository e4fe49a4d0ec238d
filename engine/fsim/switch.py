"""SimSwitch: the simulated FreeSWITCH process (core UUID, event bus, channels, phones, ESL + HTTP listeners)."""
import collections
import logging
import os
import socket
import uuid as uuidlib

import gevent
from gevent.server import StreamServer

from engine.clock import RealClock, for_scale

from . import commands
from . import ext  # noqa: F401  (registers transfer/hold/record/eavesdrop/conference)
from .callers import CallerScript, start_inbound_call
from .dialplan import Dialplan
from .events import EventFactory
from .limits import DEFAULT_MAX_SESSIONS, DEFAULT_SPS, SessionLimits
from .phones import Directory
from .server import Session

logger = logging.getLogger(__name__)


SQLDB_LAG_S = 0.1         # a channel's row in the core database, after the channel (see SimSwitch.sqldb_lag_s)


class SimSwitch:
    """A simulated FreeSWITCH 1.10 speaking real inbound ESL; see engine/fsim/README notes in the package doc."""

    def __init__(self, host="127.0.0.1", esl_port=8021, password="ClueCon", control_port=None,
                 dialplan_dir=None, time_scale=1.0, domain="127.0.0.1", hostname="fsim",
                 profile="internal", sip_ip="127.0.0.1", sip_port=5060, caller_host="127.0.0.1",
                 caller_port=5070, sounds_dir=None, sessions_per_second=DEFAULT_SPS,
                 max_sessions=DEFAULT_MAX_SESSIONS, clock: RealClock | None = None):
        self.host = host
        self.esl_port = esl_port
        self.password = password
        self.control_port = control_port
        self.dialplan_dir = dialplan_dir
        #: every duration the switch plays out and every time it stamps (engine.clock): the engine's own clock in
        #: a twin run; alone, `time_scale` scales the durations and the dates stay the wall clock's
        self.clock = clock if clock is not None else for_scale(time_scale)
        self.domain = domain
        self.hostname = hostname
        self.profile = profile
        self.sip_ip = sip_ip
        self.sip_port = sip_port
        self.caller_host = caller_host
        self.caller_port = caller_port
        self.sounds_dir = sounds_dir or os.getcwd()
        self.core_uuid = str(uuidlib.uuid4())
        self.factory = EventFactory(self.core_uuid, hostname, ipv4=sip_ip, ipv6="::1", now=self.clock.now)
        self.dialplan = Dialplan(dialplan_dir)
        self.directory = Directory(self)
        self.gateways = {"trunk"}            # sofia gateways the outside line can use (pstn.py)
        self.outside = {}                    # number -> virtual outside party (Phone)
        self.started_at = self.clock.now()
        self.sessions = []
        self._chans = {}
        self._log = []
        self._calls_log = []
        self.media_log = {}                  # uuid -> [media.Heard]: what each channel heard, and when
        # the core database `show channels` reads (switch_core_sqldb.c): a channel's row is written, and deleted,
        # by the SQL manager thread from a queue, so it appears and goes a little after the channel itself (54 to
        # 159 ms on a real FreeSWITCH 1.11 here, measured with parked calls and no load): a controller that lists
        # the channels just after a call arrived does not see it yet, and may see one that is already gone
        self.sqldb_lag_s = SQLDB_LAG_S
        self._gone_rows = collections.deque()        # (destroyed at, channel) still listed for sqldb_lag_s
        self._conn_seq = 0
        self._pending_api = {}               # bgapi greenlet -> its API event not yet fired
        self.session_count = 0               # sessions created since startup (FreeSWITCH's session id counter)
        # switch.conf sessions-per-second / max-sessions (limits.py): every new session takes a token
        self.limits = SessionLimits(self, sessions_per_second, max_sessions)
        self.xml_cdr = None                  # mod_xml_cdr (xml_cdr.py), when configured: configure_xml_cdr
        self._server = None
        self._control = None

    # ----------------------------------------------------------- lifecycle
    def start(self):
        """Bind the ESL (and optional HTTP control) listeners; non-blocking."""
        self._server = StreamServer((self.host, self.esl_port), self._handle)
        self._server.start()
        self.esl_port = self._server.server_port
        if self.control_port is not None:
            from .control import ControlServer
            self._control = ControlServer(self, self.host, self.control_port)
            self._control.start()
            self.control_port = self._control.port
        logger.info("fsim listening ESL %s:%s (core %s)", self.host, self.esl_port, self.core_uuid)
        return self

    def configure_xml_cdr(self, url, cred="", retries=2, delay=1.0):
        """Load mod_xml_cdr posting to `url` (xml_cdr.conf.xml url, cred, retries, delay)."""
        from .xml_cdr import XmlCdrPoster
        self.xml_cdr = XmlCdrPoster(self, url, cred, retries, delay)
        return self.xml_cdr

    def stop(self):
        """Close the listeners and every ESL connection (each gets the disconnect notice); calls are dropped."""
        if self.xml_cdr is not None:
            self.xml_cdr.shutdown = True      # module unload: a CDR waiting for its retry is lost
        if self._server is not None:
            self._server.stop(timeout=0)
        if self._control is not None:
            self._control.stop()
        for s in list(self.sessions):
            s.shutdown()
        gevent.sleep(0.01)
        for s in list(self.sessions):
            try:
                s.sock.close()
            except OSError:
                pass
        self.sessions = []

    def reset(self):
        """Hang up every channel and forget logs (HTTP POST /reset)."""
        for chan in list(self._chans.values()):
            chan.hangup("MANAGER_REQUEST", disposition="send_bye")
        self._log = []
        self._calls_log = []
        self.media_log = {}
        self.limits.refused_log = []
        self.limits.refused_invites = self.limits.refused_originates = 0

    def _handle(self, sock, addr):
        # mod_event_socket.c listener_run: switch_socket_opt_set(listener->sock, SWITCH_SO_TCP_NODELAY, TRUE) —
        # without it a reply waits for the controller's delayed ACK (~40 ms), which time scaling turns into seconds
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._conn_seq += 1
        sess = Session(self, sock, self._conn_seq)
        self.sessions.append(sess)
        sess.run()

    def _session_gone(self, sess):
        if sess in self.sessions:
            self.sessions.remove(sess)

    # --------------------------------------------------------------- timing
    @property
    def time_scale(self):
        """Wall-clock seconds per simulated second (the clock's scale)."""
        return self.clock.scale

    def real(self, seconds):
        """Simulated seconds -> wall-clock seconds (time_scale)."""
        return self.clock.real(seconds)

    def sleep(self, seconds):
        """Sleep a simulated duration."""
        self.clock.sleep(seconds)

    def later(self, seconds, fn, *args, **kw):
        """Run fn after a simulated duration (gevent timer)."""
        return self.clock.spawn_later(seconds, fn, *args, **kw)

    # ------------------------------------------------------------- event bus
    def fire(self, ev):
        """switch_event_fire: hand the event to every listener in order."""
        for s in list(self.sessions):
            s.deliver(ev)

    def fire_api_event(self, cmd, arg):
        """The API event (switch_api_execute) with API-Command and API-Command-Argument."""
        ev = self.factory.new("API")
        ev.add("API-Command", cmd)
        ev.add("API-Command-Argument", arg)
        self.fire(ev)

    def release_api_event(self):
        """A bgapi's own API event is delivered after the API events of the apis FreeSWITCH runs itself while
        expanding a dial string (captures 01b/04a/04b): originate releases it once the expansion is done."""
        pending = self._pending_api.pop(gevent.getcurrent(), None)
        if pending is not None:
            self.fire_api_event(*pending)

    def api(self, cmd, arg):
        """Execute an api command and return its output text."""
        return commands.execute(self, cmd, arg)

    def spawn_bgapi(self, job_uuid, cmd, arg):
        """bgapi: run the command in its own greenlet and fire BACKGROUND_JOB (mes.c api_exec)."""
        def job():
            self._pending_api[gevent.getcurrent()] = (cmd, arg)
            out = self.api(cmd, arg)
            pending = self._pending_api.pop(gevent.getcurrent(), None)
            if pending is not None:
                self.fire_api_event(*pending)
            ev = self.factory.new("BACKGROUND_JOB")
            ev.add("Job-UUID", job_uuid)
            ev.add("Job-Command", cmd)
            ev.add("Job-Command-Arg", arg)
            ev.body = out
            self.fire(ev)
        gevent.spawn(job)

    # -------------------------------------------------------------- channels
    def channel(self, uuid):
        """Live channel by uuid (None when unknown or destroyed)."""
        return self._chans.get((uuid or "").strip())

    def all_channels(self):
        """Live channels in creation order."""
        return list(self._chans.values())

    def live_sessions(self):
        """session_manager.session_count: sessions not yet destroyed."""
        return len(self._chans)

    def request_session(self, no_limits=False, uuid=None):
        """switch_core_session_request_uuid (limits.py): None when the session may be created, else the reason
        it is refused ('duplicate', 'throttle', 'limit'). A created session counts from here on."""
        return self.limits.request(no_limits=no_limits, uuid=uuid)

    def _add_channel(self, chan):
        self._chans[chan.uuid] = chan

    def _destroyed(self, chan):
        self.limits.catch_up()   # refills due before this session ends see it (sessions_peak_fivemin)
        self._chans.pop(chan.uuid, None)
        self._calls_log.append(chan.summary())
        if self.sqldb_lag_s > 0:
            self._gone_rows.append((self.clock.now(), chan))

    def listed_channels(self):
        """The channels `show channels` lists: those the core database has a row for (see sqldb_lag_s)."""
        now = self.clock.now()
        while self._gone_rows and now - self._gone_rows[0][0] >= self.sqldb_lag_s:
            self._gone_rows.popleft()
        born = [c for c in self._chans.values() if now - c.created_us / 1e6 >= self.sqldb_lag_s]
        return born + [c for _at, c in self._gone_rows]

    def _channel_hungup(self, chan):
        for s in list(self.sessions):
            s.channel_hungup(chan)

    def _log_command(self, conn, cmd, headers, body):
        text = cmd
        if headers:
            text += "\n" + "\n".join("%s: %s" % kv for kv in headers)
        if body:
            text += "\n\n" + body
        self._log.append({"t": self.clock.now(), "conn": conn, "command": text})

    # ------------------------------------------------------------ public API
    def add_phone(self, ext, password="1234", register=True, behaviour="answer", answer_delay=1.0, talk_time=None):
        """Add a directory user with a virtual phone (optionally registered)."""
        return self.directory.add(ext, password, register, behaviour, answer_delay, talk_time)

    def set_phone(self, ext, **kw):
        """Change a phone's behaviour / answer_delay / talk_time."""
        return self.directory.update(ext, **kw)

    def register(self, ext, expires=3600, password=None, call_id=None, port=None, user_agent=None):
        """The phone REGISTERs (sofia::pre_register, register_attempt, register); with a password that is not
        the directory's: 403 and sofia::register_failure. Returns whether it registered."""
        return self.directory.register(ext, expires, password, call_id, port, user_agent)

    def unregister(self, ext, call_id=None, port=None, user_agent=None):
        """The phone un-REGISTERs (Expires: 0; sofia::unregister)."""
        self.directory.unregister(ext, call_id, port, user_agent)

    def expire(self, ext):
        """The registration lapses (sofia::expire)."""
        self.directory.expire(ext)

    def place_call(self, did="12366", ani="13800138000", caller_name="", digits="", dtmf_delay=0.5,
                   patience=None, talk_time=None, max_duration=None, uuid=None, message_s=3.0):
        """A virtual caller dials `did`; returns the new inbound channel uuid (message_s: how long they speak
        when recorded, then they press #), or None when the switch turns the INVITE away: over its session rate
        or max-sessions it answers `503 Maximum Calls In Progress` and no channel, no event exists (sofia.c);
        see refused()."""
        script = CallerScript(digits=digits, dtmf_delay=dtmf_delay, patience=patience, talk_time=talk_time,
                              max_duration=max_duration)
        script.message_s = message_s
        return start_inbound_call(self, did, ani, caller_name, script, uuid=uuid)

    def set_outside(self, number, behaviour="answer", answer_delay=2.0, talk_time=None):
        """How an outside number (reached through a gateway) behaves when called: like a phone."""
        from .phones import Phone
        party = Phone(number, "", behaviour, answer_delay, talk_time, 5090)
        party.registered = True
        self.outside[number] = party
        return party.describe()

    def send_dtmf(self, uuid, digits, source="RTP"):
        """The far end presses keys now (RFC 2833 by default)."""
        chan = self.channel(uuid)
        if chan is None:
            raise KeyError(uuid)
        chan.queue_dtmf(digits, source)

    def hangup(self, uuid, cause="NORMAL_CLEARING"):
        """The caller/phone side hangs up (BYE, or CANCEL while unanswered)."""
        chan = self.channel(uuid)
        if chan is None:
            raise KeyError(uuid)
        chan.remote_hangup(cause)

    def commands(self):
        """Every command received over ESL: [{t, conn, command}]."""
        return list(self._log)

    def media_timeline(self, uuid):
        """What a channel heard, in order: [{kind: playback|bridge, what, start, end}] in simulated seconds
        (end None while it lasts), kept after the channel is gone."""
        return [h.as_dict() for h in self.media_log.get(uuid, [])]

    def channels(self):
        """Live channels as dicts."""
        return [c.describe() for c in self._chans.values()]

    def calls_log(self):
        """Destroyed channels with their end cause and timestamps."""
        return list(self._calls_log)

    def refused(self):
        """INVITEs the switch answered 503 (session rate or max-sessions): [{t, did, ani, reason, response,
        retry_after}], so a benchmark can tell callers the switch turned away from callers the engine lost."""
        return list(self.limits.refused_log)

    def capacity(self):
        """The session limits and counters (`status` figures, refused INVITEs and originates)."""
        return self.limits.figures()

    def phones(self):
        """Directory users and their phone state."""
        return self.directory.describe()

    def conferences(self):
        """Live conferences: name, uuid, members with id/uuid/hear/speak/talking/floor flags."""
        from .conference import conferences
        return conferences(self)
