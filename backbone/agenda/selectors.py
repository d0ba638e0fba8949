"""Reads of the results framework."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch

from backbone.agenda.models import Goal, Outcome
from backbone.core.models import Initiative


@dataclass(frozen=True)
class FrameworkOutcome:
    outcome: Outcome
    indicator_ids: list[int]


@dataclass(frozen=True)
class FrameworkGoal:
    goal: Goal
    outcomes: list[FrameworkOutcome] = field(default_factory=list)


def results_framework(
    initiative: Initiative, *, visible_indicator_ids: Iterable[int]
) -> tuple[list[FrameworkGoal], list[int]]:
    """Goals → outcomes → the indicator ids the viewer may see, in order; and the visible
    indicators that no outcome lists yet (shown apart, so none is ever hidden by the framework).
    """
    visible = list(visible_indicator_ids)
    allowed = set(visible)
    goals = Goal.objects.filter(initiative=initiative).prefetch_related(
        Prefetch("outcomes", queryset=Outcome.objects.prefetch_related("indicators"))
    )
    framework: list[FrameworkGoal] = []
    placed: set[int] = set()
    for goal in goals:
        outcomes = []
        for outcome in goal.outcomes.all():
            ids = [i.pk for i in outcome.indicators.all() if i.pk in allowed]
            placed.update(ids)
            outcomes.append(FrameworkOutcome(outcome=outcome, indicator_ids=ids))
        framework.append(FrameworkGoal(goal=goal, outcomes=outcomes))
    return framework, [pk for pk in visible if pk not in placed]
