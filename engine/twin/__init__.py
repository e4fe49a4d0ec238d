"""The digital twin (issue 17, item 7): a forecast day — or a past one — run through the real engine on the simulated
switch, both on one accelerated clock (engine.clock), with the planned staffing; its service level, waits and
abandons come from the records the engine writes, next to the Erlang A and C figures for the same staffing.

engine.twin.plan builds what is played (from the database, as the /wfm/ plan does, or given), engine.twin.run plays
it, engine.twin.result reads the records back. `callcenter wfm twin` runs it; docs/twin.md describes it."""
