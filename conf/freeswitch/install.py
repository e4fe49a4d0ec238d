#!/usr/bin/env python3
"""Install the call-center overlay into the configuration directory of a stock FreeSWITCH 1.10 or later.

    python3 conf/freeswitch/install.py "$CONF" [--trunk-cidr CIDR ...] [--xml-curl]

$CONF is the directory FreeSWITCH reads (`fs_cli -x "global_getvar conf_dir"`, set by switch_core.c from the build's
prefix: /etc/freeswitch for Debian packages, <prefix>/etc/freeswitch or /usr/local/freeswitch/conf for source builds).
Only the Python standard library is used, so it runs on the FreeSWITCH host with the system's python3. It changes
files only, checks everything before it writes anything, can be run again (it then changes nothing more, and keeps
the secrets `callcenter init --freeswitch-conf` wrote), and prints the fs_cli commands that apply the changes to the
running switch. None of them touches the event socket: see the README ("Running against a real FreeSWITCH").

What it does, and the FreeSWITCH behaviour behind each step (signalwire/freeswitch at cc93a68):
* copies the overlay's files (FILES below). The secret values already in $CONF's copies are kept (KEPT_PARAMS).
* agents' directory users: FreeSWITCH finds a user as the first <user> child of the domain's <users> whose id matches
  (src/switch_xml.c find_user_in_tag / switch_xml_find_child_multi), and the users of directory/default/*.xml are
  included in the sorted order of glob(3) (switch_xml.c preprocess_glob), so the stock 1001.xml ... 1012.xml would
  shadow directory/default/callcenter_agents.xml: the stock files defining an agent's user id are moved aside into
  $CONF/callcenter-replaced/ (which no X-PRE-PROCESS include reaches).
* the trunk ACL: mod_sofia rejects every INVITE with 403 when the list named by apply-inbound-acl does not exist
  (sofia.c: `IP ... Rejected by acl`; switch_core.c switch_check_network_list_ip_port_token finds no list and no
  CIDR), so the list `callcenter_trunks` is added to autoload_configs/acl.conf.xml (default deny; --trunk-cidr
  allows a carrier's addresses, 127.0.0.1/32 when none is given). ACLs are read at start-up and by `reloadacl`
  (mod_commands.c reload_acl_function), not by `reloadxml`.
* the DID extension goes to dialplan/public/zz_callcenter.xml: public.xml includes public/*.xml after its own
  extensions, in sorted order, so every other extension of the public context keeps its numbers and the engine gets
  only what none of them takes. A copy the former instructions put at dialplan/public/00_callcenter.xml (sorted
  before the stock 00_inbound_did.xml, it took that file's number) is moved aside.
* modules.conf.xml loads mod_xml_cdr (and mod_xml_curl with --xml-curl) at the next start.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import re
import secrets
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OVERLAY = Path(__file__).resolve().parent
REPO = OVERLAY.parent.parent
# (file in this repository, where it goes under $CONF)
FILES = [
    (OVERLAY / "autoload_configs" / "event_socket.conf.xml", "autoload_configs/event_socket.conf.xml"),
    (OVERLAY / "autoload_configs" / "xml_cdr.conf.xml", "autoload_configs/xml_cdr.conf.xml"),
    (OVERLAY / "autoload_configs" / "xml_curl.conf.xml", "autoload_configs/xml_curl.conf.xml"),
    (OVERLAY / "sip_profiles" / "callcenter_trunk.xml", "sip_profiles/callcenter_trunk.xml"),
    (OVERLAY / "directory" / "default" / "callcenter_agents.xml", "directory/default/callcenter_agents.xml"),
    (REPO / "dialplans" / "public" / "zz_callcenter.xml", "dialplan/public/zz_callcenter.xml"),
]
# <param name=...> whose value in $CONF's file is kept when the file is replaced (callcenter init's secrets; the event
# socket's password in effect)
KEPT_PARAMS = {"autoload_configs/event_socket.conf.xml": "password",
               "autoload_configs/xml_cdr.conf.xml": "cred",
               "autoload_configs/xml_curl.conf.xml": "gateway-credentials"}
AGENTS_FILE = "directory/default/callcenter_agents.xml"
DID_EXTENSION = "callcenter_inbound"
FORMER_DID_FILE = "dialplan/public/00_callcenter.xml"
TRUNK_ACL = "callcenter_trunks"
DEFAULT_TRUNK_CIDRS = ["127.0.0.1/32"]
BACKUP_DIR = "callcenter-replaced"
# The commands that apply the installed files to a running FreeSWITCH, in order (the README lists the same).
APPLY_STEPS = [
    'fs_cli -x "reloadacl"',                                # reloads the XML (directory, dialplan) and the ACLs
    'fs_cli -x "reload mod_xml_cdr"',                       # loads it when it is not loaded yet
    'fs_cli -x "sofia profile callcenter_trunk start"',
]
XML_CURL_STEP = 'fs_cli -x "reload mod_xml_curl"'


class InstallError(Exception):
    """Something in $CONF prevents the installation; nothing was written."""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Install the call-center overlay into a FreeSWITCH configuration "
                                            "directory (fs_cli -x \"global_getvar conf_dir\").")
    p.add_argument("conf_dir", type=Path, help="FreeSWITCH's configuration directory ($CONF)")
    p.add_argument("--trunk-cidr", action="append", default=[], metavar="CIDR",
                   help="an address (range) the carrier's calls come from, e.g. 203.0.113.10/32; repeatable "
                        "(default 127.0.0.1/32, replaced by the ones given)")
    p.add_argument("--xml-curl", action="store_true",
                   help="also load mod_xml_curl: agents' SIP accounts from the console's database")
    args = p.parse_args(argv)
    try:
        steps = install(args.conf_dir, args.trunk_cidr, args.xml_curl, log=print)
    except InstallError as exc:
        print(f"install.py: {exc}", file=sys.stderr)
        return 1
    print("Apply to the running FreeSWITCH:")
    for step in steps:
        print(f"  {step}")
    return 0


def install(conf: Path, trunk_cidrs: list[str], xml_curl: bool, log=lambda line: None) -> list[str]:
    """Install the overlay into `conf`; returns the commands that apply it. Raises InstallError before any change."""
    conf = conf.resolve()
    if not (conf / "freeswitch.xml").is_file():
        raise InstallError(f"{conf} is not a FreeSWITCH configuration directory (no freeswitch.xml); "
                           'ask FreeSWITCH: fs_cli -x "global_getvar conf_dir"')
    cidrs = [_cidr(c) for c in trunk_cidrs]
    shadowing = _shadowing_users(conf)
    acl_text = _with_trunk_acl(_read(conf / "autoload_configs" / "acl.conf.xml"), cidrs)
    modules = ["mod_xml_cdr"] + (["mod_xml_curl"] if xml_curl else [])
    modules_text = _with_modules(_read(conf / "autoload_configs" / "modules.conf.xml"), modules)
    former_did = conf / FORMER_DID_FILE
    if former_did.is_file() and DID_EXTENSION not in _extension_names(former_did):
        former_did = None          # the operator's own file of that name: not ours to move
    # -- every check passed: write
    for src, rel in FILES:
        if rel == AGENTS_FILE and xml_curl:
            continue            # the console serves the agents (below: no static password to fall back on)
        text = _keep_params(src.read_text(encoding="utf-8"), conf / rel, KEPT_PARAMS.get(rel))
        if rel == AGENTS_FILE:
            text = _agent_passwords(text, conf / rel)
        if _write(conf / rel, text):
            log(f"installed {rel}" + (" (each agent's SIP password is this deployment's own: read it there)"
                                      if rel == AGENTS_FILE else ""))
    if xml_curl and (conf / AGENTS_FILE).is_file():
        # with the directory served by the console, FreeSWITCH falls back to the static users whenever the console
        # answers "not found" (an agent disabled, no SIP password) or cannot be reached: seen on FreeSWITCH 1.11,
        # a disabled agent registered again with the static password. Without them it fails closed.
        _move_aside(conf, conf / AGENTS_FILE)
        log(f"moved {AGENTS_FILE} to {BACKUP_DIR}/ (with --xml-curl the console serves the agents' accounts)")
    gateways = conf / "sip_profiles" / "callcenter_trunk"
    if not gateways.is_dir():       # the profile's gateways include: a missing folder logs an error on every parse
        gateways.mkdir(parents=True)
        log("created sip_profiles/callcenter_trunk/ (the carrier's gateway named trunk goes there: trunk.xml)")
    for path in shadowing:
        _move_aside(conf, path)
        log(f"moved {path.relative_to(conf)} to {BACKUP_DIR}/ (its user is defined by {AGENTS_FILE})")
    if former_did is not None and former_did.is_file():
        _move_aside(conf, former_did)
        log(f"moved {FORMER_DID_FILE} to {BACKUP_DIR}/ (replaced by dialplan/public/zz_callcenter.xml)")
    if _write(conf / "autoload_configs" / "acl.conf.xml", acl_text):
        log(f"acl.conf.xml: list {TRUNK_ACL} allows {', '.join(cidrs or _acl_cidrs(acl_text))}")
    if _write(conf / "autoload_configs" / "modules.conf.xml", modules_text):
        log(f"modules.conf.xml: loads {', '.join(modules)} at start-up")
    return APPLY_STEPS + ([XML_CURL_STEP] if xml_curl else [])


# ---------------------------------------------------------------- directory users
def _user_ids(path: Path) -> list[str]:
    """Ids of the (non-pointer) users a directory file defines, as FreeSWITCH reads it (an <include> wrapper)."""
    try:
        root = ET.fromstring(_read(path))
    except ET.ParseError as exc:
        raise InstallError(f"{path}: not well-formed XML ({exc}); fix it or move it away first") from exc
    return [u.get("id") for u in root.iter("user") if u.get("id") and u.get("type") != "pointer"]


def _shadowing_users(conf: Path) -> list[Path]:
    """Files of directory/default/ that define a user of the agents' file: they sort first and would win."""
    ours = set(_user_ids(OVERLAY / "directory" / "default" / "callcenter_agents.xml"))
    found = []
    for path in sorted((conf / "directory" / "default").glob("*.xml")):
        if path.name == Path(AGENTS_FILE).name:
            continue
        ids = _user_ids(path)
        clash = ours.intersection(ids)
        if clash and set(ids) - ours:
            raise InstallError(f"{path} defines the agents' users {', '.join(sorted(clash))} and others "
                               f"({', '.join(sorted(set(ids) - ours))}): move those users to files of their own first")
        if clash:
            found.append(path)
    return found


