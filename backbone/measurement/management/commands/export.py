"""``backbone export --initiative SLUG [--format csv|xlsx|json] [--aggregate] [--indicator CODE]
[--place CODE] [--by DIMENSION] [--output FILE] [--public]``: the initiative's figures as a file.

Runs as the operator, who sees everything, unhidden; ``--public`` exports what anyone without an
account would see (public indicators, approved values, small numbers hidden). Writes to standard
output unless ``--output`` is given (an XLSX file needs one). Exit codes: 0 written; 1 an unknown
initiative, indicator, place or dimension (the message lists what there is) or a bad option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import exports


class Command(BaseCommand):
    help = gettext_lazy("Export an initiative's figures (raw or aggregated) as CSV, XLSX or JSON.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--initiative", required=True, help=gettext_lazy("the initiative's short name")
        )
        parser.add_argument("--format", choices=exports.FORMATS, default="csv")
        parser.add_argument(
            "--aggregate",
            action="store_true",
            help=gettext_lazy(
                "series combined per place (rolled up the places below it), not reported values"
            ),
        )
        parser.add_argument("--indicator", help=gettext_lazy("only this indicator (its code)"))
        parser.add_argument(
            "--place", help=gettext_lazy("only this place (and, raw, the places below it)")
        )
        parser.add_argument(
            "--by", help=gettext_lazy("with --aggregate: also each group of this dimension")
        )
        parser.add_argument(
            "--output", help=gettext_lazy("write to this file (default: standard output)")
        )
        parser.add_argument(
            "--public",
            action="store_true",
            help=gettext_lazy("export only what the public may see"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = AnonymousUser() if options["public"] else COMMAND_LINE
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError(_("An XLSX file cannot go to the terminal: add --output FILE."))
        if options["by"] and not options["aggregate"]:
            raise CommandError(
                _("--by splits aggregated series; add --aggregate (raw rows have every group).")
            )
        try:
            initiative = exports.find_initiative(user, options["initiative"])
            indicator = (
                exports.find_indicator(user, initiative, options["indicator"])
                if options["indicator"]
                else None
            )
            place = exports.find_place(initiative, options["place"]) if options["place"] else None
            by = exports.find_dimension(initiative, options["by"]) if options["by"] else None
        except exports.NotFound as exc:
            raise CommandError(exc.message) from exc

        def write(out: Any) -> int:
            return exports.export(
                user,
                initiative,
                fmt=fmt,
                aggregate=options["aggregate"],
                indicator=indicator,
                place=place,
                by=by,
                out=out,
            )

        if not output:
            self.stdout.ending = ""  # the writers end their own lines
            write(self.stdout)
            return
        path = Path(output)
        if fmt == "xlsx":
            with path.open("wb") as binary:
                count = write(binary)
        else:
            with path.open("w", encoding="utf-8", newline="") as text:
                count = write(text)
        self.stderr.write(_("Wrote %(n)s rows to %(f)s.") % {"n": count, "f": path})
