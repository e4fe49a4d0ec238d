"""`python -m admin_web [--config FILE]`: serve the console alone (the `callcenter` CLI does the same)."""
from __future__ import annotations

import argparse
import logging
import sys

from engine.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    """Load the configuration and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m admin_web", description="Serve the call-center web console.")
    parser.add_argument("--config", help="configuration file (default: conf/callcenter.toml or CALLCENTER_CONFIG)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from admin_web.server import serve

    try:
        serve(config)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
