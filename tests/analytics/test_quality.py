"""Data quality checks, against hand-computed figures."""

import math
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.analytics.quality import (
    Completeness,
    Outlier,
    PartsCheck,
    add_months,
    completeness,
    completeness_total,
    modified_z_scores,
    outliers,
    parts_not_summing,
    staleness,
)
from backbone.measurement.models import Indicator, RuleSeverity
from backbone.measurement.validation import check_parts

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


# ----------------------------------------------------------------------------- modified z-scores


def test_modified_z_scores_by_hand():
    # 10, 12, 11, 13, 50: median 12; |x − 12| = 2, 0, 1, 1, 38 → sorted 0, 1, 1, 2, 38 → MAD 1
    # M = 0.6745 × (x − 12) / 1: −1.349, 0, −0.6745, 0.6745, 0.6745 × 38 = 25.631
    scores = modified_z_scores([D(10), D(12), D(11), D(13), D(50)])
    assert scores == [-1.349, 0.0, -0.6745, 0.6745, 25.631]


def test_modified_z_scores_with_an_even_count():
    # 1, 2, 3, 4: median 2.5; |dev| = 1.5, 0.5, 0.5, 1.5 → MAD (0.5 + 1.5) / 2 = 1
    # M(4) = 0.6745 × 1.5 = 1.01175
    assert modified_z_scores([1, 2, 3, 4]) == [-1.01175, -0.33725, 0.33725, 1.01175]


def test_when_the_mad_is_zero_the_mean_absolute_deviation_is_used():
    # 5, 5, 5, 5, 9: median 5; |dev| = 0, 0, 0, 0, 4 → MAD 0
    # MeanAD = 4 / 5 = 0.8; M(9) = 4 / (1.253314 × 0.8) = 4 / 1.0026512 = 3.98942…
    scores = modified_z_scores([D(5), D(5), D(5), D(5), D(9)])
    assert scores[:4] == [0.0, 0.0, 0.0, 0.0]
    assert scores[4] == pytest.approx(3.98942, abs=1e-5)


def test_all_equal_one_value_empty_and_missing():
    assert modified_z_scores([D(3), D(3), D(3)]) == [0.0, 0.0, 0.0]
    assert modified_z_scores([D(7)]) == [0.0]
    assert modified_z_scores([]) == []
    assert modified_z_scores([None, None]) == [None, None]
    # Gaps are skipped and keep their place: same scores as the by-hand example.
    assert modified_z_scores([None, 10, 12, None, 11, 13, 50.0]) == [
        None,
        -1.349,
        0.0,
        None,
        -0.6745,
        0.6745,
        25.631,
    ]


def test_a_value_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        modified_z_scores([1.0, math.nan])


values = st.lists(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False),
    min_size=1,
    max_size=25,
)


def close(a, b):
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x, y in zip(a, b, strict=True))


@PROPERTY
@given(values, st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False))
def test_modified_z_scores_do_not_change_when_a_constant_is_added(xs, shift):
    assert close(modified_z_scores([x + shift for x in xs]), modified_z_scores(xs))


@PROPERTY
@given(values, st.decimals(min_value=D("0.01"), max_value=1000, places=2))
def test_modified_z_scores_do_not_change_under_positive_scaling(xs, factor):
    assert close(modified_z_scores([x * factor for x in xs]), modified_z_scores(xs))


@PROPERTY
@given(values)
def test_modified_z_scores_change_sign_when_values_do(xs):
    assert close(modified_z_scores([-x for x in xs]), [-z for z in modified_z_scores(xs)])


# ----------------------------------------------------------------------------- outliers


def test_a_spike_in_a_places_own_history_is_an_outlier():
    # 300, 310, 320, 305, 1520: sorted 300, 305, 310, 320, 1520 → median 310
    # |dev| = 10, 0, 10, 5, 1210 → sorted 0, 5, 10, 10, 1210 → MAD 10
    # M(1520) = 0.6745 × 1210 / 10 = 81.6145 > 3.5; M(320) = 0.6745 × 10 / 10 = 0.6745
    history = [(2019, D(300)), (2020, D(310)), (2021, D(320)), (2022, D(305)), (2023, D(1520))]
    assert outliers(history) == [
        Outlier(
            label=2023,
            value=D(1520),
            score=81.6145,
            median=D(310),
            words=(
                "2023: 1,520 is far from this place’s usual values (median 310; "
                "modified z-score 81.6 > 3.5)."
            ),
        )
    ]
    assert outliers(history)[0].high


