"""Domain exceptions raised by services. Views and the API turn them into plain messages."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """A business rule refused the operation. ``message`` is plain language for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictError(DomainError):
    """Someone else changed the object since the user loaded it; nothing was overwritten."""

    def __init__(self, message: str, *, changed_by: str = "", changed_at: datetime | None = None):
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at


class InvitationInvalid(DomainError):
    """The invitation link is unknown, used, revoked or expired."""
