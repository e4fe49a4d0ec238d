"""mod_xml_cdr: a CDR posted over HTTP for each leg that reaches CS_REPORTING (src/mod/xml_int/mod_xml_cdr/
mod_xml_cdr.c my_on_reporting), as the overlay configures it (conf/freeswitch/autoload_configs/xml_cdr.conf.xml).

* Which legs: with log-b-leg false, a leg that has an originator caller profile is skipped. switch_ivr_uuid_bridge
  (switch_ivr_bridge.c) gives the originatee (B) leg the originator's profile, so a leg that was ever the B side of
  a bridge posts no CDR; a caller's leg (the A side) and an agent's leg that rang unanswered do.
* What: `POST <url>?uuid=a_<uuid>` (prefix-a-leg true), `Content-Type: application/x-www-form-urlencoded`,
  `User-Agent: freeswitch-xml/1.0`, basic auth from `cred`, body `cdr=` + the url-encoded XML of
  switch_ivr_generate_xml_cdr (switch_ivr.c): `<cdr core-uuid>` with `channel_data`, `variables` (each value
  url-encoded, switch_ivr_set_xml_chan_var), `app_log` and `callflow` with the caller profile and its times.
* Retries: `retries` more tries after the first, `delay` seconds apart (retries 2, delay 1 gave 3 byte-identical
  posts 1.00 s apart on a real FreeSWITCH 1.11); a CDR that could not be posted is written to err-log-dir as
  `a_<uuid>.cdr.xml`, url-encoded like the body (we keep its uuid in `failed`).
* At shutdown the switch hangs calls up before it unloads the module, so their CDRs (SYSTEM_SHUTDOWN, send_bye) are
  posted; a retry still waiting when the module unloads is lost (`globals.shutdown`)."""
import base64
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape, quoteattr

import gevent

logger = logging.getLogger(__name__)

# caller-profile fields of the XML (switch_ivr_set_xml_profile_data) from the event header names of the profile
_PROFILE_FIELDS = (("Username", "username"), ("Dialplan", "dialplan"), ("Caller-ID-Name", "caller_id_name"),
                   ("ANI", "ani"), ("ANI-II", "aniii"), ("Caller-ID-Number", "caller_id_number"),
                   ("Network-Addr", "network_addr"), ("RDNIS", "rdnis"), ("Destination-Number", "destination_number"),
                   ("Unique-ID", "uuid"), ("Source", "source"), ("Context", "context"), ("Channel-Name", "chan_name"))
_TIMES = (("Profile-Created-Time", "profile_created_time"), ("Channel-Created-Time", "created_time"),
          ("Channel-Answered-Time", "answered_time"), ("Channel-Progress-Time", "progress_time"),
          ("Channel-Progress-Media-Time", "progress_media_time"), ("Channel-Hangup-Time", "hangup_time"),
          ("Channel-Transfer-Time", "transfer_time"), ("Channel-Resurrect-Time", "resurrect_time"),
          ("Channel-Bridged-Time", "bridged_time"), ("Channel-Last-Hold", "last_hold_time"),
          ("Channel-Hold-Accum", "hold_accum_time"))


def _url(value):
    """switch_url_encode: everything but unreserved characters as %XX."""
    return urllib.parse.quote(str(value), safe="-_.!~*'()")


def cdr_xml(chan):
    """The XML CDR of a reported channel."""
    parts = ['<?xml version="1.0"?>\n<cdr core-uuid=%s switchname=%s>' % (quoteattr(chan.sw.core_uuid),
                                                                          quoteattr(chan.sw.hostname))]
    parts.append("<channel_data><state>%s</state><direction>%s</direction><state_number>%d</state_number>"
                 "<flags></flags><caps></caps></channel_data>"
                 % (chan.running_state, chan.direction, chan.state_number))
    parts.append("<variables>")
    for name, value in chan.variables.items():
        if name and name.replace("_", "a").isalnum():
            parts.append("<%s>%s</%s>" % (name, _url(value), name))
    parts.append("</variables>")
    parts.append("<app_log>%s</app_log>" % "".join(
        '<application app_name=%s app_data=%s app_stamp="%d"></application>' % (quoteattr(app), quoteattr(data), us)
        for app, data, us in getattr(chan, "app_log", ())))
    p = chan.profile
    # the caller profile is only XML-escaped (switch_ivr_set_xml_profile_data); variables are url-encoded too
    profile = "".join("<%s>%s</%s>" % (tag, escape(str(p.get(key) or "")), tag) for key, tag in _PROFILE_FIELDS)
    times = "".join("<%s>%s</%s>" % (tag, int(p.get(key) or 0), tag) for key, tag in _TIMES)
    parts.append('<callflow dialplan="XML" unique-id=%s profile_index="1"><extension></extension>'
                 '<caller_profile>%s</caller_profile><times>%s</times></callflow>'
                 % (quoteattr(chan.uuid), profile, times))
    parts.append("</cdr>")
    return "".join(parts)


class XmlCdrPoster:
    """Posts each reported A leg's CDR from a worker thread (libcurl blocks the reporting thread in FreeSWITCH;
    here the simulation's hub must go on)."""

    def __init__(self, sw, url, cred="", retries=2, delay=1.0, timeout=5.0):
        self.sw = sw
        self.url = url
        self.cred = cred
        self.retries = max(0, int(retries))
        self.delay = float(delay) if self.retries and float(delay) > 0 else (5.0 if self.retries else 0.0)
        self.timeout = timeout
        self.shutdown = False
        self.posted = 0
        self.failed = []            # uuids written to err-log-dir instead

    def on_reporting(self, chan):
        if getattr(chan, "had_originator", False):
            return
        body = ("cdr=" + _url(cdr_xml(chan))).encode()
        uuid = chan.uuid
        gevent.get_hub().threadpool.spawn(self._post, uuid, body)

    def _post(self, uuid, body):
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "freeswitch-xml/1.0"}
        if self.cred:
            headers["Authorization"] = "Basic " + base64.b64encode(self.cred.encode()).decode()
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.delay)
                if self.shutdown:
                    break           # unloaded while waiting to retry: this CDR is lost
            request = urllib.request.Request("%s?uuid=a_%s" % (self.url, uuid), data=body, headers=headers,
                                             method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                    if reply.status == 200:
                        self.posted += 1
                        return
                    status = reply.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (OSError, ValueError) as exc:
                status = 0
                logger.debug("xml_cdr post of %s failed: %s", uuid, exc)
            logger.error("Got error [%s] posting to web server [%s]", status, self.url)
        logger.error("Unable to post to web server, writing to file")
        self.failed.append(uuid)
