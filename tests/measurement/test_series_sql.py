"""The series added up by the database: exactly what ``analytics.aggregate.roll_up`` gives on the
rows one by one (the way ``selectors.series`` worked before issue 6), on SQLite and PostgreSQL,
in a fixed number of queries however many groups are asked for."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbone.analytics.aggregate import Aggregate, Report, Rule, roll_up
from backbone.measurement import services as s
from backbone.measurement.models import (
    Aggregation,
    Annotation,
    Breakdown,
    Indicator,
    Observation,
    ObservationStatus,
    Period,
    Place,
)
from backbone.measurement.selectors import (
    SeriesPoint,
    _subtree,
    default_place,
    series,
    series_by_group,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

APPROVED, SUBMITTED, DRAFT = (
    ObservationStatus.APPROVED,
    ObservationStatus.SUBMITTED,
    ObservationStatus.DRAFT,
)
D = Decimal


def row_by_row(
    indicator: Indicator,
    place: Place,
    breakdown: Breakdown,
    statuses: tuple[str, ...] = (APPROVED,),
) -> list[SeriesPoint]:
    """The reference: ``selectors.series`` as it was before issue 6 — every row read into Python
    and rolled up with the pure ``roll_up``."""
    ids, children = _subtree(place)
    rows = Observation.objects.filter(
        indicator=indicator, breakdown=breakdown, place_id__in=ids, status__in=statuses
    ).values_list("period_id", "place_id", "value", "numerator", "denominator")
    by_period: dict[int, dict[int, list[Report]]] = defaultdict(lambda: defaultdict(list))
    for period_id, place_id, value, numerator, denominator in rows:
        by_period[period_id][place_id].append(Report(value, numerator, denominator))
    rule, base = Rule(indicator.aggregation), Decimal(indicator.rate_base)
    notes: dict[int, list[str]] = defaultdict(list)
    not_comparable: set[int] = set()
    for period_id, place_id, text, breaks in (
        Annotation.objects.filter(indicator=indicator)
        .order_by(F("place_id").asc(nulls_first=True), "pk")
        .values_list("period_id", "place_id", "text", "breaks_comparability")
    ):
        if (place_id is None or place_id in ids) and text not in notes[period_id]:
            notes[period_id].append(text)
            if breaks:
                not_comparable.add(period_id)
    break_starts = list(indicator.revisions.values_list("effective_period__start", flat=True))
    periods = Period.objects.in_bulk(list(by_period))
    points = [
        SeriesPoint(
            period=periods[period_id],
            aggregate=roll_up(place.pk, reports, lambda p: children[p], rule, rate_base=base),
            annotations=tuple(notes[period_id]),
            segment=len({b for b in break_starts if b <= periods[period_id].start}),
            breaks_comparability=period_id in not_comparable,
        )
        for period_id, reports in by_period.items()
    ]
    return sorted(points, key=lambda p: (p.period.start, p.period.end))


def digits(points: list[SeriesPoint]) -> list[tuple]:
    """The points with every number as written (``19.000000`` is not ``19``): the same digits,
    not only equal values."""
    return [
        (
            p.period.code,
            *(None if x is None else str(x) for x in (a.value, a.numerator, a.denominator)),
            a.reports,
            a.excluded,
        )
        for p in points
        for a in [p.aggregate]
    ]


def observe(indicator, place, period, breakdown, org=None, status=APPROVED, **figures):
    return Observation.objects.create(
        indicator=indicator,
        place=place,
        period=s.period_for(period),
        breakdown=breakdown,
        organization=org,
        status=status,
        **{k: None if v is None else D(v) for k, v in figures.items()},
    )


def agg(point: SeriesPoint) -> tuple:
    a = point.aggregate
    return (point.period.code, a.value, a.numerator, a.denominator, a.reports, a.excluded)


# --- Hand-computed figures --------------------------------------------------------------------


def test_a_places_own_figure_wins_over_its_childrens_in_the_periods_it_has_one():
    init = f.initiative()
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    state = f.place(init, "state")
    a, b = f.place(init, "a", state), f.place(init, "b", state)
    a1 = f.place(init, "a1", a)
    observe(count, state, "2023", total, value=1000)  # published for the state: wins in 2023
    observe(count, a, "2023", total, value=300)
    observe(count, a1, "2023", total, value=7)
    observe(count, a, "2024", total, value=310)  # a's own figure wins over a1's in 2024
    observe(count, a1, "2024", total, value=9)
    observe(count, b, "2024", total, value=200)
    points = series(count, state, total)
    # 2023: the state's own 1,000. 2024: a 310 + b 200 = 510 from two reports.
    assert [agg(p) for p in points] == [
        ("2023", D(1000), None, None, 1, 0),
        ("2024", D(510), None, None, 2, 0),
    ]
    assert points == row_by_row(count, state, total)
    # Below, the county: its own 300 in 2023 (a1's 7 hidden), 310 in 2024.
    assert [p.aggregate.value for p in series(count, a, total)] == [D(300), D(310)]


def test_a_ratio_counts_reports_without_numerator_and_denominator_as_excluded():
    init = f.initiative()
    screened = f.rate_indicator(init, "screened")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    a, b, c = (f.place(init, code, region) for code in ("a", "b", "c"))
    one, two = f.organization("One"), f.organization("Two")
    observe(screened, a, "2024", total, org=one, value=90, numerator=9, denominator=10)
    observe(screened, a, "2024", total, org=two, value=50)  # a percent without its counts
    observe(screened, b, "2024", total, org=one, numerator=10, denominator=100)
    # c has only a figure that cannot be combined: roll_up leaves c out, so it is not counted
    # as excluded either (a place's unusable reports only count where the place is used).
    observe(screened, c, "2024", total, org=one, value=40)
    [point] = series(screened, region, total)
    # (9 + 10) / (10 + 100) × 100 = 1900 / 110 = 17.2727…; 2 reports; excluded: a's second one.
    assert (point.aggregate.numerator, point.aggregate.denominator) == (D(19), D(110))
    assert round(point.aggregate.value, 4) == D("17.2727")
    assert (point.aggregate.reports, point.aggregate.excluded) == (2, 1)
    assert [point] == row_by_row(screened, region, total)
    # At c itself its own figure is all there is: nothing usable, one excluded.
    [at_c] = series(screened, c, total)
    assert agg(at_c) == ("2024", None, None, None, 0, 1)


def test_sums_are_exact_decimals_on_every_database():
    """A float sum would lose the millionth: 12,345,678,901,234.1 + 0.000001 needs 20 digits."""
    init = f.initiative()
    money = f.indicator(init, "money", unit="currency")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    big, small = f.place(init, "big", region), f.place(init, "small", region)
    observe(money, big, "2024", total, value="12345678901234.1")
    observe(money, small, "2024", total, value="0.000001")
    for k in range(3):  # 0.1 + 0.2 + 0.3 = 0.6 exactly (as floats: 0.6000000000000001)
        observe(money, f.place(init, f"n{k}", region), "2023", total, value=f"0.{k + 1}")
    points = series(money, region, total)
    assert [p.aggregate.value for p in points] == [D("0.6"), D("12345678901234.100001")]
    assert digits(points) == digits(row_by_row(money, region, total))
    assert str(points[1].aggregate.value) == "12345678901234.100001"


def test_only_the_statuses_asked_for_count():
    init = f.initiative()
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    city = f.place(init, "city")
    one, two, three = (f.organization(n) for n in ("One", "Two", "Three"))
    observe(count, city, "2024", total, org=one, value=30)
    observe(count, city, "2024", total, org=two, value=12, status=SUBMITTED)
    observe(count, city, "2024", total, org=three, value=5, status=DRAFT)
    assert [p.aggregate.value for p in series(count, city, total)] == [D(30)]
    both = series(count, city, total, statuses=(APPROVED, SUBMITTED))
    assert [(p.aggregate.value, p.aggregate.reports) for p in both] == [(D(42), 2)]  # 30 + 12
    assert series(count, city, total, statuses=(DRAFT,))[0].aggregate.value == D(5)


def test_series_by_group_answers_each_breakdown_as_series_does(django_assert_num_queries):
    init = f.initiative()
    race = s.dimension_define(
        initiative=init, code="race", name="Race", members=[("a", "A"), ("b", "B")]
    )
    count = f.indicator(init, "count", dimensions=[race])
    total, a, b = (s.breakdown_for(init, m) for m in ({}, {"race": "a"}, {"race": "b"}))
    region = f.place(init, "region")
    x, y = f.place(init, "x", region), f.place(init, "y", region)
    for place, figures in ((x, (10, 4, 6)), (y, (20, 5, 15))):
        for breakdown, value in zip((total, a, b), figures, strict=True):
            observe(count, place, "2024", breakdown, value=value)
    observe(count, x, "2023", total, value=8)
    # The places, which of them hold figures, the sums, annotations, revisions, periods.
    with django_assert_num_queries(6):
        found = series_by_group(count, region, [total, a, b])
    assert set(found) == {total.pk, a.pk, b.pk}
    assert [agg(p) for p in found[total.pk]] == [
        ("2023", D(8), None, None, 1, 0),
        ("2024", D(30), None, None, 2, 0),  # 10 + 20
    ]
    assert [p.aggregate.value for p in found[a.pk]] == [D(9)]  # 4 + 5
    assert [p.aggregate.value for p in found[b.pk]] == [D(21)]  # 6 + 15
    for breakdown in (total, a, b):
        assert found[breakdown.pk] == series(count, region, breakdown)
        assert found[breakdown.pk] == row_by_row(count, region, breakdown)
    assert series_by_group(count, region, []) == {}


def test_a_breakdown_without_figures_has_no_points():
    init = f.initiative()
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    city = f.place(init, "city")
    assert series(count, city, total) == []
    assert series_by_group(count, city, [total]) == {total.pk: []}


def test_the_series_takes_the_same_few_queries_however_many_groups_and_places(
    django_assert_num_queries,
):
    init = f.initiative()
    count = f.indicator(init, "count")
    breakdowns = [Breakdown.objects.create(initiative=init, key=f"g:{k}") for k in range(8)]
    region = f.place(init, "region")
    counties = [f.place(init, f"c{c}", region) for c in range(3)]
    for c, county in enumerate(counties):
        for n in range(4):
            place = f.place(init, f"c{c}n{n}", county)
            for year in ("2022", "2023", "2024"):
                for breakdown in breakdowns:
                    observe(count, place, year, breakdown, value=n + c)
    with django_assert_num_queries(6):
        series(count, region, breakdowns[0])
    with django_assert_num_queries(6):
        found = series_by_group(count, region, breakdowns)
    # Each year and group: Σ over counties c = 0..2 and neighbourhoods n = 0..3 of n + c
    # = 3 × (0 + 1 + 2 + 3) + 4 × (0 + 1 + 2) = 18 + 12 = 30, from 12 reports.
    assert {(p.aggregate.value, p.aggregate.reports) for ps in found.values() for p in ps} == {
        (D(30), 12)
    }
    # Figures of places above others (a county's own) are added up apart, in the same query.
    observe(count, counties[0], "2024", breakdowns[0], value=100)
    observe(count, counties[1], "2023", breakdowns[1], value=None)
    with django_assert_num_queries(6):
        nested = series_by_group(count, region, breakdowns[:2])
    # 2024, group 0: county 0's own 100 (its neighbourhoods' 0+1+2+3 hidden) + county 1's
    # 1+2+3+4 = 10 + county 2's 2+3+4+5 = 14: 124, from 1 + 4 + 4 = 9 reports.
    assert agg(nested[breakdowns[0].pk][-1]) == ("2024", D(124), None, None, 9, 0)
    # 2023, group 1: county 1's own figure is empty and hides its children (and roll_up leaves
    # the county out, its excluded report too): 6 + 14 = 20 from 8 reports.
    assert agg(nested[breakdowns[1].pk][1]) == ("2023", D(20), None, None, 8, 0)
    for breakdown in breakdowns[:2]:
        assert nested[breakdown.pk] == row_by_row(count, region, breakdown)


def test_a_usable_figure_beside_an_empty_place_costs_one_more_query(django_assert_num_queries):
    init = f.initiative()
    screened = f.rate_indicator(init, "screened")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    a, b = f.place(init, "a", region), f.place(init, "b", region)
    one, two = f.organization("One"), f.organization("Two")
    observe(screened, a, "2024", total, org=one, numerator=1, denominator=4)
    observe(screened, a, "2024", total, org=two, value=20)
    observe(screened, b, "2024", total, org=one, value=30)
    with django_assert_num_queries(7):  # the usual six and the places without usable rows
        [point] = series(screened, region, total)
    # 1 / 4 × 100 = 25; a's second report excluded, b left out with its own.
    assert agg(point) == ("2024", D(25), D(1), D(4), 1, 1)


def test_an_empty_figure_that_hides_its_children_is_not_counted_as_excluded():
    init = f.initiative()
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    a, b, c = (f.place(init, code, region) for code in ("a", "b", "c"))
    a1 = f.place(init, "a1", a)
    one, two = f.organization("One"), f.organization("Two")
    observe(count, a, "2024", total, value=None)  # a's own figure, empty, hides a1's 5
    observe(count, a1, "2024", total, value=5)
    observe(count, b, "2024", total, org=one, value=10)
    observe(count, b, "2024", total, org=two, value=None)  # excluded beside b's 10
    observe(count, c, "2024", total, value=None)  # c has nothing usable: left out
    [point] = series(count, region, total)
    # Only b is used: 10 from 1 report, its second report excluded; a and c are left out with
    # their empty figures (roll_up drops places without a usable report).
    assert agg(point) == ("2024", D(10), None, None, 1, 1)
    assert [point] == row_by_row(count, region, total)


def test_annotations_and_definition_changes_are_carried_as_before():
    init = f.initiative()
    admin = f.backbone_admin(init)
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    a, elsewhere = f.place(init, "a", region), f.place(init, "elsewhere")
    for year, value in (("2022", 10), ("2023", 11), ("2024", 30)):
        observe(count, a, year, total, value=value)
    Annotation.objects.create(indicator=count, period=s.period_for("2023"), text="Storm")
    Annotation.objects.create(
        indicator=count, period=s.period_for("2023"), place=elsewhere, text="Not here"
    )
    Annotation.objects.create(
        indicator=count,
        period=s.period_for("2024"),
        place=a,
        text="New count",
        breaks_comparability=True,
    )
    s.indicator_update(
        actor=admin,
        indicator=count,
        changes={"definition": "Counted another way"},
        expected_version=1,
        effective_period=s.period_for("2024"),
        reason="Another way",
    )
    points = series(count, region, total)
    assert [(p.period.code, p.segment, p.breaks_comparability) for p in points] == [
        ("2022", 0, False),
        ("2023", 0, False),
        ("2024", 1, True),
    ]
    assert [p.annotations for p in points[:2]] == [(), ("Storm",)]  # not "Not here"
    # The definition change's own note (for all places) first, then the place's.
    [change, new_count] = points[2].annotations
    assert "Another way" in change and new_count == "New count"
    assert points == row_by_row(count, region, total)


def test_default_place_is_the_smallest_place_holding_every_approved_figure():
    init = f.initiative()
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    a, b = f.place(init, "a", region), f.place(init, "b", region)
    a1, a2, b1 = f.place(init, "a1", a), f.place(init, "a2", a), f.place(init, "b1", b)
    assert default_place(count) is None
    observe(count, a1, "2024", total, value=1)
    assert default_place(count) == a1
    observe(count, a2, "2024", total, value=2)
    observe(count, b1, "2024", total, value=3, status=DRAFT)  # not approved: does not count
    assert default_place(count) == a
    observe(count, b1, "2023", total, value=3)
    assert default_place(count) == region


# --- The same as roll_up, whatever the tree and the figures -----------------------------------

DECIMALS = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False),
    st.integers(min_value=0, max_value=10**12).map(D),
    # Up to 15 significant digits (what SQLite keeps), the largest a figure may be.
    st.integers(min_value=0, max_value=10**15 - 1).map(lambda i: D(i).scaleb(-1)),
)
COUNTS = st.one_of(
    st.integers(min_value=0, max_value=5000).map(D),
    st.decimals(min_value=0, max_value=100, places=6, allow_nan=False),
)


@st.composite
def networks(draw):
    """A small place tree (each place under an earlier one; sometimes a second tree beside it),
    figures at mixed levels — nested or not — from several partners, some without a value or
    without counts, some not approved."""
    size = draw(st.integers(min_value=1, max_value=8))
    parents = [None] + [draw(st.integers(min_value=0, max_value=k - 1)) for k in range(1, size)]
    outside = draw(st.booleans())  # a place in no relation to the tree, with figures
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=size - (0 if outside else 1)),  # place
                st.integers(min_value=0, max_value=2),  # period
                st.integers(min_value=0, max_value=1),  # breakdown
                st.integers(min_value=0, max_value=2),  # partner (0: none, community data)
                st.sampled_from([APPROVED, APPROVED, APPROVED, SUBMITTED, DRAFT]),
                st.one_of(st.none(), DECIMALS),  # value
                st.one_of(st.none(), COUNTS),  # numerator
                st.one_of(st.none(), COUNTS.filter(lambda d: d > 0)),  # denominator
            ),
            min_size=4,
            max_size=40,
            unique_by=lambda r: r[:4],
        )
    )
    return {
        "parents": parents,
        "outside": outside,
        "rows": rows,
        "rule": draw(st.sampled_from([Aggregation.SUM, Aggregation.RATIO, Aggregation.LATEST])),
        "rate_base": draw(st.sampled_from([100, 1000])),
        # Where the series is read: the top place, or any.
        "at": draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=size - 1))),
        "statuses": draw(st.sampled_from([(APPROVED,), (APPROVED, SUBMITTED)])),
    }


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(networks())
def test_the_series_is_what_roll_up_gives_on_every_row(network):
    init = f.initiative()
    indicator = f.indicator(init, aggregation=network["rule"], rate_base=network["rate_base"])
    breakdowns = [Breakdown.objects.create(initiative=init, key=k) for k in ("", "g:a")]
    partners = [None, f.organization(), f.organization()]
    places: list[Place] = []
    for k, parent in enumerate(network["parents"]):
        places.append(f.place(init, f"p{k}", None if parent is None else places[parent]))
    if network["outside"]:
        places.append(f.place(init, "outside"))
    periods = [s.period_for(code) for code in ("2022", "2023", "2024")]
    Observation.objects.bulk_create(
        Observation(
            indicator=indicator,
            place=places[place],
            period=periods[period],
            breakdown=breakdowns[breakdown],
            organization=partners[partner],
            status=status,
            value=value,
            numerator=numerator,
            denominator=denominator,
        )
        for place, period, breakdown, partner, status, value, numerator, denominator in network[
            "rows"
        ]
    )
    at, statuses = places[network["at"]], network["statuses"]
    found = series_by_group(indicator, at, breakdowns, statuses=statuses)
    for breakdown in breakdowns:
        expected = row_by_row(indicator, at, breakdown, statuses)
        assert found[breakdown.pk] == expected
        assert digits(found[breakdown.pk]) == digits(expected)
        assert series(indicator, at, breakdown, statuses=statuses) == expected


def test_the_reference_is_the_pure_roll_up():
    """The property above compares with ``row_by_row``; it is the pure function on the rows."""
    init = f.initiative()
    count = f.indicator(init, "count")
    total = s.breakdown_for(init, {})
    region = f.place(init, "region")
    a = f.place(init, "a", region)
    observe(count, region, "2024", total, value=5)
    observe(count, a, "2024", total, value=7)
    [point] = row_by_row(count, region, total)
    assert point.aggregate == Aggregate(D(5), None, None, 1)
    assert point.period.start == date(2024, 1, 1)
