"""The results pages as people see them: the dashboard and an indicator's page with its
download, for the public, for people who take part, and with bad filters."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from backbone.agenda.models import Goal, Outcome
from backbone.core.models import Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.models import Annotation, Narrative
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db


def record(indicator, place, period, value, *, members=None, approve=True, org=None):
    s.observations_record(
        actor=COMMAND_LINE,
        initiative=indicator.initiative,
        entries=[
            s.Entry(
                indicator=indicator,
                place=place,
                period=s.period_for(period),
                breakdown=s.breakdown_for(indicator.initiative, members or {}),
                organization=org,
                figures=Figures(value=Decimal(value)),
            )
        ],
        approve=approve,
    )


@pytest.fixture
def world() -> dict:
    """A public initiative: a homeless count split by shelter (public), in region R (places A
    and B), 2020–2023, baseline 2020, a 2030 target, a 2022 caveat and a story; a private count;
    a partner X with a data steward; a goal → outcome listing the public count."""
    init = f.initiative("town", is_public=True, suppression_threshold=11)
    admin = f.backbone_admin(init)
    x = f.partnership(init, f.organization("Partner X"))
    steward = f.member(x.organization, Role.DATA_STEWARD)
    shelter = s.dimension_define(
        initiative=init,
        code="shelter",
        name="Shelter status",
        members=[("sheltered", "Sheltered"), ("unsheltered", "Unsheltered")],
    )
    homeless = f.indicator(
        init, "homeless", name="People homeless", is_public=True, dimensions=[shelter]
    )
    hidden = f.indicator(init, "served", name="People served (internal)")
    region = f.place(init, "R")
    a, b = f.place(init, "A", region), f.place(init, "B", region)
    # R = A + B: 2020 1000, 2021 950, 2022 600, 2023 880.
    for period, at_a, at_b in (("2020", 600, 400), ("2021", 560, 390), ("2022", 350, 250)):
        record(homeless, a, period, at_a)
        record(homeless, b, period, at_b)
    record(homeless, a, "2023", 500)
    record(homeless, b, "2023", 380)
    # 2023 at A by shelter: 495 sheltered, 5 unsheltered (a small number).
    record(homeless, a, "2023", 495, members={"shelter": "sheltered"})
    record(homeless, a, "2023", 5, members={"shelter": "unsheltered"})
    # A figure waiting for approval does not count.
    record(homeless, a, "2024", 9999, approve=False, org=x.organization)
    record(hidden, a, "2023", 42)
    homeless.baseline_period = s.period_for("2020")
    homeless.save(update_fields=["baseline_period"])
    s.target_set(
        actor=COMMAND_LINE,
        indicator=homeless,
        period=s.period_for("2030"),
        value=Decimal(800),
        place=region,
    )
    Annotation.objects.create(
        indicator=homeless,
        period=s.period_for("2022"),
        text="2022: only people in shelters were counted.",
        breaks_comparability=True,
    )
    Narrative.objects.create(indicator=homeless, place=region, story="Rents rose faster.")
    goal = Goal.objects.create(initiative=init, title="Homelessness is rare")
    outcome = Outcome.objects.create(goal=goal, title="Fewer people are homeless")
    outcome.indicators.add(homeless)
    return locals()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dashboard_url(w: dict) -> str:
    return reverse("measurement:dashboard", args=[w["init"].slug])


def detail_url(w: dict, code: str = "homeless") -> str:
    return reverse("measurement:indicator_detail", args=[w["init"].slug, code])


def download_url(w: dict, code: str = "homeless") -> str:
    return reverse("measurement:indicator_download", args=[w["init"].slug, code])


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table_rows(html: str) -> list[list[str]]:
    """The figures table: each body row as [period, cell, cell…] (the notes cell left out)."""
    body = html.split('class="figures"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [text_of(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells[:-1])
    return rows


def chart_spec(html: str) -> dict:
    found = re.search(r'<script id="trend-spec" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


# --- Dashboard -------------------------------------------------------------------------------


def test_dashboard_shows_the_framework_with_a_tile_per_public_indicator(client, world):
    response = client.get(dashboard_url(world))
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Goal: Homelessness is rare" in text
    assert "Outcome: Fewer people are homeless" in text
    # The default place is where the target is set: region R, rolled up from A and B.
    assert "880 in 2023" in text
    assert "−120 (−12.0%) since the baseline (1,000 in 2020): worse" not in text
    assert "−120 (−12.0%) since the baseline (1,000 in 2020): better" in text
    assert "Target for 2030: 800." in text
    assert "60% of the way from the baseline to the target." in text
    assert "Moving the needle" in text
    assert "Improved by 10% or more since 2020: the needle is moving." in text
    assert "Latest figures: 2023." in text
    # The private indicator is not even named to the public; the unapproved 2024 never counts.
    assert "People served (internal)" not in text
    assert "9,999" not in text and "in 2024" not in text


def test_dashboard_tile_has_a_sparkline_without_inline_styles(client, world):
    html = client.get(dashboard_url(world)).content.decode()
    svg = html.split('<svg class="sparkline"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "aria-label=" in svg
    assert "<polyline" in svg
    assert "style=" not in svg


def test_people_taking_part_see_private_indicators_apart_from_the_framework(world):
    text = text_of(signed_in(world["steward"]).get(dashboard_url(world)).content.decode())
    assert "Other indicators" in text
    assert "People served (internal)" in text
    assert "42 in 2023" in text


def test_dashboard_filters_by_place_and_period_range(client, world):
    response = client.get(dashboard_url(world), {"place": "A", "from": "2020", "to": "2022"})
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "350 in 2022" in text  # A's 2022 figure, the last in range
    assert "−250 (−41.7%) since the baseline (600 in 2020): better" in text


def test_dashboard_with_an_impossible_period_range_answers_422(client, world):
    response = client.get(dashboard_url(world), {"from": "2023", "to": "2020"})
    assert response.status_code == 422
    text = text_of(response.content.decode())
    assert "“From” must be the same period as “To” or before it." in text
    assert "880 in 2023" in text  # the defaults are still shown


def test_dashboard_of_a_private_initiative_is_hidden_from_outsiders(client, world):
    world["init"].is_public = False
    world["init"].save()
    assert client.get(dashboard_url(world)).status_code == 404
    assert signed_in(world["admin"]).get(dashboard_url(world)).status_code == 200


# --- Indicator page --------------------------------------------------------------------------


def test_indicator_page_table_and_chart_hold_the_same_figures(client, world):
    html = client.get(detail_url(world)).content.decode()
    assert table_rows(html) == [
        ["2020", "1,000"],
        ["2021", "950"],
        ["2022", "600"],
        ["2023", "880"],
    ]
    spec = chart_spec(html)
    assert [(p["period"], p["value"]) for p in spec["data"]["values"]] == [
        ("2020", 1000.0),
        ("2021", 950.0),
        ("2022", 600.0),
        ("2023", 880.0),
    ]
    marks = {item.get("description"): item["data"]["values"] for item in spec["layer"][2:]}
    assert marks["baseline"] == [{"value": 1000.0, "label": "Baseline (2020): 1,000"}]
    assert marks["target"] == [{"value": 800.0, "label": "Target for 2030: 800"}]
    assert marks["annotations"] == [
        {"start": "2022-01-01", "text": "2022: only people in shelters were counted."}
    ]
    text = text_of(html)
    assert "2022: only people in shelters were counted." in text
    assert "Not comparable with other periods." in text
    assert "Rents rose faster." in text  # the story behind the curve
    assert "Added up:" in text
    assert 'scope="col"' in html and 'scope="row"' in html and "<caption" in html


def test_indicator_page_compares_groups_and_hides_small_numbers_from_the_public(client, world):
    html = client.get(detail_url(world), {"place": "A", "by": "shelter"}).content.decode()
    rows = table_rows(html)
    assert rows[-1][0] == "2023"
    # 5 unsheltered people: hidden, and its complement too (else 500 − 495 gives it away).
    assert rows[-1][1:] == ["500", "hidden (small number)", "hidden (small number)"]
    values = [(p["period"], p.get("group"), p["value"]) for p in chart_spec(html)["data"]["values"]]
    assert ("2023", "Total", 500.0) in values
    assert not [v for v in values if v[1] in ("Sheltered", "Unsheltered")]


def test_people_taking_part_see_every_group(world):
    client = signed_in(world["steward"])
    html = client.get(detail_url(world), {"place": "A", "by": "shelter"}).content.decode()
    assert table_rows(html)[-1] == ["2023", "500", "495", "5"]


def test_rates_are_combined_from_sums_not_averaged(client, world):
    init = world["init"]
    rate = f.rate_indicator(init, "screened", is_public=True)
    for place, num, den in ((world["a"], 9, 10), (world["b"], 10, 100)):
        s.observations_record(
            actor=COMMAND_LINE,
            initiative=init,
            entries=[
                s.Entry(
                    indicator=rate,
                    place=place,
                    period=s.period_for("2023"),
                    breakdown=s.breakdown_for(init, {}),
                    organization=None,
                    figures=Figures(numerator=Decimal(num), denominator=Decimal(den)),
                )
            ],
            approve=True,
        )
    html = client.get(detail_url(world, "screened")).content.decode()
    assert table_rows(html) == [["2023", "17.3%"]]  # 19 / 110, not (90 % + 10 %) / 2
    assert "Ratio of sums" in text_of(html)


def test_private_indicator_is_not_found_for_the_public(client, world):
    assert client.get(detail_url(world, "served")).status_code == 404
    assert client.get(download_url(world, "served")).status_code == 404
    assert signed_in(world["steward"]).get(detail_url(world, "served")).status_code == 200


def test_indicator_page_with_an_unknown_place_answers_422(client, world):
    response = client.get(detail_url(world), {"place": "NOWHERE"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


# --- Downloads -------------------------------------------------------------------------------


def test_csv_download_holds_exactly_the_tables_figures(client, world):
    params = {"place": "A", "by": "shelter", "from": "2021"}
    table = table_rows(client.get(detail_url(world), params).content.decode())
    response = client.get(download_url(world), {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="town-homeless-A.csv"' in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(content.lstrip("\ufeff"))))
    shown: dict[str, list[str]] = {}
    for row in rows:
        value = row["value"]
        text = "hidden (small number)" if row["suppressed"] == "true" else f"{int(value):,}"
        shown.setdefault(row["period"], []).append(text)
    # The table says "no figure" where a group has none; the download has no row for it.
    assert [[period, *cells] for period, cells in shown.items()] == [
        [cell for cell in row if cell != "no figure"] for row in table
    ]
    assert table[-1] == ["2023", "500", "hidden (small number)", "hidden (small number)"]
    assert {row["period"] for row in rows} == {"2021", "2022", "2023"}  # from 2021 on


def test_xlsx_download_has_the_same_figures_and_an_about_sheet(client, world):
    response = client.get(download_url(world), {"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    data = list(book["Data"].iter_rows(values_only=True))
    column = data[0].index("value")
    assert [row[column] for row in data[1:]] == [1000, 950, 600, 880]
    about = [row[0] for row in book["About"].iter_rows(values_only=True) if row]
    assert "Source" in about and "Periods" in about


def test_download_with_an_unknown_format_answers_422(client, world):
    response = client.get(download_url(world), {"format": "pdf"})
    assert response.status_code == 422
