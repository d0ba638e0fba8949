"""``backbone series --initiative SLUG --indicator CODE --place CODE [--by DIMENSION]
[--format csv|json] [--public]``: one indicator's series for one place, on standard output.

One row per period and group: ``period``, ``breakdown`` (``shelter:sheltered``, empty for the
total), ``value``, ``numerator``, ``denominator``, ``reports`` (figures combined), ``suppressed``,
``annotations``. Runs as the operator; ``--public`` shows what the public would see (small numbers
hidden). Exit codes: 0 written; 1 an unknown initiative, indicator, place or dimension (the
message lists what there is).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import exports


class Command(BaseCommand):
    help = gettext_lazy("Print one indicator's series for one place (rolled up, with its notes).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--initiative", required=True, help=gettext_lazy("the initiative's short name")
        )
        parser.add_argument("--indicator", required=True, help=gettext_lazy("the indicator's code"))
        parser.add_argument("--place", required=True, help=gettext_lazy("the place's code"))
        parser.add_argument("--by", help=gettext_lazy("also each group of this dimension"))
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument(
            "--public", action="store_true", help=gettext_lazy("show only what the public may see")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = AnonymousUser() if options["public"] else COMMAND_LINE
        try:
            initiative = exports.find_initiative(user, options["initiative"])
            indicator = exports.find_indicator(user, initiative, options["indicator"])
            place = exports.find_place(initiative, options["place"])
            by = exports.find_dimension(initiative, options["by"]) if options["by"] else None
        except exports.NotFound as exc:
            raise CommandError(exc.message) from exc
        rows = exports.aggregate_rows(user, initiative, indicator=indicator, place=place, by=by)
        self.stdout.ending = ""  # the writers end their own lines
        write = exports.write_json if options["format"] == "json" else exports.write_csv
        out: Any = self.stdout
        write(rows, exports.SERIES_COLUMNS, out)
