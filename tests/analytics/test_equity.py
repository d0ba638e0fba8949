"""Gaps between groups, their trend, and targeted universalism, against hand-computed figures."""

import math
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.analytics.equity import (
    EquityTable,
    Gap,
    GapStatus,
    GroupValue,
    Track,
    format_figure,
    gap_trend,
    gaps,
    reference_group,
    standard_error,
    track,
    universal_summary,
    z_score,
)
from backbone.analytics.progress import Direction

Z90 = 1.6448536269514722  # NormalDist().inv_cdf(0.95), the ACS's "1.645"

WHITE = GroupValue("white", "White", D("45.2"), margin_of_error=D("1.1"))
BLACK = GroupValue("black", "Black or African American", D("32.9"), margin_of_error=D("2.5"))
SMALL = GroupValue("nhpi", "Native Hawaiian", D("60"), suppressed=True)


def _by_key(table: EquityTable) -> dict:
    return {gap.key: gap for gap in table.gaps}


# --- Numbers in words ------------------------------------------------------------------------


def test_figures_round_half_up_group_thousands_and_take_the_suffix():
    assert format_figure(D("12.35"), 1, " points") == "12.4 points"  # half-up, not half-even
    assert format_figure(D("12.25"), 1, " points") == "12.3 points"
    assert format_figure(10345) == "10,345"
    assert format_figure(D("9869.5")) == "9,870"
    assert format_figure(0.1 + 0.2, 2, " %") == "0.30 %"
    assert format_figure(D("-0.04"), 1) == "0.0"  # never "-0.0"


def test_figures_follow_the_active_language():
    with translation.override("es"):
        # Spanish groups thousands with a no-break space and uses a decimal comma.
        assert format_figure(D("10345.25"), 1, " %") == "10\xa0345,3 %"


# --- z and standard errors -------------------------------------------------------------------


def test_z_is_1_645_at_90_and_1_96_at_95_percent():
    assert z_score(0.90) == pytest.approx(1.644854, abs=1e-6)
    assert z_score(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError):
        z_score(1.0)
    with pytest.raises(ValueError):
        z_score(0)


def test_standard_error_from_a_published_90_percent_margin_of_error():
    # ACS: SE = MOE / 1.645 → 2.5 / 1.6448536 = 1.519892
    assert standard_error(BLACK) == pytest.approx(1.519892, abs=1e-6)
    # The same margin published at 95 %: 1.96 / 1.959964 = 1.0000183
    at_95 = GroupValue("a", "A", D(50), margin_of_error=D("1.96"))
    assert standard_error(at_95, confidence=0.95) == pytest.approx(1.0000183, abs=1e-7)


def test_binomial_standard_error_of_a_proportion():
    # 30 of 120: p = 0.25, √(0.25 × 0.75 / 120) = √0.0015625 = 0.0395285 → 3.95285 points
    group = GroupValue("a", "A", D(25), numerator=D(30), denominator=D(120))
    assert standard_error(group) == pytest.approx(3.952847, abs=1e-6)
    # Per 1,000: 39.5285
    assert standard_error(group, rate_base=D(1000)) == pytest.approx(39.52847, abs=1e-5)


def test_the_margin_of_error_wins_over_the_binomial():
    group = GroupValue("a", "A", D(25), numerator=30, denominator=120, margin_of_error=D("3.29"))
    assert standard_error(group) == pytest.approx(3.29 / Z90)


@pytest.mark.parametrize(
    "group",
    [
        GroupValue("a", "A", D(5)),  # a count with no margin of error
        GroupValue("a", "A", D(5), numerator=D(5), denominator=D(0)),  # zero denominator
        GroupValue("a", "A", D(5), numerator=D(5), denominator=None),
        GroupValue("a", "A", D(150), numerator=D(15), denominator=D(10)),  # not a proportion
        GroupValue("a", "A", D(5), margin_of_error=D(-1)),  # a negative margin is no margin
        GroupValue("a", "A", D(25), numerator=D(30), denominator=D(120), suppressed=True),
    ],
)
def test_no_standard_error_when_it_cannot_be_known(group):
    assert standard_error(group) is None


