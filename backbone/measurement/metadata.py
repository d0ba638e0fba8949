"""Metadata files: set up a whole initiative — partners, places, dimensions, indicators,
annotations and targets — from one JSON file, and keep it in step by loading the file again.

The format is described field by field in ``docs/metadata.md``. The rules this module keeps:

* **Check first, then write.** The whole file is checked before anything is written, and every
  problem is reported with its place in the file (``indicators[2].unit``), what is wrong and how
  to fix it. One problem, and nothing is written (``MetadataRejected``).
* **All or nothing.** The writes run in one transaction; a rule broken while writing (a changed
  definition without a revision, a partner that cannot be changed) rolls everything back.
* **Idempotent.** Objects are matched by their code; loading the same file again changes nothing
  and records nothing in the audit trail. A field left out of the file keeps its current value.
  Loading never deletes anything.
* **Audited.** Every creation and change is recorded; partners, indicator changes and targets go
  through the same services as the web pages. A change to what an indicator measures needs a
  ``revision`` (first period measured the new way, and why): it is a series break.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backbone.core import audit, permissions
from backbone.core import services as core_services
from backbone.core.errors import DomainError
from backbone.core.models import Initiative, Organization, PartnerKind, Partnership, Sector
from backbone.core.permissions import COMMAND_LINE, Action, AnyUser
from backbone.measurement import services
from backbone.measurement.models import (
    Aggregation,
    Annotation,
    Dimension,
    DimensionMember,
    Direction,
    Indicator,
    Level,
    Observation,
    PerformanceKind,
    Place,
    RuleSeverity,
    Target,
    Unit,
)
from backbone.measurement.periods import EXAMPLES, PeriodCodeError, PeriodType, parse_period

FORMAT = "backbone-metadata"
VERSION = 1
KINDS = (
    "initiative",
    "organizations",
    "partnerships",
    "places",
    "dimensions",
    "indicators",
    "annotations",
    "targets",
)

# --- Results and errors ----------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataProblem:
    """One problem: where in the file (a JSON path: ``indicators[2].unit``), what, how to fix."""

    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path or _('(the whole file)')}: {self.message} — {self.fix}"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class MetadataReport:
    """What a load did (or, in a dry run, would do), per kind of object; or why it refused."""

    dry_run: bool = False
    counts: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    problems: list[MetadataProblem] = field(default_factory=list)
    initiative: Initiative | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return sum(t.created + t.updated for t in self.counts.values())


class MetadataUnreadable(DomainError):
    """The file cannot be read, or is not JSON; the message says where it went wrong."""


class MetadataRejected(DomainError):
    """The file has problems (``report.problems``); nothing was written."""

    def __init__(self, report: MetadataReport) -> None:
        n = len(report.problems)
        super().__init__(
            ngettext(
                "The metadata file has %(n)d problem; nothing was saved.",
                "The metadata file has %(n)d problems; nothing was saved.",
                n,
            )
            % {"n": n}
        )
        self.report = report
        self.problems = report.problems


# --- Reading ----------------------------------------------------------------------------------


def read_metadata(source: str | Path | IO | Mapping[str, Any]) -> Any:
    """The parsed file (numbers as ``Decimal``). A ``str`` is a file path. Raise
    ``MetadataUnreadable`` saying which line and column broke the JSON."""
    if isinstance(source, Mapping):
        return _decimals(source)
    name = str(source) if isinstance(source, str | Path) else getattr(source, "name", "")
    name = name or _("the file")
    try:
        if isinstance(source, str | Path):
            text: str | bytes = Path(source).read_bytes()
        else:
            text = source.read()
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
    except OSError as exc:
        raise MetadataUnreadable(
            _("Cannot read %(name)s: %(error)s.") % {"name": name, "error": exc.strerror or exc}
        ) from exc
    except UnicodeDecodeError as exc:
        raise MetadataUnreadable(
            _("%(name)s is not UTF-8 text. Save it as UTF-8 and try again.") % {"name": name}
        ) from exc
    try:
        return _decimals(json.loads(text.lstrip("\ufeff"), parse_float=Decimal))
    except json.JSONDecodeError as exc:
        raise MetadataUnreadable(
            _(
                "%(name)s is not valid JSON: %(error)s at line %(line)d, column %(column)d. "
                "Look for a missing comma, quote or bracket just before that point."
            )
            % {"name": name, "error": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from exc


def _decimals(value: Any) -> Any:
    """A copy with every float as a ``Decimal`` (money and rates must not drift)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


