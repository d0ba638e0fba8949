"""THE place that answers "may this user do this to that object?".

Every view, service and API endpoint asks here; nothing else reads memberships to decide. The
rules, in words (the test table in ``tests/core/test_permissions.py`` checks each one):

* A user *takes part* in an initiative when they are a member, with any role, of an organization
  that is a partner of that initiative (in any capacity).
* A user is a *backbone admin* of an initiative when they hold the backbone-admin role in an
  organization that is that initiative's backbone organization. The role held in an organization
  that is only a partner gives no admin rights.
* Anyone, signed in or not, may see a public initiative's public pages. Everything else about an
  initiative (member lists, private pages) is for the people who take part in it.
* Backbone admins manage the initiative: its settings, its partners, and the members of every
  partner organization. A data steward manages the members of their own organization only, and can
  never hand out the backbone-admin role. Nobody else manages anything.
* Shared measurement: the backbone owns the indicator library (indicators, dimensions, places,
  reporting rounds, targets, community-wide figures) and reviews what partners report (approve,
  return, restore). A data steward reports their own organization's figures — never another's.
  A private indicator, and any figure for it, is seen only by people who take part; anyone may see
  a public initiative's public indicators.
* Learning agenda: the learning questions and improvement cycles are internal — everyone who
  takes part sees them (``VIEW_PRIVATE``); the backbone keeps them (``MANAGE_LEARNING``).
* Learning: the learning agenda (questions, improvement cycles, their titles wherever they
  appear) is internal — for the people who take part; backbone admins manage it.
* Peer comparison (performance measures): for the people who take part. Each sees its own
  organizations named and the other partners by letter, unless the initiative chose open
  comparison; the backbone, who reviews every partner's figures anyway, sees every name.
* Platform operators (Django superusers) may do everything.

Objects that are not visible are reported as "not found" by the views, so that a private
initiative's existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from backbone.core.models import Initiative, Membership, PartnerKind, Partnership, Role, User


class Action(StrEnum):
    # target: Initiative
    VIEW_INITIATIVE = "view_initiative"
    VIEW_PRIVATE = "view_private"
    MANAGE_INITIATIVE = "manage_initiative"
    MANAGE_PARTNERS = "manage_partners"
    VIEW_AUDIT = "view_audit"
    MANAGE_MEASUREMENT = "manage_measurement"
    REVIEW_DATA = "review_data"
    MANAGE_LEARNING = "manage_learning"
    # target: Partnership (an organization within an initiative)
    VIEW_ORGANIZATION = "view_organization"
    VIEW_MEMBERS = "view_members"
    MANAGE_MEMBERS = "manage_members"
    REPORT_DATA = "report_data"
    # target: Indicator
    VIEW_INDICATOR = "view_indicator"


INITIATIVE_ACTIONS = frozenset(
    {
        Action.VIEW_INITIATIVE,
        Action.VIEW_PRIVATE,
        Action.MANAGE_INITIATIVE,
        Action.MANAGE_PARTNERS,
        Action.VIEW_AUDIT,
        Action.MANAGE_MEASUREMENT,
        Action.REVIEW_DATA,
        Action.MANAGE_LEARNING,
    }
)
PARTNERSHIP_ACTIONS = frozenset(
    {Action.VIEW_ORGANIZATION, Action.VIEW_MEMBERS, Action.MANAGE_MEMBERS, Action.REPORT_DATA}
)

# Roles a data steward may give to people in their own organization.
STEWARD_GRANTABLE = (Role.DATA_STEWARD, Role.MEMBER, Role.FUNDER, Role.COMMUNITY_MEMBER)


class CommandLine:
    """The operator at the command line (``backbone import``…): trusted like a superuser.

    Views never see this object — requests carry a ``User`` or ``AnonymousUser`` — so it cannot
    leak into the web. Audit records show such writes with no person, as "command line".
    """

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None

    def __str__(self) -> str:
        return "command line"


COMMAND_LINE = CommandLine()

AnyUser = User | AnonymousUser | CommandLine
Target = Initiative | Partnership | Any  # Any: a measurement Indicator (imported lazily)


@dataclass(frozen=True)
class Standing:
    """What one user is in one initiative: the organizations they belong to there, with roles."""

    roles_by_org: dict[int, frozenset[str]]
    admin: bool

    @property
    def takes_part(self) -> bool:
        return self.admin or bool(self.roles_by_org)

    def roles_in(self, organization_id: int) -> frozenset[str]:
        return self.roles_by_org.get(organization_id, frozenset())


_NOBODY = Standing(roles_by_org={}, admin=False)


def standing(user: AnyUser, initiative: Initiative) -> Standing:
    """The user's standing in ``initiative``, computed once per user object and initiative."""
    if not user.is_authenticated or not user.is_active:
        return _NOBODY
    cache: dict[int, Standing] = user.__dict__.setdefault("_backbone_standing", {})
    if initiative.pk in cache:
        return cache[initiative.pk]
    kinds = dict(
        Partnership.objects.filter(
            initiative=initiative, organization__memberships__user=user
        ).values_list("organization_id", "kind")
    )
    roles_by_org: dict[int, set[str]] = {}
    admin = bool(user.is_superuser)
    memberships = Membership.objects.filter(user=user, organization_id__in=list(kinds))
    for org_id, role in memberships.values_list("organization_id", "role"):
        roles_by_org.setdefault(org_id, set()).add(role)
        if role == Role.BACKBONE_ADMIN and kinds[org_id] == PartnerKind.BACKBONE:
            admin = True
    result = Standing({k: frozenset(v) for k, v in roles_by_org.items()}, admin)
    cache[initiative.pk] = result
    return result


