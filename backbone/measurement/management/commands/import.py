"""``backbone import --initiative SLUG FILE [--dry-run] [--draft]``: load a tidy CSV or XLSX.

Exit codes: 0 saved (or, with ``--dry-run``, would save cleanly); 1 the file has problems and
nothing was saved; 2 the file or the initiative cannot be found.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backbone.core.models import Initiative
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement.imports import import_observations

SHOWN = 50


class Command(BaseCommand):
    help = "Import observations from a tidy CSV or XLSX file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument("--initiative", required=True, help="the initiative's short name")
        parser.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
        parser.add_argument(
            "--draft",
            action="store_true",
            help="keep partners' values as drafts to be reviewed (default: approved, because "
            "the operator vouches for the file)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        initiative = Initiative.objects.filter(slug=options["initiative"]).first()
        if initiative is None:
            known = ", ".join(Initiative.objects.values_list("slug", flat=True)) or "none"
            self.stderr.write(f"No initiative “{options['initiative']}”. Known: {known}.")
            sys.exit(2)
        path = Path(options["file"])
        if not path.is_file():
            self.stderr.write(f"No file {path}.")
            sys.exit(2)
        with path.open("rb") as handle:
            report = import_observations(
                actor=COMMAND_LINE,
                initiative=initiative,
                file=handle,
                filename=path.name,
                dry_run=options["dry_run"],
                approve=not options["draft"],
            )
        for problem in report.problems[:SHOWN]:
            where = f"row {problem.row}" if problem.row else "file"
            column = f", column {problem.column}" if problem.column else ""
            self.stdout.write(
                f"{problem.severity.upper()} {where}{column}: {problem.message} {problem.fix}"
            )
        hidden = report.errors + report.warnings - min(len(report.problems), SHOWN)
        if hidden > 0:
            self.stdout.write(f"… and {hidden} more.")
        self.stdout.write(report.summary())
        if not report.ok:
            sys.exit(1)
