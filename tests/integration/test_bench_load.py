"""Smoke run of the load benchmark (make bench-load): a few seconds of calls, the JSON line is whole and sane."""
from __future__ import annotations

import pytest

import json
import subprocess
import sys
from pathlib import Path

# timing-sensitive (an accelerated clock, or a load benchmark): never beside another of them (make test:
# --dist loadgroup), so that one does not starve the other of CPU
pytestmark = pytest.mark.xdist_group("timing")

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
    # nobody rings for c1 (7002 talks to another caller): 7001 has been idle since the start (2 s) -> counted
    fig = run([caller("c1", 100.0, 102.0), leg("a1", "7002", 100.0, 110.0, answered=100.1, bridged=100.1)],
              {"c1"})
    assert fig["abandons_with_idle_agent"] == 1 and fig["abandons_with_agent_idle_1s"] == 1
    # the same, 7001 freed 50 ms before the hang-up: the engine reacting, not an agent sitting idle
    fig = run([caller("c1", 100.0, 102.0), leg("a1", "7002", 100.0, 110.0, answered=100.1, bridged=100.1),
               leg("a2", "7001", 100.0, 101.95, answered=100.2, bridged=100.2)], {"c1"})
    assert fig["abandons_at_a_free_instant"] == 1 and fig["abandons_with_idle_agent"] == 0
    # a phone that answered and is being bridged serves a waiting caller: c1 gives up 20 ms after 7002 answered
    # for it, before the bridge; 7001 idle since the start is not idle *beside* an unserved caller
    fig = run([caller("c1", 100.0, 102.0), leg("a1", "7002", 100.0, 102.02, answered=101.98)], {"c1"})
    assert fig["abandons_at_a_free_instant"] == 1 and fig["abandons_with_idle_agent"] == 0


