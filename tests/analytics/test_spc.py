# The statistics’ own letters (p′, σ) are intended, as the typographic quotes are.
"""Signal or noise: control charts and run charts, against hand-computed and published figures."""

import csv
import gzip
import math
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from backbone.analytics.spc import (
    AnhoejResult,
    ChartKind,
    ControlChart,
    Rule,
    SpcPoint,
    SpcSettings,
    XmrLimits,
    anhoej,
    control_chart,
    crossings_limit,
    laney_limits,
    longest_run_limit,
    p_limits,
    side_runs,
    trend_runs,
    xmr_limits,
)

DATA = Path(__file__).resolve().parents[2] / "backbone" / "demo" / "data"
PROPERTY = hsettings(max_examples=150, deadline=None, derandomize=True)


def close(a, b, tol=1e-9):
    return a is not None and math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def series(values, **kwargs):
    return [SpcPoint(str(2000 + i), value, **kwargs) for i, value in enumerate(values)]


def signals_of(chart: ControlChart):
    return [(s.rule, s.labels, s.direction, s.phase) for s in chart.signals]


# --- XmR limits ------------------------------------------------------------------------------


def test_xmr_limits_hand_computed():
    # mean = (10 + 12 + 11 + 15 + 9) / 5 = 57 / 5 = 11.4
    # moving ranges |12−10|, |11−12|, |15−11|, |9−15| = 2, 1, 4, 6 → MR̄ = 13 / 4 = 3.25
    # limits 11.4 ± 2.66 × 3.25 = 11.4 ± 8.645 → 2.755 and 20.045; MR upper 3.267 × 3.25 = 10.61775
    limits = xmr_limits([10, 12, 11, 15, 9])
    assert isinstance(limits, XmrLimits)
    assert close(limits.mean, 11.4)
    assert close(limits.mr_bar, 3.25)
    assert close(limits.lower, 2.755)
    assert close(limits.upper, 20.045)
    assert close(limits.mr_upper, 10.61775)


def test_xmr_limits_skip_missing_values_and_clamp_to_the_lower_bound():
    # [10, None, 12]: mean 11, one moving range |12 − 10| = 2 across the gap
    assert close(xmr_limits([D(10), None, D(12)]).mr_bar, 2.0)
    # [1, 5, 1, 5]: mean 3, MR̄ 4, lower 3 − 10.64 = −7.64, raised to 0 for a count
    assert close(xmr_limits([1, 5, 1, 5]).lower, -7.64)
    assert xmr_limits([1, 5, 1, 5], lower_bound=0).lower == 0.0
    assert close(xmr_limits([1, 5, 1, 5], lower_bound=0).upper, 13.64)


def test_xmr_limits_at_two_sigma_scale_both_factors():
    # factor 2.66 × 2/3 = 1.77333…; MR̄ 4 → half-width 7.09333…; D₄ 1 + 2.267 × 2/3 = 2.51133…
    limits = xmr_limits([1, 5, 1, 5], sigma=2)
    assert close(limits.upper - limits.mean, 2.66 * 2 / 3 * 4)
    assert close(limits.mr_upper, (1 + 2.267 * 2 / 3) * 4)


@pytest.mark.parametrize("values", [[], [5], [5, None], [float("nan"), 3]])
def test_xmr_limits_need_two_values(values):
    with pytest.raises(ValueError, match="at least two"):
        xmr_limits(values)


def test_xmr_limits_of_equal_values_collapse_on_the_mean():
    limits = xmr_limits([7, 7, 7])
    assert (limits.mean, limits.mr_bar, limits.lower, limits.upper) == (7.0, 0.0, 7.0, 7.0)


# --- p and Laney p′ ----------------------------------------------------------------------------


def test_p_limits_hand_computed():
    # p̄ = (5 + 10 + 8) / (50 + 100 + 80) = 23 / 230 = 0.1 (not the average of proportions)
    # n = 50:  0.1 ± 3 × √(0.09 / 50)  = 0.1 ± 3 × 0.0424264 = 0.1 ± 0.1272792 → [0, 0.2272792]
    # n = 100: 0.1 ± 3 × √(0.09 / 100) = 0.1 ± 0.09 → [0.01, 0.19]
    # n = 80:  0.1 ± 3 × √(0.09 / 80)  = 0.1 ± 3 × 0.0335410 = 0.1 ± 0.1006231 → [0, 0.2006231]
    pbar, limits = p_limits([5, 10, 8], [50, 100, 80])
    assert close(pbar, 0.1)
    assert limits[0][0] == 0.0 and close(limits[0][1], 0.2272792, 1e-6)
    assert close(limits[1][0], 0.01) and close(limits[1][1], 0.19)
    assert limits[2][0] == 0.0 and close(limits[2][1], 0.2006231, 1e-6)


def test_p_limits_leave_out_zero_and_missing_denominators():
    pbar, limits = p_limits([5, 3, None, 4], [50, 0, 10, None])
    assert close(pbar, 0.1)  # 5 / 50 alone
    assert limits[1:] == [(None, None)] * 3
    assert p_limits([1], [0]) == (None, [(None, None)])
    assert p_limits([], []) == (None, [])


