"""mod_conference: the `conference` app, the `conference` api and CUSTOM conference::maintenance events.

Observation 30 / capture 05b / catalog: conference-create (no channel data, Size 0), add-member, mute-member,
unmute-member, del-member (channel data without variables, member flags after it, Action last), conference-destroy.
Member ids come from one process-global counter (`member_ids_from`). `conference <name> list` prints
`<id>;<channel>;<uuid>;<cid name>;<cid num>;hear|speak|talking|floor;0;0;100` newest member first;
`conference list` prefixes `+OK Conference <name> (<n> members rate: 8000 flags: ...)`; json_list is cJSON_Print.
A member reads the mix as L16 and gets the conference_* variables. The vanilla `default` profile's sounds: a lone
member gets play-file of conf-alone.wav (missing: `Error`), a member joining others the enter tone (play-file-done
after 400 ms), a member leaving others the exit tone (1 s), then the lone member play-file of local_stream://moh.
Voice activity: the simulated phones echo what they hear, so once two members are in, every member that can speak
starts talking (start-talking, in join order); the floor goes to a member that joins others while nobody has it, and
to a member that starts talking while the holder is silent; the holder leaving gives floor-change none -> none.
"""
import logging
import uuid as uuidlib

from .apps import split_args
from .channels import Break

logger = logging.getLogger(__name__)

SUBCLASS = "conference::maintenance"
CALL_CREATE = ("mod_conference.c", "conference_new", 3848)
CALL_DESTROY = ("mod_conference.c", "conference_thread_run", 863)
CALL_ADD = ("conference_member.c", "conference_member_add", 962)
CALL_DEL = ("conference_member.c", "conference_member_del", 1355)
CALL_API = {"mute": ("conference_api.c", "conference_api_sub_mute", 339),
            "unmute": ("conference_api.c", "conference_api_sub_unmute", 492),
            "deaf": ("conference_api.c", "conference_api_sub_deaf", 559),
            "undeaf": ("conference_api.c", "conference_api_sub_undeaf", 608)}
CONF_FLAGS = "running|answered|enforce_min|dynamic|exit_sound|enter_sound|json_status"
CALL_FLOOR = ("conference_member.c", "conference_member_set_floor_holder", 1158)
CALL_TALK = ("conference_loop.c", "conference_loop_input", 1154)
CALL_PLAY = ("conference_file.c", "conference_file_play", 268)
CALL_PLAY_DONE = ("conference_file.c", "conference_file_close", 52)
ALONE_SOUND = "/usr/local/freeswitch/share/freeswitch/sounds/en/us/callie/conference/conf-alone.wav"
ENTER_TONE = ("tone_stream://%(200,0,500,600,700)", 0.4)
EXIT_TONE = ("tone_stream://%(500,0,300,200,100,50,25)", 1.0)
TALK_DELAY = 0.2       # seconds of echoed audio before voice activity is detected
ENERGY = 3000          # Current-Energy of a talking member (the real value is the measured audio level)


class Member:
    def __init__(self, conf, chan, member_id, hear=True, speak=True, moderator=False):
        self.conf, self.chan, self.id = conf, chan, member_id
        self.hear, self.speak, self.moderator = hear, speak, moderator
        self.talking = False
        self.energy = 0
        self.joined = self.conf.sw.clock.now()

    def flags_text(self):
        out = [f for f, on in (("hear", self.hear), ("speak", self.speak), ("talking", self.talking),
                               ("floor", self.conf.floor is self), ("moderator", self.moderator)) if on]
        return "|".join(out)

    def describe(self):
        return {"id": self.id, "uuid": self.chan.uuid, "hear": self.hear, "speak": self.speak, "mute": not self.speak,
                "deaf": not self.hear, "talking": self.talking, "floor": self.conf.floor is self,
                "moderator": self.moderator}