# --- The format: what each entry may hold -----------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One key of an entry: its kind (text, slug, choice, bool, int, number, date, period, list,
    object, map) and its limits. ``of``: a list's item ``Field``, or an object's keys."""

    kind: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[tuple[str, Any], ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    places: int = 6
    nullable: bool = False
    of: Any = None


def _choice(choices: Any, required: bool = False) -> Field:
    return Field("choice", required, choices=tuple((str(v), label) for v, label in choices))


def _text(max_length: int | None = None, required: bool = False, **kw: Any) -> Field:
    return Field("text", required, max_length, **kw)


def _list(item: Field | dict[str, Field], required: bool = False) -> Field:
    return Field("list", required, of=item if isinstance(item, Field) else Field("object", of=item))


BIG = Decimal(10) ** 14
INITIATIVE_SPEC = {
    "slug": Field("slug", True, 60),
    "name": _text(200, True),
    "problem_statement": _text(),
    "vision": _text(),
    "geography": _text(200),
    "equity_commitment": _text(),
    "is_public": Field("bool"),
    "suppression_threshold": Field("int", minimum=Decimal(1), maximum=Decimal(1000)),
    "needle_threshold": Field("number", minimum=Decimal(0), maximum=Decimal(9999), places=2),
    "needle_basis": _choice(Initiative._meta.get_field("needle_basis").choices),
}
ORGANIZATION_SPEC = {
    "code": _text(50, True),
    "name": _text(200, True),
    "sector": _choice(Sector.choices, True),
    "kind": _choice(PartnerKind.choices, True),
    "joined_on": Field("date"),
}
PLACE_SPEC = {
    "code": _text(50, True),
    "name": _text(200, True),
    "level": _text(50, True),
    "parent": _text(50, nullable=True),
}
DIMENSION_SPEC = {
    "code": Field("slug", True, 50),
    "name": _text(200, True),
    "members": _list({"code": Field("slug", True, 50), "name": _text(200, True)}, True),
}
INDICATOR_SPEC = {
    "code": Field("slug", True, 60),
    "name": _text(200, True),
    "definition": _text(required=True),
    "unit": _choice(Unit.choices, True),
    "direction": _choice(Direction.choices, True),
    "level": _choice(Level.choices, True),
    "aggregation": _choice(Aggregation.choices, True),
    "period_type": _choice(PeriodType.choices, True),
    "rate_base": Field("number", minimum=Decimal(1), maximum=Decimal(10**12 - 1), places=0),
    "decimals": Field("int", minimum=Decimal(0), maximum=Decimal(6)),
    "numerator_label": _text(200),
    "denominator_label": _text(200),
    "numerator_within_denominator": Field("bool"),
    "min_value": Field("number", minimum=-BIG, maximum=BIG, nullable=True),
    "max_value": Field("number", minimum=-BIG, maximum=BIG, nullable=True),
    "parts_rule": _choice(RuleSeverity.choices),
    "source": _text(300),
    "is_public": Field("bool"),
    "performance_kind": _choice(PerformanceKind.choices),
    "dimensions": _list(_text(50, True)),
    "baseline_period": Field("period", nullable=True),
    "revision": Field(
        "object", of={"effective_period": Field("period", True), "reason": _text(500, True)}
    ),
}
ANNOTATION_SPEC = {
    "indicator": _text(60, True),
    "period": Field("period", True),
    "place": _text(50, nullable=True),
    "text": _text(500, True),
    "breaks_comparability": Field("bool"),
}
TARGET_SPEC = {
    "indicator": _text(60, True),
    "period": Field("period", True),
    "value": Field("number", True, minimum=-BIG, maximum=BIG),
    "place": _text(50, nullable=True),
    "group": Field("map", of=_text(50, True)),
    "note": _text(500),
}
TOP_SPEC = {
    "format": _text(required=True),
    "version": Field("int", True),
    "initiative": Field("object", True, of=INITIATIVE_SPEC),
    "organizations": _list(ORGANIZATION_SPEC),
    "places": _list(PLACE_SPEC),
    "dimensions": _list(DIMENSION_SPEC),
    "indicators": _list(INDICATOR_SPEC),
    "annotations": _list(ANNOTATION_SPEC),
    "targets": _list(TARGET_SPEC),
}
SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _json_type(value: Any) -> str:
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int | Decimal):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


def _type_fix(kind: str) -> tuple[str, str]:
    """What a value of ``kind`` looks like, and how to write one."""
    quoted = _('Put it in double quotes, e.g. "third-grade-reading".')
    return {
        "text": (_("text"), quoted),
        "slug": (_("a code (text)"), quoted),
        "choice": (_("text"), quoted),
        "period": (_("a period code (text)"), _('Write it in quotes, e.g. "SY2024-25".')),
        "date": (_("a date (text)"), _('Write it in quotes as YYYY-MM-DD, e.g. "2024-08-01".')),
        "bool": (_("true or false"), _("Write true or false, without quotes.")),
        "int": (_("a whole number"), _("Write the number without quotes, e.g. 12.")),
        "number": (_("a number"), _("Write the number without quotes, e.g. 12.5.")),
        "list": (_("a list"), _("Put the entries in square brackets: [ … ].")),
        "object": (_("an object"), _("Put the fields in curly braces: { … }.")),
        "map": (_("an object"), _('Put the pairs in curly braces, e.g. {"income": "low"}.')),
    }[kind]


class _Checker:
    """Checks values against a spec, collecting problems; returns the cleaned values."""

    def __init__(self, problems: list[MetadataProblem]) -> None:
        self.problems = problems

    def add(self, path: str, message: str, fix: str) -> None:
        self.problems.append(MetadataProblem(path, message, fix))

    def obj(self, value: Any, path: str, spec: Mapping[str, Field]) -> dict[str, Any] | None:
        """The entry's valid keys, cleaned (``None`` if it is not an object at all)."""
        if not isinstance(value, Mapping):
            expected, fix = _type_fix("object")
            self.add(
                path,
                _("This should be %(expected)s, not %(actual)s.")
                % {"expected": expected, "actual": _json_type(value)},
                fix,
            )
            return None
        clean: dict[str, Any] = {}
        for key, item in value.items():
            if key not in spec:
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                self.add(
                    _at(path, str(key)),
                    _("“%(key)s” is not a field we know here.") % {"key": key},
                    _("Did you mean “%(close)s”?") % {"close": close[0]}
                    if close
                    else _("Remove it. The fields here are: %(keys)s.") % {"keys": ", ".join(spec)},
                )
                continue
            ok, cleaned = self.value(item, _at(path, key), spec[key])
            if ok:
                clean[key] = cleaned
        for key, rule in spec.items():
            if rule.required and key not in value:
                self.add(
                    _at(path, key),
                    _("“%(key)s” is missing.") % {"key": key},
                    self._missing_fix(key, rule),
                )
        return clean

    def _missing_fix(self, key: str, rule: Field) -> str:
        if rule.choices:
            return _("Add “%(key)s” with one of: %(allowed)s.") % {
                "key": key,
                "allowed": _allowed(rule),
            }
        return _("Add “%(key)s” (%(kind)s).") % {"key": key, "kind": _type_fix(rule.kind)[0]}

    def value(self, value: Any, path: str, rule: Field) -> tuple[bool, Any]:
        if value is None:
            if rule.nullable:
                return True, None
            return self._wrong_type(value, path, rule)
        kind = rule.kind
        if kind in ("text", "slug", "choice", "period", "date"):
            if not isinstance(value, str):
                return self._wrong_type(value, path, rule)
            return self._string(value.strip(), path, rule)
        if kind == "bool":
            return (True, value) if isinstance(value, bool) else self._wrong_type(value, path, rule)
        if kind in ("int", "number"):
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                return self._wrong_type(value, path, rule)
            return self._number(Decimal(value), path, rule)
        if kind == "list":
            if not isinstance(value, list):
                return self._wrong_type(value, path, rule)
            items = []
            for index, item in enumerate(value):
                ok, cleaned = self.value(item, _at(path, index), rule.of)
                items.append(cleaned if ok else None)
            return True, items
        if kind == "object":
            cleaned = self.obj(value, path, rule.of)
            return cleaned is not None, cleaned
        # map: {text: text}
        if not isinstance(value, Mapping):
            return self._wrong_type(value, path, rule)
        pairs = {}
        for key, item in value.items():
            ok, cleaned = self.value(item, _at(path, str(key)), rule.of)
            if ok:
                pairs[str(key)] = cleaned
        return True, pairs

    def _wrong_type(self, value: Any, path: str, rule: Field) -> tuple[bool, Any]:
        expected, fix = _type_fix(rule.kind)
        self.add(
            path,
            _("This should be %(expected)s, not %(actual)s.")
            % {"expected": expected, "actual": _json_type(value)},
            fix,
        )
        return False, None

    def _string(self, text: str, path: str, rule: Field) -> tuple[bool, Any]:
        if text == "" and rule.kind != "choice":
            if rule.required:
                self.add(path, _("This is empty."), _("Fill it in, or remove the entry."))
                return False, None
            return (True, None) if rule.nullable else (True, "")
        if rule.max_length and len(text) > rule.max_length:
            self.add(
                path,
                _("This is %(n)d characters long; at most %(max)d fit.")
                % {"n": len(text), "max": rule.max_length},
                _("Shorten it."),
            )
            return False, None
        if rule.kind == "slug" and not SLUG.match(text):
            self.add(
                path,
                _("“%(code)s” is not a valid code.") % {"code": text},
                _("Use only letters, digits, dashes and underscores, e.g. third-grade-reading."),
            )
            return False, None
        if rule.kind == "choice" and text not in {v for v, _label in rule.choices}:
            self.add(
                path,
                _("“%(value)s” is not one of the allowed values.") % {"value": text},
                _("Use one of: %(allowed)s.") % {"allowed": _allowed(rule)},
            )
            return False, None
        if rule.kind == "period":
            try:
                return True, parse_period(text).code
            except PeriodCodeError:
                self.add(
                    path,
                    _("“%(code)s” is not a period code we understand.") % {"code": text},
                    _("Write it like %(examples)s.") % {"examples": EXAMPLES},
                )
                return False, None
        if rule.kind == "date":
            try:
                return True, date.fromisoformat(text)
            except ValueError:
                self.add(
                    path,
                    _("“%(text)s” is not a date.") % {"text": text},
                    _("Write it as YYYY-MM-DD, e.g. 2024-08-01."),
                )
                return False, None
        return True, text

    def _number(self, number: Decimal, path: str, rule: Field) -> tuple[bool, Any]:
        whole = rule.kind == "int" or rule.places == 0
        if not number.is_finite() or (whole and number != number.to_integral_value()):
            self.add(path, _("This must be a whole number."), _("Leave out the decimals."))
            return False, None
        if number.normalize().as_tuple().exponent < -rule.places:
            self.add(
                path,
                _("This has more than %(n)d decimal places.") % {"n": rule.places},
                _("Round it to %(n)d decimal places.") % {"n": rule.places},
            )
            return False, None
        if (rule.minimum is not None and number < rule.minimum) or (
            rule.maximum is not None and number > rule.maximum
        ):
            self.add(
                path,
                _("%(n)s is out of range.") % {"n": number},
                _("Use a number from %(min)s to %(max)s.")
                % {"min": rule.minimum, "max": rule.maximum},
            )
            return False, None
        return True, int(number) if rule.kind == "int" else number