def test_binomial_standard_error_is_zero_at_none_and_all():
    assert standard_error(GroupValue("a", "A", D(0), numerator=0, denominator=40)) == 0.0
    assert standard_error(GroupValue("a", "A", D(100), numerator=40, denominator=40)) == 0.0


def test_group_values_accept_ints_and_floats_and_keep_decimals():
    group = GroupValue("a", "A", 0.1, numerator=3, denominator=30, margin_of_error=1.5)
    assert (group.value, group.numerator, group.denominator) == (D("0.1"), D(3), D(30))
    assert group.margin_of_error == D("1.5")


# --- Reference group -------------------------------------------------------------------------


def test_best_off_group_is_highest_when_higher_is_better_and_lowest_when_lower():
    groups = [BLACK, WHITE, GroupValue("asian", "Asian", D("40.0")), SMALL]
    assert reference_group(groups, direction=Direction.UP) == (
        "white",
        "the best-off group (highest value, higher is better)",
    )
    # The suppressed 60 is never the reference, even though it is the highest.
    assert reference_group(groups, direction="down") == (
        "black",
        "the best-off group (lowest value, lower is better)",
    )


def test_a_tie_for_best_off_goes_to_the_first_group():
    groups = [GroupValue("a", "A", D(10)), GroupValue("b", "B", D("10.0"))]
    assert reference_group(groups, direction="up")[0] == "a"
    assert reference_group(groups, direction="down")[0] == "a"


def test_a_chosen_reference_wins_even_when_it_is_not_best_off():
    assert reference_group([WHITE, BLACK], direction="up", chosen="black") == (
        "black",
        "chosen for this indicator",
    )


def test_a_chosen_reference_that_cannot_be_used_gives_no_reference():
    groups = [WHITE, BLACK, SMALL, GroupValue("none", "None", None)]
    assert reference_group(groups, direction="up", chosen="nhpi") == (
        None,
        "the chosen reference group has no figure shown",
    )
    assert reference_group(groups, direction="up", chosen="none")[0] is None
    assert reference_group(groups, direction="up", chosen="elsewhere") == (
        None,
        "the chosen reference group is not in this breakdown",
    )


def test_no_reference_for_a_neutral_indicator_unless_chosen():
    key, reason = reference_group([WHITE, BLACK], direction="neutral")
    assert key is None
    assert "choose a reference group" in reason
    assert reference_group([WHITE, BLACK], direction="neutral", chosen="white")[0] == "white"


def test_no_reference_when_nothing_is_shown():
    assert reference_group([], direction="up") == (None, "no group has a figure shown")
    assert reference_group([SMALL], direction="up") == (None, "no group has a figure shown")


# --- Gaps ------------------------------------------------------------------------------------


def test_gap_against_the_best_off_group_with_acs_margins_of_error():
    table = gaps([BLACK, WHITE, SMALL], direction="up", decimals=1, unit_suffix=" points")
    assert table.reference_key == "white"
    assert table.reference_label == "White"
    assert table.confidence == 0.90
    assert [g.key for g in table.gaps] == ["black", "white", "nhpi"]  # input order
    black = _by_key(table)["black"]
    # 32.9 − 45.2 = −12.3 points; 32.9 / 45.2 = 0.727876
    assert black.difference == D("-12.3")
    assert round(black.ratio, 6) == D("0.727876")
    assert black.worse_off is True
    # SE = √((1.1/1.645)² + (2.5/1.645)²) = √7.46 / 1.645 = 2.731300 / 1.644854 = 1.660513;
    # z × SE = √(1.1² + 2.5²) = 2.7313 < 12.3, so the gap is larger than the margin of error.
    assert black.se == pytest.approx(1.660513, abs=1e-6)
    assert black.distinguishable is True
    assert black.words == (
        "12.3 points lower than White (reference); larger than the margin of error."
    )
    assert black.reference_key == "white"


