"""Child process: the engine alone, as `callcenter run --no-sim --no-web --no-demo`, with a quiet log level.

Run with PYTHONPATH=<engine root> and CALLCENTER_* pointing at the scratch database, flows and the switch.
BENCH_ENGINE_LOG_LEVEL (default WARNING) is applied before the command's own logging.basicConfig, which then
does nothing: per-call INFO lines would cost the engine CPU the benchmark measures.
"""
import os
import sys

if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)     # this folder must not shadow anything the engine imports

from gevent import monkey  # noqa: E402

monkey.patch_all()

import logging  # noqa: E402

logging.basicConfig(level=os.environ.get("BENCH_ENGINE_LOG_LEVEL", "WARNING").upper(),
                    format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")

from engine.cli import cli  # noqa: E402

if os.environ.get("BENCH_ENGINE_YAPPI"):          # CPU profile of every thread and greenlet (pip install yappi)
    import atexit
    import yappi
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)

    def _dump():
        yappi.stop()
        yappi.get_func_stats().save(os.environ["BENCH_ENGINE_YAPPI"], type="pstat")
    atexit.register(_dump)
if os.environ.get("BENCH_ENGINE_PROFILE"):       # cProfile of the whole engine process, written at exit
    import cProfile
    import atexit
    profiler = cProfile.Profile()
    atexit.register(lambda: profiler.dump_stats(os.environ["BENCH_ENGINE_PROFILE"]))
    profiler.enable()
if os.environ.get("BENCH_ENGINE_STALLS"):        # the event loop's lateness, each second's worst (bench-web)
    import json
    import time

    import gevent

    def _watch_loop(path: str, tick: float = 0.05) -> None:
        seconds: list[tuple[float, float]] = []
        second, worst, written = int(time.time()), 0.0, 0.0
        while True:
            t = time.perf_counter()
            gevent.sleep(tick)
            worst = max(worst, time.perf_counter() - t - tick)
            now = time.time()
            if int(now) != second:
                seconds.append((float(second), round(worst, 4)))
                del seconds[:-3600]
                second, worst = int(now), 0.0
            if now - written >= 1.0:
                with open(path + ".tmp", "w", encoding="utf-8") as fh:
                    json.dump({"at": now, "recent": seconds}, fh)
                os.replace(path + ".tmp", path)
                written = now
    gevent.spawn(_watch_loop, os.environ["BENCH_ENGINE_STALLS"])
cli(["run", "--no-sim", "--no-web", "--no-demo"], prog_name="callcenter")  # pylint: disable=no-value-for-parameter
