"""Are the gaps between groups closing? Gaps against a reference group, their trend, and goals.

Pure functions on plain values; no database, no web. One indicator broken down by a
characteristic (race, age, place) gives one :class:`GroupValue` per group. From those:

* **Reference group** — the group the others are compared with: the one chosen for the indicator
  when there is one, else the best-off group (the highest value when higher is better, the lowest
  when lower is better; the first such group in input order on a tie). A suppressed group is never
  the reference, and an indicator with no better direction has no best-off group.
* **Gap** — ``value − reference value`` in the indicator's own unit (percentage points for a
  percent), and the ratio ``value ÷ reference value``. A suppressed group shows nothing: no value,
  no gap, nothing worked out from the others.
* **Margin of error** — the standard error of a group's figure is its published margin of error
  divided by z (1.645 at 90 %, the American Community Survey's level), else, for a proportion with
  a numerator and a denominator, the binomial ``√(p(1 − p)/n)``. Two groups are treated as
  independent samples, so the standard error of their difference is ``√(se₁² + se₂²)``, and a gap
  is *larger than the margin of error* when ``|gap| > z × se`` (U.S. Census Bureau, *Understanding
  and Using American Community Survey Data*, 2020, ch. 7 and appendix). Standard errors and z are
  floats.
* **Gap trend** — the gap at the first and the latest period given: closing, widening, stable or
  reversed by one stated rule (:func:`gap_trend`).
* **Targeted universalism** (powell, Menendian & Ake, *Targeted Universalism*, Othering & Belonging
  Institute, 2019) — one goal for everyone, a target per group, and whether each group is on the
  straight path from its baseline to its target (:func:`track`, :func:`universal_summary`).

Numbers in the plain-language ``words`` are rounded half-up to ``decimals`` places and formatted
for the active language (``12.3``, ``10,345``), followed by ``unit_suffix`` exactly as given:
pass ``" points"`` for differences of percents, ``" %"`` for percents, ``""`` for counts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from statistics import NormalDist

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.analytics.progress import Direction

HUNDRED = Decimal(100)
Number = Decimal | int | float


def _dec(value: Number | None) -> Decimal | None:
    """A Decimal from a Decimal, int or float (a float by its shortest repr: ``0.1`` → ``0.1``)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _rounded(value: Number, decimals: int) -> Decimal:
    """Half-up to ``decimals`` places, and never ``-0``."""
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(number) if number == 0 else number


def format_figure(value: Number, decimals: int = 0, unit_suffix: str = "") -> str:
    """``value`` rounded half-up to ``decimals`` places, in the active language, then the suffix.

    ``format_figure(Decimal("12.345"), 1, " points")`` → ``"12.3 points"``;
    ``format_figure(10345)`` → ``"10,345"``. The same rounding as the charts and tables.
    """
    number = _rounded(value, decimals)
    text = number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return text + unit_suffix


def _plain(value: Decimal) -> str:
    """A setting such as a threshold, without trailing zeros: ``10``, ``12.5``."""
    text = format(value.normalize(), "f")
    return number_format(Decimal(text), use_l10n=True, force_grouping=True)


def z_score(confidence: float = 0.90) -> float:
    """The two-sided normal critical value: 1.6449 at 0.90, 1.9600 at 0.95 (a float)."""
    if not 0 < confidence < 1:
        raise ValueError("The confidence level must be between 0 and 1, such as 0.90.")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _confidence_words(confidence: float) -> str:
    return _plain(Decimal(str(round(confidence * 100, 6))))


