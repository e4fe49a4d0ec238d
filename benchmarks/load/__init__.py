"""The engine under a constant call rate on the simulated switch (`make bench-load`, benchmarks/bench_load.py)."""
