"""Data quality checks for the backbone team: odd values, groups that do not add up, missing and
late reports.

Pure functions on plain values; no database, no web. Each check returns a frozen dataclass with
its figures and one plain sentence (``words``) for the page. The checks:

* **outliers** — a value far from the place's own usual values, by the modified z-score of
  Iglewicz & Hoaglin (1993): Mᵢ = 0.6745 (xᵢ − median) ÷ MAD, where MAD is the median of the
  absolute deviations from the median. |Mᵢ| above 3.5 is their recommended cut-off. The median
  and MAD are not pulled by the outlier itself, unlike a mean and standard deviation. When more
  than half the values are equal the MAD is 0; then the mean absolute deviation from the median
  (MeanAD) is used instead, Mᵢ = (xᵢ − median) ÷ (1.253314 × MeanAD) (1.253314 ≈ √(π/2) makes it
  estimate the standard deviation of normal data, as 0.6745 does for the MAD; IBM SPSS
  documents the same fallback). When that is 0 too, every value is the same and every score is 0;
* **parts not summing** — the groups of one breakdown against the total, by the same rule as the
  import (``backbone.measurement.validation.check_parts``): with every group reported they must
  add up to the total; with some group missing, the groups reported must not add up to *more*
  than the total (the missing ones may make up the rest);
* **completeness** — reports received and approved out of those expected; a percent is always
  Σ received ÷ Σ expected, never an average of percents;
* **staleness** — whether the next period's figure is late: the next period ends
  ``period_months`` after the last one reported, and its figure is expected ``grace_days`` after
  that.

Modified z-scores are floats (a statistic, not a reported figure); everything else is ``Decimal``.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Number = Decimal | int | float

THRESHOLD = 3.5  # Iglewicz & Hoaglin's recommended cut-off for |Mᵢ|
MAD_FACTOR = Decimal("0.6745")  # Φ⁻¹(0.75): MAD ÷ 0.6745 estimates the SD of normal data
MEAN_AD_FACTOR = Decimal("1.253314")  # √(π/2): 1.253314 × MeanAD estimates the SD of normal data
HUNDRED = Decimal(100)


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise ValueError("Values must be finite numbers.")
    return number


def _shown(value: Number, decimals: int = 0) -> str:
    """A number for people to read, in their locale, rounded half up: 1,520 or 45.5.

    ``number_format`` cuts extra decimals off rather than rounding, so round first.
    """
    number = _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    number += 0  # −0 → 0
    return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _places(number: Decimal) -> int:
    """How many decimals a number has when written without trailing zeros: 3.50 → 1, 3 → 0."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle, odd = divmod(len(ordered), 2)
    if odd:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# ----------------------------------------------------------------------------- outliers


def modified_z_scores(values: Sequence[Number | None]) -> list[float | None]:
    """Iglewicz & Hoaglin's modified z-score of each value, in the order given (floats).

    Mᵢ = 0.6745 (xᵢ − median) ÷ MAD; when the MAD is 0, Mᵢ = (xᵢ − median) ÷ (1.253314 × MeanAD);
    when that is 0 too (all values equal), every score is 0. The median, MAD and MeanAD are over
    the values present; ``None`` stays ``None``. Scores do not change when a constant is added to
    every value or every value is multiplied by the same positive number.
    """
    present = [_decimal(v) for v in values if v is not None]
    if not present:
        return [None for _v in values]
    median = _median(present)
    deviations = [abs(x - median) for x in present]
    mad = _median(deviations)
    mean_ad = sum(deviations, Decimal(0)) / len(deviations)

    def score(x: Decimal) -> float:
        if mad:
            return float(MAD_FACTOR * (x - median) / mad)
        if mean_ad:
            return float((x - median) / (MEAN_AD_FACTOR * mean_ad))
        return 0.0

    return [None if v is None else score(_decimal(v)) for v in values]


@dataclass(frozen=True)
class Outlier:
    """A value far from the place's own usual values (|modified z-score| > threshold)."""

    label: Hashable
    value: Decimal
    score: float  # modified z-score: positive above the median, negative below
    median: Decimal
    words: str

    @property
    def high(self) -> bool:
        return self.score > 0


def _score_text(score: float, threshold: float) -> str:
    """The score with one decimal, or more if one would make it look equal to the threshold."""
    exact, limit = abs(_decimal(score)), _decimal(threshold)
    for decimals in range(1, 7):
        if exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP) > limit:
            break
    return _shown(score, decimals)