class Conference:
    def __init__(self, sw, name, profile):
        self.sw, self.name, self.profile = sw, name, profile
        self.uuid = str(uuidlib.uuid4())
        self.members = []   # join order
        self.floor = None
        self.started = sw.clock.now()

    def _conf_data(self, ev):
        for k, val in (("Conference-Name", self.name), ("Conference-Domain", self.sw.domain),
                       ("Conference-Size", len(self.members)), ("Conference-Ghosts", 0),
                       ("Conference-Profile-Name", self.profile), ("Conference-Unique-ID", self.uuid)):
            ev.headers.append((k, str(val)))

    def _member_data(self, ev, member):
        from .events import add_channel_data
        ev.headers.append(("Floor", "true" if self.floor is member else "false"))
        add_channel_data(ev, member.chan, with_vars=False)
        for k, val in (("Video", False), ("Hear", member.hear), ("See", True), ("Speak", member.speak),
                       ("Talking", member.talking), ("Mute-Detect", False), ("Hold", False)):
            ev.headers.append((k, "true" if val else "false"))
        for k, val in (("Member-ID", member.id), ("Member-Type", "member"), ("Member-Ghost", "false"),
                       ("Energy-Level", 100), ("Current-Energy", member.energy)):
            ev.headers.append((k, str(val)))

    def _event(self, action, calling, member=None, after=()):
        ev = self.sw.factory.new("CUSTOM", subclass=SUBCLASS, calling=calling)
        self._conf_data(ev)
        if member is not None:
            self._member_data(ev, member)
        ev.headers.append(("Action", action))
        ev.headers.extend((k, str(v)) for k, v in after)
        self.sw.fire(ev)

    def set_floor(self, member):
        """conference_member_set_floor_holder: floor-change Old-ID, then the new holder's data and New-ID."""
        old, self.floor = self.floor, member
        ev = self.sw.factory.new("CUSTOM", subclass=SUBCLASS, calling=CALL_FLOOR)
        self._conf_data(ev)
        ev.headers.append(("Action", "floor-change"))
        # capture 05b: Old-ID stays `none` when the floor was free or its holder is leaving
        ev.headers.append(("Old-ID", str(old.id) if old is not None and old in self.members and member else "none"))
        if member is not None:
            self._conf_data(ev)
            self._member_data(ev, member)
        ev.headers.append(("New-ID", str(member.id) if member is not None else "none"))
        self.sw.fire(ev)

    def play(self, path, error=True, async_=False):
        """conference_file_play of a sound that is not installed (README: vanilla sounds missing)."""
        self._event("play-file", CALL_PLAY, after=[("File", path), ("Async", "true" if async_ else "false")] +
                    ([("Error", "File could not be played")] if error else []))

    def tone(self, tone, then=None):
        """A tone_stream played to the conference: play-file-done once it has played."""
        path, secs = tone

        def done():
            if self.name not in _registry(self.sw)["confs"]:
                return
            ms = int(secs * 1000)
            ev = self.sw.factory.new("CUSTOM", subclass=SUBCLASS, calling=CALL_PLAY_DONE)
            self._conf_data(ev)
            ev.headers.extend([("seconds", str(ms // 1000)), ("milliseconds", str(ms)),
                               ("samples", str(ms * 8)), ("Action", "play-file-done"), ("File", path)])
            self.sw.fire(ev)
            if then:
                then()
        self.sw.later(secs, done)

    def voices(self):
        """Echoing phones: with two or more members, every member that can speak starts talking."""
        if len(self.members) < 2:
            return
        for m in list(self.members):
            if m.speak and not m.talking and m in self.members:
                m.talking, m.energy = True, ENERGY
                _publish(m)
                self._event("start-talking", CALL_TALK, m)
                if self.floor is None or not self.floor.talking:
                    self.set_floor(m)

    def add(self, chan, hear=True, speak=True, moderator=False):
        registry = _registry(self.sw)
        m = Member(self, chan, registry["next_id"], hear, speak, moderator)
        registry["next_id"] += 1
        v = chan.variables
        v["conference_name"] = self.name
        v["app_session_uuid"] = self.uuid
        chan.app_read_codec = ("L16", 8000, 128000)
        v["read_codec"], v["read_rate"] = "L16", "8000"
        v["conference_member_id"] = str(m.id)
        v["conference_moderator"] = "true" if moderator else "false"
        v["conference_ghost"] = "false"
        v["conference_uuid"] = self.uuid
        v["conference_call_key"] = "conference_%s_%s_%s" % (self.name, self.sw.domain,
                                                            chan.profile.get("Caller-ID-Number", ""))
        self.members.append(m)
        if len(self.members) == 1:
            self.play(ALONE_SOUND)
        self._event("add-member", CALL_ADD, m)
        if len(self.members) > 1:
            if self.floor is None:
                self.set_floor(m)
            self.tone(ENTER_TONE)
            self.sw.later(TALK_DELAY, self.voices)
        _publish(m)
        return m

    def remove(self, m):
        if m not in self.members:
            return
        if self.floor is m:
            self.set_floor(None)
        self.members.remove(m)
        if len(self.members) == 1:
            self.play(ALONE_SOUND)
        self._event("del-member", CALL_DEL, m)
        chan = m.chan
        chan.variables.pop("conference_call_key", None)
        chan.app_read_codec = None
        if chan.codec:
            chan.variables["read_codec"], chan.variables["read_rate"] = chan.codec[0], str(chan.codec[1])
        chan.__dict__.get("sim_ext", {}).pop("conference", None)
        if not self.members:
            self._event("conference-destroy", CALL_DESTROY)
            _registry(self.sw)["confs"].pop(self.name, None)
        else:
            self.tone(EXIT_TONE, then=lambda: self.play("local_stream://moh", async_=True)
                      if len(self.members) == 1 else None)

    def find(self, token):
        if token == "last":
            return self.members[-1:] or []
        if token == "all":
            return list(self.members)
        return [m for m in self.members if str(m.id) == token]

    def describe(self):
        return {"name": self.name, "profile": self.profile, "uuid": self.uuid,
                "members": [m.describe() for m in self.members]}


def _registry(sw):
    return sw.__dict__.setdefault("_conference_registry", {"next_id": 1, "confs": {}})


def member_ids_from(sw, first):
    """Start the process-global member id counter at `first` (a FreeSWITCH that already ran conferences)."""
    _registry(sw)["next_id"] = int(first)


def _publish(m):
    m.chan.__dict__.setdefault("sim_ext", {})["conference"] = {"name": m.conf.name, **m.describe()}


def conferences(sw):
    """SimSwitch.conferences(): live conferences with their members' flags."""
    return [c.describe() for c in _registry(sw)["confs"].values()]


def app_conference(chan, data):
    """conference <name>[@<profile>][+flags{mute|deaf|moderator}]: join and stay until hang-up, kick or transfer."""
    spec = (data or "").strip()
    flags = set()
    if "+flags{" in spec:
        spec, _, rest = spec.partition("+flags{")
        flags = {f.strip() for f in rest.rstrip("}").split("|") if f.strip()}
    spec = spec.split("+", 1)[0]
    name, _, profile = spec.partition("@")
    profile = profile or "default"
    if not name:
        return
    if not chan.answered:
        chan.answer()
    reg = _registry(chan.sw)
    conf = reg["confs"].get(name)
    if conf is None:
        conf = reg["confs"][name] = Conference(chan.sw, name, profile)
        conf._event("conference-create", CALL_CREATE)
    m = conf.add(chan, hear="deaf" not in flags, speak="mute" not in flags, moderator="moderator" in flags)
    chan.__dict__["conference_member"] = m
    try:
        while m in conf.members:
            what = chan.wait(None, dtmf=True, cmd=True)
            if what == "dtmf":
                chan.dequeue_dtmf()
            elif what == "cmd":
                chan.run_command(chan.commands.popleft())
    except Break:
        pass   # kicked
    finally:
        chan.__dict__.pop("conference_member", None)
        conf.remove(m)


def _member_cmd(conf, action, token):
    members = conf.find(token)
    if not members:
        return "-ERR Non-Existant ID %s\n" % token
    out = []
    for m in members:
        if action in ("mute", "unmute"):
            m.speak = action == "unmute"
            m.talking = False   # voice activity is detected again after unmute (start-talking, capture 05b)
            if m.speak:
                conf.sw.later(TALK_DELAY, conf.voices)
        elif action in ("deaf", "undeaf"):
            m.hear = action == "undeaf"
        elif action == "kick":
            m.chan.interrupt(Break())
            conf.remove(m)
            out.append("+OK kicked %d\n" % m.id)
            continue
        elif action == "hup":
            conf.remove(m)
            m.chan.hangup("NORMAL_CLEARING")
            out.append("+OK hup %d\n" % m.id)
            continue
        _publish(m)
        conf._event("%s-member" % action, CALL_API[action], m)
        out.append("+OK %s %d\n" % (action, m.id))
    return "".join(out)


def _list_lines(conf):
    lines = []
    for m in reversed(conf.members):
        p = m.chan.profile
        lines.append("%d;%s;%s;%s;%s;%s;0;0;100\n" % (m.id, m.chan.name, m.chan.uuid, p.get("Caller-ID-Name", ""),
                                                     p.get("Caller-ID-Number", ""), m.flags_text()))
    return "".join(lines)


def api_conference(sw, arg):
    """conference list | <name> list|json_list|mute|unmute|deaf|undeaf|kick|hup <id|all|last>."""
    argv = split_args(arg or "")
    confs = _registry(sw)["confs"]
    if not argv:
        return "-USAGE: conference <name> <command> [args]\n"
    if argv[0] in ("list", "json_list"):
        if argv[0] == "json_list":
            return cjson([_json(c) for c in confs.values()])
        if not confs:
            return "+OK No active conferences.\n"
        return "".join("+OK Conference %s (%d members rate: 8000 flags: %s)\n%s" % (
            c.name, len(c.members), CONF_FLAGS, _list_lines(c)) for c in confs.values())
    conf = confs.get(argv[0])
    if conf is None:
        return "-ERR Conference %s not found\n" % argv[0]
    sub = argv[1].lower() if len(argv) > 1 else "list"
    if sub == "list":
        return _list_lines(conf)
    if sub == "json_list":
        return cjson([_json(conf)])
    if sub in ("mute", "unmute", "deaf", "undeaf", "kick", "hup"):
        if len(argv) < 3:
            return "-ERR Invalid member ID\n"
        return _member_cmd(conf, sub, argv[2])
    return "-ERR Unsupported command %s\n" % sub


def _json(conf):
    members = []
    for m in reversed(conf.members):
        p = m.chan.profile
        members.append({
            "type": "caller", "id": m.id,
            "flags": {"can_hear": m.hear, "can_see": True, "can_speak": m.speak, "hold": False, "mute_detect": False,
                      "talking": m.talking, "has_video": False, "video_bridge": False,
                      "has_floor": conf.floor is m, "is_moderator": m.moderator, "end_conference": False,
                      "mandatory_member_end_conference": False, "pass_digits": False},
            "uuid": m.chan.uuid, "caller_id_name": p.get("Caller-ID-Name", ""),
            "caller_id_number": p.get("Caller-ID-Number", ""), "join_time": int(conf.sw.clock.now() - m.joined),
            "last_talking": 0, "energy": 100, "volume_in": 0, "volume_out": 0, "output-volume": 0,
            "input-volume": 0})
    flags = {f: True for f in ("running", "answered", "enforce_min")}
    return {"conference_name": conf.name, "member_count": len(conf.members), "ghost_count": 0, "rate": 8000,
            "run_time": int(conf.sw.clock.now() - conf.started), "conference_uuid": conf.uuid, "canvas_count": 0,
            "max_bw_in": 0, "force_bw_in": 0, "video_floor_packets": 0, "locked": False, "destruct": False,
            "wait_mod": False, "audio_always": False, "running": flags["running"], "answered": True,
            "enforce_min": True, "bridge_to": False, "dynamic": True, "exit_sound": True, "enter_sound": True,
            "recording": False, "video_bridge": False, "video_floor_only": False, "video_rfc4579": False,
            "variables": {}, "members": members}


def cjson(value, depth=0):
    """cJSON_Print (formatted): tabs, `"key":\\tvalue`, arrays `[a, b]`."""
    import json
    if isinstance(value, dict):
        if not value:
            return "{\n" + "\t" * depth + "}"
        inner = ",\n".join("\t" * (depth + 1) + json.dumps(k, ensure_ascii=False) + ":\t" + cjson(v, depth + 1)
                           for k, v in value.items())
        return "{\n" + inner + "\n" + "\t" * depth + "}"
    if isinstance(value, list):
        return "[" + ", ".join(cjson(v, depth + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)

