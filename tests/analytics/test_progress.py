"""Moving the needle, against hand-computed figures."""

from decimal import Decimal as D

import pytest

from backbone.analytics.progress import ChangeBasis, Direction, NeedleRule, progress
from backbone.measurement.models import Direction as ModelDirection

POINTS = NeedleRule(basis=ChangeBasis.POINTS)


def test_direction_values_match_the_model_choices():
    assert {d.value for d in Direction} == {d.value for d in ModelDirection}
    assert Direction(ModelDirection.LOWER_IS_BETTER) == Direction.DOWN


def test_homeless_count_rising_is_a_worsening_not_progress():
    # 10,345 people in 2019, 11,386 in 2023; lower is better.
    result = progress(
        [("2019", D(10345)), ("2021", None), ("2023", D(11386))],
        direction=Direction.DOWN,
        is_population=True,
    )
    assert (result.baseline_period, result.baseline) == ("2019", D(10345))
    assert (result.latest_period, result.latest) == ("2023", D(11386))
    assert result.absolute_change == D(1041)
    # 1,041 / 10,345 × 100 = 10.0628…, by hand
    assert round(result.relative_change, 3) == D("10.063")
    assert round(result.improvement, 2) == D("-10.06")
    assert result.needle_moving is False
    assert result.reason == "Got worse since 2019."
    assert result.comparable


def test_graduation_rate_up_by_more_than_ten_percent_moves_the_needle():
    result = progress([("2019", D(70)), ("2023", D("77.5"))], direction="up", is_population=True)
    assert result.absolute_change == D("7.5")
    assert round(result.relative_change, 3) == D("10.714")  # 7.5 / 70 × 100
    assert result.improvement == result.relative_change
    assert result.needle_moving is True
    assert result.reason == "Improved by 10% or more since 2019: the needle is moving."


def test_same_rise_in_percentage_points_is_short_of_ten_points():
    result = progress(
        [("2019", D(70)), ("2023", D("77.5"))], direction="up", is_population=True, rule=POINTS
    )
    assert result.improvement == D("7.5")
    assert result.needle_moving is False
    assert result.reason == (
        "Improved since 2019, but by less than the 10 percentage points needed to count as "
        "moving the needle."
    )


def test_reaching_the_threshold_exactly_counts():
    relative = progress([(1, D(100)), (2, D(110))], direction="up", is_population=True)
    assert relative.improvement == D(10)
    assert relative.needle_moving is True
    points = progress([(1, D(40)), (2, D(30))], direction="down", is_population=True, rule=POINTS)
    assert points.improvement == D(10)
    assert points.needle_moving is True


def test_just_below_the_threshold_does_not_count():
    result = progress([(1, D(100)), (2, D("109.99"))], direction="up", is_population=True)
    assert result.improvement == D("9.99")
    assert result.needle_moving is False


def test_a_performance_measure_never_moves_the_needle():
    result = progress([(1, D(10)), (2, D(50))], direction="up", is_population=False)
    assert result.improvement == D(400)
    assert result.needle_moving is False
    assert "performance measure" in result.reason


def test_a_neutral_indicator_never_moves_the_needle_and_has_no_improvement():
    result = progress([(1, D(10)), (2, D(50))], direction="neutral", is_population=True)
    assert result.relative_change == D(400)
    assert result.improvement is None
    assert result.needle_moving is False
    assert "context" in result.reason


def test_zero_baseline_has_no_percent_change():
    result = progress([(1, D(0)), (2, D(5))], direction="up", is_population=True)
    assert result.absolute_change == D(5)
    assert result.relative_change is None
    assert result.improvement is None
    assert result.needle_moving is False
    assert result.reason == "The baseline is zero, so a percent change cannot be calculated."
    # The point basis does not divide by the baseline, so it still works.
    points = progress([(1, D(0)), (2, D(12))], direction="up", is_population=True, rule=POINTS)
    assert points.improvement == D(12)
    assert points.needle_moving is True


def test_negative_baseline_uses_its_size_for_the_percent_change():
    # Net migration −200 → −150 is a rise of 50, a quarter of the baseline's size.
    result = progress([(1, D(-200)), (2, D(-150))], direction="up", is_population=True)
    assert result.relative_change == D(25)


def test_percent_to_target_halfway_down():
    result = progress(
        [(2019, D(100)), (2023, D(90))], direction="down", is_population=True, target=D(80)
    )
    assert result.percent_to_target == D(50)  # (90 − 100) / (80 − 100) × 100
    assert result.improvement == D(10)
    assert result.needle_moving is True


def test_percent_to_target_beyond_and_backwards_and_undefined():
    def to_target(latest, target):
        return progress(
            [(1, D(100)), (2, latest)], direction="down", is_population=True, target=target
        ).percent_to_target

    assert to_target(D(70), D(80)) == D(150)  # past the target
    assert to_target(D(110), D(80)) == D(-50)  # moved away from it
    assert to_target(D(90), None) is None
    assert to_target(D(90), D(100)) is None  # target equals the baseline


