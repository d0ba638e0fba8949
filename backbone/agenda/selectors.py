"""Reads of the results framework and of the learning agenda."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backbone.agenda.models import (
    Goal,
    ImprovementCycle,
    LearningQuestion,
    Outcome,
    QuestionStatus,
)
from backbone.core.models import Initiative
from backbone.measurement.models import Indicator, Place


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


# --- Learning agenda ----------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaQuestion:
    """A learning question with its improvement cycles, newest first."""

    question: LearningQuestion
    cycles: list[ImprovementCycle]


@dataclass(frozen=True)
class LearningAgenda:
    """The learning agenda of one initiative: the open questions, then those answered or set
    aside (each newest first, with their cycles), and the cycles that test no question."""

    open: list[AgendaQuestion]
    closed: list[AgendaQuestion]
    unlinked_cycles: list[ImprovementCycle]

    @property
    def is_empty(self) -> bool:
        return not (self.open or self.closed or self.unlinked_cycles)


def _cycles() -> QuerySet[ImprovementCycle]:
    return ImprovementCycle.objects.select_related("place", "question").prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("name"))
    )


def learning_for(initiative: Initiative) -> LearningAgenda:
    """Every learning question of ``initiative`` with its cycles and linked indicators, newest
    first. Only people who take part may see it (the caller checks ``VIEW_PRIVATE``)."""
    questions = LearningQuestion.objects.filter(initiative=initiative).prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("name")),
        Prefetch("cycles", queryset=_cycles()),
    )
    open_: list[AgendaQuestion] = []
    closed: list[AgendaQuestion] = []
    for q in questions:
        entry = AgendaQuestion(question=q, cycles=list(q.cycles.all()))
        (open_ if q.status == QuestionStatus.OPEN else closed).append(entry)
    unlinked = list(_cycles().filter(initiative=initiative, question__isnull=True))
    return LearningAgenda(open=open_, closed=closed, unlinked_cycles=unlinked)


class TimelineKind(StrEnum):
    QUESTION = "question"
    CYCLE_START = "cycle-start"
    CHANGE = "change"
    CYCLE_END = "cycle-end"
    ANSWER = "answer"


# On one day, the entries read in the order things happen: asked, started, changed, ended,
# answered.
_KIND_ORDER = {kind: n for n, kind in enumerate(TimelineKind)}
_KIND_WORDS = {
    TimelineKind.QUESTION: gettext_lazy("Question asked"),
    TimelineKind.CYCLE_START: gettext_lazy("Improvement cycle started"),
    TimelineKind.CHANGE: gettext_lazy("Change put in place"),
    TimelineKind.CYCLE_END: gettext_lazy("Improvement cycle ended"),
    TimelineKind.ANSWER: gettext_lazy("Question answered"),
}


@dataclass(frozen=True)
class TimelineEntry:
    """One dated event of the learning agenda, for an indicator's page.

    ``kind`` is one of ``TimelineKind``'s values ("question", "cycle-start", "change",
    "cycle-end", "answer"); ``title`` is the question or the cycle's title; ``words`` says what
    happened, in a sentence or two; ``url`` is its place on the learning agenda page."""

    date: datetime.date
    kind: str
    title: str
    words: str
    url: str

    @property
    def kind_label(self) -> str:
        """The kind in words, e.g. "Change put in place"."""
        return str(_KIND_WORDS[TimelineKind(self.kind)])


def _agenda_url(initiative_slug: str, anchor: str) -> str:
    return reverse("agenda:learning", args=[initiative_slug]) + "#" + anchor


def _question_entries(q: LearningQuestion, slug: str) -> list[TimelineEntry]:
    url = _agenda_url(slug, f"question-{q.pk}")
    entries = [
        TimelineEntry(q.asked_on, TimelineKind.QUESTION.value, q.question, q.why, url),
    ]
    if q.status == QuestionStatus.ANSWERED and q.answered_on is not None:
        entries.append(
            TimelineEntry(q.answered_on, TimelineKind.ANSWER.value, q.question, q.answer, url)
        )
    return entries


def _cycle_entries(c: ImprovementCycle, slug: str) -> list[TimelineEntry]:
    url = _agenda_url(slug, f"cycle-{c.pk}")
    where = _("Tried in %(place)s.") % {"place": c.place.name} if c.place else ""
    start_words = " ".join(p for p in (where, c.plan) if p)
    entries = [
        TimelineEntry(c.started_on, TimelineKind.CYCLE_START.value, c.title, start_words, url)
    ]
    if c.changed_on is not None:
        words = [where] if where else []
        if c.starts_new_phase:
            words.append(
                _("The process changed, so control-chart limits are worked out again from here.")
            )
        entries.append(
            TimelineEntry(c.changed_on, TimelineKind.CHANGE.value, c.title, " ".join(words), url)
        )
    if c.ended_on is not None:
        words = [c.finding] if c.finding else []
        if c.decision:
            words.append(_("Decision: %(decision)s.") % {"decision": c.get_decision_display()})
        entries.append(
            TimelineEntry(c.ended_on, TimelineKind.CYCLE_END.value, c.title, " ".join(words), url)
        )
    return entries


def timeline(indicator: Indicator, place: Place | None = None) -> list[TimelineEntry]:
    """What was asked, tried and learned about ``indicator``, oldest first: each linked
    question (asked; answered), and each linked cycle (started; change put in place; ended).

    A cycle tried in one place is shown whatever ``place`` the page shows, with its place named
    in the words (a change in one area can move the figures of the areas around it). Only for
    people who take part: the learning agenda is internal."""
    del place  # every place's cycles are shown; kept so the indicator page can pass its place
    slug = indicator.initiative.slug
    entries: list[TimelineEntry] = []
    for q in LearningQuestion.objects.filter(
        initiative_id=indicator.initiative_id, indicators=indicator
    ):
        entries.extend(_question_entries(q, slug))
    for c in ImprovementCycle.objects.filter(
        initiative_id=indicator.initiative_id, indicators=indicator
    ).select_related("place"):
        entries.extend(_cycle_entries(c, slug))
    return sorted(entries, key=lambda e: (e.date, _KIND_ORDER[TimelineKind(e.kind)]))


def phase_changes(indicator: Indicator) -> list[tuple[datetime.date, str]]:
    """The dates from which ``indicator``'s control charts start a new phase (limits worked
    out again), oldest first, each with a plain reason: the date each linked improvement cycle
    marked as starting a new phase put its change in place."""
    cycles = (
        ImprovementCycle.objects.filter(
            initiative_id=indicator.initiative_id,
            indicators=indicator,
            starts_new_phase=True,
            changed_on__isnull=False,
        )
        .order_by("changed_on", "pk")
        .only("title", "changed_on")
    )
    return [
        (
            c.changed_on,
            _("Improvement cycle “%(title)s” changed the process") % {"title": c.title},
        )
        for c in cycles
    ]
