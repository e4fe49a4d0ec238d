"""Load benchmark: the engine (its own process) against the simulated FreeSWITCH under a constant call rate.

The scenario of the runs on a real FreeSWITCH 1.11: AGENTS agents' SIP phones answer after RING seconds and
hang up after TALK seconds of talk, NOANSWER of them never answer (they ring until the queue's ring timeout,
20 s); one queue, wrap-up 0, a flow straight to the queue (no prompt); callers arrive at CPS per second, evenly
spaced (SIPp -r), for SECONDS seconds and give up after PATIENCE seconds unless bridged; the switch has
FreeSWITCH's default limits (30 sessions per second, 1000 sessions) when the simulator supports them.

    .venv/bin/python benchmarks/bench_load.py [--agents 20] [--cps 20] [--seconds 30] [--ring 1] [--talk 3]
        [--patience 20] [--noanswer 0] [--engine-root PATH] [--keep]
    make bench-load AGENTS=20 CPS=40 SECONDS=30 ...     (ENGINE_ROOT=path for another checkout's engine)
    make bench-load FS=127.0.0.1:8021 CPS=20 [ENGINE_RT=1]   (the same run on a real FreeSWITCH, with SIPp phones
        and callers: benchmarks/load/realfs.py says what the switch needs; the figures come from its events)

Progress lines, then as the LAST line one JSON object. Every figure except the CPU comes from the switch's own
records (GET /calls_log: each destroyed channel with its creation, answer, bridge and hang-up times):

  offered_cps                 the arrival rate
  agents                      agents (phones) on the floor
  capacity_per_s              answering agents / (RING + TALK): calls per second the floor can serve
  bridged_per_s               callers bridged to an agent within SECONDS of the first bridge, / SECONDS
                              (the steady throughput; `bridged` counts every bridge, drain included)
  abandoned                   admitted callers who hung up without ever being bridged
  abandons_with_idle_agent    of those, abandons at whose instant a caller waited that no phone rang for (more callers
                              waiting unbridged than agent legs not yet bridged: ringing, or answered and being bridged) and an answering phone had had no leg on the
                              switch for 100 ms or more while its agent was logged in (an agent wrongly set
                              not-ready counts); a phone freed less than 100 ms before (the re-offer target) is the
                              engine reacting. abandons_at_a_free_instant counts every abandon at whose instant a
                              phone had no leg, with neither condition
  double_offers               legs created to a phone that still had another leg alive
  reoffer_gap_ms_p50/_p99     for each agent leg that ends while a caller waits unbridged that no phone is ringing
                              for (more callers waiting than agent legs not yet bridged; legs that rang out excluded:
                              not-ready after no answer is by design), the time to the next leg to the same phone;
                              a phone never rung again enters with the time to the end of the last wait (a lower
                              bound) and is counted in reoffer_never. reoffer_gap_by_end splits them by how the leg
                              ended (answered = a finished call, ORIGINATOR_CANCEL = the caller left while it rang);
                              reoffer_gap_ms_p99_any_waiting counts every leg ending while anyone waits, rung for or
                              not; under light load the gaps are mostly plain idle time
  controller_cpu_ms_per_call  the engine process's CPU (user+system, /proc/<pid>/stat) from the first call to the
                              end of the drain, per caller bridged (all of them, drain included); at overload it
                              carries the callers who gave up too (answered, queued, logged, recorded as the
                              bridged ones): controller_cpu_ms_per_admitted_call divides by every admitted caller
Extras: offered, admitted, refused_invites (POST /calls answered 503), refused_agent_legs (originates the switch
refused, GET /capacity), bridged, answered_by_agents, ring_timeout, agent_leg_causes, abandons_at_a_free_instant, abandons_with_agent_idle_1s
(the idle phone had been idle 1 s already), reoffer_after_hangup_ms_min / _p50 (how soon a phone is rung after its previous
leg hung up; negative for a double offer), reoffers_within_20ms_of_hangup (double offers on a real FreeSWITCH,
which destroys a leg up to 20 ms after its hang-up), wait_ms_p50/p99_bridged, sim_cpu_share, the engine's own view from
its database (engine_offer_results, engine_not_ready_changes, engine_agents_at_end), stuck_channels.
Exit status 1 when the run could not be carried out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.load.harness import RunFailed, Scenario, run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--cps", type=float, default=20.0, help="calls per second (evenly spaced)")
    ap.add_argument("--seconds", type=float, default=30.0, help="seconds of arrivals")
    ap.add_argument("--ring", type=float, default=1.0, help="seconds an answering phone rings")
    ap.add_argument("--talk", type=float, default=3.0, help="seconds of talk before the agent hangs up")
    ap.add_argument("--patience", type=float, default=20.0, help="seconds a caller waits unless bridged")
    ap.add_argument("--noanswer", type=int, default=0, help="agents whose phones never answer")
    ap.add_argument("--ring-timeout", type=int, default=20, help="the queue's ring timeout (s)")
    ap.add_argument("--sessions-per-second", type=int, default=30, help="switch session rate (FreeSWITCH: 30)")
    ap.add_argument("--max-sessions", type=int, default=1000, help="switch session limit (FreeSWITCH: 1000)")
    ap.add_argument("--engine-root", default=None,
                    help="checkout whose engine to run (PYTHONPATH of the engine process only); the simulator "
                         "always comes from this checkout")
    ap.add_argument("--engine-log-level", default="INFO", help="the engine's log level (INFO, as it runs in production)")
    ap.add_argument("--web-load", type=int, default=0,
                    help="clients logging in to the console (its own processes) with wrong passwords meanwhile")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (database, logs)")
    ap.add_argument("--freeswitch", metavar="HOST:PORT[:PASSWORD]", default=None,
                    help="run on this real FreeSWITCH's event socket with SIPp phones and callers instead of the "
                         "simulator (benchmarks/load/realfs.py says what the switch needs)")
    ap.add_argument("--engine-rt-priority", type=int, default=None,
                    help="with --freeswitch: run the engine with `chrt -r N` (FreeSWITCH's own threads run real-time)")
    ap.add_argument("--controller", choices=("engine", "mod_callcenter"), default="engine",
                    help="with --freeswitch: who runs the queue; mod_callcenter runs FreeSWITCH's own on the same "
                         "phones and callers, for a side-by-side figure (benchmarks/load/realfs.py says what it needs)")
    ap.add_argument("--sip-ip", default="", help="with --freeswitch: the address its SIP profiles listen on "
                                                 "(default: its local_ip_v4)")
    a = ap.parse_args(argv)
    if a.agents < 1 or a.cps <= 0 or a.seconds <= 0 or not 0 <= a.noanswer <= a.agents:
        ap.error("need --agents >= 1, --cps > 0, --seconds > 0 and 0 <= --noanswer <= --agents")
    scn = Scenario(agents=a.agents, cps=a.cps, seconds=a.seconds, ring=a.ring, talk=a.talk, patience=a.patience,
                   noanswer=a.noanswer, ring_timeout=a.ring_timeout, sessions_per_second=a.sessions_per_second,
                   max_sessions=a.max_sessions, keep=a.keep, engine_log_level=a.engine_log_level,
                   web_load=a.web_load)
    if a.engine_root:
        scn.engine_root = os.path.abspath(a.engine_root)
    say = lambda m: print(m, flush=True)  # noqa: E731
    try:
        if a.freeswitch:
            from benchmarks.load.realfs import RealSwitch, run_real
            host, _, rest = a.freeswitch.partition(":")
            port, _, password = rest.partition(":")
            scn.first_extension = 1000      # the stock directory's users 1000...
            figures = run_real(scn, RealSwitch(esl_host=host or "127.0.0.1", esl_port=int(port or 8021),
                                               esl_password=password or "ClueCon", sip_ip=a.sip_ip,
                                               engine_rt_priority=a.engine_rt_priority,
                                               controller=a.controller), say=say)
        else:
            figures = run(scn, say=say)
    except RunFailed as exc:
        print(f"bench-load: {exc}", file=sys.stderr, flush=True)
        return 1
    print(json.dumps(figures, ensure_ascii=False, sort_keys=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
