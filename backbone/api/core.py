"""Initiatives: the ones the caller may see."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from backbone.api.auth import READ
from backbone.api.lookups import initiative_or_404
from backbone.api.schemas import InitiativeOut, Message
from backbone.core import tenancy
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser, can

router = Router(tags=["initiatives"], auth=READ)


def _initiative(user: AnyUser, initiative: Initiative) -> dict[str, object]:
    return {
        "slug": initiative.slug,
        "name": initiative.name,
        "geography": initiative.geography,
        "problem_statement": initiative.problem_statement,
        "vision": initiative.vision,
        "is_public": initiative.is_public,
        "suppression_threshold": initiative.suppression_threshold,
        "takes_part": can(user, Action.VIEW_PRIVATE, initiative),
    }


@router.get("/initiatives", response=list[InitiativeOut])
def initiative_list(request: HttpRequest) -> list[dict[str, object]]:
    """The initiatives you may see: every public one, and those you take part in."""
    return [_initiative(request.auth, i) for i in tenancy.visible_initiatives(request.auth)]


@router.get("/initiatives/{slug}", response={200: InitiativeOut, 404: Message})
def initiative_detail(request: HttpRequest, slug: str) -> dict[str, object]:
    """One initiative, by its short name. A private one you do not take part in is not found."""
    return _initiative(request.auth, initiative_or_404(request.auth, slug))
