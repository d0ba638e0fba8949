"""Who may use the reporting pages (merged into the matrix by ``test_route_matrix``).

* The reporting page: everyone who takes part (those without reporting rights are told how to
  get them); outsiders of a private initiative: 404; of a public one: 403.
* A report's pages (form, submit, upload, template): whoever may report that organization's
  figures — its data stewards and the backbone. Others who take part: 403.
"""

from __future__ import annotations

from datetime import date

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as ms
from backbone.measurement.models import ReportingRound
from tests.security.conftest import A_PARTICIPANTS, World
from tests.security.matrix import A_X_MANAGERS, P_ADMIN, POST_ONLY, Page, initiative_pages, who

A_SIGNED_IN_VIEW = who(
    ok=A_PARTICIPANTS - {"anonymous"}, login={"anonymous"}, hidden={"other_initiative_admin"}
)
P_TAKING_PART = who(ok={"superuser"}, login={"anonymous"})
# X's report in A: X's data steward and the backbone.
A_X_REPORTERS = A_X_MANAGERS


def x_report(w: World) -> dict[str, object]:
    return {"slug": "a", "submission_pk": w.x_submission.pk}


def p_report(w: World) -> dict[str, object]:
    """A report of P's backbone organization, in a round opened for the test."""
    rnd = ReportingRound.objects.filter(initiative=w.p, name="P round").first()
    if rnd is None:
        rnd = ms.round_open(
            actor=COMMAND_LINE,
            initiative=w.p,
            name="P round",
            period=ms.period_for("2024"),
            due_on=date(2025, 3, 31),
            indicators=[w.p_public_indicator],
            organizations=[w.p_backbone.organization],
        )
    return {"slug": "p", "submission_pk": rnd.submissions.get().pk}


def report_pages(get: dict[str, str], post: dict[str, str]) -> list[Page]:
    """X's report in A, and a report in P (nobody here but the superuser reports there)."""
    p_get = POST_ONLY if get is POST_ONLY else P_ADMIN
    return [Page("A/X", x_report, get, post), Page("P/P", p_report, p_get, P_ADMIN)]


def _with_fmt(fill):
    return lambda w: {**fill(w), "fmt": "csv"}


EXPECTED: dict[str, list[Page]] = {
    "measurement:reporting": initiative_pages(A_SIGNED_IN_VIEW, P_TAKING_PART, form=False),
    "measurement:report_form": report_pages(A_X_REPORTERS, A_X_REPORTERS),
    "measurement:report_submit": report_pages(A_X_REPORTERS, A_X_REPORTERS),
    "measurement:report_upload": report_pages(POST_ONLY, A_X_REPORTERS),
    "measurement:report_upload_confirm": report_pages(POST_ONLY, A_X_REPORTERS),
    "measurement:report_template": [
        Page("A/X", _with_fmt(x_report), A_X_REPORTERS),
        Page("P/P", _with_fmt(p_report), P_ADMIN),
    ],
}
