"""The HUD Point-in-Time data, loaded through Backbone, reproduces HUD's published figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backbone.demo.hud import COC_NOTE, YEAR_NOTE, load_hud, state_totals
from backbone.measurement.models import Breakdown, Period, Place
from backbone.measurement.selectors import series
from tests.measurement.conftest import hud_loaded

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def hud(django_db_setup, django_db_blocker):
    """Loaded once for the module (32,580 rows), removed afterwards."""
    with django_db_blocker.unblock(), hud_loaded("hud") as (initiative, indicator):
        yield initiative, indicator, Breakdown.objects.get(initiative=initiative, key="")


def _by_year(points):
    return {p.period.code: p.aggregate for p in points}


def test_national_totals_match_hud(hud):
    initiative, indicator, total = hud
    nation = Place.objects.get(initiative=initiative, code="US")
    years = _by_year(series(indicator, nation, total))
    assert years["2019"].value == Decimal(567_715)
    assert years["2023"].value == Decimal(653_104)
    assert years["2023"].reports > 380  # rolled up from the CoCs, not a stored national figure


def test_ohio_rolled_up_from_its_cocs_equals_the_published_state_total(hud):
    initiative, indicator, total = hud
    ohio = Place.objects.get(initiative=initiative, code="OH")
    published = state_totals()
    years = _by_year(series(indicator, ohio, total))
    assert years["2019"].value == Decimal(published[("OH", 2019)]) == Decimal(10_345)
    assert years["2023"].value == Decimal(published[("OH", 2023)]) == Decimal(11_386)
    assert years["2019"].reports == 9


def test_the_2021_caveat_travels_with_every_series_that_includes_2021(hud):
    initiative, indicator, total = hud
    for code in ["US", "OH", "OH-505"]:
        place = Place.objects.get(initiative=initiative, code=code)
        points = {p.period.code: p for p in series(indicator, place, total)}
        assert YEAR_NOTE in points["2021"].annotations
        assert all(YEAR_NOTE not in p.annotations for c, p in points.items() if c != "2021")
    dayton = Place.objects.get(initiative=initiative, code="OH-505")  # sheltered-only in 2021
    dayton_points = {p.period.code: p for p in series(indicator, dayton, total)}
    assert COC_NOTE.format(year="2021") in dayton_points["2021"].annotations
    assert dayton_points["2019"].annotations == ()
    # Ohio's 2014 total includes a CoC that counted sheltered people only that year.
    ohio = Place.objects.get(initiative=initiative, code="OH")
    ohio_points = {p.period.code: p for p in series(indicator, ohio, total)}
    assert COC_NOTE.format(year="2014") in ohio_points["2014"].annotations


def test_breakdowns_are_series_of_their_own(hud):
    initiative, indicator, _ = hud
    ohio = Place.objects.get(initiative=initiative, code="OH")
    sheltered = Breakdown.objects.get(initiative=initiative, key="shelter:sheltered")
    unsheltered = Breakdown.objects.get(initiative=initiative, key="shelter:unsheltered")
    total = Breakdown.objects.get(initiative=initiative, key="")
    s = _by_year(series(indicator, ohio, sheltered))["2019"].value
    u = _by_year(series(indicator, ohio, unsheltered))["2019"].value
    assert s + u == _by_year(series(indicator, ohio, total))["2019"].value


@pytest.mark.django_db
def test_loading_twice_adds_nothing(hud):
    initiative, indicator, _ = hud
    count = indicator.observations.count()
    assert load_hud(initiative).observations == count
    assert indicator.observations.count() == count


def test_ohio_progress_from_2019_is_a_rise_of_ten_percent_so_the_needle_has_not_moved(hud):
    from backbone.measurement.selectors import progress_for

    initiative, indicator, total = hud
    ohio = Place.objects.get(initiative=initiative, code="OH")
    indicator.baseline_period = Period.objects.get(code="2019")
    result = progress_for(indicator, ohio, total)
    # HUD: Ohio 10,345 in 2019, 11,386 in 2023 → +1,041 people, +10.06 %, the wrong way.
    assert (result.baseline, result.latest) == (10345, 11386)
    assert result.absolute_change == 1041
    assert round(result.relative_change, 2) == Decimal("10.06")
    assert result.improvement < 0 and not result.needle_moving
    assert "10%" in result.rule.describe()


def test_every_loaded_count_has_its_history_from_version_one(hud):
    from backbone.demo.hud import LOAD_REASON
    from backbone.measurement.models import ObservationChange

    _initiative, indicator, _total = hud
    values = indicator.observations.count()
    changes = ObservationChange.objects.filter(observation__indicator=indicator)
    assert values == 32_580
    assert changes.count() == values
    assert set(changes.values_list("version", "reason", "actor")) == {(1, LOAD_REASON, None)}
    one = changes.select_related("observation").first()
    assert Decimal(one.after["value"]) == one.observation.value and one.before is None
