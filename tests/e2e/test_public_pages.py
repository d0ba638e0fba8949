"""What anyone sees without signing in, on a desktop screen and on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.helpers import PHONE, check_a11y, screenshot, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_anonymous_visitor_browses_the_public_demo_initiative(page: Page, demo) -> None:
    visit(page, demo.url("/"))
    expect(page.get_by_role("heading", name="Initiatives", level=1)).to_be_visible()
    initiative_link = page.get_by_role("link", name="Ohio Home for All")
    expect(initiative_link).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    screenshot(page, "home.png")

    initiative_link.click()
    expect(page.get_by_role("heading", name="Ohio Home for All", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="The problem we share")).to_be_visible()
    expect(page.get_by_role("table", name="Organizations by their role")).to_be_visible()
    # Managing is for the backbone: no management links for a visitor.
    expect(page.get_by_role("link", name="Manage partners")).to_have_count(0)
    check_a11y(page)
    screenshot(page, "initiative-home.png")

    page.get_by_role("navigation", name="Initiative").get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", name="Partners", level=1)).to_be_visible()
    partners = page.get_by_role("table")
    expect(partners.get_by_role("link", name="Columbus/Franklin County CoC")).to_be_visible()
    check_a11y(page)
    screenshot(page, "partners.png")

    # Filter the list to funders only.
    page.get_by_label("Show").select_option(label="Funder")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(demo.initiative_url("partners/?kind=funder"))
    expect(partners.get_by_role("link")).to_have_count(1)
    expect(partners.get_by_role("link", name="Buckeye Community Foundation")).to_be_visible()
    check_a11y(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizations").click()
    expect(page.get_by_role("heading", name="Organizations", level=1)).to_be_visible()
    expect(page.get_by_role("row", name="Cincinnati/Hamilton County CoC")).to_be_visible()
    check_a11y(page)
    screenshot(page, "organizations.png")

    page.get_by_role("row", name="Cincinnati/Hamilton County CoC").get_by_role(
        "link", name="Ohio Home for All"
    ).click()
    expect(
        page.get_by_role("heading", name="Cincinnati/Hamilton County CoC", level=1)
    ).to_be_visible()
    expect(page.get_by_text("OH-500", exact=True)).to_be_visible()
    # Who works where is for the people taking part, not for the public.
    expect(page.get_by_role("heading", name="People")).to_have_count(0)
    expect(page.get_by_text("steward@demo.backbone.test")).to_have_count(0)
    check_a11y(page)


def test_sign_in_and_password_reset_pages(page: Page, demo) -> None:
    visit(page, demo.url("/"))
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_label("Email address")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    check_a11y(page)
    screenshot(page, "login.png")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?", level=1)).to_be_visible()
    check_a11y(page)
    page.get_by_label("Email").fill("member@demo.backbone.test")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    check_a11y(page)


def test_unknown_and_private_pages_show_a_readable_not_found_page(page: Page, demo) -> None:
    private = factories.initiative("private-e2e", name="Private pilot", is_public=False)
    visit(page, demo.url("/i/no-such-initiative/"), status=404)
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    # A private initiative's existence is not revealed to visitors.
    visit(page, demo.url(f"/i/{private.slug}/"), status=404)
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_text("Private pilot")).to_have_count(0)
    page.get_by_role("link", name="Go to the initiatives").click()
    expect(page.get_by_role("link", name="Ohio Home for All")).to_be_visible()
    expect(page.get_by_role("link", name="Private pilot")).to_have_count(0)
    check_a11y(page)


def test_initiative_home_fits_a_phone_screen(new_page, demo) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    for path in ("/", f"/i/{demo.slug}/partners/", "/organizations/", f"/i/{demo.slug}/"):
        visit(page, demo.url(path))
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert overflow[0] <= overflow[1], f"{path} scrolls sideways on a phone: {overflow}"
    expect(page.get_by_role("heading", name="Ohio Home for All", level=1)).to_be_visible()
    screenshot(page, "initiative-home-phone.png")
