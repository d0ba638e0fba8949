"""The public dashboard, as anyone sees it without signing in, on a desktop and on a phone."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PHONE, check_a11y, screenshot, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRIVATE = ("people-served-shelter", "People served in emergency shelter")


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_anonymous_visitor_reads_the_public_dashboard(page: Page, full_demo, new_page) -> None:
    url = full_demo.url(f"/public/{full_demo.slug}/")
    visit(page, url)
    expect(page.get_by_role("heading", name="Ohio Home for All: how we are doing")).to_be_visible()
    expect(page.get_by_role("heading", name="How we protect privacy")).to_be_visible()
    expect(page.get_by_text("fewer than 11 people")).to_be_visible()
    expect(page.get_by_role("link", name="Download the public data (CSV)")).to_be_visible()
    homeless = page.get_by_role("heading", name="People experiencing homelessness")
    expect(homeless).to_be_visible()
    expect(
        page.get_by_text("From 10,345 in 2019 to 11,386 in 2023: up 1,041 (10.1%).")
    ).to_be_visible()
    html = page.content()
    for text in PRIVATE:
        assert text not in html
    screenshot(page, "public-dashboard.png")

    phone = new_page(viewport=PHONE)
    visit(phone, url)
    assert no_sideways_scroll(phone)
    screenshot(phone, "public-dashboard-phone.png")

    homeless.get_by_role("link").click()
    expect(
        page.get_by_role("heading", name="People experiencing homelessness", level=1)
    ).to_be_visible()
    expect(page.locator('[data-chart="chart-everyone"][data-chart-ready="true"]')).to_be_visible()
    expect(
        page.get_by_role("table", name="People experiencing homelessness in Ohio, every period")
    ).to_be_visible()
    # The HUD 2021 caveat is on the page.
    expect(page.locator("#notes").get_by_text("2021: because of COVID-19")).to_be_visible()
    expect(page.get_by_role("heading", name="The story behind the curve")).to_be_visible()
    check_a11y(page)
    for text in PRIVATE:
        assert text not in page.content()
    screenshot(page, "public-indicator.png")


def test_private_indicator_has_no_public_page(page: Page, full_demo) -> None:
    visit(
        page,
        full_demo.url(f"/public/{full_demo.slug}/indicators/people-served-shelter/"),
        status=404,
    )


def test_suppressed_figures_never_reach_the_page_or_chart(page: Page, full_demo, new_page) -> None:
    """With a higher small-number threshold, the smallest group's exits are hidden in 2022 and
    2023 (and the next-smallest group with them): the table says so and the chart leaves them
    out — on a phone as well, without sideways scrolling."""
    from backbone.core.models import Initiative
    from backbone.measurement.models import Breakdown, Indicator, Place
    from backbone.measurement.selectors import series

    initiative = Initiative.objects.get(slug=full_demo.slug)
    initiative.suppression_threshold = 280
    initiative.save(update_fields=["suppression_threshold"])
    exits = Indicator.objects.get(initiative=initiative, code="exits-to-permanent-housing")
    ohio = Place.objects.get(initiative=initiative, code="OH")
    raw = {
        (key, p.period.code): p.aggregate.value
        for key in ("race:hispanic", "race:other")
        for p in series(exits, ohio, Breakdown.objects.get(initiative=initiative, key=key))
    }

    phone = new_page(viewport=PHONE)
    visit(phone, full_demo.url(f"/public/{full_demo.slug}/indicators/{exits.code}/"))
    expect(phone.locator('[data-chart="chart-by-race"][data-chart-ready="true"]')).to_be_visible()
    assert no_sideways_scroll(phone)
    check_a11y(phone)
    table = phone.get_by_role("table", name="by race and ethnicity")
    for year in ("2022", "2023"):
        row = table.get_by_role("row", name=year)
        expect(row.get_by_role("cell", name="Suppressed")).to_have_count(2)
    expect(
        table.get_by_role("row", name="2021").get_by_role("cell", name="Suppressed")
    ).to_have_count(0)
    expect(phone.get_by_text("hidden for privacy").first).to_be_visible()

    html = phone.content()
    spec = json.loads(phone.locator("#chart-by-race").text_content())
    plotted = {(row["group"], row["period"]) for row in spec["data"]["values"]}
    for group in ("Hispanic or Latino (any race)", "Another race, or more than one"):
        assert (group, "2022") not in plotted and (group, "2023") not in plotted
        assert (group, "2021") in plotted
    for (key, year), value in raw.items():
        if year in ("2022", "2023"):
            assert format(value.normalize(), "f")[:6] not in html, (key, year)
            assert f"{value:.1f}%" not in table.get_by_role("row", name=year).inner_text()
    for text in PRIVATE:
        assert text not in html
