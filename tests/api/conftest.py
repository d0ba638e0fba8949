"""A small world for the API tests: a public initiative with public and private indicators, two
partners with their data stewards, places in a hierarchy, and a private initiative beside it."""

from __future__ import annotations

import io
import itertools

import pytest

from backbone.api.services import api_token_create
from backbone.core.models import Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.imports import import_observations
from tests import factories as f

API = "/api/v1"
_names = itertools.count(1)


def token_for(user) -> str:
    """A fresh API token for ``user`` (the secret, as the command prints it)."""
    _token, secret = api_token_create(actor=COMMAND_LINE, user=user, name=f"test {next(_names)}")
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def load(init, csv: str) -> None:
    """Approved figures, as an operator's import would store them."""
    report = import_observations(
        actor=COMMAND_LINE,
        initiative=init,
        file=io.BytesIO(csv.encode()),
        filename="seed.csv",
        dry_run=False,
        approve=True,
    )
    assert report.saved, [p.as_dict() for p in report.problems]


@pytest.fixture
def world():
    init = f.initiative("city", is_public=True, name="City Shelter Network")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    clinic.organization.external_code = "CLINIC"
    clinic.organization.save()
    other = f.partnership(init, f.organization("Other"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD)
    other_steward = f.member(other.organization, Role.DATA_STEWARD)
    member = f.member(clinic.organization, Role.MEMBER)
    outsider = f.user()
    shelter = s.dimension_define(
        initiative=init,
        code="shelter",
        name="Shelter status",
        members=[("sheltered", "Sheltered"), ("unsheltered", "Unsheltered")],
    )
    homeless = f.indicator(init, "homeless", dimensions=[shelter], is_public=True)
    screened = f.rate_indicator(init, "screened", is_public=True)
    secret = f.indicator(init, "secret-count", is_public=False)
    region = f.place(init, "R")
    a = f.place(init, "A", region)
    b = f.place(init, "B", region)
    hidden = f.initiative("hidden", is_public=False)
    hidden_admin = f.backbone_admin(hidden)
    f.indicator(hidden, "hidden-count", is_public=True)
    return locals()
