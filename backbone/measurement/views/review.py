"""The review pages: the backbone approves or returns partners' reports, follows how complete a
round is, opens new rounds, and reads (and restores) the history of a value.

Thin: find the object inside the initiative (404 otherwise), ask ``core.permissions``, call the
service in ``measurement.services``, render. Services lock and check versions; their refusals
come back here as plain messages, so that of two people deciding at once the second is told
what happened and nothing is overwritten.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import Initiative, Organization
from backbone.core.permissions import Action, can, may_see_history
from backbone.measurement import review as reads
from backbone.measurement import services
from backbone.measurement.models import (
    Indicator,
    Observation,
    ObservationChange,
    ReportingRound,
    SubmissionStatus,
)
from backbone.measurement.periods import PeriodCodeError, parse_period
from backbone.measurement.reminders import round_remind, still_owed
from backbone.measurement.views.common import initiative_for, render_page

# --- Forms (they parse; the services decide) ------------------------------------------------


class VersionForm(forms.Form):
    """The version of the object the person was looking at (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReturnForm(VersionForm):
    reason = forms.CharField(
        label=gettext_lazy("Why are you returning it?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The partner sees this. Say what to check or fix."),
        error_messages={
            "required": gettext_lazy(
                "Say why the report is returned, so the partner knows what to fix."
            )
        },
    )


class DateInput(forms.DateInput):
    input_type = "date"


class RoundForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        help_text=gettext_lazy("e.g. 2026 annual performance report"),
    )
    period = forms.CharField(
        label=gettext_lazy("Period the figures are for"),
        max_length=20,
        help_text=gettext_lazy("Write it like 2026, 2026Q1, 2026-01, SY2026-27 or FY2026."),
    )
    due_on = forms.DateField(label=gettext_lazy("Due date"), widget=DateInput)
    indicators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Indicators to report"),
        queryset=Indicator.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    organizations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Partners who report"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, initiative: Initiative, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].queryset = Indicator.objects.filter(initiative=initiative)
        self.fields["organizations"].queryset = Organization.objects.filter(
            partnerships__initiative=initiative
        ).order_by("name")

    def clean_period(self) -> str:
        try:
            return parse_period(self.cleaned_data["period"]).code
        except PeriodCodeError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict:
        data = super().clean()
        code, indicators = data.get("period"), data.get("indicators")
        if code and indicators:
            kind = parse_period(code).type
            other = [str(i) for i in indicators if i.period_type != kind]
            if other:
                self.add_error(
                    "indicators",
                    _(
                        "These are reported for another kind of period than %(period)s: "
                        "%(names)s. Open a separate round for them."
                    )
                    % {"period": code, "names": ", ".join(other)},
                )
        return data


# --- The queue and one report ---------------------------------------------------------------


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    context = {
        "initiative": initiative,
        "waiting": reads.waiting(initiative),
        "decided": reads.recently_decided(initiative),
        "rounds": reads.rounds_of(initiative),
    }
    return render_page(request, "measurement/review/queue.html", context)


def _submission(initiative: Initiative, submission_pk: int):
    return get_object_or_404(reads.submissions_of(initiative), pk=submission_pk)


def _submission_page(
    request: HttpRequest,
    initiative: Initiative,
    submission,
    *,
    return_form: ReturnForm | None = None,
    status: int | None = None,
) -> HttpResponse:
    rows = reads.comparison(submission)
    initial = {"version": submission.version}
    context = {
        "initiative": initiative,
        "submission": submission,
        "rows": rows,
        "concerns": reads.concerns(rows),
        "large_changes": sum(1 for r in rows if r.change and r.change.large),
        "approve_form": VersionForm(initial=initial, auto_id="approve-%s"),
        "return_form": return_form or ReturnForm(initial=initial),
        "may_approve": submission.status == SubmissionStatus.SUBMITTED,
        "may_return": submission.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED),
    }
    return render_page(
        request, "measurement/review/submission.html", context, form=return_form, status=status
    )