def test_p_limits_are_clamped_to_one():
    # p̄ = 19/20 = 0.95, n = 20: 0.95 ± 3 × √(0.0475/20) = 0.95 ± 0.1462019 → [0.8037981, 1]
    pbar, [(lower, upper)] = p_limits([19], [20])
    assert close(pbar, 0.95) and close(lower, 0.8037981, 1e-6) and upper == 1.0


def test_p_limits_reject_what_is_not_a_proportion():
    with pytest.raises(ValueError, match="numerator"):
        p_limits([12], [10])
    with pytest.raises(ValueError, match="One denominator"):
        p_limits([1, 2], [10])


def test_laney_limits_hand_computed_equal_denominators():
    # p̄ = 600 / 3000 = 0.2; σ_p = √(0.2 × 0.8 / 1000) = 0.4 / √1000 = 0.0126491
    # z = (0.18 − 0.2)/σ_p, (0.22 − 0.2)/σ_p, 0 = −√10/2, +√10/2, 0 = −1.5811, 1.5811, 0
    # moving ranges √10 = 3.1623 and √10/2 = 1.5811 → mean 0.75√10 = 2.3717
    # σ_z = 2.3717 / 1.128 = 2.10258
    # limits 0.2 ± 3 × σ_p × σ_z = 0.2 ± 3 × (0.4/√1000) × (0.75√10/1.128) = 0.2 ± 0.09/1.128
    #        = 0.2 ± 0.0797872 → [0.1202128, 0.2797872]
    pbar, sigma_z, limits = laney_limits([180, 220, 200], [1000, 1000, 1000])
    assert close(pbar, 0.2)
    assert close(sigma_z, 0.75 * math.sqrt(10) / 1.128)
    assert close(sigma_z, 2.10258, 1e-5)
    for lower, upper in limits:
        assert close(lower, 0.2 - 0.09 / 1.128) and close(upper, 0.2 + 0.09 / 1.128)


def test_laney_limits_hand_computed_unequal_denominators():
    # p̄ = (10 + 60) / (100 + 400) = 70 / 500 = 0.14; p̄(1 − p̄) = 0.1204
    # σ_p1 = √(0.1204/100) = 0.0346987; z1 = (0.10 − 0.14) / 0.0346987 = −1.152781
    # σ_p2 = √(0.1204/400) = 0.0173494; z2 = (0.15 − 0.14) / 0.0173494 =  0.576390
    # MR̄ = 1.729171 → σ_z = 1.729171 / 1.128 = 1.532953
    # n = 100: 0.14 ± 3 × 0.0346987 × 1.532953 = 0.14 ± 0.159574 → [0 (clamped), 0.299574]
    # n = 400: 0.14 ± 3 × 0.0173494 × 1.532953 = 0.14 ± 0.079787 → [0.060213, 0.219787]
    pbar, sigma_z, limits = laney_limits([10, 60], [100, 400])
    assert close(pbar, 0.14)
    assert close(sigma_z, 1.532953, 1e-6)
    assert limits[0][0] == 0.0 and close(limits[0][1], 0.299574, 1e-5)
    assert close(limits[1][0], 0.060213, 1e-4) and close(limits[1][1], 0.219787, 1e-5)


def test_laney_sigma_z_cannot_be_computed_from_one_point_or_when_pbar_is_zero():
    # one point: no moving range → σ_z unknown, plain p limits: 0.1 ± 3 × 0.03 = [0.01, 0.19]
    pbar, sigma_z, [(lower, upper)] = laney_limits([10], [100])
    assert close(pbar, 0.1) and sigma_z is None and close(lower, 0.01) and close(upper, 0.19)
    # nothing ever happened: p̄ = 0, no binomial spread, limits collapse on 0
    assert laney_limits([0, 0], [50, 80]) == (0.0, None, [(0.0, 0.0), (0.0, 0.0)])
    # identical proportions: every z is 0, σ_z = 0, limits collapse on p̄
    _pbar, sigma_z, limits = laney_limits([10, 40], [100, 400])
    assert sigma_z == 0.0 and limits == [(0.1, 0.1), (0.1, 0.1)]


# --- Anhøj run-chart rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("useful", "run_limit", "cross_limit"),
    # Anhøj & Olesen 2014, Table 1: n, longest run > …, crossings < …
    [(10, 6, 2), (11, 6, 2), (12, 7, 3), (14, 7, 4), (20, 7, 6), (25, 8, 8), (30, 8, 10),
     (40, 8, 14), (50, 9, 19), (100, 10, 41)],
)  # fmt: skip
def test_anhoej_limits_match_the_published_table(useful, run_limit, cross_limit):
    assert longest_run_limit(useful) == run_limit
    assert crossings_limit(useful) == cross_limit


def test_anhoej_limits_by_hand_for_ten_points():
    # round(log2(10) + 3) = round(3.3219 + 3) = round(6.32) = 6
    # Binomial(9, ½): P(X ≤ 1) = (1 + 9)/512 = 0.0195 < 0.05; P(X ≤ 2) = (1 + 9 + 36)/512
    # = 0.0898 ≥ 0.05 → 2
    assert (longest_run_limit(10), crossings_limit(10)) == (6, 2)
    assert (longest_run_limit(0), crossings_limit(0)) == (None, None)
    assert (longest_run_limit(1), crossings_limit(1)) == (3, 0)  # P(X ≤ 0) = 1 for 0 trials


