"""The learning agenda in a real browser: the backbone admin asks a question, moves the demo's
improvement cycle on (with a refusal that says which box to fix), meets a conflict that saves
nothing; a partner reads the agenda without the buttons; every page and state passes axe."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@demo.backbone.test"
MEMBER = "member@demo.backbone.test"
PILOT = "Landlord engagement pilot (sample)"
EXITS_QUESTION = (
    "Why are exits to housing lower for Black households, and what would close the gap? (sample)"
)


def submit(page: Page, button: Locator) -> Response:
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def field(page: Page, label: str) -> Locator:
    """The form field labelled exactly ``label`` (Django adds a colon to labels)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def test_admin_asks_a_question_and_moves_a_cycle_on(page: Page, full_demo) -> None:
    demo = full_demo
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url())
    page.get_by_role("navigation", name="Initiative").get_by_role("link", name="Learning").click()
    expect(page.get_by_role("heading", name="Learning agenda", level=1)).to_be_visible()
    check_a11y(page)
    expect(page.get_by_role("heading", name=EXITS_QUESTION, level=3)).to_be_visible()
    card = page.locator(
        "article.card", has=page.get_by_role("heading", name=re.compile(re.escape(PILOT)))
    )
    expect(card.locator('[aria-current="step"]')).to_contain_text("3. Study")
    expect(card.locator('[aria-current="step"]')).to_contain_text("Current stage")
    # The question's indicators lead to their pages.
    question = page.locator("article", has=page.get_by_role("heading", name=EXITS_QUESTION))
    expect(
        question.get_by_role("link", name="Exits to permanent housing (sample)").first
    ).to_have_attribute("href", re.compile(r"/indicators/exits-to-permanent-housing/$"))
    screenshot(page, "learning-agenda.png")

    # A new question: an empty form is refused at its boxes, then saved.
    page.get_by_role("link", name="Add a learning question").click()
    expect(page.get_by_role("heading", name="New learning question", level=1)).to_be_visible()
    check_a11y(page)
    expect(field(page, "Question")).to_have_accessible_description(
        re.compile(r"^One question, in plain words")
    )
    assert submit(page, page.get_by_role("button", name="Save")).status == 422
    expect(page.get_by_role("alert")).to_contain_text("Question: This field is required.")
    expect(field(page, "Question")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
    field(page, "Question").fill("Do people housed through the pilot stay housed?")
    field(page, "Why it matters").fill("A home kept is the point, not only a home found.")
    page.get_by_label("Returns to homelessness within two years (sample)").check()
    assert submit(page, page.get_by_role("button", name="Save")).status == 200
    expect(page.get_by_role("status")).to_contain_text("The learning question was added.")
    expect(
        page.get_by_role("heading", name="Do people housed through the pilot stay housed?")
    ).to_be_visible()
    check_a11y(page)

    # The cycle moves to done: without its end date it is refused, saying which box.
    page.get_by_role("link", name=f"Edit the cycle {PILOT}").click()
    expect(page.get_by_role("heading", name=f"Edit the improvement cycle {PILOT}")).to_be_visible()
    check_a11y(page)
    expect(
        page.get_by_label("Start a new phase on the control charts")
    ).to_have_accessible_description(
        "Recompute control-chart limits from this date: the process changed, so earlier limits "
        "no longer describe it. Needs the day the change was put in place."
    )
    screenshot(page, "learning-cycle.png")
    page.get_by_label("Stage").select_option(label="Done")
    page.get_by_label("Decision").select_option(label="Adapt: change it and try again")
    field(page, "Act").fill("Keep the fund; hire a second navigator before trying again.")
    field(page, "Finding").fill("Landlords join when someone calls weekly; the fund keeps them.")
    assert submit(page, page.get_by_role("button", name="Save")).status == 422
    expect(page.get_by_role("alert")).to_contain_text(
        "Ended on: A finished cycle needs the date it ended."
    )
    expect(field(page, "Ended on")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
    field(page, "Ended on").fill("2024-12-31")
    assert submit(page, page.get_by_role("button", name="Save")).status == 200
    expect(page.get_by_role("status")).to_contain_text(f"The improvement cycle {PILOT} was saved.")
    card = page.locator(
        "article.card", has=page.get_by_role("heading", name=re.compile(re.escape(PILOT)))
    )
    expect(card.locator('[aria-current="step"]')).to_have_count(0)
    expect(card).to_contain_text("Finding: Landlords join when someone calls weekly")
    check_a11y(page)


def test_a_conflicting_edit_saves_nothing_and_says_who_changed_it(page: Page, full_demo) -> None:
    from backbone.agenda import services
    from backbone.agenda.models import LearningQuestion
    from backbone.core.models import User

    demo = full_demo
    sign_in(page, demo, ADMIN)
    question = LearningQuestion.objects.get(question=EXITS_QUESTION)
    visit(page, demo.initiative_url(f"learning/questions/{question.pk}/"))
    expect(page.get_by_role("heading", name="Edit the learning question", level=1)).to_be_visible()
    # Meanwhile, someone else answers it.
    services.question_update(
        actor=User.objects.get(email=ADMIN),
        question=question,
        changes={
            "status": "answered",
            "answer": "Landlords turned down housing vouchers.",
            "answered_on": date(2024, 6, 1),
        },
        expected_version=question.version,
    )
    field(page, "Why it matters").fill("My own words.")
    assert submit(page, page.get_by_role("button", name="Save")).status == 409
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("changed this while you were editing it")
    expect(alert).to_contain_text("My own words.")
    expect(field(page, "Answer")).to_have_value("Landlords turned down housing vouchers.")
    check_a11y(page)


def test_a_partner_reads_the_agenda_without_the_buttons(page: Page, full_demo) -> None:
    demo = full_demo
    sign_in(page, demo, MEMBER)
    visit(page, demo.initiative_url("learning/"))
    expect(page.get_by_role("heading", name=EXITS_QUESTION)).to_be_visible()
    expect(page.get_by_role("link", name="Add a learning question")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    visit(page, demo.initiative_url("learning/questions/new/"), status=403)


def test_every_learning_page_is_accessible_even_when_empty(page: Page, demo) -> None:
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url("learning/"))
    expect(page.get_by_text("No learning questions or improvement cycles yet.")).to_be_visible()
    for path in ("learning/questions/new/", "learning/cycles/new/"):
        visit(page, demo.initiative_url(path))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    # A cycle with nothing filled in answers 422 with every problem listed.
    assert submit(page, page.get_by_role("button", name="Save")).status == 422
    expect(page.get_by_role("alert")).to_contain_text("Title: This field is required.")
    check_a11y(page)
