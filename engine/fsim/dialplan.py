"""A tiny XML dialplan interpreter for the shipped dialplans/<context>/*.xml files (mod_dialplan_xml)."""
import glob
import logging
import os
import re
import xml.etree.ElementTree as ET

logger = logging.getLogger(__name__)


class Dialplan:
    """Loads <dialplan-dir>/<context>/*.xml in file-name order and routes a channel to a list of actions."""

    def __init__(self, base_dir):
        self.base_dir = base_dir

    def _extensions(self, context):
        if not self.base_dir:
            return []
        exts = []
        for path in sorted(glob.glob(os.path.join(self.base_dir, context, "*.xml"))):
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError as exc:
                logger.error("dialplan %s: %s", path, exc)
                continue
            exts.extend(root.iter("extension"))
        return exts

    def route(self, context, chan):
        """Return [(app, data)] for the matching extensions (continue="true" keeps looking); [] = no route."""
        actions = []
        for ext in self._extensions(context):
            ext_actions = []
            all_ok = True
            for cond in ext.findall("condition"):
                field = cond.get("field")
                expr = cond.get("expression")
                groups = ()
                ok = True
                if field is not None and expr is not None:
                    value = _field_value(chan, field)
                    try:
                        m = re.search(expr, value)
                    except re.error:
                        m = None
                    ok = m is not None
                    groups = m.groups() if m else ()
                if ok:
                    for act in cond.findall("action"):
                        ext_actions.append((act.get("application"), _subst(act.get("data") or "", groups)))
                else:
                    for act in cond.findall("anti-action"):
                        ext_actions.append((act.get("application"), _subst(act.get("data") or "", groups)))
                    if (cond.get("break") or "on-false") in ("on-false", "always"):
                        all_ok = False
                        break
            # mod_dialplan_xml parse_exten: actions and anti-actions collected so far always run; a failed
            # condition (break on-false) makes the hunt go on to the next extension.
            actions.extend(ext_actions)
            if all_ok and (ext.get("continue") or "false").lower() != "true":
                return actions
        return actions


def _field_value(chan, field):
    p = chan.profile
    mapping = {"destination_number": "Destination-Number", "caller_id_number": "Caller-ID-Number",
               "caller_id_name": "Caller-ID-Name", "ani": "ANI", "context": "Context",
               "network_addr": "Network-Addr", "rdnis": "RDNIS"}
    if field in mapping:
        return str(p.get(mapping[field]) or "")
    m = re.match(r"^\$\{(.+)\}$", field)
    if m:
        return str(chan.variables.get(m.group(1), ""))
    return str(chan.variables.get(field, ""))


def _subst(data, groups):
    # $1..$9 from the condition's regex captures (switch_perform_substitution)
    def rep(m):
        i = int(m.group(1))
        return groups[i - 1] or "" if 0 < i <= len(groups) else ""
    return re.sub(r"\$(\d)", rep, data)
