"""Writes to the indicator library: indicators, dimensions (with their members) and places.

The backbone owns the library (``Action.MANAGE_MEASUREMENT``). Each function is one transaction:
authorise, validate, write, audit. Changing an indicator goes through
``measurement.services.indicator_update``, which keeps definition versions and series breaks.

Edits are optimistic: an indicator carries ``version``; a dimension and a place carry no version
column, so the form carries a *fingerprint* of what the person saw (``dimension_state`` /
``place_state``) and a write based on anything else is refused with a ``ConflictError`` naming
who changed it last, so nothing is silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from backbone.core import audit, permissions
from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser
from backbone.measurement import services
from backbone.measurement.models import (
    Aggregation,
    Dimension,
    DimensionMember,
    Indicator,
    Level,
    Period,
    Place,
    Unit,
)
from backbone.measurement.periods import PeriodCodeError, parse_period

# What a person chooses when creating an indicator (``code`` and ``period_type`` are fixed after).
INDICATOR_CREATE_FIELDS = (
    "code",
    "name",
    "definition",
    "unit",
    "rate_base",
    "decimals",
    "direction",
    "level",
    "performance_kind",
    "aggregation",
    "numerator_label",
    "denominator_label",
    "period_type",
    "source",
    "is_public",
    "min_value",
    "max_value",
    "numerator_within_denominator",
    "parts_rule",
)
INDICATOR_EDIT_FIELDS = (*services.DEFINITION_FIELDS, *services.PLAIN_FIELDS)


# --- Conflicts ----------------------------------------------------------------------------


def _fingerprint(data: object) -> str:
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def dimension_state(dimension: Dimension) -> str:
    """A fingerprint of the dimension as stored: its name and members (code, name, order)."""
    members = list(
        DimensionMember.objects.filter(dimension=dimension)
        .order_by("sort_order", "pk")
        .values_list("code", "name", "sort_order")
    )
    return _fingerprint([dimension.name, members])


def place_state(place: Place) -> str:
    """A fingerprint of the place as stored: name, level and parent."""
    return _fingerprint([place.name, place.level, place.parent_id])


# --- Periods ------------------------------------------------------------------------------


def _period(code: str, field: str) -> Period | None:
    """The period for a code typed in a form (``None`` when empty); a clear error otherwise."""
    if not (code or "").strip():
        return None
    try:
        parse_period(code)
    except PeriodCodeError as exc:
        raise ValidationError({field: str(exc)}) from exc
    return services.period_for(code)


# --- Indicators ---------------------------------------------------------------------------


def _indicator_checks(indicator: Indicator, *, exclude: Sequence[str] = ()) -> None:
    """The model's field checks and the rules across fields, reported together per field."""
    errors: dict[str, list[str]] = {}
    try:
        indicator.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    _indicator_rules(indicator, errors)
    if errors:
        raise ValidationError(errors)


def _indicator_rules(indicator: Indicator, errors: dict[str, list[str]]) -> None:
    """Rules across fields that keep every figure of the indicator meaningful."""

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if indicator.unit == Unit.PERCENT and indicator.aggregation == Aggregation.SUM:
        add(
            "aggregation",
            _(
                "Percents cannot be added up. Choose “Ratio of sums”: partners report the counts "
                "behind each percent, and the total is computed from those counts."
            ),
        )
    if indicator.rate_base is not None and indicator.rate_base <= 0:
        add("rate_base", _("The rate base must be more than zero, e.g. 100 or 1,000."))
    if indicator.unit == Unit.PERCENT and indicator.rate_base not in (None, 100):
        add("rate_base", _("A percent is always out of 100: set the rate base to 100."))
    if indicator.aggregation == Aggregation.RATIO:
        if not (indicator.numerator_label or "").strip():
            add("numerator_label", _("Say what is counted on top, e.g. “Children screened”."))
        if not (indicator.denominator_label or "").strip():
            add("denominator_label", _("Say what it is out of, e.g. “Children eligible”."))
    if indicator.level == Level.PERFORMANCE and not indicator.performance_kind:
        add("performance_kind", _("Choose which question this program measure answers."))
    if indicator.level == Level.POPULATION and indicator.performance_kind:
        add(
            "performance_kind",
            _(
                "A community-wide indicator answers no program question: choose “Not a "
                "performance measure”."
            ),
        )
    low, high = indicator.min_value, indicator.max_value
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        add("max_value", _("The highest possible value is below the lowest."))


