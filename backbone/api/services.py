"""Issuing, using and revoking API tokens. Each write is one transaction with its audit row."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backbone.api.models import ApiToken
from backbone.core import audit, permissions
from backbone.core.errors import DomainError
from backbone.core.models import User
from backbone.core.permissions import AnyUser

TOKEN_PREFIX = "bb_"  # noqa: S105 - marks a Backbone token in logs and secret scanners
PREFIX_LENGTH = 8
# How stale ``last_used_at`` may be before a request refreshes it (saves a write per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    """The SHA-256 hex digest stored for a token; the token itself is never stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: AnyUser, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; return it with the secret, which cannot be recovered later.

    Only the command line and platform operators issue tokens. The user must be able to sign in,
    and the name must be new among the user's tokens that are not revoked.
    """
    if not permissions.is_operator(actor):
        raise DomainError(_("Only a platform operator can issue API tokens."))
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name that says what it is for."))
    if not user.is_active:
        raise DomainError(_("%(user)s cannot sign in, so cannot have a token.") % {"user": user})
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise DomainError(
            _("%(user)s already has a token named “%(name)s”.") % {"user": user, "name": name}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=hash_token(raw), prefix=raw[:PREFIX_LENGTH]
    )
    audit.record(
        actor=actor,
        initiative=None,
        action="api_token.create",
        obj=token,
        summary=_("API token “%(name)s” (%(prefix)s…) issued to %(user)s")
        % {"name": name, "prefix": token.prefix, "user": user},
        after={"user": user.email, "name": name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: AnyUser, token: ApiToken) -> ApiToken:
    """Revoke ``token`` for good (idempotent). Its owner or a platform operator may do it."""
    if not permissions.may_revoke_token(actor, token.user_id):
        raise DomainError(_("Only the token’s owner or a platform operator can revoke it."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            initiative=None,
            action="api_token.revoke",
            obj=token,
            summary=_("API token “%(name)s” (%(prefix)s…) revoked")
            % {"name": token.name, "prefix": token.prefix},
        )
    return token


def api_token_use(raw: str) -> ApiToken | None:
    """The live token for the secret ``raw``, with its user; ``None`` if the secret is unknown,
    revoked, or its owner can no longer sign in. Records when it was used (to the minute)."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
