"""Are we moving the needle? Change from a baseline, judged by one plain rule.

Pure functions on plain values; no database, no web. An indicator's series is a list of
``(period, value)`` pairs in time order. The baseline is the value at a chosen period (or the first
value); the latest is the last value reported. From those two:

* **absolute change** — latest − baseline, in the indicator's own unit;
* **relative change** — the absolute change as a percent of the baseline, (latest − baseline) ÷
  |baseline| × 100; none when the baseline is zero;
* **improvement** — the change signed so that positive always means *better*: a fall in the
  homeless count is an improvement, a fall in the graduation rate is not. Under the ``relative``
  basis it is the relative change, under ``points`` the absolute change (percentage points, for
  indicators that are already percents or rates);
* **moving the needle** — the improvement is at least the rule's threshold (10 % by default).
  Only *population* measures (about the whole community) can move the needle; a *performance*
  measure (how a program does with its own participants) never does, and neither does an indicator
  with no better direction.

A series break — the indicator's definition changed — makes values on either side incomparable, so
no change is reported across one.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

HUNDRED = Decimal(100)


class ChangeBasis(StrEnum):
    RELATIVE = "relative"  # percent change from the baseline
    POINTS = "points"  # percentage-point change, for indicators that are percents or rates


class Direction(StrEnum):
    """Which way is better. Same values as ``backbone.measurement.models.Direction``."""

    UP = "up"
    DOWN = "down"
    NEUTRAL = "neutral"


def _number(value: Decimal) -> str:
    """``Decimal("10")`` → ``"10"``, ``Decimal("7.50")`` → ``"7.5"`` (never ``1E+1``)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class NeedleRule:
    """How much improvement counts as moving the needle, and measured how.

    ``threshold`` is in percent (``relative``) or percentage points (``points``); reaching it
    exactly counts. It cannot be negative.
    """

    threshold: Decimal = Decimal(10)
    basis: ChangeBasis = ChangeBasis.RELATIVE

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", Decimal(self.threshold))
        object.__setattr__(self, "basis", ChangeBasis(self.basis))
        if self.threshold < 0:
            raise ValueError("The needle threshold cannot be negative.")

    def describe(self) -> str:
        """The rule in one plain sentence, for a page or a report footnote."""
        if self.basis == ChangeBasis.POINTS:
            text = _(
                "Moving the needle: at least %(threshold)s percentage points of improvement from "
                "baseline in the good direction (percentage-point change)."
            )
        else:
            text = _(
                "Moving the needle: at least %(threshold)s%% improvement from baseline in the "
                "good direction (relative change)."
            )
        return text % {"threshold": _number(self.threshold)}

    def amount(self) -> str:
        """The threshold with its unit: "10%" or "10 percentage points"."""
        if self.basis == ChangeBasis.POINTS:
            return _("%(threshold)s percentage points") % {"threshold": _number(self.threshold)}
        return _("%(threshold)s%%") % {"threshold": _number(self.threshold)}


DEFAULT_RULE = NeedleRule()


@dataclass(frozen=True)
class Progress:
    """Change from baseline to latest for one indicator, and whether it moves the needle.

    Every change is ``None`` when it cannot be worked out (a value is missing, the baseline is
    zero for a percent change, or a series break lies in between). ``reason`` says in plain words
    why the needle is or is not moving; ``not_comparable_reason`` is set only for a series break.
    """

    baseline_period: Hashable | None
    baseline: Decimal | None
    latest_period: Hashable | None
    latest: Decimal | None
    absolute_change: Decimal | None
    relative_change: Decimal | None  # percent of the baseline
    improvement: Decimal | None  # positive = better, in the rule's basis; None when neutral
    target: Decimal | None
    percent_to_target: Decimal | None  # share of the way from baseline to target covered
    needle_moving: bool
    reason: str
    rule: NeedleRule
    direction: Direction
    is_population: bool
    not_comparable_reason: str | None = None

    @property
    def comparable(self) -> bool:
        return self.not_comparable_reason is None


def _first_break(
    points: Sequence[tuple[Hashable, Decimal | None]],
    positions: dict[Hashable, int],
    breaks: Collection[Hashable],
    base_index: int,
    latest_index: int,
) -> Hashable | None:
    inside = sorted(
        positions[label]
        for label in breaks
        if label in positions and base_index < positions[label] <= latest_index
    )
    return points[inside[0]][0] if inside else None


