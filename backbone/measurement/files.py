"""Opening a partner's file as a table of rows: what kind of file it is (from its first bytes,
never its name), its text encoding and separator, and the refusals, each with a message a
non-specialist can act on.

* UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text") or without
  (a warning), and Windows-1252 (Excel's "CSV" on Western Windows; a warning); comma, semicolon
  or tab separated; any mix of line ends; ``.xlsx`` workbooks (the first sheet, or one named
  "data").
* Refused before it is opened: ``.xls``, encrypted workbooks, ``.ods``, Word documents, zips,
  compressed files, PDFs, pictures, web pages. An ``.xlsx`` is checked from the zip's table of
  contents before anything is unpacked: too big once unpacked (a "zip bomb"), macros, links to
  other workbooks. Files over ``settings.IMPORT_MAX_BYTES`` (50 MB unless set) are refused.
  ``tests/measurement/bad_files/`` is the corpus.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import unquote

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.measurement.tidy import (
    RowProblem,
)
from backbone.measurement.validation import WARNING

SAMPLE_BYTES = 64 * 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # settings.IMPORT_MAX_BYTES overrides it
# A zip (an .xlsx is one) is refused before anything in it is unpacked when, by its own table of
# contents, it would grow past MAX_UNPACKED_BYTES, holds more than MAX_MEMBERS files, or has a
# file over 1 MB packed more than MAX_RATIO times: ordinary workbooks pack 5–20 times, a "zip
# bomb" (a small file built to fill a server's memory or disk) about a thousand times.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
MAX_CELL_CHARACTERS = 1000  # any cell but the note (which tidy limits to 500)
_NEWLINE = re.compile(rb"\r\n|\r|\n")
# A worksheet cell with a formula and no saved result: ``<f>…</f>`` (or ``<f …/>``), then
# nothing or an empty ``<v>``, then ``</c>``; any namespace prefix.
_FORMULA_WITHOUT_RESULT = re.compile(
    rb"<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\b[^>]*(?:/>|>\s*</(?:\w+:)?v>)\s*)?</(?:\w+:)?c>"
)
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)])


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


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def open_table(file: IO[bytes], filename: str) -> Table:
    """Open a CSV or XLSX file for streaming; raise ``FileUnreadable`` if it is neither.

    What a file is comes from its first bytes, never its name: a workbook named ``.csv`` is read
    as a workbook, a picture named ``.csv`` is refused as a picture.
    """
    file.seek(0, io.SEEK_END)
    size, limit = file.tell(), max_bytes()
    file.seek(0)
    if size > limit:
        raise _unreadable(
            _("The file is too large (%(size)s); the most we accept is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            _(
                "Split it into smaller files — for example one per year or per indicator — and "
                "upload them one at a time."
            ),
        )
    head = file.read(512)
    file.seek(0)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _open_zip(file)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _office_97(file)
    refused = _not_a_table(head)
    if refused is not None:
        raise refused
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable(
            _("The file is named .xlsx but is not an Excel workbook."),
            _("Open it in Excel and save it again as .xlsx, or save it as CSV UTF-8."),
        )
    return _open_csv(file)


def _not_a_table(head: bytes) -> FileUnreadable | None:
    """Kinds of file people upload by mistake, known by their first bytes."""
    upload = _("Upload the spreadsheet the figures came from, saved as .xlsx or CSV.")
    if head.startswith(b"%PDF"):
        return _unreadable(_("This is a PDF, not a table of data."), upload)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return _unreadable(
            _("This is a picture, not a table of data."),
            _("Upload the spreadsheet itself, saved as .xlsx or CSV — not a picture of it."),
        )
    if head.startswith((b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf\x27\x1c")):
        return _unreadable(
            _("This file is compressed (packed to make it smaller), so we cannot read it."),
            _("Unpack it on your computer and upload the CSV or .xlsx file that was inside."),
        )
    if head.startswith(b"{\\rtf"):
        return _unreadable(
            _("This is a word-processor document, not a table of data."),
            _("Copy the table into a spreadsheet and save that as .xlsx or CSV."),
        )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return _unreadable(
            _("This is a web page, not a table of data."),
            _(
                "If you downloaded it, download the file itself rather than the page that links "
                "to it; or save your spreadsheet as CSV UTF-8 and upload that."
            ),
        )
    return None


def _damaged_workbook() -> FileUnreadable:
    return _unreadable(
        _("The workbook is damaged or incomplete (perhaps it did not finish downloading)."),
        _("Open it in Excel to check it, save it again as .xlsx, and upload that copy."),
    )


def _open_zip(file: IO[bytes]) -> Table:
    """An .xlsx is a zip of XML files. Check the zip's table of contents (nothing is unpacked)
    before openpyxl sees it: too big once unpacked, not a workbook, macros, links to other files,
    a password."""
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            _refuse_bombs(infos)
            names = {i.filename for i in infos}
            if any(i.flag_bits & 0x1 for i in infos):
                raise _password_protected()
            if "xl/workbook.xml" not in names:
                raise _not_a_workbook(archive, names)
            content_types = _small_member(archive, "[Content_Types].xml")
            if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
                raise _unreadable(
                    _("This workbook contains macros (small programs), which we do not open."),
                    _(
                        "In Excel choose File → Save As → “Excel Workbook (.xlsx)”: that saves a "
                        "copy without the macros. Upload that copy."
                    ),
                )
            if any(n.startswith("xl/externalLinks/") for n in names):
                links = sorted(n for n in names if n.startswith("xl/externalLinks/_rels/"))
                raise _unreadable(
                    _(
                        "This workbook takes some of its figures from another file%(which)s, so "
                        "the numbers we would read may be out of date."
                    )
                    % {"which": _linked_files(archive, links)},
                    _(
                        "In Excel choose Data → Edit Links → Break Link (this keeps the current "
                        "numbers), save, and upload the workbook again."
                    ),
                )
            with_formulas = _has_formulas_without_results(archive, names)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _damaged_workbook() from exc
    file.seek(0)
    return _open_xlsx(file, with_formulas=with_formulas)


def _refuse_bombs(infos: Sequence[zipfile.ZipInfo]) -> None:
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    worst = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > RATIO_FROM_BYTES),
        default=0,
    )
    if len(infos) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES or worst > MAX_RATIO:
        raise _unreadable(
            _(
                "This file is packed in a suspicious way: it would grow from %(packed)s to "
                "%(unpacked)s when opened, far more than any table of figures needs, so we did "
                "not open it."
            )
            % {"packed": filesizeformat(packed), "unpacked": filesizeformat(unpacked)},
            _(
                "If it is a real workbook, copy the sheet with your figures into a new workbook, "
                "save it as .xlsx or as CSV UTF-8, and upload that."
            ),
        )


def _small_member(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    return archive.read(info) if info.file_size <= limit else b""


def _password_protected() -> FileUnreadable:
    return _unreadable(
        _("This workbook is protected with a password, so we cannot open it."),
        _(
            "In Excel choose File → Info → Protect Workbook → Encrypt with Password, delete the "
            "password, save, and upload the workbook again."
        ),
    )


def _not_a_workbook(archive: zipfile.ZipFile, names: set[str]) -> FileUnreadable:
    mimetype = _small_member(archive, "mimetype")
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return _unreadable(
            _("This is an OpenDocument spreadsheet (.ods), which we cannot read."),
            _(
                "In LibreOffice or OpenOffice choose File → Save As → “Excel 2007-365 (.xlsx)” "
                "or “Text CSV”, and upload that."
            ),
        )
    if "xl/workbook.bin" in names:
        return _unreadable(
            _("This is an Excel binary workbook (.xlsb), which we cannot read."),
            _("In Excel choose File → Save As → “Excel Workbook (.xlsx)”, and upload that."),
        )
    if "word/document.xml" in names or mimetype.startswith(b"application/vnd.oasis"):
        return _unreadable(
            _("This is a text document (such as Word), not a spreadsheet."),
            _("Copy the table into a spreadsheet and save that as .xlsx or CSV."),
        )
    tables = sorted(n for n in names if n.lower().endswith((".csv", ".xlsx", ".tsv", ".txt")))
    inside = ", ".join(f"“{n.rsplit('/', 1)[-1]}”" for n in tables[:5])
    return _unreadable(
        _("This is a zip file (several files packed together), not an Excel workbook."),
        _("Unzip it and upload the spreadsheet that was inside, on its own%(inside)s.")
        % {"inside": _(" (it holds %(names)s)") % {"names": inside} if inside else ""},
    )


def _linked_files(archive: zipfile.ZipFile, rels: Sequence[str]) -> str:
    """`` (“Counts 2023.xlsx”)``: the names of the linked files, from the links' own small XML."""
    found = []
    for name in rels[:3]:
        for target in re.findall(rb'Target="([^"]{1,300})"', _small_member(archive, name, 65536)):
            text = unquote(target.decode("utf-8", "replace"))
            found.append(re.split(r"[/\\]", text)[-1])
    return " ({})".format(", ".join(f"“{n}”" for n in found)) if found else ""


