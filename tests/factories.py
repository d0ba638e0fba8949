"""Test data builders: small functions that make real rows with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date

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
from backbone.measurement.models import Aggregation, Direction, Indicator, Level, Place, Unit
from backbone.measurement.periods import PeriodType

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def user(email: str | None = None, *, password: str = PASSWORD, **extra) -> User:
    return User.objects.create_user(
        email=email or f"person{next(_seq)}@example.org", password=password, **extra
    )


def initiative(slug: str | None = None, *, is_public: bool = False, **extra) -> Initiative:
    n = next(_seq)
    return Initiative.objects.create(
        slug=slug or f"initiative-{n}",
        name=extra.pop("name", f"Initiative {n}"),
        is_public=is_public,
        **extra,
    )


def organization(name: str | None = None, *, sector: str = Sector.NONPROFIT) -> Organization:
    return Organization.objects.create(name=name or f"Organization {next(_seq)}", sector=sector)


def partnership(
    init: Initiative, org: Organization | None = None, *, kind: str = PartnerKind.PARTNER
) -> Partnership:
    return Partnership.objects.create(
        initiative=init, organization=org or organization(), kind=kind, joined_on=date(2024, 1, 1)
    )


def member(org: Organization, role: str = Role.MEMBER, *, email: str | None = None) -> User:
    person = user(email)
    Membership.objects.create(user=person, organization=org, role=role)
    return person


def backbone_admin(
    init: Initiative, *, email: str | None = None, org_name: str | None = None
) -> User:
    """A backbone admin of ``init``: the admin role in the initiative's backbone organization
    (created as the backbone if the initiative has none yet)."""
    backbone = Partnership.objects.filter(initiative=init, kind=PartnerKind.BACKBONE).first()
    if backbone is None:
        backbone = partnership(init, organization(org_name), kind=PartnerKind.BACKBONE)
    return member(backbone.organization, Role.BACKBONE_ADMIN, email=email)


def indicator(init: Initiative, code: str | None = None, **extra) -> Indicator:
    """A community-wide yearly count unless told otherwise."""
    code = code or f"indicator-{next(_seq)}"
    fields = {
        "name": code.replace("-", " ").capitalize(),
        "unit": Unit.COUNT,
        "direction": Direction.LOWER_IS_BETTER,
        "level": Level.POPULATION,
        "aggregation": Aggregation.SUM,
        "period_type": PeriodType.YEAR,
    }
    fields.update(extra)
    dimensions = fields.pop("dimensions", ())
    made = Indicator.objects.create(initiative=init, code=code, **fields)
    if dimensions:
        made.dimensions.set(dimensions)
    return made


def rate_indicator(init: Initiative, code: str | None = None, **extra) -> Indicator:
    """A percent of people (numerator within denominator), higher is better."""
    defaults = {
        "unit": Unit.PERCENT,
        "aggregation": Aggregation.RATIO,
        "direction": Direction.HIGHER_IS_BETTER,
        "decimals": 1,
        "numerator_label": "Children screened",
        "denominator_label": "Children eligible",
    }
    return indicator(init, code, **{**defaults, **extra})


def place(init: Initiative, code: str, parent: Place | None = None, *, level: str = "") -> Place:
    return Place.objects.create(
        initiative=init,
        code=code,
        name=f"Place {code}",
        level=level or ("region" if parent is None else "area"),
        parent=parent,
    )
