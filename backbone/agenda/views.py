"""The learning agenda's pages: the questions the partners want their data to answer, and the
improvement cycles (plan, do, study, act) in which they try a change.

Who may do what (the route matrix in ``tests/security/routes_learning.py`` checks it):

* The learning agenda is internal: everyone who takes part reads it (``VIEW_PRIVATE``); people
  outside a private initiative are told it does not exist, those outside a public one get 403.
* Adding and editing questions and cycles is the backbone's (``MANAGE_LEARNING``); everyone else
  who takes part gets 403.

Views parse, look up, call a service, render. A form with problems answers 422 with each
problem at its box; an edit of something changed meanwhile answers 409, names who changed it and
shows what they saved beside what the person typed, so nothing is overwritten unknowingly.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backbone.agenda import services
from backbone.agenda.forms import (
    ImprovementCycleEditForm,
    ImprovementCycleForm,
    LearningQuestionEditForm,
    LearningQuestionForm,
)
from backbone.agenda.models import CycleStage, ImprovementCycle, LearningQuestion
from backbone.agenda.selectors import learning_for
from backbone.core.errors import ConflictError, DomainError
from backbone.core.forms import apply_errors
from backbone.core.models import Initiative
from backbone.core.permissions import Action, can
from backbone.measurement.views.common import initiative_for, render_page

T = "agenda/learning/"

QUESTION_INTRO = gettext_lazy(
    "A learning question is something the partners want their data to answer. Link it to the "
    "indicators that could answer it: it then shows on their pages."
)
CYCLE_INTRO = gettext_lazy(
    "An improvement cycle tries one change on purpose and learns from it in four steps: plan "
    "(what we will try and what we predict), do (what happened), study (what the data showed) "
    "and act (adopt, adapt or abandon the change). Fill in each step as the cycle goes."
)


# --- The agenda page --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One step of a cycle's card: its name, what was written for it, and whether it is done,
    the current one, or still to come."""

    code: str
    name: str
    text: str
    state: str  # "done", "current" or "later"

    @property
    def state_words(self) -> str:
        return {"done": _("Done"), "current": _("Current stage"), "later": _("To come")}[self.state]


@dataclass(frozen=True)
class CycleCard:
    cycle: ImprovementCycle
    stages: list[Stage]


PDSA = (CycleStage.PLAN, CycleStage.DO, CycleStage.STUDY, CycleStage.ACT)


def cycle_card(cycle: ImprovementCycle) -> CycleCard:
    """The cycle's plan-do-study-act card: the steps before its stage are done, its stage is
    current, the later ones are to come; a finished cycle has every step done."""
    act = " ".join(
        p for p in (cycle.get_decision_display() if cycle.decision else "", cycle.act) if p
    )
    texts = {CycleStage.PLAN: cycle.plan, CycleStage.DO: cycle.do, CycleStage.STUDY: cycle.study}
    texts[CycleStage.ACT] = act
    current = len(PDSA) if cycle.stage == CycleStage.DONE else PDSA.index(CycleStage(cycle.stage))
    stages = [
        Stage(
            code=stage.value,
            name=str(stage.label),
            text=texts[stage],
            state="done" if n < current else "current" if n == current else "later",
        )
        for n, stage in enumerate(PDSA)
    ]
    return CycleCard(cycle=cycle, stages=stages)


@login_required
def learning(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_PRIVATE)
    agenda = learning_for(initiative)

    def cards(rows):
        return [(row.question, [cycle_card(c) for c in row.cycles]) for row in rows]

    context = {
        "initiative": initiative,
        "agenda": agenda,
        "open_questions": cards(agenda.open),
        "closed_questions": cards(agenda.closed),
        "unlinked_cycles": [cycle_card(c) for c in agenda.unlinked_cycles],
        "can_manage": can(request.user, Action.MANAGE_LEARNING, initiative),
    }
    return render_page(request, T + "agenda.html", context)


# --- Forms ----------------------------------------------------------------------------------


def _manager(request: HttpRequest, slug: str) -> Initiative:
    return initiative_for(request, slug, Action.MANAGE_LEARNING)


def _shown(field: forms.Field, value: object) -> str:
    """A submitted value in words, for the list of what was not saved: a choice by its label."""
    choices = getattr(field, "choices", None)
    if choices is not None and not hasattr(value, "model") and not isinstance(value, Model):
        labels = {str(k): v for k, v in choices if not isinstance(v, list | tuple)}
        if str(value) in labels and value not in ("", None):
            return str(labels[str(value)])
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.date):
        return date_filter(value, "DATE_FORMAT")
    if isinstance(value, list | tuple) or hasattr(value, "model"):  # several choices
        return ", ".join(str(v) for v in value) or _("(none)")
    return str(value)


def _unsaved(form: forms.Form, fresh: forms.Form) -> list[tuple[str, str]]:
    """What the person typed that differs from what is saved now: (label, their value)."""
    rows = []
    for name, value in form.cleaned_data.items():
        if name == "version":
            continue
        now = fresh.initial.get(name)
        if isinstance(value, Model):
            value_key: Any = value.pk
        elif hasattr(value, "model"):  # a queryset of several choices
            value_key = sorted(v.pk for v in value)
            now = sorted(now or [])
        else:
            value_key = value
        if value_key != now and not (value_key in ("", None) and now in ("", None)):
            rows.append((str(form.fields[name].label), _shown(form.fields[name], value)))
    return rows


@dataclass(frozen=True)
class FormPage:
    title: str
    intro: str


