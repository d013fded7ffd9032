"""Calendar arithmetic on month indices.

The engine counts months from 0 (the first warm-up month). An *absolute* month is
``year * 12 + (month - 1)``, which makes differences between dates plain subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass


def parse_month(text: str) -> int:
    """'2021-01' -> absolute month number."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(absolute: int) -> str:
    """Absolute month number -> 'YYYY-MM'."""
    return f"{absolute // 12:04d}-{absolute % 12 + 1:02d}"


@dataclass(frozen=True)
class Timeline:
    """The simulated months: warm-up first, then the reported window [start, end]."""

    first: int
    start: int
    end: int

    @classmethod
    def from_calendar(cls, calendar: dict) -> Timeline:
        """Build from a validated ``calendar`` section."""
        start = parse_month(calendar["start"])
        return cls(first=start - calendar["warmup_months"], start=start,
                   end=parse_month(calendar["end"]))

    @property
    def n_months(self) -> int:
        """Months simulated, warm-up included."""
        return self.end - self.first + 1

    @property
    def n_reported(self) -> int:
        """Months in the reported window."""
        return self.end - self.start + 1

    @property
    def warmup(self) -> int:
        """Warm-up months before the reported window."""
        return self.start - self.first

    @property
    def januaries(self) -> int:
        """New years inside the run after its first month: how often everyone ages a year."""
        return self.end // 12 - self.first // 12

    def index(self, absolute: int) -> int:
        """Absolute month -> engine month index (may be negative or beyond the end)."""
        return absolute - self.first

    def year(self, m: int) -> int:
        """Calendar year of engine month ``m``."""
        return (self.first + m) // 12

    def month_of_year(self, m: int) -> int:
        """Calendar month (1-12) of engine month ``m``."""
        return (self.first + m) % 12 + 1

    def label(self, m: int) -> str:
        """'YYYY-MM' of engine month ``m``."""
        return month_label(self.first + m)

    def reported_years(self) -> list[int]:
        """Calendar years that overlap the reported window."""
        return list(range(self.start // 12, self.end // 12 + 1))
