"""Turning the curve: the pre-baseline trend line, against hand-computed least squares."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.analytics.forecast import Forecast, baseline_forecast
from backbone.analytics.progress import Direction

# A homeless count, lower is better. The line is fitted to 2015–2018:
#   x = 2015, 2016, 2017, 2018;  y = 9,000, 9,200, 9,500, 9,700;  n = 4
#   Σx = 8,066   Σy = 37,400
#   Σxy = 2015·9000 + 2016·9200 + 2017·9500 + 2018·9700
#       = 18,135,000 + 18,547,200 + 19,161,500 + 19,574,600 = 75,418,300
#   Σx² = 4,060,225 + 4,064,256 + 4,068,289 + 4,072,324 = 16,265,094
#   slope = (4·75,418,300 − 8,066·37,400) / (4·16,265,094 − 8,066²)
#         = (301,673,200 − 301,668,400) / (65,060,376 − 65,060,356) = 4,800 / 20 = 240
#   intercept = (37,400 − 240·8,066) / 4 = (37,400 − 1,935,840) / 4 = −474,610
#   forecast 2019 = −474,610 + 240·2019 = 9,950;  2023 = −474,610 + 240·2023 = 10,910
#   fitted 8,990 / 9,230 / 9,470 / 9,710 → residuals 10, −30, 30, −10 → SS_res = 2,000
#   ȳ = 9,350 → SS_tot = 350² + 150² + 150² + 350² = 290,000 → r² = 1 − 2,000/290,000 = 0.993103
COUNT = [
    ("2015", 2015, D(9000)),
    ("2016", 2016, D(9200)),
    ("2017", 2017, D(9500)),
    ("2018", 2018, D(9700)),
    ("2019", 2019, D(10345)),
    ("2021", 2021, None),
    ("2023", 2023, D(11386)),
]


def test_hand_computed_line_and_projection():
    result = baseline_forecast(COUNT, baseline="2019", direction=Direction.DOWN)
    assert isinstance(result, Forecast)
    assert (result.available, result.reason, result.baseline_label) == (True, "", "2019")
    assert result.slope == 240.0
    assert result.intercept == -474610.0
    assert result.r_squared == pytest.approx(0.99310345, abs=1e-8)
    assert result.fitted_count == 4
    by_label = {p.label: p for p in result.points}
    assert [p.fitted for p in result.points] == [True] * 4 + [False] * 3
    assert [p.forecast for p in result.points] == [
        8990.0, 9230.0, 9470.0, 9710.0, 9950.0, 10430.0, 10910.0
    ]  # fmt: skip
    # Differences only from the baseline on: 10,345 − 9,950 = 395; 11,386 − 10,910 = 476
    assert [p.difference for p in result.points] == [None, None, None, None, 395.0, None, 476.0]
    assert by_label["2019"].better is False  # above the line, and lower is better
    assert by_label["2021"].better is None  # no value
    assert by_label["2023"].actual == D(11386)
    assert result.method == (
        "A straight line fitted by least squares to the 4 values from 2015 to 2018, projected "
        "forward from 2019."
    )
    assert (
        result.summary == "In 2023, 11,386 against 10,910 forecast: 476 above the forecast (worse)."
    )


def test_below_the_forecast_is_better_when_lower_is_better():
    points = [*COUNT[:5], ("2023", 2023, D(10500))]
    result = baseline_forecast(points, baseline="2019", direction="down")
    # 10,500 − 10,910 = −410
    assert result.points[-1].difference == -410.0
    assert result.points[-1].better is True
    assert (
        result.summary
        == "In 2023, 10,500 against 10,910 forecast: 410 below the forecast (better)."
    )


def test_neutral_indicator_has_no_better_or_worse():
    result = baseline_forecast(COUNT, baseline="2019", direction="neutral")
    assert [p.better for p in result.points] == [None] * 7
    assert result.summary == "In 2023, 11,386 against 10,910 forecast: 476 above the forecast."


def test_excluded_values_are_not_fitted_or_compared():
    # 2017 counted only sheltered people. Fit 2015, 2016, 2018:
    #   n = 3, Σx = 6,049, Σy = 27,900, Σxy = 18,135,000 + 18,547,200 + 19,574,600 = 56,256,800
    #   Σx² = 4,060,225 + 4,064,256 + 4,072,324 = 12,196,805
    #   slope = (3·56,256,800 − 6,049·27,900) / (3·12,196,805 − 6,049²)
    #         = (168,770,400 − 168,767,100) / (36,590,415 − 36,590,401) = 3,300 / 14 = 235.714286
    #   forecast 2019 = ȳ + slope × (2019 − x̄) = 9,300 + 3,300/14 × 8/3 = 9,300 + 628.571429
    #                 = 9,928.571429 → 10,345 − 9,928.571429 = 416.428571
    result = baseline_forecast(COUNT, baseline="2019", direction="down", excluded={"2017", "2023"})
    assert result.fitted_count == 3
    assert result.slope == pytest.approx(235.714286, abs=1e-6)
    by_label = {p.label: p for p in result.points}
    assert by_label["2017"].fitted is False
    assert by_label["2017"].excluded is True
    assert by_label["2019"].forecast == pytest.approx(9928.571429, abs=1e-6)
    assert by_label["2019"].difference == pytest.approx(416.428571, abs=1e-6)
    # 2023 is not comparable: the line is still drawn there, but not compared.
    assert by_label["2023"].forecast == pytest.approx(9300 + 3300 / 14 * (2023 - 6049 / 3))
    assert (by_label["2023"].difference, by_label["2023"].better) == (None, None)
    assert result.method.endswith("Not comparable, so left out: 2017, 2023.")
    # 10,345 against 9,929 (rounded): 416
    assert (
        result.summary == "In 2019, 10,345 against 9,929 forecast: 416 above the forecast (worse)."
    )


def test_values_after_a_series_break_get_no_forecast():
    segments = [0, 0, 0, 0, 0, 0, 1]
    result = baseline_forecast(COUNT, baseline="2019", direction="down", segments=segments)
    assert result.points[-1].forecast is None
    assert result.points[-1].difference is None
    assert result.summary == (
        "In 2019, 10,345 against 9,950 forecast: 395 above the forecast (worse). The indicator’s "
        "definition changed in 2023, so values from then on are not compared with the forecast."
    )
    assert result.method.endswith(
        "The indicator’s definition changed in 2023, so values from then on are not compared "
        "with the forecast."
    )


def test_values_before_a_series_break_are_not_fitted_and_get_no_forecast():
    # 2015 used an earlier definition: fit 2016–2018 only, y = 9,200, 9,500, 9,700
    #   n = 3, Σx = 6,051, Σy = 28,400, Σxy = 18,547,200 + 19,161,500 + 19,574,600 = 57,283,300
    #   Σx² = 4,064,256 + 4,068,289 + 4,072,324 = 12,204,869
    #   slope = (3·57,283,300 − 6,051·28,400) / (3·12,204,869 − 6,051²)
    #         = (171,849,900 − 171,848,400) / (36,614,607 − 36,614,601) = 1,500 / 6 = 250
    #   forecast 2019 = ȳ + 250 × (2019 − 2017) = 9,466.667 + 500 = 9,966.667
    segments = [0, 1, 1, 1, 1, 1, 1]
    result = baseline_forecast(COUNT, baseline="2019", direction="down", segments=segments)
    assert result.slope == pytest.approx(250.0)
    assert result.points[0].forecast is None
    assert result.points[0].fitted is False
    assert result.points[4].forecast == pytest.approx(9966.666667, abs=1e-6)
    assert "Values before 2016 used an earlier definition of the indicator and are not used." in (
        result.method
    )


def test_no_forecast_before_the_first_fitted_point():
    points = [("2014", 2014, None), *COUNT]
    result = baseline_forecast(points, baseline="2019", direction="down")
    assert result.points[0].forecast is None
    assert result.points[1].forecast == 8990.0


def test_summary_arithmetic_adds_up_after_rounding():
    # y = 96.5, 97, 97.5 at 2015–2017: slope 0.5, forecast 2019 = 98.5 → shown 99 (half-up).
    # 100 − 98.5 = 1.5 would show as 2, but the sentence reads 100 against 99: 1 above.
    points = [("2015", 2015, D("96.5")), ("2016", 2016, D(97)), ("2017", 2017, D("97.5"))]
    result = baseline_forecast([*points, ("2019", 2019, D(100))], baseline="2019", direction="up")
    assert result.points[-1].forecast == 98.5
    assert result.points[-1].difference == 1.5
    assert result.summary == "In 2019, 100 against 99 forecast: 1 above the forecast (better)."


def test_percent_with_decimals_and_a_unit_suffix():
    points = [("2015", 2015, D("40.0")), ("2016", 2016, D("41.0")), ("2017", 2017, D("42.5"))]
    # n = 3, Σx = 6,048, Σy = 123.5, Σxy = 80,600 + 82,656 + 85,722.5 = 248,978.5
    # Σx² = 12,192,770; slope = (746,935.5 − 746,928) / (36,578,310 − 36,578,304) = 7.5/6 = 1.25
    # forecast 2019 = ȳ + 1.25 × (2019 − 2016) = 41.1667 + 3.75 = 44.9167 → 44.9
    result = baseline_forecast(
        [*points, ("2019", 2019, D("44.0"))],
        baseline="2019",
        direction="up",
        decimals=1,
        unit_suffix=" %",
    )
    assert result.slope == pytest.approx(1.25)
    assert (
        result.summary
        == "In 2019, 44.0 % against 44.9 % forecast: 0.9 % below the forecast (worse)."
    )


def test_exactly_on_the_forecast():
    points = [("a", 1, D(1)), ("b", 2, D(2)), ("c", 3, D(3)), ("d", 4, D(4))]
    result = baseline_forecast(points, baseline="d", direction="up")
    assert result.points[-1].difference == 0.0
    assert result.points[-1].better is False
    assert result.summary == "In d, 4 against 4 forecast: on the forecast."


def test_all_values_equal_gives_a_flat_line_and_no_r_squared():
    points = [(y, y, D(50)) for y in (2015, 2016, 2017)] + [(2018, 2018, D(55))]
    result = baseline_forecast(points, baseline=2018, direction="up")
    assert (result.slope, result.intercept, result.r_squared) == (0.0, 50.0, None)
    assert result.points[-1].difference == 5.0


def test_the_baseline_value_may_be_missing():
    points = [*COUNT[:4], ("2019", 2019, None), ("2020", 2020, D(10000))]
    result = baseline_forecast(points, baseline="2019", direction="down")
    # forecast 2020 = −474,610 + 240 × 2020 = 10,190
    assert result.points[-1].difference == -190.0
    assert (
        result.summary
        == "In 2020, 10,000 against 10,190 forecast: 190 below the forecast (better)."
    )


def test_no_value_after_the_baseline_yet():
    points = [*COUNT[:4], ("2019", 2019, None)]
    result = baseline_forecast(points, baseline="2019", direction="down")
    assert result.available is True
    assert result.summary == "No value from 2019 on can be compared with the forecast yet."


def test_ints_and_floats_are_accepted():
    points = [("a", 2015.0, 1), ("b", 2016.5, 2.5), ("c", 2018.0, 4), ("d", 2019.5, 5)]
    result = baseline_forecast(points, baseline="d", direction="up")
    # y = x − 2014 exactly: forecast at 2019.5 is 5.5
    assert result.slope == 1.0
    assert result.points[-1].actual == D(5)
    assert result.points[-1].difference == -0.5


@pytest.mark.parametrize(
    ("points", "baseline", "reason"),
    [
        ([], "2019", "The baseline period 2019 is not among the values."),
        (COUNT, "2030", "The baseline period 2030 is not among the values."),
        (
            [("2019", 2019, D(5))],
            "2019",
            "A forecast needs at least 3 values before 2019 from the same definition of the "
            "indicator; 0 can be used.",
        ),
        (
            [("2017", 2017, D(4)), ("2018", 2018, None), ("2019", 2019, D(5))],
            "2019",
            "A forecast needs at least 3 values before 2019 from the same definition of the "
            "indicator; 1 can be used.",
        ),
        (
            [("a", 2018, D(1)), ("b", 2018, D(2)), ("c", 2018, D(3)), ("2019", 2019, D(5))],
            "2019",
            "All the values before 2019 are for the same time, so no trend line can be drawn.",
        ),
    ],
)
def test_no_forecast_and_why(points, baseline, reason):
    result = baseline_forecast(points, baseline=baseline, direction="up")
    assert result.available is False
    assert result.reason == reason
    assert (result.slope, result.intercept, result.r_squared) == (None, None, None)
    assert (result.method, result.summary) == ("", "")
    # The values are still there for a chart, without a line.
    assert [p.actual for p in result.points] == [v for _l, _x, v in points]
    assert all(p.forecast is None and not p.fitted for p in result.points)


def test_min_points_can_be_lowered_to_two_but_not_below():
    points = [("a", 1, D(2)), ("b", 2, D(4)), ("c", 3, D(7))]
    assert (
        baseline_forecast(points, baseline="c", direction="up", min_points=2).points[-1].forecast
        == 6.0
    )
    with pytest.raises(ValueError):
        baseline_forecast(points, baseline="c", direction="up", min_points=1)


def test_segments_must_match_the_points():
    with pytest.raises(ValueError):
        baseline_forecast(COUNT, baseline="2019", direction="up", segments=[0, 0])


def test_a_break_at_the_baseline_leaves_nothing_before_it_to_fit():
    # Baseline in segment 1, everything before it in segment 0: nothing to fit.
    result = baseline_forecast(
        COUNT, baseline="2019", direction="down", segments=[0, 0, 0, 0, 1, 1, 1]
    )
    assert result.available is False
    assert "0 can be used" in result.reason


# --- Properties ------------------------------------------------------------------------------

series = st.tuples(
    st.integers(min_value=-500, max_value=500),  # a
    st.integers(min_value=-50, max_value=50),  # b
    st.integers(min_value=3, max_value=12),  # fitted values
    st.integers(min_value=1, max_value=5),  # values from the baseline on
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(series)
def test_a_perfectly_linear_series_is_forecast_exactly(args):
    a, b, before, after = args
    points = [(2000 + i, 2000 + i, D(a + b * i)) for i in range(before + after)]
    result = baseline_forecast(points, baseline=2000 + before, direction="up")
    assert result.available
    assert result.slope == b
    assert result.r_squared in (1.0, None)  # None when b = 0: all values equal
    for point in result.points:
        assert point.forecast == float(point.actual)
    assert [p.difference for p in result.points[before:]] == [0.0] * after


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=5, max_size=12),
    st.integers(min_value=-1000, max_value=1000),
)
def test_adding_a_constant_shifts_the_forecast_by_it(values, shift):
    def run(offset):
        points = [(i, 2010 + i, D(v + offset)) for i, v in enumerate(values)]
        return baseline_forecast(points, baseline=3, direction="down")

    plain, shifted = run(0), run(shift)
    assert shifted.slope == plain.slope
    for p, s in zip(plain.points, shifted.points, strict=True):
        assert s.forecast == pytest.approx(p.forecast + shift, rel=1e-12, abs=1e-9)
        assert s.difference == p.difference  # worked out exactly, so not even rounding moves it
        assert s.better == p.better


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=5, max_size=12))
def test_reversing_the_direction_flips_better(values):
    points = [(i, 2010 + i, D(v)) for i, v in enumerate(values)]
    up = baseline_forecast(points, baseline=3, direction="up")
    down = baseline_forecast(points, baseline=3, direction="down")
    compared = [(u, d) for u, d in zip(up.points, down.points, strict=True) if u.difference]
    for u, d in compared:
        assert u.better is (u.difference > 0)
        assert d.better is (not u.better)
    if compared and "(better)" in up.summary:
        assert "(worse)" in down.summary


def test_a_percent_forecast_says_percentage_points_for_the_difference():
    # 51, 50, 49 before 2022: slope −1, so 2022's forecast is 48.0; actual 47.0.
    result = baseline_forecast(
        [
            ("2019", 2019.0, D(51)),
            ("2020", 2020.0, D(50)),
            ("2021", 2021.0, D(49)),
            ("2022", 2022.0, D(47)),
        ],
        baseline="2022",
        direction="up",
        decimals=1,
        unit_suffix="%",
        difference_suffix=" percentage points",
    )
    assert result.summary == (
        "In 2022, 47.0% against 48.0% forecast: 1.0 percentage points below the forecast (worse)."
    )
    assert result.points[-1].shown_difference == D("-1.0")


def test_the_shown_difference_is_the_rounded_figures_apart():
    # Forecast 43 in 2022 (41, 42, 43 …); actual 43.4 shows as 43: on the forecast as shown,
    # although 0.4 above it exactly.
    result = baseline_forecast(
        [
            ("2019", 2019.0, D(40)),
            ("2020", 2020.0, D(41)),
            ("2021", 2021.0, D(42)),
            ("2022", 2022.0, D("43.4")),
        ],
        baseline="2022",
        direction="down",
    )
    last = result.points[-1]
    assert last.shown_difference == 0 and last.difference == pytest.approx(0.4)
    assert "on the forecast" in result.summary