def _allowed(rule: Field) -> str:
    return ", ".join(f"“{v}” ({label})" for v, label in rule.choices)


# --- Checking a whole file --------------------------------------------------------------------


@dataclass
class _Known:
    """What the database already holds for the initiative, for references the file may use."""

    places: dict[str, str | None] = field(default_factory=dict)  # code → parent code
    dimensions: dict[str, set[str]] = field(default_factory=dict)  # code → member codes
    indicators: dict[str, set[str]] = field(default_factory=dict)  # code → dimension codes

    @classmethod
    def load(cls, initiative: Initiative | None) -> _Known:
        known = cls()
        if initiative is None:
            return known
        for code, parent in Place.objects.filter(initiative=initiative).values_list(
            "code", "parent__code"
        ):
            known.places[code] = parent
        for dim, member in DimensionMember.objects.filter(
            dimension__initiative=initiative
        ).values_list("dimension__code", "code"):
            known.dimensions.setdefault(dim, set()).add(member)
        for code in Dimension.objects.filter(initiative=initiative).values_list("code", flat=True):
            known.dimensions.setdefault(code, set())
        for code, dim in Indicator.objects.filter(initiative=initiative).values_list(
            "code", "dimensions__code"
        ):
            known.indicators.setdefault(code, set())
            if dim:
                known.indicators[code].add(dim)
        return known


