"""JSON rows in, the import out: the API's batch upsert is ``measurement.imports.import_table``
on a table built from the rows, so it checks exactly what a file import checks, row by row, and
saves all or nothing.

Row numbers in the report are 1-based positions in the request's ``rows`` (the first row is 1);
problems with no row concern the request as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from backbone.api.schemas import RowIn
from backbone.core.models import Initiative
from backbone.core.permissions import AnyUser
from backbone.measurement.files import Table
from backbone.measurement.imports import ImportReport, import_table
from backbone.measurement.models import Dimension
from backbone.measurement.tidy import (
    KEY_COLUMNS,
    NUMBER_COLUMNS,
    OPTIONAL_COLUMNS,
    RowProblem,
    normalise_header,
)

MAX_ROWS = 10_000
MAX_PROBLEMS = 500
PLAIN_COLUMNS = (*KEY_COLUMNS, *NUMBER_COLUMNS, *OPTIONAL_COLUMNS)


def _cell(value: object) -> object:
    """A JSON number as exact text (``1e3`` → ``1000``); text and ``None`` as they are."""
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return value


def rows_table(initiative: Initiative, rows: Sequence[RowIn]) -> tuple[Table, list[RowProblem]]:
    """The rows as a tidy table, and the problems the table cannot carry: a breakdown naming a
    dimension the initiative does not have (that entry is left out of the table)."""
    dimensions = {
        normalise_header(code): code
        for code in Dimension.objects.filter(initiative=initiative).values_list("code", flat=True)
    }
    problems: list[RowProblem] = []
    wanted: dict[str, None] = {}  # dimension columns used by any row, in first-use order
    members: list[dict[str, str]] = []
    for number, row in enumerate(rows, start=1):
        mine: dict[str, str] = {}
        for name, member in row.breakdown.items():
            column = normalise_header(name)
            if column not in dimensions or column in PLAIN_COLUMNS:
                problems.append(
                    RowProblem(
                        number,
                        name,
                        _("“%(d)s” is not a dimension of this initiative.") % {"d": name},
                        _("Use one of: %(codes)s.")
                        % {"codes": ", ".join(sorted(dimensions.values())) or _("(none defined)")},
                    )
                )
            elif column in mine:
                problems.append(
                    RowProblem(
                        number,
                        name,
                        _("The dimension “%(d)s” is given twice.") % {"d": name},
                        _("Give each dimension once."),
                    )
                )
            else:
                mine[column] = member
                wanted.setdefault(column)
        members.append(mine)
    header = [*PLAIN_COLUMNS, *wanted]

    def cells() -> Iterator[tuple[int, list[object]]]:
        for number, (row, mine) in enumerate(zip(rows, members, strict=True), start=1):
            data = row.model_dump(exclude={"breakdown"})
            yield number, [_cell(data[c]) for c in PLAIN_COLUMNS] + [mine.get(c) for c in wanted]

    return Table(header, cells()), problems


def observations_upsert(
    *, actor: AnyUser, initiative: Initiative, rows: Sequence[RowIn], dry_run: bool, source: str
) -> ImportReport:
    """Check and (unless ``dry_run`` or anything is wrong) save ``rows``, all or nothing.

    ``source`` names where the rows came from in each value's history ("Imported from …").
    """
    table, problems = rows_table(initiative, rows)
    report = import_table(
        actor=actor,
        initiative=initiative,
        table=table,
        filename=source,
        dry_run=dry_run or bool(problems),
        max_problems=MAX_PROBLEMS,
    )
    if problems:
        for problem in problems:
            report.add(problem, MAX_PROBLEMS)
        report.problems.sort(key=lambda p: (p.row is None, p.row or 0))
        report.dry_run = dry_run
        report.created = report.updated = report.unchanged = 0
    return report
