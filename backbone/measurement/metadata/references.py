"""Checking a whole metadata file: first against the format (``schema``), then its references.
Codes are unique within a section, and every code an entry refers to (a parent place, a
dimension, an indicator, a group) is defined, in the file or already saved for the initiative;
places form no loops; limits are in order. Reads the database, never writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from backbone.core.models import Initiative
from backbone.measurement.metadata.report import FORMAT, VERSION, MetadataProblem
from backbone.measurement.metadata.schema import TOP_SPEC, _at, _Checker
from backbone.measurement.models import Dimension, DimensionMember, Indicator, Place, Unit


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