def validate_metadata(data: Any, known: _Known | None = None) -> tuple[dict, list[MetadataProblem]]:
    """Check a parsed file against the format and its references. Returns the cleaned file and
    every problem found (empty when the file can be loaded)."""
    problems: list[MetadataProblem] = []
    check = _Checker(problems)
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        check.add(
            "format" if isinstance(data, Mapping) else "",
            _("This is not a Backbone metadata file."),
            _('A metadata file is a JSON object that starts with "format": "%(f)s".')
            % {"f": FORMAT},
        )
        return {}, problems
    if data.get("version") != VERSION:
        check.add(
            "version",
            _("This file is version %(v)s; this Backbone reads version %(ours)s.")
            % {"v": data.get("version"), "ours": VERSION},
            _('Set "version": %(ours)s and check the file against docs/metadata.md.')
            % {"ours": VERSION},
        )
        return {}, problems
    clean = check.obj(data, "", TOP_SPEC) or {}
    if known is None:
        slug = (clean.get("initiative") or {}).get("slug")
        known = _Known.load(Initiative.objects.filter(slug=slug).first() if slug else None)
    _check_references(clean, known, check)
    return clean, problems


def _entries(clean: dict, section: str) -> list[tuple[int, dict]]:
    return [(i, e) for i, e in enumerate(clean.get(section) or []) if e is not None]


def _unique(check: _Checker, section: str, entries: list[tuple[int, dict]], key: str) -> None:
    seen: dict[str, int] = {}
    for i, e in entries:
        value = e.get(key)
        if value is None:
            continue
        if value in seen:
            check.add(
                _at(_at(section, i), key),
                _("“%(v)s” is used twice (also at %(other)s).")
                % {"v": value, "other": _at(section, seen[value])},
                _("Give each entry its own %(key)s, or remove the repeated entry.") % {"key": key},
            )
        else:
            seen[value] = i


def _check_references(clean: dict, known: _Known, check: _Checker) -> None:
    """Codes are unique, and every code the file refers to is defined (in it or already saved)."""
    orgs = _entries(clean, "organizations")
    _unique(check, "organizations", orgs, "code")
    _unique(check, "organizations", orgs, "name")
    parents = _check_places(_entries(clean, "places"), known, check)
    members = _check_dimensions(_entries(clean, "dimensions"), known, check)
    uses = _check_indicators(_entries(clean, "indicators"), known, members, check)
    for section in ("annotations", "targets"):
        for i, e in _entries(clean, section):
            _check_uses(_at(section, i), e, set(parents), members, uses, check)
    targets: dict[tuple, int] = {}
    for i, e in _entries(clean, "targets"):
        group = tuple(sorted((e.get("group") or {}).items()))
        key = (e.get("indicator"), e.get("period"), e.get("place"), group)
        if key in targets:
            check.add(
                _at("targets", i),
                _("This target is given twice (also at %(other)s).")
                % {"other": _at("targets", targets[key])},
                _("Keep one of them."),
            )
        targets.setdefault(key, i)


def _check_places(
    places: list[tuple[int, dict]], known: _Known, check: _Checker
) -> dict[str, str | None]:
    """Every parent is defined and no place is its own ancestor. Returns code → parent code."""
    _unique(check, "places", places, "code")
    parents = dict(known.places)
    first = {e["code"]: e for _i, e in reversed(places) if "code" in e}  # a repeat is reported
    for code, e in first.items():  # a place without "parent" keeps the parent it has
        parents[code] = e["parent"] if "parent" in e else parents.get(code)
    for i, e in places:
        parent = e.get("parent")
        if parent and parent not in parents:
            check.add(
                _at(_at("places", i), "parent"),
                _("The parent place “%(code)s” is not defined.") % {"code": parent},
                _('Add it to "places" (any order), or correct the code.'),
            )
    _check_cycles(places, parents, check)
    return parents


def _check_dimensions(
    dims: list[tuple[int, dict]], known: _Known, check: _Checker
) -> dict[str, set[str]]:
    """Codes are unique and every dimension has groups. Returns code → member codes."""
    _unique(check, "dimensions", dims, "code")
    members = {code: set(m) for code, m in known.dimensions.items()}
    for i, e in dims:
        listed = [(j, m) for j, m in enumerate(e.get("members") or []) if m is not None]
        _unique(check, _at(_at("dimensions", i), "members"), listed, "code")
        if "members" in e and not e["members"]:
            check.add(
                _at(_at("dimensions", i), "members"),
                _("A dimension needs at least one group."),
                _('List its groups, e.g. [{"code": "low", "name": "Low income"}].'),
            )
        if "code" in e:
            codes = {m["code"] for _j, m in listed if "code" in m}
            members.setdefault(e["code"], set()).update(codes)
    return members


