"""Exports and the ``export`` / ``series`` commands: the tidy columns, what each person may see,
small numbers hidden for the public, the notes that travel with the figures, safe spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from backbone.core.permissions import COMMAND_LINE
from backbone.demo.hud import COC_NOTE, YEAR_NOTE
from backbone.measurement import exports
from backbone.measurement.imports import import_observations
from backbone.measurement.models import (
    Annotation,
    Observation,
    ObservationStatus,
    Period,
    Place,
)
from backbone.measurement.services import (
    breakdown_for,
    dimension_define,
    indicator_update,
    period_for,
)
from backbone.measurement.tidy import EXPORT_COLUMNS
from tests import factories as f
from tests.measurement.conftest import hud_loaded

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


def _obs(indicator, place, period, members=None, *, status="approved", **figures):
    return Observation.objects.create(
        indicator=indicator,
        place=place,
        period=period_for(period),
        breakdown=breakdown_for(indicator.initiative, members or {}),
        status=status,
        **figures,
    )


def _csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _raw_csv(user, initiative, **kwargs) -> str:
    out = io.StringIO()
    exports.export(user, initiative, fmt="csv", out=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def county():
    """A public initiative: one place with a count split by sex, and a private indicator."""
    init = f.initiative(is_public=True, suppression_threshold=10)
    sex = dimension_define(
        initiative=init,
        code="sex",
        name="Sex",
        members=[("female", "Female"), ("male", "Male"), ("other", "Another sex")],
    )
    evictions = f.indicator(init, "evictions", is_public=True, dimensions=[sex])
    secret = f.indicator(init, "caseworker-load", is_public=False)
    place = f.place(init, "C1")
    _obs(evictions, place, "2023", value=Decimal(40))
    _obs(evictions, place, "2023", {"sex": "female"}, value=Decimal(20))
    _obs(evictions, place, "2023", {"sex": "male"}, value=Decimal(17))
    _obs(evictions, place, "2023", {"sex": "other"}, value=Decimal(3))
    _obs(secret, place, "2023", value=Decimal(31))
    return init, evictions, secret, place


def _participant(init):
    return f.member(f.partnership(init).organization)


# --- Neutralising text that a spreadsheet would run ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Ohio 2021", "Ohio 2021"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text, written):
    assert exports.neutralise(text) == written


def test_csv_neutralises_text_but_writes_numbers_as_numbers():
    out = io.StringIO()
    rows = [{"note": "=1+1", "value": Decimal("-2.500000"), "reports": 3}]
    exports.write_csv(rows, ["note", "value", "reports"], out)
    assert out.getvalue() == "\ufeffnote,value,reports\r\n'=1+1,-2.5,3\r\n"


def test_xlsx_keeps_a_negative_number_numeric_and_formula_text_as_text(tmp_path):
    rows = [
        {"note": "=1+1", "value": Decimal("-2.000000")},
        {"note": "-2+3", "value": Decimal("-0.25")},
        {"note": "@SUM(A1)", "value": None},
        {"note": "\tx", "value": Decimal("10000")},
    ]
    path = tmp_path / "out.xlsx"
    with path.open("wb") as out:
        exports.write_xlsx(rows, ["note", "value"], out)
    sheet = openpyxl.load_workbook(path)["Data"]
    cells = [(a, b) for a, b in sheet.iter_rows(min_row=2, values_only=False)]
    assert [(a.value, a.data_type) for a, _b in cells] == [
        ("'=1+1", "s"),
        ("'-2+3", "s"),
        ("'@SUM(A1)", "s"),
        ("'\tx", "s"),
    ]
    assert [(b.value, b.data_type) for _a, b in cells[:2]] == [(-2, "n"), (-0.25, "n")]
    assert (cells[3][1].value, cells[3][1].data_type) == (10000, "n")


# --- Raw exports ---------------------------------------------------------------------------------


def test_raw_csv_starts_with_a_bom_and_has_the_tidy_columns(county):
    init, evictions, _secret, place = county
    org = f.partnership(init).organization
    _obs(
        evictions,
        place,
        "2022",
        organization=org,
        value=Decimal("12.500000"),
        margin_of_error=Decimal("1.2"),
        note="=HYPERLINK(1)",
        quality="caution",
    )
    text = _raw_csv(COMMAND_LINE, init, indicator=evictions)
    header = next(csv.reader(io.StringIO(text[1:])))
    assert header == [*EXPORT_COLUMNS, "sex", "status", "note", "annotations", "definition_version"]
    rows = _csv(text)
    assert [(r["period"], r["sex"], r["value"], r["organization"]) for r in rows] == [
        ("2022", "", "12.5", org.name),
        ("2023", "", "40", ""),
        ("2023", "female", "20", ""),
        ("2023", "male", "17", ""),
        ("2023", "other", "3", ""),
    ]
    first = rows[0]
    assert first["indicator_name"] == "Evictions"
    assert first["place_name"] == "Place C1"
    assert first["margin_of_error"] == "1.2"
    assert first["quality"] == "caution"
    assert first["note"] == "'=HYPERLINK(1)"
    assert first["status"] == "approved"
    assert first["definition_version"] == "1"


def test_an_exported_raw_csv_imports_again_unchanged(county):
    init, _evictions, _secret, _place = county
    text = _raw_csv(COMMAND_LINE, init)
    before = Observation.objects.count()
    report = import_observations(
        actor=COMMAND_LINE,
        initiative=init,
        file=io.BytesIO(text.encode("utf-8")),
        filename="export.csv",
        dry_run=True,
        approve=True,
    )
    assert report.problems == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (5, 0, 0, 5)
    assert Observation.objects.count() == before


def test_only_approved_values_are_exported_and_never_drafts_to_the_public(county):
    init, evictions, _secret, place = county
    _obs(evictions, place, "2024", value=Decimal(50), status=ObservationStatus.DRAFT)
    drafts = ("approved", "draft")
    assert "2024" not in {r["period"] for r in exports.raw_rows(COMMAND_LINE, init)}
    mine = {r["period"] for r in exports.raw_rows(COMMAND_LINE, init, statuses=drafts)}
    assert "2024" in mine
    public = {r["period"] for r in exports.raw_rows(ANONYMOUS, init, statuses=drafts)}
    assert public == {"2023"}


def test_a_private_indicator_is_never_in_an_anonymous_export(county, tmp_path):
    init, _evictions, secret, _place = county
    for fmt in ("csv", "json"):
        out = io.StringIO()
        exports.export(ANONYMOUS, init, fmt=fmt, out=out)
        assert "caseworker-load" not in out.getvalue()
        aggregated = io.StringIO()
        exports.export(ANONYMOUS, init, fmt=fmt, aggregate=True, out=aggregated)
        assert "caseworker-load" not in aggregated.getvalue()
        assert "evictions" in aggregated.getvalue()
    with pytest.raises(exports.NotFound):
        exports.find_indicator(ANONYMOUS, init, secret.code)
    with pytest.raises(CommandError):
        call_command(
            "export", initiative=init.slug, indicator=secret.code, public=True, stdout=io.StringIO()
        )
    # People who take part, and the operator, see it.
    assert "caseworker-load" in _raw_csv(_participant(init), init)
    out = io.StringIO()
    call_command("export", initiative=init.slug, stdout=out)
    assert "caseworker-load" in out.getvalue()


def test_a_private_initiative_exports_nothing_to_the_public():
    init = f.initiative(is_public=False)
    f.indicator(init, "visits", is_public=True)
    with pytest.raises(CommandError, match="no initiative"):
        call_command("export", initiative=init.slug, public=True, stdout=io.StringIO())


def test_the_definition_version_and_its_note_follow_the_period():
    init = f.initiative()
    indicator = f.indicator(init, "graduation", definition="Old way")
    place = f.place(init, "S1")
    for year in ("2021", "2022", "2023"):
        _obs(indicator, place, year, value=Decimal(100))
    indicator_update(
        actor=COMMAND_LINE,
        indicator=indicator,
        changes={"definition": "New way"},
        expected_version=indicator.version,
        effective_period=period_for("2022"),
        reason="state changed the cohort rule",
    )
    rows = {r["period"]: r for r in exports.raw_rows(COMMAND_LINE, init)}
    assert {p: r["definition_version"] for p, r in rows.items()} == {
        "2021": 1,
        "2022": 2,
        "2023": 2,
    }
    assert len(rows["2022"]["annotations"]) == 1
    assert "state changed the cohort rule" in rows["2022"]["annotations"][0]
    assert rows["2021"]["annotations"] == rows["2023"]["annotations"] == ()


# --- Aggregated exports and small numbers --------------------------------------------------------


def test_an_aggregated_rate_is_the_ratio_of_the_sums_over_places():
    init = f.initiative()
    rate = f.rate_indicator(init, "screened")
    region = f.place(init, "R")
    _obs(rate, f.place(init, "A", region), "2023", numerator=Decimal(9), denominator=Decimal(10))
    _obs(rate, f.place(init, "B", region), "2023", numerator=Decimal(10), denominator=Decimal(100))
    (row,) = exports.aggregate_rows(COMMAND_LINE, init, indicator=rate, place=region)
    assert (row["numerator"], row["denominator"], row["reports"]) == (19, 110, 2)
    assert row["value"] == (Decimal(19) / Decimal(110) * 100).quantize(Decimal("0.000001"))
    assert row["value"] == Decimal("17.272727")  # not (90 % + 10 %) / 2 = 50 %
    assert row["suppressed"] is False


def test_a_raw_export_for_a_place_includes_the_places_below_it():
    init = f.initiative()
    count = f.indicator(init, "meals")
    region = f.place(init, "R")
    north = f.place(init, "N", region)
    _obs(count, f.place(init, "N1", north), "2023", value=Decimal(5))
    _obs(count, f.place(init, "S", region), "2023", value=Decimal(7))
    _obs(count, region, "2023", value=Decimal(12))
    assert [r["place"] for r in exports.raw_rows(COMMAND_LINE, init, place=region)] == [
        "N1",
        "R",
        "S",
    ]
    assert [r["place"] for r in exports.raw_rows(COMMAND_LINE, init, place=north)] == ["N1"]


def test_the_public_sees_small_numbers_hidden_with_their_complement(county):
    init, evictions, _secret, place = county
    sex = exports.find_dimension(init, "sex")
    public = list(exports.aggregate_rows(ANONYMOUS, init, place=place, by=sex))
    shown = {(r["sex"], r["value"], r["suppressed"]) for r in public}
    # 3 is fewer than 10 people (primary); 17 is the smallest other group (complementary),
    # or 3 = 40 − 20 − 17 could be worked out.
    assert shown == {
        ("", 40, False),
        ("female", 20, False),
        ("male", None, True),
        ("other", None, True),
    }
    participant = _participant(init)
    seen = exports.aggregate_rows(participant, init, indicator=evictions, place=place, by=sex)
    assert {(r["sex"], r["value"], r["suppressed"]) for r in seen} == {
        ("", 40, False),
        ("female", 20, False),
        ("male", 17, False),
        ("other", 3, False),
    }
    # The raw rows the public can download are hidden the same way.
    raw = {r["sex"]: r for r in exports.raw_rows(ANONYMOUS, init, indicators=[evictions])}
    assert {k: (r["value"], r["suppressed"]) for k, r in raw.items()} == {
        "": (40, False),
        "female": (20, False),
        "male": (None, True),
        "other": (None, True),
    }
    assert "suppressed" in exports.raw_columns(init, public=True)
    assert "suppressed" not in exports.raw_columns(init)


def test_a_rate_is_hidden_from_the_public_when_its_denominator_is_small():
    init = f.initiative(is_public=True, suppression_threshold=10)
    rate = f.rate_indicator(init, "screened", is_public=True)
    place = f.place(init, "P")
    _obs(rate, place, "2022", numerator=Decimal(5), denominator=Decimal(8))
    _obs(rate, place, "2023", numerator=Decimal(5), denominator=Decimal(80))
    rows = {r["period"]: r for r in exports.aggregate_rows(ANONYMOUS, init, place=place)}
    assert rows["2022"]["suppressed"] is True
    assert (rows["2022"]["value"], rows["2022"]["numerator"], rows["2022"]["denominator"]) == (
        None,
        None,
        None,
    )
    assert rows["2023"]["value"] == Decimal("6.25")
    assert rows["2023"]["suppressed"] is False


def test_series_command_public_flag_hides_small_numbers(county):
    init, _evictions, _secret, _place = county
    out = io.StringIO()
    call_command(
        "series",
        initiative=init.slug,
        indicator="evictions",
        place="C1",
        by="sex",
        public=True,
        stdout=out,
    )
    rows = {r["breakdown"]: r for r in _csv(out.getvalue())}
    assert {k: (r["value"], r["suppressed"]) for k, r in rows.items()} == {
        "": ("40", "false"),
        "sex:female": ("20", "false"),
        "sex:male": ("", "true"),
        "sex:other": ("", "true"),
    }
    out = io.StringIO()
    call_command(
        "series", initiative=init.slug, indicator="evictions", place="C1", by="sex", stdout=out
    )
    assert {r["breakdown"]: r["value"] for r in _csv(out.getvalue())}["sex:other"] == "3"


# --- Commands: unknown names, formats ------------------------------------------------------------


def test_an_unknown_indicator_is_a_command_error_listing_the_indicators(county):
    init, _evictions, _secret, _place = county
    with pytest.raises(CommandError) as caught:
        call_command(
            "series", initiative=init.slug, indicator="nope", place="C1", stdout=io.StringIO()
        )
    assert caught.value.returncode == 1
    assert "nope" in str(caught.value)
    assert "caseworker-load, evictions" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "listed"),
    [
        ({"initiative": "nowhere"}, "Initiatives:"),
        ({"place": "ZZ"}, "Places: C1"),
        ({"by": "age", "aggregate": True}, "Dimensions: sex"),
    ],
)
def test_unknown_names_are_command_errors(county, options, listed):
    init, _evictions, _secret, _place = county
    with pytest.raises(CommandError, match=listed):
        call_command("export", **{"initiative": init.slug, **options}, stdout=io.StringIO())


def test_xlsx_needs_an_output_file(county):
    init, _evictions, _secret, _place = county
    with pytest.raises(CommandError, match="--output"):
        call_command("export", initiative=init.slug, format="xlsx", stdout=io.StringIO())


def test_json_export_is_valid_with_decimals_as_strings(county):
    init, _evictions, _secret, _place = county
    out = io.StringIO()
    call_command("export", initiative=init.slug, format="json", aggregate=True, stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 2  # evictions and caseworker-load, totals for C1
    evictions = next(r for r in rows if r["indicator"] == "evictions")
    assert evictions["value"] == "40"
    assert evictions["reports"] == 1
    assert evictions["suppressed"] is False
    assert evictions["annotations"] == []
    assert evictions["period_start"] == "2023-01-01"
    empty = io.StringIO()
    exports.write_json([], ["value"], empty)
    assert json.loads(empty.getvalue()) == []


def test_xlsx_export_opens_with_an_about_sheet(county, tmp_path):
    init, evictions, _secret, _place = county
    Annotation.objects.create(
        indicator=evictions, period=Period.objects.get(code="2023"), text="Court records only."
    )
    path = tmp_path / "export.xlsx"
    call_command(
        "export",
        initiative=init.slug,
        format="xlsx",
        output=str(path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Data", "About"]
    data = list(book["Data"].iter_rows(values_only=True))
    assert list(data[0]) == list(exports.raw_columns(init))
    assert len(data) == 1 + 5
    assert data[1][data[0].index("value")] == 31  # caseworker-load first, by code
    about = [cell for row in book["About"].iter_rows(values_only=True) for cell in row if cell]
    assert init.slug in " ".join(str(c) for c in about)
    assert "Court records only." in about
    assert any("Nothing is hidden" in str(c) for c in about)


def test_export_to_a_csv_file_starts_with_the_utf8_bom(county, tmp_path):
    init, _evictions, _secret, _place = county
    path = tmp_path / "export.csv"
    err = io.StringIO()
    call_command("export", initiative=init.slug, output=str(path), stderr=err)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfindicator,indicator_name,")
    assert "5 rows" in err.getvalue()


# --- The HUD counts: published figures and the 2021 caveat ---------------------------------------


@pytest.fixture(scope="module")
def hud(django_db_setup, django_db_blocker):
    """The HUD counts (32,580 rows) loaded once into a public initiative, removed afterwards."""
    with django_db_blocker.unblock(), hud_loaded("hud-exports", is_public=True) as loaded:
        yield loaded


def test_series_command_reproduces_ohio_and_carries_the_2021_caveat(hud):
    initiative, _indicator = hud
    out = io.StringIO()
    call_command(
        "series",
        initiative=initiative.slug,
        indicator="people-homeless",
        place="OH",
        format="csv",
        stdout=out,
    )
    rows = _csv(out.getvalue())
    assert list(rows[0]) == list(exports.SERIES_COLUMNS)
    by_year = {r["period"]: r for r in rows if r["breakdown"] == ""}
    assert by_year["2019"]["value"] == "10345"
    assert by_year["2023"]["value"] == "11386"
    assert by_year["2019"]["reports"] == "9"
    assert YEAR_NOTE in by_year["2021"]["annotations"]
    assert all(YEAR_NOTE not in r["annotations"] for r in rows if r["period"] != "2021")


def test_the_2021_caveat_travels_with_every_export_row(hud):
    initiative, indicator = hud
    raw = list(exports.raw_rows(COMMAND_LINE, initiative))
    assert len(raw) == indicator.observations.count()
    for row in raw:
        assert (YEAR_NOTE in row["annotations"]) == (row["period"] == "2021")
    dayton_note = COC_NOTE.format(year="2021")
    dayton = {r["place"] for r in raw if dayton_note in r["annotations"] and r["period"] == "2021"}
    assert "OH-505" in dayton
    assert "OH-500" not in dayton  # a CoC's own note stays with that CoC

    ohio = Place.objects.get(initiative=initiative, code="OH")
    shelter = exports.find_dimension(initiative, "shelter")
    for user in (COMMAND_LINE, ANONYMOUS):
        rows = list(exports.aggregate_rows(user, initiative, place=ohio, by=shelter))
        assert {r["shelter"] for r in rows} == {"", "sheltered", "unsheltered"}
        for row in rows:
            assert (YEAR_NOTE in row["annotations"]) == (row["period"] == "2021")
        total = {(r["period"], r["shelter"]): r["value"] for r in rows}
        assert total[("2019", "")] == 10_345
        assert total[("2019", "sheltered")] + total[("2019", "unsheltered")] == 10_345

    out = io.StringIO()
    call_command(
        "series",
        initiative=initiative.slug,
        indicator="people-homeless",
        place="OH-505",
        format="json",
        public=True,
        stdout=out,
    )
    points = {r["period"]: r for r in json.loads(out.getvalue())}
    assert YEAR_NOTE in points["2021"]["annotations"]
    assert dayton_note in points["2021"]["annotations"]
    assert points["2019"]["annotations"] == []


def test_hud_xlsx_about_sheet_lists_the_caveat(hud, tmp_path):
    initiative, _indicator = hud
    path = tmp_path / "ohio.xlsx"
    call_command(
        "export",
        initiative=initiative.slug,
        format="xlsx",
        aggregate=True,
        indicator="people-homeless",
        place="OH",
        public=True,
        output=str(path),
        stderr=io.StringIO(),
    )
    book = openpyxl.load_workbook(path, read_only=True)
    header, *rows = book["Data"].iter_rows(values_only=True)
    values = {r[header.index("period")]: r[header.index("value")] for r in rows}
    assert values["2019"] == 10_345
    about = [c for row in book["About"].iter_rows(values_only=True) for c in row if c]
    assert YEAR_NOTE in about
    assert any("fewer than 10 people" in str(c) for c in about)
    book.close()


def test_partners_notes_stay_out_of_public_exports():
    assert "note" in exports.raw_columns(f.initiative())
    assert "note" not in exports.raw_columns(f.initiative(), public=True)