def outliers(
    history: Sequence[tuple[Hashable, Number | None]],
    *,
    threshold: float = THRESHOLD,
    min_points: int = 5,
    decimals: int = 0,
) -> list[Outlier]:
    """The values of one place's history whose modified z-score is beyond ±``threshold``.

    Judged against all the place's own values (``None`` are gaps and are skipped). With fewer
    than ``min_points`` values there is too little history to say what is usual, so nothing is
    judged. In the order given; ``decimals`` is how values are shown in ``words``.
    """
    present = [(label, _decimal(v)) for label, v in history if v is not None]
    if len(present) < min_points:
        return []
    values = [v for _label, v in present]
    median = _median(values)
    found = []
    limit = _shown(threshold, _places(_decimal(threshold)))
    for (label, value), score in zip(present, modified_z_scores(values), strict=True):
        if score is None or abs(score) <= threshold:
            continue
        template = (
            _(
                "%(label)s: %(value)s is far from this place’s usual values (median %(median)s; "
                "modified z-score %(score)s > %(threshold)s)."
            )
            if score > 0
            else _(
                "%(label)s: %(value)s is far from this place’s usual values (median %(median)s; "
                "modified z-score %(score)s < -%(threshold)s)."
            )
        )
        words = template % {
            "label": label,
            "value": _shown(value, decimals),
            "median": _shown(median, decimals),
            "score": _score_text(score, threshold),
            "threshold": limit,
        }
        found.append(Outlier(label, value, score, median, words))
    return found


# ----------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class PartsCheck:
    """Groups of a breakdown that do not add up to the total.

    ``difference`` is parts_sum − total: positive when the groups add up to more than the total.
    """

    label: Hashable
    total: Decimal
    parts_sum: Decimal
    difference: Decimal
    missing_parts: int
    words: str


def parts_not_summing(
    label: Hashable,
    total: Number | None,
    parts: Sequence[Number | None],
    *,
    tolerance: Number = Decimal(0),
    decimals: int = 0,
) -> PartsCheck | None:
    """A :class:`PartsCheck` when the groups do not add up to the total, else ``None``.

    The import's rule (``check_parts``), with a ``tolerance`` for rounded figures: with every
    group reported, |Σ parts − total| must be at most ``tolerance``; with some group missing
    (``None``), Σ parts must not exceed total + ``tolerance``, since the missing groups may make
    up the rest. ``None`` too when the total is missing or there are no groups. For a percent or
    rate pass numerators (or denominators): those add up, percents do not.
    """
    tolerance = _decimal(tolerance)
    if tolerance < 0:
        raise ValueError("The tolerance cannot be negative.")
    if total is None or not parts:
        return None
    total = _decimal(total)
    reported = [_decimal(p) for p in parts if p is not None]
    missing = len(parts) - len(reported)
    summed = sum(reported, Decimal(0))
    difference = summed - total
    if (not missing and abs(difference) <= tolerance) or (missing and difference <= tolerance):
        return None
    numbers = {
        "sum": _shown(summed, decimals),
        "total": _shown(total, decimals),
        "missing": _shown(missing),
    }
    if not missing:
        words = _("The groups add up to %(sum)s, but the total is %(total)s.") % numbers
    else:
        words = (
            ngettext(
                "The groups reported add up to %(sum)s, more than the total of %(total)s; "
                "%(missing)s group has no figure.",
                "The groups reported add up to %(sum)s, more than the total of %(total)s; "
                "%(missing)s groups have no figure.",
                missing,
            )
            % numbers
        )
    return PartsCheck(label, total, summed, difference, missing, words)


# ----------------------------------------------------------------------------- completeness


@dataclass(frozen=True)
class Completeness:
    """Reports received and approved out of those expected (approved ones count as received)."""

    key: Hashable
    label: str
    expected: int
    received: int
    approved: int
    percent: Decimal | None  # received ÷ expected × 100, one decimal; None when nothing expected
    words: str


