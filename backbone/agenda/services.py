"""Writes to the results framework: goals, the outcomes under them, the indicators that show
each outcome, and their order; and to the learning agenda: learning questions and improvement
cycles.

The backbone keeps the framework, as it keeps the indicator library
(``Action.MANAGE_MEASUREMENT``). Each function is one transaction: authorise, validate, write,
audit. Edits carry the version the person saw; a stale one is refused with a ``ConflictError``
naming who changed it, and nothing is overwritten.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from backbone.agenda.models import (
    CycleDecision,
    CycleStage,
    Goal,
    ImprovementCycle,
    LearningQuestion,
    Outcome,
    QuestionStatus,
)
from backbone.core import audit, permissions, versioning
from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser
from backbone.measurement.models import Indicator, Place

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


# --- Learning agenda ----------------------------------------------------------------------
#
# The learning questions and improvement cycles are the backbone's to keep
# (``Action.MANAGE_LEARNING``); everyone who takes part reads them. The same rules as above:
# one transaction per write, the version the person saw, an audit row with before and after.

QUESTION_FIELDS = ("question", "why", "status", "asked_on", "answer", "answered_on")
CYCLE_FIELDS = (
    "title",
    "question",
    "place",
    "plan",
    "do",
    "study",
    "decision",
    "act",
    "stage",
    "started_on",
    "changed_on",
    "starts_new_phase",
    "ended_on",
    "finding",
)
_CYCLE_TEXT = ("title", "plan", "do", "study", "act", "finding")


def _stripped(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}


def _refuse_unknown(changes: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def _with_indicators(snapshot: dict[str, Any], indicators: Sequence[Indicator]) -> dict[str, Any]:
    return {**snapshot, "indicators": sorted(i.code for i in indicators)}


def _check_question_text(text: str) -> None:
    if not text.strip():
        raise ValidationError({"question": _("Write the question you want the data to answer.")})


def _check_cycle_links(
    initiative: Initiative, *, question: LearningQuestion | None, place: Place | None
) -> None:
    if question is not None and question.initiative_id != initiative.pk:
        raise ValidationError({"question": _("The question must belong to this initiative.")})
    if place is not None and place.initiative_id != initiative.pk:
        raise ValidationError({"place": _("The place must belong to this initiative.")})


_Learning = TypeVar("_Learning", LearningQuestion, ImprovementCycle)


def _add(
    actor: AnyUser,
    made: _Learning,
    indicators: Sequence[Indicator],
    *,
    action: str,
    summary: str,
    fields: Sequence[str],
) -> _Learning:
    """Validate and save a new question or cycle, link its indicators, and audit it."""
    made.full_clean(exclude=["initiative"], validate_unique=False)
    made.save()
    made.indicators.set(indicators)
    audit.record(
        actor=actor,
        initiative=made.initiative,
        action=action,
        obj=made,
        summary=summary,
        after=_with_indicators(audit.snapshot(made, list(fields)), indicators),
    )
    return made


@transaction.atomic
def question_create(
    *,
    actor: AnyUser,
    initiative: Initiative,
    question: str,
    asked_on: datetime.date,
    why: str = "",
    status: str = QuestionStatus.OPEN,
    answer: str = "",
    answered_on: datetime.date | None = None,
    indicators: Sequence[Indicator] = (),
) -> LearningQuestion:
    """Add a learning question, linked to the indicators that could answer it."""
    permissions.require(actor, Action.MANAGE_LEARNING, initiative)
    _check_question_text(question)
    _check_indicators(initiative, indicators)
    made = LearningQuestion(
        initiative=initiative,
        question=question.strip(),
        why=why.strip(),
        status=status,
        asked_on=asked_on,
        answer=answer.strip(),
        answered_on=answered_on,
    )
    return _add(
        actor,
        made,
        indicators,
        action="learning_question.create",
        summary=_("Added the learning question %(q)s") % {"q": made.question},
        fields=QUESTION_FIELDS,
    )


@transaction.atomic
def question_update(
    *,
    actor: AnyUser,
    question: LearningQuestion,
    changes: Mapping[str, Any],
    expected_version: int,
    indicators: Sequence[Indicator] | None = None,
) -> LearningQuestion:
    """Change a learning question — its words, status, answer or dates — or its indicators."""
    initiative = question.initiative
    permissions.require(actor, Action.MANAGE_LEARNING, initiative)
    _refuse_unknown(changes, QUESTION_FIELDS)
    changes = _stripped(changes)
    if "question" in changes:
        _check_question_text(changes["question"])
    if indicators is not None:
        _check_indicators(initiative, indicators)
    versioning.validate_changes(question, changes, exclude=["initiative"])
    fields = list(changes)
    linked = list(question.indicators.all())
    before = _with_indicators(audit.snapshot(question, fields), linked)
    versioning.versioned_update(question, changes=changes, expected_version=expected_version)
    if indicators is not None:
        question.indicators.set(indicators)
        linked = list(indicators)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="learning_question.update",
        obj=question,
        summary=_("Changed the learning question %(q)s") % {"q": question.question},
        before=before,
        after=_with_indicators(audit.snapshot(question, fields), linked),
    )
    return question


@transaction.atomic
def cycle_create(
    *,
    actor: AnyUser,
    initiative: Initiative,
    title: str,
    started_on: datetime.date,
    question: LearningQuestion | None = None,
    place: Place | None = None,
    plan: str = "",
    do: str = "",
    study: str = "",
    decision: str = CycleDecision.UNDECIDED,
    act: str = "",
    stage: str = CycleStage.PLAN,
    changed_on: datetime.date | None = None,
    starts_new_phase: bool = False,
    ended_on: datetime.date | None = None,
    finding: str = "",
    indicators: Sequence[Indicator] = (),
) -> ImprovementCycle:
    """Start recording an improvement cycle (plan, do, study, act), with the indicators it
    watches, the place it is tried in and, if any, the learning question it tests an idea for.
    """
    permissions.require(actor, Action.MANAGE_LEARNING, initiative)
    if not title.strip():
        raise ValidationError({"title": _("Give the cycle a short title.")})
    _check_cycle_links(initiative, question=question, place=place)
    _check_indicators(initiative, indicators)
    texts = _stripped(
        {"title": title, "plan": plan, "do": do, "study": study, "act": act, "finding": finding}
    )
    made = ImprovementCycle(
        initiative=initiative,
        question=question,
        place=place,
        decision=decision,
        stage=stage,
        started_on=started_on,
        changed_on=changed_on,
        starts_new_phase=starts_new_phase,
        ended_on=ended_on,
        **texts,
    )
    return _add(
        actor,
        made,
        indicators,
        action="improvement_cycle.create",
        summary=_("Added the improvement cycle %(title)s") % {"title": made.title},
        fields=CYCLE_FIELDS,
    )


@transaction.atomic
def cycle_update(
    *,
    actor: AnyUser,
    cycle: ImprovementCycle,
    changes: Mapping[str, Any],
    expected_version: int,
    indicators: Sequence[Indicator] | None = None,
) -> ImprovementCycle:
    """Change an improvement cycle: move it to its next stage, write what happened and what
    the data showed, the decision, the dates, or the indicators it watches."""
    initiative = cycle.initiative
    permissions.require(actor, Action.MANAGE_LEARNING, initiative)
    _refuse_unknown(changes, CYCLE_FIELDS)
    changes = _stripped(changes)
    if "title" in changes and not changes["title"]:
        raise ValidationError({"title": _("Give the cycle a short title.")})
    _check_cycle_links(
        initiative,
        question=changes.get("question", cycle.question),
        place=changes.get("place", cycle.place),
    )
    if indicators is not None:
        _check_indicators(initiative, indicators)
    versioning.validate_changes(cycle, changes, exclude=["initiative"])
    fields = list(changes)
    linked = list(cycle.indicators.all())
    before = _with_indicators(audit.snapshot(cycle, fields), linked)
    versioning.versioned_update(cycle, changes=changes, expected_version=expected_version)
    if indicators is not None:
        cycle.indicators.set(indicators)
        linked = list(indicators)
    audit.record(
        actor=actor,
        initiative=initiative,
        action="improvement_cycle.update",
        obj=cycle,
        summary=_("Changed the improvement cycle %(title)s") % {"title": cycle.title},
        before=before,
        after=_with_indicators(audit.snapshot(cycle, fields), linked),
    )
    return cycle