def _check_indicators(
    indicators: list[tuple[int, dict]],
    known: _Known,
    members: dict[str, set[str]],
    check: _Checker,
) -> dict[str, set[str]]:
    """Dimensions are defined, limits are in order. Returns code → the dimensions it uses."""
    _unique(check, "indicators", indicators, "code")
    uses = {code: set(d) for code, d in known.indicators.items()}
    for i, e in indicators:
        path = _at("indicators", i)
        for k, dim in enumerate(e.get("dimensions") or []):
            if dim is not None and dim not in members:
                check.add(
                    _at(_at(path, "dimensions"), k),
                    _("The dimension “%(code)s” is not defined.") % {"code": dim},
                    _('Add it to "dimensions", or correct the code.'),
                )
        low, high = e.get("min_value"), e.get("max_value")
        if low is not None and high is not None and low > high:
            check.add(
                _at(path, "min_value"),
                _("The lowest possible value is above the highest."),
                _("Swap min_value and max_value."),
            )
        if e.get("unit") == Unit.PERCENT and e.get("rate_base", 100) != 100:
            check.add(
                _at(path, "rate_base"),
                _("A percent is always out of 100."),
                _("Leave rate_base out, or use the unit “rate” for a rate per %(n)s.")
                % {"n": e["rate_base"]},
            )
        if "code" in e and "dimensions" in e:
            uses[e["code"]] = {d for d in e["dimensions"] if d}
        elif "code" in e:
            uses.setdefault(e["code"], set())
    return uses


def _check_uses(
    path: str,
    e: dict,
    places: set[str],
    members: dict[str, set[str]],
    uses: dict[str, set[str]],
    check: _Checker,
) -> None:
    """An annotation's or target's indicator, place and groups are defined and fit together."""
    code = e.get("indicator")
    if code and code not in uses:
        check.add(
            _at(path, "indicator"),
            _("The indicator “%(code)s” is not defined.") % {"code": code},
            _('Add it to "indicators", or correct the code.'),
        )
    if e.get("place") and e["place"] not in places:
        check.add(
            _at(path, "place"),
            _("The place “%(code)s” is not defined.") % {"code": e["place"]},
            _('Add it to "places", or correct the code (leave it out for everywhere).'),
        )
    for dim, member in (e.get("group") or {}).items():
        if code in uses and dim not in uses[code]:
            check.add(
                _at(_at(path, "group"), dim),
                _("The indicator “%(ind)s” is not broken down by “%(dim)s”.")
                % {"ind": code, "dim": dim},
                _("Use one of its dimensions: %(dims)s.")
                % {"dims": ", ".join(sorted(uses[code])) or _("(none)")},
            )
        elif dim in members and member not in members[dim]:
            check.add(
                _at(_at(path, "group"), dim),
                _("“%(m)s” is not a group of “%(dim)s”.") % {"m": member, "dim": dim},
                _("Use one of: %(ms)s.") % {"ms": ", ".join(sorted(members[dim]))},
            )


def _check_cycles(
    places: list[tuple[int, dict]], parents: dict[str, str | None], check: _Checker
) -> None:
    """Report each loop of parents once, at the first place of the file that is in it."""
    reported: set[str] = set()
    for i, e in places:
        start = e.get("code")
        if not start or start in reported:
            continue
        chain, code = [start], parents.get(start)
        while code and code not in chain and code in parents:
            chain.append(code)
            code = parents.get(code)
        reported.add(start)
        if code == start:
            reported.update(chain)
            check.add(
                _at(_at("places", i), "parent"),
                _("These places are each other’s parents: %(loop)s.")
                % {"loop": " → ".join([*chain, start])},
                _("Give one of them a parent outside the loop, or no parent."),
            )


# --- Loading ----------------------------------------------------------------------------------


def load_metadata(
    source: str | Path | IO | Mapping[str, Any],
    *,
    actor: AnyUser = COMMAND_LINE,
    dry_run: bool = False,
) -> MetadataReport:
    """Create or update the initiative a metadata file describes, all or nothing.

    ``source`` is a file path, an open file or the parsed JSON. Raises ``MetadataUnreadable``
    (not readable, not JSON), ``MetadataRejected`` (any problem; nothing written) or
    ``PermissionDenied``. ``dry_run``: check and count everything, then roll back.
    """
    data = read_metadata(source)
    _authorise(actor, data)
    report = MetadataReport(dry_run=dry_run)
    clean, report.problems = validate_metadata(data)
    if report.problems:
        raise MetadataRejected(report)
    with transaction.atomic():
        _Writer(actor, report).write(clean)
        if report.problems:
            raise MetadataRejected(report)  # rolls back whatever was written
        if dry_run:
            transaction.set_rollback(True)
    return report


def _authorise(actor: AnyUser, data: Any) -> None:
    """The initiative's backbone admins may load its file; only an operator may create one."""
    head = data.get("initiative") if isinstance(data, Mapping) else None
    slug = head.get("slug") if isinstance(head, Mapping) else None
    found = Initiative.objects.filter(slug=slug.strip()).first() if isinstance(slug, str) else None
    if found is not None:
        permissions.require(actor, Action.MANAGE_INITIATIVE, found)
        permissions.require(actor, Action.MANAGE_MEASUREMENT, found)
    elif not getattr(actor, "is_superuser", False):
        raise PermissionDenied(Action.MANAGE_INITIATIVE.value)