def test_the_reference_row_has_no_gap_and_says_why_it_is_the_reference():
    white = _by_key(gaps([BLACK, WHITE], direction="up"))["white"]
    assert white.is_reference is True
    assert (white.difference, white.ratio, white.worse_off) == (D(0), D(1), False)
    assert (white.se, white.distinguishable) == (None, None)
    assert white.words == ("Reference group: the best-off group (highest value, higher is better).")


def test_a_suppressed_group_shows_nothing_and_is_not_compared():
    small = _by_key(gaps([BLACK, WHITE, SMALL], direction="up"))["nhpi"]
    assert small.suppressed is True
    assert small.value is None  # the hidden figure does not leak to the page
    assert (small.difference, small.ratio, small.worse_off, small.se) == (None, None, None, None)
    assert small.words == "Suppressed (small number): not shown."


def test_a_gap_within_the_margin_of_error():
    # 42.0 − 45.2 = −3.2; z × SE = √(3.0² + 2.0²) = √13 = 3.6056 ≥ 3.2
    table = gaps(
        [
            GroupValue("a", "A", D("45.2"), margin_of_error=D(3)),
            GroupValue("b", "B", D("42.0"), margin_of_error=D(2)),
        ],
        direction="up",
        decimals=1,
        unit_suffix=" points",
    )
    b = _by_key(table)["b"]
    assert b.se == pytest.approx(math.sqrt(13) / Z90)
    assert b.distinguishable is False
    assert (
        b.words
        == "3.2 points lower than A (reference); within the margin of error, so it may be chance."
    )


def test_binomial_gap_between_two_proportions():
    # A: 30 of 120 = 25 %, SE 3.952847; B: 60 of 150 = 40 %, SE √(0.4 × 0.6 / 150) × 100 = 4.0
    # SE of the difference √(15.625 + 16) = √31.625 = 5.623611; z × SE = 9.2500 < 15
    table = gaps(
        [
            GroupValue("a", "A", D(25), numerator=30, denominator=120),
            GroupValue("b", "B", D(40), numerator=60, denominator=150),
        ],
        direction="down",  # lower is better: A (25 %) is best off
    )
    b = _by_key(table)["b"]
    assert table.reference_key == "a"
    assert b.difference == D(15)
    assert b.ratio == D("1.6")
    assert b.worse_off is True
    assert b.se == pytest.approx(5.623611, abs=1e-6)
    assert b.distinguishable is True
    assert b.words == "15 higher than A (reference); larger than the margin of error."


def test_no_margin_of_error_means_no_verdict_on_chance():
    table = gaps(
        [GroupValue("a", "A", D(120)), GroupValue("b", "B", D(80))],
        direction="down",
        chosen_reference="a",
    )
    b = _by_key(table)["b"]
    assert (b.difference, b.worse_off, b.se, b.distinguishable) == (D(-40), False, None, None)
    assert b.words == "40 lower than A (reference)."
    assert table.reference_reason == "chosen for this indicator"


def test_a_zero_reference_value_has_a_difference_but_no_ratio():
    # Lower is better: a zero rate is best off; 3 ÷ 0 has no ratio.
    table = gaps([GroupValue("a", "A", D(0)), GroupValue("b", "B", D(3))], direction="down")
    b = _by_key(table)["b"]
    assert (b.difference, b.ratio, b.worse_off) == (D(3), None, True)


def test_same_and_about_the_same_words():
    table = gaps(
        [GroupValue("a", "A", D(10)), GroupValue("b", "B", D(10)), GroupValue("c", "C", D("9.96"))],
        direction="up",
        decimals=1,
    )
    assert _by_key(table)["b"].words == "The same as A (reference)."
    assert _by_key(table)["b"].worse_off is False
    assert _by_key(table)["c"].words == "About the same as A (reference)."  # −0.04 shows as 0.0


def test_neutral_indicator_with_a_chosen_reference_has_gaps_but_no_worse_off():
    table = gaps([WHITE, BLACK], direction="neutral", chosen_reference="white")
    assert [g.worse_off for g in table.gaps] == [None, None]
    assert _by_key(table)["black"].difference == D("-12.3")


