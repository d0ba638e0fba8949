"""Who may open what, and what happens after too many wrong passwords."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEWARD = "steward@demo.backbone.test"
OWN_ORG = "Cincinnati/Hamilton County CoC"
OTHER_ORG = "Columbus/Franklin County CoC"


def test_steward_manages_own_organization_only(page: Page, demo) -> None:
    sign_in(page, demo, STEWARD)
    visit(page, demo.initiative_url())
    expect(page.get_by_role("link", name="Manage partners")).to_have_count(0)

    visit(page, demo.initiative_url(f"organizations/{demo.org_id(OWN_ORG)}/"))
    people = page.get_by_role("region", name="People")
    expect(people.get_by_role("row", name="Sam Okafor (sample)")).to_contain_text("Data steward")
    people.get_by_role("link", name="Manage people").click()
    expect(page.get_by_role("heading", name=f"People in {OWN_ORG}", level=1)).to_be_visible()
    # A steward can hand out any role but backbone admin.
    role = page.get_by_role("region", name="Invite someone").get_by_label("Role")
    expect(role.get_by_role("option")).to_have_text(
        ["Data steward", "Member", "Funder", "Community member"]
    )
    check_a11y(page)

    other_members = f"organizations/{demo.org_id(OTHER_ORG)}/members/"
    visit(page, demo.initiative_url(other_members), status=403)
    expect(page.get_by_role("heading", name="You cannot do this here", level=1)).to_be_visible()
    expect(page.get_by_text("Jordan Lee")).to_have_count(0)
    visit(page, demo.initiative_url("manage/partners/"), status=403)


def test_five_wrong_passwords_pause_signing_in(page: Page, demo) -> None:
    visit(page, demo.url("/accounts/login/"))
    email, password = page.get_by_label("Email address"), page.get_by_label("Password")
    sign_in_button = page.get_by_role("button", name="Sign in")
    for attempt in range(1, 5):
        email.fill("member@demo.backbone.test")
        password.fill(f"wrong-password-{attempt}")
        with page.expect_navigation() as navigation:
            sign_in_button.click()
        assert navigation.value.status == 200
        expect(page.get_by_role("alert")).to_contain_text("do not match")
        check_a11y(page)

    email.fill("member@demo.backbone.test")
    password.fill("wrong-password-5")
    with page.expect_navigation() as navigation:
        sign_in_button.click()
    assert navigation.value.status == 429
    expect(page.get_by_role("heading", name="Signing in is paused", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("5 wrong passwords in a row")
    expect(page.get_by_role("link", name="Set a new password")).to_be_visible()
    check_a11y(page)
    screenshot(page, "locked-out.png")

    # Even the right password is refused while signing in is paused.
    visit(page, demo.url("/accounts/login/"))
    email.fill("member@demo.backbone.test")
    password.fill(demo.password)
    with page.expect_navigation() as navigation:
        sign_in_button.click()
    assert navigation.value.status == 429
    expect(page.get_by_role("heading", name="Signing in is paused", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_a11y(page)
