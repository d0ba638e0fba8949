"""``backbone load-metadata FILE [--dry-run]``: set up or update an initiative from a metadata file.

Exit codes: 0 loaded (or, with ``--dry-run``, would load cleanly); 1 the file has problems and
nothing was saved; 2 the file cannot be read or is not JSON. The format: ``docs/metadata.md``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement.metadata import (
    KINDS,
    MetadataRejected,
    MetadataReport,
    MetadataUnreadable,
    load_metadata,
)


def kind_label(kind: str) -> str:
    return {
        "initiative": _("initiative"),
        "organizations": _("organizations"),
        "partnerships": _("partnerships"),
        "places": _("places"),
        "dimensions": _("dimensions"),
        "indicators": _("indicators"),
        "annotations": _("annotations"),
        "targets": _("targets"),
    }[kind]


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a plain str, translated
        return _(
            "Set up or update an initiative from a metadata file (JSON): its partners, places, "
            "dimensions, indicators, notes and targets. All or nothing; loading again is safe."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("the metadata file (JSON)"))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("check everything and count the changes, but save nothing"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_metadata(options["file"], actor=COMMAND_LINE, dry_run=options["dry_run"])
        except MetadataUnreadable as exc:
            self.stderr.write(exc.message)
            sys.exit(2)
        except MetadataRejected as exc:
            for problem in exc.problems:
                self.stderr.write(f"{problem}")
            self.stderr.write(exc.message)
            sys.exit(1)
        self.write_summary(report)

    def write_summary(self, report: MetadataReport) -> None:
        name = report.initiative.name if report.initiative else ""
        if report.dry_run:
            head = _("Dry run for “%(name)s”: the file is valid; nothing was saved.")
        else:
            head = _("Loaded “%(name)s”.")
        self.stdout.write(self.style.SUCCESS(head % {"name": name}))
        for kind in KINDS:
            t = report.counts[kind]
            self.stdout.write(
                _("  %(kind)-14s %(created)d created, %(updated)d updated, %(same)d unchanged")
                % {
                    "kind": kind_label(kind),
                    "created": t.created,
                    "updated": t.updated,
                    "same": t.unchanged,
                }
            )
