"""Importing observations from CSV and XLSX files in the tidy format (``measurement.tidy``).

What people can rely on:

* **All or nothing.** The whole file is one transaction. If any row has an error, nothing is
  saved and the report lists every problem (row, column, what is wrong, how to fix it).
* **Dry run first.** A dry run does everything a real import does — the same checks, the same
  counts of new, changed and unchanged values — and then rolls it all back.
* **Idempotent.** Importing the same file again changes nothing; a changed figure is an
  audited update (``ObservationChange``), never a silent overwrite.
* **Streaming.** Rows are read one at a time and written in batches, so a file of a million
  rows is never held in memory. What grows with the file is one 64-bit fingerprint per row
  (to find the same value given twice), about 60 bytes each.
* **Files as people have them**, and anything else refused before it is opened, with a message
  a non-specialist can act on: ``measurement.files``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import AnyUser
from backbone.measurement.files import (
    MAX_CELL_CHARACTERS,
    FileUnreadable,
    NoResult,
    Table,
    filled,
    open_table,
)
from backbone.measurement.models import (
    Aggregation,
    DimensionMember,
    Indicator,
    Observation,
    Period,
    RuleSeverity,
    Submission,
)
from backbone.measurement.services import Entry, Locked, ValidationFailed, observations_record
from backbone.measurement.tidy import (
    KEY_COLUMNS,
    NUMBER_COLUMNS,
    Header,
    Resolver,
    RowProblem,
    normalise_header,
    read_header,
    shown,
)
from backbone.measurement.validation import ERROR, WARNING, check_figures, check_parts


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows with no figures at all (template rows left empty)
    errors: int = 0
    warnings: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def ok(self) -> bool:
        return self.errors == 0

    @property
    def saved(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def shown_all(self) -> bool:
        return len(self.problems) == self.errors + self.warnings

    def add(self, problem: RowProblem, limit: int) -> None:
        if problem.is_error:
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.problems) < limit:
            self.problems.append(problem)

    def summary(self) -> str:
        if not self.ok:
            return _(
                "Nothing was saved: %(errors)s problem(s) in %(rows)s row(s). Fix them and "
                "upload the file again."
            ) % {"errors": self.errors, "rows": self.rows}
        counts = {"rows": self.rows, "new": self.created, "changed": self.updated}
        counts["same"] = self.unchanged
        if self.dry_run:
            return (
                _(
                    "Checked %(rows)s row(s): no errors. Importing would add %(new)s value(s), "
                    "change %(changed)s and leave %(same)s as they are. Nothing is saved yet."
                )
                % counts
            )
        return (
            _("Imported %(rows)s row(s): %(new)s new, %(changed)s changed, %(same)s unchanged.")
            % counts
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "saved": self.saved,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": self.errors,
            "warnings": self.warnings,
            "summary": self.summary(),
            "problems": [p.as_dict() for p in self.problems],
        }


class _Rollback(Exception):
    pass


def import_observations(
    *,
    actor: AnyUser,
    initiative: Initiative,
    file: IO[bytes],
    filename: str,
    dry_run: bool = True,
    submission: Submission | None = None,
    approve: bool = False,
    batch_size: int = 2000,
    max_problems: int = 500,
) -> ImportReport:
    """Check and (unless ``dry_run``) save a tidy file of observations, all or nothing.

    ``submission`` scopes the file to one partner's report for a round: only that partner, that
    period and the round's indicators; the values join the report as drafts. ``approve`` (the
    backbone only) approves the values at once, as for a trusted public source.
    """
    try:
        table = open_table(file, filename)
    except FileUnreadable as exc:
        report = ImportReport(filename=filename, dry_run=dry_run)
        report.add(exc.problem, max_problems)
        return report
    return import_table(
        actor=actor,
        initiative=initiative,
        table=table,
        filename=filename,
        dry_run=dry_run,
        submission=submission,
        approve=approve,
        batch_size=batch_size,
        max_problems=max_problems,
    )


def import_table(
    *,
    actor: AnyUser,
    initiative: Initiative,
    table: Table,
    filename: str,
    dry_run: bool = True,
    submission: Submission | None = None,
    approve: bool = False,
    batch_size: int = 2000,
    max_problems: int = 500,
) -> ImportReport:
    """The import itself, on rows from any source (a file, or the API's JSON rows)."""
    report = ImportReport(filename=filename, dry_run=dry_run)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    for note in table.notes:
        report.add(note, max_problems)
    header, problems = read_header(table.header, initiative)
    if any(c not in header.columns for c in KEY_COLUMNS):
        found = _headings_further_down(table)
        problems = [found] if found else problems
    for problem in problems:
        report.add(problem, max_problems)
    if not report.ok:
        return report
    if submission is not None:
        resolver = Resolver(
            actor,
            initiative,
            organization=submission.organization,
            indicators=submission.round.indicators.all(),
            period=submission.round.period,
        )
    else:
        resolver = Resolver(actor, initiative)
    try:
        with transaction.atomic():
            _run(report, table, header, resolver, submission, approve, batch_size, max_problems)
            if not report.saved:
                raise _Rollback
    except _Rollback:
        pass
    except FileUnreadable as exc:
        report.add(exc.problem, max_problems)
    if not report.ok:
        report.created = report.updated = report.unchanged = 0
    return report


def _headings_further_down(table: Table) -> RowProblem | None:
    """Titles or blank rows above the headings: find the headings in the next rows."""
    try:
        for number, cells in itertools.islice(table.rows, 20):
            if set(KEY_COLUMNS) <= {normalise_header(c) for c in cells}:
                return RowProblem(
                    number,
                    "",
                    _("The column headings are in row %(n)s, but they must be in row 1.")
                    % {"n": number},
                    _(
                        "Delete the %(k)s row(s) above the headings (titles, notes or blank "
                        "rows), then upload the file again."
                    )
                    % {"k": number - 1},
                )
    except FileUnreadable:
        pass
    return None


def _run(
    report: ImportReport,
    table: Table,
    header: Header,
    resolver: Resolver,
    submission: Submission | None,
    approve: bool,
    batch_size: int,
    limit: int,
) -> None:
    seen: set[int] = set()
    batch: list[tuple[int, Entry]] = []
    touched: set[tuple[int, int]] = set()  # (indicator, period) pairs, for the parts check

    def flush() -> None:
        if not batch:
            return
        if report.ok:
            _write(report, resolver, batch, submission, approve, limit)
        batch.clear()

    for number, cells in table.rows:
        report.rows += 1
        row, cell_problems = _row_cells(header, cells, number)
        for problem in cell_problems:
            report.add(problem, limit)
        if cell_problems:
            continue
        if not any(row.get(c, "").strip() for c in NUMBER_COLUMNS):
            report.skipped += 1
            continue  # a template row the partner had no figure for
        entry, problems = resolver.resolve(number, row, header)
        for problem in problems:
            report.add(problem, limit)
        if entry is None:
            continue
        figure_problems = check_figures(entry.indicator, entry.figures)
        for p in figure_problems:
            report.add(RowProblem(number, p.column, p.message, p.fix, p.severity), limit)
        if any(p.is_error for p in figure_problems):
            continue
        fingerprint = hash(entry.key)
        if fingerprint in seen:
            report.add(
                RowProblem(
                    number,
                    "",
                    _(
                        "This value (same indicator, place, period, group and organization) is "
                        "already given in an earlier row."
                    ),
                    _("Keep one of the two rows."),
                ),
                limit,
            )
            continue
        seen.add(fingerprint)
        touched.add((entry.indicator.pk, entry.period.pk))
        batch.append((number, entry))
        if len(batch) >= batch_size:
            flush()
    flush()
    if report.skipped:
        report.add(
            RowProblem(
                None,
                "value",
                _("%(n)s row(s) had no figures and were skipped.") % {"n": report.skipped},
                _("That is fine for groups you do not collect; fill them in if you do."),
                WARNING,
            ),
            limit,
        )
    if report.rows == report.skipped:
        report.add(
            RowProblem(
                None,
                "",
                _("The file has column headings but no rows of figures."),
                _("Add one row per value below the headings."),
            ),
            limit,
        )
    if report.ok:
        for problem in parts_problems(touched, resolver.indicators.values()):
            report.add(problem, limit)


def _row_cells(
    header: Header, cells: Sequence[object], row: int
) -> tuple[dict[str, str], list[RowProblem]]:
    """One row's cells as text by column, and what is wrong with the cells themselves: a cell
    under no heading, a formula without a result, a period Excel turned into a date, a cell far
    too long for its column."""
    texts: dict[str, str] = {}
    problems: list[RowProblem] = []
    for i, value in enumerate(cells):
        column = header.columns[i] if i < len(header.columns) else ""
        if column or not filled(value):
            continue
        problems.append(
            RowProblem(
                row,
                "",
                _("Column %(letter)s of this row holds “%(text)s”, but that column has no heading.")
                % {"letter": _column_letter(i), "text": shown(str(value))},
                _(
                    "A number or a note with a comma in it (like 1,234) must be put in quotes, "
                    "or it spills into the next cell. Otherwise delete the stray cell."
                ),
            )
        )
        break  # one is enough to show what is wrong
    for i, column in enumerate(header.columns):
        if not column:
            continue
        value = cells[i] if i < len(cells) else None
        if isinstance(value, NoResult):
            problems.append(
                RowProblem(
                    row,
                    column,
                    _("This cell holds a formula without a saved result."),
                    _(
                        "Open the file in Excel and save it again (Excel then saves each "
                        "formula’s result), or type the number instead of the formula."
                    ),
                )
            )
            continue
        if isinstance(value, datetime | date) and column == "period":
            problems.append(
                RowProblem(
                    row,
                    column,
                    _("Excel turned this period into a date (%(d)s).") % {"d": value},
                    _("Format the period column as Text and type the code, e.g. 2023-01."),
                )
            )
            continue
        text = _cell_text(value)
        if len(text) > MAX_CELL_CHARACTERS and column != "note" and column not in header.ignored:
            problems.append(
                RowProblem(
                    row,
                    column,
                    _(
                        "This cell has %(n)s characters, far too many for the %(column)s "
                        "column (the most is %(max)s)."
                    )
                    % {
                        "n": number_format(len(text), force_grouping=True),
                        "column": column,
                        "max": number_format(MAX_CELL_CHARACTERS, force_grouping=True),
                    },
                    _("Check what was pasted into this cell; it should hold a short code."),
                )
            )
            continue
        texts[column] = text
    return texts, problems


def _cell_text(value: object) -> str:
    """A cell as text: a date (Excel makes dates of what looks like one) as 2023-01-05."""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None:
        return ""
    return str(value)


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column names people see in a spreadsheet."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _write(
    report: ImportReport,
    resolver: Resolver,
    batch: Sequence[tuple[int, Entry]],
    submission: Submission | None,
    approve: bool,
    limit: int,
) -> None:
    try:
        result = observations_record(
            actor=resolver.actor,
            initiative=resolver.initiative,
            entries=[e for _n, e in batch],
            reason=_("Imported from %(f)s") % {"f": report.filename},
            submission=submission,
            approve=approve,
            validate=False,  # checked row by row above, with row numbers
        )
    except ValidationFailed as exc:
        row = batch[exc.row][0] if exc.row is not None else None
        for p in exc.problems:
            report.add(RowProblem(row, p.column, p.message, p.fix), limit)
        return
    except Locked as exc:
        row = batch[exc.row][0] if exc.row is not None else None
        fix = _("Ask the backbone team to return the report.")
        report.add(RowProblem(row, "", exc.message, fix), limit)
        return
    except PermissionDenied:
        report.add(
            RowProblem(
                None,
                "",
                _("You may not save these figures as they are (only the backbone team approves)."),
                _("Import them as a draft and submit the report for review."),
            ),
            limit,
        )
        return
    except DomainError as exc:
        fix = _("Correct the file, or ask the backbone team if the message is unclear.")
        report.add(RowProblem(None, "", exc.message, fix), limit)
        return
    report.created += result.created
    report.updated += result.updated
    report.unchanged += result.unchanged


