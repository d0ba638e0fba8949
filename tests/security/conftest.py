"""The world of the security suite, built once per module and rolled back when the module ends.

Initiative A (private): a backbone organization with its admin, partners X (a data steward and a
member) and Y (someone holding the admin role in a partner organization, which gives no admin
rights, and a plain member), a funder and a community group. Initiative B (private) has its own
admin: "a user of another initiative". Initiative P is public and nobody in ``ROLES`` takes part
in it. Measurement: indicators (public and private), places, periods, a dimension, approved and
draft figures, and an open reporting round with a draft submission for X. Every signed-in role
has an API token and a browser session, made with the world.

Each test runs inside a savepoint of the module's transaction (pytest-django's ``django_db``), so
a test that removes a partner or revokes an invitation leaves the world as it was for the next.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from backbone.api.services import api_token_create
from backbone.core.models import (
    Initiative,
    Invitation,
    Membership,
    PartnerKind,
    Partnership,
    Role,
    User,
)
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as ms
from backbone.measurement.models import Indicator, Level, Period, Place, ReportingRound, Submission
from backbone.measurement.validation import Figures
from tests import factories as f

# The people the matrix tries, in the order the parametrization ids show them.
ROLES = (
    "anonymous",
    "community_member",
    "member",  # a member of partner X
    "data_steward",  # a data steward of partner X
    "funder",
    "backbone_admin",
    "admin_role_in_partner_org",  # the admin role, but in partner Y: no admin rights
    "other_initiative_admin",  # the backbone admin of initiative B
    "superuser",
)
ADMINS = frozenset({"backbone_admin", "superuser"})
A_OUTSIDERS = frozenset({"anonymous", "other_initiative_admin"})
A_PARTICIPANTS = frozenset(ROLES) - A_OUTSIDERS
SIGNED_IN = frozenset(ROLES) - {"anonymous"}

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"  # fast: the suite signs in many times
INVITATION_TOKEN = "security-suite-invitation-token"


@dataclass
class World:
    a: Initiative
    b: Initiative
    p: Initiative
    backbone: Partnership  # A's backbone organization
    x: Partnership
    y: Partnership
    b_backbone: Partnership
    p_backbone: Partnership
    users: dict[str, User | None]  # None: anonymous
    tokens: dict[str, str]  # role → API token secret
    sessions: dict[str, str]  # role → session key of a signed-in browser
    x_member: Membership  # the "member" role's membership in X
    y_member: Membership  # a plain member of Y
    p_member: Membership  # a plain member of P's backbone organization
    x_invitation: Invitation  # open, to X; accepted with INVITATION_TOKEN
    y_invitation: Invitation
    p_invitation: Invitation
    a_public_indicator: Indicator
    a_private_indicator: Indicator
    p_public_indicator: Indicator
    p_private_indicator: Indicator
    b_indicator: Indicator
    a_place: Place
    p_place: Place
    b_place: Place
    period: Period  # 2022: figures exist
    reporting_round: ReportingRound  # 2024, asks X for the public indicator
    x_submission: Submission


def _invitation(partnership: Partnership, email: str, token: str) -> Invitation:
    return Invitation.objects.create(
        email=email,
        organization=partnership.organization,
        initiative=partnership.initiative,
        role=Role.MEMBER,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        invited_by=None,
        expires_at=timezone.now() + timedelta(days=7),
    )


def _record(actor, indicator, place, period, org, value, *, approve=False, submission=None):
    entry = ms.Entry(
        indicator=indicator,
        place=place,
        period=period,
        breakdown=ms.breakdown_for(indicator.initiative, {}),
        organization=org,
        figures=Figures(value=Decimal(value)),
    )
    ms.observations_record(
        actor=actor,
        initiative=indicator.initiative,
        entries=[entry],
        approve=approve,
        submission=submission,
    )


def build_world() -> World:
    a = f.initiative("a", name="Initiative A")
    b = f.initiative("b", name="Initiative B")
    p = f.initiative("p", name="Initiative P", is_public=True)
    backbone = f.partnership(a, f.organization("A Backbone"), kind=PartnerKind.BACKBONE)
    x = f.partnership(a, f.organization("Partner X"))
    y = f.partnership(a, f.organization("Partner Y"))
    x.organization.external_code = "X"
    x.organization.save()
    y.organization.external_code = "Y"
    y.organization.save()
    funder_org = f.partnership(a, f.organization("A Funder"), kind=PartnerKind.FUNDER).organization
    community = f.partnership(a, f.organization("A Community"), kind=PartnerKind.COMMUNITY)
    b_backbone = f.partnership(b, f.organization("B Backbone"), kind=PartnerKind.BACKBONE)
    p_backbone = f.partnership(p, f.organization("P Backbone"), kind=PartnerKind.BACKBONE)

    users: dict[str, User | None] = {
        "anonymous": None,
        "community_member": f.member(community.organization, Role.COMMUNITY_MEMBER),
        "member": f.member(x.organization, Role.MEMBER),
        "data_steward": f.member(x.organization, Role.DATA_STEWARD),
        "funder": f.member(funder_org, Role.FUNDER),
        "backbone_admin": f.member(backbone.organization, Role.BACKBONE_ADMIN),
        "admin_role_in_partner_org": f.member(y.organization, Role.BACKBONE_ADMIN),
        "other_initiative_admin": f.member(b_backbone.organization, Role.BACKBONE_ADMIN),
        "superuser": User.objects.create_superuser("root@example.org", f.PASSWORD),
    }
    tokens = {
        role: api_token_create(actor=COMMAND_LINE, user=user, name="security suite")[1]
        for role, user in users.items()
        if user is not None
    }
    y_member = Membership.objects.get(user=f.member(y.organization, Role.MEMBER))
    p_member = Membership.objects.get(user=f.member(p_backbone.organization, Role.MEMBER))

    age = ms.dimension_define(
        initiative=a, code="age", name="Age", members=[("child", "Child"), ("adult", "Adult")]
    )
    p_age = ms.dimension_define(
        initiative=p, code="age", name="Age", members=[("child", "Child"), ("adult", "Adult")]
    )
    a_public = f.indicator(a, "a-pub", is_public=True, dimensions=[age])
    # A performance measure (partners beside their peers), private to A's participants.
    a_private = f.indicator(a, "a-priv", dimensions=[age], level=Level.PERFORMANCE)
    p_public = f.indicator(p, "p-pub", is_public=True, dimensions=[p_age], level=Level.PERFORMANCE)
    p_private = f.indicator(p, "p-priv", dimensions=[p_age])
    b_indicator = f.indicator(b, "b-pub", is_public=True)
    a_region = f.place(a, "A-R")
    a_place = f.place(a, "A-1", a_region)
    p_place = f.place(p, "P-R")
    b_place = f.place(b, "B-R")
    period = ms.period_for("2022")
    round_period = ms.period_for("2024")

    _record(COMMAND_LINE, a_public, a_place, period, x.organization, 40, approve=True)
    _record(COMMAND_LINE, a_private, a_place, period, None, 12, approve=True)
    _record(COMMAND_LINE, a_public, a_place, period, y.organization, 30)  # Y's draft
    _record(COMMAND_LINE, p_public, p_place, period, None, 50, approve=True)
    _record(COMMAND_LINE, p_private, p_place, period, None, 60, approve=True)
    _record(COMMAND_LINE, p_public, p_place, period, p_backbone.organization, 5)  # P's draft
    _record(COMMAND_LINE, b_indicator, b_place, period, None, 70, approve=True)
    _record(COMMAND_LINE, b_indicator, b_place, period, b_backbone.organization, 7)  # B's draft
    reporting_round = ms.round_open(
        actor=COMMAND_LINE,
        initiative=a,
        name="2024 round",
        period=round_period,
        due_on=date(2025, 3, 31),
        indicators=[a_public],
        organizations=[x.organization],
    )
    x_submission = Submission.objects.get(round=reporting_round, organization=x.organization)
    _record(
        users["data_steward"],
        a_public,
        a_place,
        round_period,
        x.organization,
        44,
        submission=x_submission,
    )

    sessions = {}
    for role, user in users.items():
        if user is not None:
            browser = Client()
            browser.force_login(user)
            sessions[role] = browser.cookies[settings.SESSION_COOKIE_NAME].value

    return World(
        a=a,
        b=b,
        p=p,
        backbone=backbone,
        x=x,
        y=y,
        b_backbone=b_backbone,
        p_backbone=p_backbone,
        users=users,
        tokens=tokens,
        sessions=sessions,
        x_member=Membership.objects.get(user=users["member"]),
        y_member=y_member,
        p_member=p_member,
        x_invitation=_invitation(x, "invitee@example.org", INVITATION_TOKEN),
        y_invitation=_invitation(y, "y.invitee@example.org", "y-token"),
        p_invitation=_invitation(p_backbone, "p.invitee@example.org", "p-token"),
        a_public_indicator=a_public,
        a_private_indicator=a_private,
        p_public_indicator=p_public,
        p_private_indicator=p_private,
        b_indicator=b_indicator,
        a_place=a_place,
        p_place=p_place,
        b_place=b_place,
        period=period,
        reporting_round=reporting_round,
        x_submission=x_submission,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, in a transaction that is rolled back after the module's last test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=[MD5]):
                built = build_world()
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _module_client() -> Client:
    return Client()


@pytest.fixture
def http(_module_client: Client) -> Client:
    """The test client, signed out. One per module rather than pytest-django's ``client`` per
    test: each new client loads the middleware again, and WhiteNoise then lists every static file
    (30 ms a test, most of the suite's time)."""
    _module_client.cookies.clear()
    return _module_client


@pytest.fixture
def as_role(http, world):
    """Sign the test client in as ``role`` (anonymous: stay signed out); return the client."""

    def sign_in(role: str):
        if role == "anonymous":  # signed out, whoever used the client before
            http.cookies.pop(settings.SESSION_COOKIE_NAME, None)
        else:  # the session made with the world: signing in costs 10 ms
            http.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        return http

    return sign_in