def completeness(
    key: Hashable, label: str, *, expected: int, received: int, approved: int
) -> Completeness:
    """How complete one partner's (or place's) reporting is.

    ``percent`` is received ÷ expected × 100 rounded half up to one decimal; it can pass 100 when
    more came in than was expected. Counts cannot be negative, and approved reports are among
    those received, so ``approved`` cannot exceed ``received`` (``ValueError``).
    """
    if min(expected, received, approved) < 0:
        raise ValueError("Report counts cannot be negative.")
    if approved > received:
        raise ValueError("Approved reports are among those received, so cannot outnumber them.")
    percent = None
    if expected:
        percent = (Decimal(received) * HUNDRED / expected).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    numbers = {
        "expected": _shown(expected),
        "received": _shown(received),
        "approved": _shown(approved),
        "percent": _shown(percent, 1) if percent is not None else "",
    }
    if percent is None:
        words = (
            _("No reports were expected.")
            if not received
            else ngettext(
                "No reports were expected, but %(received)s report came in (%(approved)s "
                "approved).",
                "No reports were expected, but %(received)s reports came in (%(approved)s "
                "approved).",
                received,
            )
            % numbers
        )
    else:
        words = (
            ngettext(
                "%(received)s of %(expected)s expected report received (%(percent)s%%); "
                "%(approved)s approved.",
                "%(received)s of %(expected)s expected reports received (%(percent)s%%); "
                "%(approved)s approved.",
                expected,
            )
            % numbers
        )
    return Completeness(key, label, expected, received, approved, percent, words)


def completeness_total(
    rows: Sequence[Completeness], *, key: Hashable = None, label: str | None = None
) -> Completeness:
    """All rows together: counts are summed and the percent worked out again from the sums
    (Σ received ÷ Σ expected), never an average of the rows' percents. Labelled "All" unless
    ``label`` is given."""
    return completeness(
        key,
        label if label is not None else _("All"),
        expected=sum(r.expected for r in rows),
        received=sum(r.received for r in rows),
        approved=sum(r.approved for r in rows),
    )


# ----------------------------------------------------------------------------- staleness


@dataclass(frozen=True)
class Staleness:
    """Whether the figure for the period after the last one reported is late.

    ``expected_by`` is the end of that next period (``next_end``) plus the grace days; late means
    today is after it, and ``days_late`` counts the days since (0 when not late, or with no data).
    """

    stale: bool
    last_label: Hashable | None
    last_end: datetime.date | None
    expected_by: datetime.date | None
    days_late: int
    words: str
    next_end: datetime.date | None = None


def _is_month_end(day: datetime.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's length (31 Jan + 1 → 28/29 Feb).

    A month-end stays a month-end (28 Feb 2023 + 1 → 31 Mar 2023; 30 Sep + 3 → 31 Dec), since
    reporting periods end on the last day of a month: clamping alone would drift to the 28th.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    length = calendar.monthrange(year, month)[1]
    if _is_month_end(day):
        return datetime.date(year, month, length)
    return datetime.date(year, month, min(day.day, length))


def staleness(
    *,
    last_end: datetime.date | None,
    last_label: Hashable | None,
    period_months: int,
    grace_days: int,
    today: datetime.date,
) -> Staleness:
    """Is the next figure late? The next period ends ``period_months`` after ``last_end``
    (:func:`add_months`); its figure is expected ``grace_days`` after that, and is late when
    ``today`` is past that day (on the day itself it is not late yet). With no figure at all,
    it is late."""
    if period_months < 1:
        raise ValueError("A period is at least one month long.")
    if grace_days < 0:
        raise ValueError("Grace days cannot be negative.")
    if last_end is None:
        return Staleness(
            stale=True,
            last_label=last_label,
            last_end=None,
            expected_by=None,
            days_late=0,
            words=_("No figures have been reported yet."),
        )
    next_end = add_months(last_end, period_months)
    expected_by = next_end + datetime.timedelta(days=grace_days)
    late = max(0, (today - expected_by).days)
    numbers = {
        "label": last_label if last_label is not None else date_format(last_end),
        "end": date_format(next_end),
        "by": date_format(expected_by),
        "days": _shown(late),
    }
    if late:
        words = (
            ngettext(
                "The latest figure is for %(label)s. The next one, for the period ending "
                "%(end)s, was expected by %(by)s and is %(days)s day late.",
                "The latest figure is for %(label)s. The next one, for the period ending "
                "%(end)s, was expected by %(by)s and is %(days)s days late.",
                late,
            )
            % numbers
        )
    else:
        words = (
            _(
                "The latest figure is for %(label)s. The next one, for the period ending "
                "%(end)s, is expected by %(by)s."
            )
            % numbers
        )
    return Staleness(
        stale=late > 0,
        last_label=last_label,
        last_end=last_end,
        expected_by=expected_by,
        days_late=late,
        words=words,
        next_end=next_end,
    )
