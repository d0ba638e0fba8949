"""The results pages in a real browser: the dashboard, an indicator's chart under the real
Content Security Policy, its table against the series selector, groups side by side."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from backbone.demo.hud import YEAR_NOTE
from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHART = "[data-chart='trend-spec'][data-chart-ready]"  # the indicator page's trend chart


def ohio_series() -> list[tuple[str, str]]:
    """Ohio's approved homeless counts from the series selector, formatted as the page does."""
    from backbone.measurement.models import Breakdown, Indicator, Place
    from backbone.measurement.selectors import series

    indicator = Indicator.objects.get(code="people-homeless")
    ohio = Place.objects.get(initiative=indicator.initiative, code="OH")
    total = Breakdown.objects.get(initiative=indicator.initiative, key="")
    return [(p.period.code, f"{int(p.aggregate.value):,}") for p in series(indicator, ohio, total)]


def figures(page: Page) -> list[tuple[str, str]]:
    table = page.get_by_role("table", name=re.compile("by period"))
    rows = table.locator("tbody tr")
    return [
        (rows.nth(i).locator("th").inner_text(), rows.nth(i).locator("td").first.inner_text())
        for i in range(rows.count())
    ]


def test_visitor_reads_the_dashboard_and_an_indicator(page: Page, full_demo) -> None:
    visit(page, full_demo.initiative_url("results/"))
    expect(page.get_by_role("heading", name="Results", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Goal: Homelessness is rare")).to_be_visible()
    tile = page.locator(".tile").filter(has_text="People experiencing homelessness")
    expect(tile.get_by_text("11,386")).to_be_visible()
    expect(tile.get_by_text("worse", exact=True)).to_be_visible()  # in words, not only red
    expect(tile.get_by_text("Target for 2030: 8,276.")).to_be_visible()
    expect(tile.get_by_role("img", name=re.compile("Trend of People experiencing"))).to_be_visible()
    # The private indicator is not shown to visitors.
    expect(page.get_by_text("people-served-shelter")).to_have_count(0)
    screenshot(page, "dashboard.png")

    # The filters are a plain form: a period range.
    page.get_by_label("To", exact=True).select_option("2020")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"to=2020"))
    expect(tile.get_by_text("10,655")).to_be_visible()
    check_a11y(page)

    tile.get_by_role("link", name="People experiencing homelessness").click()
    expect(page.get_by_role("heading", name="People experiencing homelessness", level=1))
    page.get_by_label("To", exact=True).select_option("")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(CHART + " svg")).to_have_count(1)
    # The table holds exactly the selector's figures for Ohio, and the 2021 caveat is shown.
    assert figures(page) == ohio_series()
    expect(page.locator(".notes").get_by_text(YEAR_NOTE)).to_be_visible()
    check_a11y(page)
    screenshot(page, "indicator.png")

    # Groups side by side: sheltered and unsheltered, in the chart and the table.
    page.get_by_label("Compare groups", exact=True).select_option(label="Shelter status")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(CHART + " svg")).to_have_count(1)
    table = page.get_by_role("table", name=re.compile("by period"))
    expect(table.get_by_role("columnheader", name="Unsheltered")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^2023"))).to_contain_text("2,403")
    check_a11y(page)


def test_chart_draws_under_the_real_content_security_policy(new_page, full_demo) -> None:
    page = new_page(bypass_csp=False)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(full_demo.initiative_url("indicators/people-homeless/"))
    assert response is not None and response.status == 200
    chart = page.locator(CHART)
    expect(chart).to_have_count(1)
    expect(chart.locator("svg").first).to_be_visible()
    # The baseline, the target and the 2021 caveat are drawn on the chart itself.
    expect(chart.locator("svg text", has_text="Baseline (2019): 10,345")).to_have_count(1)
    expect(chart.locator("svg text", has_text="Target for 2030: 8,276")).to_have_count(1)
    expect(chart.locator("svg text", has_text="2021: because of COVID-19")).to_have_count(1)
    assert figures(page) == ohio_series()
    assert problems == []


def test_people_taking_part_see_private_indicators(page: Page, full_demo) -> None:
    sign_in(page, full_demo, "member@demo.backbone.test")
    visit(page, full_demo.initiative_url("results/"))
    tile = page.locator(".tile").filter(has_text="Private")
    expect(tile.first).to_be_visible()
    tile.first.get_by_role("link").click()
    expect(page.locator(CHART + " svg")).to_have_count(1)
    check_a11y(page)
