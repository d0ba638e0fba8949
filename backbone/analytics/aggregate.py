"""Combining reported values correctly: across partners and places, over time, up a hierarchy.

Pure functions on plain values; no database, no web. The rules (an indicator names one):

* ``sum`` — counts and other flows: values add up, across places and over time.
* ``ratio`` — percents and rates: numerators add up, denominators add up, and the value is
  computed once, ``Σ numerators / Σ denominators × rate base``. Never an average of percentages:
  a clinic that screened 9 of 10 children and one that screened 10 of 100 together screened
  19 of 110 (17.3 %), not (90 % + 10 %) / 2 = 50 %.
* ``latest`` — stocks (people on a waiting list, beds available): across places they add up like
  counts, but over time the value is the one at the latest period, not a sum of months.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Rule(StrEnum):
    SUM = "sum"
    RATIO = "ratio"
    LATEST = "latest"


@dataclass(frozen=True)
class Report:
    """One reported figure for the same indicator, period and breakdown (a place's, a partner's)."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None


@dataclass(frozen=True)
class Aggregate:
    """A combined figure: the value, the sums it came from, and how many reports went in."""

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    reports: int
    excluded: int = 0  # reports that could not be used (a rate without its numerator/denominator)

    def as_report(self) -> Report:
        return Report(self.value, self.numerator, self.denominator)


EMPTY = Aggregate(value=None, numerator=None, denominator=None, reports=0)


def _ratio(numerator: Decimal, denominator: Decimal, rate_base: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return numerator / denominator * rate_base


def across(
    reports: Iterable[Report], rule: Rule, *, rate_base: Decimal = Decimal(100)
) -> Aggregate:
    """Combine reports for one period (several partners, or several places) into one figure."""
    items = list(reports)
    if rule == Rule.RATIO:
        usable = [r for r in items if r.numerator is not None and r.denominator is not None]
        if not usable:
            return Aggregate(None, None, None, 0, excluded=len(items))
        num = sum((r.numerator for r in usable), Decimal(0))  # type: ignore[misc]
        den = sum((r.denominator for r in usable), Decimal(0))  # type: ignore[misc]
        return Aggregate(
            _ratio(num, den, rate_base), num, den, len(usable), excluded=len(items) - len(usable)
        )
    usable = [r for r in items if r.value is not None]
    if not usable:
        return Aggregate(None, None, None, 0, excluded=len(items))
    total = sum((r.value for r in usable), Decimal(0))  # type: ignore[misc]
    return Aggregate(total, None, None, len(usable), excluded=len(items) - len(usable))


def over_time(
    by_period: Sequence[tuple[Hashable, Aggregate]],
    rule: Rule,
    *,
    rate_base: Decimal = Decimal(100),
) -> Aggregate:
    """Combine consecutive periods (months into a year, say), given in time order.

    ``sum`` adds the periods; ``ratio`` adds numerators and denominators; ``latest`` keeps the
    last period that has a value.
    """
    present = [agg for _key, agg in by_period if agg.reports]
    if not present:
        return EMPTY
    if rule == Rule.LATEST:
        return present[-1]
    return across([a.as_report() for a in present], rule, rate_base=rate_base)


def roll_up(
    place: Hashable,
    reports_at: Mapping[Hashable, Sequence[Report]],
    children: Callable[[Hashable], Sequence[Hashable]],
    rule: Rule,
    *,
    rate_base: Decimal = Decimal(100),
) -> Aggregate:
    """The figure for ``place``: its own reports if it has any, otherwise its children's, combined.

    A place's own figure wins over the sum of its children because it is what was published for
    that place (children may be missing, or overlap); when it has none, the children are rolled up
    recursively, so a state is the sum of its counties, each the sum of its neighbourhoods.
    """
    own = reports_at.get(place)
    if own:
        return across(own, rule, rate_base=rate_base)
    parts = [
        roll_up(child, reports_at, children, rule, rate_base=rate_base) for child in children(place)
    ]
    parts = [p for p in parts if p.reports]
    if not parts:
        return EMPTY
    combined = across([p.as_report() for p in parts], rule, rate_base=rate_base)
    return Aggregate(
        combined.value,
        combined.numerator,
        combined.denominator,
        reports=sum(p.reports for p in parts),
        excluded=sum(p.excluded for p in parts) + combined.excluded,
    )