def test_anhoej_steady_climb_crosses_the_median_too_rarely():
    # 1 … 10: median 5.5, 5 below then 5 above: longest run 5 (≤ 6), 1 crossing (< 2)
    result = anhoej(list(range(1, 11)))
    assert (result.median, result.useful, result.longest_run, result.crossings) == (5.5, 10, 5, 1)
    assert result.few_crossings and not result.long_run and result.signal


def test_anhoej_ignores_points_on_the_median_and_missing_values():
    # median of 1, 3, 2, 2, 3, 1 is 2; the 2s are ignored: −, +, +, − → runs 1, 2, 1,
    # 2 crossings; n = 4 → run limit round(2 + 3) = 5, crossings limit qbinom(.05, 3, ½) = 0
    result = anhoej([1, 3, None, 2, 2, 3, 1])
    assert result == AnhoejResult(
        median=2.0,
        useful=4,
        longest_run=2,
        longest_run_limit=5,
        crossings=2,
        crossings_limit=0,
        signal=False,
        useful_indices=(0, 1, 5, 6),
    )


def test_a_short_steady_climb_is_a_signal_on_its_run_chart():
    # 1 … 10 as above; 10 points < 12 → run chart; 1 crossing < 2
    chart = control_chart(series(range(1, 11)))
    (signal,) = chart.signals
    assert (signal.rule, signal.labels[0], signal.labels[-1]) == ("few_crossings", "2000", "2009")
    assert signal.description == (
        "The values cross the median only once (2000 to 2009), fewer than the 2 crossings that "
        "chance would give: a signal, not noise."
    )
    assert chart.summary() == "1 signal: too few crossings of the median from 2000 to 2009."
    assert all(p.rules == ("few_crossings",) for p in chart.points)


def test_a_long_run_on_a_run_chart():
    # 30 points: 9 at 20, then (10, 10, 20) six times, then 10, 10, 10 → 15 at 20, 15 at 10,
    # median (10 + 20)/2 = 15, nothing on it; n = 30 → run limit round(log2 30 + 3) = 8,
    # crossings limit 10. Runs: 9 above, then 2 below / 1 above six times, then 3 below
    # → 14 runs, 13 crossings (≥ 10); the first run, 9 > 8, is a long run.
    values = [20] * 9 + [10, 10, 20] * 6 + [10, 10, 10]
    chart = control_chart(series(values), kind="run", settings=SpcSettings(baseline_size=30))
    (phase,) = chart.phases
    assert (phase.kind, phase.centre, phase.useful) == ("run", 15.0, 30)
    assert (phase.longest_run, phase.longest_run_limit) == (9, 8)
    assert (phase.crossings, phase.crossings_limit) == (13, 10)
    (signal,) = chart.signals
    assert (signal.rule, signal.direction) == ("long_run", "up")
    assert signal.labels == tuple(str(2000 + i) for i in range(9))
    assert signal.description == (
        "9 points in a row above the median (2000 to 2008), more than the 8 that chance would "
        "give: a long run, not noise."
    )
    assert chart.summary() == "1 signal: a long run above the median from 2000 to 2008."


def test_a_run_chart_frozen_on_a_short_baseline_that_later_points_never_cross():
    # baseline 2, 2 → median 2 (both on it); then ten 5s: n = 10 all above, 0 crossings (< 2)
    # and a run of 10 (> 6)
    settings = SpcSettings(baseline_size=2, min_points=2)
    chart = control_chart(series([2, 2] + [5] * 10), kind="run", settings=settings)
    assert [(s.rule, s.labels[0], s.labels[-1]) for s in chart.signals] == [
        ("long_run", "2002", "2011"),
        ("few_crossings", "2002", "2011"),
    ]
    assert chart.signals[1].description == (
        "The values never cross the median (2002 to 2011), where chance would give at least 2 "
        "crossings: a signal, not noise."
    )
    assert chart.points[0].rules == () and chart.points[0].in_baseline


def test_anhoej_long_run_against_a_frozen_centre():
    # 10 points, 7 in a row above 0 (limit 6), then 3 below
    result = anhoej([1, 2, 1, 2, 1, 2, 1, -1, -2, -1], centre=0)
    assert (result.longest_run, result.longest_run_limit, result.crossings) == (7, 6, 1)
    assert result.long_run and [run.indices for run in result.long_runs] == [tuple(range(7))]


def test_anhoej_edge_cases():
    assert anhoej([]) == AnhoejResult(None, 0, 0, None, 0, None, False)
    assert anhoej([None]) == AnhoejResult(None, 0, 0, None, 0, None, False)
    flat = anhoej([4, 4, 4])
    assert (flat.median, flat.useful, flat.longest_run_limit, flat.signal) == (4.0, 0, None, False)


# --- runs and trends ------------------------------------------------------------------------


