"""`make bench-failover`: a loaded floor on the simulated switch, the active engine killed (SIGKILL) at random
moments with a hot standby beside it, and the database compared with the switch's own record of every caller."""