@transaction.atomic
def indicator_create(
    *,
    actor: AnyUser,
    initiative: Initiative,
    data: Mapping[str, Any],
    dimensions: Sequence[Dimension] = (),
    baseline_period: str = "",
) -> Indicator:
    """Add an indicator to the library (the backbone only). ``data`` holds
    ``INDICATOR_CREATE_FIELDS``; the code is unique in the initiative and never changes after."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    unknown = set(data) - set(INDICATOR_CREATE_FIELDS)
    if unknown:
        raise DomainError(_("These cannot be set: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if any(d.initiative_id != initiative.pk for d in dimensions):
        raise DomainError(_("Every dimension must belong to this initiative."))
    indicator = Indicator(initiative=initiative, **data)
    indicator.baseline_period = _period(baseline_period, "baseline_period")
    _indicator_checks(indicator)
    if indicator.code == "new":  # the address of the page that adds an indicator
        raise ValidationError({"code": _("“new” is reserved: choose another code.")})
    if Indicator.objects.filter(initiative=initiative, code=indicator.code).exists():
        raise ValidationError({"code": _("Another indicator already has this code.")})
    indicator.save()
    indicator.dimensions.set(dimensions)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="indicator.create",
        obj=indicator,
        summary=_("Added the indicator %(name)s") % {"name": indicator.name},
        after={
            **audit.snapshot(indicator, list(INDICATOR_CREATE_FIELDS)),
            "dimensions": sorted(d.code for d in dimensions),
        },
    )
    return indicator


def dimensions_in_use(indicator: Indicator) -> set[int]:
    """The dimensions this indicator's stored figures or targets are split by: they cannot be
    removed from it (the web library and the metadata file apply this one rule)."""
    return set(
        DimensionMember.objects.filter(
            Q(breakdowns__observations__indicator=indicator)
            | Q(breakdowns__targets__indicator=indicator)
        )
        .values_list("dimension_id", flat=True)
        .distinct()
    )


@transaction.atomic
def indicator_edit(
    *,
    actor: AnyUser,
    indicator: Indicator,
    changes: Mapping[str, Any],
    expected_version: int,
    dimensions: Sequence[Dimension] | None = None,
    reference_groups: Sequence[DimensionMember] | None = None,
    baseline_period: str | None = None,
    effective_period: str = "",
    reason: str = "",
) -> Indicator:
    """Change an indicator from the library's form: its fields (through
    ``services.indicator_update``, so a change to what is measured needs the first period measured
    the new way and a reason, and marks a series break), its baseline period (a code) and the
    dimensions partners may split it by. A dimension that stored figures use cannot be removed.
    A stale ``expected_version`` is refused naming who changed the indicator."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, indicator.initiative)
    fresh = Indicator.objects.select_for_update().get(pk=indicator.pk)
    if fresh.version != expected_version:
        raise audit.conflict(indicator)
    unknown = set(changes) - set(INDICATOR_EDIT_FIELDS)
    if unknown:
        raise DomainError(_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    changes = dict(changes)
    if baseline_period is not None:
        changes["baseline_period"] = _period(baseline_period, "baseline_period")
    candidate = Indicator.objects.get(pk=indicator.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    _indicator_checks(candidate)
    period = _period(effective_period, "effective_period")

    old_dims = set(indicator.dimensions.values_list("pk", flat=True))
    new_dims = old_dims if dimensions is None else {d.pk for d in dimensions}
    if dimensions is not None:
        if any(d.initiative_id != indicator.initiative_id for d in dimensions):
            raise DomainError(_("Every dimension must belong to this initiative."))
        used = (old_dims - new_dims) & dimensions_in_use(indicator)
        if used:
            names = ", ".join(
                sorted(Dimension.objects.filter(pk__in=used).values_list("name", flat=True))
            )
            raise ValidationError(
                {
                    "dimensions": _(
                        "Figures or targets already stored are split by %(names)s, so it must stay."
                    )
                    % {"names": names}
                }
            )

    old_refs = set(indicator.reference_groups.values_list("pk", flat=True))
    new_refs = old_refs if reference_groups is None else {m.pk for m in reference_groups}
    if reference_groups is not None:
        members = list(DimensionMember.objects.filter(pk__in=new_refs))
        dims = [m.dimension_id for m in members]
        if any(d not in new_dims for d in dims) or len(set(dims)) < len(dims):
            raise ValidationError(
                {
                    "reference_groups": _(
                        "Choose at most one reference group for each split, among the groups "
                        "this indicator is split by."
                    )
                }
            )
    real = {k: v for k, v in changes.items() if getattr(indicator, k) != v}
    if real:
        indicator = services.indicator_update(
            actor=actor,
            indicator=indicator,
            changes=real,
            expected_version=expected_version,
            effective_period=period,
            reason=reason,
        )
    elif new_dims != old_dims or new_refs != old_refs:
        Indicator.objects.filter(pk=indicator.pk).update(version=F("version") + 1)
        indicator.version = expected_version + 1
    if new_refs != old_refs:
        indicator.reference_groups.set(new_refs)
        audit.record(
            actor=actor,
            initiative=indicator.initiative,
            action="indicator.reference_groups",
            obj=indicator,
            summary=_("Changed the reference groups of %(name)s") % {"name": indicator.name},
            before={"reference_groups": _member_keys(old_refs)},
            after={"reference_groups": _member_keys(new_refs)},
        )
    if new_dims != old_dims:
        before = sorted(Dimension.objects.filter(pk__in=old_dims).values_list("code", flat=True))
        indicator.dimensions.set(new_dims)
        audit.record(
            actor=actor,
            initiative=indicator.initiative,
            action="indicator.dimensions",
            obj=indicator,
            summary=_("Changed how %(name)s can be split into groups") % {"name": indicator.name},
            before={"dimensions": before},
            after={"dimensions": sorted(d.code for d in dimensions or ())},
        )
    return indicator


def _member_keys(pks: set[int]) -> list[str]:
    return sorted(
        f"{dimension}:{member}"
        for dimension, member in DimensionMember.objects.filter(pk__in=pks).values_list(
            "dimension__code", "code"
        )
    )


# --- Dimensions ---------------------------------------------------------------------------


def _clean_members(members: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Members as (code, name), stripped; refuses none, blanks and repeated codes."""
    cleaned = [(c.strip(), n.strip()) for c, n in members if c.strip() or n.strip()]
    if not cleaned:
        raise ValidationError({"members": _("List at least one group, one a line.")})
    seen: set[str] = set()
    for code, name in cleaned:
        if not code or not name:
            raise ValidationError(
                {"members": _("Every group needs a code and a name: “code: Name”.")}
            )
        try:
            DimensionMember(code=code, name=name).clean_fields(exclude=["dimension", "sort_order"])
        except ValidationError as exc:
            raise ValidationError(
                {
                    "members": _("“%(code)s” cannot be a code: use letters, digits, - and _.")
                    % {"code": code}
                }
            ) from exc
        if code in seen:
            raise ValidationError(
                {"members": _("The code “%(code)s” is used twice.") % {"code": code}}
            )
        seen.add(code)
    return cleaned


@transaction.atomic
def dimension_create(
    *,
    actor: AnyUser,
    initiative: Initiative,
    code: str,
    name: str,
    members: Sequence[tuple[str, str]],
) -> Dimension:
    """Add a way to split figures into groups, with its groups in order."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    candidate = Dimension(initiative=initiative, code=code.strip(), name=name.strip())
    candidate.full_clean(exclude=["initiative"], validate_unique=False)
    if Dimension.objects.filter(initiative=initiative, code=candidate.code).exists():
        raise ValidationError({"code": _("Another dimension already has this code.")})
    cleaned = _clean_members(members)
    dimension = services.dimension_define(
        initiative=initiative, code=candidate.code, name=candidate.name, members=cleaned
    )
    audit.record(
        actor=actor,
        initiative=initiative,
        action="dimension.create",
        obj=dimension,
        summary=_("Added the dimension %(name)s") % {"name": dimension.name},
        after={"name": dimension.name, "members": [list(m) for m in cleaned]},
    )
    return dimension


@transaction.atomic
def dimension_update(
    *,
    actor: AnyUser,
    dimension: Dimension,
    name: str,
    members: Sequence[tuple[str, str]],
    expected_state: str,
) -> Dimension:
    """Rename a dimension and set its groups: rename and reorder them, add new ones, remove
    ones no figure uses. A group's code never changes (files and the API name groups by it)."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, dimension.initiative)
    locked = Dimension.objects.select_for_update().get(pk=dimension.pk)
    if dimension_state(locked) != expected_state:
        raise audit.conflict(dimension)
    locked.name = name.strip()
    locked.full_clean(exclude=["initiative"], validate_unique=False)
    cleaned = _clean_members(members)
    existing = {m.code: m for m in locked.members.all()}
    removed = [m for code, m in existing.items() if code not in dict(cleaned)]
    used = [m.name for m in removed if m.breakdowns.exists()]
    if used:
        raise ValidationError(
            {
                "members": _(
                    "%(names)s cannot be removed: figures or targets are split by it. Rename it "
                    "instead."
                )
                % {"names": ", ".join(used)}
            }
        )
    before = [[m.code, m.name] for m in sorted(existing.values(), key=lambda m: m.sort_order)]
    DimensionMember.objects.filter(pk__in=[m.pk for m in removed]).delete()
    for order, (code, member_name) in enumerate(cleaned):
        member = existing.get(code)
        if member is None:
            DimensionMember.objects.create(
                dimension=locked, code=code, name=member_name, sort_order=order
            )
        elif (member.name, member.sort_order) != (member_name, order):
            member.name, member.sort_order = member_name, order
            member.save(update_fields=["name", "sort_order"])
    old_name = dimension.name
    locked.save(update_fields=["name"])
    dimension.name = locked.name
    audit.record(
        actor=actor,
        initiative=dimension.initiative,
        action="dimension.update",
        obj=dimension,
        summary=_("Changed the dimension %(name)s") % {"name": dimension.name},
        before={"name": old_name, "members": before},
        after={"name": dimension.name, "members": [list(m) for m in cleaned]},
    )
    return dimension


# --- Places -------------------------------------------------------------------------------


def _check_parent(initiative: Initiative, place: Place | None, parent: Place | None) -> None:
    """The parent is in the same initiative and is not the place itself or inside it."""
    if parent is None:
        return
    if parent.initiative_id != initiative.pk:
        raise ValidationError({"parent": _("The larger place must belong to this initiative.")})
    if place is None or place.pk is None:
        return
    seen: set[int] = set()
    node: Place | None = parent
    while node is not None and node.pk not in seen:
        if node.pk == place.pk:
            raise ValidationError(
                {
                    "parent": _(
                        "%(parent)s lies inside %(place)s, so it cannot also contain it. "
                        "Choose a larger place."
                    )
                    % {"parent": parent.name, "place": place.name}
                }
            )
        seen.add(node.pk)
        node = node.parent
    # ``seen`` guards against a loop already stored; none can be made through here.


@transaction.atomic
def place_create(
    *,
    actor: AnyUser,
    initiative: Initiative,
    code: str,
    name: str,
    level: str,
    parent: Place | None = None,
) -> Place:
    """Add a place, inside a larger one (``parent``) or at the top."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    place = Place(
        initiative=initiative,
        code=code.strip(),
        name=name.strip(),
        level=level.strip(),
        parent=parent,
    )
    place.full_clean(exclude=["initiative"], validate_unique=False)
    if Place.objects.filter(initiative=initiative, code=place.code).exists():
        raise ValidationError({"code": _("Another place already has this code.")})
    _check_parent(initiative, None, parent)
    place.save()
    audit.record(
        actor=actor,
        initiative=initiative,
        action="place.create",
        obj=place,
        summary=_("Added the place %(name)s") % {"name": place.name},
        after=audit.snapshot(place, ["code", "name", "level", "parent"]),
    )
    return place


@transaction.atomic
def place_update(
    *,
    actor: AnyUser,
    place: Place,
    name: str,
    level: str,
    parent: Place | None,
    expected_state: str,
) -> Place:
    """Rename a place, change its level or move it under another (never under itself or a place
    inside it). Its code does not change: partners' files name places by it."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, place.initiative)
    locked = Place.objects.select_for_update().get(pk=place.pk)
    if place_state(locked) != expected_state:
        raise audit.conflict(place)
    fields = ["name", "level", "parent"]
    before = audit.snapshot(locked, fields)
    locked.name, locked.level, locked.parent = name.strip(), level.strip(), parent
    locked.full_clean(exclude=["initiative"], validate_unique=False)
    _check_parent(place.initiative, locked, parent)
    locked.save(update_fields=["name", "level", "parent"])
    place.name, place.level, place.parent = locked.name, locked.level, locked.parent
    audit.record(
        actor=actor,
        initiative=place.initiative,
        action="place.update",
        obj=place,
        summary=_("Changed the place %(name)s") % {"name": place.name},
        before=before,
        after=audit.snapshot(place, fields),
    )
    return place


# --- Reads for the library page -----------------------------------------------------------


@dataclass(frozen=True)
class PlaceNode:
    place: Place
    children: list[PlaceNode]

    @property
    def size(self) -> int:
        """How many places lie inside this one, at any depth."""
        return sum(1 + child.size for child in self.children)


def place_tree(initiative: Initiative) -> list[PlaceNode]:
    """The initiative's places as a tree (top places first), each level sorted by name. One
    query; a place whose parent is missing from the initiative is shown at the top."""
    places = list(Place.objects.filter(initiative=initiative).order_by("name", "code"))
    ids = {p.pk for p in places}
    children: dict[int | None, list[Place]] = {}
    for place in places:
        parent = place.parent_id if place.parent_id in ids else None
        children.setdefault(parent, []).append(place)

    def build(parent: int | None, seen: frozenset[int]) -> list[PlaceNode]:
        return [
            PlaceNode(p, build(p.pk, seen | {p.pk}))
            for p in children.get(parent, [])
            if p.pk not in seen
        ]

    return build(None, frozenset())