def test_a_drop_is_an_outlier_too():
    # 100, 102, 98, 101, 99, 20: sorted 20, 98, 99, 100, 101, 102 → median (99 + 100)/2 = 99.5
    # |dev| = 0.5, 2.5, 1.5, 1.5, 0.5, 79.5 → sorted 0.5, 0.5, 1.5, 1.5, 2.5, 79.5
    # → MAD (1.5 + 1.5)/2 = 1.5; M(20) = 0.6745 × (20 − 99.5) / 1.5 = 0.6745 × −53 = −35.7485
    history = list(zip("abcdef", [D(v) for v in (100, 102, 98, 101, 99, 20)], strict=True))
    (found,) = outliers(history, decimals=1)
    assert (found.label, found.value, found.median) == ("f", D(20), D("99.5"))
    assert found.score == pytest.approx(-35.7485, abs=1e-12)
    assert not found.high
    assert found.words == (
        "f: 20.0 is far from this place’s usual values (median 99.5; "
        "modified z-score -35.7 < -3.5)."
    )


def test_a_score_exactly_at_the_threshold_is_not_an_outlier_and_words_never_look_equal():
    history = [(i, D(v)) for i, v in enumerate((10, 12, 11, 13, 50))]  # M(50) = 25.631
    assert outliers(history, threshold=25.631) == []
    (found,) = outliers(history, threshold=25.63)
    # 25.631 to one decimal is 25.6 and to two 25.63, which would read "25.63 > 25.63":
    # shown with three decimals instead.
    assert found.words.endswith("(median 12; modified z-score 25.631 > 25.63).")


def test_too_little_history_gives_no_judgement():
    # Four values and a gap: fewer than the five needed.
    four = [(1, D(1)), (2, D(1)), (3, None), (4, D(1)), (5, D(900))]
    assert outliers(four) == []
    assert outliers([]) == []
    # Five values: 1, 1, 1, 1, 900 → median 1, MAD 0; MeanAD = 899 / 5 = 179.8
    # M(900) = 899 / (1.253314 × 179.8) = 5 / 1.253314 = 3.98942… > 3.5
    five = [*four, (6, D(1))]
    (found,) = outliers(five)
    assert (found.label, found.score) == (5, pytest.approx(3.98942, abs=1e-5))
    assert outliers(five, min_points=6) == []


def test_a_steady_history_has_no_outliers():
    assert outliers([(y, D(50)) for y in range(2015, 2024)]) == []


def test_values_in_words_are_rounded_and_follow_the_language():
    # 1520.46 shown with one decimal is 1,520.5 (rounded half up, not cut to 1,520.4)
    history = [
        (y, D(v)) for y, v in zip(range(2019, 2024), (300, 310, 320, 305, "1520.46"), strict=True)
    ]
    (found,) = outliers(history, decimals=1)
    assert "1,520.5 is far" in found.words and "(median 310.0;" in found.words
    with translation.override("es"):
        (found,) = outliers(history, decimals=1)
    assert "1\xa0520,5" in found.words and "> 3,5" in found.words


# ----------------------------------------------------------------------------- parts


def test_groups_that_add_up_pass():
    assert parts_not_summing("2023", D(100), [D(40), D(60)]) is None


def test_groups_that_fall_short_of_the_total():
    # 40 + 50 = 90; difference 90 − 100 = −10
    assert parts_not_summing("2023", D(100), [D(40), D(50)]) == PartsCheck(
        label="2023",
        total=D(100),
        parts_sum=D(90),
        difference=D(-10),
        missing_parts=0,
        words="The groups add up to 90, but the total is 100.",
    )


def test_a_missing_group_may_make_up_the_rest_so_only_a_sum_above_the_total_is_flagged():
    # 40 + 50 = 90 with one group missing: the missing group may be the other 10 (import rule).
    assert parts_not_summing("2023", D(100), [D(40), None, D(50)]) is None
    # 60 + 50 = 110 > 100 with one group missing: no missing figure can fix that.
    check = parts_not_summing("2023", D(100), [D(60), None, D(50)])
    assert (check.parts_sum, check.difference, check.missing_parts) == (D(110), D(10), 1)
    assert check.words == (
        "The groups reported add up to 110, more than the total of 100; 1 group has no figure."
    )
    two = parts_not_summing("2023", D(1000), [D(1200), None, None])
    assert two.words == (
        "The groups reported add up to 1,200, more than the total of 1,000; "
        "2 groups have no figure."
    )


