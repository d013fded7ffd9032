"""Statistics on top of the simulator: comparisons between scenarios (more to come)."""
