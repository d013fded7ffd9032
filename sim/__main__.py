"""Allow ``python -m sim``."""

from sim.cli import entry

entry()
