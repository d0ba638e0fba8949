"""Which place the public dashboard shows, and how rates are hidden (by their denominators)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as ms
from backbone.measurement.validation import Figures
from backbone.public.selectors import home_place, public_rows, public_table
from tests import factories as f

pytestmark = pytest.mark.django_db


def _record(indicator, place, members, org=None, **figures):
    ms.observations_record(
        actor=COMMAND_LINE,
        initiative=indicator.initiative,
        entries=[
            ms.Entry(
                indicator=indicator,
                place=place,
                period=ms.period_for("2023"),
                breakdown=ms.breakdown_for(indicator.initiative, members),
                organization=org,
                figures=Figures(**{k: Decimal(v) for k, v in figures.items()}),
            )
        ],
        approve=True,
    )


def test_home_place_is_the_smallest_place_holding_every_partner_report() -> None:
    init = f.initiative(is_public=True)
    nation = f.place(init, "US")
    state = f.place(init, "OH", nation)
    a, b = f.place(init, "OH-1", state), f.place(init, "OH-2", state)
    elsewhere = f.place(init, "KY-1", f.place(init, "KY", nation))
    org = f.partnership(init).organization
    indicator = f.indicator(init, "count", is_public=True)
    assert home_place(init) is None
    _record(indicator, elsewhere, {}, value=100)  # community-wide, from a public source
    assert home_place(init) == elsewhere
    _record(indicator, a, {}, org=org, value=10)
    _record(indicator, b, {}, org=org, value=20)
    assert home_place(init) == state  # partners' reports decide


def test_a_rate_is_hidden_when_its_denominator_is_small() -> None:
    init = f.initiative(is_public=True, suppression_threshold=10)
    race = ms.dimension_define(
        initiative=init, code="race", name="Race", members=[("a", "A"), ("b", "B"), ("c", "C")]
    )
    rate = f.rate_indicator(init, "screened", is_public=True, dimensions=[race])
    place = f.place(init, "P")
    _record(rate, place, {}, numerator=60, denominator=100)
    _record(rate, place, {"race": "a"}, numerator=3, denominator=8)  # 8 people: hidden
    _record(rate, place, {"race": "b"}, numerator=27, denominator=40)
    _record(rate, place, {"race": "c"}, numerator=30, denominator=52)
    rows = public_rows(public_table(rate, place))
    shown = {r["group"]: (r["value"], r["suppressed"]) for r in rows}
    # a is small; b (the smaller remaining group) is hidden with it, so a cannot be worked out.
    assert shown == {
        "": (Decimal("60.0"), False),
        "a": (None, True),
        "b": (None, True),
        "c": (Decimal("57.7"), False),
    }


def test_dashboard_without_any_approved_figure_says_so(client) -> None:
    init = f.initiative("empty", is_public=True)
    f.indicator(init, "count", is_public=True, name="Some count")
    html = client.get(reverse("public:dashboard", args=["empty"])).content.decode()
    assert "Some count" in html
    assert "No public figures yet." in html
    page = client.get(reverse("public:indicator", args=["empty", "count"]))
    assert page.status_code == 200
    assert (
        "No approved figures have been published for this indicator yet." in page.content.decode()
    )
    csv = client.get(reverse("public:data_csv", args=["empty"])).content.decode()
    assert csv.strip("\ufeff").splitlines()[1:] == []


def test_public_figures_are_rounded_half_up_like_every_other_page() -> None:
    from backbone.measurement.charts import format_value
    from backbone.public.display import number_text

    init = f.initiative(is_public=True)
    rate = f.rate_indicator(init, "rate", decimals=1)
    # Python's round() would give 45.2 (half to even); the results pages show 45.3.
    assert number_text(rate, Decimal("45.25")) == "45.3%"
    assert number_text(rate, Decimal("45.25")) == format_value(
        Decimal("45.25"), unit=rate.unit, decimals=1, rate_base=rate.rate_base
    )


def test_a_places_own_target_replaces_the_whole_areas_for_the_same_period() -> None:
    from backbone.public.selectors import public_targets

    init = f.initiative(is_public=True)
    admin = f.backbone_admin(init)
    count = f.indicator(init, "count", is_public=True)
    state = f.place(init, "OH")
    period = ms.period_for("2030")
    for place, value in ((None, 100), (state, 80)):
        ms.target_set(
            actor=admin, indicator=count, period=period, value=Decimal(value), place=place
        )
    assert [(t.place_id, t.value) for t in public_targets(count, state)] == [(state.pk, 80)]