INITIATIVE_FIELDS = [k for k in INITIATIVE_SPEC if k != "slug"]
INDICATOR_FIELDS = [*services.DEFINITION_FIELDS, *services.PLAIN_FIELDS]
ORGANIZATION_FIELDS = ["name", "sector", "external_code"]


class _Writer:
    """Writes a checked file, keeping counts; rules broken on the way become problems."""

    def __init__(self, actor: AnyUser, report: MetadataReport) -> None:
        self.actor, self.report = actor, report
        self.initiative: Initiative = Initiative()
        self.places: dict[str, Place] = {}
        self.indicators: dict[str, Indicator] = {}

    def add(self, path: str, message: str, fix: str) -> None:
        self.report.problems.append(MetadataProblem(path, message, fix))

    def tally(self, kind: str, created: bool, changed: bool) -> None:
        t = self.report.counts[kind]
        if created:
            t.created += 1
        elif changed:
            t.updated += 1
        else:
            t.unchanged += 1

    def audit(self, action: str, obj: Any, summary: str, **extra: Any) -> None:
        audit.record(
            actor=self.actor,
            initiative=self.initiative,
            action=action,
            obj=obj,
            summary=summary,
            **extra,
        )

    def guarded(self, path: str, write: Callable[[], Any]) -> Any:
        """Run a service; its refusal becomes a problem at ``path`` (its savepoint rolled back)."""
        try:
            with transaction.atomic():
                return write()
        except ValidationError as exc:
            for name, messages in getattr(exc, "message_dict", {"": exc.messages}).items():
                for message in messages:
                    self.add(
                        _at(path, name) if name != "__all__" and name else path,
                        message,
                        _("Correct this entry."),
                    )
        except DomainError as exc:
            self.add(path, exc.message, _("Correct this entry, or change it on its page."))
        return None

    def write(self, clean: dict) -> None:
        self.write_initiative(clean["initiative"])
        for i, e in _entries(clean, "organizations"):
            self.write_organization(_at("organizations", i), e)
        self.write_places(_entries(clean, "places"))
        for _i, e in _entries(clean, "dimensions"):
            self.write_dimension(e)
        self.indicators = {i.code: i for i in Indicator.objects.filter(initiative=self.initiative)}
        for i, e in _entries(clean, "indicators"):
            self.write_indicator(_at("indicators", i), e)
        for _i, e in _entries(clean, "annotations"):
            self.write_annotation(e)
        for _i, e in _entries(clean, "targets"):
            self.write_target(e)

    def write_initiative(self, e: dict) -> None:
        found = Initiative.objects.select_for_update().filter(slug=e["slug"]).first()
        fields = [k for k in INITIATIVE_FIELDS if k in e]
        if found is None:  # _authorise checked that the actor may create one
            self.initiative = Initiative(**{k: e[k] for k in ["slug", *fields]})
            self.initiative.full_clean()
            self.initiative.save()
            self.audit(
                "initiative.create",
                self.initiative,
                _("Created the initiative %(name)s from a metadata file")
                % {"name": self.initiative.name},
                after=audit.snapshot(self.initiative, ["slug", *fields]),
            )
            self.report.initiative = self.initiative
            self.tally("initiative", True, False)
            return
        self.initiative = self.report.initiative = found
        changed = [k for k in fields if getattr(found, k) != e[k]]
        if changed:
            before = audit.snapshot(found, changed)
            for k in changed:
                setattr(found, k, e[k])
            found.full_clean()
            found.version += 1
            found.save(update_fields=[*changed, "version"])
            self.audit(
                "initiative.update",
                found,
                _("Changed the initiative’s settings from a metadata file"),
                before=before,
                after=audit.snapshot(found, changed),
            )
        self.tally("initiative", False, bool(changed))

    def write_organization(self, path: str, e: dict) -> None:
        by_code = list(Organization.objects.filter(external_code=e["code"])[:2])
        if len(by_code) > 1:
            self.add(
                _at(path, "code"),
                _("Several organizations have the code “%(code)s”.") % {"code": e["code"]},
                _("Give each organization its own code on its page, then load again."),
            )
            return
        org = by_code[0] if by_code else Organization.objects.filter(name=e["name"]).first()
        wanted = {"name": e["name"], "sector": e["sector"], "external_code": e["code"]}
        if org is None:
            org = self.guarded(
                path,
                lambda: core_services.organization_create(
                    actor=self.actor, initiative=self.initiative, **wanted
                ),
            )
            if org is None:
                return
            self.tally("organizations", True, False)
        else:
            if org.external_code and org.external_code != e["code"]:
                self.add(
                    _at(path, "code"),
                    _("%(org)s already has the code “%(code)s”.")
                    % {"org": org.name, "code": org.external_code},
                    _("Use “%(code)s” in the file.") % {"code": org.external_code},
                )
                return
            changed = [k for k in ORGANIZATION_FIELDS if getattr(org, k) != wanted[k]]
            if "name" in changed and Organization.objects.filter(name=e["name"]).exists():
                self.add(
                    _at(path, "name"),
                    _("Another organization is already called “%(name)s”.") % {"name": e["name"]},
                    _("Use a different name, or that organization’s code."),
                )
                return
            if changed:
                before = audit.snapshot(org, changed)
                for k in changed:
                    setattr(org, k, wanted[k])
                org.full_clean(validate_unique=False)
                org.save(update_fields=changed)
                self.audit(
                    "organization.update",
                    org,
                    _("Changed the organization %(name)s from a metadata file") % {"name": org},
                    before=before,
                    after=audit.snapshot(org, changed),
                )
            self.tally("organizations", False, bool(changed))
        self.write_partnership(path, org, e)

    def write_partnership(self, path: str, org: Organization, e: dict) -> None:
        partnership = Partnership.objects.filter(
            initiative=self.initiative, organization=org
        ).first()
        if partnership is None:
            made = self.guarded(
                path,
                lambda: core_services.partnership_add(
                    actor=self.actor,
                    initiative=self.initiative,
                    organization=org,
                    kind=e["kind"],
                    joined_on=e.get("joined_on") or timezone.localdate(),
                ),
            )
            if made is not None:
                self.tally("partnerships", True, False)
            return
        partnership.initiative = self.initiative
        data = {
            k: e[k] for k in ("kind", "joined_on") if k in e and getattr(partnership, k) != e[k]
        }
        if data:
            self.guarded(
                path,
                lambda: core_services.partnership_update(
                    actor=self.actor,
                    partnership=partnership,
                    data=data,
                    expected_version=partnership.version,
                ),
            )
        self.tally("partnerships", False, bool(data))

    def write_places(self, entries: list[tuple[int, dict]]) -> None:
        self.places = {p.code: p for p in Place.objects.filter(initiative=self.initiative)}
        by_code = {e["code"]: e for _i, e in entries}
        done: set[str] = set()

        def visit(code: str) -> None:  # parents first; the check ruled out loops
            if code in done:
                return
            done.add(code)
            e = by_code[code]
            if e.get("parent") in by_code:
                visit(e["parent"])
            self.write_place(e)

        for code in by_code:
            visit(code)

    def write_place(self, e: dict) -> None:
        place = self.places.get(e["code"])
        wanted: dict[str, Any] = {"name": e["name"], "level": e["level"]}
        if "parent" in e or place is None:
            wanted["parent"] = self.places[e["parent"]] if e.get("parent") else None
        if place is None:
            place = Place.objects.create(initiative=self.initiative, code=e["code"], **wanted)
            self.places[place.code] = place
            self.audit(
                "place.create",
                place,
                _("Added the place %(name)s") % {"name": place.name},
                after={
                    **audit.snapshot(place, ["code", "name", "level"]),
                    "parent": e.get("parent"),
                },
            )
            self.tally("places", True, False)
            return
        changed = [k for k in wanted if getattr(place, k) != wanted[k]]
        if changed:
            before = audit.snapshot(place, changed)
            for k in changed:
                setattr(place, k, wanted[k])
            place.save(update_fields=changed)
            self.audit(
                "place.update",
                place,
                _("Changed the place %(name)s") % {"name": place.name},
                before=before,
                after=audit.snapshot(place, changed),
            )
        self.tally("places", False, bool(changed))

    def write_dimension(self, e: dict) -> None:
        members = [(m["code"], m["name"]) for m in e["members"] if m is not None]
        dimension = Dimension.objects.filter(initiative=self.initiative, code=e["code"]).first()
        if dimension is None:
            dimension = services.dimension_define(
                initiative=self.initiative, code=e["code"], name=e["name"], members=members
            )
            self.audit(
                "dimension.create",
                dimension,
                _("Added the dimension %(name)s") % {"name": dimension.name},
                after={"name": dimension.name, "members": [c for c, _n in members]},
            )
            self.tally("dimensions", True, False)
            return
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if dimension.name != e["name"]:
            before["name"], after["name"] = dimension.name, e["name"]
            dimension.name = e["name"]
            dimension.save(update_fields=["name"])
        existing = {m.code: m for m in dimension.members.all()}
        for order, (code, name) in enumerate(members):
            member = existing.get(code)
            if member is None:
                DimensionMember.objects.create(
                    dimension=dimension, code=code, name=name, sort_order=order
                )
                after[code] = name
            elif (member.name, member.sort_order) != (name, order):
                before[code] = f"{member.name} ({member.sort_order})"
                after[code] = f"{name} ({order})"
                member.name, member.sort_order = name, order
                member.save(update_fields=["name", "sort_order"])
        if after:
            self.audit(
                "dimension.update",
                dimension,
                _("Changed the dimension %(name)s") % {"name": dimension.name},
                before=before,
                after=after,
            )
        self.tally("dimensions", False, bool(after))

    def wanted_indicator(self, e: dict) -> dict[str, Any]:
        wanted = {k: e[k] for k in INDICATOR_FIELDS if k in e}
        if wanted.get("baseline_period"):
            wanted["baseline_period"] = services.period_for(wanted["baseline_period"])
        return wanted

    def write_indicator(self, path: str, e: dict) -> None:
        indicator = self.indicators.get(e["code"])
        wanted = self.wanted_indicator(e)
        dimensions = None
        if "dimensions" in e:
            dimensions = list(
                Dimension.objects.filter(initiative=self.initiative, code__in=e["dimensions"])
            )
        if indicator is None:
            indicator = Indicator(
                initiative=self.initiative, code=e["code"], period_type=e["period_type"], **wanted
            )
            if not self.guarded(path, lambda: indicator.full_clean(validate_unique=False) or True):
                return
            indicator.save()
            indicator.dimensions.set(dimensions or [])
            self.indicators[indicator.code] = indicator
            self.audit(
                "indicator.create",
                indicator,
                _("Added the indicator %(name)s") % {"name": indicator.name},
                after={
                    **audit.snapshot(indicator, ["code", "period_type", *wanted]),
                    "dimensions": e.get("dimensions", []),
                },
            )
            self.tally("indicators", True, False)
            return
        indicator.initiative = self.initiative
        if e["period_type"] != indicator.period_type:
            self.add(
                _at(path, "period_type"),
                _("An indicator’s reporting period cannot change (it is “%(now)s”).")
                % {"now": indicator.period_type},
                _("Keep “%(now)s”, or add a new indicator with its own code.")
                % {"now": indicator.period_type},
            )
            return
        changes = {k: v for k, v in wanted.items() if getattr(indicator, k) != v}
        redefined = [k for k in changes if k in services.DEFINITION_FIELDS]
        revision = e.get("revision")
        if redefined and not revision:
            self.add(
                _at(path, redefined[0]),
                _("This changes what “%(code)s” measures: %(changes)s.")
                % {
                    "code": indicator.code,
                    "changes": "; ".join(
                        f"{k}: {getattr(indicator, k)} → {changes[k]}" for k in redefined
                    ),
                },
                _(
                    'Add "revision": {"effective_period": "…", "reason": "…"} — the first '
                    "period measured the new way, and why — or keep the old %(fields)s."
                )
                % {"fields": ", ".join(redefined)},
            )
            return
        if changes:
            updated = self.guarded(
                path,
                lambda: services.indicator_update(
                    actor=self.actor,
                    indicator=indicator,
                    changes=changes,
                    expected_version=indicator.version,
                    effective_period=services.period_for(revision["effective_period"])
                    if redefined
                    else None,
                    reason=revision["reason"] if redefined else "",
                ),
            )
            if updated is None:
                return
        regrouped = dimensions is not None and self.regroup(path, indicator, dimensions)
        self.tally("indicators", False, bool(changes) or regrouped)

    def regroup(self, path: str, indicator: Indicator, dimensions: list[Dimension]) -> bool:
        """Set the indicator's dimensions; refuse to drop one that values or targets use."""
        now = set(indicator.dimensions.values_list("code", flat=True))
        new = {d.code for d in dimensions}
        if now == new:
            return False
        dropped = now - new
        if dropped and (
            Observation.objects.filter(
                indicator=indicator, breakdown__members__dimension__code__in=dropped
            ).exists()
            or Target.objects.filter(
                indicator=indicator, breakdown__members__dimension__code__in=dropped
            ).exists()
        ):
            self.add(
                _at(path, "dimensions"),
                _("Values or targets of “%(code)s” are broken down by %(dims)s.")
                % {"code": indicator.code, "dims": ", ".join(sorted(dropped))},
                _("Keep %(dims)s in its dimensions.") % {"dims": ", ".join(sorted(dropped))},
            )
            return False
        indicator.dimensions.set(dimensions)
        self.audit(
            "indicator.dimensions",
            indicator,
            _("Changed how %(name)s is broken down") % {"name": indicator.name},
            before={"dimensions": sorted(now)},
            after={"dimensions": sorted(new)},
        )
        return True

    def write_annotation(self, e: dict) -> None:
        indicator = self.indicators.get(e["indicator"])
        if indicator is None:  # its creation was refused: already a problem
            return
        place = self.places[e["place"]] if e.get("place") else None
        period = services.period_for(e["period"])
        note = Annotation.objects.filter(
            indicator=indicator, period=period, place=place, text=e["text"]
        ).first()
        breaks = e.get("breaks_comparability")
        if note is None:
            note = Annotation.objects.create(
                indicator=indicator,
                period=period,
                place=place,
                text=e["text"],
                breaks_comparability=bool(breaks),
            )
            self.audit(
                "annotation.create",
                note,
                _("Added a note to %(indicator)s for %(period)s")
                % {"indicator": indicator, "period": period},
                after=audit.snapshot(note, ["text", "breaks_comparability"]),
            )
            self.tally("annotations", True, False)
            return
        changed = breaks is not None and note.breaks_comparability != breaks
        if changed:
            note.breaks_comparability = breaks
            note.save(update_fields=["breaks_comparability"])
            self.audit(
                "annotation.update",
                note,
                _("Changed a note on %(indicator)s for %(period)s")
                % {"indicator": indicator, "period": period},
                before={"breaks_comparability": not breaks},
                after={"breaks_comparability": breaks},
            )
        self.tally("annotations", False, changed)

    def write_target(self, e: dict) -> None:
        indicator = self.indicators.get(e["indicator"])
        if indicator is None:  # its creation was refused: already a problem
            return
        place = self.places[e["place"]] if e.get("place") else None
        period = services.period_for(e["period"])
        breakdown = services.breakdown_for(self.initiative, e.get("group") or {})
        target = Target.objects.filter(
            indicator=indicator, place=place, breakdown=breakdown, period=period
        ).first()
        note = e.get("note", target.note if target else "")
        if target is not None and target.value == e["value"] and target.note == note:
            self.tally("targets", False, False)
            return
        services.target_set(
            actor=self.actor,
            indicator=indicator,
            period=period,
            value=e["value"],
            breakdown=breakdown,
            place=place,
            note=note,
        )
        self.tally("targets", target is None, True)
