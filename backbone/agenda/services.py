"""Writes to the results framework: goals, the outcomes under them, the indicators that show
each outcome, and their order.

The backbone keeps the framework, as it keeps the indicator library
(``Action.MANAGE_MEASUREMENT``). Each function is one transaction: authorise, validate, write,
audit. Edits carry the version the person saw; a stale one is refused with a ``ConflictError``
naming who changed it, and nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from backbone.agenda.models import Goal, Outcome
from backbone.core import audit, permissions, versioning
from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser
from backbone.measurement.models import Indicator

GOAL_FIELDS = ("title", "description")
OUTCOME_FIELDS = ("title", "description", "goal")


def _check_indicators(initiative: Initiative, indicators: Sequence[Indicator]) -> None:
    if any(i.initiative_id != initiative.pk for i in indicators):
        raise ValidationError({"indicators": _("Every indicator must belong to this initiative.")})


def _check_title(model: type[Goal] | type[Outcome], title: str, *, exclude: int | None, **scope):
    if not title.strip():
        raise ValidationError({"title": _("Give it a short title.")})
    if model.objects.filter(title__iexact=title.strip(), **scope).exclude(pk=exclude).exists():
        raise ValidationError({"title": _("Another one here already has this title.")})


# --- Goals --------------------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *, actor: AnyUser, initiative: Initiative, title: str, description: str = ""
) -> Goal:
    """Add a long-term aim, placed last."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    _check_title(Goal, title, exclude=None, initiative=initiative)
    last = Goal.objects.filter(initiative=initiative).aggregate(m=Max("order"))["m"] or 0
    goal = Goal(
        initiative=initiative, title=title.strip(), description=description.strip(), order=last + 1
    )
    goal.full_clean(exclude=["initiative"], validate_unique=False, validate_constraints=False)
    goal.save()
    audit.record(
        actor=actor,
        initiative=initiative,
        action="goal.create",
        obj=goal,
        summary=_("Added the goal %(title)s") % {"title": goal.title},
        after=audit.snapshot(goal, list(GOAL_FIELDS)),
    )
    return goal


@transaction.atomic
def goal_update(
    *, actor: AnyUser, goal: Goal, changes: Mapping[str, Any], expected_version: int
) -> Goal:
    """Change a goal's title or description."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, goal.initiative)
    unknown = set(changes) - set(GOAL_FIELDS)
    if unknown:
        raise DomainError(_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    changes = {k: v.strip() for k, v in changes.items()}
    if "title" in changes:
        _check_title(Goal, changes["title"], exclude=goal.pk, initiative=goal.initiative)
    versioning.validate_changes(goal, changes, exclude=["initiative"])
    before = audit.snapshot(goal, list(changes))
    versioning.versioned_update(goal, changes=changes, expected_version=expected_version)
    audit.record(
        actor=actor,
        initiative=goal.initiative,
        action="goal.update",
        obj=goal,
        summary=_("Changed the goal %(title)s") % {"title": goal.title},
        before=before,
        after=audit.snapshot(goal, list(changes)),
    )
    return goal


def _move(rows: list[Goal] | list[Outcome], obj: Goal | Outcome, step: int) -> bool:
    """Swap ``obj`` with its neighbour ``step`` (-1 earlier, +1 later) and number the rows
    1…n; False when it is already first or last."""
    if step not in (-1, 1):
        raise DomainError(_("Move one place up or down."))
    index = next(i for i, row in enumerate(rows) if row.pk == obj.pk)
    other = index + step
    if not 0 <= other < len(rows):
        return False
    rows[index], rows[other] = rows[other], rows[index]
    for order, row in enumerate(rows, start=1):
        if row.order != order:
            type(row).objects.filter(pk=row.pk).update(order=order)
            row.order = order
    obj.order = rows[other].order
    return True


@transaction.atomic
def goal_move(*, actor: AnyUser, goal: Goal, step: int) -> Goal:
    """Move a goal one place earlier (``step=-1``) or later (``+1``) in the framework."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, goal.initiative)
    rows = list(Goal.objects.select_for_update().filter(initiative=goal.initiative))
    if _move(rows, goal, step):
        audit.record(
            actor=actor,
            initiative=goal.initiative,
            action="goal.move",
            obj=goal,
            summary=_("Moved the goal %(title)s to place %(n)s")
            % {"title": goal.title, "n": goal.order},
        )
    return goal