def _move_aside(conf: Path, path: Path) -> None:
    target = conf / BACKUP_DIR / path.relative_to(conf)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(target))


# ---------------------------------------------------------------- acl.conf.xml
_ACL_BLOCK = re.compile(r'[ \t]*<list\s+name="%s"[^>]*>.*?</list>[ \t]*\n?' % TRUNK_ACL, re.S)


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as exc:
        raise InstallError(f"--trunk-cidr {value!r}: {exc}") from exc


def _acl_cidrs(acl_text: str) -> list[str]:
    block = _ACL_BLOCK.search(acl_text)
    return re.findall(r'cidr="([^"]+)"', block.group(0)) if block else []


def _with_trunk_acl(text: str, cidrs: list[str]) -> str:
    """acl.conf.xml with the list `callcenter_trunks`: added when missing; its nodes replaced when cidrs are given."""
    if _ACL_BLOCK.search(text) and not cidrs:
        return text
    nodes = "".join(f'      <node type="allow" cidr="{c}"/>\n' for c in cidrs or DEFAULT_TRUNK_CIDRS)
    block = (f'    <list name="{TRUNK_ACL}" default="deny">\n{nodes}    </list>\n')
    if _ACL_BLOCK.search(text):
        return _ACL_BLOCK.sub(lambda _m: block, text, count=1)
    if "</network-lists>" not in text:
        raise InstallError("autoload_configs/acl.conf.xml has no <network-lists> element")
    comment = ("    <!-- the carriers that may send calls to the call-center trunk profile (sip_profiles/"
               "callcenter_trunk.xml); conf/freeswitch/install.py keeps it -->\n")
    head, tail = text.rsplit("</network-lists>", 1)
    return head.rstrip(" \t") + "\n" + comment + block + "  </network-lists>" + tail