def parts_problems(
    touched: set[tuple[int, int]], indicators: Iterable[Indicator]
) -> Iterator[RowProblem]:
    """Groups of one dimension that do not add up to their total, for the indicator × period
    pairs an import touched (values already stored count too). Counts are compared on values,
    percents and rates on numerators."""
    by_id = {i.pk: i for i in indicators}
    checked = {
        (ind, per)
        for ind, per in touched
        if by_id[ind].parts_rule != RuleSeverity.OFF and by_id[ind].dimensions.exists()
    }
    if not checked:
        return
    member_dim: dict[int, tuple[str, str]] = {}
    sizes: dict[str, int] = {}
    for pk, dim_code, dim_name in DimensionMember.objects.filter(
        dimension__indicators__in=list({i for i, _p in checked})
    ).values_list("pk", "dimension__code", "dimension__name"):
        member_dim[pk] = (dim_code, dim_name)
        sizes[dim_code] = sizes.get(dim_code, 0) + 1
    for indicator_id, period_id in sorted(checked):
        indicator = by_id[indicator_id]
        field_name = "numerator" if indicator.aggregation == Aggregation.RATIO else "value"
        rows = (
            Observation.objects.filter(indicator_id=indicator_id, period_id=period_id)
            .order_by("place_id", "organization_id")
            .values_list("place__code", "organization__name", "breakdown__key", field_name)
        )
        groups: dict[tuple[str, str | None], dict[str, Decimal | None]] = {}
        for place, org, key, number in rows.iterator(chunk_size=5000):
            groups.setdefault((place, org), {})[key] = number
        period_code = Period.objects.get(pk=period_id).code
        for (place, org), values in groups.items():
            total = values.get("")
            if total is None:
                continue
            by_dim: dict[str, dict[str, Decimal]] = {}
            for key, number in values.items():
                if key and "|" not in key and number is not None:
                    dim, member = key.split(":", 1)
                    by_dim.setdefault(dim, {})[member] = number
            for dim, parts in sorted(by_dim.items()):
                name = next((n for c, n in member_dim.values() if c == dim), dim)
                problem = check_parts(
                    indicator, name, total, parts, all_members=len(parts) == sizes.get(dim, 0)
                )
                if problem is not None:
                    where = ", ".join(x for x in (indicator.code, place, period_code, org) if x)
                    yield RowProblem(
                        None,
                        dim,
                        f"{where}: {problem.message}",
                        problem.fix,
                        ERROR if problem.is_error else WARNING,
                    )
