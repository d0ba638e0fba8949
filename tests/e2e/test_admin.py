"""The backbone admin runs the initiative: partners, people, invitations, settings, activity."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page, Response, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@demo.backbone.test"
NEW_ORG = "Hamilton County Public Library (sample)"
CINCINNATI = "Cincinnati/Hamilton County CoC"
COLUMBUS = "Columbus/Franklin County CoC"
INVITATION_LINK = re.compile(r"https?://\S+/accounts/invitations/[\w-]+/")


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button; return the response of the page the browser ends up on."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def initiative_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Initiative")


def test_admin_manages_partners_people_and_settings(page: Page, demo) -> None:
    sign_in(page, demo, ADMIN)
    expect(page.get_by_role("button", name="Sign out (Alex)")).to_be_visible()
    page.get_by_role("link", name="Ohio Home for All").click()
    manage = initiative_nav(page).get_by_role("link", name="Manage partners")
    expect(manage).to_be_visible()
    check_a11y(page)
    manage.click()
    expect(page.get_by_role("heading", name="Manage partners", level=1)).to_be_visible()
    check_a11y(page)

    # An empty form is refused, with a summary of what to fix.
    add_form = page.get_by_role("region", name="Add a partner")
    response = submit(page, add_form.get_by_role("button", name="Add partner"))
    assert response.status == 422
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="Please correct the following")).to_be_visible()
    expect(summary).to_contain_text("Choose an existing organization or name a new one.")
    expect(summary.get_by_role("link", name="Joined on: This field is required.")).to_be_visible()
    expect(add_form.get_by_label("Joined on")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)

    # A new organization becomes a partner.
    add_form.get_by_label("New organization’s name").fill(NEW_ORG)
    add_form.get_by_label("New organization’s sector").select_option(label="Education")
    add_form.get_by_label("Role in the initiative").select_option(label="Partner")
    add_form.get_by_label("Joined on").fill("2024-03-01")
    assert submit(page, add_form.get_by_role("button", name="Add partner")).status == 200
    expect(page.get_by_role("status")).to_contain_text(f"{NEW_ORG} is now a partner.")
    new_row = page.get_by_role("row", name=NEW_ORG)
    expect(new_row).to_contain_text("Not yet")
    check_a11y(page)
    screenshot(page, "manage-partners.png")

    # Record the new partner's signed commitment.
    new_row.get_by_role("link", name=f"Edit {NEW_ORG}").click()
    expect(page.get_by_role("heading", name=f"{NEW_ORG} in this initiative")).to_be_visible()
    check_a11y(page)
    page.get_by_label("Commitment signed on").fill("2024-04-02")
    page.get_by_label("Signed by").fill("Pat Doe, Library Director (sample)")
    assert submit(page, page.get_by_role("button", name="Save")).status == 200
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_role("row", name=NEW_ORG)).to_contain_text("Signed 04/02/2024")
    check_a11y(page)

    # The People page of a partner organization.
    page.get_by_role("link", name=f"People — {CINCINNATI}").click()
    expect(page.get_by_role("heading", name=f"People in {CINCINNATI}", level=1)).to_be_visible()
    expect(page.get_by_role("row", name="Sam Okafor (sample)")).to_be_visible()
    check_a11y(page)

    # Invite someone by email.
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill("Dana.Fields@example.org")
    invite.get_by_label("Role").select_option(label="Member")
    assert submit(page, invite.get_by_role("button", name="Send invitation")).status == 200
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to Dana.Fields@example.org")
    pending = page.get_by_role("region", name="Invitations waiting for an answer")
    expect(pending).to_contain_text("dana.fields@example.org — Member")
    assert [m.to for m in mail.outbox] == [["dana.fields@example.org"]]
    check_a11y(page)

    # Change a member's role.
    page.get_by_label("Role of Sam Okafor (sample)").select_option(label="Member")
    change = page.get_by_role("button", name="Change role of Sam Okafor (sample)")
    assert submit(page, change).status == 200
    expect(page.get_by_role("status")).to_contain_text("Sam Okafor (sample) is now Member.")
    expect(page.get_by_label("Role of Sam Okafor (sample)")).to_have_value("member")
    check_a11y(page)
    screenshot(page, "manage-members.png")

    # Settings: a bad value is refused and explained; a good one is saved.
    initiative_nav(page).get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Ohio Home for All", level=1)).to_be_visible()
    check_a11y(page)
    initiative_nav(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Initiative settings", level=1)).to_be_visible()
    check_a11y(page)
    page.get_by_label("Small-number threshold").fill("0")
    assert submit(page, page.get_by_role("button", name="Save")).status == 422
    expect(page.get_by_role("alert")).to_contain_text("Small-number threshold")
    check_a11y(page)
    page.get_by_label("Small-number threshold").fill("12")
    assert submit(page, page.get_by_role("button", name="Save")).status == 200
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_text("Public figures smaller than 12 are hidden")).to_be_visible()
    check_a11y(page)

    # The activity log lists every change, newest first, with who made it.
    initiative_nav(page).get_by_role("link", name="Activity log").click()
    expect(page.get_by_role("heading", name="Activity log", level=1)).to_be_visible()
    rows = page.get_by_role("table").get_by_role("row")  # rows.nth(0) is the header
    expect(rows.nth(1)).to_contain_text("Changed the initiative’s settings")
    expect(rows.nth(2)).to_contain_text(
        f"Changed the role of Sam Okafor (sample) in {CINCINNATI} to Member"
    )
    expect(rows.nth(3)).to_contain_text(f"Invited dana.fields@example.org to {CINCINNATI}")
    expect(rows.nth(4)).to_contain_text(f"Changed the partnership of {NEW_ORG}")
    expect(rows.nth(5)).to_contain_text(f"Added {NEW_ORG} as Partner")
    expect(rows.nth(6)).to_contain_text(f"Created the organization {NEW_ORG}")
    for n in range(1, 7):
        expect(rows.nth(n)).to_contain_text("Alex Rivera (sample)")
    check_a11y(page)
    screenshot(page, "activity-log.png")


def test_invited_person_creates_an_account_in_the_browser(page: Page, new_page, demo) -> None:
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url(f"organizations/{demo.org_id(COLUMBUS)}/members/"))
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email address").fill("riley.newcomer@example.org")
    invite.get_by_label("Role").select_option(label="Data steward")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent")
    check_a11y(page)

    # The live server runs in this process: its email lands in the same outbox.
    assert len(mail.outbox) == 1
    link = INVITATION_LINK.search(mail.outbox[0].body)
    assert link, mail.outbox[0].body

    newcomer = new_page()
    visit(newcomer, link.group(0))
    expect(newcomer.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    expect(
        newcomer.get_by_text(f"join {COLUMBUS} as Data steward in Ohio Home for All")
    ).to_be_visible()
    expect(newcomer.get_by_text("You will sign in with riley.newcomer@example.org")).to_be_visible()

    # Two different passwords are refused, and the page says why.
    newcomer.get_by_label("Your name").fill("Riley Newcomer")
    newcomer.get_by_label("Choose a password").fill("tulip-harbor-lantern-42")
    newcomer.get_by_label("Type the password again").fill("tulip-harbor-lantern-43")
    create = newcomer.get_by_role("button", name="Create my account")
    assert submit(newcomer, create).status == 422
    expect(newcomer.get_by_role("alert")).to_contain_text("The two passwords are not the same.")
    check_a11y(newcomer)

    newcomer.get_by_label("Choose a password").fill("tulip-harbor-lantern-42")
    newcomer.get_by_label("Type the password again").fill("tulip-harbor-lantern-42")
    assert submit(newcomer, create).status == 200
    expect(newcomer).to_have_url(demo.initiative_url())
    expect(newcomer.get_by_role("heading", name="Ohio Home for All", level=1)).to_be_visible()
    expect(newcomer.get_by_role("status")).to_contain_text(
        f"Welcome! You are now Data steward in {COLUMBUS}."
    )
    expect(newcomer.get_by_role("button", name="Sign out (Riley)")).to_be_visible()
    check_a11y(newcomer)

    # The link worked once; opened again, it explains that it cannot be used.
    stranger = new_page()
    visit(stranger, link.group(0), status=410)
    expect(stranger.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()


def test_removing_a_partner_asks_first_and_can_be_cancelled(page: Page, demo) -> None:
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url("manage/partners/"))
    # The admin menu stays on every management page.
    expect(initiative_nav(page).get_by_role("link", name="Activity log")).to_be_visible()
    page.get_by_role("link", name=f"Remove {COLUMBUS}").click()
    expect(page.get_by_role("heading", name="Please confirm")).to_be_visible()
    expect(page.get_by_text(f"Remove {COLUMBUS} from Ohio Home for All?")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("link", name=COLUMBUS, exact=True)).to_be_visible()
    page.get_by_role("link", name=f"Remove {COLUMBUS}").click()
    submit(page, page.get_by_role("button", name="Remove the partner"))
    expect(page.get_by_text(f"{COLUMBUS} is no longer a partner.")).to_be_visible()
    expect(page.get_by_role("link", name=COLUMBUS, exact=True)).to_have_count(0)
    check_a11y(page)


def test_removing_a_person_asks_first(page: Page, demo) -> None:
    sign_in(page, demo, ADMIN)
    visit(page, demo.initiative_url(f"organizations/{demo.org_id(COLUMBUS)}/members/"))
    page.get_by_role("link", name="Remove Jordan Lee (sample)").click()
    expect(page.get_by_text(f"Remove Jordan Lee (sample) from {COLUMBUS}?")).to_be_visible()
    check_a11y(page)
    submit(page, page.get_by_role("button", name="Remove the person"))
    expect(page.get_by_role("status")).to_contain_text(
        f"Jordan Lee (sample) was removed from {COLUMBUS}."
    )
    expect(page.get_by_text("member@demo.backbone.test")).to_have_count(0)
    check_a11y(page)
