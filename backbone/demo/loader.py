"""Builds the demo initiative: ending homelessness in Ohio, from HUD's Point-in-Time counts.

The Continuums of Care (the real bodies that run Ohio's homelessness response, one per region)
become the partner organizations. The backbone organization, the funder, the residents' council
and the people are sample data, named so that nobody mistakes them for real ones.

Loading is idempotent: running it again finds what exists and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from backbone.core.models import (
    Initiative,
    Membership,
    Organization,
    PartnerKind,
    Partnership,
    Role,
    Sector,
    User,
)
from backbone.demo.hud import coc_names

SLUG = "ohio-homelessness"
DEMO_PASSWORD = "backbone-demo"  # printed by `backbone demo`; demo accounts only


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    organization: str


SAMPLE_ORGS = [
    # name, sector, kind, description
    (
        "Ohio Home for All Collaborative (sample)",
        Sector.NONPROFIT,
        PartnerKind.BACKBONE,
        "Sample backbone organization invented for the demo.",
    ),
    (
        "Buckeye Community Foundation (sample)",
        Sector.PHILANTHROPY,
        PartnerKind.FUNDER,
        "Sample funder invented for the demo.",
    ),
    (
        "Lived Experience Advisory Council (sample)",
        Sector.COMMUNITY,
        PartnerKind.COMMUNITY,
        "Sample residents' council invented for the demo: people who have experienced "
        "homelessness advise the initiative.",
    ),
]

DEMO_USERS = [
    # email, full name, role, organization name
    (
        "admin@demo.backbone.test",
        "Alex Rivera (sample)",
        Role.BACKBONE_ADMIN,
        "Ohio Home for All Collaborative (sample)",
    ),
    (
        "steward@demo.backbone.test",
        "Sam Okafor (sample)",
        Role.DATA_STEWARD,
        "Cincinnati/Hamilton County CoC",
    ),
    (
        "member@demo.backbone.test",
        "Jordan Lee (sample)",
        Role.MEMBER,
        "Columbus/Franklin County CoC",
    ),
    (
        "funder@demo.backbone.test",
        "Morgan Patel (sample)",
        Role.FUNDER,
        "Buckeye Community Foundation (sample)",
    ),
    (
        "resident@demo.backbone.test",
        "Casey Brooks (sample)",
        Role.COMMUNITY_MEMBER,
        "Lived Experience Advisory Council (sample)",
    ),
]


def ohio_cocs() -> list[tuple[str, str]]:
    """(CoC number, latest CoC name) for every Ohio Continuum of Care in the shipped data."""
    return [(code, name) for code, name in coc_names().items() if code.startswith("OH-")]


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """Create (or find) the demo initiative, its partners and one login per role."""
    initiative, _ = Initiative.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name": "Ohio Home for All",
            "geography": "Ohio, United States — its nine Continuums of Care",
            "problem_statement": (
                "On one night in January 2023, 11,386 people in Ohio were counted as homeless "
                "(HUD Point-in-Time count). No single agency can end homelessness: shelters, "
                "housing authorities, health systems, schools, employers and the people who "
                "have lived it must work from one plan and one set of numbers."
            ),
            "vision": (
                "Homelessness in Ohio is rare, brief and one-time: everyone has a safe, stable "
                "place to live."
            ),
            "equity_commitment": (
                "We report every result by race and ethnicity, household type and region, and "
                "we set targets to close the gaps, not only to move the average."
            ),
            "suppression_threshold": 11,
            "is_public": True,
        },
    )
    orgs: dict[str, Organization] = {}
    for name, sector, kind, description in SAMPLE_ORGS:
        org, _ = Organization.objects.get_or_create(
            name=name, defaults={"sector": sector, "description": description}
        )
        orgs[name] = org
        Partnership.objects.get_or_create(
            initiative=initiative,
            organization=org,
            defaults={
                "kind": kind,
                "joined_on": date(2022, 9, 1),
                "commitment_signed_on": date(2022, 9, 15),
                "commitment_signatory": "Signed by the sample organization's director",
            },
        )
    for index, (code, name) in enumerate(ohio_cocs()):
        org, _ = Organization.objects.get_or_create(
            name=name,
            defaults={
                "sector": Sector.NONPROFIT,
                "external_code": code,
                "description": (
                    f"Continuum of Care {code}: the regional planning body that coordinates "
                    "homelessness services and reports the Point-in-Time count to HUD."
                ),
            },
        )
        orgs[name] = org
        signed = index % 3 != 2  # a few have not signed yet, so the page shows both cases
        Partnership.objects.get_or_create(
            initiative=initiative,
            organization=org,
            defaults={
                "kind": PartnerKind.PARTNER,
                "joined_on": date(2022, 10, 1),
                "commitment_signed_on": date(2022, 11, 1) if signed else None,
                "commitment_signatory": "CoC board chair (sample)" if signed else "",
            },
        )
    logins = []
    for email, full_name, role, org_name in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD)
            user.full_name = full_name
            user.save(update_fields=["full_name"])
        Membership.objects.get_or_create(
            user=user, organization=orgs[org_name], defaults={"role": role}
        )
        logins.append(DemoLogin(email=email, role=role.label, organization=org_name))
    return logins
