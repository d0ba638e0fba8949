"""The tidy format: one row per value, the same for import, export, templates and the API.

``indicator, place, period, value[, numerator, denominator][, organization][, <dimension>…]``
``[, note]``

* ``indicator``, ``place`` — codes from the initiative's library; ``period`` — a period code
  (``2023``, ``2023Q1``, ``2023-01``, ``SY2023-24``, ``FY2024``).
* ``value`` — may be left empty for a percent or rate when numerator and denominator are given.
* ``organization`` — the reporting partner's code (or exact name); empty for community-wide data.
* one column per dimension, named by its code (``race``, ``shelter``…), holding a member code;
  empty means "all" (the total).
* optional: ``margin_of_error``, ``ci_low``, ``ci_high``, ``quality`` (``caution``,
  ``unreliable``), ``note`` (plain text: one starting with ``=``, ``+`` or ``@`` is kept as
  written, with a warning; a code starting so is refused as a formula).

Exports add columns that imports read past (names, status, annotations…), so an exported file
can be imported again unchanged. Headers are matched without regard to case, spaces or dashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.core import permissions
from backbone.core.models import Initiative, Organization, Partnership
from backbone.core.permissions import Action, AnyUser
from backbone.measurement.models import (
    Breakdown,
    Dimension,
    DimensionMember,
    Indicator,
    Period,
    Place,
    Quality,
    Unit,
)
from backbone.measurement.periods import PeriodCodeError
from backbone.measurement.services import Entry, breakdown_for, breakdown_key, period_for
from backbone.measurement.validation import (
    ERROR,
    WARNING,
    DecimalComma,
    Figures,
    NotANumber,
    parse_number,
)

KEY_COLUMNS = ("indicator", "place", "period")
NUMBER_COLUMNS = ("value", "numerator", "denominator", "margin_of_error", "ci_low", "ci_high")
OPTIONAL_COLUMNS = ("organization", "quality", "note")
MAX_NOTE_CHARACTERS = 500
FORMULA_STARTS = ("=", "+", "@")  # text a spreadsheet would run as a formula
# What Excel shows in a cell whose formula failed; a CSV saved from Excel keeps it as text.
SPREADSHEET_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}([T ][\d:.]+)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
# Written by exports for people to read; an import reads past them.
EXPORT_ONLY_COLUMNS = (
    "indicator_name",
    "place_name",
    "period_start",
    "period_end",
    "unit",
    "status",
    "reports",
    "suppressed",
    "annotations",
    "definition_version",
)
EXPORT_COLUMNS = (
    "indicator",
    "indicator_name",
    "place",
    "place_name",
    "period",
    "value",
    "numerator",
    "denominator",
    "margin_of_error",
    "ci_low",
    "ci_high",
    "quality",
    "organization",
)


def shown(text: str, limit: int = 60) -> str:
    """Text as quoted back in a message: cut short, so a pasted page does not fill the report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalise_header(name: object) -> str:
    """``" Margin of error "`` → ``margin_of_error``; ``"Race-Ethnicity"`` → ``race_ethnicity``."""
    text = "" if name is None else str(name)
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").lower())


@dataclass(frozen=True)
class RowProblem:
    """One line of an import report: where, what is wrong, how to fix it."""

    row: int | None  # the row number people see in a spreadsheet (the header is row 1)
    column: str
    message: str
    fix: str
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "fix": self.fix,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Header:
    columns: tuple[str, ...]  # normalised, in file order
    dimensions: tuple[str, ...]  # the columns that are dimension codes
    ignored: tuple[str, ...]


