"""File writers for tables of rows: CSV, XLSX and JSON, each streaming rows one by one.

Text cells that a spreadsheet would run as a formula are neutralised (:func:`neutralise`); numbers
stay numbers (in JSON, exact decimal strings). Several annotations in one CSV or XLSX cell are
joined with :data:`SEPARATOR`. Used by the exports (``measurement.exports``) and the templates of
reporting rounds; nothing here reads the database.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import BinaryIO, TextIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

SEPARATOR = " | "  # between several annotations in one CSV or XLSX cell
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) gets a leading apostrophe, so it stays text (OWASP
    "CSV injection"). Only for text: numbers are written as numbers and never neutralised."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def plain_number(number: Decimal) -> str:
    """A decimal written plainly: no exponent, no trailing zeros (``10345.000000`` → ``10345``)."""
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return SEPARATOR.join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return str(value)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, int | float):
        return str(value)
    return neutralise(_text(value))


def write_csv(rows: Iterable[Mapping[str, object]], columns: Sequence[str], out: TextIO) -> int:
    """Write a header and the rows as CSV; return how many rows were written.

    Starts with a byte-order mark so that Excel reads accents correctly. Open files with
    ``newline=""``. Several annotations share one cell, separated by `` | ``.
    """
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
        count += 1
    return count


def _xlsx_cell(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise(_text(value)))


def write_xlsx(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    out: BinaryIO,
    *,
    about: Sequence[tuple[str, str]] = (),
) -> int:
    """Write the rows to the sheet "Data" (numbers as numbers), then a sheet "About" with the
    ``about`` lines (source, date, filters…) and every note found in the rows; return the row
    count. Uses openpyxl's write-only mode, which streams to a temporary file."""
    book = Workbook(write_only=True)
    data = book.create_sheet("Data")
    data.append(list(columns))
    notes: dict[tuple[str, str, str], None] = {}
    count = 0
    for row in rows:
        data.append([_xlsx_cell(row.get(c)) for c in columns])
        for text in row.get("annotations") or ():  # type: ignore[union-attr]
            notes[(str(row.get("indicator", "")), str(row.get("period", "")), str(text))] = None
        count += 1
    sheet = book.create_sheet("About")
    for label, text in about:
        sheet.append([_xlsx_cell(label), _xlsx_cell(text)])
    sheet.append([_xlsx_cell(_("Rows")), count])
    sheet.append([])
    sheet.append([_xlsx_cell(_("Notes on the figures")), None, None])
    sheet.append(["indicator", "period", "annotation"])
    for note in notes:
        sheet.append([_xlsx_cell(part) for part in note])
    book.save(out)
    return count


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value


def write_json(rows: Iterable[Mapping[str, object]], columns: Sequence[str], out: TextIO) -> int:
    """Write the rows as a JSON array of objects (keys in ``columns`` order), one per line;
    return the row count.

    Figures are JSON *strings* (``"17.272727"``), not numbers: decimals keep every digit, where
    many JSON readers would turn a number into an inexact float. Counts of reports are numbers,
    ``suppressed`` is a boolean, ``annotations`` a list of texts, an empty figure ``null``. No
    neutralisation: JSON is not opened by spreadsheets.
    """
    out.write("[")
    count = 0
    for row in rows:
        obj = {c: _json_value(row.get(c)) for c in columns}
        out.write(("\n" if count == 0 else ",\n") + json.dumps(obj, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
