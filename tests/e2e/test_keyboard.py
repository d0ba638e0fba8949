"""Everything works from the keyboard alone: no mouse, no clicks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import check_a11y, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_ORG = "Northside Free Clinic (sample)"
MAX_TABS = 120


def is_focused(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus (and fail if it never gets it)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if is_focused(target):
            break
    expect(target).to_be_focused()
    # The focus must be visible (WCAG 2.4.7): our focus style is an outline.
    assert target.evaluate("el => getComputedStyle(el).outlineStyle") != "none"


def test_skip_link_is_first_and_moves_focus_to_main(page: Page, demo) -> None:
    visit(page, demo.initiative_url())
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    check_a11y(page)  # with the skip link shown
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab lands inside the main content, past the header and navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_sign_in_and_add_a_partner_with_the_keyboard_only(page: Page, demo) -> None:
    visit(page, demo.url("/accounts/login/"))
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type("admin@demo.backbone.test")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(demo.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out (Alex)")).to_be_visible()
    check_a11y(page)

    tab_to(page, page.get_by_role("link", name="Ohio Home for All"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Ohio Home for All", level=1)).to_be_visible()
    check_a11y(page)
    tab_to(page, page.get_by_role("link", name="Manage partners"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Manage partners", level=1)).to_be_visible()
    check_a11y(page)

    form = page.get_by_role("region", name="Add a partner")
    name = form.get_by_label("New organization’s name")
    tab_to(page, name)
    page.keyboard.type(NEW_ORG)
    page.keyboard.press("Tab")
    sector = form.get_by_label("New organization’s sector")
    expect(sector).to_be_focused()
    page.keyboard.type("Health")  # type-ahead picks the matching option
    expect(sector).to_have_value("health")
    page.keyboard.press("Tab")
    kind = form.get_by_label("Role in the initiative")
    expect(kind).to_be_focused()
    page.keyboard.type("Partner")
    expect(kind).to_have_value("partner")
    page.keyboard.press("Tab")
    joined = form.get_by_label("Joined on")
    expect(joined).to_be_focused()
    page.keyboard.type("03012024")  # month, day, year: the date field moves on by itself
    expect(joined).to_have_value("2024-03-01")
    tab_to(page, form.get_by_role("button", name="Add partner"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(f"{NEW_ORG} is now a partner.")
    row = page.get_by_role("row", name=NEW_ORG)
    expect(row).to_contain_text("Partner")
    expect(row).to_contain_text("Not yet")
    check_a11y(page)
