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
* **Files as people have them.** UTF-8 with or without a byte-order mark, UTF-16 with one
  (Excel's "Unicode text"), and Windows-1252 (Excel's "CSV" on Western Windows; reported as a
  warning); comma, semicolon or tab separated; ``.xlsx`` workbooks (the first sheet, or one named
  "data"). Excel 97–2003 ``.xls`` files, PDFs and other binaries are refused with a plain message.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import AnyUser
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
from backbone.measurement.tidy import NUMBER_COLUMNS, Header, Resolver, RowProblem, read_header
from backbone.measurement.validation import ERROR, WARNING, check_figures, check_parts

SAMPLE_BYTES = 64 * 1024


class FileUnreadable(Exception):
    """The file cannot be read as a table at all; ``problem`` says why and what to do."""

    def __init__(self, problem: RowProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _unreadable(message: str, fix: str, row: int | None = None) -> FileUnreadable:
    return FileUnreadable(RowProblem(row, "", message, fix))


@dataclass
class Table:
    """A file opened as a table: its header cells and a stream of (row number, cells)."""

    header: list[object]
    rows: Iterator[tuple[int, list[object]]]
    encoding: str = ""
    delimiter: str = ""
    notes: list[RowProblem] = field(default_factory=list)


def open_table(file: IO[bytes], filename: str) -> Table:
    """Open a CSV or XLSX file for streaming; raise ``FileUnreadable`` if it is neither."""
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(file)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unreadable(
            _("This is an Excel 97–2003 workbook (.xls), which we cannot read."),
            _("In Excel choose File → Save As → “Excel Workbook (.xlsx)” or “CSV UTF-8”."),
        )
    if head.startswith(b"%PDF"):
        raise _unreadable(
            _("This is a PDF, not a table of data."),
            _("Upload the spreadsheet the figures came from, saved as .xlsx or CSV."),
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable(
            _("The file is named .xlsx but is not an Excel workbook."),
            _("Open it in Excel and save it again as .xlsx, or save it as CSV UTF-8."),
        )
    return _open_csv(file)


def _detect_encoding(sample: bytes) -> tuple[str, list[RowProblem]]:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    if b"\x00" in sample:
        raise _unreadable(
            _("The file is not plain text (it contains empty bytes), so it cannot be read."),
            _("Save it from your spreadsheet as “CSV UTF-8 (comma delimited)”."),
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _unreadable(
            _("The file’s characters are in an encoding we cannot recognise."),
            _("Save it from your spreadsheet as “CSV UTF-8 (comma delimited)”."),
        ) from exc
    return "cp1252", [
        RowProblem(
            None,
            "",
            _("The file is not UTF-8, so it was read as Windows-1252 (Western European)."),
            _("Check that names with accents look right; saving as “CSV UTF-8” avoids this."),
            WARNING,
        )
    ]


def _open_csv(file: IO[bytes]) -> Table:
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    if not sample.strip():
        raise _unreadable(_("The file is empty."), _("Use the template and fill in your figures."))
    encoding, notes = _detect_encoding(sample)
    first_line = sample.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines()[0]
    delimiter = max((";", ",", "\t"), key=lambda d: (first_line.count(d), d == ","))
    if encoding == "utf-16":
        lines: Iterator[str] = io.TextIOWrapper(file, encoding=encoding, newline="")  # type: ignore[arg-type]
    else:
        separator = b"\r" if b"\r" in sample and b"\n" not in sample else b"\n"  # old Mac: CR
        lines = _decoded_lines(file, encoding, separator)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    row_number = 1
    try:
        header: list[object] = next(reader)
    except (StopIteration, UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(
            _("The first row cannot be read as column headings."),
            _("Save the file as “CSV UTF-8 (comma delimited)” with a heading row."),
            row=1,
        ) from exc

    def rows() -> Iterator[tuple[int, list[object]]]:
        nonlocal row_number
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:  # UTF-16 only; other encodings: per line
                raise _unreadable(
                    _("Row %(n)s contains characters that are not %(enc)s.")
                    % {"n": row_number + 1, "enc": encoding.upper()},
                    _("Save the whole file as “CSV UTF-8 (comma delimited)” and try again."),
                    row=row_number + 1,
                ) from exc
            except csv.Error as exc:
                raise _unreadable(
                    _("Row %(n)s cannot be read: %(why)s.") % {"n": row_number + 1, "why": exc},
                    _("Look for a stray quote mark in that row."),
                    row=row_number + 1,
                ) from exc
            row_number = reader.line_num
            if any(str(c).strip() for c in cells):
                yield row_number, list(cells)

    return Table(header, rows(), encoding=encoding, delimiter=delimiter, notes=notes)


def _decoded_lines(file: IO[bytes], encoding: str, separator: bytes) -> Iterator[str]:
    """Lines decoded one at a time, so that a bad byte is reported with its own line number."""
    number, pending = 0, b""
    while True:
        chunk = file.read(SAMPLE_BYTES)
        pending += chunk
        parts = pending.split(separator)
        pending = parts.pop() if chunk else b""
        for raw in parts:
            number += 1
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise _unreadable(
                    _("Row %(n)s contains characters that are not %(enc)s.")
                    % {"n": number, "enc": encoding.upper().replace("-SIG", "")},
                    _("Save the whole file as “CSV UTF-8 (comma delimited)” and try again."),
                    row=number,
                ) from exc
            yield text + "\n"
            encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        if not chunk:
            return


def _open_xlsx(file: IO[bytes]) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _unreadable(
            _("The workbook cannot be opened (it may be damaged or password-protected)."),
            _("Open it in Excel, remove any password, and save it again as .xlsx."),
        ) from exc
    sheet = next((s for s in book.worksheets if s.title.strip().lower() == "data"), None)
    sheet = sheet or book.worksheets[0]
    stream = sheet.iter_rows(values_only=True)
    header = next(stream, None)
    if header is None or not any(c is not None and str(c).strip() for c in header):
        raise _unreadable(
            _("The sheet “%(s)s” is empty.") % {"s": sheet.title},
            _("Use the template and fill in your figures."),
        )

    def rows() -> Iterator[tuple[int, list[object]]]:
        for number, cells in enumerate(stream, start=2):
            if any(c is not None and str(c).strip() for c in cells):
                yield number, [_xlsx_cell(c) for c in cells]

    return Table(list(header), rows())


def _xlsx_cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
        row = {
            column: _cell_text(column, cells[i] if i < len(cells) else None, number, report, limit)
            for i, column in enumerate(header.columns)
            if column
        }
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


def _cell_text(column: str, value: object, row: int, report: ImportReport, limit: int) -> str:
    """A cell as text. Excel may have turned a period such as 2023-01 into a date: say so."""
    if isinstance(value, datetime | date):
        if column == "period":
            report.add(
                RowProblem(
                    row,
                    column,
                    _("Excel turned this period into a date (%(d)s).") % {"d": value},
                    _("Format the period column as Text and type the code, e.g. 2023-01."),
                ),
                limit,
            )
            return ""
        return value.isoformat()
    if value is None:
        return ""
    return str(value)


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
    except (ValidationFailed, Locked) as exc:
        row = batch[exc.row][0] if exc.row is not None else None
        report.add(
            RowProblem(row, "", exc.message, _("Ask the backbone team to return the report.")),
            limit,
        )
        return
    except (DomainError, PermissionDenied) as exc:
        report.add(RowProblem(None, "", str(exc), ""), limit)
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
