"""Directory users and their virtual SIP phones: registration events and how they answer (sofia_reg.c)."""
import logging
import time

logger = logging.getLogger(__name__)

BEHAVIOURS = ("answer", "busy", "no_answer", "reject", "manual")   # manual: rings until the agent answers
                                                                   # from the desktop (uuid_phone_event talk)
USER_AGENT = "fsim-phone"


def user_variables(phone):
    """Params/variables of a vanilla directory user (directory/default.xml + default/10xx.xml), in the order
    FreeSWITCH lists them: the domain's variables first, then the user's."""
    return [("record_stereo", "true"), ("default_gateway", "example.com"), ("default_areacode", "918"),
            ("transfer_fallback_extension", "operator"), ("toll_allow", "domestic,international,local"),
            ("accountcode", phone.ext), ("user_context", "default"),
            ("effective_caller_id_name", "Extension %s" % phone.ext), ("effective_caller_id_number", phone.ext),
            ("outbound_caller_id_name", "FreeSWITCH"), ("outbound_caller_id_number", "0000000000"),
            ("callgroup", "techsupport")]


class Phone:
    """A directory user (extension) with one SIP phone."""

    def __init__(self, ext, password, behaviour, answer_delay, talk_time, port):
        self.ext = ext
        self.password = password
        self.behaviour = behaviour
        self.answer_delay = answer_delay
        self.talk_time = talk_time
        self.port = port
        self.registered = False
        self.expires = 0
        self.registered_at = 0
        self.call_id = "fsim-reg-%s-%d@127.0.0.1" % (ext, port)
        self.user_agent = USER_AGENT
        self.active = set()

    def describe(self):
        return {"ext": self.ext, "registered": self.registered, "behaviour": self.behaviour,
                "answer_delay": self.answer_delay, "talk_time": self.talk_time, "port": self.port,
                "active_calls": sorted(self.active)}


