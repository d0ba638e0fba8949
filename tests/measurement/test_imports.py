"""Importing tidy files: good files in the shapes people have them, and a corpus of bad ones —
each gets a specific row-level message and leaves the database exactly as it was."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.imports import import_observations
from backbone.measurement.models import (
    Observation,
    ObservationChange,
    ObservationStatus,
    RuleSeverity,
)

pytestmark = pytest.mark.django_db

HEADER = "indicator,place,period,value,numerator,denominator,organization,shelter,note\n"


@pytest.fixture
def world(import_world):
    return import_world


def run(world, text: str | bytes, *, filename="data.csv", actor=None, **options):
    data = text.encode() if isinstance(text, str) else text
    options.setdefault("dry_run", False)
    return import_observations(
        actor=actor or world["admin"],
        initiative=world["init"],
        file=io.BytesIO(data),
        filename=filename,
        **options,
    )


GOOD = (
    HEADER + "homeless,A,2023,120,,,,,\n"
    "homeless,A,2023,100,,,,sheltered,\n"
    "homeless,A,2023,20,,,,unsheltered,\n"
    "screened,A,2023,,9,10,CLINIC,,\n"
    "screened,B,2023,,10,100,Other,,\n"
)


def test_a_good_file_is_saved_and_reimporting_it_changes_nothing(world):
    report = run(world, GOOD)
    assert report.saved, report.problems
    assert (report.rows, report.created, report.updated) == (5, 5, 0)
    assert Observation.objects.count() == 5
    # The backbone's community-wide figures count at once; partners' figures await review.
    assert Observation.objects.filter(status=ObservationStatus.APPROVED).count() == 3
    assert Observation.objects.filter(status=ObservationStatus.DRAFT).count() == 2
    again = run(world, GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert ObservationChange.objects.count() == 5


def test_a_changed_value_is_an_audited_update(world):
    run(world, GOOD)
    report = run(world, GOOD.replace("homeless,A,2023,120", "homeless,A,2023,121"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    change = ObservationChange.objects.get(version=2)
    assert (change.before["value"], change.after["value"]) == ("120", "121")
    assert change.reason == "Imported from data.csv"


def test_a_dry_run_reports_what_would_happen_and_saves_nothing(world):
    report = run(world, GOOD, dry_run=True)
    assert report.ok and not report.saved
    assert report.created == 5
    assert "Nothing is saved yet" in report.summary()
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("encode", "label"),
    [
        (lambda t: codecs.BOM_UTF8 + t.encode(), "utf-8 with BOM"),
        (lambda t: t.replace(",", ";").encode(), "semicolons"),
        (lambda t: t.replace(",", "\t").encode("utf-16"), "Excel unicode text"),
        (lambda t: t.replace("\n", "\r\n").encode(), "Windows line ends"),
    ],
)
def test_files_as_excel_saves_them(world, encode, label):
    report = run(world, encode(GOOD))
    assert report.saved, (label, report.problems)
    assert report.created == 5


def test_windows_1252_is_read_with_a_warning(world):
    text = GOOD.replace("screened,B,2023,,10,100,Other,,", "screened,B,2023,,10,100,Other,,Señal")
    report = run(world, text.encode("cp1252"))
    assert report.saved and report.warnings == 1
    assert "Windows-1252" in report.problems[0].message
    assert Observation.objects.get(place__code="B").note == "Señal"


def test_thousands_separators_and_percent_signs_are_understood(world):
    report = run(world, HEADER + 'homeless,A,2023,"1,234",,,,,\n')
    assert report.saved
    assert Observation.objects.get().value == 1234


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_is_imported(world):
    data = xlsx(
        [
            ["Indicator", "Place", "Period", "Value", "Numerator", "Denominator", "Organization"],
            ["homeless", "A", 2023, 120, None, None, None],
            ["screened", "A", "2023", None, 9, 10, "CLINIC"],
        ]
    )
    report = run(world, data, filename="data.xlsx")
    assert report.saved, report.problems
    assert report.created == 2


def test_excel_dates_in_the_period_column_are_explained(world):
    data = xlsx(
        [["indicator", "place", "period", "value"], ["homeless", "A", datetime(2023, 1, 1), 5]]
    )
    report = run(world, data, filename="data.xlsx")
    assert not report.ok
    assert "Excel turned this period into a date" in report.problems[0].message
    assert report.problems[0].row == 2


BAD_FILES = [
    # (label, content, row, column, words of the message)
    ("empty file", b"", None, "", "The file is empty"),
    ("headings only", HEADER.encode(), None, "", "no rows of figures"),
    ("binary", b"\x00\x01\x02indicator\x00", None, "", "not plain text"),
    ("old excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, None, "", "97–2003"),
    ("pdf", b"%PDF-1.7 ...", None, "", "PDF"),
    (
        "not utf-8 after the first 64 KB",
        (HEADER + "".join(f"homeless,A,{1000 + i},1,,,,,\n" for i in range(4000))).encode()
        + b"homeless,B,2023,1,,,,,\xff\xfe\n",
        4002,
        "",
        "not UTF-8",
    ),
    ("missing column", b"indicator,place,value\nhomeless,A,5\n", 1, "period", "missing"),
    ("unknown column", HEADER.replace("note", "colour").encode(), 1, "colour", "not a column"),
    (
        "unknown indicator",
        HEADER + "homelessness,A,2023,5,,,,,\n",
        2,
        "indicator",
        "not an indicator",
    ),
    ("unknown place", HEADER + "homeless,ZZ,2023,5,,,,,\n", 2, "place", "not a place"),
    ("unknown group", HEADER + "homeless,A,2023,5,,,,outside,\n", 2, "shelter", "not a group"),
    (
        "unknown organization",
        HEADER + "screened,A,2023,,1,2,Nobody Inc,,\n",
        2,
        "organization",
        "not a partner",
    ),
    ("bad period", HEADER + "homeless,A,23/01/2023,5,,,,,\n", 2, "period", "is not a period"),
    ("text in a number", HEADER + "homeless,A,2023,twelve,,,,,\n", 2, "value", "not a number"),
    ("decimal comma", HEADER + 'homeless,A,2023,"12,5",,,,,\n', 2, "value", "not a number"),
    ("negative count", HEADER + "homeless,A,2023,-3,,,,,\n", 2, "value", "cannot be negative"),
    ("fraction of a count", HEADER + "homeless,A,2023,2.5,,,,,\n", 2, "value", "whole number"),
    (
        "percent of 120",
        HEADER + "screened,A,2023,120,120,100,CLINIC,,\n",
        2,
        "value",
        "between 0 and 100",
    ),
    (
        "numerator above denominator",
        HEADER + "screened,A,2023,,12,10,CLINIC,,\n",
        2,
        "numerator",
        "larger than",
    ),
    ("rate without counts", HEADER + "screened,A,2023,45,,,CLINIC,,\n", 2, "numerator", "missing"),
    (
        "zero denominator",
        HEADER + "screened,A,2023,,0,0,CLINIC,,\n",
        2,
        "denominator",
        "more than zero",
    ),
    (
        "duplicate rows",
        HEADER + "homeless,A,2023,5,,,,,\nhomeless,B,2023,5,,,,,\nhomeless,a,2023,6,,,,,\n",
        4,
        "",
        "already given in an earlier row",
    ),
    (
        "stray quote",
        HEADER + 'homeless,A,2023,"5,,,,,\nhomeless,B,2023,6,,,,,\n',
        2,
        "",
        "cannot be read",
    ),
    (
        "monthly period for a yearly indicator",
        HEADER + "homeless,A,2023-01,5,,,,,\n",
        2,
        "period",
        "reported by year",
    ),
    (
        "split by a dimension it has not",
        HEADER + "screened,A,2023,,1,2,CLINIC,sheltered,\n",
        2,
        "shelter",
        "not split by",
    ),
]


@pytest.mark.parametrize(
    ("label", "content", "row", "column", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
def test_a_bad_file_gets_a_specific_message_and_changes_nothing(
    world, label, content, row, column, words
):
    run(world, HEADER + "homeless,R,2020,7,,,,,\n")  # something already stored
    before = list(Observation.objects.values_list("pk", "value", "version"))
    changes = ObservationChange.objects.count()
    report = run(world, content)
    assert not report.ok, label
    errors = [p for p in report.problems if p.is_error]
    assert any(words in p.message for p in errors), [p.message for p in errors]
    first = next(p for p in errors if words in p.message)
    assert (first.row, first.column) == (row, column)
    assert first.fix  # every problem says how to fix it
    assert list(Observation.objects.values_list("pk", "value", "version")) == before
    assert ObservationChange.objects.count() == changes


def test_one_bad_row_among_many_good_ones_saves_nothing(world):
    good_rows = "".join(f"homeless,A,{y},{y - 2000},,,,,\n" for y in range(2001, 2020))
    report = run(world, HEADER + good_rows + "homeless,B,2020,-1,,,,,\n", batch_size=5)
    assert report.errors == 1 and report.problems[0].row == 21
    assert not Observation.objects.exists()


def test_groups_that_do_not_add_up_warn_or_refuse_as_the_indicator_says(world):
    text = HEADER + (
        "homeless,A,2023,100,,,,,\nhomeless,A,2023,70,,,,sheltered,\n"
        "homeless,A,2023,20,,,,unsheltered,\n"
    )
    report = run(world, text)
    assert report.saved and report.warnings == 1
    assert "add up to 90, but the total is 100" in report.problems[0].message
    homeless = world["homeless"]
    homeless.parts_rule = RuleSeverity.ERROR
    homeless.save()
    Observation.objects.all().delete() if False else None
    report = run(world, text.replace(",2023,", ",2024,"))
    assert not report.ok and not Observation.objects.filter(period__code="2024").exists()


def test_a_steward_imports_into_their_report_only(world):
    admin, steward = world["admin"], world["steward"]
    rnd = s.round_open(
        actor=admin,
        initiative=world["init"],
        name="2023",
        period=s.period_for("2023"),
        due_on=date(2024, 1, 31),
        indicators=[world["screened"]],
        organizations=[world["clinic"].organization],
    )
    sub = rnd.submissions.get()
    text = HEADER + "screened,A,2023,,9,10,,,\n"
    report = run(world, text, actor=steward, submission=sub)
    assert report.saved, report.problems
    obs = Observation.objects.get()
    assert obs.status == ObservationStatus.DRAFT and obs.submission == sub
    assert obs.organization == world["clinic"].organization
    bad = HEADER + (
        "screened,A,2023,,1,2,Other,,\n"  # another partner
        "screened,B,2022,,1,2,,,\n"  # another period
        "homeless,B,2023,5,,,,,\n"  # not in this round
    )
    report = run(world, bad, actor=steward, submission=sub)
    assert [(p.row, p.column) for p in report.problems if p.is_error] == [
        (2, "organization"),
        (2, "organization"),
        (3, "period"),
        (4, "indicator"),
    ]
    # Once submitted, the values are locked for the partner.
    s.submission_submit(actor=steward, submission=sub, expected_version=1)
    report = run(world, text.replace(",9,10,", ",8,10,"), actor=steward, submission=sub)
    assert not report.ok and "locked" in report.problems[0].message
    assert Observation.objects.get().numerator == 9


def test_a_steward_cannot_import_community_wide_figures(world):
    report = run(world, HEADER + "homeless,A,2023,5,,,,,\n", actor=world["steward"])
    assert not report.ok
    assert report.problems[0].column == "organization"
    assert "may not report" in report.problems[0].message


def test_the_command_line_import_and_its_exit_codes(world, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("import", str(good), initiative="city", dry_run=True)
    assert not Observation.objects.exists()
    call_command("import", str(good), initiative="city")
    assert Observation.objects.count() == 5
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "homeless,A,2023,-1,,,,,\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("import", str(bad), initiative="city")
    assert exit_.value.code == 1
    assert "row 2, column value: A count cannot be negative" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        call_command("import", str(good), initiative="nowhere")
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        call_command("import", str(tmp_path / "missing.csv"), initiative="city")
    assert exit_.value.code == 2


def test_values_are_exact_decimals(world):
    run(world, HEADER + "screened,A,2023,,1,3,CLINIC,,\n")
    obs = Observation.objects.get()
    assert obs.value == Decimal("33.333333")
    assert COMMAND_LINE.is_superuser


def test_a_round_template_filled_in_imports_cleanly(world):
    from backbone.measurement.round_templates import template_columns, write_template

    admin, steward = world["admin"], world["steward"]
    rnd = s.round_open(
        actor=admin,
        initiative=world["init"],
        name="2023",
        period=s.period_for("2023"),
        due_on=date(2024, 1, 31),
        indicators=[world["screened"], world["homeless"]],
        organizations=[world["clinic"].organization],
    )
    sub = rnd.submissions.get()
    assert template_columns(sub)[-2:] == ("shelter", "note")
    out = io.StringIO()
    assert write_template(sub, "csv", out) == 4  # homeless: total + 2 groups; screened: total
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    # The partner fills in two rows (place and figures) and leaves the rest empty.
    rows[0].update(place="A", value="12")  # homeless, total
    rows[3].update(place="A", numerator="9", denominator="10")  # screened, total
    assert (rows[0]["indicator"], rows[3]["indicator"]) == ("homeless", "screened")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    report = run(world, text.getvalue(), actor=steward, submission=sub)
    assert report.saved, report.problems
    assert (report.created, report.skipped) == (2, 2)
    assert "no figures and were skipped" in report.problems[-1].message
    # XLSX too, read back through the importer (its "Data" sheet).
    book = io.BytesIO()
    write_template(sub, "xlsx", book)
    report = run(world, book.getvalue(), filename="t.xlsx", actor=steward, submission=sub)
    assert (report.rows, report.skipped) == (4, 4)  # read back whole; still empty, so:
    assert not report.ok and "no rows of figures" in report.problems[-1].message


def test_a_partner_cannot_approve_their_own_figures_through_an_import(world):
    report = run(
        world, HEADER + "screened,A,2023,,9,10,CLINIC,,\n", actor=world["steward"], approve=True
    )
    assert not report.ok
    assert "only the backbone team approves" in report.problems[0].message
    assert "draft" in report.problems[0].fix
    assert not Observation.objects.exists()
