"""``backbone backup --initiative SLUG FILE``: write one initiative, with its whole history, to a
file that ``backbone restore`` reads back here or in another installation.

Exit codes: 0 written; 2 the initiative cannot be found, or FILE exists (give ``--overwrite``)
or cannot be written. The format: ``docs/adr/0006-backup-format.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backbone.core.backup import initiative_backup
from backbone.core.models import Initiative
from backbone.core.permissions import COMMAND_LINE

SHOWN = (
    ("partnership", "partners"),
    ("user", "people"),
    ("indicator", "indicators"),
    ("place", "places"),
    ("observation", "values"),
    ("observation_change", "changes in their history"),
    ("submission", "reports"),
    ("audit_event", "entries in the activity log"),
)


class Command(BaseCommand):
    help = (
        "Back up one initiative — partners, people, indicators, values and their full history — "
        "to a file (gzip-compressed JSON Lines). It holds email addresses and password hashes: "
        "keep it as safe as the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file to write, e.g. my-initiative.jsonl.gz")
        parser.add_argument("--initiative", required=True, help="the initiative's short name")
        parser.add_argument(
            "--overwrite", action="store_true", help="replace FILE if it already exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        initiative = Initiative.objects.filter(slug=options["initiative"]).first()
        if initiative is None:
            known = ", ".join(Initiative.objects.values_list("slug", flat=True)) or "none"
            self.stderr.write(f"No initiative “{options['initiative']}”. Known: {known}.")
            sys.exit(2)
        path = Path(options["file"])
        if path.exists() and not options["overwrite"]:
            self.stderr.write(f"{path} already exists. Choose another name, or add --overwrite.")
            sys.exit(2)
        try:
            report = initiative_backup(actor=COMMAND_LINE, initiative=initiative, path=path)
        except OSError as exc:
            self.stderr.write(f"Cannot write {path}: {exc.strerror or exc}.")
            sys.exit(2)
        counts = ", ".join(f"{report.counts[k]:,} {label}" for k, label in SHOWN)
        self.stdout.write(
            self.style.SUCCESS(f"Backed up “{initiative.name}” to {path} ({report.bytes:,} bytes).")
        )
        self.stdout.write(f"  {counts}.")
        self.stdout.write(
            "  The file holds people's email addresses and password hashes: store it safely."
        )
