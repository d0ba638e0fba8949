"""The metadata format: what each entry may hold, as ``Field`` specs per section (``TOP_SPEC``
for the whole file), and ``_Checker``, which checks values against a spec and returns them
cleaned, recording a ``MetadataProblem`` (where, what, how to fix) for each one that does not fit.
Nothing here reads the database."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from backbone.core.models import Initiative, PartnerKind, Sector
from backbone.measurement.metadata.report import MetadataProblem
from backbone.measurement.models import (
    Aggregation,
    Direction,
    Level,
    PerformanceKind,
    RuleSeverity,
    Unit,
)
from backbone.measurement.periods import EXAMPLES, PeriodCodeError, PeriodType, parse_period


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
