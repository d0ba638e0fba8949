"""The backbone checks the quality of the shared data in the browser: from the review queue to
the data quality page (missing reports, values far from usual, groups that do not add up, late
figures), and from a value far from usual to its history. Every page is checked with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@demo.backbone.test"
OPEN_ROUND = "2025 annual performance report"
HUD = "People experiencing homelessness"


def test_admin_checks_data_quality_and_opens_a_values_history(page: Page, full_demo) -> None:
    demo = full_demo
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url("review/"))
    page.get_by_role("link", name=re.compile("Check data quality")).click()
    expect(page.get_by_role("heading", name="Data quality", level=1)).to_be_visible()
    check_a11y(page)

    # Missing reports: the open round asks 3 indicators of 9 CoCs (27 figures); only the one
    # submitted report (3 figures) counts: 3 ÷ 27 = 11.1%. The four past rounds are complete.
    rounds = page.get_by_role("table", name=re.compile("Figures received in each reporting round"))
    open_round = rounds.get_by_role("row", name=re.compile(OPEN_ROUND))
    expect(open_round).to_contain_text("1 of 9")
    expect(open_round).to_contain_text("11.1%")
    expect(rounds.get_by_role("row", name=re.compile("2024 annual"))).to_contain_text("100.0%")
    # All rounds: (3 + 4 × 27) ÷ (5 × 27) = 111 ÷ 135 = 82.2%.
    expect(rounds.get_by_role("row", name=re.compile("All rounds"))).to_contain_text("82.2%")
    partners = page.get_by_role("table", name=re.compile("Figures received from each partner"))
    expect(partners.get_by_role("row").nth(1)).to_contain_text("80.0%")  # lowest share first

    # Values far from usual: HUD's counts of 2022 and 2023, judged per CoC; the rule in words.
    section = page.get_by_role("region", name="Values far from usual")
    expect(section).to_contain_text("modified z-score is above 3.5 or below −3.5")
    outliers = section.get_by_role("table", name=re.compile(f"^{HUD}: .* far from"))
    first = outliers.get_by_role("row").nth(1)
    expect(first).to_contain_text("Community-wide (no partner)")
    expect(first).to_contain_text("2023")
    expect(first).to_contain_text("Above usual")

    # The demo's counts add up; the next figures are late (the demo's last HUD year is 2023).
    expect(page.get_by_role("region", name="Groups that do not add up")).to_contain_text(
        "Nothing to fix"
    )
    late = page.get_by_role("table", name=re.compile("next figure is late"))
    expect(late.get_by_role("row", name=re.compile(HUD))).to_contain_text("2023")
    screenshot(page, "data-quality.png")

    # From a value far from usual to its history.
    first.get_by_role("link", name=re.compile("History")).click()
    expect(page.get_by_role("heading", name="History of a value", level=1)).to_be_visible()
    expect(page.get_by_text("Community-wide (no partner)")).to_be_visible()
    check_a11y(page)


def test_a_steward_may_not_see_the_data_quality_page(page: Page, full_demo) -> None:
    demo = full_demo
    sign_in(page, demo, "steward@demo.backbone.test")
    visit(page, demo.initiative_url("quality/"), status=403)