def read_header(raw: Sequence[object], initiative: Initiative) -> tuple[Header, list[RowProblem]]:
    """Check the header row: required columns present, every column known, none twice."""
    columns = tuple(normalise_header(c) for c in raw)
    dimension_codes = {
        normalise_header(code): code
        for code in Dimension.objects.filter(initiative=initiative).values_list("code", flat=True)
    }
    problems: list[RowProblem] = []
    known = set(KEY_COLUMNS) | set(NUMBER_COLUMNS) | set(OPTIONAL_COLUMNS)
    seen: set[str] = set()
    dimensions, ignored = [], []
    for column in columns:
        if column == "":
            continue
        if column in seen:
            problems.append(
                RowProblem(
                    1,
                    column,
                    _("The column “%(c)s” appears twice.") % {"c": shown(column)},
                    _("Delete one of them."),
                )
            )
        seen.add(column)
        if column in known:
            continue
        if column in dimension_codes:
            dimensions.append(column)
        elif column in EXPORT_ONLY_COLUMNS:
            ignored.append(column)
        else:
            problems.append(
                RowProblem(
                    1,
                    column,
                    _("“%(c)s” is not a column we know.") % {"c": shown(column)},
                    _("Use the template. Dimension columns are named by their code: %(codes)s.")
                    % {"codes": ", ".join(sorted(dimension_codes)) or _("(none defined)")},
                )
            )
    missing = [c for c in KEY_COLUMNS if c not in seen]
    if not any(c in seen for c in ("value", "numerator")):
        missing.append("value")
    for column in missing:
        problems.append(
            RowProblem(
                1,
                column,
                _("The required column “%(c)s” is missing.") % {"c": column},
                _("Add a column headed “%(c)s” (the template has every column).") % {"c": column},
            )
        )
    return Header(columns, tuple(dimensions), tuple(ignored)), problems


