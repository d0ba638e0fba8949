"""Shared fixtures for the measurement tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from backbone.core.models import Role
from backbone.measurement import services as s
from tests import factories as f


@contextmanager
def hud_loaded(slug: str, *, is_public: bool = False) -> Iterator[tuple]:
    """The HUD counts (32,580 values and their history) in a new initiative, for a module's
    tests; everything is removed afterwards, in the order the protected keys need."""
    from backbone.demo.hud import load_hud
    from backbone.measurement.models import Annotation, ObservationChange, Period, Place

    initiative = f.initiative(slug, is_public=is_public)
    loaded = load_hud(initiative)
    yield initiative, loaded.indicator
    ObservationChange.objects.filter(observation__indicator=loaded.indicator).delete()
    loaded.indicator.observations.all().delete()
    Annotation.objects.filter(indicator=loaded.indicator).delete()
    loaded.indicator.delete()
    Period.objects.all().delete()
    for level in ["CoC", "state", "nation"]:  # children before parents (PROTECT)
        Place.objects.filter(initiative=initiative, level=level).delete()
    initiative.delete()


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
