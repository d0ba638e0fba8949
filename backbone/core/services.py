"""Business operations on initiatives, partners, members and invitations.

Each function is one transaction: authorise (``core.permissions``), validate, write, audit.
Edits carry the version the user saw; a write based on an old version is refused with a
``ConflictError`` naming who changed it and when, so nobody silently overwrites anybody.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from backbone.core import audit, permissions, versioning
from backbone.core.errors import DomainError, InvitationInvalid
from backbone.core.models import (
    Initiative,
    Invitation,
    Membership,
    Organization,
    PartnerKind,
    Partnership,
    User,
)
from backbone.core.permissions import Action

INITIATIVE_FIELDS = [
    "name",
    "problem_statement",
    "vision",
    "geography",
    "equity_commitment",
    "suppression_threshold",
    "needle_threshold",
    "needle_basis",
    "shift_length",
    "open_comparison",
    "is_public",
]
PARTNERSHIP_FIELDS = ["kind", "joined_on", "commitment_signed_on", "commitment_signatory"]


@transaction.atomic
def initiative_update(
    *, actor: User, initiative: Initiative, data: dict[str, Any], expected_version: int
) -> Initiative:
    permissions.require(actor, Action.MANAGE_INITIATIVE, initiative)
    changes = {k: v for k, v in data.items() if k in INITIATIVE_FIELDS}
    before = audit.snapshot(initiative, list(changes))
    versioning.validate_changes(initiative, changes)
    versioning.versioned_update(initiative, changes=changes, expected_version=expected_version)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="initiative.update",
        obj=initiative,
        summary=_("Changed the initiative’s settings"),
        before=before,
        after=audit.snapshot(initiative, list(changes)),
    )
    return initiative


@transaction.atomic
def organization_create(*, actor: User, initiative: Initiative, **fields: Any) -> Organization:
    """Create an organization so that it can be added as a partner of ``initiative``."""
    permissions.require(actor, Action.MANAGE_PARTNERS, initiative)
    org = Organization(**fields)
    org.full_clean()
    org.save()
    audit.record(
        actor=actor,
        initiative=initiative,
        action="organization.create",
        obj=org,
        summary=_("Created the organization %(name)s") % {"name": org.name},
        after=audit.snapshot(org, ["name", "sector", "external_code"]),
    )
    return org


@transaction.atomic
def partnership_add(
    *,
    actor: User,
    initiative: Initiative,
    organization: Organization,
    kind: str,
    joined_on: date,
    commitment_signed_on: date | None = None,
    commitment_signatory: str = "",
) -> Partnership:
    permissions.require(actor, Action.MANAGE_PARTNERS, initiative)
    if Partnership.objects.filter(initiative=initiative, organization=organization).exists():
        raise DomainError(
            _("%(org)s is already a partner of this initiative.") % {"org": organization}
        )
    partnership = Partnership(
        initiative=initiative,
        organization=organization,
        kind=kind,
        joined_on=joined_on,
        commitment_signed_on=commitment_signed_on,
        commitment_signatory=commitment_signatory,
    )
    partnership.full_clean()
    partnership.save()
    audit.record(
        actor=actor,
        initiative=initiative,
        action="partnership.add",
        obj=partnership,
        summary=_("Added %(org)s as %(kind)s")
        % {"org": organization, "kind": partnership.get_kind_display()},
        after=audit.snapshot(partnership, PARTNERSHIP_FIELDS),
    )
    return partnership


def _backbone_count(initiative: Initiative) -> int:
    return Partnership.objects.filter(initiative=initiative, kind=PartnerKind.BACKBONE).count()


@transaction.atomic
def partnership_update(
    *, actor: User, partnership: Partnership, data: dict[str, Any], expected_version: int
) -> Partnership:
    initiative = partnership.initiative
    permissions.require(actor, Action.MANAGE_PARTNERS, initiative)
    changes = {k: v for k, v in data.items() if k in PARTNERSHIP_FIELDS}
    if (
        partnership.kind == PartnerKind.BACKBONE
        and changes.get("kind", PartnerKind.BACKBONE) != PartnerKind.BACKBONE
        and _backbone_count(initiative) == 1
    ):
        raise DomainError(
            _("An initiative needs a backbone organization. Make another one the backbone first.")
        )
    before = audit.snapshot(partnership, list(changes))
    versioning.validate_changes(partnership, changes)
    versioning.versioned_update(partnership, changes=changes, expected_version=expected_version)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="partnership.update",
        obj=partnership,
        summary=_("Changed the partnership of %(org)s") % {"org": partnership.organization},
        before=before,
        after=audit.snapshot(partnership, list(changes)),
    )
    return partnership


@transaction.atomic
def partnership_remove(*, actor: User, partnership: Partnership) -> None:
    initiative = partnership.initiative
    permissions.require(actor, Action.MANAGE_PARTNERS, initiative)
    if partnership.kind == PartnerKind.BACKBONE and _backbone_count(initiative) == 1:
        raise DomainError(_("The initiative’s only backbone organization cannot be removed."))
    audit.record(
        actor=actor,
        initiative=initiative,
        action="partnership.remove",
        obj=partnership,
        summary=_("Removed %(org)s from the initiative") % {"org": partnership.organization},
        before=audit.snapshot(partnership, PARTNERSHIP_FIELDS),
    )
    partnership.delete()


def _require_role_allowed(actor: User, partnership: Partnership, role: str) -> None:
    if role not in permissions.grantable_roles(actor, partnership):
        raise PermissionDenied(_("You cannot give that role in this organization."))


@transaction.atomic
def membership_change_role(
    *,
    actor: User,
    partnership: Partnership,
    membership: Membership,
    role: str,
    expected_version: int,
) -> Membership:
    permissions.require(actor, Action.MANAGE_MEMBERS, partnership)
    if not permissions.may_change_membership(actor, membership, partnership):
        raise PermissionDenied(_("You cannot change this person’s role."))
    _require_role_allowed(actor, partnership, role)
    before = {"role": membership.role}
    versioning.versioned_update(
        membership, changes={"role": role}, expected_version=expected_version
    )
    audit.record(
        actor=actor,
        initiative=partnership.initiative,
        action="membership.change_role",
        obj=membership,
        summary=_("Changed the role of %(user)s in %(org)s to %(role)s")
        % {
            "user": membership.user,
            "org": partnership.organization,
            "role": membership.get_role_display(),
        },
        before=before,
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, partnership: Partnership, membership: Membership) -> None:
    permissions.require(actor, Action.MANAGE_MEMBERS, partnership)
    if not permissions.may_change_membership(actor, membership, partnership):
        raise PermissionDenied(_("You cannot remove this person."))
    audit.record(
        actor=actor,
        initiative=partnership.initiative,
        action="membership.remove",
        obj=membership,
        summary=_("Removed %(user)s from %(org)s")
        % {"user": membership.user, "org": partnership.organization},
        before={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, actor: User, partnership: Partnership, email: str, role: str, accept_url_base: str
) -> Invitation:
    """Invite ``email`` into the partnership's organization with ``role`` and email the link.

    ``accept_url_base`` is the absolute URL of the accept page without the token.
    """
    permissions.require(actor, Action.MANAGE_MEMBERS, partnership)
    _require_role_allowed(actor, partnership, role)
    email = email.strip().lower()
    if Membership.objects.filter(
        user__email__iexact=email, organization=partnership.organization
    ).exists():
        raise DomainError(
            _("%(email)s is already a member of %(org)s.")
            % {"email": email, "org": partnership.organization}
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        organization=partnership.organization,
        initiative=partnership.initiative,
        role=role,
        token_hash=_hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit.record(
        actor=actor,
        initiative=partnership.initiative,
        action="invitation.create",
        obj=invitation,
        summary=_("Invited %(email)s to %(org)s as %(role)s")
        % {"email": email, "org": partnership.organization, "role": invitation.get_role_display()},
    )
    body = render_to_string(
        "core/email/invitation.txt",
        {
            "invitation": invitation,
            "inviter": actor,
            "url": accept_url_base + token + "/",
            "days": settings.INVITATION_VALID_DAYS,
        },
    )
    subject = _("You are invited to %(initiative)s on Backbone") % {
        "initiative": partnership.initiative
    }
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return invitation


def invitation_lookup(token: str) -> Invitation:
    """The open invitation for ``token``; raise ``InvitationInvalid`` with the reason if none."""
    invitation = (
        Invitation.objects.select_related("organization", "initiative")
        .filter(token_hash=_hash_token(token))
        .first()
    )
    if invitation is None:
        raise InvitationInvalid(_("This invitation link is not valid. Check that it is complete."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation has already been used. Sign in instead."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation was withdrawn. Ask for a new one."))
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(
            _("This invitation has expired. Ask the person who invited you to send a new one.")
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None, full_name: str = "", password: str = ""
) -> tuple[User, Membership]:
    """Accept an invitation: as the signed-in ``user``, or by creating an account.

    A signed-in user must be the invited address. Without one, an account is created for the
    invited address with ``full_name`` and ``password`` (validated like any password).
    """
    invitation = invitation_lookup(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation has already been used. Sign in instead."))
    if user is not None and user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            raise InvitationInvalid(
                _("This invitation is for %(email)s. Sign out and open the link again.")
                % {"email": invitation.email}
            )
    else:
        user = User.objects.filter(email__iexact=invitation.email).first()
        if user is not None:
            raise InvitationInvalid(
                _("An account for %(email)s already exists. Sign in, then open the link again.")
                % {"email": invitation.email}
            )
        user = User(email=invitation.email, full_name=full_name.strip())
        validate_password(password, user)
        user.set_password(password)
        user.full_clean()
        user.save()
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    if not created:
        raise DomainError(
            _("You are already a member of %(org)s.") % {"org": membership.organization}
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        actor=user,
        initiative=invitation.initiative,
        action="invitation.accept",
        obj=membership,
        summary=_("%(user)s joined %(org)s as %(role)s")
        % {"user": user, "org": invitation.organization, "role": membership.get_role_display()},
    )
    permissions.forget(user)
    return user, membership


@transaction.atomic
def invitation_revoke(*, actor: User, partnership: Partnership, invitation: Invitation) -> None:
    permissions.require(actor, Action.MANAGE_MEMBERS, partnership)
    if invitation.organization_id != partnership.organization_id:
        raise PermissionDenied
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been accepted."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        initiative=partnership.initiative,
        action="invitation.revoke",
        obj=invitation,
        summary=_("Withdrew the invitation to %(email)s") % {"email": invitation.email},
    )
