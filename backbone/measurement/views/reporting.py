"""The reporting pages: a partner's reports, the report form, spreadsheet upload and templates.

Who may do what (the route matrix in ``tests/security/routes_reporting.py`` checks it):

* Everyone who takes part may open the reporting page; it lists the reports they may fill in
  (a data steward: their own organizations'; the backbone: every partner's) and explains what
  to do to the others. People outside a private initiative are told it does not exist.
* A report's pages are for whoever may report that organization's data (``REPORT_DATA``: its
  data stewards and the backbone); anyone else who takes part gets 403, and a report of another
  initiative is not found.
* A report sent for review, approved, or in a closed round is shown read-only: only the backbone
  corrects it, from the review pages.
"""

from __future__ import annotations

import base64
import hashlib
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backbone.core.errors import ConflictError, DomainError
from backbone.core.permissions import Action, reporting_organization_ids
from backbone.measurement import reporting as r
from backbone.measurement.files import max_bytes
from backbone.measurement.imports import ImportReport, import_observations
from backbone.measurement.models import Submission
from backbone.measurement.round_templates import write_template
from backbone.measurement.services import Locked, ValidationFailed, observations_record
from backbone.measurement.services import submission_submit as submit_service
from backbone.measurement.views.common import initiative_for, render_page

# A checked file waits in the person's session until they confirm it. A report for one round is
# a few dozen rows (a few kilobytes); a bigger file is not kept, and is chosen again to save it.
KEEP_BYTES = 512 * 1024
UPLOAD_SESSION_KEY = "reporting_upload"


@login_required
def reporting(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_PRIVATE)
    today = timezone.localdate()
    open_lines, past_lines = r.reporting_home(request.user, initiative, today)
    for_everyone = r.reports_for_everyone(request.user, initiative)
    context = {
        "initiative": initiative,
        "open_lines": open_lines,
        "past_lines": past_lines,
        "for_everyone": for_everyone,
        "reports_at_all": for_everyone
        or bool(reporting_organization_ids(request.user, initiative)),
        "today": today,
    }
    return render_page(request, "measurement/reporting/home.html", context)


def _submission(request: HttpRequest, slug: str, submission_pk: int) -> Submission:
    """The report, if the user may fill it in: 404 outside the initiative, 403 within it."""
    initiative = initiative_for(request, slug, Action.VIEW_PRIVATE)
    submission = r.submission_for(request.user, initiative, submission_pk)
    if submission is None:
        raise Http404
    if not r.may_report(request.user, submission):
        raise PermissionDenied
    return submission


