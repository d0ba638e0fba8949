"""Finding what a request names (by slug or code) among what the caller may see.

Everything the caller may not see is reported exactly like something that does not exist (404),
as the pages do, so that a private initiative or indicator is never revealed. Decisions come from
``core.permissions`` and ``core.tenancy``; nothing here reads memberships.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from ninja.errors import HttpError

from backbone.core import tenancy
from backbone.core.models import Initiative, Partnership
from backbone.core.permissions import Action, AnyUser, can
from backbone.measurement import publishing
from backbone.measurement.models import Dimension, Indicator, Place


class NotFound(HttpError):
    """404 with a message naming what was not found."""

    def __init__(self, message: str) -> None:
        super().__init__(404, message)


def initiative_or_404(user: AnyUser, slug: str) -> Initiative:
    """The initiative ``slug`` if ``user`` may see it (``tenancy.visible_initiatives``)."""
    initiative = tenancy.visible_initiatives(user).filter(slug=slug).first()
    if initiative is None:
        raise NotFound(_("There is no initiative “%(slug)s”.") % {"slug": slug})
    return initiative


def visible_indicators(user: AnyUser, initiative: Initiative) -> list[Indicator]:
    """The initiative's indicators ``user`` may see (``Action.VIEW_INDICATOR``), by code."""
    indicators = initiative.indicators.prefetch_related("dimensions").order_by("code")
    return [i for i in indicators if can(user, Action.VIEW_INDICATOR, i)]


def indicator_or_404(user: AnyUser, initiative: Initiative, code: str) -> Indicator:
    found = initiative.indicators.filter(code__iexact=code.strip()).first()
    if found is None or not can(user, Action.VIEW_INDICATOR, found):
        raise NotFound(
            _("There is no indicator “%(code)s” in %(initiative)s.")
            % {"code": code, "initiative": initiative}
        )
    return found


def _by_code(model: type[Place] | type[Dimension], initiative: Initiative, code: str, what: str):
    found = model.objects.filter(initiative=initiative, code__iexact=code.strip()).first()
    if found is None:
        raise NotFound(
            _("There is no %(what)s “%(code)s” in %(initiative)s.")
            % {"what": what, "code": code, "initiative": initiative}
        )
    return found


def place_or_404(initiative: Initiative, code: str) -> Place:
    return _by_code(Place, initiative, code, _("place"))


def dimension_or_404(initiative: Initiative, code: str) -> Dimension:
    return _by_code(Dimension, initiative, code, _("dimension"))


def partnership_or_404(initiative: Initiative, code: str) -> Partnership:
    """The partner whose code or exact name is ``code`` (any case), as in import files."""
    wanted = code.strip().lower()
    for partnership in tenancy.partnerships_of(initiative):
        organization = partnership.organization
        if wanted in {organization.external_code.strip().lower(), organization.name.lower()}:
            return partnership
    raise NotFound(
        _("There is no partner “%(code)s” in %(initiative)s.")
        % {"code": code, "initiative": initiative}
    )


def organization_code(partnership_or_org: object) -> str | None:
    """How the API names an organization: its code, or its name when it has no code."""
    organization = getattr(partnership_or_org, "organization", partnership_or_org)
    if organization is None:
        return None
    return organization.external_code or organization.name  # type: ignore[attr-defined]


def number_text(number: Decimal | None, places: int | None = None) -> str | None:
    """A decimal as exact text without exponent or trailing zeros (``120.000000`` → ``120``),
    rounded to ``places`` decimals when given; ``None`` stays ``None``."""
    if number is None:
        return None
    if places is not None:
        number = round(number, places)
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


breakdown_members = publishing.breakdown_members
