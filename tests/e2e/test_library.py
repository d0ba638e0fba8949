"""The backbone admin keeps the indicator library: adds an indicator (with the help in front of
them), edits it, changes what it measures, adds a dimension with the keyboard alone, and every
library page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@demo.backbone.test"
MAX_TABS = 60


def submit(page: Page, button: Locator) -> Response:
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def field(page: Page, label: str) -> Locator:
    """The form field labelled exactly ``label`` (Django adds a colon to labels)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def is_focused(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if is_focused(target):
            break
    expect(target).to_be_focused()
    assert target.evaluate("el => getComputedStyle(el).outlineStyle") != "none"


def test_admin_adds_and_edits_an_indicator(page: Page, full_demo) -> None:
    demo = full_demo
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url())
    page.get_by_role("navigation", name="Initiative").get_by_role(
        "link", name="Indicator library"
    ).click()
    expect(page.get_by_role("heading", name="Indicator library", level=1)).to_be_visible()
    check_a11y(page)
    expect(page.get_by_role("row", name="People experiencing homelessness")).to_be_visible()
    screenshot(page, "indicator-library.png")

    page.get_by_role("link", name="Add an indicator").click()
    expect(page.get_by_role("heading", name="New indicator", level=1)).to_be_visible()
    check_a11y(page)
    # The help says what "ratio of sums" means, right under the choice.
    combine = page.get_by_label("How to combine")
    expect(combine).to_have_accessible_description(
        "How figures from several partners, places or groups become one. “Add up” is for "
        "counts: each partner’s people served add to the total. “Ratio of sums” is for percents "
        "and rates: add up every numerator, add up every denominator, then divide once — never "
        "average the percents, or a partner serving 10 people would weigh as much as one serving "
        "1,000. “Latest value” is for stocks counted at one moment, such as beds available."
    )

    # A percent that would be added up is refused, saying why and what to choose.
    page.get_by_label("Code").fill("housed-in-30-days")
    field(page, "Name").fill("Housed within 30 days")
    page.get_by_label("Unit").select_option(label="Percent")
    combine.select_option(label="Add up (counts)")
    page.get_by_label("Direction").select_option(label="Higher is better")
    page.get_by_label("Level").select_option(label="Performance (a program’s)")
    page.get_by_label("Performance question").select_option(label="How well did we do it?")
    page.get_by_label("Reported every").select_option(label="Year")
    response = submit(page, page.get_by_role("button", name="Save"))
    assert response.status == 422
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Percents cannot be added up")
    expect(page.get_by_label("How to combine")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)

    page.get_by_label("How to combine").select_option(label="Ratio of sums (percents and rates)")
    field(page, "Numerator").fill("People housed within 30 days of entry")
    field(page, "Denominator").fill("People who entered a program")
    page.get_by_label("Decimals shown").fill("1")
    page.get_by_label("Baseline period").fill("2023")
    page.get_by_label("Race and ethnicity").check()
    assert submit(page, page.get_by_role("button", name="Save")).status == 200
    expect(page.get_by_role("status")).to_contain_text(
        "The indicator Housed within 30 days was added."
    )
    row = page.get_by_role("row", name="Housed within 30 days")
    expect(row).to_contain_text("housed-in-30-days")
    expect(row).to_contain_text("Private: people taking part")
    check_a11y(page)

    # Edit it: a plain change saves at once; a change to what is measured asks when and why.
    row.get_by_role("link", name="Edit Housed within 30 days").click()
    expect(page.get_by_role("heading", name="Edit Housed within 30 days")).to_be_visible()
    check_a11y(page)
    field(page, "Public").check()
    page.get_by_label("Plain-language definition").fill(
        "People housed within 30 days of entering any shelter or outreach program."
    )
    assert submit(page, page.get_by_role("button", name="Save")).status == 422
    expect(page.get_by_role("alert")).to_contain_text(
        "You changed what is measured: say from which period"
    )
    expect(page.get_by_label("First period measured the new way")).to_have_attribute(
        "aria-invalid", "true"
    )
    check_a11y(page)
    page.get_by_label("First period measured the new way").fill("2025")
    page.get_by_label("Why the definition changed").fill("Outreach programs now count too.")
    assert submit(page, page.get_by_role("button", name="Save")).status == 200
    expect(page.get_by_role("status")).to_contain_text(
        "The indicator Housed within 30 days was saved."
    )
    expect(page.get_by_role("row", name="Housed within 30 days")).to_contain_text("Public")

    page.get_by_role("link", name="Edit Housed within 30 days").click()
    expect(page.get_by_role("table", name="Definition versions, oldest first")).to_contain_text(
        "Outreach programs now count too."
    )
    check_a11y(page)
    screenshot(page, "indicator-edit.png")


def test_admin_adds_a_dimension_with_the_keyboard_only(page: Page, demo) -> None:
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url("library/"))
    tab_to(page, page.get_by_role("link", name="Add a dimension"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New dimension", level=1)).to_be_visible()
    check_a11y(page)
    tab_to(page, page.get_by_label("Code"))
    page.keyboard.type("veteran")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Veteran status")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Groups")).to_be_focused()
    page.keyboard.type("veteran: Veterans")
    page.keyboard.press("Enter")
    page.keyboard.type("not-veteran: Not veterans")
    tab_to(page, page.get_by_role("button", name="Save"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("The dimension Veteran status was added.")
    expect(page.get_by_role("row", name="Veteran status")).to_contain_text("Veterans, Not veterans")
    check_a11y(page)


def test_every_library_page_is_accessible(page: Page, full_demo) -> None:
    from backbone.agenda.models import Goal, Outcome
    from backbone.measurement.models import Dimension, Place

    demo = full_demo
    sign_in(page, demo, ADMIN)
    dimension = Dimension.objects.get(code="race")
    place = Place.objects.filter(parent__isnull=False).order_by("code").first()
    goal = Goal.objects.order_by("order").first()
    outcome = Outcome.objects.order_by("goal__order", "order").first()
    for path in (
        "library/",
        "library/indicators/new/",
        "library/indicators/exits-to-permanent-housing/",
        "library/dimensions/new/",
        f"library/dimensions/{dimension.pk}/",
        "library/places/new/",
        f"library/places/{place.pk}/",
        "library/goals/new/",
        f"library/goals/{goal.pk}/",
        "library/outcomes/new/",
        f"library/outcomes/{outcome.pk}/",
    ):
        visit(page, demo.initiative_url(path))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The place tree opens with the keyboard-operable disclosure of each larger place.
    visit(page, demo.initiative_url("library/"))
    ohio = page.locator("summary", has_text=re.compile(r"^Ohio \(state"))
    cincinnati = Place.objects.get(code="OH-500")
    edit = page.get_by_role("link", name=f"Edit {cincinnati.name}", exact=True)
    expect(edit).to_be_hidden()
    ohio.focus()
    page.keyboard.press("Enter")
    expect(edit).to_be_visible()
    check_a11y(page)
    # Reordering goals from the library.
    second = Goal.objects.order_by("order")[1]
    page.get_by_role("button", name=f"Move up {second.title}").click()
    expect(page.get_by_role("status")).to_contain_text(f"The goal {second.title} was moved.")
    expect(page.get_by_role("heading", level=3).first).to_have_text(second.title)
    check_a11y(page)