@login_required
def review_submission(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    return _submission_page(request, initiative, _submission(initiative, submission_pk))


@login_required
@require_POST
def submission_approve(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    submission = _submission(initiative, submission_pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was done: the page was out of date. Look again."))
        return _submission_page(request, initiative, submission, status=422)
    try:
        services.submission_approve(
            actor=request.user, submission=submission, expected_version=form.cleaned_data["version"]
        )
    except DomainError as exc:  # including ConflictError: someone decided first
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Approved the report of %(org)s. Its values now count everywhere.")
            % {"org": submission.organization},
        )
        return redirect("measurement:review_queue", slug=initiative.slug)
    return redirect(
        "measurement:review_submission", slug=initiative.slug, submission_pk=submission.pk
    )


@login_required
@require_POST
def submission_return(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    submission = _submission(initiative, submission_pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _submission_page(request, initiative, submission, return_form=form)
    try:
        services.submission_return(
            actor=request.user,
            submission=submission,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _submission_page(request, initiative, submission, return_form=form)
    else:
        messages.success(
            request,
            _(
                "Returned the report to %(org)s with your reason. They can correct it and "
                "send it again."
            )
            % {"org": submission.organization},
        )
        return redirect("measurement:review_queue", slug=initiative.slug)
    return redirect(
        "measurement:review_submission", slug=initiative.slug, submission_pk=submission.pk
    )


# --- Rounds ---------------------------------------------------------------------------------


@login_required
def review_round(request: HttpRequest, slug: str, round_pk: int) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    reporting_round = get_object_or_404(
        ReportingRound.objects.filter(initiative=initiative).select_related("period"), pk=round_pk
    )
    context = {
        "initiative": initiative,
        "completeness": reads.completeness(reporting_round, timezone.localdate()),
        "indicators": reporting_round.indicators.order_by("name"),
        "owed": still_owed(reporting_round) if reporting_round.is_open else [],
    }
    return render_page(request, "measurement/review/round.html", context)


@login_required
@require_POST
def round_send_reminders(request: HttpRequest, slug: str, round_pk: int) -> HttpResponse:
    """Queue a reminder email to every partner that still owes its report (sent by the worker)."""
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    reporting_round = get_object_or_404(
        ReportingRound.objects.filter(initiative=initiative), pk=round_pk
    )
    owed = round_remind(actor=request.user, round=reporting_round)
    if owed:
        messages.success(
            request,
            _("A reminder is on its way to the data stewards of: %(names)s.")
            % {"names": ", ".join(org.name for org in owed)},
        )
    else:
        messages.info(request, _("Every partner has sent its report: nobody to remind."))
    return redirect("measurement:review_round", slug=initiative.slug, round_pk=reporting_round.pk)


@login_required
@require_http_methods(["GET", "POST"])
def round_open(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.MANAGE_MEASUREMENT)
    form = RoundForm(request.POST or None, initiative=initiative)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reporting_round = services.round_open(
                actor=request.user,
                initiative=initiative,
                name=data["name"].strip(),
                period=services.period_for(data["period"]),
                due_on=data["due_on"],
                indicators=list(data["indicators"]),
                organizations=list(data["organizations"]),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Opened %(name)s. The partners can now report for it.")
                % {"name": reporting_round.name},
            )
            return redirect(
                "measurement:review_round", slug=initiative.slug, round_pk=reporting_round.pk
            )
    context = {"initiative": initiative, "form": form}
    return render_page(request, "measurement/review/round_new.html", context, form=form)


# --- The history of one value ---------------------------------------------------------------


def _observation(request: HttpRequest, initiative: Initiative, observation_pk: int) -> Observation:
    observation = get_object_or_404(
        Observation.objects.filter(indicator__initiative=initiative).select_related(
            "indicator", "place", "period", "breakdown", "organization", "submission"
        ),
        pk=observation_pk,
    )
    if not can(request.user, Action.VIEW_INDICATOR, observation.indicator):
        raise Http404
    if not may_see_history(request.user, initiative, observation.organization_id):
        raise PermissionDenied
    return observation


@login_required
def observation_history(request: HttpRequest, slug: str, observation_pk: int) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_PRIVATE)
    observation = _observation(request, initiative, observation_pk)
    context = {
        "initiative": initiative,
        "observation": observation,
        "group": reads.group_name(observation.breakdown),
        "entries": reads.history(observation),
        "now": reads.shown_value(observation),
        "may_restore": can(request.user, Action.REVIEW_DATA, initiative),
    }
    return render_page(request, "measurement/review/history.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def observation_restore(
    request: HttpRequest, slug: str, observation_pk: int, version: int
) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    observation = _observation(request, initiative, observation_pk)
    change = get_object_or_404(ObservationChange, observation=observation, version=version)
    form = VersionForm(request.POST or None, initial={"version": observation.version})
    back = redirect(
        "measurement:review_history", slug=initiative.slug, observation_pk=observation.pk
    )
    if request.method == "POST" and form.is_valid():
        try:
            restored = services.observation_restore(
                actor=request.user,
                observation=observation,
                version=version,
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:  # ConflictError: someone changed it since; ValidationFailed
            messages.error(request, exc.message)
        else:
            if restored.version == observation.version:
                messages.success(
                    request, _("The value already has these figures; nothing changed.")
                )
            else:
                messages.success(
                    request,
                    _("Restored the figures of version %(old)s. They are now version %(new)s.")
                    % {"old": version, "new": restored.version},
                )
        return back
    if request.method == "POST":
        messages.error(request, _("Nothing was done: the page was out of date. Look again."))
    entry = next(e for e in reads.history(observation) if e.change.pk == change.pk)
    context = {
        "initiative": initiative,
        "observation": observation,
        "group": reads.group_name(observation.breakdown),
        "entry": entry,
        "preview": reads.restore_preview(observation, change),
        "form": form,
    }
    return render_page(request, "measurement/review/restore.html", context, form=form)