def test_no_reference_means_no_gaps():
    table = gaps([WHITE, BLACK, GroupValue("x", "X", None)], direction="neutral")
    assert table.reference_key is None
    assert table.reference_label is None
    assert [g.difference for g in table.gaps] == [None, None, None]
    assert [g.words for g in table.gaps] == [
        "No reference group to compare with.",
        "No reference group to compare with.",
        "No figure.",
    ]


def test_empty_breakdown():
    table = gaps([], direction="up")
    assert (table.reference_key, table.gaps) == (None, ())
    assert table.reference_reason == "no group has a figure shown"


def test_each_group_must_appear_once():
    with pytest.raises(ValueError):
        gaps([WHITE, WHITE], direction="up")


def test_method_states_z_and_the_confidence_level():
    table = gaps([WHITE, BLACK], direction="up", confidence=0.95)
    assert table.confidence == 0.95
    assert "1.960 times its standard error (95% confidence)" in table.method


values = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(values, min_size=1, max_size=6), st.sampled_from(["up", "down"]))
def test_nobody_is_better_off_than_the_best_off_group(numbers, direction):
    groups = [GroupValue(i, f"G{i}", v) for i, v in enumerate(numbers)]
    table = gaps(groups, direction=direction)
    ref = next(g for g in table.gaps if g.is_reference)
    assert ref.difference == 0
    for gap in table.gaps:
        assert gap.difference == gap.value - ref.value
        assert gap.worse_off == (gap.difference != 0)  # everyone else is worse off or level
        if direction == "up":
            assert gap.difference <= 0
        else:
            assert gap.difference >= 0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(values, min_size=2, max_size=6))
def test_reversing_the_direction_flips_worse_off_against_a_fixed_reference(numbers):
    groups = [GroupValue(i, f"G{i}", v) for i, v in enumerate(numbers)]
    up = gaps(groups, direction="up", chosen_reference=0)
    down = gaps(groups, direction="down", chosen_reference=0)
    for a, b in zip(up.gaps, down.gaps, strict=True):
        assert a.difference == b.difference
        if a.difference != 0:
            assert a.worse_off is not b.worse_off


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    values,
    values,
    st.decimals(min_value=0, max_value=50, places=2),
    st.decimals(min_value=0, max_value=50, places=2),
)
def test_distinguishable_is_the_acs_test_on_margins_of_error(a, b, moe_a, moe_b):
    # |a − b| > z × √(se_a² + se_b²) is the same as |a − b| > √(MOE_a² + MOE_b²).
    table = gaps(
        [
            GroupValue("a", "A", a, margin_of_error=moe_a),
            GroupValue("b", "B", b, margin_of_error=moe_b),
        ],
        direction="up",
        chosen_reference="a",
    )
    gap = _by_key(table)["b"]
    bound = math.hypot(float(moe_a), float(moe_b))
    if abs(abs(float(b - a)) - bound) > 1e-9:  # away from floating-point ties
        assert gap.distinguishable == (abs(float(b - a)) > bound)


# --- Is the gap closing? ---------------------------------------------------------------------


def _gap(difference, *, se=None, worse_off=None, reference_key="ref", **extra) -> Gap:
    fields = {
        "key": "g",
        "label": "G",
        "value": D(50) if difference is not None else None,
        "suppressed": False,
        "is_reference": False,
        "difference": None if difference is None else D(str(difference)),
        "ratio": None,
        "worse_off": worse_off,
        "se": se,
        "distinguishable": None,
        "words": "",
        "reference_key": reference_key,
    }
    fields.update(extra)
    return Gap(**fields)


def test_rule_is_stated_with_the_threshold_and_confidence():
    trend = gap_trend([], threshold=D("12.5"), confidence=0.95)
    assert trend.rule.startswith("The gap is compared at the first and the latest period shown.")
    assert "at least 12.5% of the first gap" in trend.rule
    assert "(95% confidence)" in trend.rule