def _form_context(submission: Submission, form: r.ReportForm, **extra: object) -> dict[str, object]:
    return {
        "initiative": submission.round.initiative,
        "submission": submission,
        "status": r.status_words(submission),
        "overdue": r.is_overdue(submission, timezone.localdate()),
        "read_only": r.is_read_only(submission),
        "form": form,
        "max_bytes": max_bytes(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    submission = _submission(request, slug, submission_pk)
    template = "measurement/reporting/form.html"
    if request.method == "GET":
        form = r.ReportForm(submission)
        return render_page(request, template, _form_context(submission, form))
    if r.is_read_only(submission):
        messages.error(request, _read_only_message(submission))
        return redirect(request.path)
    form = r.ReportForm(submission, request.POST)
    if not form.is_valid():
        status = 409 if form.conflicts else 422
        return render_page(request, template, _form_context(submission, form), status=status)
    try:
        result = observations_record(
            actor=request.user,
            initiative=submission.round.initiative,
            entries=form.entries(),
            reason=_("Entered in the report form"),
            submission=submission,
        )
    except ConflictError as exc:
        form.top_errors.append(exc.message)
        return render_page(request, template, _form_context(submission, form), status=409)
    except (ValidationFailed, Locked, DomainError) as exc:
        form.top_errors.append(exc.message)
        return render_page(request, template, _form_context(submission, form), status=422)
    for warning in form.warnings:
        messages.warning(request, warning)
    saved = result.created + result.updated
    if request.POST.get("action") == "submit":
        return redirect("measurement:report_submit", slug=slug, submission_pk=submission.pk)
    if saved:
        messages.success(
            request,
            _("Saved %(n)s value(s) as a draft. Submit the report when it is complete.")
            % {"n": saved},
        )
    else:
        messages.success(request, _("Nothing had changed, so there was nothing to save."))
    return redirect(request.path)


def _read_only_message(submission: Submission) -> str:
    if not submission.round.is_open:
        return _("This reporting round is closed, so its reports can no longer be changed.")
    return _(
        "This report is %(status)s, so it can no longer be changed here. If a figure is wrong, "
        "ask the backbone team to return the report to you."
    ) % {"status": r.status_words(submission)}


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    """Ask before sending the report for review; send it on POST."""
    submission = _submission(request, slug, submission_pk)
    back = reverse("measurement:report_form", args=[slug, submission.pk])
    if r.is_read_only(submission):
        messages.error(request, _read_only_message(submission))
        return redirect(back)
    if request.method == "GET":
        form = r.ReportForm(submission)
        empty = sum(1 for c in form.cells if c.stored is None)
        context = _form_context(submission, form, empty=empty)
        return render_page(request, "measurement/reporting/submit.html", context)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        submit_service(actor=request.user, submission=submission, expected_version=version)
    except DomainError as exc:  # ConflictError too: the report changed, e.g. submitted twice
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _(
            "Thank you: the report of %(org)s for %(round)s was sent to the backbone team. "
            "You will see here when they have reviewed it."
        )
        % {"org": submission.organization, "round": submission.round},
    )
    return redirect("measurement:reporting", slug=slug)


@login_required
def report_template(request: HttpRequest, slug: str, submission_pk: int, fmt: str) -> HttpResponse:
    """The spreadsheet to fill in for this report, as CSV or Excel."""
    submission = _submission(request, slug, submission_pk)
    name = slugify(f"{submission.organization} {submission.round.name}")[:80] or "report"
    if fmt == "csv":
        text = io.StringIO()
        write_template(submission, "csv", text)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        book = io.BytesIO()
        write_template(submission, "xlsx", book)
        response = HttpResponse(
            book.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _upload_page(
    request: HttpRequest,
    submission: Submission,
    report: ImportReport | None,
    *,
    kept: str = "",
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    ok = report is not None and report.ok and not error and not notice
    context = _form_context(
        submission,
        r.ReportForm(submission),
        report=report,
        upload_error=error,
        notice=notice,
        kept=kept,
        problems=[p for p in report.problems if p.is_error] if report else [],
        warnings=[p for p in report.problems if not p.is_error] if report else [],
        to_save=(report.created + report.updated) if report else 0,
        checked_state=r.report_state(submission),
    )
    status = 200 if ok else (409 if notice else 422)
    return render_page(request, "measurement/reporting/upload.html", context, status=status)


def _uploaded(request: HttpRequest) -> tuple[bytes, str, str]:
    """(content, file name, error): the file sent with the request, within the size limit."""
    upload = request.FILES.get("file")
    if upload is None:
        return b"", "", _("Choose a file to upload: the filled-in template, as .xlsx or .csv.")
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        return (
            b"",
            upload.name or "",
            _(
                "The file is too large (%(size)s); the most we accept is %(limit)s. A report "
                "for one round is much smaller: start from the template."
            )
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    return upload.read(), (upload.name or "upload")[:200], ""


def _run(request: HttpRequest, submission: Submission, content: bytes, name: str, *, dry: bool):
    return import_observations(
        actor=request.user,
        initiative=submission.round.initiative,
        file=io.BytesIO(content),
        filename=name,
        dry_run=dry,
        submission=submission,
    )


@login_required
@require_POST
def report_upload(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    """Check a spreadsheet without saving anything, and show what was found."""
    submission = _submission(request, slug, submission_pk)
    if r.is_read_only(submission):
        messages.error(request, _read_only_message(submission))
        return redirect("measurement:report_form", slug=slug, submission_pk=submission.pk)
    request.session.pop(UPLOAD_SESSION_KEY, None)
    content, name, error = _uploaded(request)
    if error:
        return _upload_page(request, submission, None, error=error)
    report = _run(request, submission, content, name, dry=True)
    kept = ""
    if report.ok and len(content) <= KEEP_BYTES:
        kept = hashlib.sha256(content).hexdigest()
        request.session[UPLOAD_SESSION_KEY] = {
            "submission": submission.pk,
            "name": name,
            "digest": kept,
            "content": base64.b64encode(content).decode("ascii"),
        }
    return _upload_page(request, submission, report, kept=kept)


@login_required
@require_POST
def report_upload_confirm(request: HttpRequest, slug: str, submission_pk: int) -> HttpResponse:
    """Save the checked file: the same import, for real (checked again as it is saved)."""
    submission = _submission(request, slug, submission_pk)
    back = reverse("measurement:report_form", args=[slug, submission.pk])
    if r.is_read_only(submission):
        messages.error(request, _read_only_message(submission))
        return redirect(back)
    kept = request.session.get(UPLOAD_SESSION_KEY) or {}
    if request.FILES.get("file") is not None:  # a file too big to keep, chosen again
        content, name, error = _uploaded(request)
        if error:
            return _upload_page(request, submission, None, error=error)
    elif (
        kept.get("submission") == submission.pk
        and kept.get("digest")
        and kept.get("digest") == request.POST.get("digest")
    ):
        content, name = base64.b64decode(kept["content"]), kept["name"]
    else:
        messages.error(
            request,
            _("The checked file is no longer waiting to be saved. Upload it again, please."),
        )
        return redirect(back)
    if request.POST.get("checked_state") != r.report_state(submission):
        # Someone changed this report's figures since the file was checked: saving now could
        # overwrite their change unseen. Check the file again against what is there now.
        report = _run(request, submission, content, name, dry=True)
        return _upload_page(
            request,
            submission,
            report,
            kept=request.POST.get("digest", "") if kept else "",
            notice=_(
                "Someone changed this report's figures after you checked the file, so nothing "
                "was saved. Here is the check again, against the figures as they are now: "
                "save only if the file should replace them."
            ),
        )
    report = _run(request, submission, content, name, dry=False)
    if not report.saved:
        return _upload_page(request, submission, report)
    request.session.pop(UPLOAD_SESSION_KEY, None)
    messages.success(
        request,
        _(
            "Saved %(n)s value(s) from %(file)s as a draft (%(same)s were already there). "
            "Check them below, then submit the report."
        )
        % {"n": report.created + report.updated, "file": name, "same": report.unchanged},
    )
    return redirect(back)
