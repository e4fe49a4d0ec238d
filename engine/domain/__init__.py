"""Pure call-center domain: agents, calls, queues, routing. Standard library only; no I/O, no clock."""