def _form_page(
    request: HttpRequest,
    initiative: Initiative,
    form: forms.Form,
    page: FormPage,
    *,
    status: int | None = None,
    **extra: object,
) -> HttpResponse:
    context = {
        "initiative": initiative,
        "form": form,
        "title": page.title,
        "intro": page.intro,
        **extra,
    }
    return render_page(request, T + "form.html", context, form=form, status=status)


def _save(
    request: HttpRequest,
    initiative: Initiative,
    form: forms.Form,
    page: FormPage,
    write: Callable[[], object],
    done: str,
    *,
    fresh: Callable[[], forms.Form] | None = None,
) -> HttpResponse:
    """Run the service write for a valid form and answer: back to the agenda after success;
    409 with what is saved now (``fresh``) and what the person typed after a conflict; 422
    with the problems at their boxes otherwise."""
    try:
        write()
    except ConflictError as exc:
        now = fresh() if fresh is not None else form
        return _form_page(
            request,
            initiative,
            now,
            page,
            status=409,
            conflict=exc.message,
            unsaved=_unsaved(form, now),
        )
    except ValidationError as exc:
        apply_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.message)
    else:
        messages.success(request, done)
        return redirect("agenda:learning", slug=initiative.slug)
    return _form_page(request, initiative, form, page)


def _question_initial(question: LearningQuestion) -> dict[str, object]:
    return {
        "question": question.question,
        "why": question.why,
        "indicators": list(question.indicators.values_list("pk", flat=True)),
        "asked_on": question.asked_on,
        "status": question.status,
        "answer": question.answer,
        "answered_on": question.answered_on,
        "version": question.version,
    }


def _cycle_initial(cycle: ImprovementCycle) -> dict[str, object]:
    initial: dict[str, object] = {
        name: getattr(cycle, name)
        for name in services.CYCLE_FIELDS
        if name not in ("question", "place")
    }
    initial.update(
        question=cycle.question_id,
        place=cycle.place_id,
        indicators=list(cycle.indicators.values_list("pk", flat=True)),
        version=cycle.version,
    )
    return initial


def _split(data: Mapping[str, Any]) -> tuple[dict[str, Any], list, int | None]:
    """A form's cleaned data as (the fields to change, the indicators, the version seen)."""
    changes = dict(data)
    indicators = list(changes.pop("indicators"))
    version = changes.pop("version", None)
    return changes, indicators, version


# --- Questions --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    page = FormPage(_("New learning question"), QUESTION_INTRO)
    initial = {"asked_on": timezone.localdate()}
    form = LearningQuestionForm(request.POST or None, initiative=initiative, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields, indicators, _version = _split(form.cleaned_data)
        return _save(
            request,
            initiative,
            form,
            page,
            lambda: services.question_create(
                actor=request.user, initiative=initiative, indicators=indicators, **fields
            ),
            _("The learning question was added."),
        )
    return _form_page(request, initiative, form, page)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    question = get_object_or_404(LearningQuestion, initiative=initiative, pk=pk)
    page = FormPage(_("Edit the learning question"), QUESTION_INTRO)
    form = LearningQuestionEditForm(
        request.POST or None, initiative=initiative, initial=_question_initial(question)
    )
    if request.method == "POST" and form.is_valid():
        changes, indicators, version = _split(form.cleaned_data)

        def fresh() -> LearningQuestionEditForm:
            now = LearningQuestion.objects.get(pk=question.pk)
            return LearningQuestionEditForm(initiative=initiative, initial=_question_initial(now))

        return _save(
            request,
            initiative,
            form,
            page,
            lambda: services.question_update(
                actor=request.user,
                question=question,
                changes=changes,
                expected_version=version,
                indicators=indicators,
            ),
            _("The learning question was saved."),
            fresh=fresh,
        )
    return _form_page(request, initiative, form, page)


# --- Improvement cycles -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    page = FormPage(_("New improvement cycle"), CYCLE_INTRO)
    initial: dict[str, object] = {"started_on": timezone.localdate()}
    if request.GET.get("question", "").isdigit():
        initial["question"] = int(request.GET["question"])
    form = ImprovementCycleForm(request.POST or None, initiative=initiative, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields, indicators, _version = _split(form.cleaned_data)
        return _save(
            request,
            initiative,
            form,
            page,
            lambda: services.cycle_create(
                actor=request.user, initiative=initiative, indicators=indicators, **fields
            ),
            _("The improvement cycle %(title)s was added.") % {"title": fields["title"]},
        )
    return _form_page(request, initiative, form, page)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    cycle = get_object_or_404(
        ImprovementCycle.objects.select_related("question", "place"), initiative=initiative, pk=pk
    )
    page = FormPage(_("Edit the improvement cycle %(title)s") % {"title": cycle.title}, CYCLE_INTRO)
    form = ImprovementCycleEditForm(
        request.POST or None, initiative=initiative, initial=_cycle_initial(cycle)
    )
    if request.method == "POST" and form.is_valid():
        changes, indicators, version = _split(form.cleaned_data)

        def fresh() -> ImprovementCycleEditForm:
            now = ImprovementCycle.objects.get(pk=cycle.pk)
            return ImprovementCycleEditForm(initiative=initiative, initial=_cycle_initial(now))

        return _save(
            request,
            initiative,
            form,
            page,
            lambda: services.cycle_update(
                actor=request.user,
                cycle=cycle,
                changes=changes,
                expected_version=version,
                indicators=indicators,
            ),
            _("The improvement cycle %(title)s was saved.") % {"title": changes["title"]},
            fresh=fresh,
        )
    return _form_page(request, initiative, form, page)