class Resolver:
    """Turns the codes in one tidy row into the objects of one initiative, with row-level
    problems for anything unknown. Looks each code up once per file."""

    def __init__(
        self,
        actor: AnyUser,
        initiative: Initiative,
        *,
        organization: Organization | None = None,
        indicators: Iterable[Indicator] | None = None,
        period: Period | None = None,
    ) -> None:
        self.actor, self.initiative = actor, initiative
        self.default_organization = organization
        self.only_period = period
        pool = indicators if indicators is not None else initiative.indicators.all()
        # Only indicators the actor may see: a private one is "not an indicator" to outsiders,
        # exactly like a missing one, and never listed in a hint.
        self.indicators = {
            i.code.lower(): i for i in pool if permissions.can(actor, Action.VIEW_INDICATOR, i)
        }
        self.allowed_dims = {
            i.pk: set(i.dimensions.values_list("code", flat=True)) for i in self.indicators.values()
        }
        places = Place.objects.filter(initiative=initiative).only("pk", "code", "name")
        self.places = {p.code.lower(): p for p in places}
        self.members: dict[str, dict[str, str]] = {}
        for dim, member in DimensionMember.objects.filter(
            dimension__initiative=initiative
        ).values_list("dimension__code", "code"):
            self.members.setdefault(normalise_header(dim), {})[member.lower()] = member
        self.dim_code = {
            normalise_header(c): c
            for c in Dimension.objects.filter(initiative=initiative).values_list("code", flat=True)
        }
        partners = Partnership.objects.filter(initiative=initiative).select_related(
            "organization", "initiative"
        )
        self.orgs: dict[str, Partnership] = {}
        for p in partners:
            for name in (p.organization.external_code, p.organization.name):
                if name:
                    self.orgs.setdefault(name.strip().lower(), p)
        self._may_report: dict[int | None, bool] = {}
        self._periods: dict[str, Period | PeriodCodeError] = {}
        self._breakdowns: dict[str, Breakdown] = {
            b.key: b for b in Breakdown.objects.filter(initiative=initiative)
        }

    def may_report(self, partnership: Partnership | None) -> bool:
        key = partnership.pk if partnership else None
        if key not in self._may_report:
            self._may_report[key] = (
                permissions.can(self.actor, Action.MANAGE_MEASUREMENT, self.initiative)
                if partnership is None
                else permissions.can(self.actor, Action.REPORT_DATA, partnership)
            )
        return self._may_report[key]

    def period(self, code: str) -> Period | PeriodCodeError:
        key = code.strip().upper()
        if key not in self._periods:
            try:
                self._periods[key] = period_for(key)
            except PeriodCodeError as exc:
                self._periods[key] = exc
        return self._periods[key]

    def breakdown(self, members: Mapping[str, str]) -> Breakdown:
        key = breakdown_key(members)
        if key not in self._breakdowns:
            self._breakdowns[key] = breakdown_for(self.initiative, members)
        return self._breakdowns[key]

    def resolve(
        self, row_number: int, row: Mapping[str, str], header: Header
    ) -> tuple[Entry | None, list[RowProblem]]:
        problems: list[RowProblem] = []

        def problem(column: str, message: str, fix: str, severity: str = ERROR) -> None:
            problems.append(RowProblem(row_number, column, message, fix, severity))

        text = {k: ("" if v is None else str(v).strip()) for k, v in row.items()}
        for column in (
            "indicator",
            "place",
            "period",
            "organization",
            "quality",
            *header.dimensions,
        ):
            if text.get(column, "").startswith(FORMULA_STARTS):
                problem(
                    column,
                    _("“%(t)s” looks like a spreadsheet formula, not a code.")
                    % {"t": shown(text[column])},
                    _("Type the code itself; codes never start with =, + or @."),
                )
        if problems:
            return None, problems
        indicator = self.indicators.get(text.get("indicator", "").lower())
        if not text.get("indicator"):
            problem("indicator", _("The indicator is empty."), _("Enter an indicator code."))
        elif indicator is None:
            problem(
                "indicator",
                _("“%(c)s” is not an indicator of this initiative%(scope)s.")
                % {
                    "c": shown(text["indicator"]),
                    "scope": _(" in this reporting round") if self.only_period else "",
                },
                _("Use one of: %(codes)s.")
                % {"codes": _first(sorted(i.code for i in self.indicators.values()))},
            )
        place = self.places.get(text.get("place", "").lower())
        if not text.get("place"):
            problem("place", _("The place is empty."), _("Enter a place code."))
        elif place is None:
            problem(
                "place",
                _("“%(c)s” is not a place of this initiative.") % {"c": shown(text["place"])},
                _("Use a place code from the list of places, e.g. %(codes)s.")
                % {"codes": _first(sorted(p.code for p in self.places.values()))},
            )
        period: Period | None = None
        if not text.get("period"):
            problem("period", _("The period is empty."), _("Enter a period such as 2024."))
        else:
            found = self.period(text["period"])
            if isinstance(found, PeriodCodeError):
                problem("period", str(found), _("Write the period as a code, not a date."))
            elif self.only_period is not None and found.pk != self.only_period.pk:
                problem(
                    "period",
                    _("This round is for %(p)s, not %(q)s.")
                    % {"p": self.only_period.code, "q": found.code},
                    _("Report other periods in their own round."),
                )
            elif indicator is not None and found.type != indicator.period_type:
                problem(
                    "period",
                    _("%(i)s is reported by %(t)s, but %(p)s is a %(u)s.")
                    % {
                        "i": indicator.code,
                        "t": indicator.get_period_type_display().lower(),
                        "p": found.code,
                        "u": found.get_type_display().lower(),
                    },
                    _("Use a period like the others for this indicator."),
                )
            else:
                period = found

        partnership: Partnership | None = None
        org_text = text.get("organization", "")
        if org_text:
            partnership = self.orgs.get(org_text.lower())
            if partnership is None:
                problem(
                    "organization",
                    _("“%(c)s” is not a partner of this initiative.") % {"c": shown(org_text)},
                    _("Use the organization’s code, or leave it empty for community-wide data."),
                )
        elif self.default_organization is not None:
            partnership = self.orgs.get(self.default_organization.name.lower())
        default = self.default_organization
        if default is not None and partnership and partnership.organization_id != default.pk:
            problem(
                "organization",
                _("This report is for %(o)s only.") % {"o": default},
                _("Remove rows of other organizations, or leave the column empty."),
            )
        if (partnership is not None or not org_text) and not self.may_report(partnership):
            problem(
                "organization",
                _("You may not report figures for %(o)s.")
                % {"o": partnership.organization if partnership else _("the whole community")},
                _("Ask the backbone team, or a data steward of that organization."),
            )

        members: dict[str, str] = {}
        for column in header.dimensions:
            code = text.get(column, "")
            if not code:
                continue
            dim = self.dim_code[column]
            member = self.members.get(column, {}).get(code.lower())
            if member is None:
                problem(
                    column,
                    _("“%(c)s” is not a group of %(d)s.") % {"c": shown(code), "d": dim},
                    _("Use one of: %(codes)s, or leave it empty for the total.")
                    % {"codes": _first(sorted(self.members.get(column, {}).values()))},
                )
            elif indicator is not None and dim not in self.allowed_dims[indicator.pk]:
                problem(
                    column,
                    _("%(i)s is not split by %(d)s.") % {"i": indicator.code, "d": dim},
                    _("Leave this column empty for %(i)s.") % {"i": indicator.code},
                )
            else:
                members[dim] = member

        numbers: dict[str, object] = {}
        for column in NUMBER_COLUMNS:
            try:
                numbers[column] = parse_number(row.get(column))
            except NotANumber as exc:
                problem(column, *_not_a_number(text.get(column, ""), exc))
                continue
            if text.get(column, "").endswith("%") and indicator is not None:
                percent = _misplaced_percent(text[column], column, indicator)
                if percent:
                    problem(column, *percent)
        quality = text.get("quality", "").lower()
        if quality and quality not in Quality.values:
            problem(
                "quality",
                _("“%(t)s” is not a quality grade.") % {"t": shown(text["quality"])},
                _("Use “caution” or “unreliable”, or leave it empty."),
            )
        note = text.get("note", "")
        if len(note) > MAX_NOTE_CHARACTERS:
            problem(
                "note",
                _("The note has %(n)s characters; the most is %(max)s.")
                % {"n": number_format(len(note), force_grouping=True), "max": MAX_NOTE_CHARACTERS},
                _("Shorten it to %(max)s characters or fewer.") % {"max": MAX_NOTE_CHARACTERS},
            )
        elif note.startswith(FORMULA_STARTS):
            problem(
                "note",
                _(
                    "The note starts with “%(c)s”, so a spreadsheet could mistake it for a "
                    "formula. It is saved as plain text, exactly as written, and never run."
                )
                % {"c": note[0]},
                _(
                    "Nothing to do if the note is meant to read like this; downloads show it as "
                    "text."
                ),
                WARNING,
            )
        if any(p.is_error for p in problems) or indicator is None or place is None:
            return None, problems
        assert period is not None
        entry = Entry(
            indicator=indicator,
            place=place,
            period=period,
            breakdown=self.breakdown(members),
            organization=partnership.organization if partnership else None,
            figures=Figures(**numbers),  # type: ignore[arg-type]
            quality=quality,
            note=note,
        )
        return entry, problems


