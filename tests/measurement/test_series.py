"""The series the indicator page draws: rolled up the place hierarchy, correctly combined."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backbone.core.models import Role
from backbone.measurement import services as s
from backbone.measurement.selectors import series
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db


def record(admin, indicator, place, period, org=None, **numbers):
    s.observations_record(
        actor=admin,
        initiative=indicator.initiative,
        entries=[
            s.Entry(
                indicator=indicator,
                place=place,
                period=s.period_for(period),
                breakdown=s.breakdown_for(indicator.initiative, {}),
                organization=org,
                figures=Figures(**{k: Decimal(v) for k, v in numbers.items()}),
            )
        ],
        approve=True,
    )


def test_a_rate_over_places_is_the_sum_of_numerators_over_the_sum_of_denominators():
    init = f.initiative()
    admin = f.backbone_admin(init)
    screened = f.rate_indicator(init, "screened")
    county = f.place(init, "county")
    small, large = f.place(init, "small", county), f.place(init, "large", county)
    record(admin, screened, small, "2024", numerator=9, denominator=10)  # 90 %
    record(admin, screened, large, "2024", numerator=10, denominator=100)  # 10 %
    [point] = series(screened, county, s.breakdown_for(init, {}))
    agg = point.aggregate
    assert (agg.numerator, agg.denominator, agg.reports) == (19, 110, 2)
    assert round(agg.value, 2) == Decimal("17.27")  # 19 / 110
    average_of_percents = (Decimal(90) + Decimal(10)) / 2
    assert round(agg.value, 2) != average_of_percents  # 50 % would be wrong


def test_partners_reports_for_one_place_are_combined_by_the_indicators_rule():
    init = f.initiative()
    admin = f.backbone_admin(init)
    a = f.partnership(init, f.organization("A")).organization
    b = f.partnership(init, f.organization("B")).organization
    f.member(a, Role.DATA_STEWARD)
    visits = f.indicator(init, "visits")
    city = f.place(init, "city")
    record(admin, visits, city, "2024", org=a, value=30)
    record(admin, visits, city, "2024", org=b, value=12)
    [point] = series(visits, city, s.breakdown_for(init, {}))
    assert (point.aggregate.value, point.aggregate.reports) == (42, 2)


def test_drafts_do_not_count_until_approved():
    init = f.initiative()
    admin = f.backbone_admin(init)
    org = f.partnership(init, f.organization("A")).organization
    steward = f.member(org, Role.DATA_STEWARD)
    visits = f.indicator(init, "visits")
    city = f.place(init, "city")
    s.observation_record(
        actor=steward,
        entry=s.Entry(
            indicator=visits,
            place=city,
            period=s.period_for("2024"),
            breakdown=s.breakdown_for(init, {}),
            organization=org,
            figures=Figures(value=Decimal(5)),
        ),
    )
    assert series(visits, city, s.breakdown_for(init, {})) == []
    assert admin  # the backbone approves through a reporting round (test_services)


def test_a_changed_definition_starts_a_new_segment():
    init = f.initiative()
    admin = f.backbone_admin(init)
    visits = f.indicator(init, "visits")
    city = f.place(init, "city")
    for year, value in (("2022", 10), ("2023", 11), ("2024", 30), ("2025", 31)):
        record(admin, visits, city, year, value=value)
    s.indicator_update(
        actor=admin,
        indicator=visits,
        changes={"definition": "Visits, including telehealth"},
        expected_version=1,
        effective_period=s.period_for("2024"),
        reason="Telehealth visits now count",
    )
    points = series(visits, city, s.breakdown_for(init, {}))
    assert [(p.period.code, p.segment) for p in points] == [
        ("2022", 0),
        ("2023", 0),
        ("2024", 1),
        ("2025", 1),
    ]
    assert "Telehealth visits now count" in points[2].annotations[0]


def test_no_change_is_measured_across_a_definition_change_outside_the_points_shown():
    """A page that shows only 2025 (a period filter) still must not compare it with the 2022
    baseline: the definition changed in 2024, between the two."""
    from backbone.measurement.selectors import progress_for

    init = f.initiative()
    admin = f.backbone_admin(init)
    visits = f.indicator(init, "visits")
    city = f.place(init, "city")
    for year, value in (("2022", 10), ("2023", 11), ("2024", 30), ("2025", 31)):
        record(admin, visits, city, year, value=value)
    s.indicator_update(
        actor=admin,
        indicator=visits,
        changes={"definition": "Visits, including telehealth"},
        expected_version=1,
        effective_period=s.period_for("2024"),
        reason="Telehealth visits now count",
    )
    total = s.breakdown_for(init, {})
    points = series(visits, city, total)
    shown = [p for p in points if p.period.code in ("2022", "2025")]  # 2024 filtered out
    result = progress_for(visits, city, total, shown)
    assert result.absolute_change is None and not result.needle_moving
    assert result.not_comparable_reason.startswith("The indicator’s definition changed in 2024")
    # Within one definition the change is measured as usual.
    later = progress_for(visits, city, total, [p for p in points if p.period.code >= "2024"])
    assert later.absolute_change == Decimal(1)