def progress(
    points: Sequence[tuple[Hashable, Decimal | None]],
    *,
    direction: Direction | str,
    is_population: bool,
    rule: NeedleRule = DEFAULT_RULE,
    baseline_period: Hashable | None = None,
    target: Decimal | None = None,
    breaks: Collection[Hashable] = (),
) -> Progress:
    """Progress of one indicator from its baseline to its latest value.

    ``points`` are ``(period, value)`` pairs in time order; ``None`` values are gaps. The baseline
    is the value at ``baseline_period`` when given (``None`` if that period has no value), else the
    first value; the latest is the last value at or after the baseline.

    The needle is moving only when all of these hold: it is a population measure, the direction is
    up or down, both values exist, no series break lies between them, and the improvement is at
    least the rule's threshold (reaching it exactly counts).

    ``breaks`` are the periods at which the indicator's definition changed (the value *at* a break
    uses the new definition). A break after the baseline period and at or before the latest period
    makes the change not comparable; a break at the baseline period itself does not. Breaks are
    placed by their position in ``points``; a break whose period is not in ``points`` is ignored, so
    include such a period with a ``None`` value if it falls between reported periods.

    ``percent_to_target`` is how far from the baseline towards ``target`` the latest value has
    come: 50 means halfway, over 100 means past the target, negative means moving away from it.
    """
    direction = Direction(direction)
    positions: dict[Hashable, int] = {}
    for index, (label, _value) in enumerate(points):
        positions.setdefault(label, index)

    if baseline_period is None:
        base_index = next((i for i, (_p, v) in enumerate(points) if v is not None), None)
    else:
        base_index = positions.get(baseline_period)
    baseline = points[base_index][1] if base_index is not None else None
    if base_index is not None:
        baseline_period = points[base_index][0]

    start = base_index or 0
    latest_index = next(
        (i for i in range(len(points) - 1, start - 1, -1) if points[i][1] is not None), None
    )
    latest_period = points[latest_index][0] if latest_index is not None else None
    latest = points[latest_index][1] if latest_index is not None else None

    def result(
        reason: str,
        *,
        absolute: Decimal | None = None,
        relative: Decimal | None = None,
        improvement: Decimal | None = None,
        to_target: Decimal | None = None,
        moving: bool = False,
        not_comparable: str | None = None,
    ) -> Progress:
        return Progress(
            baseline_period=baseline_period,
            baseline=baseline,
            latest_period=latest_period,
            latest=latest,
            absolute_change=absolute,
            relative_change=relative,
            improvement=improvement,
            target=target,
            percent_to_target=to_target,
            needle_moving=moving,
            reason=reason,
            rule=rule,
            direction=direction,
            is_population=is_population,
            not_comparable_reason=not_comparable,
        )

    if baseline is None or latest is None or base_index is None or latest_index is None:
        if latest is None:
            return result(_("No values have been reported yet, so there is no change to measure."))
        return result(_("There is no baseline value, so change cannot be measured."))

    broken_at = _first_break(points, positions, breaks, base_index, latest_index)
    if broken_at is not None:
        text = _(
            "The indicator’s definition changed in %(period)s, so values before and after "
            "cannot be compared."
        ) % {"period": broken_at}
        return result(text, not_comparable=text)

    absolute = latest - baseline
    relative = absolute * HUNDRED / abs(baseline) if baseline != 0 else None
    to_target = None
    if target is not None and target != baseline:
        to_target = absolute * HUNDRED / (target - baseline)

    change = relative if rule.basis == ChangeBasis.RELATIVE else absolute
    improvement = None
    if direction != Direction.NEUTRAL and change is not None:
        improvement = change if direction == Direction.UP else -change

    def done(reason: str, moving: bool = False) -> Progress:
        return result(
            reason,
            absolute=absolute,
            relative=relative,
            improvement=improvement,
            to_target=to_target,
            moving=moving,
        )

    if direction == Direction.NEUTRAL:
        return done(_("This indicator has no better or worse direction; it is shown for context."))
    if not is_population:
        return done(
            _(
                "This is a performance measure (how a program does with its own participants). "
                "Only population measures, about the whole community, can move the needle."
            )
        )
    if base_index == latest_index:
        return done(_("Only one period has a value so far, so there is no change yet."))
    if improvement is None:
        return done(_("The baseline is zero, so a percent change cannot be calculated."))
    since = {"period": baseline_period, "amount": rule.amount()}
    if improvement >= rule.threshold:
        return done(
            _("Improved by %(amount)s or more since %(period)s: the needle is moving.") % since,
            moving=True,
        )
    if improvement > 0:
        return done(
            _(
                "Improved since %(period)s, but by less than the %(amount)s needed to count as "
                "moving the needle."
            )
            % since
        )
    if improvement == 0:
        return done(_("No change since %(period)s.") % since)
    return done(_("Got worse since %(period)s.") % since)
