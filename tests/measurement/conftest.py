"""Shared fixtures for the measurement tests."""

from __future__ import annotations

import pytest

from backbone.core.models import Role
from backbone.measurement import services as s
from tests import factories as f


@pytest.fixture
def import_world() -> dict:
    """An initiative ready for tidy files: a backbone admin, partners Clinic (code CLINIC, with a
    data steward) and Other, a count split by shelter status, a percent, places R → A, B."""
    init = f.initiative("city")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    clinic.organization.external_code = "CLINIC"
    clinic.organization.save()
    other = f.partnership(init, f.organization("Other"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD)
    shelter = s.dimension_define(
        initiative=init,
        code="shelter",
        name="Shelter status",
        members=[("sheltered", "Sheltered"), ("unsheltered", "Unsheltered")],
    )
    homeless = f.indicator(init, "homeless", dimensions=[shelter])
    screened = f.rate_indicator(init, "screened")
    region = f.place(init, "R")
    f.place(init, "A", region)
    f.place(init, "B", region)
    return locals()
