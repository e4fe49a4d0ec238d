"""Smoke run of the web load benchmark (make bench-web): a handful of desktops, supervisors and page clients for a
few seconds on a small month of history; the JSON line is whole, every client got in, and the engine served the
callers under the load."""
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
KEYS = ("desktops", "page_clients", "page_p95_s", "event_delivery_p95_s", "request_answer_p95_s", "report_month_s",
        "calls_offered", "calls_answered", "answer_ratio_vs_idle", "engine_loop_stall_max_s")


def test_bench_web_smoke_run_prints_the_figures_as_its_last_line():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_web.py"), "--desktops", "4", "--supervisors", "2",
         "--page-clients", "2", "--actors", "2", "--seconds", "25", "--idle", "4", "--cps", "1", "--talk", "1",
         "--patience", "5", "--history-calls", "3000", "--history-agents", "20"],
        capture_output=True, text=True, timeout=400, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-3000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    for key in KEYS:
        assert key in figures, key
    assert figures["desktops"] == 4 and figures["desktops_connected"] == 4 and figures["login_errors"] == 0
    assert figures["pages"] > 10 and figures["http_5xx"] == 0 and figures["report_runs"] >= 1
    assert figures["requests"] >= 2 and figures["request_answer_p95_s"] is not None
    assert figures["events"] >= 2 and 0 <= figures["event_delivery_p95_s"] < 5
    assert figures["calls_offered"] == 25 and figures["calls_answered"] == 25 and figures["calls_answered_idle"] == 4
    assert figures["answer_ratio_vs_idle"] == 1.0 and figures["engine_loop_stall_max_s"] is not None
