"""`python -m engine.fsim`: run the simulated FreeSWITCH (ESL + optional HTTP control + demo traffic)."""
import argparse
import logging
import os
import signal

import gevent
import gevent.event

from .switch import SimSwitch
from .traffic import TrafficGenerator

logger = logging.getLogger(__name__)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_phones(spec):
    """'1001-1012,2001' -> ['1001', ..., '1012', '2001']."""
    out = []
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out += [str(n) for n in range(int(a), int(b) + 1)]
        else:
            out.append(part)
    return out


def main(argv=None):
    """CLI entry point."""
    p = argparse.ArgumentParser(prog="python -m engine.fsim", description="Simulated FreeSWITCH (inbound ESL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8021)
    p.add_argument("--password", default="ClueCon")
    p.add_argument("--control-port", type=int, default=8022, help="HTTP control port (0 = off)")
    p.add_argument("--dialplan-dir", default=os.path.join(REPO, "dialplans"))
    p.add_argument("--sounds-dir", default=None)
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("--phones", default="", help="auto-answering registered phones, e.g. 1001-1012")
    p.add_argument("--answer-delay", type=float, default=1.0)
    p.add_argument("--traffic", choices=("none", "demo"), default="none")
    p.add_argument("--calls-per-minute", type=float, default=None)
    p.add_argument("--deadline-day", action="store_true")
    p.add_argument("--dids", default="12366")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--sessions-per-second", type=int, default=30,
                   help="switch.conf sessions-per-second: new sessions allowed per second (N-1 get through)")
    p.add_argument("--max-sessions", type=int, default=1000, help="switch.conf max-sessions")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--xml-cdr-url", default="", help="mod_xml_cdr: post every A leg's CDR here")
    p.add_argument("--xml-cdr-cred", default="", help="mod_xml_cdr: basic-auth user:password")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sim = SimSwitch(host=args.host, esl_port=args.port, password=args.password,
                    control_port=args.control_port or None, dialplan_dir=args.dialplan_dir,
                    time_scale=args.time_scale, sounds_dir=args.sounds_dir,
                    sessions_per_second=args.sessions_per_second, max_sessions=args.max_sessions)
    if args.xml_cdr_url:
        sim.configure_xml_cdr(args.xml_cdr_url, args.xml_cdr_cred)
    sim.start()
    for ext in parse_phones(args.phones):
        sim.add_phone(ext, register=True, behaviour="answer", answer_delay=args.answer_delay)
    traffic = None
    if args.traffic == "demo":
        traffic = TrafficGenerator(sim, dids=[d for d in args.dids.split(",") if d],
                                   calls_per_minute=args.calls_per_minute, seed=args.seed,
                                   deadline_day=args.deadline_day).start()
    logger.info("fsim ready: ESL %s:%d, control %s", args.host, sim.esl_port, sim.control_port or "off")
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGINT, stop.set)
    gevent.signal_handler(signal.SIGTERM, stop.set)
    stop.wait()
    if traffic:
        traffic.stop()
    sim.stop()


if __name__ == "__main__":
    main()