def test_tolerance_allows_for_rounding():
    # 33.3 × 3 = 99.9: 0.1 short of 100
    parts = [D("33.3")] * 3
    assert parts_not_summing("p", D(100), parts, tolerance=D("0.1")) is None
    check = parts_not_summing("p", D(100), parts, tolerance=D("0.05"), decimals=1)
    assert check.difference == D("-0.1")
    assert check.words == "The groups add up to 99.9, but the total is 100.0."
    with pytest.raises(ValueError):
        parts_not_summing("p", D(100), parts, tolerance=D(-1))


def test_no_total_or_no_groups_gives_nothing_to_check():
    assert parts_not_summing("p", None, [D(1), D(2)]) is None
    assert parts_not_summing("p", D(100), []) is None
    assert parts_not_summing("p", D(100), [None, None]) is None  # 0 reported ≤ 100


def test_zero_total_with_zero_groups_adds_up():
    assert parts_not_summing("p", D(0), [D(0), D(0)]) is None
    assert parts_not_summing("p", D(0), [D(0), D(1)]).difference == D(1)


@PROPERTY
@given(
    st.integers(0, 200).map(D),
    st.lists(st.one_of(st.none(), st.integers(0, 100).map(D)), min_size=1, max_size=6),
)
def test_parts_rule_is_the_imports_rule(total, parts):
    indicator = Indicator(parts_rule=RuleSeverity.WARNING)
    reported = {str(i): p for i, p in enumerate(parts) if p is not None}
    import_problem = check_parts(
        indicator, "age", total, reported, all_members=len(reported) == len(parts)
    )
    assert (parts_not_summing("p", total, parts) is None) == (import_problem is None)


# ----------------------------------------------------------------------------- completeness


def test_completeness_by_hand():
    # 12 / 15 × 100 = 80.0
    row = completeness(7, "Eastside Clinic", expected=15, received=12, approved=10)
    assert row == Completeness(
        key=7,
        label="Eastside Clinic",
        expected=15,
        received=12,
        approved=10,
        percent=D("80.0"),
        words="12 of 15 expected reports received (80.0%); 10 approved.",
    )


@pytest.mark.parametrize(
    ("received", "expected", "percent"),
    [
        (2, 3, "66.7"),  # 66.666… → 66.7
        (1, 6, "16.7"),  # 16.666… → 16.7
        (1, 16, "6.3"),  # 6.25 → 6.3, half up (half-even would give 6.2)
        (0, 4, "0.0"),
        (5, 4, "125.0"),  # more than expected came in
    ],
)
def test_completeness_percent_has_one_decimal_rounded_half_up(received, expected, percent):
    row = completeness(1, "x", expected=expected, received=received, approved=0)
    assert row.percent == D(percent)
    assert str(row.percent) == percent


def test_completeness_words_group_thousands():
    # 1,234 / 1,500 × 100 = 82.266… → 82.3
    row = completeness(1, "x", expected=1500, received=1234, approved=1000)
    assert row.words == "1,234 of 1,500 expected reports received (82.3%); 1,000 approved."
    one = completeness(1, "x", expected=1, received=1, approved=1)
    assert one.words == "1 of 1 expected report received (100.0%); 1 approved."


def test_nothing_expected_has_no_percent():
    row = completeness(1, "x", expected=0, received=0, approved=0)
    assert (row.percent, row.words) == (None, "No reports were expected.")
    extra = completeness(1, "x", expected=0, received=2, approved=1)
    assert (extra.percent, extra.words) == (
        None,
        "No reports were expected, but 2 reports came in (1 approved).",
    )


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        completeness(1, "x", expected=-1, received=0, approved=0)
    with pytest.raises(ValueError):
        completeness(1, "x", expected=3, received=1, approved=2)