# ---------------------------------------------------------------- modules.conf.xml
def _with_modules(text: str, modules: list[str]) -> str:
    """modules.conf.xml loading each module: the stock commented-out line enabled in place, else one added."""
    try:
        loaded = {m.get("module") for m in ET.fromstring(text).iter("load")}
    except ET.ParseError as exc:
        raise InstallError(f"autoload_configs/modules.conf.xml: not well-formed XML ({exc})") from exc
    for module in modules:
        if module in loaded:
            continue
        commented = re.compile(r'<!--\s*(<load\s+module="%s"\s*/>)\s*-->' % re.escape(module))
        if commented.search(text):
            text = commented.sub(lambda m: m.group(1), text, count=1)
        elif "<modules>" in text:
            text = text.replace("<modules>", f'<modules>\n    <load module="{module}"/>', 1)
        else:
            raise InstallError("autoload_configs/modules.conf.xml has no <modules> element")
    return text


# ---------------------------------------------------------------- files
def _extension_names(path: Path) -> list[str]:
    try:
        return [e.get("name") for e in ET.fromstring(_read(path)).iter("extension")]
    except ET.ParseError:
        return []


SHIPPED_PASSWORD = re.compile(r'(<user id="(\d+)">\s*<params>\s*<param name="password" value=")cc-\d+-change-me(")')