class Directory:
    """The user directory (mod_sofia registrations + directory lookups for user/<ext>)."""

    def __init__(self, sw):
        self.sw = sw
        self.phones = {}
        self._next_port = 5071

    def get(self, ext):
        return self.phones.get(str(ext))

    def add(self, ext, password="1234", register=True, behaviour="answer", answer_delay=1.0, talk_time=None):
        """Create (or replace) a user; register its phone if asked."""
        ext = str(ext)
        if behaviour not in BEHAVIOURS:
            raise ValueError("behaviour must be one of %s" % (BEHAVIOURS,))
        old = self.phones.get(ext)
        port = old.port if old else self._next_port
        if not old:
            self._next_port += 1
        self.phones[ext] = Phone(ext, password, behaviour, answer_delay, talk_time, port)
        if register:
            self.register(ext)
        return self.phones[ext].describe()

    def update(self, ext, **kw):
        """Change behaviour / answer_delay / talk_time / password."""
        phone = self.phones[str(ext)]
        for k, v in kw.items():
            if k == "behaviour" and v not in BEHAVIOURS:
                raise ValueError("bad behaviour %r" % v)
            if k in ("behaviour", "answer_delay", "talk_time", "password"):
                setattr(phone, k, v)
        return phone.describe()

    def contact(self, ext):
        """Registered contact (`sofia_contact`) or None."""
        phone = self.get(ext)
        if phone is None or not phone.registered:
            return None
        return "sofia/%s/sip:%s@127.0.0.1:%d" % (self.sw.profile, phone.ext, phone.port)

    # ------------------------------------------------------------ events
    def _custom(self, subclass, headers):
        ev = self.sw.factory.new("CUSTOM", subclass=subclass)
        for k, v in headers:
            ev.add(k, v)
        self.sw.fire(ev)

    def _base(self, phone, expires):
        d = self.sw.domain
        return [("profile-name", self.sw.profile), ("from-user", phone.ext), ("from-host", d),
                ("contact", '"" <sip:%s@127.0.0.1:%d>' % (phone.ext, phone.port)), ("call-id", phone.call_id),
                ("rpid", "unknown"), ("status", "Registered(UDP)"), ("expires", expires),
                ("to-user", phone.ext), ("to-host", d), ("network-ip", "127.0.0.1"), ("network-port", phone.port)]

    def _user_vars(self, phone):
        """The directory user's params and variables, appended to sofia::register/unregister (capture 02)."""
        d = self.sw.domain
        return [("sip_number_alias", phone.ext), ("sip_auth_username", phone.ext), ("sip_auth_realm", d),
                ("number_alias", phone.ext), ("user_name", phone.ext), ("domain_name", d)] + user_variables(phone)

    def _attempt(self, phone, expires, call_id, port, user_agent):
        """pre_register and register_attempt of one (challenged) REGISTER; the REGISTER's Call-ID, source port and
        User-Agent become the phone's contact."""
        if call_id:
            phone.call_id = call_id
        if port:
            phone.port = int(port)
        if user_agent:
            phone.user_agent = user_agent
        base = self._base(phone, expires)
        self._custom("sofia::pre_register", base + [("user-agent", phone.user_agent)])
        return base

    def register(self, ext, expires=3600, password=None, call_id=None, port=None, user_agent=None):
        """REGISTER (answering the 401 challenge): sofia::pre_register, register_attempt, sofia::register
        (obs. 31), or with a wrong password register_attempt FORBIDDEN and sofia::register_failure (403). A refresh
        goes through the same challenge and shows no `update-reg` (capture 02). Returns whether it registered."""
        phone = self.phones[str(ext)]
        base = self._attempt(phone, expires, call_id, port, user_agent)
        d = self.sw.domain
        ok = password is None or password == phone.password
        self._custom("sofia::register_attempt", base + [("username", phone.ext), ("realm", d),
                                                        ("user-agent", phone.user_agent),
                                                        ("auth-result", "RENEWED" if ok else "FORBIDDEN")])
        if not ok:
            self._custom("sofia::register_failure", [
                ("profile-name", self.sw.profile), ("to-user", phone.ext), ("to-host", d),
                ("network-ip", "127.0.0.1"), ("user-agent", phone.user_agent), ("profile-name", self.sw.profile),
                ("network-port", phone.port), ("registration-type", "REGISTER")])
            return False
        reg = base[:3] + [("presence-hosts", "%s,%s" % (d, d))] + base[3:]
        phone.registered, phone.expires, phone.registered_at = True, expires, int(time.time())
        self._custom("sofia::register", reg + [("username", phone.ext), ("realm", d),
                                               ("user-agent", phone.user_agent)] + self._user_vars(phone))
        return True

    def unregister(self, ext, call_id=None, port=None, user_agent=None):
        """REGISTER with Expires: 0: pre_register, register_attempt, (PRESENCE_IN,) sofia::unregister (obs. 32)."""
        phone = self.phones[str(ext)]
        base = self._attempt(phone, 0, call_id, port, user_agent)
        self._custom("sofia::register_attempt", base + [("username", phone.ext), ("realm", self.sw.domain),
                                                        ("user-agent", phone.user_agent), ("auth-result", "RENEWED")])
        phone.registered = False
        d = dict(base)
        self._custom("sofia::unregister", [
            ("profile-name", self.sw.profile), ("username", phone.ext), ("from-user", phone.ext),
            ("from-host", self.sw.domain), ("contact", d["contact"]), ("call-id", phone.call_id),
            ("rpid", "unknown"), ("realm", self.sw.domain), ("network-ip", "127.0.0.1"),
            ("network-port", phone.port), ("user-agent", phone.user_agent), ("expires", 0)] + self._user_vars(phone))

    def expires_at(self, phone):
        """sofia_reg.c stores the registration until now + Expires + 60 s (capture 02: EXPSECS(80) for 20 s)."""
        return phone.registered_at + phone.expires + 60

    def expire(self, ext):
        """Registration lapse: sofia::expire, `expires` is the absolute epoch it was stored until (obs. 32)."""
        phone = self.phones[str(ext)]
        if not phone.registered:
            return
        phone.registered = False
        d = dict(self._base(phone, 0))
        self._custom("sofia::expire", [
            ("profile-name", self.sw.profile), ("call-id", phone.call_id), ("user", phone.ext),
            ("username", phone.ext), ("host", self.sw.domain), ("contact", d["contact"]),
            ("expires", self.expires_at(phone)), ("user-agent", phone.user_agent),
            ("realm", self.sw.domain), ("network-ip", "127.0.0.1"), ("network-port", phone.port)])

    # ----------------------------------------------------------- reports
    def status_reg(self, search=None):
        """`sofia status profile internal reg [<search>]` text (mod_sofia.c show_reg_callback)."""
        bar = "=" * 97
        out = ["\nRegistrations:\n%s\n" % bar]
        regs = [p for p in self.phones.values() if p.registered and (not search or search in (p.ext, p.call_id))]
        for p in regs:
            exp = self.expires_at(p)
            out.append(
                "Call-ID:    \t%s\nUser:       \t%s@%s\nContact:    \t\"\" <sip:%s@127.0.0.1:%d>\n"
                "Agent:      \t%s\nStatus:     \tRegistered(UDP)(unknown) EXP(%s) EXPSECS(%d)\n"
                "Ping-Status:\tReachable\nPing-Time:\t0.00\nHost:       \t%s\nIP:         \t127.0.0.1\n"
                "Port:       \t%d\nAuth-User:  \t%s\nAuth-Realm: \t%s\nMWI-Account:\t%s@%s\n\n"
                % (p.call_id, p.ext, self.sw.domain, p.ext, p.port, p.user_agent,
                   time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(exp)), max(0, exp - int(time.time())),
                   self.sw.hostname, p.port, p.ext, self.sw.domain, p.ext, self.sw.domain))
        out.append("Total items returned: %d\n%s\n" % (len(regs), bar))
        return "".join(out)

    def describe(self):
        return [p.describe() for p in self.phones.values()]