# --- Outcomes -----------------------------------------------------------------------------


@transaction.atomic
def outcome_create(
    *,
    actor: AnyUser,
    goal: Goal,
    title: str,
    description: str = "",
    indicators: Sequence[Indicator] = (),
) -> Outcome:
    """Add an outcome under ``goal``, placed last, shown by ``indicators``."""
    initiative = goal.initiative
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    _check_title(Outcome, title, exclude=None, goal=goal)
    _check_indicators(initiative, indicators)
    last = Outcome.objects.filter(goal=goal).aggregate(m=Max("order"))["m"] or 0
    outcome = Outcome(
        goal=goal, title=title.strip(), description=description.strip(), order=last + 1
    )
    outcome.full_clean(exclude=["goal"], validate_unique=False, validate_constraints=False)
    outcome.save()
    outcome.indicators.set(indicators)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="outcome.create",
        obj=outcome,
        summary=_("Added the outcome %(title)s under %(goal)s")
        % {"title": outcome.title, "goal": goal.title},
        after={
            **audit.snapshot(outcome, list(OUTCOME_FIELDS)),
            "indicators": sorted(i.code for i in indicators),
        },
    )
    return outcome


@transaction.atomic
def outcome_update(
    *,
    actor: AnyUser,
    outcome: Outcome,
    changes: Mapping[str, Any],
    expected_version: int,
    indicators: Sequence[Indicator] | None = None,
) -> Outcome:
    """Change an outcome's title, description, goal (moved there as the last outcome) or the
    indicators that show it."""
    initiative = outcome.goal.initiative
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    unknown = set(changes) - set(OUTCOME_FIELDS)
    if unknown:
        raise DomainError(_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
    goal = changes.get("goal", outcome.goal)
    if goal.initiative_id != initiative.pk:
        raise ValidationError({"goal": _("The goal must belong to this initiative.")})
    if goal.pk == outcome.goal_id:
        changes.pop("goal", None)
    else:
        last = Outcome.objects.filter(goal=goal).aggregate(m=Max("order"))["m"] or 0
        changes["order"] = last + 1
    _check_title(Outcome, changes.get("title", outcome.title), exclude=outcome.pk, goal=goal)
    if indicators is not None:
        _check_indicators(initiative, indicators)
    versioning.validate_changes(outcome, changes, exclude=["goal"])
    fields = [k for k in changes if k != "order"]
    before = {
        **audit.snapshot(outcome, fields),
        "indicators": sorted(outcome.indicators.values_list("code", flat=True)),
    }
    versioning.versioned_update(outcome, changes=changes, expected_version=expected_version)
    if indicators is not None:
        outcome.indicators.set(indicators)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="outcome.update",
        obj=outcome,
        summary=_("Changed the outcome %(title)s") % {"title": outcome.title},
        before=before,
        after={
            **audit.snapshot(outcome, fields),
            "indicators": sorted(outcome.indicators.values_list("code", flat=True)),
        },
    )
    return outcome


@transaction.atomic
def outcome_move(*, actor: AnyUser, outcome: Outcome, step: int) -> Outcome:
    """Move an outcome one place earlier (``step=-1``) or later (``+1``) under its goal."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, outcome.goal.initiative)
    rows = list(Outcome.objects.select_for_update().filter(goal_id=outcome.goal_id))
    if _move(rows, outcome, step):
        audit.record(
            actor=actor,
            initiative=outcome.goal.initiative,
            action="outcome.move",
            obj=outcome,
            summary=_("Moved the outcome %(title)s to place %(n)s")
            % {"title": outcome.title, "n": outcome.order},
        )
    return outcome
