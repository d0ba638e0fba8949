# The statistics’ own letters (p′, σ) are intended in text, as the typographic quotes are.
"""Signal or noise? Control charts and run charts for an indicator's series.

Every series goes up and down a little from period to period. Statistical process control tells
the ordinary ups and downs (*noise*, common-cause variation) from a change worth a conversation
(*a signal*, special-cause variation). Pure functions on plain values; no database, no web.

The chart (one per *phase*, see below):

* **XmR** (individual values and moving ranges; Wheeler, *Understanding Variation*) for values:
  the centre line is the mean of the baseline points, the moving range is the absolute difference
  between consecutive usable points, and the limits are mean ± 2.66 × MR̄ (2.66 = 3 / d₂ with
  d₂ = 1.128, i.e. ± 3 sigma). The moving-range chart's upper limit is 3.267 × MR̄ (D₄).
* **p-chart** (Montgomery, *Introduction to Statistical Quality Control*, ch. 7) for proportions
  given as numerators and denominators: p̄ = Σ numerators / Σ denominators over the baseline
  (never an average of proportions), each point's limits p̄ ± 3·√(p̄(1 − p̄)/nᵢ), kept in [0, 1].
* **Laney p′** (Laney 2002, *Improved control charts for attributes*, Quality Engineering 14:531)
  when proportions vary between periods more than chance allows — the usual case with large
  denominators, where a plain p-chart flags almost every point: zᵢ = (pᵢ − p̄)/σ_pᵢ,
  σ_z = mean moving range of z / 1.128, limits p̄ ± 3·σ_pᵢ·σ_z.
* **Run chart** (Anhøj & Olesen 2014, *Run charts revisited*, PLoS ONE 9:e113825) when a phase has
  too few points for limits: the centre line is the median; a run on one side of it longer than
  round(log₂(n) + 3), or fewer crossings of it than the 5th percentile of Binomial(n − 1, ½), is a
  signal (n = points not on the median).

Chosen automatically (``kind=None``): numerators and denominators on every usable point → p′ when
σ_z > 1, else p; values → XmR; fewer than ``min_points`` usable baseline points → run chart.

Rules on a control chart: a point outside the limits; a *shift*, ``shift_length`` or more usable
points in a row on the same side of the centre line (a point exactly on it ends the run); a
*trend*, ``trend_length`` or more usable points in a row each strictly higher (or lower) than the
one before. Rules look at every point of the phase, baseline and after, against frozen limits.

Phases: the centre and limits are computed on (at most) the first ``baseline_size`` usable points
of a phase and then frozen. A new phase starts at each recorded change (``phase_starts``) and at
each series break (a change of ``segment``: the indicator's definition changed). Nothing — limits,
moving ranges, runs, trends — crosses a phase boundary. Excluded points (shown but not comparable,
such as a sheltered-only count) and missing values are skipped by the limits and the rules.

Arithmetic is exact (``fractions.Fraction``) up to the square roots of the p and p′ limits, so a
point exactly on the centre line is never mistaken for one above or below it; every figure handed
back is a ``float``.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Number = Decimal | float | int

D2 = Fraction("1.128")  # d₂ for moving ranges of two points
XMR_FACTOR = Fraction("2.66")  # 3 / d₂, Wheeler's rounding
MR_FACTOR = Fraction("3.267")  # D₄ for n = 2: the moving-range chart's upper limit
UP = "up"
DOWN = "down"


class ChartKind(StrEnum):
    RUN = "run"  # median + Anhøj rules, for short series
    XMR = "xmr"  # individuals and moving range, for values
    P = "p"  # proportions with numerators/denominators
    P_PRIME = "p_prime"  # Laney p′, when proportions are overdispersed (large denominators)


class Rule(StrEnum):
    """What made a signal. The values are the strings used in ``Signal.rule``."""

    OUTSIDE = "outside"
    SHIFT = "shift"
    TREND = "trend"
    LONG_RUN = "long_run"
    FEW_CROSSINGS = "few_crossings"


CONTROL_KINDS = frozenset({ChartKind.XMR, ChartKind.P, ChartKind.P_PRIME})
PROPORTION_KINDS = frozenset({ChartKind.P, ChartKind.P_PRIME})


@dataclass(frozen=True)
class SpcSettings:
    """The documented settings. Lengths count usable points (missing and excluded ones skipped)."""

    shift_length: int = 8  # a run of k points on one side of the centre line is a signal
    trend_length: int = 6  # k points steadily rising or falling is a signal
    baseline_size: int = 20  # limits are frozen on (at most) the first N usable points of a phase
    min_points: int = 12  # fewer usable points in a phase's baseline → run chart instead
    sigma: float = 3.0  # limits at ± sigma

    def __post_init__(self) -> None:
        if self.shift_length < 2 or self.trend_length < 2:
            raise ValueError("A shift or a trend needs at least two points.")
        if not 2 <= self.min_points <= self.baseline_size:
            raise ValueError("Need 2 ≤ min_points ≤ baseline_size.")
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError("sigma must be a positive number.")


DEFAULT_SETTINGS = SpcSettings()
_NO_REASONS: Mapping[Hashable, str] = MappingProxyType({})


@dataclass(frozen=True)
class SpcPoint:
    label: Hashable  # period code, e.g. "2019"
    value: Number | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    segment: int = 0  # series segment: limits and rules never cross a change of segment
    excluded: bool = False  # shown but not comparable: left out of limits and rules


@dataclass(frozen=True)
class Signal:
    rule: str  # a Rule value
    labels: tuple[Hashable, ...]  # points involved
    description: str  # plain words, translated
    direction: str = ""  # "up" (above the centre, rising) | "down" | "" (few crossings)
    phase: int = 0


@dataclass(frozen=True)
class ChartPoint:
    label: Hashable
    value: float | None  # plotted value (for p charts: proportion × rate_base)
    centre: float | None
    lower: float | None
    upper: float | None
    moving_range: float | None  # XmR only
    phase: int
    excluded: bool
    in_baseline: bool  # used to compute the frozen limits
    rules: tuple[str, ...]  # rules that flag this point (empty = noise)


@dataclass(frozen=True)
class Phase:
    index: int
    kind: ChartKind
    first_label: Hashable
    last_label: Hashable
    started_by: str  # "" for the first phase, else plain words
    centre: float | None
    lower: float | None  # None for run charts, or when p / p′ limits vary per point
    upper: float | None
    baseline_labels: tuple[Hashable, ...]
    mr_bar: float | None = None  # XmR
    mr_upper: float | None = None  # XmR moving-range chart upper limit (3.267 × MR̄)
    sigma_z: float | None = None  # p′ (and p: the figure that chose p over p′)
    useful: int = 0  # Anhøj (run charts): points not on the median
    longest_run: int = 0
    longest_run_limit: int | None = None
    crossings: int = 0
    crossings_limit: int | None = None
    signals: tuple[Signal, ...] = ()


# --- building blocks -------------------------------------------------------------------------


def _exact(x: Number | Fraction | None) -> Fraction | None:
    """The exact value of a number; ``None`` (and NaN or infinity) is missing."""
    if x is None:
        return None
    if isinstance(x, Decimal) and not x.is_finite():
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return Fraction(x)


def _float(x: Fraction | float | None) -> float | None:
    return None if x is None else float(x)


@dataclass(frozen=True)
class XmrLimits:
    mean: float
    mr_bar: float
    lower: float
    upper: float
    mr_upper: float


def _xmr(values: Sequence[Fraction], k: Fraction) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """Exact mean, MR̄, half-width of the limits and moving-range upper limit (≥ 2 values)."""
    mean = sum(values, Fraction(0)) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    mr_bar = sum(ranges, Fraction(0)) / len(ranges)
    return mean, mr_bar, XMR_FACTOR * k / 3 * mr_bar, (1 + (MR_FACTOR - 1) * k / 3) * mr_bar


def xmr_limits(
    values: Sequence[Number | None], *, sigma: float = 3.0, lower_bound: float | None = None
) -> XmrLimits:
    """XmR limits of these (baseline) values: mean ± 2.66 × MR̄, MR upper 3.267 × MR̄.

    Missing values are skipped: the moving range joins the values either side of a gap. At
    ``sigma`` other than 3 both factors scale with it. ``lower_bound`` raises the lower limit to
    it (0 for counts). Needs at least two values (``ValueError`` otherwise). Floats.
    """
    usable = [x for x in map(_exact, values) if x is not None]
    if len(usable) < 2:
        raise ValueError("XmR limits need at least two values.")
    mean, mr_bar, half, mr_upper = _xmr(usable, Fraction(sigma))
    lower = mean - half
    if lower_bound is not None:
        lower = max(lower, Fraction(lower_bound))
    return XmrLimits(float(mean), float(mr_bar), float(lower), float(mean + half), float(mr_upper))


def _pairs(
    numerators: Sequence[Number | None], denominators: Sequence[Number | None]
) -> list[tuple[Fraction, Fraction] | None]:
    """(numerator, denominator) per point, ``None`` where either is missing or the denominator
    is not positive. A numerator outside [0, denominator] is not a proportion: ``ValueError``."""
    if len(numerators) != len(denominators):
        raise ValueError("One denominator per numerator, please.")
    pairs: list[tuple[Fraction, Fraction] | None] = []
    for num, den in zip(map(_exact, numerators), map(_exact, denominators), strict=True):
        if num is None or den is None or den <= 0:
            pairs.append(None)
            continue
        if not 0 <= num <= den:
            raise ValueError("A proportion needs 0 ≤ numerator ≤ denominator.")
        pairs.append((num, den))
    return pairs


def _pbar(pairs: Sequence[tuple[Fraction, Fraction]]) -> Fraction:
    return sum((n for n, _d in pairs), Fraction(0)) / sum((d for _n, d in pairs), Fraction(0))


def _sigma_z(pairs: Sequence[tuple[Fraction, Fraction]], pbar: Fraction) -> float | None:
    """Laney's σ_z: mean moving range of the z-scores / 1.128. ``None`` when it cannot be
    computed: fewer than two points, or p̄ is 0 or 1 (no binomial spread to compare with)."""
    if len(pairs) < 2 or pbar in (0, 1):
        return None
    z = [float(n / d - pbar) / math.sqrt(float(pbar * (1 - pbar) / d)) for n, d in pairs]
    ranges = [abs(b - a) for a, b in itertools.pairwise(z)]
    return sum(ranges) / len(ranges) / float(D2)


def _p_bounds(pbar: Fraction, n: Fraction, k: float, spread: float) -> tuple[float, float]:
    half = k * spread * math.sqrt(float(pbar * (1 - pbar) / n))
    return max(0.0, float(pbar) - half), min(1.0, float(pbar) + half)


def p_limits(
    numerators: Sequence[Number | None], denominators: Sequence[Number | None], sigma: float = 3
) -> tuple[float | None, list[tuple[float | None, float | None]]]:
    """p-chart: p̄ = Σ numerators / Σ denominators, and each point's (lower, upper) limits
    p̄ ± sigma·√(p̄(1 − p̄)/nᵢ), clamped to [0, 1]. Proportions, not percents. A point with a
    missing or zero denominator is left out of p̄ and gets ``(None, None)``; p̄ is ``None`` when
    no point is usable. Floats."""
    pairs = _pairs(numerators, denominators)
    usable = [pair for pair in pairs if pair is not None]
    if not usable:
        return None, [(None, None)] * len(pairs)
    pbar = _pbar(usable)
    limits = [(None, None) if p is None else _p_bounds(pbar, p[1], sigma, 1.0) for p in pairs]
    return float(pbar), limits


def laney_limits(
    numerators: Sequence[Number | None], denominators: Sequence[Number | None], sigma: float = 3
) -> tuple[float | None, float | None, list[tuple[float | None, float | None]]]:
    """Laney p′: (p̄, σ_z, per-point limits p̄ ± sigma·σ_pᵢ·σ_z clamped to [0, 1]).

    σ_z is ``None`` when it cannot be computed (fewer than two usable points, or p̄ is 0 or 1);
    the limits are then those of the plain p-chart. Floats."""
    pairs = _pairs(numerators, denominators)
    usable = [pair for pair in pairs if pair is not None]
    if not usable:
        return None, None, [(None, None)] * len(pairs)
    pbar = _pbar(usable)
    sigma_z = _sigma_z(usable, pbar)
    spread = 1.0 if sigma_z is None else sigma_z
    limits = [(None, None) if p is None else _p_bounds(pbar, p[1], sigma, spread) for p in pairs]
    return float(pbar), sigma_z, limits


@dataclass(frozen=True)
class Run:
    """Consecutive usable points: their positions in the input, and which way they go."""

    indices: tuple[int, ...]
    direction: str  # "up" (above / rising) or "down"


def _runs_of(groups: list[tuple[int, list[int]]], length: int) -> list[Run]:
    return [
        Run(tuple(indices), UP if side > 0 else DOWN)
        for side, indices in groups
        if side != 0 and len(indices) >= length
    ]


def side_runs(
    values: Sequence[Number | Fraction | None], centre: Number | Fraction, length: int
) -> list[Run]:
    """Maximal runs of ``length`` or more values in a row strictly on one side of ``centre``.

    Missing values are skipped; a value exactly on the centre ends the run."""
    middle = _exact(centre)
    groups: list[tuple[int, list[int]]] = []
    for i, x in enumerate(map(_exact, values)):
        if x is None:
            continue
        side = (x > middle) - (x < middle)
        if groups and side != 0 and groups[-1][0] == side:
            groups[-1][1].append(i)
        else:
            groups.append((side, [i]))
    return _runs_of(groups, length)


def trend_runs(values: Sequence[Number | Fraction | None], length: int) -> list[Run]:
    """Maximal runs of ``length`` or more values in a row, each strictly higher (or each
    strictly lower) than the one before. Missing values are skipped; a tie ends the trend. A
    turning point belongs to both the trend it ends and the one it starts."""
    groups: list[tuple[int, list[int]]] = []
    previous: tuple[int, Fraction] | None = None
    for i, x in enumerate(map(_exact, values)):
        if x is None:
            continue
        if previous is None:
            groups.append((0, [i]))
        else:
            step = (x > previous[1]) - (x < previous[1])
            if step != 0 and groups[-1][0] == step:
                groups[-1][1].append(i)
            else:
                groups.append((step, [previous[0], i] if step else [i]))
        previous = (i, x)
    return _runs_of(groups, length)


def longest_run_limit(useful: int) -> int | None:
    """Anhøj: a run longer than round(log₂(n) + 3) is a signal; ``None`` when n = 0."""
    return round(math.log2(useful) + 3) if useful > 0 else None


def crossings_limit(useful: int) -> int | None:
    """Anhøj: fewer crossings than the 5th percentile of Binomial(n − 1, ½) is a signal.

    Exactly R's ``qbinom(0.05, n - 1, 0.5)``: the smallest c with P(X ≤ c) ≥ 0.05, in integers
    (20 · Σₖ≤c C(n−1, k) ≥ 2ⁿ⁻¹). ``None`` when n = 0."""
    if useful < 1:
        return None
    trials, total = useful - 1, 0
    for c in range(trials + 1):
        total += math.comb(trials, c)
        if 20 * total >= 2**trials:
            return c
    return trials  # not reached: the sum over all c is 2ⁿ⁻¹


@dataclass(frozen=True)
class AnhoejResult:
    median: float | None
    useful: int  # points not on the median
    longest_run: int
    longest_run_limit: int | None
    crossings: int
    crossings_limit: int | None
    signal: bool
    long_run: bool = False  # the longest run is over its limit
    few_crossings: bool = False  # the crossings are under their limit
    long_runs: tuple[Run, ...] = ()  # the runs over the limit (positions in the input)
    useful_indices: tuple[int, ...] = ()  # positions of the points not on the median


def _anhoej(values: Sequence[Fraction | None], median: Fraction) -> AnhoejResult:
    groups: list[tuple[int, list[int]]] = []
    for i, x in enumerate(values):
        if x is None or x == median:
            continue  # Anhøj: points on the median neither count nor break a run
        side = 1 if x > median else -1
        if groups and groups[-1][0] == side:
            groups[-1][1].append(i)
        else:
            groups.append((side, [i]))
    useful = sum(len(indices) for _side, indices in groups)
    longest = max((len(indices) for _side, indices in groups), default=0)
    crossings = max(len(groups) - 1, 0)
    run_limit, cross_limit = longest_run_limit(useful), crossings_limit(useful)
    long_run = run_limit is not None and longest > run_limit
    few = cross_limit is not None and crossings < cross_limit
    return AnhoejResult(
        median=float(median),
        useful=useful,
        longest_run=longest,
        longest_run_limit=run_limit,
        crossings=crossings,
        crossings_limit=cross_limit,
        signal=long_run or few,
        long_run=long_run,
        few_crossings=few,
        long_runs=tuple(_runs_of(groups, run_limit + 1)) if run_limit is not None else (),
        useful_indices=tuple(i for _side, indices in groups for i in indices),
    )


def anhoej(values: Sequence[Number | None], *, centre: Number | None = None) -> AnhoejResult:
    """Anhøj & Olesen's run-chart rules on these values (missing ones skipped), around their
    median or a given (frozen) ``centre``. ``signal`` is true when the longest run is over
    ``longest_run_limit`` or the crossings are under ``crossings_limit``."""
    exact = [_exact(x) for x in values]
    present = [x for x in exact if x is not None]
    if not present:
        return AnhoejResult(None, 0, 0, None, 0, None, False)
    middle = _exact(centre) if centre is not None else statistics.median(present)
    return _anhoej(exact, middle)


# --- words -----------------------------------------------------------------------------------


def _number(x: float) -> str:
    """A figure for a sentence, grouped and in the active language: 9,512 · 22.7 · 0.160."""
    places = 0 if abs(x) >= 100 else 1 if abs(x) >= 1 else 3
    return number_format(round(x, places), decimal_pos=places, use_l10n=True, force_grouping=True)


def _plain(x: float | Fraction) -> str:
    """A setting for a sentence: 3 rather than 3.0, 2.66 as it is."""
    value = float(x)
    if value.is_integer():
        return number_format(int(value), use_l10n=True)
    return number_format(round(value, 3), use_l10n=True)


def _span(labels: Sequence[Hashable]) -> dict[str, object]:
    return {"count": len(labels), "first": labels[0], "last": labels[-1]}


def _outside_text(label: Hashable, direction: str, limit: float) -> str:
    values = {"label": label, "limit": _number(limit)}
    if direction == UP:
        return _("%(label)s is above the upper limit (%(limit)s): a signal, not noise.") % values
    return _("%(label)s is below the lower limit (%(limit)s): a signal, not noise.") % values


def _shift_text(labels: Sequence[Hashable], direction: str) -> str:
    n = len(labels)
    if direction == UP:
        text = ngettext(
            "%(count)s point in a row above the centre line (%(first)s to %(last)s): a shift, "
            "not noise.",
            "%(count)s points in a row above the centre line (%(first)s to %(last)s): a shift, "
            "not noise.",
            n,
        )
    else:
        text = ngettext(
            "%(count)s point in a row below the centre line (%(first)s to %(last)s): a shift, "
            "not noise.",
            "%(count)s points in a row below the centre line (%(first)s to %(last)s): a shift, "
            "not noise.",
            n,
        )
    return text % _span(labels)


def _trend_text(labels: Sequence[Hashable], direction: str) -> str:
    n = len(labels)
    if direction == UP:
        text = ngettext(
            "%(count)s point in a row rising (%(first)s to %(last)s): a trend, not noise.",
            "%(count)s points in a row rising (%(first)s to %(last)s): a trend, not noise.",
            n,
        )
    else:
        text = ngettext(
            "%(count)s point in a row falling (%(first)s to %(last)s): a trend, not noise.",
            "%(count)s points in a row falling (%(first)s to %(last)s): a trend, not noise.",
            n,
        )
    return text % _span(labels)


def _long_run_text(labels: Sequence[Hashable], direction: str, limit: int) -> str:
    values = {**_span(labels), "limit": limit}
    if direction == UP:
        return (
            _(
                "%(count)s points in a row above the median (%(first)s to %(last)s), more than the "
                "%(limit)s that chance would give: a long run, not noise."
            )
            % values
        )
    return (
        _(
            "%(count)s points in a row below the median (%(first)s to %(last)s), more than the "
            "%(limit)s that chance would give: a long run, not noise."
        )
        % values
    )


def _crossings_text(labels: Sequence[Hashable], crossings: int, limit: int) -> str:
    values = {**_span(labels), "count": crossings, "limit": limit}
    if crossings == 0:
        return (
            _(
                "The values never cross the median (%(first)s to %(last)s), where chance "
                "would give at least %(limit)s crossings: a signal, not noise."
            )
            % values
        )
    return (
        ngettext(
            "The values cross the median only once (%(first)s to %(last)s), fewer than the "
            "%(limit)s crossings that chance would give: a signal, not noise.",
            "The values cross the median only %(count)s times (%(first)s to %(last)s), fewer than "
            "the %(limit)s crossings that chance would give: a signal, not noise.",
            crossings,
        )
        % values
    )


def _phrase(signal: Signal) -> str:
    """A signal in a few words, for the one-sentence summary."""
    values = {"label": signal.labels[0], "first": signal.labels[0], "last": signal.labels[-1]}
    up = signal.direction == UP
    if signal.rule == Rule.OUTSIDE:
        text = _("%(label)s above the upper limit") if up else _("%(label)s below the lower limit")
    elif signal.rule == Rule.SHIFT:
        text = (
            _("a shift above the centre line from %(first)s to %(last)s")
            if up
            else _("a shift below the centre line from %(first)s to %(last)s")
        )
    elif signal.rule == Rule.TREND:
        text = (
            _("a rising trend from %(first)s to %(last)s")
            if up
            else _("a falling trend from %(first)s to %(last)s")
        )
    elif signal.rule == Rule.LONG_RUN:
        text = (
            _("a long run above the median from %(first)s to %(last)s")
            if up
            else _("a long run below the median from %(first)s to %(last)s")
        )
    else:
        text = _("too few crossings of the median from %(first)s to %(last)s")
    return text % values


# --- the chart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlChart:
    kind: ChartKind  # kind of the last phase (what the page headlines); RUN when empty
    points: tuple[ChartPoint, ...]  # in input order, one per input point
    phases: tuple[Phase, ...]
    signals: tuple[Signal, ...]  # all phases
    settings: SpcSettings
    requested_kind: ChartKind | None = None  # None: chosen automatically
    rate_base: float = 100.0
    lower_bound: float | None = None

    def method(self) -> str:
        """The method in plain words: which chart, how the limits are computed, which rules with
        their k values, the frozen baseline, the phases."""
        s = self.settings
        if not self.phases:
            return _("No values to chart yet.")
        kinds = list(dict.fromkeys(phase.kind for phase in self.phases))
        sigma = {"sigma": _plain(s.sigma)}
        parts: list[str] = []
        for kind in kinds:
            if kind == ChartKind.XMR:
                parts.append(
                    _(
                        "XmR chart of individual values and their moving ranges (Wheeler): the "
                        "centre line is the mean of the baseline points, and the limits are the "
                        "mean ± %(factor)s × the average moving range (the average difference "
                        "between one point and the next), that is ± %(sigma)s sigma, since 2.66 = "
                        "3 ÷ 1.128. The moving-range chart’s upper limit is %(mr_factor)s × the "
                        "average moving range."
                    )
                    % {
                        **sigma,
                        "factor": _plain(XMR_FACTOR * Fraction(s.sigma) / 3),
                        "mr_factor": _plain(1 + (MR_FACTOR - 1) * Fraction(s.sigma) / 3),
                    }
                )
            elif kind == ChartKind.P:
                parts.append(
                    _(
                        "p-chart for proportions (Montgomery): the centre line p̄ is the total of "
                        "the numerators divided by the total of the denominators of the baseline "
                        "points (never an average of percentages); each point’s limits are p̄ ± "
                        "%(sigma)s × √(p̄ × (1 − p̄) ÷ n), n being that point’s denominator, so "
                        "smaller denominators get wider limits."
                    )
                    % sigma
                )
            elif kind == ChartKind.P_PRIME:
                parts.append(
                    _(
                        "Laney p′-chart for proportions (Laney 2002): as a p-chart, but each "
                        "point’s limits are widened by σz, how much more the proportions vary "
                        "from period to period than chance alone would make them (the average "
                        "moving range of the points’ z-scores ÷ 1.128): p̄ ± %(sigma)s × σz × "
                        "√(p̄ × (1 − p̄) ÷ n). With large denominators a plain p-chart would call "
                        "almost every point a signal."
                    )
                    % sigma
                )
            else:
                parts.append(
                    _(
                        "Run chart (Anhøj & Olesen 2014): the centre line is the median of the "
                        "baseline points. With n the number of points not on the median, a run "
                        "of points on one side of it longer than log₂(n) + 3 (rounded), or fewer "
                        "crossings of it than 95%% of random series have, is a signal."
                    )
                    % {}
                )
        if self.requested_kind is None and kinds and PROPORTION_KINDS & set(kinds):
            parts.append(
                _("The Laney p′-chart is used when σz is above 1, the plain p-chart otherwise.")
            )
        if CONTROL_KINDS & set(kinds):
            parts.append(
                _(
                    "Signals: a point outside the limits; %(shift)s or more points in a row on the "
                    "same side of the centre line (a shift; a point on the line ends it); "
                    "%(trend)s or more points in a row each higher, or each lower, than the one "
                    "before (a trend)."
                )
                % {"shift": s.shift_length, "trend": s.trend_length}
            )
        frozen = {"size": s.baseline_size, "min": s.min_points}
        if CONTROL_KINDS & set(kinds):
            text = _(
                "The centre line and limits are computed on the first %(size)s usable points of "
                "each phase (its baseline) and then frozen: later points are judged against them. "
                "A phase with fewer than %(min)s usable points gets a run chart instead."
            )
        else:
            text = _(
                "The median is computed on the first %(size)s usable points of each phase (its "
                "baseline) and then frozen. Control limits need at least %(min)s usable points "
                "in a phase; with fewer it gets this run chart."
            )
        parts.append(text % frozen)
        if len(self.phases) > 1:
            parts.append(
                _(
                    "The series has %(count)s phases, each with its own centre line and limits; "
                    "no rule spans two phases."
                )
                % {"count": len(self.phases)}
            )
            parts.extend(
                _("Phase %(number)s starts at %(label)s, after %(reason)s.")
                % {"number": p.index + 1, "label": p.first_label, "reason": p.started_by}
                for p in self.phases[1:]
            )
        if any(point.excluded for point in self.points):
            parts.append(
                _("Points marked as not comparable are shown but left out of the limits and rules.")
            )
        if self.lower_bound is not None and any(
            p.lower == self.lower_bound and not p.excluded for p in self.points
        ):
            parts.append(
                _("The lower limit is never below %(bound)s.") % {"bound": _plain(self.lower_bound)}
            )
        return " ".join(parts)

    def summary(self) -> str:
        """One plain sentence: no signal, or how many and which."""
        if not self.signals:
            usable = sum(1 for p in self.points if p.value is not None and not p.excluded)
            if usable == 0:
                return _("No values to chart yet.")
            counts = [
                sum(1 for p in self.points if p.phase == phase.index and p.in_baseline)
                for phase in self.phases
            ]
            if all(count < self.settings.min_points for count in counts):
                if len(self.phases) > 1:
                    return _(
                        "No signal yet, but each phase has too few points to tell signal from "
                        "noise."
                    )
                return ngettext(
                    "No signal yet, but %(count)s point is too few to tell signal from noise.",
                    "No signal yet, but %(count)s points are too few to tell signal from noise.",
                    usable,
                ) % {"count": usable}
            return _("No signal: the changes are within normal variation.")
        n = len(self.signals)
        return ngettext("%(count)s signal: %(list)s.", "%(count)s signals: %(list)s.", n) % {
            "count": n,
            "list": "; ".join(_phrase(signal) for signal in self.signals),
        }


def _is_proportions(points: Sequence[SpcPoint]) -> bool:
    """Every comparable point that carries a figure has a numerator and a denominator, and each
    numerator lies between 0 and its (positive) denominator."""
    carriers = [
        p
        for p in points
        if not p.excluded and (p.value, p.numerator, p.denominator) != (None, None, None)
    ]
    if not carriers:
        return False
    for p in carriers:
        num, den = _exact(p.numerator), _exact(p.denominator)
        if num is None or den is None or (den > 0 and not 0 <= num <= den):
            return False
    return True


def _plotted(
    point: SpcPoint, proportions: bool, base: Fraction
) -> tuple[Fraction | None, tuple[Fraction, Fraction] | None]:
    """(plotted value, (numerator, denominator)) of a point. A numerator and denominator give
    the value numerator ÷ denominator × rate base (a gap when the denominator is zero);
    otherwise the reported value (never, on a p-chart)."""
    num, den = _exact(point.numerator), _exact(point.denominator)
    if num is not None and den is not None:
        if den <= 0:
            return None, None
        if proportions and not 0 <= num <= den:
            if point.excluded:
                return None, None
            raise ValueError("A proportion needs 0 ≤ numerator ≤ denominator.")
        return num / den * base, (num, den)
    return (None if proportions else _exact(point.value)), None


def _chart_phase(
    number: int,
    points: Sequence[SpcPoint],
    started_by: str,
    requested: ChartKind | None,
    settings: SpcSettings,
    base: Fraction,
    bound: Fraction | None,
) -> tuple[Phase, list[ChartPoint]]:
    proportions = requested in PROPORTION_KINDS or (requested is None and _is_proportions(points))
    rows = [_plotted(p, proportions, base) for p in points]
    xs = [x if not p.excluded else None for p, (x, _pair) in zip(points, rows, strict=True)]
    usable = [i for i, x in enumerate(xs) if x is not None]
    baseline = usable[: settings.baseline_size]
    k = Fraction(settings.sigma)

    kind = requested or (ChartKind.P if proportions else ChartKind.XMR)
    if len(baseline) < settings.min_points:
        kind = ChartKind.RUN
    n_points = len(points)
    centre: Fraction | None = None
    lower: list[float | None] = [None] * n_points
    upper: list[float | None] = [None] * n_points
    ranges: list[float | None] = [None] * n_points
    above: set[int] = set()
    below: set[int] = set()
    extra: dict[str, object] = {}
    found: list[tuple[int, int, Signal, Sequence[int]]] = []
    labels = [p.label for p in points]

    def add(rule: Rule, indices: Sequence[int], description: str, direction: str) -> None:
        signal = Signal(rule, tuple(labels[i] for i in indices), description, direction, number)
        found.append((indices[0], list(Rule).index(rule), signal, indices))

    if kind == ChartKind.RUN:
        if baseline:
            centre = statistics.median([xs[i] for i in baseline])
            result = _anhoej(xs, centre)
            extra = {
                "useful": result.useful,
                "longest_run": result.longest_run,
                "longest_run_limit": result.longest_run_limit,
                "crossings": result.crossings,
                "crossings_limit": result.crossings_limit,
            }
            for run in result.long_runs:
                text = _long_run_text(
                    [labels[i] for i in run.indices], run.direction, result.longest_run_limit
                )
                add(Rule.LONG_RUN, run.indices, text, run.direction)
            if result.few_crossings:
                indices = result.useful_indices
                text = _crossings_text(
                    [labels[i] for i in indices], result.crossings, result.crossings_limit
                )
                add(Rule.FEW_CROSSINGS, indices, text, "")
    elif kind == ChartKind.XMR:
        centre, mr_bar, half, mr_upper = _xmr([xs[i] for i in baseline], k)
        low, high = centre - half, centre + half
        if bound is not None:
            low = max(low, bound)
        lower, upper = [float(low)] * n_points, [float(high)] * n_points
        extra = {"mr_bar": float(mr_bar), "mr_upper": float(mr_upper)}
        for previous, i in itertools.pairwise(usable):
            ranges[i] = float(abs(xs[i] - xs[previous]))
        above = {i for i in usable if xs[i] > high}
        below = {i for i in usable if xs[i] < low}
    else:
        pairs = [pair for _x, pair in rows]
        pbar = _pbar([pairs[i] for i in baseline])
        centre = pbar * base
        sigma_z = _sigma_z([pairs[i] for i in baseline], pbar)
        if requested is None and sigma_z is not None and sigma_z > 1:
            kind = ChartKind.P_PRIME
        spread = sigma_z if kind == ChartKind.P_PRIME and sigma_z is not None else 1.0
        extra = {"sigma_z": sigma_z}
        variance = pbar * (1 - pbar)
        for i in usable:
            num, den = pairs[i]
            low, high = (b * float(base) for b in _p_bounds(pbar, den, float(k), spread))
            if bound is not None:
                low = max(low, float(bound))
            lower[i], upper[i] = low, high
            # Exactly: |p − p̄| > k·spread·√(p̄(1 − p̄)/n)  ⇔  (p − p̄)²·n > k²·spread²·p̄(1 − p̄).
            gap = num / den - pbar
            beyond = gap * gap * den > k * k * Fraction(spread) ** 2 * variance
            if gap > 0 and beyond:
                above.add(i)
            elif (gap < 0 and beyond) or (bound is not None and xs[i] < bound):
                below.add(i)

    if kind in CONTROL_KINDS:
        for i in sorted(above | below):
            direction = UP if i in above else DOWN
            limit = upper[i] if direction == UP else lower[i]
            add(Rule.OUTSIDE, [i], _outside_text(labels[i], direction, limit), direction)
        for run in side_runs(xs, centre, settings.shift_length):
            indices = run.indices
            text = _shift_text([labels[i] for i in indices], run.direction)
            add(Rule.SHIFT, indices, text, run.direction)
        for run in trend_runs(xs, settings.trend_length):
            indices = run.indices
            text = _trend_text([labels[i] for i in indices], run.direction)
            add(Rule.TREND, indices, text, run.direction)

    found.sort(key=lambda item: item[:2])
    signals = [signal for _first, _order, signal, _indices in found]
    flagged: dict[int, set[str]] = {}
    for _first, _order, signal, indices in found:
        for i in indices:
            flagged.setdefault(i, set()).add(signal.rule)
    in_baseline = set(baseline)
    chart_points = [
        ChartPoint(
            label=p.label,
            value=_float(x),
            centre=_float(centre),
            lower=lower[i],
            upper=upper[i],
            moving_range=ranges[i],
            phase=number,
            excluded=p.excluded,
            in_baseline=i in in_baseline,
            rules=tuple(rule for rule in Rule if rule in flagged.get(i, ())),
        )
        for i, (p, (x, _pair)) in enumerate(zip(points, rows, strict=True))
    ]
    bounds = {(lower[i], upper[i]) for i in usable}
    phase = Phase(
        index=number,
        kind=kind,
        first_label=labels[0],
        last_label=labels[-1],
        started_by=started_by,
        centre=_float(centre),
        lower=next(iter(bounds))[0] if kind in CONTROL_KINDS and len(bounds) == 1 else None,
        upper=next(iter(bounds))[1] if kind in CONTROL_KINDS and len(bounds) == 1 else None,
        baseline_labels=tuple(labels[i] for i in baseline),
        signals=tuple(signals),
        **extra,
    )
    return phase, chart_points


def _phase_starts(
    points: Sequence[SpcPoint],
    phase_starts: Collection[Hashable],
    phase_reasons: Mapping[Hashable, str],
) -> list[tuple[int, str]]:
    """(position, started_by) of each phase's first point."""
    starts: list[tuple[int, str]] = []
    for i, point in enumerate(points):
        if i == 0:
            starts.append((0, ""))
            continue
        reasons = []
        if point.segment != points[i - 1].segment:
            reasons.append(_("a series break: the definition changed"))
        if point.label in phase_starts:
            reason = phase_reasons.get(point.label)
            reasons.append(
                _("a recorded change (%(reason)s)") % {"reason": reason}
                if reason
                else _("a recorded change")
            )
        if reasons:
            starts.append((i, "; ".join(reasons)))
    return starts


