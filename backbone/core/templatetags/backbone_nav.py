"""What the initiative menu offers this person: each link only to those the page lets in."""

from __future__ import annotations

from django import template

from backbone.core.models import Initiative
from backbone.core.permissions import Action, can, may_see_learning, reporting_organization_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_rights(context: template.Context, initiative: Initiative) -> dict[str, bool]:
    user = context["request"].user
    return {
        "manage": can(user, Action.MANAGE_PARTNERS, initiative),
        "library": can(user, Action.MANAGE_MEASUREMENT, initiative),
        "review": can(user, Action.REVIEW_DATA, initiative),
        "report": bool(reporting_organization_ids(user, initiative)),
        "learning": may_see_learning(user, initiative),
    }
