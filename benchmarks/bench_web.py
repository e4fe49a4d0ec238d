"""bench-web: the console at the purchasers' scale (issue 14, R-NF-1) while the engine serves calls.

A scratch database gets a month of history (`callcenter reports seed-year`), DESKTOPS agents with phones on the
simulated switch and an API token each, supervisors and page users. The simulated switch, the engine and the
console (gunicorn, `callcenter web`) run as their own processes. Callers arrive at CPS (0.5 a second: 30 a
minute) for IDLE seconds with nobody on the console, then for SECONDS under the web load:

* DESKTOPS agents' event streams (/api/v1/events), ACTORS of them pressing 示忙/示闲 every 20 s;
* SUPERVISORS: 60 % on the floor view (/floor/data.json every 2 s), the others on wallboards (/wallboard/events);
* PAGE_CLIENTS browsing ordinary pages one after another; one user running the month of agent statistics and,
  every third run, the monthly operating report (XLSX), each computed afresh by the report worker (?fresh=1).

The last line printed is one JSON object: desktops, page_clients, page_p95_s, event_delivery_p95_s (a state change
to the desktop: received − the change's time; event_server_p95_s: of which until the console wrote the document),
request_answer_p95_s (a 示忙/示闲 request to its answer on the stream), report_month_s (the slowest month of agent
statistics), monthly_xlsx_s (the slowest monthly workbook), calls_offered, calls_answered (under the load),
answer_ratio_vs_idle (the share of callers bridged under the load over the share with no load), answer_p95_ms (a
caller's channel to the engine's answer, under the load and idle), engine_loop_stall_max_s (the engine's event loop
late the most, under the load), and the counts behind them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.load import harness  # noqa: E402
from benchmarks.load.control import Control  # noqa: E402
from benchmarks.load.traffic import Traffic  # noqa: E402
from benchmarks.failover.processes import ScratchDatabase  # noqa: E402
from benchmarks.web import clients  # noqa: E402

PASSWORD = "bench-web-password-1"


def _run(cmd: list[str], env: dict, cwd: Path, what: str, timeout: float) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(cwd), timeout=timeout)
    if done.returncode:
        raise harness.RunFailed(f"{what} failed:\n{done.stdout[-1500:]}\n{done.stderr[-2000:]}")
    return done.stdout


def _phase(ctl: Control, n: int, cps: float, seconds: float, first: int, patience: float) -> Traffic:
    t0 = time.time() + 0.3
    return Traffic("127.0.0.1", ctl.port, n, cps, t0, lambda i: {
        "did": harness.DID, "ani": f"139{first + i:08d}", "caller_name": "", "patience": patience}, 4).start()


def _callers(calls_log: list[dict], admitted: set[str]) -> tuple[int, int, list[float]]:
    """(callers, bridged, answer ms of each answered) among `admitted`."""
    mine = [c for c in calls_log if c.get("direction") == "inbound" and c.get("uuid") in admitted]
    answer_ms = [(float(c["answered_at"]) - float(c["created"])) * 1000.0 for c in mine if c.get("answered_at")]
    return len(mine), sum(1 for c in mine if c.get("bridged_at")), answer_ms


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    (work / "flows").mkdir()
    (work / "recordings").mkdir()
    (work / "flows" / f"{harness.FLOW}.yaml").write_text(harness.FLOW_YAML, encoding="utf-8")
    scratch = ScratchDatabase(work, args.database_url or None)    # SQLite here, or a database of its own on the server
    scratch.create()
    db_url = scratch.url
    esl_port, ctl_port, web_port = harness.free_ports(3)
    scn = harness.Scenario(agents=args.desktops, cps=args.cps, seconds=args.seconds, ring=1.0, talk=args.talk,
                           patience=args.patience, first_extension=7001)
    exts = scn.extensions()
    env = harness._env(ROOT, {
        "CALLCENTER_ESL_HOST": "127.0.0.1", "CALLCENTER_ESL_PORT": str(esl_port),
        "CALLCENTER_ESL_PASSWORD": harness.BENCH_ESL_PASSWORD, "CALLCENTER_DATABASE_URL": db_url,
        "CALLCENTER_PATHS_FLOWS_DIR": str(work / "flows"), "CALLCENTER_PATHS_RECORDINGS_DIR": str(work / "recordings"),
        "CALLCENTER_SWITCH_RING_TIMEOUT": "20", "CALLCENTER_WEB_BIND": f"127.0.0.1:{web_port}",
        "CALLCENTER_SIM_CONTROL_PORT": str(ctl_port), "BENCH_ENGINE_LOG_LEVEL": "WARNING",
        "BENCH_ENGINE_STALLS": str(work / "stalls.json"),
        **({"CALLCENTER_WEB_WORKERS": str(args.web_workers)} if args.web_workers else {})})
    procs: dict[str, subprocess.Popen] = {}
    stop = threading.Event()
    try:
        # ---- a month of history, then the benchmark's own agents, their tokens and the console's users
        last = dt.date.today() - dt.timedelta(days=1)
        first = last - dt.timedelta(days=29)
        say(f"bench-web: seeding {args.history_calls:,} calls of history ({first} to {last}) into {db_url}")
        started = time.time()
        _run([sys.executable, "-m", "engine", "reports", "seed-year", "--calls", str(args.history_calls),
              "--start", first.isoformat(), "--days", "30", "--agents", str(args.history_agents)], env, work,
             "seed-year", 1800)
        say(f"  history seeded in {time.time() - started:.0f} s")
        harness.seed(ROOT, work, db_url, exts, scn)
        employee_nos = [f"L{e}" for e in exts]
        out = _run([sys.executable, str(ROOT / "benchmarks" / "web" / "seed_users.py"), json.dumps({
            "database_url": db_url, "employee_nos": employee_nos, "supervisors": args.supervisors,
            "page_clients": args.page_clients, "password": PASSWORD})], env, work, "seeding the users", 600)
        tokens = json.loads(out.strip().splitlines()[-1])["tokens"]

        # ---- the switch, the engine, the console
        logs = {name: open(work / f"{name}.log", "wb") for name in ("sim", "engine", "web")}
        procs["sim"] = subprocess.Popen(
            [sys.executable, "-m", "engine.fsim", "--host", "127.0.0.1", "--port", str(esl_port), "--password",
             harness.BENCH_ESL_PASSWORD, "--control-port", str(ctl_port), "--dialplan-dir", str(ROOT / "dialplans"),
             "--time-scale", "1", "--log-level", "WARNING"], stdout=logs["sim"], stderr=subprocess.STDOUT,
            env=harness._env(ROOT), cwd=str(work))
        ctl = Control("127.0.0.1", ctl_port)
        harness._wait(lambda: harness._answers(ctl, "/phones"), 30, "the simulator", procs["sim"], work / "sim.log")
        for e in exts:
            ctl.post("/phones", {"ext": e, "register": True, "behaviour": "answer", "answer_delay": 1.0,
                                 "talk_time": args.talk})
        procs["engine"] = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "load" / "engine_main.py")],
                                           stdout=logs["engine"], stderr=subprocess.STDOUT, env=env, cwd=str(work))
        harness._wait(lambda: any("show channels" in c.get("command", "") for c in ctl.get("/commands")), 60,
                      "the engine to connect", procs["engine"], work / "engine.log")
        procs["web"] = subprocess.Popen([sys.executable, "-m", "engine", "web"], stdout=logs["web"],
                                        stderr=subprocess.STDOUT, env=env, cwd=str(work))
        harness._wait(lambda: harness._port_open(web_port), 60, "the console", procs["web"], work / "web.log")
        time.sleep(2.0)

        # ---- callers with nobody on the console
        idle_n = int(round(args.cps * args.idle))
        say(f"  idle: {idle_n} callers in {args.idle:g} s, no web load")
        idle = _phase(ctl, idle_n, args.cps, args.idle, 0, args.patience)
        idle.join(args.idle + 60)
        time.sleep(args.patience + 2)

        # ---- the web load, then callers under it
        stats = clients.Stats()
        host = "127.0.0.1"
        desktops = [clients.Desktop(host, web_port, tokens[n], stats, stop) for n in employee_nos]
        threads: list[threading.Thread] = list(desktops)
        threads += [clients.Actor(host, web_port, tokens[employee_nos[i]], desktops[i], 20.0, stats, stop)
                    for i in range(min(args.actors, len(desktops)))]
        floors = int(round(args.supervisors * 0.6))
        threads += [clients.FloorViewer(host, web_port, f"sup{i:03d}", PASSWORD, stats, stop)
                    for i in range(floors)]
        threads += [clients.Wallboard(host, web_port, f"sup{i:03d}", PASSWORD, stats, stop)
                    for i in range(floors, args.supervisors)]
        threads += [clients.PageClient(host, web_port, f"page{i:03d}", PASSWORD, stats, stop)
                    for i in range(args.page_clients)]
        threads.append(clients.ReportRunner(host, web_port, "report000", PASSWORD, stats, stop, first=first,
                                            last=last))
        say(f"  web load: {len(desktops)} desktop streams ({args.actors} pressing 示忙/示闲 every 20 s), "
            f"{floors} floor views, {args.supervisors - floors} wallboards, {args.page_clients} page clients, "
            "1 report user")
        for t in threads:
            t.start()
        connected = sum(d.connected.wait(60) for d in desktops)
        say(f"  {connected}/{len(desktops)} desktops connected")
        stats.recording = True
        stall_mark = _stalls(work)
        load_n = int(round(args.cps * args.seconds))
        loaded = _phase(ctl, load_n, args.cps, args.seconds, 1_000_000, args.patience)
        t_end = time.time() + args.seconds
        while time.time() < t_end:
            time.sleep(min(10.0, max(0.0, t_end - time.time())))
            say(f"  t-{max(0.0, t_end - time.time()):5.0f} s  pages {len(stats.samples.get('page', []))}  events "
                f"{len(stats.samples.get('event_delivery', []))}  requests {stats.counts.get('requests', 0)}")
        loaded.join(60)
        time.sleep(args.patience + 2)
        stats.recording = False
        stall_max = _stalls(work, since=stall_mark)
        stop.set()
        calls_log = ctl.get("/calls_log")
        idle_callers, idle_bridged, idle_answer = _callers(calls_log, {p.uuid for p in idle.admitted()})
        load_callers, load_bridged, load_answer = _callers(calls_log, {p.uuid for p in loaded.admitted()})
        s = stats.samples
        if args.samples:
            Path(args.samples).write_text(json.dumps(s))
        idle_ratio = idle_bridged / idle_callers if idle_callers else None
        load_ratio = load_bridged / load_callers if load_callers else None
        return {
            "desktops": len(desktops), "desktops_connected": connected, "supervisors": args.supervisors,
            "page_clients": args.page_clients,
            "page_p50_s": clients.percentile(s.get("page", []), 50),
            "page_p95_s": clients.percentile(s.get("page", []), 95), "pages": len(s.get("page", [])),
            "floor_p95_s": clients.percentile(s.get("floor", []), 95),
            "event_delivery_p95_s": clients.percentile(s.get("event_delivery", []), 95),
            "events": len(s.get("event_delivery", [])),
            "event_server_p95_s": clients.percentile(s.get("event_server", []), 95),
            "request_answer_p95_s": clients.percentile(s.get("request_answer", []), 95),
            "requests": stats.counts.get("requests", 0), "requests_given_up": stats.counts.get("requests_given_up", 0),
            "report_month_s": round(max(s.get("report_month", [0.0]) or [0.0]), 3) if s.get("report_month") else None,
            "report_runs": len(s.get("report_month", [])),
            "monthly_xlsx_s": round(max(s["monthly_xlsx"]), 3) if s.get("monthly_xlsx") else None,
            "monthly_xlsx_runs": len(s.get("monthly_xlsx", [])),
            "calls_offered": load_callers, "calls_answered": load_bridged,
            "calls_offered_idle": idle_callers, "calls_answered_idle": idle_bridged,
            "answer_ratio_vs_idle": round(load_ratio / idle_ratio, 3) if idle_ratio and load_ratio is not None
            else None,
            "answer_p95_ms": clients.percentile(load_answer, 95), "answer_p95_ms_idle": clients.percentile(idle_answer, 95),
            "engine_loop_stall_max_s": stall_max,
            "http_5xx": stats.counts.get("http_5xx", 0), "page_errors": stats.counts.get("page_errors", 0),
            "stream_errors": stats.counts.get("stream_errors", 0), "login_errors": stats.counts.get("login_errors", 0),
            "wallboard_snapshots": stats.counts.get("wallboard_snapshots", 0),
            "history_calls": args.history_calls, "seconds": args.seconds, "cps": args.cps,
            "database": "postgresql" if db_url.startswith("postgresql") else "sqlite",
        }
    finally:
        stop.set()
        for name in ("web", "engine", "sim"):
            harness._stop(procs.get(name), 20)
        if args.keep:
            say(f"  scratch directory kept: {work}" + (f", database {scratch.url}" if scratch.name else ""))
        else:
            scratch.drop()
            shutil.rmtree(work, ignore_errors=True)


def _stalls(work: Path, since: dict | None = None) -> float | dict | None:
    """The engine's loop lateness (benchmarks/load/engine_main.py writes it every second): a mark, or the largest
    stall after a mark."""
    try:
        data = json.loads((work / "stalls.json").read_text())
    except (OSError, ValueError):
        return None if since is not None else {}
    if since is None:
        return data
    recent = [late for at, late in data.get("recent", []) if at >= since.get("at", 0)]
    return round(max(recent), 3) if recent else None


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--desktops", type=int, default=190)
    ap.add_argument("--supervisors", type=int, default=10)
    ap.add_argument("--page-clients", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=120.0, help="seconds of callers under the web load")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of callers before, with no web load")
    ap.add_argument("--actors", type=int, default=20, help="desktops pressing 示忙/示闲 every 20 s")
    ap.add_argument("--cps", type=float, default=0.5, help="callers per second (0.5: 30 a minute)")
    ap.add_argument("--talk", type=float, default=20.0)
    ap.add_argument("--patience", type=float, default=30.0)
    ap.add_argument("--history-calls", type=int, default=100_000, help="calls of the seeded month")
    ap.add_argument("--history-agents", type=int, default=124)
    ap.add_argument("--database-url", default="", help="a PostgreSQL server (any database on it) to run on instead of "
                    "SQLite: a scratch database is created there and dropped")
    ap.add_argument("--web-workers", type=int, default=0, help="console worker processes (default: [web] workers)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--samples", default="", help="write every sample (seconds, by name) to this JSON file")
    args = ap.parse_args(argv)
    try:
        figures = run(args)
    except harness.RunFailed as exc:
        print(f"bench-web failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
