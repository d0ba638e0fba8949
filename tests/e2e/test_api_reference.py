"""The API reference is an ordinary page: readable without JavaScript, accessible, on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PHONE, screenshot, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_api_reference_is_accessible_and_links_within_itself(page: Page, live_server) -> None:
    visit(page, live_server.url + "/api/v1/docs")
    expect(page.get_by_role("heading", name="Backbone API, version 1", level=1)).to_be_visible()
    contents = page.get_by_role("navigation", name="Endpoints")
    contents.get_by_role("link", name="POST /api/v1/initiatives/{slug}/observations").click()
    upsert = page.locator(
        "section", has=page.locator("#backbone_api_measurement_observation_upsert")
    )
    expect(upsert.get_by_text("Needs an API token")).to_be_visible()
    upsert.get_by_role("link", name="ImportReportOut").first.click()
    expect(page.get_by_role("table", name="Fields of ImportReportOut")).to_be_visible()
    screenshot(page, "api-reference.png")


def test_the_api_reference_fits_a_phone(new_page, live_server) -> None:
    page = new_page(viewport=PHONE)
    visit(page, live_server.url + "/api/v1/docs")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
