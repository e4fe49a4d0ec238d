"""The failover benchmark (`make bench-failover`, benchmarks/bench_failover.py): a loaded floor on the simulated
switch, the active engine killed (SIGKILL) at random moments beside a hot standby, and the database compared with
the switch's own record of every caller.

scenario.py   what is run: the center (queues, agents, flows), the callers and the kill moments, from one seed
seed_db.py    child process: the scratch database, migrated and seeded by the engine's own code
processes.py  the scratch database, the switch, the console and the two engines as processes
floor.py      what the callers are doing (from GET /channels) and the floor's own actions: callback keys, holds,
              consultations (then a conference, a transfer or back to the caller)
takeover.py   when the new engine took command, from the switch's log of commands (GET /commands)
dbread.py     what the engine wrote, read back once the floor has settled
compare.py    the figures: the database against the switch's record of every caller
run.py        one run, start to end
"""
