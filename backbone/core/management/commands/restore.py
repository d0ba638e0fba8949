"""``backbone restore FILE [--as-slug NEW]``: re-create an initiative from a backup, all or nothing.

People, organizations and periods already in this database (same email address, name, or code and
start) are re-used; everything else is created with new ids.

Exit codes: 0 restored; 1 refused, nothing saved (the short name is taken, or the database needs
``backbone migrate``); 2 the file cannot be read, is not a complete backup, or needs a newer
Backbone.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backbone.core.backup import BackupUnreadable, RestoreRefused, initiative_restore
from backbone.core.permissions import COMMAND_LINE


class Command(BaseCommand):
    help = (
        "Restore an initiative from a file made by “backbone backup”, in this database or "
        "another one. Nothing is saved unless everything is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--as-slug",
            metavar="NEW",
            help="restore under this short name (e.g. beside the original in the same database)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = initiative_restore(
                actor=COMMAND_LINE, path=Path(options["file"]), as_slug=options["as_slug"]
            )
        except RestoreRefused as exc:
            self.stderr.write(exc.message)
            sys.exit(1)
        except BackupUnreadable as exc:
            self.stderr.write(f"{exc.message} Nothing was restored.")
            sys.exit(2)
        initiative = report.initiative
        created, reused = report.created, report.reused
        self.stdout.write(
            self.style.SUCCESS(f"Restored “{initiative.name}” as “{initiative.slug}”.")
        )
        self.stdout.write(
            f"  {created['observation']:,} values with {created['observation_change']:,} "
            f"changes in their history, {created['indicator']:,} indicators, "
            f"{created['partnership']:,} partners, {created['audit_event']:,} activity-log entries."
        )
        self.stdout.write(
            f"  Already here and re-used: {reused['user']:,} people, "
            f"{reused['organization']:,} organizations, {reused['membership']:,} memberships, "
            f"{reused['period']:,} periods."
        )
        if report.invitations_unlinked:
            self.stdout.write(
                f"  {report.invitations_unlinked} open invitation link(s) keep working for the "
                "original initiative only; send new invitations from the copy if needed."
            )
