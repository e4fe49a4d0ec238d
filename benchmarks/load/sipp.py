"""SIPp scenarios and processes for a load run on a real FreeSWITCH (benchmarks/load/realfs.py).

Three scenarios, written into the run's scratch directory:

* ``register``: one REGISTER with digest authentication (``-au``/``-ap``), from the port the phone then listens on,
  so the switch's ``user/<ext>`` reaches that phone;
* ``phone``: the agent's SIP phone (UAS). It rings (180) for RING seconds, answers with SDP, talks TALK seconds and
  hangs up (BYE); a CANCEL during the ring or a BYE during the talk ends it there. A phone that never answers rings
  until it is cancelled;
* ``caller``: the citizen (UAC). It sends an INVITE carrying ``X-FS-Support: send_info``, waits for the switch's
  answer (the engine answers every caller it admits), then gives up after PATIENCE seconds with a BYE unless an
  INFO says it was bridged to an agent (the harness's observer sends ``uuid_send_info`` on CHANNEL_BRIDGE: the
  caller cannot hear that it was bridged, since SIPp plays no media). A bridged caller stays until the switch
  hangs it up. A 503 (the switch's session-rate or session-count limit) is acknowledged and counted as refused.

Header copying follows SIPp's own uac/uas scenarios ([last_Via:], rrs/[next_url] for in-dialog requests).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

def _register(cseq: int, auth: str) -> str:
    """One REGISTER of the phone (the first unauthenticated, the second answering the 401's challenge)."""
    return f"""  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[field1]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>{auth}
      Max-Forwards: 70
      Expires: 3600
      Content-Length: 0

    ]]>
  </send>
"""


REGISTER_XML = ("""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
""" + _register(1, "") + """  <recv response="401" auth="true"/>
""" + _register(2, "\n      [authentication]") + """  <recv response="200"/>
</scenario>
""")

# the offer/answer of both ends: PCMU, nothing sent (SIPp plays no media here)
_SDP = """      v=0
      o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
"""

# 200 OK to the in-dialog request just received (BYE, CANCEL, INFO)
_OK_TO_REQUEST = """  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
"""

def _bye(from_: str, to: str, cseq: int) -> str:
    """The in-dialog BYE of a phone that hangs up after its talk, or of a caller who gives up."""
    return f"""  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: {from_}
      To: {to}
      Call-ID: [call_id]
      CSeq: {cseq} BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""


_RESPONSE_HEADERS = """      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>"""

PHONE_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone">
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="cseq"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="peer"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="me"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
""" + _RESPONSE_HEADERS + """
      Content-Length: 0

    ]]>
  </send>
  <recv request="CANCEL" RING_ATTRS next="cancelled"/>
  <label id="answer"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
""" + _RESPONSE_HEADERS + """
      Content-Type: application/sdp
      Content-Length: [len]

""" + _SDP + """    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE" timeout="TALK_MS" ontimeout="hangup" next="bye_received"/>
  <label id="bye_received"/>
""" + _OK_TO_REQUEST + """  <nop next="done"/>
  <label id="hangup"/>
""" + _bye("[$me];tag=[pid]SIPpTag01[call_number]", "[$peer]", 1) + """  <recv response="200" crlf="true"/>
  <nop next="done"/>
  <label id="cancelled"/>
""" + _OK_TO_REQUEST + """  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$cseq] INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <label id="done"/>
</scenario>
"""

CALLER_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <send retrans="500" start_rtd="answer">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:139[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:139[call_number]@[local_ip]:[local_port]>
      Max-Forwards: 70
      X-FS-Support: send_info
      Content-Type: application/sdp
      Content-Length: [len]

""" + _SDP + """    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="503" optional="true" next="refused"/>
  <recv response="200" rrs="true" rtd="answer"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <!-- the timeout belongs on the first recv of the group: SIPp times the message the call waits at -->
  <recv request="BYE" optional="true" next="bye_received" timeout="PATIENCE_MS" ontimeout="give_up"/>
  <recv request="INFO"/>
""" + _OK_TO_REQUEST + """  <recv request="BYE"/>
  <label id="bye_received"/>
""" + _OK_TO_REQUEST + """  <nop next="done"/>
  <label id="give_up"/>
""" + _bye("<sip:139[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]",
           "<sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]", 2) + """  <recv response="200" crlf="true"/>
  <nop next="done"/>
  <label id="refused"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:139[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <label id="done"/>
</scenario>
"""


def sipp_binary() -> str | None:
    return shutil.which("sipp")


def write_scenarios(folder: Path, ring: float, talk: float, patience: float) -> dict[str, Path]:
    """The three scenario files for this run's timings (an answering and a never-answering phone)."""
    paths = {"register": folder / "register.xml", "phone": folder / "phone.xml",
             "phone_noanswer": folder / "phone_noanswer.xml", "caller": folder / "caller.xml"}
    paths["register"].write_text(REGISTER_XML, encoding="ascii")
    answering = PHONE_XML.replace("RING_ATTRS", f'timeout="{int(ring * 1000)}" ontimeout="answer"')
    paths["phone"].write_text(answering.replace("TALK_MS", str(int(talk * 1000))), encoding="ascii")
    paths["phone_noanswer"].write_text(PHONE_XML.replace("RING_ATTRS", "").replace("TALK_MS", "1"),
                                       encoding="ascii")
    paths["caller"].write_text(CALLER_XML.replace("PATIENCE_MS", str(int(patience * 1000))), encoding="ascii")
    return paths


def base_args(local_ip: str, port: int, trace_dir: Path, name: str, auto_answer: bool) -> list[str]:
    """Options shared by every SIPp process: bound address, UDP, no keyboard, error log in the scratch folder;
    `auto_answer` (-aa) answers INFO/UPDATE/NOTIFY with 200 outside the scenario (phones: the engine's
    uuid_display sends an UPDATE to an answered leg; not callers, whose scenario waits for the INFO)."""
    return ["-i", local_ip, "-p", str(port), "-t", "u1", "-nostdin", "-trace_err",
            "-error_file", str(trace_dir / f"{name}.errors.log"), "-max_recv_loops", "5000"] + (["-aa"] if auto_answer else [])


def register(sipp: str, folder: Path, scenario: Path, local_ip: str, port: int, switch: str, user: str,
             domain: str, password: str) -> subprocess.CompletedProcess:
    """REGISTER user@domain from local_ip:port and wait for the 200 (raises CalledProcessError on failure)."""
    fields = folder / f"reg_{user}.csv"
    fields.write_text(f"SEQUENTIAL\n{user};{domain}\n", encoding="ascii")
    args = [sipp, switch, "-sf", str(scenario), "-inf", str(fields), "-au", user, "-ap", password, "-m", "1", "-i", local_ip, "-p", str(port),
            "-t", "u1", "-nostdin", "-timeout", "10s", "-timeout_error", "-trace_err", "-error_file",
            str(folder / f"reg_{user}.errors.log")]
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=True)