def test_the_total_sums_counts_and_never_averages_percents():
    # 1 of 2 (50.0 %) and 9 of 10 (90.0 %): together 10 of 12 = 83.3 %, not (50 + 90) / 2 = 70
    rows = [
        completeness("a", "A", expected=2, received=1, approved=1),
        completeness("b", "B", expected=10, received=9, approved=4),
    ]
    total = completeness_total(rows)
    assert (total.key, total.label) == (None, "All")
    assert (total.expected, total.received, total.approved) == (12, 10, 5)
    assert total.percent == D("83.3")  # 10 / 12 × 100 = 83.33…
    assert completeness_total(rows, key="all", label="Every partner").label == "Every partner"


def test_the_total_of_no_rows_expects_nothing():
    total = completeness_total([])
    assert (total.expected, total.received, total.percent) == (0, 0, None)


# ----------------------------------------------------------------------------- staleness


def test_a_quarter_overdue_by_sixteen_days():
    # Last figure: Q1 2024, ending 31 Mar 2024. Next quarter ends 30 Jun 2024 (3 months on);
    # expected 30 days later, 30 Jul 2024. Today 15 Aug 2024: 1 (31 Jul) + 15 = 16 days late.
    result = staleness(
        last_end=date(2024, 3, 31),
        last_label="Q1 2024",
        period_months=3,
        grace_days=30,
        today=date(2024, 8, 15),
    )
    assert (result.stale, result.next_end, result.expected_by, result.days_late) == (
        True,
        date(2024, 6, 30),
        date(2024, 7, 30),
        16,
    )
    assert result.words == (
        "The latest figure is for Q1 2024. The next one, for the period ending June 30, 2024, "
        "was expected by July 30, 2024 and is 16 days late."
    )


def test_on_the_expected_day_it_is_not_late_the_day_after_it_is():
    common = {"last_end": date(2024, 3, 31), "last_label": "Q1", "period_months": 3}
    on_time = staleness(**common, grace_days=30, today=date(2024, 7, 30))
    assert (on_time.stale, on_time.days_late) == (False, 0)
    assert on_time.words == (
        "The latest figure is for Q1. The next one, for the period ending June 30, 2024, is "
        "expected by July 30, 2024."
    )
    late = staleness(**common, grace_days=30, today=date(2024, 7, 31))
    assert (late.stale, late.days_late) == (True, 1)
    assert late.words.endswith("and is 1 day late.")


def test_no_data_at_all_is_stale():
    result = staleness(
        last_end=None, last_label=None, period_months=12, grace_days=90, today=date(2024, 1, 1)
    )
    assert (result.stale, result.last_end, result.expected_by, result.days_late) == (
        True,
        None,
        None,
        0,
    )
    assert result.words == "No figures have been reported yet."


def test_without_a_label_the_period_end_names_the_latest_figure():
    result = staleness(
        last_end=date(2023, 12, 31),
        last_label=None,
        period_months=12,
        grace_days=0,
        today=date(2024, 1, 5),
    )
    assert result.words.startswith("The latest figure is for Dec. 31, 2023.")
    assert (result.next_end, result.stale) == (date(2024, 12, 31), False)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 15), 1, date(2024, 2, 15)),  # same day of the month
        (date(2024, 1, 30), 1, date(2024, 2, 29)),  # 30 Feb does not exist: clamped (leap year)
        (date(2023, 1, 31), 1, date(2023, 2, 28)),  # clamped, not a leap year
        (date(2023, 2, 28), 1, date(2023, 3, 31)),  # a month-end stays a month-end
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a year on from a leap day
        (date(2024, 9, 30), 3, date(2024, 12, 31)),  # quarter ends stay quarter ends
        (date(2024, 11, 30), 3, date(2025, 2, 28)),  # over the year end
        (date(2024, 12, 31), 6, date(2025, 6, 30)),
        (date(2024, 5, 29), 1, date(2024, 6, 29)),
    ],
)
def test_calendar_months_are_added_with_the_day_clamped(day, months, expected):
    assert add_months(day, months) == expected


def test_impossible_periods_are_refused():
    with pytest.raises(ValueError):
        staleness(
            last_end=date(2024, 1, 31),
            last_label="x",
            period_months=0,
            grace_days=0,
            today=date(2024, 3, 1),
        )
    with pytest.raises(ValueError):
        staleness(
            last_end=date(2024, 1, 31),
            last_label="x",
            period_months=1,
            grace_days=-1,
            today=date(2024, 3, 1),
        )
