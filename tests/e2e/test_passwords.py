"""Forgotten and changed passwords, in the browser: every page of both flows is axe-checked."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.helpers import check_a11y, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBER = "member@demo.backbone.test"
RESET_LINK = re.compile(r"https?://\S+/accounts/password/reset/[^/\s]+/[^/\s]+/")
NEW_PASSWORD = "lantern-orchard-meadow-71"
NEW_LABEL = re.compile(r"^New password:?$")  # not "New password confirmation"


def test_forgotten_password_is_reset_by_email_link(page: Page, demo) -> None:
    visit(page, demo.url("/accounts/login/"))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(MEMBER)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    check_a11y(page)

    assert len(mail.outbox) == 1
    link = RESET_LINK.search(mail.outbox[0].body)
    assert link, mail.outbox[0].body
    visit(page, link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password", level=1)).to_be_visible()
    # Two different passwords are refused, with the reason next to the field.
    page.get_by_label(NEW_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_a11y(page)
    page.get_by_label(NEW_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Password saved", level=1)).to_be_visible()
    check_a11y(page)

    # The link works once; the new password signs in.
    visit(page, link.group(0))
    expect(page.get_by_text("This link has expired or was already used.")).to_be_visible()
    sign_in(page, demo, MEMBER, NEW_PASSWORD)


def test_signed_in_person_changes_their_password(page: Page, demo) -> None:
    sign_in(page, demo, MEMBER)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Change your password", level=1)).to_be_visible()
    check_a11y(page)
    page.get_by_label("Old password").fill("not-my-password")
    page.get_by_label(NEW_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("Old password")
    check_a11y(page)
    page.get_by_label("Old password").fill(demo.password)
    page.get_by_label(NEW_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Password changed", level=1)).to_be_visible()
    check_a11y(page)