def _join(labels: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    if len(labels) == 1:
        return labels[0]
    return _("%(items)s and %(last)s") % {"items": ", ".join(labels[:-1]), "last": labels[-1]}


# --- Groups and their standard errors ---------------------------------------------------------


@dataclass(frozen=True)
class GroupValue:
    """One group's figure. ``suppressed`` hides it: never shown, inferred or used as reference.

    Numbers may be given as Decimal, int or float; they are kept as Decimal.
    ``margin_of_error`` is at the ``confidence`` level the caller passes (ACS publishes 90 %).
    """

    key: Hashable
    label: str
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    margin_of_error: Decimal | None = None
    suppressed: bool = False

    def __post_init__(self) -> None:
        for name in ("value", "numerator", "denominator", "margin_of_error"):
            object.__setattr__(self, name, _dec(getattr(self, name)))


def standard_error(
    group: GroupValue, *, rate_base: Decimal = HUNDRED, confidence: float = 0.90
) -> float | None:
    """The standard error of ``group.value`` in the indicator's units (a float), or ``None``.

    From the margin of error when given: ``MOE / z`` at ``confidence``. Else, for a proportion
    (numerator and denominator with ``0 ≤ p = numerator/denominator ≤ 1`` and a positive
    denominator), the binomial ``√(p(1 − p)/n) × rate_base`` — zero at 0 % and 100 %, so it
    understates the uncertainty of small groups near those ends. ``None`` for a suppressed group,
    a negative margin of error, or anything else (a count without a margin of error).
    """
    z = z_score(confidence)
    if group.suppressed:
        return None
    if group.margin_of_error is not None:
        if group.margin_of_error < 0:
            return None
        return float(group.margin_of_error) / z
    numerator, denominator = group.numerator, group.denominator
    if numerator is None or denominator is None or denominator <= 0:
        return None
    p = numerator / denominator
    if not 0 <= p <= 1:
        return None
    return math.sqrt(float(p * (1 - p) / denominator)) * float(rate_base)


# --- Gaps against a reference group -----------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """One group against the reference group. Decimal differences; floats for the statistics.

    ``worse_off`` is by the indicator's direction (``None`` when neutral or without a value);
    ``se`` is the standard error of the difference and ``distinguishable`` whether
    ``|difference| > z × se`` (``None`` when no standard error is known).
    """

    key: Hashable
    label: str
    value: Decimal | None  # None for a suppressed group, whatever was passed in
    suppressed: bool
    is_reference: bool
    difference: Decimal | None
    ratio: Decimal | None
    worse_off: bool | None
    se: float | None
    distinguishable: bool | None
    words: str
    reference_key: Hashable | None = None  # the group this gap is measured against


@dataclass(frozen=True)
class EquityTable:
    reference_key: Hashable | None
    reference_reason: str
    gaps: tuple[Gap, ...]  # in input order
    confidence: float
    reference_label: str | None = None
    method: str = ""  # how gaps and the margin of error are worked out, for a footnote


def _usable(group: GroupValue) -> bool:
    return not group.suppressed and group.value is not None


def reference_group(
    groups: Sequence[GroupValue], *, direction: Direction | str, chosen: Hashable | None = None
) -> tuple[Hashable | None, str]:
    """The reference group's key and, in plain words, why it is the reference.

    The ``chosen`` group when given — or ``None`` when it is missing, suppressed or has no value
    (the best-off group is then *not* silently put in its place, so gaps stay comparable from one
    period to the next). Otherwise the best-off group by ``direction``, the first in input order on
    a tie; ``None`` when the direction is neutral or no group has a figure shown.
    """
    direction = Direction(direction)
    if chosen is not None:
        match = next((g for g in groups if g.key == chosen), None)
        if match is None:
            return None, _("the chosen reference group is not in this breakdown")
        if not _usable(match):
            return None, _("the chosen reference group has no figure shown")
        return chosen, _("chosen for this indicator")
    usable = [g for g in groups if _usable(g)]
    if not usable:
        return None, _("no group has a figure shown")
    if direction == Direction.NEUTRAL:
        return None, _(
            "no better direction, so no best-off group: choose a reference group for this indicator"
        )
    if direction == Direction.UP:
        best = max(usable, key=lambda g: g.value)  # max/min keep the first of equal values
        return best.key, _("the best-off group (highest value, higher is better)")
    best = min(usable, key=lambda g: g.value)
    return best.key, _("the best-off group (lowest value, lower is better)")


def gaps(
    groups: Sequence[GroupValue],
    *,
    direction: Direction | str,
    chosen_reference: Hashable | None = None,
    rate_base: Decimal = HUNDRED,
    confidence: float = 0.90,
    decimals: int = 0,
    unit_suffix: str = "",
) -> EquityTable:
    """Every group against the reference group, in input order.

    ``decimals`` and ``unit_suffix`` shape the differences in ``words`` (``" points"`` for a
    percent). Keys must be unique. The ratio is ``None`` when the reference value is zero.
    """
    direction = Direction(direction)
    z = z_score(confidence)
    keys = [g.key for g in groups]
    if len(set(keys)) != len(keys):
        raise ValueError("Each group must appear once.")
    ref_key, reason = reference_group(groups, direction=direction, chosen=chosen_reference)
    reference = next((g for g in groups if g.key == ref_key), None) if ref_key is not None else None
    ref_se = (
        standard_error(reference, rate_base=rate_base, confidence=confidence) if reference else None
    )

    def gap(group: GroupValue) -> Gap:
        blank = Gap(
            key=group.key,
            label=group.label,
            value=None if group.suppressed else group.value,
            suppressed=group.suppressed,
            is_reference=False,
            difference=None,
            ratio=None,
            worse_off=None,
            se=None,
            distinguishable=None,
            words="",
            reference_key=ref_key,
        )
        if group.suppressed:
            return replace(blank, words=_("Suppressed (small number): not shown."))
        if group.value is None:
            return replace(blank, words=_("No figure."))
        if reference is None or reference.value is None:
            return replace(blank, words=_("No reference group to compare with."))
        if group.key == ref_key:
            return replace(
                blank,
                is_reference=True,
                difference=Decimal(0),
                ratio=Decimal(1),
                worse_off=None if direction == Direction.NEUTRAL else False,
                words=_("Reference group: %(reason)s.") % {"reason": reason},
            )
        difference = group.value - reference.value
        worse_off = None
        if direction != Direction.NEUTRAL:
            worse_off = difference < 0 if direction == Direction.UP else difference > 0
        own_se = standard_error(group, rate_base=rate_base, confidence=confidence)
        se = math.hypot(own_se, ref_se) if own_se is not None and ref_se is not None else None
        distinguishable = None if se is None else abs(float(difference)) > z * se
        values = {
            "amount": format_figure(abs(difference), decimals, unit_suffix),
            "reference": reference.label,
        }
        if difference == 0:
            comparison = _("The same as %(reference)s (reference)") % values
        elif _rounded(difference, decimals) == 0:
            comparison = _("About the same as %(reference)s (reference)") % values
        elif difference > 0:
            comparison = _("%(amount)s higher than %(reference)s (reference)") % values
        else:
            comparison = _("%(amount)s lower than %(reference)s (reference)") % values
        if distinguishable is None:
            words = _("%(comparison)s.")
        elif distinguishable:
            words = _("%(comparison)s; larger than the margin of error.")
        else:
            words = _("%(comparison)s; within the margin of error, so it may be chance.")
        return replace(
            blank,
            difference=difference,
            ratio=group.value / reference.value if reference.value != 0 else None,
            worse_off=worse_off,
            se=se,
            distinguishable=distinguishable,
            words=words % {"comparison": comparison},
        )

    method = _(
        "Each group is compared with the reference group: the difference is in the indicator’s "
        "own units, the ratio is the group’s value divided by the reference value. A difference "
        "is larger than the margin of error when it is more than %(z)s times its standard error "
        "(%(confidence)s%% confidence), treating the two groups as independent samples. "
        "Suppressed groups are not shown and not compared."
    ) % {"z": format_figure(z, 3), "confidence": _confidence_words(confidence)}
    return EquityTable(
        reference_key=ref_key,
        reference_reason=reason,
        gaps=tuple(gap(g) for g in groups),
        confidence=confidence,
        reference_label=reference.label if reference else None,
        method=method,
    )


# --- Is the gap closing? ----------------------------------------------------------------------


class GapStatus(StrEnum):
    """The values of :attr:`GapTrend.status` (equal to the plain strings)."""

    CLOSING = "closing"
    WIDENING = "widening"
    STABLE = "stable"
    REVERSED = "reversed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class GapTrend:
    status: str  # "closing" | "widening" | "stable" | "reversed" | "unknown"
    first_label: Hashable | None
    last_label: Hashable | None
    first_gap: Decimal | None
    last_gap: Decimal | None
    change: Decimal | None  # |last| − |first|: negative when the gap narrowed
    distinguishable: bool | None
    words: str
    rule: str


def gap_trend_rule(threshold: Decimal = Decimal(10), confidence: float = 0.90) -> str:
    """The rule :func:`gap_trend` applies, in one plain paragraph for the page."""
    return _(
        "The gap is compared at the first and the latest period shown. It is closing when it "
        "shrank by at least %(threshold)s%% of the first gap, widening when it grew by at least "
        "that much, and stable otherwise. It is reversed when the group went from worse off than "
        "the reference group to better off, or the other way round. When margins of error are "
        "known and the change is not larger than the margin of error (%(confidence)s%% "
        "confidence), it is stable."
    ) % {"threshold": _plain(Decimal(threshold)), "confidence": _confidence_words(confidence)}


def _missing_reason(label: Hashable, gap: Gap) -> str | None:
    values = {"period": label}
    if gap.suppressed:
        return _("Suppressed (small number) in %(period)s, so the trend cannot be shown.") % values
    if gap.value is None:
        return _("No figure in %(period)s, so the trend cannot be shown.") % values
    if gap.difference is None:
        return _("No reference group to compare with in %(period)s.") % values
    return None


def gap_trend(
    history: Sequence[tuple[Hashable, Gap]],
    *,
    threshold: Decimal = Decimal(10),
    confidence: float = 0.90,
    decimals: int = 0,
    unit_suffix: str = "",
) -> GapTrend:
    """Whether one group's gap closed, widened, held or reversed between the first and last period.

    ``history`` is ``(period, Gap)`` in time order, all comparable (one series segment, the same
    reference group). Let d₁, d₂ be the differences at the ends and ``change = |d₂| − |d₁|``:

    * unknown — fewer than two periods; either end suppressed, missing or without a reference;
      the reference group changed between the ends; or the group is the reference itself;
    * stable (within the margin of error) — both ends have a standard error and
      ``|d₂ − d₁| ≤ z × √(se₁² + se₂²)`` (the two periods treated as independent; overlapping
      ACS 5-year periods are not, so pass periods that do not overlap);
    * reversed — d₁ and d₂ are non-zero with opposite signs;
    * closing — ``change < 0`` and ``|change| ≥ threshold % × |d₁|``;
    * widening — ``change > 0`` and ``change ≥ threshold % × |d₁|`` (any growth from no gap);
    * stable — otherwise.
    """
    threshold = Decimal(threshold)
    if threshold < 0:
        raise ValueError("The threshold cannot be negative.")
    z = z_score(confidence)
    rule = gap_trend_rule(threshold, confidence)
    first_label = history[0][0] if history else None
    last_label = history[-1][0] if history else None
    first = history[0][1] if history else None
    last = history[-1][1] if history else None
    d1 = first.difference if first else None
    d2 = last.difference if last else None

    def result(status: str, words: str, **extra: object) -> GapTrend:
        values = {"first_gap": d1, "last_gap": d2, "change": None, "distinguishable": None}
        values.update(extra)
        return GapTrend(
            status=status,
            first_label=first_label,
            last_label=last_label,
            words=words,
            rule=rule,
            **values,  # type: ignore[arg-type]
        )

    if len(history) < 2 or first is None or last is None:
        return result(
            GapStatus.UNKNOWN, _("Needs at least two periods to tell whether the gap is changing.")
        )
    if first.is_reference and last.is_reference:
        return result(
            GapStatus.UNKNOWN, _("This is the reference group, so it has no gap to follow.")
        )
    for label, gap in ((first_label, first), (last_label, last)):
        reason = _missing_reason(label, gap)
        if reason:
            return result(GapStatus.UNKNOWN, reason)
    if first.is_reference or last.is_reference or first.reference_key != last.reference_key:
        return result(
            GapStatus.UNKNOWN,
            _(
                "The reference group changed between %(first)s and %(last)s, so the gaps are "
                "not measured against the same group."
            )
            % {"first": first_label, "last": last_label},
        )
    assert d1 is not None and d2 is not None  # checked by _missing_reason
    change = abs(d2) - abs(d1)
    distinguishable = None
    if first.se is not None and last.se is not None:
        distinguishable = abs(float(d2 - d1)) > z * math.hypot(first.se, last.se)
    values = {
        "first": format_figure(abs(d1), decimals, unit_suffix),
        "last": format_figure(abs(d2), decimals, unit_suffix),
        "first_period": first_label,
        "last_period": last_label,
        "threshold": _plain(threshold),
    }
    done = {"change": change, "distinguishable": distinguishable}
    if distinguishable is False:
        return result(
            GapStatus.STABLE,
            _(
                "Stable: the gap went from %(first)s in %(first_period)s to %(last)s in "
                "%(last_period)s, but the change is within the margin of error, so it may be "
                "chance."
            )
            % values,
            **done,
        )
    sure = " " + _("The change is larger than the margin of error.") if distinguishable else ""
    if d1 != 0 and d2 != 0 and (d1 > 0) != (d2 > 0):
        if last.worse_off is True:
            text = _(
                "Reversed: this group was better off than the reference group in "
                "%(first_period)s (by %(first)s) and is worse off in %(last_period)s "
                "(by %(last)s)."
            )
        elif last.worse_off is False:
            text = _(
                "Reversed: this group was worse off than the reference group in "
                "%(first_period)s (by %(first)s) and is better off in %(last_period)s "
                "(by %(last)s)."
            )
        elif d2 > 0:
            text = _(
                "Reversed: this group was below the reference group in %(first_period)s (by "
                "%(first)s) and is above it in %(last_period)s (by %(last)s)."
            )
        else:
            text = _(
                "Reversed: this group was above the reference group in %(first_period)s (by "
                "%(first)s) and is below it in %(last_period)s (by %(last)s)."
            )
        return result(GapStatus.REVERSED, (text % values) + sure, **done)
    needed = threshold / HUNDRED * abs(d1)
    if change < 0 and -change >= needed:
        text = _(
            "Closing: the gap narrowed from %(first)s in %(first_period)s to %(last)s in "
            "%(last_period)s."
        )
        return result(GapStatus.CLOSING, (text % values) + sure, **done)
    if change > 0 and change >= needed:
        text = _(
            "Widening: the gap grew from %(first)s in %(first_period)s to %(last)s in "
            "%(last_period)s."
        )
        return result(GapStatus.WIDENING, (text % values) + sure, **done)
    text = _(
        "Stable: the gap went from %(first)s in %(first_period)s to %(last)s in %(last_period)s, "
        "a change of less than %(threshold)s%% of the first gap."
    )
    return result(GapStatus.STABLE, (text % values) + sure, **done)


# --- Targeted universalism: one goal, a target for each group ---------------------------------


@dataclass(frozen=True)
class Track:
    key: Hashable
    label: str
    on_track: bool | None  # None = cannot tell (missing, suppressed, no target, no direction)
    expected: Decimal | None  # the straight path from baseline to target, at the latest time
    latest: Decimal | None  # None for a suppressed group
    target: Decimal | None
    words: str
    suppressed: bool = False
    target_reached: bool = False


def _year(at: float) -> Decimal:
    return Decimal(str(at))


def track(
    *,
    key: Hashable,
    label: str,
    baseline: Number | None,
    baseline_at: float,
    latest: Number | None,
    latest_at: float,
    target: Number | None,
    target_at: float,
    direction: Direction | str,
    suppressed: bool = False,
    decimals: int = 0,
    unit_suffix: str = "",
) -> Track:
    """Whether a group is on the straight path from its baseline to its target.

    ``expected = baseline + (target − baseline) × (latest_at − baseline_at) / (target_at −
    baseline_at)``, with the elapsed share held between 0 and 1 (after the target date the
    whole target is expected; a target date not after the baseline expects it all at once).
    On track when the latest value is at least as good as expected by the direction, or has
    reached the target. ``*_at`` are decimal years (2023.5 = mid-2023). ``decimals`` and
    ``unit_suffix`` shape the figures in ``words`` (``" %"`` for a percent).
    """
    direction = Direction(direction)
    baseline, latest, target = _dec(baseline), _dec(latest), _dec(target)

    def result(words: str, **values: object) -> Track:
        fields = {"on_track": None, "expected": None, "latest": latest, "target": target}
        fields.update(values)
        return Track(key=key, label=label, words=words, suppressed=suppressed, **fields)  # type: ignore[arg-type]

    if suppressed:
        return result(_("Suppressed (small number): not shown."), latest=None)
    if target is None:
        return result(_("No target set."))
    if latest is None:
        return result(_("No value reported yet."))
    if direction == Direction.NEUTRAL:
        return result(_("This indicator has no better direction, so on track cannot be judged."))
    reached = latest >= target if direction == Direction.UP else latest <= target
    values = {
        "latest": format_figure(latest, decimals, unit_suffix),
        "target": format_figure(target, decimals, unit_suffix),
    }
    expected = None
    if baseline is not None:
        span = _year(target_at) - _year(baseline_at)
        elapsed = min(max(_year(latest_at) - _year(baseline_at), Decimal(0)), span)
        # Multiply before dividing, so whole-year steps stay exact (30 + 15 × 4 / 6 = 40).
        expected = baseline + (target - baseline) * elapsed / span if span > 0 else target
        values["expected"] = format_figure(expected, decimals, unit_suffix)
    if reached:
        words = _("On track: target reached (%(latest)s against a target of %(target)s).") % values
        return result(words, on_track=True, expected=expected, target_reached=True)
    if expected is None:
        return result(_("No baseline value, so there is no path to the target."))
    if latest >= expected if direction == Direction.UP else latest <= expected:
        words = _("On track: %(latest)s against %(expected)s expected by now.") % values
        return result(words, on_track=True, expected=expected)
    words = _("Off track: %(latest)s against %(expected)s expected by now.") % values
    return result(words, on_track=False, expected=expected)


def universal_summary(overall: Track, groups: Sequence[Track]) -> str:
    """One sentence for the page: overall progress, then which groups are off track.

    "On track overall, but off track for A and B." Groups that cannot be judged (missing,
    suppressed, no target) are named in a second sentence.
    """
    on = [g.label for g in groups if g.on_track is True]
    off = [g.label for g in groups if g.on_track is False]
    unknown = [g.label for g in groups if g.on_track is None]
    if overall.on_track is True:
        if off:
            text = _("On track overall, but off track for %(off)s.")
        elif on and not unknown:
            text = _("On track overall and for every group.")
        elif on:
            text = _("On track overall and for every group that can be judged.")
        else:
            text = _("On track overall.")
    elif overall.on_track is False:
        if off and on:
            text = _("Off track overall and for %(off)s; on track for %(on)s.")
        elif on:
            text = _("Off track overall, though on track for %(on)s.")
        elif off and not unknown:
            text = _("Off track overall and for every group.")
        elif off:
            text = _("Off track overall and for every group that can be judged.")
        else:
            text = _("Off track overall.")
    elif off and on:
        text = _("Overall progress cannot be judged; off track for %(off)s, on track for %(on)s.")
    elif off:
        text = _("Overall progress cannot be judged; off track for %(off)s.")
    elif on:
        text = _("Overall progress cannot be judged; on track for %(on)s.")
    else:
        text = _("Overall progress cannot be judged.")
    sentence = text % {"off": _join(off) if off else "", "on": _join(on) if on else ""}
    if unknown:
        sentence += " " + _("Cannot be judged for %(groups)s.") % {"groups": _join(unknown)}
    return sentence
