"""Learning from the figures, as people see it: the indicator page's signal-or-noise and
turning-the-curve sections, the equity page (gaps between groups) and the peers page (partners
beside each other). Every expected figure is worked out by hand in a comment."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from backbone.analytics import spc
from backbone.core.models import Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.insights import peer_letters
from backbone.measurement.models import Annotation, DimensionMember, Level
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db

# Twelve values that vary only by chance around 100 (no signal). Worked out by hand:
#   Σ = 104 + 96 + 103 + 97 + 104 + 98 + 102 + 96 + 103 + 97 + 102 + 98 = 1,200 → mean 100
#   moving ranges 8, 7, 6, 7, 6, 4, 6, 7, 6, 5, 4: Σ = 66 over 11 → MR̄ = 6
#   limits 100 ± 2.66 × 6 = 100 ± 15.96 → 84.04 and 115.96 (shown as 84 and 116)
STEADY = [104, 96, 103, 97, 104, 98, 102, 96, 103, 97, 102, 98]


# --- Building the figures --------------------------------------------------------------------


def entry(indicator, place, period, *, value=None, num=None, den=None, members=None, org=None):
    figures = (
        Figures(value=Decimal(value))
        if value is not None
        else Figures(numerator=Decimal(num), denominator=Decimal(den))
    )
    return s.Entry(
        indicator=indicator,
        place=place,
        period=s.period_for(period),
        breakdown=s.breakdown_for(indicator.initiative, members or {}),
        organization=org,
        figures=figures,
    )


def record(entries, *, approve=True) -> None:
    """Approved figures, recorded the way the backbone records them."""
    s.observations_record(
        actor=COMMAND_LINE,
        initiative=entries[0].indicator.initiative,
        entries=entries,
        approve=approve,
    )


def record_values(indicator, place, values: dict[str, int]) -> None:
    record([entry(indicator, place, period, value=v) for period, v in values.items()])


def years(first: int, values: list[int]) -> dict[str, int]:
    return {str(first + i): v for i, v in enumerate(values)}


@pytest.fixture
def world() -> dict:
    """A public initiative (small numbers: fewer than 10 people) with its backbone admin and
    region R made of places A and B."""
    init = f.initiative("learning", is_public=True, suppression_threshold=10)
    admin = f.backbone_admin(init)
    region = f.place(init, "R")
    a, b = f.place(init, "A", region), f.place(init, "B", region)
    return locals()


# --- Reading the pages -----------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(init, code: str) -> str:
    return reverse("measurement:indicator_detail", args=[init.slug, code])


def equity_url(init, code: str) -> str:
    return reverse("measurement:indicator_equity", args=[init.slug, code])


def peers_url(init, code: str) -> str:
    return reverse("measurement:indicator_peers", args=[init.slug, code])


def text_of(page: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


def spec(html: str, name: str) -> dict:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no {name} on the page"
    return json.loads(found.group(1))


def rows_of(html: str, caption_id: str) -> list[list[str]]:
    """The body rows of the table captioned ``caption_id``, each cell as plain text."""
    table = html.split(f'id="{caption_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def section(html: str, heading_id: str) -> str:
    """The text of the ``<section>`` labelled by ``heading_id``."""
    part = html.split(f'<section aria-labelledby="{heading_id}">', 1)[1]
    return text_of(part.split("</section>", 1)[0])


# --- Signal or noise -------------------------------------------------------------------------


def test_a_point_outside_the_xmr_limits_is_a_signal_in_the_chart_the_table_and_words(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "nights", name="Nights outside", is_public=True)
    # 2010–2021: twelve values with one far above the rest in 2016. By hand:
    #   Σ = 104 + 96 + 103 + 97 + 104 + 98 + 180 + 102 + 96 + 103 + 97 + 104 = 1,284
    #   mean = 1,284 / 12 = 107
    #   moving ranges 8, 7, 6, 7, 6, 82, 78, 6, 7, 6, 7: Σ = 220 over 11 → MR̄ = 20
    #   limits 107 ± 2.66 × 20 = 107 ± 53.2 → lower 53.8, upper 160.2
    #   180 > 160.2: 2016 is a signal; every other value is between the limits, and no eight
    #   in a row sit on one side of 107 (six below, 2016 above, five below).
    values = [104, 96, 103, 97, 104, 98, 180, 102, 96, 103, 97, 104]
    record_values(count, world["a"], years(2010, values))

    html = signed_in(admin).get(detail_url(init, "nights")).content.decode()
    chart = spec(html, "spc-spec")
    plotted = chart["data"]["values"]
    assert [p["period"] for p in plotted] == [str(y) for y in range(2010, 2022)]
    assert [p["value"] for p in plotted] == [float(v) for v in values]
    assert [p["centre"] for p in plotted] == [pytest.approx(107.0)] * len(plotted)
    assert [p["lower"] for p in plotted] == [pytest.approx(53.8)] * len(plotted)
    assert [p["upper"] for p in plotted] == [pytest.approx(160.2)] * len(plotted)
    assert [p["period"] for p in plotted if p["status"] == "Signal"] == ["2016"]
    assert {p["status"] for p in plotted if p["period"] != "2016"} == {"Usual variation"}

    rows = rows_of(html, "spc-caption")
    assert rows[0] == ["2010", "104", "107", "54", "160", "Usual variation"]
    assert rows[6] == [
        "2016",
        "180",
        "107",
        "54",
        "160",
        "2016 is above the upper limit (160): a signal, not noise.",
    ]
    assert len(rows) == 12
    text = section(html, "spc-h")
    assert "This XmR chart (individual values and moving ranges) shows which changes" in text
    assert "1 signal: 2016 above the upper limit." in text
    assert "XmR chart of individual values and their moving ranges (Wheeler)" in text
    assert "mean ± 2.66 × the average moving range" in text


def test_a_short_series_gets_a_run_chart(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "short", is_public=True)
    # Six values, fewer than the twelve XmR limits need. The run chart's centre is the median:
    # sorted 10, 11, 12, 12, 13, 14 → (12 + 12) / 2 = 12; no limits.
    record_values(count, world["a"], years(2018, [10, 12, 11, 13, 12, 14]))

    html = signed_in(admin).get(detail_url(init, "short")).content.decode()
    text = section(html, "spc-h")
    assert "This run chart shows which changes" in text
    assert "No signal yet, but 6 points are too few to tell signal from noise." in text
    assert "Run chart (Anhøj & Olesen 2014)" in text
    assert "XmR" not in text
    assert rows_of(html, "spc-caption")[0] == ["2018", "10", "12", "", "", "Usual variation"]
    plotted = spec(html, "spc-spec")["data"]["values"]
    assert {p["centre"] for p in plotted} == {12.0}
    assert {p["upper"] for p in plotted} == {None}


def proportions(init, code: str, pairs: list[tuple[int, int]], place) -> None:
    rate = f.rate_indicator(init, code, is_public=True)
    record([entry(rate, place, str(2010 + i), num=n, den=d) for i, (n, d) in enumerate(pairs)])


def test_proportions_with_chance_variation_get_a_p_chart(world):
    init, admin = world["init"], world["admin"]
    # Twelve years of 100 people each, 48 and 52 in turn. By hand:
    #   p̄ = Σ numerators / Σ denominators = (6 × 48 + 6 × 52) / 1,200 = 600 / 1,200 = 0.5
    #   σ_p = √(0.5 × 0.5 / 100) = 0.05; each z = ±0.02 / 0.05 = ±0.4, every moving range 0.8
    #   σ_z = 0.8 / 1.128 = 0.709 ≤ 1 → the plain p-chart
    #   limits 0.5 ± 3 × 0.05 = 0.35 and 0.65 → 35.0% and 65.0%
    proportions(init, "screened", [(48, 100), (52, 100)] * 6, world["a"])

    html = signed_in(admin).get(detail_url(init, "screened")).content.decode()
    text = section(html, "spc-h")
    assert "This p-chart (proportions) shows which changes" in text
    assert "The Laney p′-chart is used when σz is above 1, the plain p-chart otherwise." in text
    assert "No signal: the changes are within normal variation." in text
    assert rows_of(html, "spc-caption")[:2] == [
        ["2010", "48.0%", "50.0%", "35.0%", "65.0%", "Usual variation"],
        ["2011", "52.0%", "50.0%", "35.0%", "65.0%", "Usual variation"],
    ]
    plotted = spec(html, "spc-spec")["data"]["values"]
    assert [p["lower"] for p in plotted] == [pytest.approx(35.0)] * len(plotted)
    assert [p["upper"] for p in plotted] == [pytest.approx(65.0)] * len(plotted)


def test_proportions_with_large_denominators_get_laneys_p_prime_chart(world):
    init, admin = world["init"], world["admin"]
    # The same shares out of 10,000 people each. By hand:
    #   p̄ = 0.5; σ_p = √(0.25 / 10,000) = 0.005; z = ±0.02 / 0.005 = ±4, moving ranges 8
    #   σ_z = 8 / 1.128 = 7.0922 > 1 → Laney p′
    #   limits 0.5 ± 3 × 0.005 × 7.0922 = 0.5 ± 0.10638 → 39.362% and 60.638% (39.4%, 60.6%)
    #   (a plain p-chart, 0.5 ± 0.015, would call every year a signal)
    pairs = [(4800, 10000), (5200, 10000)] * 6
    proportions(init, "housed", pairs, world["a"])

    html = signed_in(admin).get(detail_url(init, "housed")).content.decode()
    text = section(html, "spc-h")
    assert "This Laney p′ chart (proportions with large denominators) shows" in text
    assert "No signal: the changes are within normal variation." in text
    assert rows_of(html, "spc-caption")[0] == [
        "2010",
        "48.0%",
        "50.0%",
        "39.4%",
        "60.6%",
        "Usual variation",
    ]
    pbar, sigma_z, limits = spc.laney_limits([n for n, _d in pairs], [d for _n, d in pairs])
    assert pbar == 0.5 and sigma_z == pytest.approx(8 / 1.128)
    plotted = spec(html, "spc-spec")["data"]["values"]
    assert [p["lower"] for p in plotted] == [pytest.approx(low * 100) for low, _up in limits]
    assert [p["upper"] for p in plotted] == [pytest.approx(up * 100) for _low, up in limits]
    assert plotted[0]["lower"] == pytest.approx(39.3617, abs=1e-4)
    assert plotted[0]["upper"] == pytest.approx(60.6383, abs=1e-4)


def test_a_point_marked_not_comparable_is_shown_but_left_out_of_the_limits(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "counted", is_public=True)
    # 2010–2022: the twelve STEADY values with a sheltered-only count of 20 in 2016. Left out,
    # the limits are STEADY's (the moving range joins 2015's 98 to 2017's 102: 4): centre 100,
    # 84.04 to 115.96. Counted in, 20 would be far below them.
    values = years(2010, STEADY[:6]) | {"2016": 20} | years(2017, STEADY[6:])
    record_values(count, world["a"], values)
    Annotation.objects.create(
        indicator=count,
        period=s.period_for("2016"),
        text="2016: sheltered people only.",
        breaks_comparability=True,
    )

    html = signed_in(admin).get(detail_url(init, "counted")).content.decode()
    rows = rows_of(html, "spc-caption")
    assert rows[6] == ["2016", "20", "100", "84", "116", "Not comparable: left out"]
    assert rows[7] == ["2017", "102", "100", "84", "116", "Usual variation"]
    text = section(html, "spc-h")
    assert "No signal: the changes are within normal variation." in text
    assert "Points marked as not comparable are shown but left out of the limits and rules." in text
    plotted = {p["period"]: p for p in spec(html, "spc-spec")["data"]["values"]}
    assert plotted["2016"]["status"] == "Not comparable: left out"
    assert plotted["2016"]["value"] == 20.0
    assert plotted["2017"]["lower"] == pytest.approx(84.04)
    assert plotted["2017"]["upper"] == pytest.approx(115.96)


def test_a_changed_definition_starts_new_limits(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "beds", is_public=True)
    # 2000–2011 the old way (STEADY: centre 100, limits 84.04–115.96); from 2012 a new way of
    # counting, about 100 higher: 2012's 150 is marked not comparable by the change itself, and
    # 2013–2024 are STEADY + 100 (centre 200, MR̄ still 6, limits 184.04–215.96). With one set of
    # limits for all, 2013–2024 would be a long shift above the centre line.
    values = years(2000, STEADY) | {"2012": 150} | years(2013, [v + 100 for v in STEADY])
    record_values(count, world["a"], values)
    s.indicator_update(
        actor=admin,
        indicator=count,
        changes={"definition": "Beds, including motel vouchers"},
        expected_version=1,
        effective_period=s.period_for("2012"),
        reason="Motel vouchers count from 2012",
    )

    html = signed_in(admin).get(detail_url(init, "beds")).content.decode()
    plotted = {p["period"]: p for p in spec(html, "spc-spec")["data"]["values"]}
    assert {plotted[str(y)]["phase"] for y in range(2000, 2012)} == {0}
    assert {plotted[str(y)]["phase"] for y in range(2012, 2025)} == {1}
    assert plotted["2011"]["centre"] == 100.0
    assert plotted["2011"]["upper"] == pytest.approx(115.96)
    assert plotted["2013"]["centre"] == 200.0
    assert plotted["2013"]["lower"] == pytest.approx(184.04)
    assert plotted["2013"]["upper"] == pytest.approx(215.96)
    assert plotted["2012"]["status"] == "Not comparable: left out"
    assert {p["status"] for k, p in plotted.items() if k != "2012"} == {"Usual variation"}
    rows = {row[0]: row for row in rows_of(html, "spc-caption")}
    assert rows["2011"] == ["2011", "98", "100", "84", "116", "Usual variation"]
    assert rows["2024"] == ["2024", "198", "200", "184", "216", "Usual variation"]
    text = section(html, "spc-h")
    assert "No signal: the changes are within normal variation." in text
    assert "The series has 2 phases, each with its own centre line and limits" in text
    assert "Phase 2 starts at 2012, after a series break: the definition changed." in text


def test_the_initiatives_shift_length_decides_how_long_a_run_is_a_signal(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "calls", is_public=True)
    # Σ = 106 + 104 + 107 + 105 + 106 + 94 + 96 + 95 + 94 + 96 + 95 + 102 = 1,200 → mean 100;
    # moving ranges 2, 3, 2, 1, 12, 2, 1, 1, 2, 1, 7: Σ = 34 → MR̄ = 34 / 11 = 3.09, limits
    # 100 ± 8.22 → 91.78 to 108.22: every value inside. 2015–2020 are six in a row below 100.
    values = [106, 104, 107, 105, 106, 94, 96, 95, 94, 96, 95, 102]
    record_values(count, world["a"], years(2010, values))
    client = signed_in(admin)

    text = section(client.get(detail_url(init, "calls")).content.decode(), "spc-h")
    assert "No signal: the changes are within normal variation." in text  # 6 < 8, the default
    init.shift_length = 6
    init.save(update_fields=["shift_length"])
    html = client.get(detail_url(init, "calls")).content.decode()
    text = section(html, "spc-h")
    assert "1 signal: a shift below the centre line from 2015 to 2020." in text
    assert "6 or more points in a row on the same side of the centre line" in text
    rows = {row[0]: row[-1] for row in rows_of(html, "spc-caption")}
    shift = "6 points in a row below the centre line (2015 to 2020): a shift, not noise."
    assert [year for year, reading in rows.items() if reading == shift] == [
        str(y) for y in range(2015, 2021)
    ]


def test_a_hidden_figure_is_left_out_of_the_signal_chart_for_the_public(world, client):
    init = world["init"]
    count = f.indicator(init, "evictions", is_public=True)
    # STEADY with 7 in 2016 (fewer than 10 people: hidden from the public). Without it the
    # limits are STEADY's — 100, 84.04 and 115.96 — so the hidden figure did not move them.
    record_values(
        count, world["a"], years(2010, STEADY[:6]) | {"2016": 7} | years(2017, STEADY[6:])
    )

    html = client.get(detail_url(init, "evictions")).content.decode()
    rows = {row[0]: row for row in rows_of(html, "spc-caption")}
    assert rows["2016"][1] == "hidden (small number)"
    assert rows["2017"] == ["2017", "102", "100", "84", "116", "Usual variation"]
    plotted = spec(html, "spc-spec")["data"]["values"]
    assert "2016" not in {p["period"] for p in plotted}
    assert [p["upper"] for p in plotted] == [pytest.approx(115.96)] * 12
    # The trend chart leaves it out too.
    assert "2016" not in {p["period"] for p in spec(html, "trend-spec")["data"]["values"]}


def test_no_figures_no_signal_section(world):
    init, admin = world["init"], world["admin"]
    f.indicator(init, "empty", is_public=True)
    html = signed_in(admin).get(detail_url(init, "empty")).content.decode()
    assert "Signal or noise?" not in html and "spc-spec" not in html
    assert "Turning the curve" not in html


# --- Turning the curve -----------------------------------------------------------------------


def forecast_indicator(world, *, baseline: str | None):
    count = f.indicator(world["init"], "waiting", name="People waiting", is_public=True)
    # 2015–2017 on a straight line, 10 more a year; the baseline 2018 on it too, then 2019
    # below it and 2020 above it.
    record_values(count, world["a"], years(2015, [100, 110, 120, 130, 135, 160]))
    if baseline:
        count.baseline_period = s.period_for(baseline)
        count.save(update_fields=["baseline_period"])
    return count


def test_the_trend_before_the_baseline_is_projected_beside_the_actual_figures(world):
    init, admin = world["init"], world["admin"]
    forecast_indicator(world, baseline="2018")
    # Fitted to 2015–2017 (100, 110, 120): slope = 10 a year, line = 100 + 10 × (year − 2015)
    # → forecast 2018: 130, 2019: 140, 2020: 150. Lower is better:
    #   2018: 130 − 130 = 0; 2019: 135 − 140 = −5 (better); 2020: 160 − 150 = +10 (worse).
    html = signed_in(admin).get(detail_url(init, "waiting")).content.decode()
    text = section(html, "curve-h")
    assert "Where was the curve heading before 2018?" in text
    assert "In 2020, 160 against 150 forecast: 10 above the forecast (worse)." in text
    assert (
        "A straight line fitted by least squares to the 3 values from 2015 to 2017, projected "
        "forward from 2018." in text
    )
    assert rows_of(html, "forecast-caption") == [
        ["2015", "100", "100", "", "Used to fit the trend"],
        ["2016", "110", "110", "", "Used to fit the trend"],
        ["2017", "120", "120", "", "Used to fit the trend"],
        ["2018", "130", "130", "0", ""],
        ["2019", "135", "140", "−5", "better than forecast"],
        ["2020", "160", "150", "+10", "worse than forecast"],
    ]
    plotted = spec(html, "forecast-spec")["data"]["values"]
    lines = {(p["group"], p["period"]): p["value"] for p in plotted}
    assert lines[("Forecast from the earlier trend", "2020")] == 150.0
    assert lines[("Actual", "2020")] == 160.0
    assert len(plotted) == 12  # six actual figures and six points of the line


def test_without_a_baseline_there_is_no_forecast_section(world):
    init, admin = world["init"], world["admin"]
    forecast_indicator(world, baseline=None)
    html = signed_in(admin).get(detail_url(init, "waiting")).content.decode()
    assert "Turning the curve" not in html
    assert "forecast-spec" not in html
    assert "Signal or noise?" in html  # the rest of the page is there


def test_too_few_values_before_the_baseline_are_explained(world):
    init, admin = world["init"], world["admin"]
    forecast_indicator(world, baseline="2016")  # only 2015 before it
    html = signed_in(admin).get(detail_url(init, "waiting")).content.decode()
    text = section(html, "curve-h")
    assert text == (
        "Turning the curve A forecast needs at least 3 values before 2016 from the same "
        "definition of the indicator; 1 can be used."
    )
    assert "forecast-spec" not in html


def test_a_figure_on_the_forecast_as_shown_is_neither_better_nor_worse(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "queue", is_public=True)
    # Fitted to 2015–2017 (100, 110, 121): x̄ = 2016, ȳ = 331 / 3 = 110.33;
    # slope = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)² = (10.33 + 10.67) / 2 = 10.5;
    # 2018: 110.33 + 2 × 10.5 = 131.33, shown as 131 — the same as the actual 131.
    record_values(count, world["a"], years(2015, [100, 110, 121, 131]))
    count.baseline_period = s.period_for("2018")
    count.save(update_fields=["baseline_period"])

    html = signed_in(admin).get(detail_url(init, "queue")).content.decode()
    assert "In 2018, 131 against 131 forecast: on the forecast." in section(html, "curve-h")
    assert rows_of(html, "forecast-caption")[-1] == ["2018", "131", "131", "0", ""]


# --- Equity ----------------------------------------------------------------------------------

RACE = [("black", "Black"), ("white", "White"), ("latino", "Latino"), ("pacific", "Pacific")]
# (numerator, denominator) by year, group and place. Totals are the sums of the groups.
EXITS = {
    "2022": {
        "black": {"A": (200, 600), "B": (100, 400)},
        "white": {"A": (450, 750), "B": (150, 250)},
        "latino": {"A": (200, 500), "B": (250, 500)},
    },
    "2023": {
        "black": {"A": (300, 600), "B": (100, 400)},
        "white": {"A": (450, 750), "B": (150, 250)},
        "latino": {"A": (200, 500), "B": (300, 500)},
    },
}


@pytest.fixture
def equity_world(world) -> dict:
    """Exits to housing by race in places A and B (region R), 2022 and 2023, baseline 2022.

    In R (ratio of sums, never an average of the places' percents):
    2022: Black (200 + 100) / (600 + 400) = 30.0%; White 600 / 1,000 = 60.0%;
          Latino 450 / 1,000 = 45.0%; everyone 1,350 / 3,000 = 45.0%.
    2023: Black (300 + 100) / 1,000 = 40.0% (not (50% + 25%) / 2 = 37.5%); White 60.0%;
          Latino 500 / 1,000 = 50.0%; everyone 1,500 / 3,000 = 50.0%.
    """
    init = world["init"]
    race = s.dimension_define(initiative=init, code="race", name="Race", members=RACE)
    exits = f.rate_indicator(
        init, "exits", name="Exits to housing", is_public=True, dimensions=[race]
    )
    places = {"A": world["a"], "B": world["b"]}
    entries = []
    for year, groups in EXITS.items():
        for code in ("A", "B"):
            num = sum(by_place[code][0] for by_place in groups.values())
            den = sum(by_place[code][1] for by_place in groups.values())
            entries.append(entry(exits, places[code], year, num=num, den=den))
            entries += [
                entry(exits, places[code], year, num=n, den=d, members={"race": group})
                for group, by_place in groups.items()
                for n, d in [by_place[code]]
            ]
    record(entries)
    exits.baseline_period = s.period_for("2022")
    exits.save(update_fields=["baseline_period"])
    return {**world, "race": race, "exits": exits}


def test_equity_page_compares_each_group_with_the_best_off_group(equity_world):
    w = equity_world
    response = signed_in(w["admin"]).get(equity_url(w["init"], "exits"), {"by": "race"})
    assert response.status_code == 200
    html = response.content.decode()
    # The best-off group in 2023 (higher is better): White, 60.0%.
    #   Black: 40.0 − 60.0 = −20.0 points, ratio 40 / 60 = 0.67
    #   Latino: 50.0 − 60.0 = −10.0 points, ratio 50 / 60 = 0.83
    # Their margins of error (binomial, 90%: z = 1.645): se(Black) = √(0.4 × 0.6 / 1,000) =
    # 1.549 points, se(White) the same, se of the gap √(1.549² + 1.549²) = 2.191, × 1.645 = 3.6
    # < 20; Latino's gap: √(0.25 / 1,000) = 1.581, √(1.581² + 1.549²) = 2.213, × 1.645 = 3.6 < 10.
    assert "Gaps in 2023, Place R" in text_of(html)
    assert "Reference group: the best-off group (highest value, higher is better)." in text_of(html)
    rows = rows_of(html, "gaps-caption")
    assert [row[:4] for row in rows] == [
        ["Black", "40.0%", "−20.0 percentage points", "0.67"],
        ["White Reference", "60.0%", "", ""],
        ["Latino", "50.0%", "−10.0 percentage points", "0.83"],
    ]
    assert rows[0][4] == (
        "20.0 percentage points lower than White (reference); larger than the margin of error."
    )
    # The gap over time, 2022 → 2023 (threshold: 10% of the first gap):
    #   Black: |−30| → |−20|, 10 points narrower (≥ 3). The change against its margin of error:
    #   se of the 2022 gap √(1.449² + 1.549²) = 2.121 (se(Black 2022) = √(0.3 × 0.7 / 1,000)),
    #   of the 2023 gap 2.191; 1.645 × √(2.121² + 2.191²) = 1.645 × 3.049 = 5.02 < 10: closing.
    #   Latino: |−15| → |−10|, 5 narrower; se 2022 √(1.573² + 1.549²) = 2.208, 2023 2.213;
    #   1.645 × √(2.208² + 2.213²) = 1.645 × 3.126 = 5.14 > 5: within the margin of error.
    assert rows[0][5] == (
        "Closing Closing: the gap narrowed from 30.0 percentage points in 2022 to 20.0 "
        "percentage points in 2023. The change is larger than the margin of error."
    )
    assert rows[2][5] == (
        "Stable Stable: the gap went from 15.0 percentage points in 2022 to 10.0 percentage "
        "points in 2023, but the change is within the margin of error, so it may be chance."
    )
    assert rows_of(html, "groups-caption") == [
        ["2022", "30.0%", "60.0%", "45.0%"],
        ["2023", "40.0%", "60.0%", "50.0%"],
    ]
    plotted = spec(html, "equity-spec")["data"]["values"]
    assert {(p["group"], p["period"]): p["value"] for p in plotted} == {
        ("Black", "2022"): 30.0,
        ("Black", "2023"): 40.0,
        ("White", "2022"): 60.0,
        ("White", "2023"): 60.0,
        ("Latino", "2022"): 45.0,
        ("Latino", "2023"): 50.0,
    }
    assert "universal-h" not in html  # no group targets yet


def test_equity_page_uses_the_reference_group_chosen_for_the_indicator(equity_world):
    w = equity_world
    w["exits"].reference_groups.add(DimensionMember.objects.get(dimension=w["race"], code="black"))
    html = signed_in(w["admin"]).get(equity_url(w["init"], "exits"), {"by": "race"}).content
    html = html.decode()
    # Against Black (40.0% in 2023): White 60.0 − 40.0 = +20.0 points, ratio 60 / 40 = 1.50;
    # Latino 50.0 − 40.0 = +10.0 points, ratio 50 / 40 = 1.25.
    assert "Reference group: chosen for this indicator." in text_of(html)
    rows = rows_of(html, "gaps-caption")
    assert [row[:4] for row in rows] == [
        ["Black Reference", "40.0%", "", ""],
        ["White", "60.0%", "+20.0 percentage points", "1.50"],
        ["Latino", "50.0%", "+10.0 percentage points", "1.25"],
    ]
    assert rows[1][4].startswith("20.0 percentage points higher than Black (reference)")
    # White against Black: 30 points in 2022 (60 − 30), 20 in 2023: closing.
    assert rows[1][5].startswith(
        "Closing Closing: the gap narrowed from 30.0 percentage points in 2022 to 20.0"
    )


def test_equity_page_tracks_each_group_toward_its_own_target(equity_world):
    w = equity_world
    for members, value in (({}, 60), ({"race": "black"}, 66)):
        s.target_set(
            actor=COMMAND_LINE,
            indicator=w["exits"],
            period=s.period_for("2025"),
            value=Decimal(value),
            place=w["region"],
            breakdown=s.breakdown_for(w["init"], members),
        )
    html = signed_in(w["admin"]).get(equity_url(w["init"], "exits"), {"by": "race"}).content
    html = html.decode()
    # A straight path from the 2022 baseline to the 2025 target, one year of three gone by 2023:
    #   everyone: 45.0 + (60 − 45.0) × 1/3 = 50.0 expected; 50.0 reached → on track
    #   Black: 30.0 + (66 − 30.0) × 1/3 = 42.0 expected; 40.0 → off track
    #   White and Latino have no target of their own.
    text = section(html, "universal-h")
    assert (
        "On track overall, but off track for Black. Cannot be judged for White and Latino." in text
    )
    assert rows_of(html, "track-caption") == [
        ["Everyone", "50.0%", "60.0%", "On track: 50.0% against 50.0% expected by now."],
        ["Black", "40.0%", "66.0%", "Off track: 40.0% against 42.0% expected by now."],
        ["White", "60.0%", "no target", "No target set."],
        ["Latino", "50.0%", "no target", "No target set."],
    ]


def test_a_small_group_is_hidden_from_the_public_and_never_worked_out(equity_world, client):
    w = equity_world
    # 2023 in place A: 7 Pacific Islanders left a program, 3 for a home (42.9%): fewer than 10
    # people, so the public sees neither the figure nor anything it could be worked out from.
    # A's total grows by 3 / 7 to match: 953 / 1,857.
    a = w["a"]
    record(
        [
            entry(w["exits"], a, "2023", num=953, den=1857),
            entry(w["exits"], a, "2023", num=3, den=7, members={"race": "pacific"}),
        ]
    )
    response = client.get(equity_url(w["init"], "exits"), {"by": "race", "place": "A"})
    assert response.status_code == 200
    html = response.content.decode()
    rows = {row[0]: row for row in rows_of(html, "gaps-caption")}
    assert rows["Pacific"][1:4] == ["hidden (small number)", "", ""]
    assert rows["Pacific"][4] == "Suppressed (small number): not shown."
    over_time = rows_of(html, "groups-caption")
    assert over_time[-1][0] == "2023" and over_time[-1][4] == "hidden (small number)"
    # A second group is hidden with it, or 1,857 − 600 − 750 − 500 would give the 7 away.
    assert sum(cell == "hidden (small number)" for cell in over_time[-1]) == 2
    plotted = spec(html, "equity-spec")["data"]["values"]
    assert "Pacific" not in {p["group"] for p in plotted}
    for figure in ("42.9", "42.86", "953", "1,857", "1857"):
        assert figure not in html
    assert "figures based on fewer than 10 people are hidden" in text_of(html)
    # People who take part see it.
    inside = signed_in(w["admin"]).get(equity_url(w["init"], "exits"), {"by": "race", "place": "A"})
    assert {r[0]: r for r in rows_of(inside.content.decode(), "gaps-caption")}["Pacific"][1] == (
        "42.9%"
    )


def test_equity_page_of_an_indicator_without_groups_is_not_found(world):
    init, admin = world["init"], world["admin"]
    f.indicator(init, "plain", is_public=True)
    record_values(init.indicators.get(code="plain"), world["a"], {"2023": 5})
    assert signed_in(admin).get(equity_url(init, "plain")).status_code == 404


def test_equity_page_of_a_private_indicator_is_not_found_for_the_public(equity_world, client):
    w = equity_world
    w["exits"].is_public = False
    w["exits"].save(update_fields=["is_public"])
    assert client.get(equity_url(w["init"], "exits")).status_code == 404
    assert signed_in(w["admin"]).get(equity_url(w["init"], "exits")).status_code == 200


# --- Peers -----------------------------------------------------------------------------------

PARTNERS = ["Harbor House", "Maple Shelter", "Oak Street Services", "Pine Ridge Outreach"]


@pytest.fixture
def peers_world(world) -> dict:
    """A performance measure (a percent, higher is better) reported by four partners, created in
    this order (so, by id, the letters A to D). Each reports for its own place; Harbor House for
    two places, combined as a ratio of sums: (36 + 4) / (40 + 60) = 40.0% (not the average of
    90% and 6.7%, 48.3%).

    2023: Harbor 40.0%, Maple 55 / 100 = 55.0%, Oak 62.0%, Pine 47.0%.
    2022: Harbor 50.0%, Maple 45.0%, Oak 60.0%; Pine's figure waits for approval, so it is not
    compared.
    """
    init = world["init"]
    orgs = {name: f.partnership(init, f.organization(name)).organization for name in PARTNERS}
    steward = f.member(orgs["Maple Shelter"], Role.DATA_STEWARD)
    housed = f.rate_indicator(
        init, "housed", name="Housed within 90 days", is_public=True, level=Level.PERFORMANCE
    )
    places = {name: f.place(init, f"P{i}", world["region"]) for i, name in enumerate(PARTNERS)}
    second = f.place(init, "P9", world["region"])
    figures = {
        "2023": {
            "Maple Shelter": (55, 100),
            "Oak Street Services": (62, 100),
            "Pine Ridge Outreach": (47, 100),
        },
        "2022": {
            "Harbor House": (50, 100),
            "Maple Shelter": (45, 100),
            "Oak Street Services": (60, 100),
        },
    }
    entries = [
        entry(housed, places[name], year, num=n, den=d, org=orgs[name])
        for year, by_org in figures.items()
        for name, (n, d) in by_org.items()
    ]
    harbor = orgs["Harbor House"]
    entries += [
        entry(housed, places["Harbor House"], "2023", num=36, den=40, org=harbor),
        entry(housed, second, "2023", num=4, den=60, org=harbor),
    ]
    record(entries)
    pine = orgs["Pine Ridge Outreach"]
    waiting = entry(housed, places["Pine Ridge Outreach"], "2022", num=99, den=100, org=pine)
    record([waiting], approve=False)
    return {**world, "orgs": orgs, "steward": steward, "housed": housed}


def peer_rows(html: str, number: int) -> list[list[str]]:
    return rows_of(html, f"peers-caption-{number}")


def test_a_partner_sees_itself_named_and_the_others_by_letter(peers_world):
    w = peers_world
    response = signed_in(w["steward"]).get(peers_url(w["init"], "housed"))
    assert response.status_code == 200
    html = response.content.decode()
    # Letters come from a keyed hash of each organization (never its id order or name).
    letter = {
        name: label
        for org_id, label in peer_letters(w["init"], [o.pk for o in w["orgs"].values()]).items()
        for name, o in w["orgs"].items()
        if o.pk == org_id
    }
    for other in ("Harbor House", "Oak Street Services", "Pine Ridge Outreach"):
        assert other not in html
    # 2023 sorted: 40.0, 47.0, 55.0, 62.0 (four figures).
    #   median (47 + 55) / 2 = 51.0
    #   quartiles (type 7): h = 3 × 0.25 = 0.75 → 40 + 0.75 × (47 − 40) = 45.25 (45.3%);
    #                       h = 3 × 0.75 = 2.25 → 55 + 0.25 × (62 − 55) = 56.75 (56.8%)
    #   ranks, higher is better: Oak 1, Maple 2, Pine 3, Harbor 4; quarter ⌈4r / 4⌉ = r
    #   from the median: +11.0, +4.0, −4.0, −11.0
    text = section(html, "period-1-h")
    assert "2023 4 partners reported: median 51.0%." in text
    assert "The middle half of the partners are between 45.3% and 56.8%." in text
    assert peer_rows(html, 1) == [
        [letter["Oak Street Services"], "62.0%", "1 of 4", "quarter 1", "+11.0 percentage points"],
        ["Maple Shelter You", "55.0%", "2 of 4", "quarter 2", "+4.0 percentage points"],
        [letter["Pine Ridge Outreach"], "47.0%", "3 of 4", "quarter 3", "−4.0 percentage points"],
        [letter["Harbor House"], "40.0%", "4 of 4", "quarter 4", "−11.0 percentage points"],
    ]
    # 2022: 45.0, 50.0, 60.0 → median 50.0; three figures: no quartiles, no quarters. Pine's
    # figure is not approved, and each partner keeps its letter.
    text = section(html, "period-2-h")
    assert "2022 3 partners reported: median 50.0%." in text
    assert "middle half" not in text
    assert peer_rows(html, 2) == [
        [letter["Oak Street Services"], "60.0%", "1 of 3", "", "+10.0 percentage points"],
        [letter["Harbor House"], "50.0%", "2 of 3", "", "0.0 percentage points"],
        ["Maple Shelter You", "45.0%", "3 of 3", "", "−5.0 percentage points"],
    ]
    assert "99.0%" not in html
    assert "Your organization is named; the other partners are shown" in text_of(html)
    lines = {p["group"] for p in spec(html, "peers-spec")["data"]["values"]}
    assert lines == {"Peer median", "25th percentile", "75th percentile", "Maple Shelter"}


def test_the_backbone_sees_every_partner_named(peers_world):
    w = peers_world
    html = signed_in(w["admin"]).get(peers_url(w["init"], "housed")).content.decode()
    assert [row[0] for row in peer_rows(html, 1)] == [
        "Oak Street Services",
        "Maple Shelter",
        "Pine Ridge Outreach",
        "Harbor House",
    ]
    assert not re.search(r"Partner [A-Z]\b", text_of(html))
    assert "Every partner is named" in text_of(html)


def test_with_open_comparison_every_partner_sees_the_names(peers_world):
    w = peers_world
    w["init"].open_comparison = True
    w["init"].save(update_fields=["open_comparison"])
    html = signed_in(w["steward"]).get(peers_url(w["init"], "housed")).content.decode()
    assert [row[0] for row in peer_rows(html, 1)] == [
        "Oak Street Services",
        "Maple Shelter You",
        "Pine Ridge Outreach",
        "Harbor House",
    ]
    assert "The partners have agreed to compare openly, so every partner is named." in text_of(html)


def test_peers_page_is_for_performance_measures_and_people_who_take_part(peers_world, client):
    w = peers_world
    count = f.indicator(w["init"], "homeless", is_public=True)  # a population indicator
    assert signed_in(w["admin"]).get(peers_url(w["init"], count.code)).status_code == 404
    response = client.get(peers_url(w["init"], "housed"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    # The indicator page links to it for people who take part only.
    assert "Compare partners with their peers" in text_of(
        signed_in(w["steward"]).get(detail_url(w["init"], "housed")).content.decode()
    )
    assert "Compare partners with their peers" not in text_of(
        client.get(detail_url(w["init"], "housed")).content.decode()
    )


def test_a_difference_that_rounds_to_nothing_has_no_sign(peers_world):
    w = peers_world
    # A fifth partner in 2022 at 5,004 / 10,000 = 50.04%.
    org = f.partnership(w["init"], f.organization("Elm Court")).organization
    place = f.place(w["init"], "P8", w["region"])
    record([entry(w["housed"], place, "2022", num=5004, den=10000, org=org)])
    # 2022 sorted: 45.0, 50.0, 50.04, 60.0 → median (50.0 + 50.04) / 2 = 50.02;
    # Harbor House 50.0 − 50.02 = −0.02 and Elm Court 50.04 − 50.02 = +0.02: both 0.0 to one
    # decimal, so neither above nor below the median as shown.
    html = signed_in(w["admin"]).get(peers_url(w["init"], "housed")).content.decode()
    rows = {row[0]: row for row in peer_rows(html, 2)}
    assert rows["Harbor House"][1] == "50.0%" and rows["Elm Court"][1] == "50.0%"
    assert rows["Harbor House"][4] == "0.0 percentage points"
    assert rows["Elm Court"][4] == "0.0 percentage points"


def test_the_backbone_is_told_why_it_sees_every_name(peers_world):
    w = peers_world
    html = signed_in(w["admin"]).get(peers_url(w["init"], "housed")).content.decode()
    method = text_of(html)
    assert "Every partner is named to you because you review the partners' figures" in method
    assert "agreed to compare openly" not in method
    # People who take part see every figure: nothing is said to be hidden.
    assert "suppressed" not in method


# --- Improvement cycles on the chart: internal ------------------------------------------------


def test_a_recorded_process_change_restarts_the_limits_and_is_named_only_to_participants(world):
    import datetime

    from backbone.agenda import services as agenda

    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "meals", name="Meals served", is_public=True)
    # Twelve steady values (centre 100) and twelve more from 2022, when a change was made.
    record_values(count, world["region"], years(2010, STEADY + [v + 50 for v in STEADY]))
    agenda.cycle_create(
        actor=admin,
        initiative=init,
        title="Secret pilot",
        started_on=datetime.date(2021, 6, 1),
        changed_on=datetime.date(2021, 12, 1),
        starts_new_phase=True,
        indicators=[count],
    )
    inside = signed_in(admin).get(detail_url(init, "meals")).content.decode()
    outside = Client().get(detail_url(init, "meals")).content.decode()
    for html in (inside, outside):
        centres = {p["phase"]: p["centre"] for p in spec(html, "spc-spec")["data"]["values"]}
        # Phase 1 (2010–2021): mean 100; phase 2 (2022–2033): the same values + 50 → 150.
        assert centres == {0: pytest.approx(100), 1: pytest.approx(150)}
    assert "Secret pilot" in text_of(inside)
    assert "Secret pilot" not in outside
    assert "a recorded change to how the work is done" in text_of(outside)


# --- The dashboard --------------------------------------------------------------------------


def test_a_dashboard_tile_carries_the_signal_in_words(world):
    init, admin = world["init"], world["admin"]
    count = f.indicator(init, "nights", name="Nights outside", is_public=True)
    # As in the XmR test above: 180 in 2016 is above the upper limit (160.2).
    values = [104, 96, 103, 97, 104, 98, 180, 102, 96, 103, 97, 104]
    record_values(count, world["region"], years(2010, values))
    html = signed_in(admin).get(reverse("measurement:dashboard", args=[init.slug])).content
    tile = text_of(html.decode())
    assert "Signal 1 signal: 2016 above the upper limit." in tile
