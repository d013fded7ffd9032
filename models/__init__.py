"""Statistics on top of the simulator.

``compare`` estimates the effect of a change (a measure switched off, a rule changed) as
the paired difference between two runs with common random numbers.
"""

from models.compare import Comparison, PackageComparison, compare, compare_packages

__all__ = ["Comparison", "PackageComparison", "compare", "compare_packages"]
