"""ACD application layer: the call center's decisions over domain state; talks to the world only via commands."""
