"""A working day of a 12366 center against the simulated switch (see docs/day-simulation.md)."""
from .simulation import Options, RunData, run

__all__ = ["Options", "RunData", "run"]
