"""The indicator library: where the backbone sets up what is measured (indicators, the groups
figures are split by, places) and the results framework (goals → outcomes → indicators).

Every page is for people who may manage the initiative's measurement; others get 403 (or 404
for an initiative they cannot see). Views parse, look up, call a service, render.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backbone.agenda import services as agenda_services
from backbone.agenda.forms import GoalEditForm, GoalForm, OutcomeEditForm, OutcomeForm
from backbone.agenda.models import Goal, Outcome
from backbone.core.errors import ConflictError, DomainError
from backbone.core.forms import apply_errors
from backbone.core.models import Initiative
from backbone.core.permissions import Action
from backbone.measurement import library as lib
from backbone.measurement.forms import (
    DimensionEditForm,
    DimensionForm,
    IndicatorCreateForm,
    IndicatorEditForm,
    PlaceEditForm,
    PlaceForm,
)
from backbone.measurement.models import Dimension, Indicator, Place
from backbone.measurement.views.common import initiative_for, render_page

T = "measurement/library/"


def _manager(request: HttpRequest, slug: str) -> Initiative:
    return initiative_for(request, slug, Action.MANAGE_MEASUREMENT)


def _save(
    request: HttpRequest, form, write: Callable[[], object], done: str
) -> HttpResponse | None:
    """Run the service write for a valid form. Returns the redirect after success (or after a
    conflict: the page afresh, showing what the other person saved); ``None`` when the form now
    carries the errors to show again."""
    try:
        write()
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect(request.get_full_path())
    except ValidationError as exc:
        apply_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.message)
    else:
        messages.success(request, done)
        return redirect("measurement:library", slug=request.resolver_match.kwargs["slug"])
    return None


def _form_page(request, initiative, form, *, title: str, intro: str, **extra):
    context = {"initiative": initiative, "form": form, "title": title, "intro": intro, **extra}
    return render_page(request, T + "form.html", context, form=form)


def _form_view(
    request: HttpRequest,
    initiative: Initiative,
    form,
    *,
    write: Callable[[dict], object],
    done: Callable[[dict], str],
    title: str,
    intro: str,
    **extra,
) -> HttpResponse:
    """Every library form page: on a valid POST, the service write (``write(cleaned_data)``)
    and back to the library saying ``done(cleaned_data)``; otherwise the form, with its problems
    at their boxes (422)."""
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        response = _save(request, form, lambda: write(data), done(data))
        if response is not None:
            return response
    return _form_page(request, initiative, form, title=title, intro=intro, **extra)


def _without_version(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "version"}


@login_required
def library(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    indicators = (
        Indicator.objects.filter(initiative=initiative)
        .prefetch_related("outcomes", "dimensions")
        .order_by("code")
    )
    dimensions = (
        Dimension.objects.filter(initiative=initiative)
        .prefetch_related("members")
        .annotate(indicator_count=Count("indicators"))
    )
    goals = Goal.objects.filter(initiative=initiative).prefetch_related(
        Prefetch("outcomes", queryset=Outcome.objects.prefetch_related("indicators"))
    )
    context = {
        "initiative": initiative,
        "indicators": indicators,
        "dimensions": dimensions,
        "place_tree": lib.place_tree(initiative),
        "goals": goals,
    }
    return render_page(request, T + "library.html", context)


# --- Indicators ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    form = IndicatorCreateForm(request.POST or None, initiative=initiative)
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: lib.indicator_create(
            actor=request.user,
            initiative=initiative,
            data={k: data[k] for k in lib.INDICATOR_CREATE_FIELDS},
            dimensions=list(data["dimensions"]),
            baseline_period=data["baseline_period"],
        ),
        done=lambda data: _("The indicator %(name)s was added.") % {"name": data["name"]},
        title=_("New indicator"),
        intro=_(
            "An indicator is a figure every partner reports the same way. Each field below says "
            "what it means; the code and how often it is reported cannot change later."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    initiative = _manager(request, slug)
    indicator = get_object_or_404(Indicator, initiative=initiative, code=code)
    form = IndicatorEditForm(
        request.POST or None,
        # A copy: form validation writes into its instance, the service decides what is saved.
        instance=Indicator.objects.get(pk=indicator.pk),
        initial={"version": indicator.version},
        initiative=initiative,
    )
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: lib.indicator_edit(
            actor=request.user,
            indicator=indicator,
            changes={k: data[k] for k in lib.INDICATOR_EDIT_FIELDS if k in data},
            expected_version=data["version"],
            dimensions=list(data["dimensions"]),
            reference_groups=list(data["reference_groups"]),
            baseline_period=data["baseline_period"],
            effective_period=data["effective_period"],
            reason=data["reason"],
        ),
        done=lambda data: _("The indicator %(name)s was saved.") % {"name": data["name"]},
        title=_("Edit %(name)s") % {"name": indicator.name},
        intro=_(
            "Names, help and checks can change at any time. Changing what is measured — the "
            "definition, unit, rate base, how figures are combined, the numerator or the "
            "denominator — starts a new version: say from which period and why, and charts will "
            "show a break there."
        ),
        facts=[
            (_("Code"), indicator.code),
            (_("Reported every"), indicator.get_period_type_display()),
            (_("Definition version"), indicator.definition_version),
        ],
        revisions=indicator.revisions.select_related("effective_period", "changed_by"),
    )


# --- Dimensions ---------------------------------------------------------------------------

DIMENSION_INTRO = gettext_lazy(
    "A dimension is a way to split figures into groups — race and ethnicity, age, household "
    "type — so gaps between groups can be seen. Indicators list the dimensions partners may use."
)


@login_required
@require_http_methods(["GET", "POST"])
def dimension_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    form = DimensionForm(request.POST or None)
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: lib.dimension_create(
            actor=request.user,
            initiative=initiative,
            code=data["code"],
            name=data["name"],
            members=data["members"],
        ),
        done=lambda data: _("The dimension %(name)s was added.") % {"name": data["name"]},
        title=_("New dimension"),
        intro=DIMENSION_INTRO,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dimension_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    dimension = get_object_or_404(Dimension, initiative=initiative, pk=pk)
    members = [(m.code, m.name) for m in dimension.members.order_by("sort_order", "pk")]
    form = DimensionEditForm(
        request.POST or None,
        initial={
            "name": dimension.name,
            "members": members,
            "state": lib.dimension_state(dimension),
        },
    )
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: lib.dimension_update(
            actor=request.user,
            dimension=dimension,
            name=data["name"],
            members=data["members"],
            expected_state=data["state"],
        ),
        done=lambda data: _("The dimension %(name)s was saved.") % {"name": data["name"]},
        title=_("Edit %(name)s") % {"name": dimension.name},
        intro=DIMENSION_INTRO,
        facts=[(_("Code"), dimension.code)],
    )


# --- Places -------------------------------------------------------------------------------

PLACE_INTRO = gettext_lazy(
    "Places are where figures are counted: the state, counties or Continuums of Care, cities, "
    "neighbourhoods or schools. Each lies within a larger one, which makes the map of the "
    "initiative’s geography."
)


@login_required
@require_http_methods(["GET", "POST"])
def place_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    form = PlaceForm(request.POST or None, initiative=initiative)
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: lib.place_create(actor=request.user, initiative=initiative, **data),
        done=lambda data: _("The place %(name)s was added.") % {"name": data["name"]},
        title=_("New place"),
        intro=PLACE_INTRO,
    )


@login_required
@require_http_methods(["GET", "POST"])
def place_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    place = get_object_or_404(Place, initiative=initiative, pk=pk)
    form = PlaceEditForm(
        request.POST or None,
        initiative=initiative,
        exclude=place,
        initial={
            "name": place.name,
            "level": place.level,
            "parent": place.parent_id,
            "state": lib.place_state(place),
        },
    )
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: lib.place_update(
            actor=request.user,
            place=place,
            name=data["name"],
            level=data["level"],
            parent=data["parent"],
            expected_state=data["state"],
        ),
        done=lambda data: _("The place %(name)s was saved.") % {"name": data["name"]},
        title=_("Edit %(name)s") % {"name": place.name},
        intro=PLACE_INTRO,
        facts=[(_("Code"), place.code)],
    )


# --- Goals and outcomes -------------------------------------------------------------------

GOAL_INTRO = gettext_lazy(
    "Goals are the long-term aims of the common agenda. Under each goal, outcomes name the "
    "changes in people’s lives the partners work toward, and the indicators that show them."
)


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    form = GoalForm(request.POST or None)
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: agenda_services.goal_create(
            actor=request.user, initiative=initiative, **data
        ),
        done=lambda data: _("The goal %(title)s was added.") % {"title": data["title"]},
        title=_("New goal"),
        intro=GOAL_INTRO,
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    goal = get_object_or_404(Goal, initiative=initiative, pk=pk)
    form = GoalEditForm(
        request.POST or None,
        initial={"title": goal.title, "description": goal.description, "version": goal.version},
    )
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: agenda_services.goal_update(
            actor=request.user,
            goal=goal,
            changes=_without_version(data),
            expected_version=data["version"],
        ),
        done=lambda data: _("The goal %(title)s was saved.") % {"title": data["title"]},
        title=_("Edit the goal %(title)s") % {"title": goal.title},
        intro=GOAL_INTRO,
    )


def _step(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("step", ""))
    except ValueError:
        return 0


@login_required
@require_POST
def goal_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    goal = get_object_or_404(Goal, initiative=initiative, pk=pk)
    try:
        agenda_services.goal_move(actor=request.user, goal=goal, step=_step(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The goal %(title)s was moved.") % {"title": goal.title})
    return redirect("measurement:library", slug=initiative.slug)


@login_required
@require_http_methods(["GET", "POST"])
def outcome_create(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _manager(request, slug)
    initial = {}
    if request.GET.get("goal", "").isdigit():
        initial["goal"] = int(request.GET["goal"])
    form = OutcomeForm(request.POST or None, initiative=initiative, initial=initial)
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: agenda_services.outcome_create(
            actor=request.user,
            goal=data["goal"],
            title=data["title"],
            description=data["description"],
            indicators=list(data["indicators"]),
        ),
        done=lambda data: _("The outcome %(title)s was added.") % {"title": data["title"]},
        title=_("New outcome"),
        intro=GOAL_INTRO,
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    outcome = get_object_or_404(
        Outcome.objects.select_related("goal__initiative"), goal__initiative=initiative, pk=pk
    )
    form = OutcomeEditForm(
        request.POST or None,
        initiative=initiative,
        initial={
            "goal": outcome.goal_id,
            "title": outcome.title,
            "description": outcome.description,
            "indicators": list(outcome.indicators.values_list("pk", flat=True)),
            "version": outcome.version,
        },
    )
    return _form_view(
        request,
        initiative,
        form,
        write=lambda data: agenda_services.outcome_update(
            actor=request.user,
            outcome=outcome,
            changes={k: v for k, v in _without_version(data).items() if k != "indicators"},
            expected_version=data["version"],
            indicators=list(data["indicators"]),
        ),
        done=lambda data: _("The outcome %(title)s was saved.") % {"title": data["title"]},
        title=_("Edit the outcome %(title)s") % {"title": outcome.title},
        intro=GOAL_INTRO,
    )


@login_required
@require_POST
def outcome_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    initiative = _manager(request, slug)
    outcome = get_object_or_404(
        Outcome.objects.select_related("goal__initiative"), goal__initiative=initiative, pk=pk
    )
    try:
        agenda_services.outcome_move(actor=request.user, outcome=outcome, step=_step(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The outcome %(title)s was moved.") % {"title": outcome.title})
    return redirect("measurement:library", slug=initiative.slug)