def test_a_phone_rung_after_its_previous_legs_hangup_completed_is_no_double_offer_on_a_real_switchs_records():
    """A real FreeSWITCH's records carry CHANNEL_HANGUP_COMPLETE (mod_sofia has sent or answered the BYE by then)
    and a CHANNEL_DESTROY one 20 ms tick later: a leg created in between is no double offer, but is counted in
    offers_before_previous_leg_destroyed; one created before the hang-up completed is a double offer."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.load.figures import RunInputs, compute

    def with_end(record, complete, destroyed):
        return dict(record, hangup_complete=complete, destroyed=destroyed)

    log = [
        caller("c1", 100.0, 104.02, bridged=101.0, partner="a1"),
        with_end(leg("a1", "1000", 100.0, 104.0, answered=101.0, bridged=101.0), 104.0, 104.02),
        caller("c2", 100.5, 110.0, bridged=105.0, partner="a2"),
        with_end(leg("a2", "1000", 104.0, 108.0, answered=105.0, bridged=105.0), 108.0, 108.02),
        caller("c3", 103.0, 112.0, bridged=109.0, partner="a3"),
        with_end(leg("a3", "1000", 107.98, 112.0, answered=109.0, bridged=109.0), 112.0, 112.02),
    ]
    fig = compute(RunInputs(calls_log=log, admitted={"c1", "c2", "c3"}, phones={"1000": True},
                            run_start=100.0, seconds=12.0, ring=1.0, talk=3.0, cps=0.25))
    assert fig["double_offers"] == 1                      # a3: created 20 ms before a2's hang-up completed
    assert fig["offers_before_previous_leg_destroyed"] == 2


def test_the_real_switch_observer_turns_events_into_the_records_the_figures_read():
    """benchmarks/load/realfs.py's observer on a hand-made event stream (no FreeSWITCH needed): creation, answer,
    bridge (the caller is told with uuid_send_info), hang-up with the disposition of the last event carrying it."""
    sys.path.insert(0, str(ROOT))
    from urllib.parse import quote

    from engine.switch.frames import parse_plain_event
    from benchmarks.load import realfs

    sent = []

    class FakeEsl:
        def send(self, line):
            sent.append(line)

    obs = realfs.Observer.__new__(realfs.Observer)
    obs.esl, obs.did, obs.channels, obs.error = FakeEsl(), "95566", {}, None
    obs.lock = __import__("threading").Lock()

    def ev(name, uuid, t_us, **headers):
        lines = {"Event-Name": name, "Unique-ID": uuid, "Event-Date-Timestamp": str(t_us)}
        lines.update({k.replace("__", "-").replace("var_", "variable_"): v for k, v in headers.items()})
        obs._event(parse_plain_event("".join(f"{k}: {quote(str(v))}\n" for k, v in lines.items())))

    ev("CHANNEL_CREATE", "c1", 1_000_000, Call__Direction="inbound", Channel__Name="sofia/external/139@x",
       Caller__Destination__Number="95566")
    ev("CHANNEL_ANSWER", "c1", 1_020_000)
    ev("CHANNEL_CREATE", "a1", 1_040_000, Call__Direction="outbound", Channel__Name="sofia/internal/1000@x",
       var_dialed_user="1000")
    ev("CHANNEL_ANSWER", "a1", 2_040_000)
    ev("CHANNEL_BRIDGE", "c1", 2_060_000, Bridge__A__Unique__ID="c1", Bridge__B__Unique__ID="a1")
    ev("CHANNEL_HANGUP", "a1", 5_060_000, Hangup__Cause="NORMAL_CLEARING")
    ev("CHANNEL_HANGUP_COMPLETE", "a1", 5_060_000, var_sip_hangup_disposition="recv_bye",
       var_last_bridge_to="c1")
    ev("CHANNEL_DESTROY", "a1", 5_080_000)
    records = {c["uuid"]: c for c in obs.snapshot()}
    assert sent == ["bgapi uuid_send_info c1 bridged"]
    a1 = records["a1"]
    assert (a1["created"], a1["answered_at"], a1["bridged_at"], a1["ended"], a1["hangup_complete"],
            a1["destroyed"]) == (1.04, 2.04, 2.06, 5.06, 5.06, 5.08)
    assert a1["disposition"] == "recv_bye" and a1["variables"] == {"dialed_user": "1000", "last_bridge_to": "c1"}
    assert records["c1"]["bridged_at"] == 2.06 and records["c1"]["destination"] == "95566"
    assert [c["uuid"] for c in obs.alive()] == ["c1"]


def test_a_reoffer_in_the_same_20ms_tick_as_the_previous_legs_end_is_a_zero_gap():
    """A real FreeSWITCH stamps events on its 20 ms clock: a leg created in the tick the phone's previous leg ended
    is the next leg (gap 0), not skipped for a later one."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.load.figures import RunInputs, compute

    log = [
        caller("c1", 100.0, 104.0, bridged=101.0, partner="a1"),
        leg("a1", "1000", 100.0, 104.0, answered=101.0, bridged=101.0),
        caller("c2", 100.5, 109.0, bridged=105.0, partner="a2"),
        caller("c3", 101.0, 110.0, bridged=None),                        # waits unrung throughout, gives up
        leg("a2", "1000", 104.0, 109.0, answered=105.0, bridged=105.0),
    ]
    fig = compute(RunInputs(calls_log=log, admitted={"c1", "c2", "c3"}, phones={"1000": True},
                            run_start=100.0, seconds=10.0, ring=1.0, talk=3.0, cps=0.3))
    # a1 ends at 104.0 while c2 and c3 wait and nothing rings: the next leg (a2, the same tick) -> 0 ms; a2 ends at
    # 109 while c3 still waits, and the phone is never rung again (censored at c3's end: 1000 ms)
    assert fig["reoffer_gaps"] == 2 and fig["reoffer_never"] == 1
    assert fig["reoffer_gap_ms_p50"] == 0.0 and fig["reoffer_gap_ms_max"] == 1000.0