def _has_formulas_without_results(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """Does any worksheet hold a formula whose result was not saved with it? Files saved by Excel
    or LibreOffice never do; files written by programs often do. A scan of the raw XML: reading
    every cell twice (values and formulas) would halve the speed of every workbook import."""
    sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    for name in sorted(sheets):
        tail = b""
        with archive.open(name) as member:
            while chunk := member.read(SAMPLE_BYTES):
                text = tail + chunk
                if _FORMULA_WITHOUT_RESULT.search(text):
                    return True
                tail = text[-16384:]  # a formula is at most 8,192 characters
    return False


def _office_97(file: IO[bytes]) -> FileUnreadable:
    """Old Office files and password-protected new ones share one container (an "OLE compound
    file"); the names of the streams inside tell them apart."""
    names = _compound_file_streams(file)
    if {"encryptioninfo", "encryptedpackage"} & names:
        return _password_protected()
    if "worddocument" in names:
        return _unreadable(
            _("This is a Word document, not a spreadsheet."),
            _("Copy the table into a spreadsheet and save that as .xlsx or CSV."),
        )
    return _unreadable(
        _("This is an Excel 97–2003 workbook (.xls), which we cannot read."),
        _("In Excel choose File → Save As → “Excel Workbook (.xlsx)” or “CSV UTF-8”."),
    )


def _compound_file_streams(file: IO[bytes]) -> set[str]:
    """The names (lower case) in a compound file's directory; empty when it is not a sound one.
    Follows the published layout ([MS-CFB]): a 512-byte header, then sectors of 512 or 4,096
    bytes; the header lists the first 109 sectors of the allocation table and where the
    directory starts."""

    def number(data: bytes, at: int) -> int:
        return int.from_bytes(data[at : at + 4], "little")

    header = file.read(512)
    shift = int.from_bytes(header[30:32], "little")
    names: set[str] = set()
    if len(header) < 512 or shift not in (9, 12):
        file.seek(0)
        return names
    size = 1 << shift

    def sector(n: int) -> bytes:
        file.seek((n + 1) * size)
        return file.read(size)

    table: list[int] = []
    for i in range(min(number(header, 44), 109)):
        data = sector(number(header, 76 + 4 * i))
        table += [number(data, at) for at in range(0, len(data) - 3, 4)]
    current = number(header, 48)
    for _step in range(1024):  # a directory chain this long (or looping) is not a real file
        if current >= len(table):
            break
        data = sector(current)
        for at in range(0, len(data) - 127, 128):
            length = int.from_bytes(data[at + 64 : at + 66], "little")
            if 2 < length <= 64:
                names.add(data[at : at + length - 2].decode("utf-16-le", "replace").lower())
        current = table[current]
    file.seek(0)
    return names


def _detect_encoding(sample: bytes) -> tuple[str, list[RowProblem]]:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    utf16 = _utf16_without_bom(sample) if b"\x00" in sample else None
    if utf16:
        return utf16, [
            RowProblem(
                None,
                "",
                _(
                    "The file is saved as “Unicode text” (UTF-16) but lacks the mark that "
                    "usually starts such files; it was read as Unicode text."
                ),
                _("Check that names with accents look right; saving as “CSV UTF-8” avoids this."),
                WARNING,
            )
        ]
    if sum(sample.count(b) for b in _CONTROL_BYTES) * 20 > len(sample):
        raise _unreadable(
            _(
                "The file is not plain text: it looks like a picture, a program or another kind "
                "of file, not a table of figures."
            ),
            _("Upload the spreadsheet itself, saved as .xlsx or as “CSV UTF-8 (comma delimited)”."),
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError as exc:
        row = len(_NEWLINE.findall(sample, 0, exc.start)) + 1
        raise _unreadable(
            _(
                "Row %(n)s contains characters we cannot recognise: the file is not saved as "
                "UTF-8, nor in any other way we can read (a Mac “CSV” file often does this)."
            )
            % {"n": row},
            _("Save it from your spreadsheet as “CSV UTF-8 (comma delimited)” and try again."),
            row=row,
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


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without its byte-order mark: mostly Latin letters, so every other byte is 0."""
    head = sample[: min(len(sample), 4096) // 2 * 2]
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    encoding = None
    if odd > pairs * 0.4 and even < pairs * 0.05:
        encoding = "utf-16-le"
    elif even > pairs * 0.4 and odd < pairs * 0.05:
        encoding = "utf-16-be"
    if encoding is None:
        return None
    try:
        head.decode(encoding)
    except UnicodeDecodeError:
        return None
    return encoding


def _open_csv(file: IO[bytes]) -> Table:
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    if not sample:
        raise _unreadable(_("The file is empty."), _("Use the template and fill in your figures."))
    encoding, notes = _detect_encoding(sample)
    text = sample.decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        raise _unreadable(
            _("The file holds only spaces and blank lines, no figures."),
            _(
                "It may not have been saved properly: open the original in your spreadsheet, "
                "save it as “CSV UTF-8 (comma delimited)” and upload that."
            ),
        )
    first_line = next((x for x in lines if any(d in x for d in ",;\t")), lines[0])
    delimiter = max((";", ",", "\t"), key=lambda d: (first_line.count(d), d == ","))
    if first_line.count(delimiter) == 0:
        other = next((d for d in "|:^~#/" if lines[0].count(d) >= 2), None)
        if other:
            raise _unreadable(
                _(
                    "The columns are separated by “%(d)s”. We read columns separated by commas, "
                    "semicolons or tabs."
                )
                % {"d": other},
                _(
                    "Save the file from your spreadsheet as “CSV UTF-8 (comma delimited)”, or "
                    "replace each “%(d)s” with a comma (or a semicolon)."
                )
                % {"d": other},
                row=1,
            )
    wide = encoding.startswith("utf-16")
    if wide:
        source: Iterator[str] = io.TextIOWrapper(file, encoding=encoding, newline="")  # type: ignore[arg-type]
    else:
        source = _decoded_lines(file, encoding)
    reader = csv.reader(source, delimiter=delimiter, strict=True)
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
                    % {"n": row_number + 1, "enc": _encoding_name(encoding)},
                    _("Save the whole file as “CSV UTF-8 (comma delimited)” and try again."),
                    row=row_number + 1,
                ) from exc
            except csv.Error as exc:
                raise _csv_error(exc, row_number + 1) from exc
            row_number = reader.line_num
            if wide and any("\x00" in c for c in cells):  # other encodings: checked per line
                raise _null_character(row_number)
            if any(str(c).strip() for c in cells):
                yield row_number, list(cells)

    return Table(header, rows(), encoding=encoding, delimiter=delimiter, notes=notes)


def _null_character(row: int) -> FileUnreadable:
    return _unreadable(
        _(
            "Row %(n)s contains an invisible “null” character, a sign that the file was damaged "
            "or pieced together."
        )
        % {"n": row},
        _(
            "Open the file in your spreadsheet, check that row, save it again as “CSV UTF-8 "
            "(comma delimited)” and upload it again."
        ),
        row=row,
    )


def _csv_error(exc: csv.Error, row: int) -> FileUnreadable:
    """What Python's CSV reader complains about, in words for people."""
    why = str(exc)
    quote_fix = _(
        'Look for a stray quote mark (") in row %(n)s: remove it, or add the closing one.'
    )
    if "field larger than field limit" in why:
        message = _(
            "Row %(n)s cannot be read: a cell in it runs on for more than %(max)s characters."
        )
        fix = _(
            'Usually a quote mark (") opens a cell that is never closed, so the rest of the file '
            "runs into it: check row %(n)s. Otherwise shorten the cell."
        )
    elif "unexpected end of data" in why:
        message = _(
            'Row %(n)s cannot be read: a quote mark (") opens a cell that is never closed, so '
            "everything after it runs into that cell."
        )
        fix = quote_fix
    elif "expected after" in why:
        message = _("Row %(n)s cannot be read: a cell has more text after its closing quote mark.")
        fix = _(
            "Put the whole cell in quotes, or remove the quote marks; a quote mark inside a "
            'quoted cell is written twice ("").'
        )
    else:
        message = _("Row %(n)s cannot be read.")
        fix = quote_fix
    values = {"n": row, "max": number_format(csv.field_size_limit(), force_grouping=True)}
    return _unreadable(message % values, fix % values, row=row)


def _encoding_name(encoding: str) -> str:
    if encoding == "cp1252":
        return _("Windows-1252 (Western European)")
    return encoding.upper().replace("-SIG", "").replace("-LE", "").replace("-BE", "")


def _decoded_lines(file: IO[bytes], encoding: str) -> Iterator[str]:
    """Lines decoded one at a time, so that a bad byte is reported with its own line number.
    Lines may end in any mix of Windows (CR LF), Unix (LF) and old Mac (CR) line ends."""
    number, pending = 0, b""
    while True:
        chunk = file.read(SAMPLE_BYTES)
        pending += chunk
        held = b""
        if chunk and pending.endswith(b"\r"):  # the LF of a CR LF may start the next chunk
            pending, held = pending[:-1], b"\r"
        parts = _NEWLINE.split(pending) if b"\r" in pending else pending.split(b"\n")
        pending = (parts.pop() if chunk else b"") + held
        for raw in parts:
            number += 1
            if b"\x00" in raw:
                raise _null_character(number)
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise _unreadable(
                    _("Row %(n)s contains characters that are not %(enc)s.")
                    % {"n": number, "enc": _encoding_name(encoding)},
                    _("Save the whole file as “CSV UTF-8 (comma delimited)” and try again."),
                    row=number,
                ) from exc
            yield text + "\n"
            encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        if not chunk:
            return


class NoResult:
    """An XLSX cell holding a formula whose result was not saved with the file."""

    def __str__(self) -> str:
        return ""


def _open_xlsx(file: IO[bytes], *, with_formulas: bool = False) -> Table:
    """The sheet named "data", else the first. ``with_formulas``: the file has formulas without
    saved results, so the sheet is read a second time for its formulas, to point at them."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    errors = (InvalidFileException, zipfile.BadZipFile, zlib.error, EOFError, KeyError)
    errors += (IndexError, OSError, TypeError, ValueError, SyntaxError)  # SyntaxError: bad XML
    try:
        book = load_workbook(file, read_only=True, data_only=True)
        sheets = book.worksheets
        if not sheets:
            raise _unreadable(
                _("The workbook has no sheet with a table in it."),
                _("Put your figures in a sheet of their own, with the column headings in row 1."),
            )
        sheet = next((s for s in sheets if s.title.strip().lower() == "data"), sheets[0])
        values: Iterator[Sequence[object]] = sheet.iter_rows(values_only=True)
        if with_formulas:
            formulas = load_workbook(file, read_only=True, data_only=False)[sheet.title]
            shown = formulas.iter_rows(values_only=True)
            values = (
                tuple(
                    NoResult()
                    if v is None
                    and (
                        (isinstance(f, str) and f.startswith("="))
                        or isinstance(f, ArrayFormula | DataTableFormula)
                    )
                    else v
                    for v, f in zip(row, formula_row, strict=False)
                )
                for row, formula_row in zip(values, shown, strict=False)
            )
        numbered = enumerate(values, start=1)
        peeked: list[tuple[int, Sequence[object]]] = []
        for number, cells in numbered:
            peeked.append((number, cells))
            if _filled_row(cells) or number >= 20:
                break
    except errors as exc:
        raise _damaged_workbook() from exc
    if not any(_filled_row(cells) for _n, cells in peeked):
        raise _unreadable(
            _("The sheet “%(s)s” is empty.") % {"s": sheet.title},
            _("Use the template and fill in your figures."),
        )
    header = list(peeked[0][1])  # blank when the headings are further down: import_table says so

    def rows() -> Iterator[tuple[int, list[object]]]:
        try:
            for number, cells in itertools.chain(peeked[1:], numbered):
                if _filled_row(cells):
                    yield number, [_xlsx_cell(c) for c in cells]
        except errors as exc:
            raise _damaged_workbook() from exc

    return Table(header, rows())


def filled(value: object) -> bool:
    return value is not None and (isinstance(value, NoResult) or str(value).strip() != "")


def _filled_row(cells: Iterable[object]) -> bool:
    return any(filled(c) for c in cells)


def _xlsx_cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