def test_closing_gap():
    # |−8.1| − |−12.3| = −4.2; 10 % of 12.3 = 1.23 ≤ 4.2 → closing
    trend = gap_trend(
        [(2015, _gap(-12.3)), (2019, _gap(-10)), (2023, _gap(-8.1))],
        decimals=1,
        unit_suffix=" points",
    )
    assert trend.status == GapStatus.CLOSING == "closing"
    assert (trend.first_label, trend.last_label) == (2015, 2023)
    assert (trend.first_gap, trend.last_gap, trend.change) == (D("-12.3"), D("-8.1"), D("-4.2"))
    assert trend.distinguishable is None
    assert trend.words == (
        "Closing: the gap narrowed from 12.3 points in 2015 to 8.1 points in 2023."
    )


def test_widening_at_exactly_the_threshold_and_stable_just_below_it():
    # 10 % of |−10| = 1: growing by 1 counts, by 0.99 does not.
    widening = gap_trend([(1, _gap(-10)), (2, _gap(-11))])
    assert (widening.status, widening.change) == ("widening", D(1))
    assert widening.words == "Widening: the gap grew from 10 in 1 to 11 in 2."
    stable = gap_trend([(1, _gap(-10)), (2, _gap("-10.99"))], decimals=2)
    assert (stable.status, stable.change) == ("stable", D("0.99"))
    assert stable.words == (
        "Stable: the gap went from 10.00 in 1 to 10.99 in 2, a change of less than 10% of the "
        "first gap."
    )
    closing = gap_trend([(1, _gap(10)), (2, _gap(9))])
    assert closing.status == "closing"  # 1 = 10 % of 10, in the other sign too


def test_a_gap_from_nothing_widens_with_any_growth():
    assert gap_trend([(1, _gap(0)), (2, _gap("0.1"))]).status == "widening"
    assert gap_trend([(1, _gap(0)), (2, _gap(0))]).status == "stable"
    assert gap_trend([(1, _gap(0)), (2, _gap(0))], threshold=D(0)).status == "stable"


def test_reversed_when_the_group_goes_from_worse_off_to_better_off():
    trend = gap_trend(
        [(2015, _gap(-5, worse_off=True)), (2023, _gap(3, worse_off=False))], unit_suffix=" points"
    )
    assert (trend.status, trend.change) == ("reversed", D(-2))
    assert trend.words == (
        "Reversed: this group was worse off than the reference group in 2015 (by 5 points) and "
        "is better off in 2023 (by 3 points)."
    )
    back = gap_trend([(2015, _gap(3, worse_off=False)), (2023, _gap(-5, worse_off=True))])
    assert back.status == "reversed"
    assert back.words.startswith("Reversed: this group was better off than the reference group")
    neutral = gap_trend([(2015, _gap(3)), (2023, _gap(-5))])
    assert neutral.words.startswith("Reversed: this group was above the reference group in 2015")


def _acs(white, black):
    return _by_key(
        gaps(
            [
                GroupValue("white", "White", D(white), margin_of_error=D("1.1")),
                GroupValue("black", "Black", D(black), margin_of_error=D("2.5")),
            ],
            direction="up",
            decimals=1,
        )
    )["black"]


def test_a_change_within_the_margin_of_error_is_stable():
    # d₁ = 32.9 − 45.2 = −12.3, d₂ = 35.0 − 45.0 = −10.0: the gap shrank by 2.3 (18.7 %), but
    # z × √(se₁² + se₂²) = √(7.46 + 7.46) = √14.92 = 3.8626 > 2.3.
    trend = gap_trend([(2012, _acs("45.2", "32.9")), (2022, _acs("45.0", "35.0"))], decimals=1)
    assert trend.status == "stable"
    assert trend.change == D("-2.3")
    assert trend.distinguishable is False
    assert trend.words == (
        "Stable: the gap went from 12.3 in 2012 to 10.0 in 2022, but the change is within the "
        "margin of error, so it may be chance."
    )


def test_a_change_beyond_the_margin_of_error_is_closing_and_says_so():
    # d₂ = 40.0 − 45.0 = −5.0: change of 7.3 > 3.8626
    trend = gap_trend([(2012, _acs("45.2", "32.9")), (2022, _acs("45.0", "40.0"))], decimals=1)
    assert (trend.status, trend.distinguishable) == ("closing", True)
    assert trend.words.endswith("The change is larger than the margin of error.")


