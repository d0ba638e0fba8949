"""The public dashboard and indicator pages as a visitor sees them: public indicators only,
approved figures only, small numbers hidden (with the figures that would give them away)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from tests.public.conftest import PublicWorld

pytestmark = pytest.mark.django_db

SECRET_NUMBERS = ("4,314", "4314", "9,876", "9876", "8,765", "8765", "1,234", "1234", "611")


def dashboard_url(world: PublicWorld, slug: str | None = None) -> str:
    return reverse("public:dashboard", args=[slug or world.initiative.slug])


def indicator_url(world: PublicWorld, code: str, slug: str | None = None) -> str:
    return reverse("public:indicator", args=[slug or world.initiative.slug, code])


def cells(html: str) -> list[str]:
    """The text of every data cell of every table on the page."""
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


def rows_of(html: str, caption: str) -> dict[str, list[str]]:
    """One table's rows (by the period in the row header) → its cells' text."""
    table = re.search(
        r"<table[^>]*>\s*<caption[^>]*>" + re.escape(caption) + r"(.*?)</table>", html, re.S
    )
    assert table, caption
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        head = re.search(r'<th scope="row">(\d{4})', row)
        if head:
            found[head.group(1)] = cells(row)
    return found


def test_dashboard_shows_the_initiative_and_its_public_indicators(client, world) -> None:
    response = client.get(dashboard_url(world))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Public Initiative" in html
    assert "Everyone has a home." in html
    assert "Too many people sleep outside." in html
    assert "People are healthy" in html and "More people see a doctor" in html
    assert indicator_url(world, "visits") in html
    # Latest public value with its period, and the change in words.
    assert "4,400" in html and "in 2023" in html
    assert "From 4,321 in 2022 to 4,400 in 2023: up 79 (1.8%)." in html
    # Privacy note with the threshold, and the download link.
    assert "How we protect privacy" in html
    assert "fewer than 10 people" in html
    assert reverse("public:data_csv", args=["pub"]) in html


def test_dashboard_never_shows_private_indicators_or_unapproved_figures(client, world) -> None:
    html = client.get(dashboard_url(world)).content.decode()
    assert "Secret shelter count" not in html
    assert "secret-count" not in html
    assert "555" not in html
    for number in SECRET_NUMBERS:
        assert number not in html, number


def test_a_suppressed_latest_total_is_marked_not_shown(client, world) -> None:
    html = client.get(dashboard_url(world)).content.decode()
    card = html[html.index(indicator_url(world, "crossed")) :]
    card = card[: card.index("</li>")]
    assert "Suppressed" in card
    assert "Suppressed for privacy" in card
    assert "1,234" not in html


def test_indicator_page_shows_definition_source_table_notes_and_story(client, world) -> None:
    response = client.get(indicator_url(world, "visits"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Visits to the clinic." in html
    assert "Clinic records" in html
    assert "2022: counted on paper forms." in html
    assert "Visits rose when the evening clinic opened." in html
    everyone = rows_of(html, "Clinic visits in Place P-1, every period")
    assert everyone == {"2022": ["4,321"], "2023": ["4,400"]}
    by_sex = rows_of(html, "Clinic visits in Place P-1 by sex, every period")
    assert by_sex == {
        "2022": ["4,321", "Suppressed", "Suppressed"],
        "2023": ["4,400", "2,200", "2,200"],
    }
    assert "hidden for privacy" in html
    assert reverse("public:indicator_csv", args=["pub", "visits"]) in html


def test_small_cell_and_its_complement_never_appear_anywhere_on_the_page(client, world) -> None:
    html = client.get(indicator_url(world, "visits")).content.decode()
    assert "7" not in cells(html)
    for number in ("4,314", "4314", "4314.0", "9,876", "9876", "8,765", "8765"):
        assert number not in html, number
    # Nor in the chart specs (JSON in the page): the hidden points are left out entirely.
    specs = re.findall(
        r'<script id="chart-[^"]+" type="application/json">(.*?)</script>', html, re.S
    )
    assert len(specs) == 2
    for spec in specs:
        assert '"value": 7' not in spec and "4314" not in spec
    assert "2024" not in html and "2025" not in html


def test_groups_of_every_dimension_are_suppressed_together(client, world) -> None:
    """The total hidden with its only sex group is hidden in the age table too, and one age
    group more, so that neither can be worked out by subtraction."""
    html = client.get(indicator_url(world, "crossed")).content.decode()
    assert rows_of(html, "Crossed count in Place P-1, every period") == {"2023": ["Suppressed"]}
    assert rows_of(html, "Crossed count in Place P-1 by age, every period") == {
        "2023": ["Suppressed", "Suppressed", "623"]  # everyone, child, adult
    }
    assert rows_of(html, "Crossed count in Place P-1 by sex, every period") == {
        "2023": ["Suppressed", "No data", "Suppressed"]
    }
    for number in ("1,234", "1234", "611"):
        assert number not in html


def test_private_indicator_page_is_not_found_even_for_people_taking_part(client, world) -> None:
    assert client.get(indicator_url(world, "secret-count")).status_code == 404
    assert (
        client.get(reverse("public:indicator_csv", args=["pub", "secret-count"])).status_code == 404
    )
    client.force_login(world.admin)
    assert client.get(indicator_url(world, "secret-count")).status_code == 404
    assert client.get(indicator_url(world, "no-such-indicator")).status_code == 404


def test_private_initiative_has_no_public_pages(client, world) -> None:
    urls = [
        dashboard_url(world, "hidden"),
        indicator_url(world, "hidden-visits", "hidden"),
        reverse("public:data_csv", args=["hidden"]),
        reverse("public:indicator_csv", args=["hidden", "hidden-visits"]),
        dashboard_url(world, "no-such-initiative"),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_people_taking_part_see_the_public_view_here(client, world) -> None:
    """Signed in as a partner, the public pages still hide small numbers and private data."""
    client.force_login(world.steward)
    html = client.get(indicator_url(world, "visits")).content.decode()
    assert "4,314" not in html and "9,876" not in html
    html = client.get(dashboard_url(world)).content.decode()
    assert "Secret shelter count" not in html


def read_csv(response) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_indicator_csv_has_the_figures_of_the_page_and_no_hidden_numbers(client, world) -> None:
    response = client.get(reverse("public:indicator_csv", args=["pub", "visits"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [(r["period"], r["group"], r["value"], r["suppressed"]) for r in rows] == [
        ("2022", "", "4321", "false"),
        ("2022", "f", "", "true"),
        ("2022", "m", "", "true"),
        ("2023", "", "4400", "false"),
        ("2023", "f", "2200", "false"),
        ("2023", "m", "2200", "false"),
    ]
    assert rows[0]["annotations"] == "2022: counted on paper forms."
    body = response.content.decode()
    for number in ("4314", "9876", "8765", "2024", "2025"):
        assert number not in body


def test_public_data_csv_holds_every_public_indicator_and_nothing_private(client, world) -> None:
    response = client.get(reverse("public:data_csv", args=["pub"]))
    rows = read_csv(response)
    assert {r["indicator"] for r in rows} == {"visits", "crossed"}
    crossed = {
        (r["dimension"], r["group"]): (r["value"], r["suppressed"])
        for r in rows
        if r["indicator"] == "crossed"
    }
    assert crossed == {
        ("", ""): ("", "true"),
        ("age", "adult"): ("623", "false"),
        ("age", "child"): ("", "true"),
        ("sex", "m"): ("", "true"),
    }
    body = response.content.decode()
    for text in ("secret-count", "Secret shelter count", "555", *SECRET_NUMBERS):
        assert text not in body, text
