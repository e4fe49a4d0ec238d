"""Directory users and their virtual SIP phones: registration events and how they answer (sofia_reg.c)."""
import logging
import time

logger = logging.getLogger(__name__)

BEHAVIOURS = ("answer", "busy", "no_answer", "reject")
USER_AGENT = "fsim-phone"


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
        d = self.sw.domain
        return [("sip_number_alias", phone.ext), ("sip_auth_username", phone.ext), ("sip_auth_realm", d),
                ("number_alias", phone.ext), ("user_name", phone.ext), ("domain_name", d),
                ("accountcode", phone.ext), ("user_context", "default"),
                ("effective_caller_id_name", "Extension %s" % phone.ext), ("effective_caller_id_number", phone.ext)]

    def register(self, ext, expires=3600):
        """REGISTER: sofia::pre_register, sofia::register_attempt, sofia::register (obs. 31)."""
        phone = self.phones[str(ext)]
        base = self._base(phone, expires)
        self._custom("sofia::pre_register", base + [("user-agent", USER_AGENT)])
        self._custom("sofia::register_attempt", base + [("username", phone.ext), ("realm", self.sw.domain),
                                                        ("user-agent", USER_AGENT), ("auth-result", "RENEWED")])
        update = [("update-reg", "true")] if phone.registered else []
        reg = base[:3] + [("presence-hosts", "%s,%s" % (self.sw.domain, self.sw.domain))] + base[3:]
        phone.registered, phone.expires, phone.registered_at = True, expires, time.time()
        self._custom("sofia::register", reg + [("username", phone.ext), ("realm", self.sw.domain),
                                               ("user-agent", USER_AGENT)] + update + self._user_vars(phone))

    def unregister(self, ext):
        """REGISTER with Expires: 0: pre_register, register_attempt, sofia::unregister (obs. 32)."""
        phone = self.phones[str(ext)]
        base = self._base(phone, 0)
        self._custom("sofia::pre_register", base + [("user-agent", USER_AGENT)])
        self._custom("sofia::register_attempt", base + [("username", phone.ext), ("realm", self.sw.domain),
                                                        ("user-agent", USER_AGENT), ("auth-result", "RENEWED")])
        phone.registered = False
        d = dict(base)
        self._custom("sofia::unregister", [
            ("profile-name", self.sw.profile), ("username", phone.ext), ("from-user", phone.ext),
            ("from-host", self.sw.domain), ("contact", d["contact"]), ("call-id", phone.call_id),
            ("rpid", "unknown"), ("realm", self.sw.domain), ("network-ip", "127.0.0.1"),
            ("network-port", phone.port), ("user-agent", USER_AGENT), ("expires", 0)] + self._user_vars(phone))

    def expire(self, ext):
        """Registration lapse: sofia::expire, `expires` is an absolute epoch (obs. 32)."""
        phone = self.phones[str(ext)]
        if not phone.registered:
            return
        phone.registered = False
        d = dict(self._base(phone, 0))
        self._custom("sofia::expire", [
            ("profile-name", self.sw.profile), ("call-id", phone.call_id), ("user", phone.ext),
            ("username", phone.ext), ("host", self.sw.domain), ("contact", d["contact"]),
            ("expires", int(phone.registered_at + phone.expires)), ("user-agent", USER_AGENT),
            ("realm", self.sw.domain), ("network-ip", "127.0.0.1"), ("network-port", phone.port)])

    # ----------------------------------------------------------- reports
    def status_reg(self):
        """`sofia status profile internal reg` text (mod_sofia.c show_reg_callback)."""
        bar = "=" * 97
        out = ["\nRegistrations:\n%s\n" % bar]
        regs = [p for p in self.phones.values() if p.registered]
        for p in regs:
            exp = p.registered_at + p.expires
            out.append(
                "Call-ID:    \t%s\nUser:       \t%s@%s\nContact:    \t\"\" <sip:%s@127.0.0.1:%d>\n"
                "Agent:      \t%s\nStatus:     \tRegistered(UDP)(unknown) EXP(%s) EXPSECS(%d)\n"
                "Ping-Status:\tReachable\nPing-Time:\t0.00\nHost:       \t%s\nIP:         \t127.0.0.1\n"
                "Port:       \t%d\nAuth-User:  \t%s\nAuth-Realm: \t%s\nMWI-Account:\t%s@%s\n\n"
                % (p.call_id, p.ext, self.sw.domain, p.ext, p.port, USER_AGENT,
                   time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(exp)), max(0, int(exp - time.time())),
                   self.sw.hostname, p.port, p.ext, self.sw.domain, p.ext, self.sw.domain))
        out.append("Total items returned: %d\n%s\n" % (len(regs), bar))
        return "".join(out)

    def describe(self):
        return [p.describe() for p in self.phones.values()]