def test_a_reversal_within_the_margin_of_error_is_stable():
    # −1 → +1 with SEs of 1 each end: |1 − (−1)| = 2 ≤ 1.645 × √2 = 2.326
    trend = gap_trend([(1, _gap(-1, se=1.0)), (2, _gap(1, se=1.0))])
    assert (trend.status, trend.distinguishable) == ("stable", False)


def test_one_standard_error_missing_means_the_rule_alone_decides():
    trend = gap_trend([(1, _gap(-10, se=5.0)), (2, _gap(-5))])
    assert (trend.status, trend.distinguishable) == ("closing", None)


@pytest.mark.parametrize(
    ("history", "words"),
    [
        ([], "Needs at least two periods to tell whether the gap is changing."),
        ([(2023, _gap(-3))], "Needs at least two periods to tell whether the gap is changing."),
        (
            [(2019, _gap(None, suppressed=True)), (2023, _gap(-3))],
            "Suppressed (small number) in 2019, so the trend cannot be shown.",
        ),
        (
            [(2019, _gap(-3)), (2023, _gap(None))],
            "No figure in 2023, so the trend cannot be shown.",
        ),
        (
            [(2019, _gap(None, value=D(5), reference_key=None)), (2023, _gap(-3))],
            "No reference group to compare with in 2019.",
        ),
        (
            [(2019, _gap(-3)), (2023, _gap(-2, reference_key="other"))],
            "The reference group changed between 2019 and 2023, so the gaps are not measured "
            "against the same group.",
        ),
        (
            [(2019, _gap(0, is_reference=True)), (2023, _gap(0, is_reference=True))],
            "This is the reference group, so it has no gap to follow.",
        ),
    ],
)
def test_unknown_trends_say_why(history, words):
    trend = gap_trend(history)
    assert trend.status == "unknown"
    assert trend.words == words
    assert trend.change is None


def test_a_negative_threshold_is_refused():
    with pytest.raises(ValueError):
        gap_trend([], threshold=D(-1))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.decimals(min_value=1, max_value=100, places=1),
    st.decimals(min_value=1, max_value=100, places=1),
    st.booleans(),
)
def test_with_no_threshold_reversing_time_swaps_closing_and_widening(a, b, negative):
    sign = -1 if negative else 1
    forward = gap_trend([(1, _gap(sign * a)), (2, _gap(sign * b))], threshold=D(0))
    backward = gap_trend([(1, _gap(sign * b)), (2, _gap(sign * a))], threshold=D(0))
    swap = {"closing": "widening", "widening": "closing", "stable": "stable"}
    assert backward.status == swap[forward.status]
    assert forward.change == -backward.change


# --- Targeted universalism -------------------------------------------------------------------


def _track(latest, **kwargs):
    args = {
        "key": "g",
        "label": "G",
        "baseline": D(30),
        "baseline_at": 2019,
        "latest": latest,
        "latest_at": 2023,
        "target": D(45),
        "target_at": 2025,
        "direction": "up",
        "decimals": 1,
        "unit_suffix": " %",
    }
    args.update(kwargs)
    return track(**args)


def test_on_track_above_the_straight_path():
    # expected = 30 + (45 − 30) × (2023 − 2019) / (2025 − 2019) = 30 + 15 × 4/6 = 40
    result = _track(D("41.2"))
    assert isinstance(result, Track)
    assert (result.on_track, result.expected, result.latest, result.target) == (
        True,
        D(40),
        D("41.2"),
        D(45),
    )
    assert result.words == "On track: 41.2 % against 40.0 % expected by now."


def test_exactly_on_the_path_is_on_track_and_below_it_is_off():
    assert _track(D(40)).on_track is True
    off = _track(D(38))
    assert off.on_track is False
    assert off.words == "Off track: 38.0 % against 40.0 % expected by now."


def test_lower_is_better_path_with_decimal_years():
    # 100 at mid-2019 to 80 by mid-2024; at 2021.0, 1.5 of 5 years: 100 − 20 × 0.3 = 94
    def at(latest):
        return track(
            key="g",
            label="G",
            baseline=100,
            baseline_at=2019.5,
            latest=latest,
            latest_at=2021.0,
            target=80,
            target_at=2024.5,
            direction=Direction.DOWN,
        )

    assert at(D(94)).expected == D(94)
    assert at(D(93)).on_track is True
    assert at(D(95)).on_track is False