def test_side_runs_break_on_the_centre_and_skip_gaps():
    values = [1, 1, None, 1, 0, 1, 1, 1, -1]
    assert [(r.indices, r.direction) for r in side_runs(values, 0, 3)] == [
        ((0, 1, 3), "up"),
        ((5, 6, 7), "up"),
    ]
    assert side_runs(values, 0, 4) == []
    assert side_runs([], 0, 2) == []


def test_trend_runs_need_strict_steps_and_share_the_turning_point():
    # 1 2 3 4 rising, 4 3 2 1 falling (4 in both), then a tie 1 1 ends any trend
    values = [1, 2, None, 3, 4, 3, 2, 1, 1, 2]
    runs = trend_runs(values, 4)
    assert [(r.indices, r.direction) for r in runs] == [
        ((0, 1, 3, 4), "up"),
        ((4, 5, 6, 7), "down"),
    ]
    assert trend_runs(values, 5) == []
    assert trend_runs([5, 5, 5, 5], 2) == []


# --- the chart: a real series -------------------------------------------------------------------

# Ohio, HUD point-in-time count of people experiencing homelessness, whole state, 2007–2023:
# the sum of Ohio's Continuums of Care (hud_pit_coc_2007_2023.csv.gz), equal to the published
# state totals (hud_pit_state_panel.csv) for 2011–2023. 2021 counted sheltered people only.
OHIO = {
    "2007": 11264, "2008": 12912, "2009": 12700, "2010": 12569, "2011": 13030, "2012": 13977,
    "2013": 12325, "2014": 11823, "2015": 11182, "2016": 10404, "2017": 10095, "2018": 10249,
    "2019": 10345, "2020": 10655, "2021": 7915, "2022": 10654, "2023": 11386,
}  # fmt: skip


def ohio_points():
    return [SpcPoint(year, D(count), excluded=year == "2021") for year, count in OHIO.items()]