def control_chart(
    points: Sequence[SpcPoint],
    *,
    kind: ChartKind | str | None = None,
    settings: SpcSettings = DEFAULT_SETTINGS,
    phase_starts: Collection[Hashable] = (),
    phase_reasons: Mapping[Hashable, str] = _NO_REASONS,
    rate_base: Decimal | float = 100,
    lower_bound: float | None = None,
) -> ControlChart:
    """The control chart (or run chart) of a series, phase by phase, with its signals.

    ``points`` are in time order. ``kind=None`` chooses per phase as the module docstring says;
    a given kind is used for every phase that has at least ``min_points`` usable baseline points
    (the others get run charts). A p or p′ chart reads each point's numerator and denominator
    (a point without them is a gap) and plots numerator ÷ denominator × ``rate_base``; it raises
    ``ValueError`` when no point has both, or a numerator lies outside [0, denominator]. Other
    charts plot numerator ÷ denominator × ``rate_base`` where both are given, else ``value``.

    ``phase_starts`` are labels at which a recorded change starts a new phase (``phase_reasons``
    gives its words); a label not among the points is ignored. ``lower_bound`` raises every lower
    limit to it (0 for counts), in the plotted unit; a point below it is outside the limits.
    Figures handed back are floats.
    """
    requested = ChartKind(kind) if kind is not None else None
    base = _exact(rate_base)
    if base is None or base <= 0:
        raise ValueError("The rate base must be a positive number.")
    bound = _exact(lower_bound)
    if requested in PROPORTION_KINDS and not any(
        p.numerator is not None and p.denominator is not None for p in points
    ):
        raise ValueError("A p or p′ chart needs numerators and denominators.")

    starts = _phase_starts(points, phase_starts, phase_reasons)
    phases: list[Phase] = []
    chart_points: list[ChartPoint] = []
    for number, (start, started_by) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(points)
        phase, phase_points = _chart_phase(
            number, points[start:end], started_by, requested, settings, base, bound
        )
        phases.append(phase)
        chart_points.extend(phase_points)
    return ControlChart(
        kind=phases[-1].kind if phases else ChartKind.RUN,
        points=tuple(chart_points),
        phases=tuple(phases),
        signals=tuple(signal for phase in phases for signal in phase.signals),
        settings=settings,
        requested_kind=requested,
        rate_base=float(base),
        lower_bound=_float(bound),
    )
