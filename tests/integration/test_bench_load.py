"""Smoke run of the load benchmark (make bench-load): a few seconds of calls, the JSON line is whole and sane."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("offered_cps", "agents", "capacity_per_s", "bridged_per_s", "abandoned", "abandons_with_idle_agent",
        "double_offers", "reoffer_gap_ms_p50", "reoffer_gap_ms_p99", "controller_cpu_ms_per_call")


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)


def test_bench_load_smoke_run_prints_the_figures_as_its_last_line():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_load.py"), "--agents", "4", "--cps", "2", "--seconds", "4",
         "--ring", "0.2", "--talk", "0.5"],
        capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-3000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) > 1, out.stdout               # progress lines first
    figures = json.loads(lines[-1])
    for key in KEYS:
        assert key in figures, key
    assert figures["offered_cps"] == 2.0 and figures["agents"] == 4
    assert abs(figures["capacity_per_s"] - 4 / 0.7) < 0.01
    assert figures["offered"] == 8 and figures["admitted"] + figures["refused_invites"] == 8
    assert figures["bridged"] > 0 and figures["bridged_per_s"] > 0
    assert figures["controller_cpu_ms_per_call"] is not None and figures["controller_cpu_ms_per_call"] > 0
    assert figures["stuck_channels"] == 0
    signed = {"reoffer_after_hangup_ms_min", "reoffer_after_hangup_ms_p50"}   # negative = a double offer
    assert all(n >= 0 for n in _numbers({k: v for k, v in figures.items() if k not in signed})), figures
    # under light load everyone is served
    assert figures["bridged"] + figures["abandoned"] + figures["released_unbridged"] == figures["admitted"]
    assert figures["abandons_with_idle_agent"] <= figures["abandoned"]


def leg(uuid, ext, created, ended, answered=None, bridged=None, cause="NORMAL_CLEARING"):
    return {"uuid": uuid, "direction": "outbound", "name": f"sofia/internal/{ext}@127.0.0.1:5071",
            "variables": {"dialed_user": ext}, "created": created, "answered_at": answered,
            "bridged_at": bridged, "ended": ended, "hangup_cause": cause, "disposition": "send_bye"}


def caller(uuid, created, ended, bridged=None, partner=None):
    return {"uuid": uuid, "direction": "inbound", "name": "sofia/internal/139@127.0.0.1:5070",
            "variables": {"last_bridge_to": partner} if partner else {}, "created": created,
            "answered_at": created, "bridged_at": bridged, "ended": ended, "hangup_cause": "NORMAL_CLEARING",
            "disposition": "recv_bye" if not bridged else "send_bye"}


def test_figures_from_a_hand_made_switch_log():
    """The definitions on a tiny log: two phones, three callers (one abandons while phone 2 sits idle)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.load.figures import RunInputs, compute

    log = [
        caller("c1", 100.0, 105.0, bridged=101.0, partner="a1"),
        caller("c2", 100.5, 108.0, bridged=107.0, partner="a3"),
        caller("c3", 100.6, 103.0),                                   # abandons at 103: phone 7002 has no leg
        leg("a1", "7001", 100.0, 104.0, answered=101.0, bridged=101.0),
        leg("a2", "7002", 100.5, 102.0, cause="ORIGINATOR_CANCEL"),   # c2 waits on; 7002 rung again at 106
        leg("a3", "7002", 106.0, 108.0, answered=107.0, bridged=107.0),
        leg("a4", "7001", 103.5, 103.6, cause="USER_BUSY"),           # rung while a1 is still up: double offer
    ]
    fig = compute(RunInputs(calls_log=log, admitted={"c1", "c2", "c3"}, phones={"7001": True, "7002": True},
                            run_start=100.0, seconds=10.0, ring=1.0, talk=3.0, cps=0.3))
    assert fig["capacity_per_s"] == 0.5
    assert fig["bridged"] == 2 and fig["abandoned"] == 1 and fig["abandons_with_idle_agent"] == 1
    assert fig["abandons_with_agent_idle_1s"] == 1 and fig["abandons_at_a_free_instant"] == 1
    assert fig["double_offers"] == 1 and fig["agent_leg_busy"] == 1
    # legs ending while c2 waits: a2 at 102 (next leg 106: 4000 ms), a4 at 103.6 and a1 at 104 (7001 never
    # rung again: censored at c2's bridge, 107 - 103.6 and 107 - 104)
    assert fig["reoffer_gaps"] == 3 and fig["reoffer_never"] == 2
    assert fig["reoffer_gap_ms_p50"] == 3400.0 and fig["reoffer_gap_ms_p99"] == 4000.0


