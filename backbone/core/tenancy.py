"""Tenant-scoped querysets that fail closed: start every read of initiative data here."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from backbone.core.models import Initiative, Organization, Partnership
from backbone.core.permissions import AnyUser


def visible_initiatives(user: AnyUser) -> QuerySet[Initiative]:
    """Initiatives whose pages ``user`` may see: public ones, and those they take part in.

    Mirrors ``permissions.can(user, VIEW_INITIATIVE, initiative)`` as a query (tested to agree).
    """
    qs = Initiative.objects.all()
    if user.is_authenticated and user.is_active and user.is_superuser:
        return qs
    if not user.is_authenticated or not user.is_active:
        return qs.filter(is_public=True)
    mine = Partnership.objects.filter(organization__memberships__user=user).values("initiative_id")
    return qs.filter(Q(is_public=True) | Q(pk__in=mine)).distinct()


def partnerships_of(initiative: Initiative) -> QuerySet[Partnership]:
    return Partnership.objects.filter(initiative=initiative).select_related(
        "organization", "initiative"
    )


def visible_organizations(user: AnyUser) -> QuerySet[Organization]:
    """Organizations that take part in at least one initiative ``user`` may see."""
    return Organization.objects.filter(
        partnerships__initiative__in=visible_initiatives(user)
    ).distinct()
