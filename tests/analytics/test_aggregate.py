"""Aggregation against hand-computed figures."""

from decimal import Decimal as D

from backbone.analytics.aggregate import EMPTY, Aggregate, Report, Rule, across, over_time, roll_up


def test_rates_are_ratio_of_sums_not_average_of_percentages():
    # Clinic A screened 9 of 10 children (90 %), clinic B 10 of 100 (10 %).
    reports = [Report(D(90), D(9), D(10)), Report(D(10), D(10), D(100))]
    combined = across(reports, Rule.RATIO)
    assert (combined.numerator, combined.denominator) == (D(19), D(110))
    assert round(combined.value, 4) == D("17.2727")  # 19 / 110 × 100, by hand
    average_of_percentages = (D(90) + D(10)) / 2
    assert average_of_percentages == D(50)
    assert combined.value != average_of_percentages


def test_rate_per_thousand_uses_the_rate_base():
    combined = across(
        [Report(None, D(3), D(1500)), Report(None, D(2), D(500))], Rule.RATIO, rate_base=D(1000)
    )
    assert combined.value == D("2.5")  # 5 / 2000 × 1000


def test_counts_sum_and_missing_values_are_counted_as_excluded():
    combined = across([Report(D(967)), Report(D(631)), Report(None)], Rule.SUM)
    assert combined == Aggregate(D(1598), None, None, reports=2, excluded=1)


def test_a_rate_without_numerator_and_denominator_cannot_be_combined():
    combined = across([Report(D(50)), Report(D(40), D(4), D(10))], Rule.RATIO)
    assert combined.value == D(40)
    assert (combined.reports, combined.excluded) == (1, 1)


def test_zero_denominator_gives_no_value_rather_than_an_error():
    combined = across([Report(None, D(0), D(0))], Rule.RATIO)
    assert combined.value is None
    assert combined.denominator == D(0)


def test_nothing_reported_gives_nothing():
    assert across([], Rule.SUM) == EMPTY
    assert over_time([], Rule.LATEST) == EMPTY


def test_over_time_sums_flows_keeps_latest_stock_and_recomputes_rates():
    months = [
        ("2023-01", across([Report(D(10), D(1), D(4))], Rule.RATIO)),
        ("2023-02", EMPTY),
        ("2023-03", across([Report(D(50), D(3), D(6))], Rule.RATIO)),
    ]
    assert over_time(months, Rule.RATIO).value == D(40)  # 4 / 10, not (25 + 50) / 2
    stock = [
        ("2023-01", Aggregate(D(120), None, None, 1)),
        ("2023-02", Aggregate(D(80), None, None, 1)),
    ]
    assert over_time(stock, Rule.LATEST).value == D(80)
    assert over_time(stock, Rule.SUM).value == D(200)


def test_roll_up_uses_children_when_a_place_has_no_figure_of_its_own():
    tree = {"OH": ["OH-500", "OH-501"], "OH-500": ["Cincinnati"], "OH-501": [], "Cincinnati": []}
    reports = {"Cincinnati": [Report(D(967))], "OH-501": [Report(D(631))]}
    result = roll_up("OH", reports, lambda p: tree[p], Rule.SUM)
    assert (result.value, result.reports) == (D(1598), 2)


def test_roll_up_prefers_a_places_own_published_figure():
    tree = {"OH": ["OH-500"], "OH-500": []}
    reports = {"OH": [Report(D(11386))], "OH-500": [Report(D(967))]}
    assert roll_up("OH", reports, lambda p: tree[p], Rule.SUM).value == D(11386)


def test_roll_up_of_a_rate_recomputes_from_the_childrens_sums():
    tree = {"region": ["a", "b"], "a": [], "b": []}
    reports = {"a": [Report(D(90), D(9), D(10))], "b": [Report(D(10), D(10), D(100))]}
    result = roll_up("region", reports, lambda p: tree[p], Rule.RATIO)
    assert (result.numerator, result.denominator) == (D(19), D(110))