def test_an_agent_freed_a_moment_before_an_abandon_is_not_sitting_idle_nor_is_one_whose_callers_are_all_rung():
    """A phone freed 50 ms before a caller gives up (and rung again right after) is the engine reacting: counted in
    abandons_at_a_free_instant only. A leg ending while the only waiting caller is being rung by another phone
    opens no re-offer gap (nobody waits for that agent), though it counts in reoffer_gap_ms_p99_any_waiting."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.load.figures import RunInputs, compute
    log = [
        caller("c1", 100.0, 104.0, bridged=100.5, partner="a1"),
        leg("a1", "7001", 100.0, 103.0, answered=100.5, bridged=100.5),       # 7001 free at 103.00
        caller("c2", 101.0, 103.05),                                          # gives up at 103.05
        leg("a2", "7001", 103.06, 103.5, cause="ORIGINATOR_CANCEL"),           # rung again 60 ms after
        caller("c3", 102.0, 110.0, bridged=106.0, partner="a4"),
        leg("a3", "7002", 102.0, 104.5, cause="ORIGINATOR_CANCEL"),            # ends at 104.5: c3 is rung by a4
        leg("a4", "7003", 103.02, 110.0, answered=106.0, bridged=106.0),
    ]
    fig = compute(RunInputs(calls_log=log, admitted={"c1", "c2", "c3"},
                            phones={"7001": True, "7002": True, "7003": True},
                            run_start=100.0, seconds=10.0, ring=1.0, talk=3.0, cps=0.3))
    assert fig["abandoned"] == 1 and fig["abandons_at_a_free_instant"] == 1
    assert fig["abandons_with_idle_agent"] == 0 and fig["abandons_with_agent_idle_1s"] == 0
    # legs ending while a caller waits: a1 at 103 (c2 and c3 wait, a3 rings for one of them: unserved, next leg
    # 60 ms later), a2 at 103.5 (c3 waits, a3 and a4 ring: served), a3 at 104.5 (c3 waits, a4 rings: served)
    assert fig["reoffer_gaps"] == 1 and fig["reoffer_gap_ms_p50"] == 60.0
    assert fig["reoffer_gap_ms_p99_any_waiting"] > 1000


def test_an_abandon_counts_beside_an_idle_agent_only_when_a_caller_waited_unrung_and_the_phone_was_free_100ms():
    sys.path.insert(0, str(ROOT))
    from benchmarks.load.figures import RunInputs, compute

    def run(log, admitted):
        return compute(RunInputs(calls_log=log, admitted=admitted, phones={"7001": True, "7002": True},
                                 run_start=100.0, seconds=10.0, ring=1.0, talk=3.0, cps=0.3))
    # c1 gives up while 7002 rings for it; 7001 sits idle, but nobody waited that no phone rang for
    fig = run([caller("c1", 100.0, 102.0), leg("a1", "7002", 100.0, 102.01, cause="ORIGINATOR_CANCEL")], {"c1"})
    assert fig["abandons_at_a_free_instant"] == 1 and fig["abandons_with_idle_agent"] == 0
    # nobody rings for c1: 7001 has been idle since the start (2 s) -> counted
    fig = run([caller("c1", 100.0, 102.0), leg("a1", "7002", 100.0, 110.0, answered=100.1)], {"c1"})
    assert fig["abandons_with_idle_agent"] == 1 and fig["abandons_with_agent_idle_1s"] == 1
    # the same, 7001 freed 50 ms before the hang-up: the engine reacting, not an agent sitting idle
    fig = run([caller("c1", 100.0, 102.0), leg("a1", "7002", 100.0, 110.0, answered=100.1),
               leg("a2", "7001", 100.0, 101.95, answered=100.2)], {"c1"})
    assert fig["abandons_at_a_free_instant"] == 1 and fig["abandons_with_idle_agent"] == 0
