"""The demo initiative: built from HUD's data, idempotent, and every demo login works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backbone.core.models import Initiative, Membership, Organization, Partnership
from backbone.core.permissions import Action, can
from backbone.demo.loader import DEMO_PASSWORD, SLUG, load_demo, ohio_cocs

pytestmark = pytest.mark.django_db


def test_the_nine_ohio_continuums_of_care_come_from_the_hud_data():
    cocs = dict(ohio_cocs())
    assert len(cocs) == 9
    assert cocs["OH-500"] == "Cincinnati/Hamilton County CoC"
    assert cocs["OH-507"] == "Ohio Balance of State CoC"


def test_loading_twice_changes_nothing():
    load_demo()
    counts = [m.objects.count() for m in (Initiative, Organization, Partnership, Membership)]
    load_demo()
    assert [
        m.objects.count() for m in (Initiative, Organization, Partnership, Membership)
    ] == counts
    assert counts == [1, 12, 12, 5]


def test_each_demo_login_signs_in_with_its_role(client):
    logins = load_demo()
    initiative = Initiative.objects.get(slug=SLUG)
    assert [login.role for login in logins] == [
        "Backbone admin",
        "Data steward",
        "Member",
        "Funder",
        "Community member",
    ]
    for login in logins:
        client.logout()
        response = client.post(
            reverse("accounts:login"), {"username": login.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, login.email
        user = response.wsgi_request.user
        assert can(user, Action.VIEW_PRIVATE, initiative)
        assert can(user, Action.MANAGE_PARTNERS, initiative) is (login.role == "Backbone admin")


def test_the_demo_is_public_and_shows_on_the_home_page(client):
    load_demo()
    page = client.get(reverse("core:initiative_home", args=[SLUG])).content.decode()
    assert "Ohio Home for All" in page
    assert "11,386 people in Ohio" in page
    assert "Ohio Home for All" in client.get("/").content.decode()