def forget(user: AnyUser) -> None:
    """Drop the cached standing (after this user's memberships changed)."""
    user.__dict__.pop("_backbone_standing", None)


def can(user: AnyUser, action: Action, target: Target) -> bool:
    """True when ``user`` may perform ``action`` on ``target``. Unknown combinations are denied."""
    if user is COMMAND_LINE:
        return True
    if isinstance(target, Initiative) and action in INITIATIVE_ACTIONS:
        return _can_initiative(user, action, target)
    if isinstance(target, Partnership) and action in PARTNERSHIP_ACTIONS:
        return _can_partnership(user, action, target)
    if action == Action.VIEW_INDICATOR and _is_indicator(target):
        initiative = target.initiative  # type: ignore[union-attr]
        if target.is_public:  # type: ignore[union-attr]
            return _can_initiative(user, Action.VIEW_INITIATIVE, initiative)
        return _can_initiative(user, Action.VIEW_PRIVATE, initiative)
    return False


def _is_indicator(target: object) -> bool:
    from backbone.measurement.models import Indicator  # measurement depends on core, not back

    return isinstance(target, Indicator)


def _can_initiative(user: AnyUser, action: Action, initiative: Initiative) -> bool:
    s = standing(user, initiative)
    if action == Action.VIEW_INITIATIVE:
        return initiative.is_public or s.takes_part
    if action == Action.VIEW_PRIVATE:
        return s.takes_part
    # Managing and reading the audit trail are the backbone's.
    return s.admin


def _can_partnership(user: AnyUser, action: Action, partnership: Partnership) -> bool:
    s = standing(user, partnership.initiative)
    if action == Action.VIEW_ORGANIZATION:
        return partnership.initiative.is_public or s.takes_part
    if s.admin:
        return True
    own_roles = s.roles_in(partnership.organization_id)
    if action == Action.VIEW_MEMBERS:
        return bool(own_roles)
    # MANAGE_MEMBERS, REPORT_DATA: the organization's own data stewards.
    return Role.DATA_STEWARD in own_roles


def is_operator(user: AnyUser) -> bool:
    """Platform operators (active Django superusers, and the command line) run the platform
    itself: they create initiatives, issue API tokens and make or restore backups."""
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_superuser", False))


def may_revoke_token(user: AnyUser, owner_id: int) -> bool:
    """An API token is revoked by its owner or by a platform operator."""
    return is_operator(user) or bool(user.is_authenticated and user.pk == owner_id)


