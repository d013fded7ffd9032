"""Statistics on top of the simulator.

``compare`` estimates the effect of a change (a measure switched off, a rule changed) as
the paired difference between two runs with common random numbers.
"""

from models.compare import Comparison, compare

__all__ = ["Comparison", "compare"]
