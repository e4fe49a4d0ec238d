"""Per-scenario diagnosis: replay one capture and print every difference, grouped.

    .venv/bin/python -m tests.fidelity.diagnose 03_inbound_call_ivr [--all] [--stimuli] [--grep REGEX]

Without --all, differences already covered by differences.KNOWN are only counted (per row id); the unexplained ones
are printed grouped by (kind, subject) with the first place each occurs. --stimuli lists the far-end actions the
replay applied. Exit status 1 when an unexplained difference remains.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import OrderedDict

from . import capture
from .compare import Comparator
from .conftest import PROMPTS, make_switch
from .replay import Replayer
from .scenarios import SPECS


def write_prompts(path):
    import wave
    import os
    for name, secs in PROMPTS.items():
        with wave.open(os.path.join(path, name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x00\x00" * int(8000 * secs))


def trace(comp, cap, res, header):
    """Side-by-side view of one header along every event stream (capture | simulator)."""
    import difflib
    for conn, rec in res.conns.items():
        cs, ss = {}, {}
        for f in cap.frames(conn):
            if f.is_event:
                cs.setdefault(comp._key_cap(f), []).append(f)
        for f in rec.frames:
            if f.is_event:
                ss.setdefault(comp._key_sim(f), []).append(f)
        for key, cev in cs.items():
            sev = ss.get(key, [])
            print("== conn %s %s" % (conn, comp.role(key)))
            ct, st = [comp.token(f) for f in cev], [comp.token(f) for f in sev]
            sm = difflib.SequenceMatcher(a=ct, b=st, autojunk=False)
            for op, a0, a1, b0, b1 in sm.get_opcodes():
                for k in range(max(a1 - a0, b1 - b0)):
                    c = cev[a0 + k] if a0 + k < a1 else None
                    s = sev[b0 + k] if b0 + k < b1 else None
                    cv = c.get(header) if c else None
                    sv = s.get(header) if s else None
                    mark = " " if (op == "equal" and cv == sv) else "*"
                    print("%s %-40s %-30r | %-40s %r" % (mark, comp.token(c) if c else "-", cv,
                                                         comp.token(s) if s else "-", sv))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--all", action="store_true", help="also print differences covered by KNOWN")
    ap.add_argument("--stimuli", action="store_true")
    ap.add_argument("--grep", default="", help="only differences whose text matches this regex")
    ap.add_argument("--trace", default="", help="print, per channel stream, each event's token and the value of "
                    "this header in the capture and the simulator side by side")
    args = ap.parse_args(argv)
    spec = SPECS[args.scenario]
    cap = capture.load(args.scenario)
    with tempfile.TemporaryDirectory() as scratch:
        write_prompts(scratch)
        sim = make_switch(spec, scratch)
        sim.start()
        try:
            res = Replayer(cap, sim, spec, scratch).run()
            comp = Comparator(args.scenario, cap, res)   # before stop(): its disconnect notices would close the conns
            comp.run()
        finally:
            sim.stop()
    if args.trace:
        trace(comp, cap, res, args.trace)
    if args.stimuli:
        print("stimuli applied:", [str(s) for s in res.stimuli], "declared:", spec.expect)
    bad = comp.unexplained()
    shown = comp.diffs if args.all else bad
    groups: OrderedDict = OrderedDict()
    for d in shown:
        if args.grep and not re.search(args.grep, str(d)):
            continue
        groups.setdefault((d.kind, d.subject), []).append(d.where)
    for (kind, subject), wheres in groups.items():
        print("[%s] x%d %s\n      first: %s" % (kind, len(wheres), subject, wheres[0]))
    print("explained:", comp.explained())
    print("unexplained: %d  (%d distinct)" % (len(bad), len({(d.kind, d.subject) for d in bad})))
    applied = [s.kind for s in res.stimuli]
    if applied != spec.expect:
        print("STIMULI MISMATCH: applied %s, declared %s" % (applied, spec.expect))
    return 1 if bad or applied != spec.expect else 0


if __name__ == "__main__":
    sys.exit(main())