def require(user: AnyUser, action: Action, target: Target) -> None:
    """Raise ``PermissionDenied`` unless ``can(user, action, target)``."""
    if not can(user, action, target):
        raise PermissionDenied(action.value)


def grantable_roles(user: AnyUser, partnership: Partnership) -> list[Role]:
    """The roles ``user`` may give to people in ``partnership.organization`` (may be empty).

    The backbone-admin role exists only in an initiative's backbone organization, and only a
    backbone admin can give it.
    """
    if not can(user, Action.MANAGE_MEMBERS, partnership):
        return []
    if standing(user, partnership.initiative).admin:
        if partnership.kind == PartnerKind.BACKBONE:
            return list(Role)
        return [r for r in Role if r != Role.BACKBONE_ADMIN]
    return list(STEWARD_GRANTABLE)


def may_change_membership(user: AnyUser, membership: Membership, partnership: Partnership) -> bool:
    """May ``user`` change or remove ``membership`` (which must belong to ``partnership``'s org)?

    A steward cannot touch someone whose role is above what a steward may grant (an admin).
    """
    if membership.organization_id != partnership.organization_id:
        return False
    if not can(user, Action.MANAGE_MEMBERS, partnership):
        return False
    if standing(user, partnership.initiative).admin:
        return True  # including a stray admin role in a partner organization, to correct it
    return membership.role in grantable_roles(user, partnership)


def reporting_organization_ids(user: AnyUser, initiative: Initiative) -> frozenset[int]:
    """The organizations whose figures ``user`` reports in ``initiative`` as a data steward
    (REPORT_DATA without the admin's reach): their own organizations where they steward data."""
    s = standing(user, initiative)
    return frozenset(
        org_id for org_id, roles in s.roles_by_org.items() if Role.DATA_STEWARD in roles
    )


def may_report_for(user: AnyUser, initiative: Initiative, organization_id: int | None) -> bool:
    """May ``user`` report figures for this organization in ``initiative`` (REPORT_DATA on its
    partnership)? Community-wide figures (no organization) are the backbone's
    (MANAGE_MEASUREMENT). An organization that is not a partner here: no."""
    if organization_id is None:
        return can(user, Action.MANAGE_MEASUREMENT, initiative)
    partnership = Partnership.objects.filter(
        initiative=initiative, organization_id=organization_id
    ).first()
    if partnership is None:
        return False
    partnership.initiative = initiative
    return can(user, Action.REPORT_DATA, partnership)


def may_see_history(user: AnyUser, initiative: Initiative, organization_id: int | None) -> bool:
    """The history of a value: the backbone sees every value's; a partner's data stewards see
    their own organization's values (read only; restoring is the backbone's). A community-wide
    value's history is the backbone's alone."""
    if can(user, Action.REVIEW_DATA, initiative):
        return True
    return organization_id is not None and may_report_for(user, initiative, organization_id)


def may_see_learning(user: AnyUser, initiative: Initiative) -> bool:
    """The learning agenda is internal: questions, cycles and their titles (wherever they are
    shown, e.g. as the reason a control chart starts a new phase) are for people who take part."""
    return can(user, Action.VIEW_PRIVATE, initiative)


def may_compare_peers(user: AnyUser, initiative: Initiative) -> bool:
    """Partners beside their peers is the partners' own: for the people who take part."""
    return can(user, Action.VIEW_PRIVATE, initiative)


def may_see_peer_names(user: AnyUser, initiative: Initiative) -> bool:
    """Every partner named in a peer comparison: when the initiative chose open comparison, and
    always for the backbone (who reviews every partner's figures anyway)."""
    return may_compare_peers(user, initiative) and (
        initiative.open_comparison or can(user, Action.REVIEW_DATA, initiative)
    )


def own_organization_ids(user: AnyUser, initiative: Initiative) -> frozenset[int]:
    """The organizations ``user`` belongs to in ``initiative`` (named to them in comparisons)."""
    return frozenset(standing(user, initiative).roles_by_org)