def test_ohio_series_is_the_repository_data():
    with (DATA / "hud_pit_state_panel.csv").open(newline="") as f:
        state = {
            r["year"]: int(r["overall_homeless"]) for r in csv.DictReader(f) if r["state"] == "OH"
        }
    assert state == {year: count for year, count in OHIO.items() if year >= "2011"}
    rolled_up: dict[str, int] = defaultdict(int)
    with gzip.open(DATA / "hud_pit_coc_2007_2023.csv.gz", "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["CoC Number"].startswith("OH-") and r["Homelessness.Type"] == "Overall.Homeless":
                rolled_up[r["Year"]] += int(r["Count"])
    assert rolled_up == OHIO


def test_ohio_homeless_count_xmr_chart():
    # 16 usable years (2021 excluded) ≥ 12 → XmR, all 16 in the baseline (≤ 20).
    # Sum: 11264 + 12912 + 12700 + 12569 + 13030 + 13977 + 12325 + 11823 + 11182 + 10404 + 10095
    #      + 10249 + 10345 + 10655 + 10654 + 11386 = 185,570 → mean 185570 / 16 = 11,598.125
    # Moving ranges (2021 skipped: 2022 − 2020 = 10654 − 10655): 1648, 212, 131, 461, 947, 1652,
    #      502, 641, 778, 309, 154, 96, 310, 1, 732 → sum 8,574 → MR̄ = 8574 / 15 = 571.6
    # Limits 11598.125 ± 2.66 × 571.6 = 11598.125 ± 1520.456 → 10,077.669 and 13,118.581
    # MR upper 3.267 × 571.6 = 1,867.4172
    chart = control_chart(ohio_points(), lower_bound=0)
    (phase,) = chart.phases
    assert chart.kind == phase.kind == ChartKind.XMR
    assert close(phase.centre, 11598.125) and close(phase.mr_bar, 571.6)
    assert close(phase.lower, 10077.669) and close(phase.upper, 13118.581)
    assert close(phase.mr_upper, 1867.4172)
    assert phase.baseline_labels == tuple(year for year in OHIO if year != "2021")
    by_year = {p.label: p for p in chart.points}
    assert by_year["2007"].moving_range is None
    assert by_year["2022"].moving_range == 1.0  # across the excluded 2021
    assert by_year["2021"].moving_range is None and not by_year["2021"].in_baseline
    # 2012: 13,977 > 13,118.581. Falling 2012 → 2017: 13977 > 12325 > 11823 > 11182 > 10404 >
    # 10095 (6 points), 2018 rises. Below 11,598.125 from 2015 to 2023: 8 usable points.
    assert signals_of(chart) == [
        ("outside", ("2012",), "up", 0),
        ("trend", ("2012", "2013", "2014", "2015", "2016", "2017"), "down", 0),
        ("shift", ("2015", "2016", "2017", "2018", "2019", "2020", "2022", "2023"), "down", 0),
    ]
    assert [s.description for s in chart.signals] == [
        "2012 is above the upper limit (13,119): a signal, not noise.",
        "6 points in a row falling (2012 to 2017): a trend, not noise.",
        "8 points in a row below the centre line (2015 to 2023): a shift, not noise.",
    ]
    # 2021's sheltered-only 7,915 is far below the lower limit, but not comparable: no signal.
    assert by_year["2021"].value == 7915.0 and by_year["2021"].rules == ()
    assert by_year["2012"].rules == ("outside", "trend")
    assert by_year["2015"].rules == ("shift", "trend")
    assert by_year["2008"].rules == ()
    assert chart.summary() == (
        "3 signals: 2012 above the upper limit; a falling trend from 2012 to 2017; "
        "a shift below the centre line from 2015 to 2023."
    )
    method = chart.method()
    assert "XmR" in method and "2.66" in method and "3.267" in method
    assert "8 or more points in a row" in method and "6 or more points in a row" in method
    assert "first 20 usable points" in method and "not comparable" in method
    assert "never below" not in method  # the lower limit did not need raising


def test_ohio_with_a_recorded_change_gives_two_short_phases_with_run_charts():
    chart = control_chart(
        ohio_points(), phase_starts={"2015"}, phase_reasons={"2015": "coordinated entry began"}
    )
    first, second = chart.phases
    assert (first.first_label, first.last_label) == ("2007", "2014")
    assert (second.first_label, second.last_label, second.kind) == ("2015", "2023", "run")
    assert second.started_by == "a recorded change (coordinated entry began)"
    # 2015–2023 without 2021: 11182 10404 10095 10249 10345 10655 10654 11386; sorted, the middle
    # two are 10404 and 10654 → median (10404 + 10654)/2 = 10529. Below: 10404 10095 10249
    # 10345; above: 11182 10655 10654 11386 → sides + − − − − + + + → runs 1, 4, 3; 2 crossings.
    # n = 8: run limit round(3 + 3) = 6; crossings limit qbinom(.05, 7, ½) = 1 (8/128 ≥ .05).
    assert second.centre == 10529.0
    assert (second.useful, second.longest_run, second.longest_run_limit) == (8, 4, 6)
    assert (second.crossings, second.crossings_limit) == (2, 1)
    assert chart.signals == ()
    assert chart.summary() == (
        "No signal yet, but each phase has too few points to tell signal from noise."
    )
    assert "Phase 2 starts at 2015, after a recorded change (coordinated entry began)." in (
        chart.method()
    )


def test_descriptions_format_numbers_in_the_active_language():
    with translation.override("es"):
        chart = control_chart(ohio_points())
    assert "(13\xa0119)" in chart.signals[0].description


# --- the chart: proportions ------------------------------------------------------------------


def p_points(numerators, denominator=100):
    return [
        SpcPoint(str(2000 + i), numerator=n, denominator=denominator)
        for i, n in enumerate(numerators)
    ]


def test_p_chart_chosen_when_proportions_vary_only_by_chance():
    # 12 baseline points of n = 100: 10, 11, 9 four times → p̄ = 120 / 1200 = 0.1
    # σ_p = √(0.09/100) = 0.03; z = (num − 10)/3 = 0, ⅓, −⅓, … ; moving ranges ⅓, ⅔, ⅓, ⅓, ⅔, …
    # (seven ⅓ and four ⅔) → 15/3 / 11 = 5/11 = 0.4545 → σ_z = 0.4545/1.128 = 0.40296 ≤ 1 → p.
    # Limits 0.1 ± 3 × 0.03 → 1 % and 19 %. After the baseline: 25/100 = 25 % > 19 %.
    points = p_points([10, 11, 9] * 4 + [25])
    points.insert(5, SpcPoint("gap", numerator=3, denominator=0))
    chart = control_chart(points, settings=SpcSettings(baseline_size=12))
    (phase,) = chart.phases
    assert phase.kind == ChartKind.P
    assert close(phase.sigma_z, 5 / 11 / 1.128)
    assert close(phase.centre, 10.0) and close(phase.lower, 1.0) and close(phase.upper, 19.0)
    gap = chart.points[5]
    assert (gap.value, gap.lower, gap.upper, gap.rules) == (None, None, None, ())
    last = chart.points[-1]
    assert (last.value, last.in_baseline, last.rules) == (25.0, False, ("outside",))
    assert (
        chart.signals[0].description == "2012 is above the upper limit (19.0): a signal, not noise."
    )
    assert "p-chart" in chart.method() and "used when σz is above 1" in chart.method()


def test_laney_p_prime_chosen_for_overdispersed_proportions_with_large_denominators():
    # n = 10,000, numerators 900, 1100 alternating: p̄ = 0.1, σ_p = √(0.09/10000) = 0.003
    # z = ∓0.01/0.003 = ∓10/3 → every moving range 20/3 → σ_z = 6.6667/1.128 = 5.91017 > 1 → p′
    # limits 0.1 ± 3 × 0.003 × 5.91017 = 0.1 ± 0.0531915 → 4.68085 % and 15.31915 %
    points = p_points([900, 1100] * 6, denominator=10000)
    chart = control_chart(points)
    (phase,) = chart.phases
    assert phase.kind == chart.kind == ChartKind.P_PRIME
    assert close(phase.sigma_z, 20 / 3 / 1.128)
    assert close(phase.lower, 10 - 0.9 * 20 / 3 / 1.128) and close(phase.lower, 4.68085, 1e-6)
    assert close(phase.upper, 15.31915, 1e-6)
    assert chart.signals == ()
    # The plain p-chart's limits 10 ± 0.9 % call every one of the 12 points a signal.
    forced = control_chart(points, kind="p")
    assert forced.kind == ChartKind.P and close(forced.phases[0].upper, 10.9)
    assert [s.rule for s in forced.signals] == ["outside"] * 12


def test_p_chart_rate_base_and_varying_limits():
    # per 1,000: p̄ = 92 / 920 = 0.1 → centre 100; n = 100: 0.1 ± 0.09 → 10 and 190 per 1,000;
    # n = 50: 0 and 227.2792 (as in test_p_limits_hand_computed). Limits vary → none per phase.
    points = [
        SpcPoint(str(2000 + i), numerator=num, denominator=den)
        for i, (num, den) in enumerate([(5, 50), (10, 100), (8, 80)] * 4)
    ]
    chart = control_chart(points, kind=ChartKind.P, rate_base=D(1000))
    phase = chart.phases[0]
    assert close(phase.centre, 100.0) and phase.lower is None and phase.upper is None
    assert close(chart.points[1].lower, 10.0) and close(chart.points[1].upper, 190.0)
    assert chart.points[0].lower == 0.0 and close(chart.points[0].upper, 227.2792, 1e-6)
    assert chart.signals == ()


def test_proportions_above_one_are_charted_as_rates_with_xmr():
    # 12 numerators above their denominators (visits per person): not a proportion → XmR
    points = [SpcPoint(str(i), numerator=150 + i % 2, denominator=100) for i in range(12)]
    chart = control_chart(points)
    assert chart.kind == ChartKind.XMR
    assert chart.points[0].value == 150.0 and chart.points[1].value == 151.0
    with pytest.raises(ValueError, match="numerator"):
        control_chart(points, kind="p")


def test_a_p_chart_needs_numerators_and_denominators():
    with pytest.raises(ValueError, match="numerators and denominators"):
        control_chart(series(range(12)), kind=ChartKind.P_PRIME)


# --- the chart: rules --------------------------------------------------------------------------

CALM = [10, 12, 11, 9, 10, 12, 8, 11, 10, 9, 12, 10]  # mean 124/12 = 10.333…


def test_a_shift_needs_eight_points_in_a_row_and_a_point_on_the_centre_ends_it():
    # baseline 1,2,1,2,… (12 points): mean 1.5, MR̄ 1, limits 1.5 ± 2.66 = −1.16 and 4.16
    base = [1, 2] * 6
    chart = control_chart(
        series([*base, 3, 3, 3, 3, 3, 3, 3, 3]), settings=SpcSettings(baseline_size=12)
    )
    (shift,) = [s for s in chart.signals if s.rule == Rule.SHIFT]
    # 2 (the last baseline point) is above 1.5 too: 9 points in a row from 2011 to 2019
    assert shift.labels == tuple(str(y) for y in range(2011, 2020)) and shift.direction == "up"
    # with a point exactly on the centre (1.5) in the middle, no run reaches 8
    broken = control_chart(
        series([*base, 3, 3, 3, D("1.5"), 3, 3, 3, 3]), settings=SpcSettings(baseline_size=12)
    )
    assert [s.rule for s in broken.signals] == []
    assert (
        control_chart(
            series([*base, 3, 3, 3, 3, 3, 3]), settings=SpcSettings(baseline_size=12)
        ).signals
        == ()
    )


def test_a_trend_needs_six_points_each_higher_than_the_one_before():
    rising = control_chart(
        series([*CALM, 9, 9.5, 10, 10.5, 11, 11.5]), settings=SpcSettings(baseline_size=12)
    )
    # 10 (last of CALM) → 9 falls, so the rising trend is the 6 new points, 2012–2017
    (trend,) = rising.signals
    assert (trend.rule, trend.direction, trend.labels[0], trend.labels[-1]) == (
        "trend",
        "up",
        "2012",
        "2017",
    )
    assert trend.description == "6 points in a row rising (2012 to 2017): a trend, not noise."
    five = control_chart(
        series([*CALM, 9, 9.5, 10, 10.5, 11]), settings=SpcSettings(baseline_size=12)
    )
    assert five.signals == ()
    tie = control_chart(
        series([*CALM, 9, 9.5, 10, 10, 10.5, 11]), settings=SpcSettings(baseline_size=12)
    )
    assert tie.signals == ()


def test_settings_change_the_rules_and_the_method_says_so():
    settings = SpcSettings(shift_length=6, trend_length=5, baseline_size=12)
    chart = control_chart(series([*CALM, 9, 9.5, 10, 10.5, 11]), settings=settings)
    assert [s.rule for s in chart.signals] == ["trend"]
    assert "6 or more points in a row on the same side" in chart.method()
    assert "5 or more points in a row each higher" in chart.method()


def test_limits_are_frozen_on_the_baseline():
    # baseline = CALM (12 points): mean 10.333…, moving ranges 2,1,2,1,2,4,3,1,1,3,2 → 22/11 = 2
    # limits 10.333… ± 5.32 → 5.0133… and 15.6533…; the later 40 changes neither.
    chart = control_chart(series([*CALM, 40]), settings=SpcSettings(baseline_size=12))
    phase = chart.phases[0]
    assert close(phase.centre, 124 / 12) and close(phase.mr_bar, 2.0)
    assert close(phase.upper, 124 / 12 + 5.32)
    last = chart.points[-1]
    assert (last.in_baseline, last.moving_range, last.rules) == (False, 30.0, ("outside",))
    assert sum(p.in_baseline for p in chart.points) == 12


def test_lower_bound_raises_the_lower_limit_and_the_method_says_so():
    # 0, 3 alternating: mean 1.5, MR̄ 3, lower 1.5 − 7.98 = −6.48 → 0 for a count
    chart = control_chart(series([0, 3] * 6), lower_bound=0)
    assert chart.phases[0].lower == 0.0 and chart.points[0].lower == 0.0
    assert "The lower limit is never below 0." in chart.method()
    assert control_chart(series([0, 3] * 6)).phases[0].lower == pytest.approx(-6.48)


# --- the chart: phases -----------------------------------------------------------------------


def test_a_series_break_starts_a_phase_and_nothing_crosses_it():
    # Old definition, 14 points: 6 7 6 7 6 7 7, then 3 4 3 4 3 4 3 → mean 70 / 14 = 5; 7 above,
    # then 7 below (a shift needs 8). New definition: 3 4 3 4 9, 5 points → a run chart.
    # Joined into one phase, the 7 low points before the break and the 4 after it would be one
    # run of 11 below the centre: a shift that mixes two definitions.
    old = [6, 7] * 3 + [7] + [3, 4] * 3 + [3]
    new = [3, 4, 3, 4, 9]
    points = [SpcPoint(str(2000 + i), v) for i, v in enumerate(old)] + [
        SpcPoint(str(2014 + i), v, segment=1) for i, v in enumerate(new)
    ]
    chart = control_chart(points)
    first, second = chart.phases
    assert (first.kind, second.kind) == (ChartKind.XMR, ChartKind.RUN)
    assert first.centre == 5.0 and first.last_label == "2013"
    assert second.started_by == "a series break: the definition changed"
    assert second.baseline_labels == ("2014", "2015", "2016", "2017", "2018")
    assert chart.kind == ChartKind.RUN  # the last phase
    start = chart.points[14]
    # median of 3 4 3 4 9 is 4
    assert (start.phase, start.moving_range, start.lower, start.centre) == (1, None, None, 4.0)
    assert chart.signals == ()
    assert "after a series break" in chart.method()
    joined = control_chart([SpcPoint(p.label, p.value) for p in points])
    assert [(s.rule, s.labels[0], s.labels[-1]) for s in joined.signals] == [
        ("shift", "2007", "2017"),
        ("outside", "2018", "2018"),  # and the 9 is above the joined upper limit, 8.29
    ]


def test_a_recorded_change_and_a_break_at_the_same_point_give_both_reasons():
    points = [SpcPoint("a", 1), SpcPoint("b", 2, segment=1)]
    chart = control_chart(points, phase_starts=["b", "not a label"])
    assert chart.phases[1].started_by == "a series break: the definition changed; a recorded change"


# --- the chart: edge cases -------------------------------------------------------------------


def test_no_points():
    chart = control_chart([])
    assert (chart.kind, chart.points, chart.phases, chart.signals) == (ChartKind.RUN, (), (), ())
    assert chart.summary() == "No values to chart yet."
    assert chart.method() == "No values to chart yet."


def test_one_point():
    chart = control_chart([SpcPoint("2023", D("11386"))])
    (phase,) = chart.phases
    assert (phase.kind, phase.centre, phase.useful, phase.longest_run_limit) == (
        "run",
        11386.0,
        0,
        None,
    )
    assert chart.points[0].rules == () and chart.points[0].in_baseline
    assert chart.summary() == "No signal yet, but 1 point is too few to tell signal from noise."
    assert "Run chart" in chart.method() and "this run chart" in chart.method()


def test_all_equal_values_have_limits_on_the_centre_and_no_signal():
    chart = control_chart(series([5] * 15))
    (phase,) = chart.phases
    assert (phase.kind, phase.centre, phase.lower, phase.upper, phase.mr_bar) == (
        "xmr",
        5.0,
        5.0,
        5.0,
        0.0,
    )
    assert chart.signals == ()
    assert all(p.rules == () and p.moving_range in (None, 0.0) for p in chart.points)
    assert chart.summary() == "No signal: the changes are within normal variation."


def test_all_equal_values_in_a_run_chart():
    chart = control_chart(series([D("2.5")] * 5))
    assert chart.phases[0].useful == 0 and chart.signals == ()


def test_missing_values_and_excluded_points_are_shown_but_skipped():
    values = [*CALM[:6], None, *CALM[6:]]
    points = series(values)
    points.append(SpcPoint("odd", 100, excluded=True))
    chart = control_chart(points)
    assert len(chart.points) == 14
    gap, odd = chart.points[6], chart.points[-1]
    assert (gap.value, gap.moving_range, gap.in_baseline, gap.rules) == (None, None, False, ())
    assert (odd.value, odd.excluded, odd.in_baseline, odd.rules) == (100.0, True, False, ())
    assert chart.points[7].moving_range == 4.0  # |8 − 12| across the gap
    assert close(chart.phases[0].centre, 124 / 12)  # neither the gap nor the 100
    assert chart.signals == ()


def test_only_missing_or_excluded_points():
    chart = control_chart([SpcPoint("a"), SpcPoint("b", 3, excluded=True)])
    (phase,) = chart.phases
    assert (phase.kind, phase.centre, phase.baseline_labels) == ("run", None, ())
    assert chart.summary() == "No values to chart yet."


def test_zero_denominators_in_a_short_proportion_series():
    points = [
        SpcPoint("q1", numerator=1, denominator=10),
        SpcPoint("q2", numerator=0, denominator=0),
        SpcPoint("q3", numerator=3, denominator=10),
    ]
    chart = control_chart(points)
    assert [p.value for p in chart.points] == [10.0, None, 30.0]
    assert chart.phases[0].kind == ChartKind.RUN and chart.phases[0].centre == 20.0


def test_settings_and_arguments_are_checked():
    with pytest.raises(ValueError):
        SpcSettings(min_points=30)
    with pytest.raises(ValueError):
        SpcSettings(shift_length=1)
    with pytest.raises(ValueError):
        SpcSettings(sigma=0)
    with pytest.raises(ValueError, match="rate base"):
        control_chart(series([1, 2]), rate_base=0)


# --- properties ------------------------------------------------------------------------------

ints = st.lists(st.integers(-1000, 1000), min_size=0, max_size=40)


@PROPERTY
@given(st.lists(st.integers(-(10**6), 10**6), min_size=2, max_size=40))
def test_xmr_limits_are_symmetric_about_the_mean(values):
    limits = xmr_limits(values)
    assert math.isclose(
        limits.upper - limits.mean, limits.mean - limits.lower, rel_tol=1e-9, abs_tol=1e-6
    )
    assert limits.lower <= limits.mean <= limits.upper


@PROPERTY
@given(ints, st.integers(-(10**5), 10**5))
def test_shifting_every_value_shifts_the_lines_and_keeps_the_signals(values, shift):
    before = control_chart(series(values))
    after = control_chart(series([v + shift for v in values]))
    assert signals_of(before) == signals_of(after)
    for a, b in zip(before.points, after.points, strict=True):
        assert a.rules == b.rules
        for field in ("value", "centre", "lower", "upper"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None)
            if x is not None:
                assert math.isclose(x + shift, y, rel_tol=1e-9, abs_tol=1e-6)
        assert a.moving_range == b.moving_range or math.isclose(a.moving_range, b.moving_range)


@PROPERTY
@given(ints, st.integers(1, 1000))
def test_scaling_every_value_scales_the_lines_and_keeps_the_signals(values, factor):
    before = control_chart(series(values))
    after = control_chart(series([v * factor for v in values]))
    assert signals_of(before) == signals_of(after)
    for a, b in zip(before.points, after.points, strict=True):
        for field in ("value", "centre", "lower", "upper", "moving_range"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None)
            if x is not None:
                assert math.isclose(x * factor, y, rel_tol=1e-9, abs_tol=1e-6)


point = st.tuples(
    st.one_of(st.none(), st.integers(-50, 50)),
    st.integers(0, 2),  # segment step
    st.booleans(),  # excluded
    st.booleans(),  # a recorded change here
)


@PROPERTY
@given(st.lists(point, max_size=60))
def test_one_chart_point_per_input_point_and_no_rule_spans_two_phases(rows):
    points, segment, starts = [], 0, set()
    for i, (value, step, excluded, change) in enumerate(rows):
        segment += step == 2  # a series break now and then
        points.append(SpcPoint(f"p{i}", value, segment=segment, excluded=excluded))
        if change:
            starts.add(f"p{i}")
    chart = control_chart(
        points, phase_starts=starts, settings=SpcSettings(min_points=6, baseline_size=10)
    )
    assert [p.label for p in chart.points] == [p.label for p in points]
    phase_of = {p.label: p.phase for p in chart.points}
    for signal in chart.signals:
        assert {phase_of[label] for label in signal.labels} == {signal.phase}
    for phase in chart.phases:
        assert phase.baseline_labels == tuple(
            p.label for p in chart.points if p.phase == phase.index and p.in_baseline
        )
        assert len(phase.baseline_labels) <= 10
    flagged = {label for signal in chart.signals for label in signal.labels}
    for p, original in zip(chart.points, points, strict=True):
        assert (p.rules != ()) == (p.label in flagged)
        if original.excluded or original.value is None:
            assert p.rules == () and not p.in_baseline


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=1, max_size=30))
def test_p_limits_contain_pbar_and_stay_within_zero_and_one(pairs):
    numerators = [min(a, b) for a, b in pairs]
    denominators = [max(a, b) for a, b in pairs]
    pbar, limits = p_limits(numerators, denominators)
    for (lower, upper), den in zip(limits, denominators, strict=True):
        if den == 0:
            assert (lower, upper) == (None, None)
        else:
            assert 0.0 <= lower <= pbar <= upper <= 1.0