def _agent_passwords(text: str, existing: Path) -> str:
    """The agents' file with a password of this deployment's own for each agent instead of the published
    placeholder: the one the installed file has (a second run changes nothing), else a new random one."""
    kept: dict[str, str] = {}
    if existing.is_file():
        live = re.sub(r"<!--.*?-->", "", _read(existing), flags=re.S)
        kept = {uid: pw for uid, pw in re.findall(
            r'<user id="(\d+)">\s*<params>\s*<param name="password" value="([^"]+)"', live)
            if not re.fullmatch(r"cc-\d+-change-me", pw)}
    return SHIPPED_PASSWORD.sub(lambda m: m.group(1) + kept.get(m.group(2), secrets.token_urlsafe(12)) + m.group(3),
                                text)


def _keep_params(text: str, existing: Path, param: str | None) -> str:
    """The overlay file's text with the value of <param name=param> taken from the file it replaces, if it has one
    outside comments (read as text: FreeSWITCH's own parser accepts what a strict XML parser may refuse)."""
    if not param or not existing.is_file():
        return text
    live = re.sub(r"<!--.*?-->", "", _read(existing), flags=re.S)
    pattern = r'(<param\s+name="%s"\s+value=")([^"]*)(")' % re.escape(param)
    found = re.search(pattern, live)
    if found is None:
        return text
    return re.sub(pattern, lambda m: m.group(1) + found.group(2) + m.group(3), text, count=1)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror}") from exc


def _write(path: Path, text: str) -> bool:
    """Write `text` to `path` unless it holds it already; True when written. An existing file keeps its owner and mode;
    a new one is readable by its directory's group (FreeSWITCH's user on packaged installs), not by others."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return True
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    if os.geteuid() == 0:
        st = path.parent.stat()
        os.chown(path, st.st_uid, st.st_gid)
    return True


if __name__ == "__main__":
    sys.exit(main())
