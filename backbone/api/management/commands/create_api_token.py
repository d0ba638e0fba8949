"""``backbone create-api-token --email EMAIL --name NAME``: issue an API token for a person.

The token is printed once, alone on standard output (so ``TOKEN=$(backbone create-api-token …)``
works); only its hash is stored, so it cannot be shown again. Lost tokens are revoked in the
admin and a new one issued.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from backbone.api.services import api_token_create
from backbone.core.errors import DomainError
from backbone.core.models import User
from backbone.core.permissions import COMMAND_LINE


class Command(BaseCommand):
    help = "Issue an API token for a user and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the email address the person uses")
        parser.add_argument("--name", required=True, help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(_("Nobody signs in as %(email)s.") % {"email": options["email"]})
        try:
            token, secret = api_token_create(actor=COMMAND_LINE, user=user, name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(secret)
        self.stderr.write(
            _(
                "API token “%(name)s” (%(prefix)s…) for %(user)s. Keep it secret: it is shown "
                "only this once. Send it as “Authorization: Bearer <token>”."
            )
            % {"name": token.name, "prefix": token.prefix, "user": user.email}
        )
