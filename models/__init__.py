"""Statistics on top of the simulator.

``compare`` estimates the effect of a change (a measure switched off, a rule changed) as
the paired difference between two runs with common random numbers; ``compare_packages``
does so for every package of a batch. ``batch`` runs packages x replications (x posterior
draws) into one tidy table, locally or on Dask; ``effects`` estimates each measure's effect
(leave-one-out, add-one-in, Shapley, factorial); ``budget`` costs packages and chooses
among them (frontier, best package for a budget, acceptability curve, EVPI).
"""

from models.compare import Comparison, PackageComparison, compare, compare_packages

__all__ = ["Comparison", "PackageComparison", "compare", "compare_packages"]
