"""`python -m engine`: the `callcenter` command."""
from engine.cli import main

main()
