"""Generated history for benchmarks and demos: a year of a 12366 center written the way the engine writes it."""