def test_target_reached_is_on_track_whatever_the_path():
    result = _track(D(46))
    assert (result.on_track, result.target_reached) == (True, True)
    assert result.words == "On track: target reached (46.0 % against a target of 45.0 %)."


def test_after_the_target_date_the_whole_target_is_expected():
    # 2027 is past 2025: expected holds at 45, not 30 + 15 × 8/6 = 50.
    late = _track(D(44), latest_at=2027)
    assert (late.expected, late.on_track) == (D(45), False)


def test_before_the_baseline_nothing_is_expected_yet_and_no_span_expects_everything():
    assert _track(D(30), latest_at=2018).expected == D(30)
    same_year = _track(D(44), target_at=2019)
    assert (same_year.expected, same_year.on_track) == (D(45), False)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"suppressed": True}, "Suppressed (small number): not shown."),
        ({"target": None}, "No target set."),
        ({"latest": None}, "No value reported yet."),
        (
            {"direction": "neutral"},
            "This indicator has no better direction, so on track cannot be judged.",
        ),
        ({"baseline": None}, "No baseline value, so there is no path to the target."),
    ],
)
def test_cannot_tell_whether_on_track(kwargs, words):
    args = {"latest": D(41)} | kwargs
    result = _track(**args)
    assert result.on_track is None
    assert result.words == words


def test_a_suppressed_group_hides_its_latest_value():
    result = _track(D(41), suppressed=True)
    assert (result.latest, result.expected, result.suppressed) == (None, None, True)


def test_no_baseline_but_target_reached_is_on_track():
    result = _track(D(50), baseline=None)
    assert (result.on_track, result.expected) == (True, None)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.decimals(min_value=0, max_value=100, places=1),
    st.decimals(min_value=0, max_value=100, places=1),
    st.integers(min_value=0, max_value=10),
    st.sampled_from(["up", "down"]),
)
def test_a_value_exactly_on_the_path_is_on_track(baseline, target, year, direction):
    # target_at = 2030, baseline_at = 2020: the path at 2020 + year is baseline + Δ × year / 10.
    expected = baseline + (target - baseline) * year / 10
    result = track(
        key=1,
        label="A",
        baseline=baseline,
        baseline_at=2020,
        latest=expected,
        latest_at=2020 + year,
        target=target,
        target_at=2030,
        direction=direction,
    )
    assert result.expected == expected
    assert result.on_track is True


def _status(label, on_track):
    return Track(label, label, on_track, None, None, None, "")


def test_universal_summary_names_the_groups_off_track():
    groups = [
        _status("White", True),
        _status("Black or African American", False),
        _status("Asian", True),
        _status("Another race", False),
    ]
    assert universal_summary(_status("All", True), groups) == (
        "On track overall, but off track for Black or African American and Another race."
    )


@pytest.mark.parametrize(
    ("overall", "groups", "sentence"),
    [
        (True, [True, True], "On track overall and for every group."),
        (True, [], "On track overall."),
        (
            True,
            [True, None],
            "On track overall and for every group that can be judged. Cannot be judged for B.",
        ),
        (True, [False, False, False], "On track overall, but off track for A, B and C."),
        (False, [False, False], "Off track overall and for every group."),
        (False, [False, True], "Off track overall and for A; on track for B."),
        (False, [True, True], "Off track overall, though on track for A and B."),
        (False, [None], "Off track overall. Cannot be judged for A."),
        (
            None,
            [False, True],
            "Overall progress cannot be judged; off track for A, on track for B.",
        ),
        (None, [None, None], "Overall progress cannot be judged. Cannot be judged for A and B."),
    ],
)
def test_universal_summary_sentences(overall, groups, sentence):
    tracks = [_status(label, on) for label, on in zip("ABC", groups, strict=False)]
    assert universal_summary(_status("All", overall), tracks) == sentence