def test_missing_values_are_skipped_for_baseline_and_latest():
    result = progress(
        [("2018", None), ("2019", D(200)), ("2020", D(190)), ("2021", None)],
        direction="down",
        is_population=True,
    )
    assert (result.baseline_period, result.latest_period) == ("2019", "2020")
    assert result.improvement == D(5)


def test_no_values_at_all():
    result = progress([("2019", None), ("2020", None)], direction="up", is_population=True)
    assert (result.baseline, result.latest, result.absolute_change) == (None, None, None)
    assert result.needle_moving is False
    assert result.reason == "No values have been reported yet, so there is no change to measure."


def test_chosen_baseline_period_without_a_value_gives_no_change():
    result = progress(
        [("2019", None), ("2020", D(10)), ("2021", D(20))],
        direction="up",
        is_population=True,
        baseline_period="2019",
    )
    assert result.baseline_period == "2019"
    assert result.baseline is None
    assert result.latest == D(20)
    assert result.absolute_change is None
    assert result.needle_moving is False
    assert result.reason == "There is no baseline value, so change cannot be measured."


def test_chosen_baseline_period_overrides_the_first_value():
    result = progress(
        [("2018", D(50)), ("2019", D(100)), ("2023", D(120))],
        direction="up",
        is_population=True,
        baseline_period="2019",
    )
    assert (result.baseline_period, result.baseline) == ("2019", D(100))
    assert result.relative_change == D(20)


def test_one_point_is_no_change():
    result = progress([("2023", D(42))], direction="up", is_population=True)
    assert (result.baseline_period, result.latest_period) == ("2023", "2023")
    assert result.absolute_change == D(0)
    assert result.relative_change == D(0)
    assert result.improvement == D(0)
    assert result.needle_moving is False
    assert result.reason == "Only one period has a value so far, so there is no change yet."


def test_one_point_does_not_move_the_needle_even_with_a_zero_threshold():
    rule = NeedleRule(threshold=D(0))
    result = progress([("2023", D(42))], direction="up", is_population=True, rule=rule)
    assert result.needle_moving is False


def test_a_break_between_baseline_and_latest_makes_change_not_comparable():
    result = progress(
        [("2019", D(100)), ("2021", D(130)), ("2023", D(140))],
        direction="up",
        is_population=True,
        target=D(150),
        breaks={"2021"},
    )
    assert (result.baseline, result.latest) == (D(100), D(140))
    assert result.absolute_change is None
    assert result.relative_change is None
    assert result.improvement is None
    assert result.percent_to_target is None
    assert result.needle_moving is False
    assert not result.comparable
    assert result.not_comparable_reason == (
        "The indicator’s definition changed in 2021, so values before and after cannot be compared."
    )
    assert result.reason == result.not_comparable_reason


def test_a_break_at_the_latest_period_counts():
    result = progress(
        [(2019, D(100)), (2023, D(140))], direction="up", is_population=True, breaks=[2023]
    )
    assert result.not_comparable_reason is not None


def test_a_break_at_the_baseline_period_is_fine():
    result = progress(
        [(2019, D(100)), (2021, D(105)), (2023, D(112))],
        direction="up",
        is_population=True,
        breaks=[2019],
    )
    assert result.comparable
    assert result.relative_change == D(12)
    assert result.needle_moving is True


def test_breaks_before_the_baseline_or_after_the_latest_are_fine():
    result = progress(
        [(2017, D(90)), (2019, D(100)), (2023, D(112)), (2024, None)],
        direction="up",
        is_population=True,
        baseline_period=2019,
        breaks=[2017, 2024],
    )
    assert result.comparable
    assert result.needle_moving is True


def test_breaks_at_periods_not_in_the_series_are_ignored():
    # Documented: to have a break at 2021 considered, include ("2021", None) in the points.
    series = [(2019, D(100)), (2023, D(140))]
    assert progress(series, direction="up", is_population=True, breaks=[2021]).comparable
    with_gap = [(2019, D(100)), (2021, None), (2023, D(140))]
    assert not progress(with_gap, direction="up", is_population=True, breaks=[2021]).comparable


def test_the_first_break_inside_the_span_is_named():
    result = progress(
        [(2019, D(1)), (2020, D(2)), (2021, D(3)), (2022, D(4))],
        direction="up",
        is_population=True,
        breaks=[2022, 2020],
    )
    assert "changed in 2020" in result.not_comparable_reason


def test_describe_states_the_rule_for_both_bases():
    assert NeedleRule().describe() == (
        "Moving the needle: at least 10% improvement from baseline in the good direction "
        "(relative change)."
    )
    assert NeedleRule(D("7.50"), "points").describe() == (
        "Moving the needle: at least 7.5 percentage points of improvement from baseline in the "
        "good direction (percentage-point change)."
    )


def test_a_negative_threshold_is_rejected():
    with pytest.raises(ValueError):
        NeedleRule(threshold=D(-1))


def test_progress_keeps_the_rule_it_was_judged_by():
    result = progress([(1, D(1)), (2, D(2))], direction="up", is_population=True, rule=POINTS)
    assert result.rule == POINTS
    assert result.direction == Direction.UP
    assert result.is_population is True
