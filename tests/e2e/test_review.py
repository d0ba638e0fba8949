"""The backbone reviews partners' reports in the browser: returns one with a reason, approves
another, follows a round's completeness, opens a new round, and restores an old version of a
value from its history. Every page and state is checked with axe."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@demo.backbone.test"
COLUMBUS = "Columbus/Franklin County CoC"
CINCINNATI = "Cincinnati/Hamilton County CoC"
ROUND = "2025 annual performance report"
SERVED = "People served in emergency shelter (sample)"


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button; return the response of the page the browser ends up on."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def _second_report_sent() -> None:
    """The demo has one report waiting (Columbus); Cincinnati sends its draft too."""
    from backbone.core.permissions import COMMAND_LINE
    from backbone.measurement import services as s
    from backbone.measurement.models import Submission

    draft = Submission.objects.get(round__name=ROUND, organization__name=CINCINNATI)
    s.submission_submit(actor=COMMAND_LINE, submission=draft, expected_version=draft.version)


def _correct_columbus_served(value: int) -> None:
    """After the return, Columbus corrects its shelter count (a new version of the value)."""
    from backbone.core.permissions import COMMAND_LINE
    from backbone.measurement import services as s
    from backbone.measurement.models import Observation

    obs = Observation.objects.get(
        indicator__code="people-served-shelter",
        period__code="2025",
        organization__name=COLUMBUS,
    )
    entry = s.Entry(
        indicator=obs.indicator,
        place=obs.place,
        period=obs.period,
        breakdown=obs.breakdown,
        organization=obs.organization,
        figures=s.Figures(value=Decimal(value)),
        expected_version=obs.version,
    )
    s.observation_record(actor=COMMAND_LINE, entry=entry, reason="Moves between shelters removed")


def test_admin_reviews_reports_rounds_and_a_values_history(page: Page, full_demo) -> None:
    demo = full_demo
    _second_report_sent()
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url())
    page.get_by_role("navigation", name="Initiative").get_by_role(
        "link", name="Review data"
    ).click()
    expect(page.get_by_role("heading", name="Review data", level=1)).to_be_visible()
    waiting = page.get_by_role("region", name=re.compile("Waiting for your review"))
    expect(waiting.get_by_role("heading")).to_have_text("Waiting for your review (2 reports)")
    rows = waiting.get_by_role("row")  # 0: the header; oldest first
    expect(rows.nth(1)).to_contain_text(COLUMBUS)
    expect(rows.nth(2)).to_contain_text(CINCINNATI)
    check_a11y(page)
    screenshot(page, "approval-queue.png")

    # Columbus: the values beside 2024, a large change flagged in words.
    waiting.get_by_role("link", name=f"Review {COLUMBUS}, {ROUND}").click()
    expect(page.get_by_role("heading", name=f"{COLUMBUS}: {ROUND}", level=1)).to_be_visible()
    served = page.get_by_role("row", name=re.compile(re.escape(SERVED)))
    expect(served).to_contain_text("Large change: check it")
    expect(served).to_contain_text("(2024)")
    check_a11y(page)
    screenshot(page, "review-submission.png")

    # Returning needs a reason: refused and explained, nothing changed.
    decision = page.get_by_role("region", name="Your decision")
    response = submit(page, decision.get_by_role("button", name="Return to the partner"))
    assert response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("Say why the report is returned")
    expect(page.get_by_label("Why are you returning it?")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
    page.get_by_label("Why are you returning it?").fill(
        "People served rose by 40% — please check for people counted in two shelters."
    )
    assert submit(page, page.get_by_role("button", name="Return to the partner")).status == 200
    expect(page.get_by_role("status")).to_contain_text(f"Returned the report to {COLUMBUS}")
    expect(page.get_by_role("region", name=re.compile("Waiting"))).to_contain_text("(1 report)")
    check_a11y(page)

    # Cincinnati: approved.
    page.get_by_role("link", name=f"Review {CINCINNATI}, {ROUND}").click()
    expect(page.get_by_role("heading", name=f"{CINCINNATI}: {ROUND}", level=1)).to_be_visible()
    check_a11y(page)
    assert submit(page, page.get_by_role("button", name="Approve this report")).status == 200
    expect(page.get_by_role("status")).to_contain_text(f"Approved the report of {CINCINNATI}")
    expect(page.get_by_text("Nothing is waiting")).to_be_visible()
    decided = page.get_by_role("region", name="Recently decided").get_by_role("row")
    expect(decided.nth(1)).to_contain_text(CINCINNATI)
    expect(decided.nth(1)).to_contain_text("Approved")
    expect(decided.nth(2)).to_contain_text(COLUMBUS)
    expect(decided.nth(2)).to_contain_text("Returned for changes")
    check_a11y(page)

    # The round's completeness.
    page.get_by_role("link", name=ROUND, exact=True).click()
    expect(page.get_by_role("heading", name=ROUND, level=1)).to_be_visible()
    expect(page.get_by_text("1 of 9 reported")).to_be_visible()
    expect(page.get_by_role("row", name=CINCINNATI)).to_contain_text("Approved")
    expect(page.get_by_role("row", name=COLUMBUS)).to_contain_text("Returned for changes")
    expect(page.get_by_role("row", name="Toledo")).to_contain_text("Not started")
    check_a11y(page)
    screenshot(page, "round-completeness.png")

    # Open a new round: a mistake is explained, then it opens.
    page.get_by_role("link", name="Back to the review queue").click()
    page.get_by_role("link", name="Open a new reporting round").click()
    expect(page.get_by_role("heading", name="Open a reporting round", level=1)).to_be_visible()
    check_a11y(page)
    page.get_by_label("Name").fill("2026 annual performance report")
    page.get_by_label("Period the figures are for").fill("twenty-six")
    page.get_by_label("Due date").fill("2027-01-31")
    page.get_by_label("Returns to homelessness within two years (sample)").check()
    page.get_by_label(COLUMBUS).check()
    assert submit(page, page.get_by_role("button", name="Open the round")).status == 422
    expect(page.get_by_role("alert")).to_contain_text("is not a period")
    check_a11y(page)
    page.get_by_label("Period the figures are for").fill("2026")
    assert submit(page, page.get_by_role("button", name="Open the round")).status == 200
    expect(page.get_by_role("heading", name="2026 annual performance report")).to_be_visible()
    expect(page.get_by_text("0 of 1 reported")).to_be_visible()
    check_a11y(page)

    # A value's history: Columbus corrected its count after the return; restore the original.
    _correct_columbus_served(1700)
    page.get_by_role("link", name="Back to the review queue").click()
    page.get_by_role("region", name="Recently decided").get_by_role(
        "link", name=COLUMBUS
    ).first.click()
    page.get_by_role("link", name=f"History — {SERVED}, Total (everyone)").click()
    expect(page.get_by_role("heading", name="History of a value", level=1)).to_be_visible()
    history = page.get_by_role("table", name="Changes, newest first").get_by_role("row")
    expect(history.nth(1)).to_contain_text("Moves between shelters removed")
    expect(history.nth(1)).to_contain_text("2,182 → 1,700")
    expect(history.nth(1)).to_contain_text("command line")
    expect(history.nth(2)).to_contain_text("Returned for changes")
    expect(history.nth(2)).to_contain_text("Alex Rivera (sample)")
    check_a11y(page)
    page.get_by_role("link", name="Restore version 3").click()
    expect(page.get_by_role("heading", name="Restore version 3?")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Value"))).to_contain_text("1,700")
    check_a11y(page)
    assert submit(page, page.get_by_role("button", name="Restore this version")).status == 200
    expect(page.get_by_role("status")).to_contain_text(
        "Restored the figures of version 3. They are now version 5."
    )
    history = page.get_by_role("table", name="Changes, newest first").get_by_role("row")
    expect(history.nth(1)).to_contain_text("1,700 → 2,182")
    expect(history.nth(1)).to_contain_text("Restored version 3")
    expect(history.nth(1)).to_contain_text("Alex Rivera (sample)")
    check_a11y(page)
    screenshot(page, "value-history.png")


def test_a_steward_sees_their_own_values_history_but_not_the_review_pages(
    page: Page, full_demo
) -> None:
    from backbone.measurement.models import Observation

    demo = full_demo
    own = Observation.objects.filter(organization__name=CINCINNATI, period__code="2025").first()
    other = Observation.objects.filter(organization__name=COLUMBUS, period__code="2025").first()
    sign_in(page, demo, "steward@demo.backbone.test")
    visit(page, demo.initiative_url(f"review/observations/{own.pk}/history/"))
    expect(page.get_by_role("heading", name="History of a value", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Restore version"))).to_have_count(0)
    visit(page, demo.initiative_url(f"review/observations/{other.pk}/history/"), status=403)
    visit(page, demo.initiative_url("review/"), status=403)