def _not_a_number(raw: str, exc: NotANumber) -> tuple[str, str]:
    """Message and fix for a number column that holds no number we can read."""
    if isinstance(exc, DecimalComma):
        return (
            _("“%(t)s” is not a number we can read: it seems to use a comma for decimals.")
            % {"t": raw},
            _(
                "Write %(n)s, with a point for decimals (a comma is read only between "
                "thousands, as in 1,234)."
            )
            % {"n": exc.corrected},
        )
    if raw.upper() in SPREADSHEET_ERRORS:
        return (
            _("The spreadsheet shows an error here (%(t)s) instead of a number.") % {"t": raw},
            _(
                "Correct the formula in the spreadsheet, or type the number; leave the cell "
                "empty if there is no figure."
            ),
        )
    if _DATE.fullmatch(raw):
        return (
            _("“%(t)s” is a date, not a number.") % {"t": raw},
            _(
                "Put the figure itself here; the period column says when it is for (a code such "
                "as 2023 or 2023-01). In a spreadsheet, format this column as Number."
            ),
        )
    return (
        _("“%(t)s” is not a number.") % {"t": shown(raw)},
        _("Write digits only, e.g. 1234 or 12.5 (a point for decimals)."),
    )


def _misplaced_percent(raw: str, column: str, indicator: Indicator) -> tuple[str, str] | None:
    """A ``%`` sign belongs only on a percent indicator's value (or its margin or interval)."""
    if column in ("numerator", "denominator"):
        return (
            _("“%(t)s” has a percent sign, but the %(column)s is a count.")
            % {"t": raw, "column": column},
            _("Enter the number of people or things, without “%”."),
        )
    if indicator.unit != Unit.PERCENT:
        return (
            _("“%(t)s” has a percent sign, but %(i)s is not a percent (it is a %(unit)s).")
            % {"t": raw, "i": indicator.code, "unit": indicator.get_unit_display().lower()},
            _("Check that this is the right indicator, and write the figure without “%”."),
        )
    return None


def _first(codes: Sequence[str], n: int = 8) -> str:
    shown = ", ".join(codes[:n])
    return shown + ("…" if len(codes) > n else "") if codes else _("(none defined)")


__all__ = [
    "WARNING",
    "Header",
    "Resolver",
    "RowProblem",
    "normalise_header",
    "read_header",
    "shown",
]
