"""The reporting pages as a partner's data steward uses them: the list of reports, the form
(save a draft, problems shown at the box and at the top, conflicts), submitting, and spreadsheet
upload with a check before anything is saved."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backbone.core.models import AuditEvent, Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.models import (
    Observation,
    ObservationStatus,
    RuleSeverity,
    SubmissionStatus,
)
from backbone.measurement.validation import Figures
from backbone.measurement.views import reporting as views
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(import_world):
    """import_world plus a 2023 round for Clinic and Other; Clinic reported at place A in 2022."""
    w = dict(import_world)
    init = w["init"]
    s.observations_record(
        actor=COMMAND_LINE,
        initiative=init,
        entries=[
            s.Entry(
                indicator=w["homeless"],
                place=w["region"].children.get(code="A"),
                period=s.period_for("2022"),
                breakdown=s.breakdown_for(init, {}),
                organization=w["clinic"].organization,
                figures=Figures(value=Decimal(10)),
            )
        ],
        approve=True,
    )
    w["other_steward"] = f.member(w["other"].organization, Role.DATA_STEWARD)
    w["member"] = f.member(w["clinic"].organization, Role.MEMBER)
    rnd = s.round_open(
        actor=w["admin"],
        initiative=init,
        name="2023 report",
        period=s.period_for("2023"),
        due_on=date.today() + timedelta(days=10),
        indicators=[w["homeless"], w["screened"]],
        organizations=[w["clinic"].organization, w["other"].organization],
    )
    w["round"] = rnd
    w["sub"] = rnd.submissions.get(organization=w["clinic"].organization)
    w["other_sub"] = rnd.submissions.get(organization=w["other"].organization)
    return w


def url(w, name="report_form", sub=None, **extra):
    return reverse(
        f"measurement:{name}",
        kwargs={"slug": w["init"].slug, "submission_pk": (sub or w["sub"]).pk, **extra},
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def cell(w, indicator, member=None, place_code="A"):
    place = w["init"].places.get(code=place_code)
    m = 0
    if member:
        m = indicator.dimensions.get().members.get(code=member).pk
    return f"c{indicator.pk}-{place.pk}-{m}"


def form_data(client, w, sub=None) -> dict[str, str]:
    """What the browser would send back untouched: every input of the form as shown."""
    html = client.get(url(w, sub=sub)).content.decode()
    form = html[
        html.index('class="report-form"') : html.index("</form>", html.index("report-form"))
    ]
    pairs = re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    return {name: value for name, value in pairs if name != "csrfmiddlewaretoken"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- The list of reports --------------------------------------------------------------------


def test_steward_sees_their_own_report_with_due_date_and_status_in_words(client, w):
    page = text(
        signed_in(client, w["steward"]).get(reverse("measurement:reporting", args=["city"]))
    )
    assert "Clinic" in page and "2023 report" in page
    assert "not started" in page and "10 days left" in page
    assert url(w) in page
    assert url(w, sub=w["other_sub"]) not in page  # Other's report is not theirs


def test_overdue_and_returned_reports_are_said_in_words(client, w):
    w["round"].due_on = date.today() - timedelta(days=3)
    w["round"].save()
    page = text(
        signed_in(client, w["steward"]).get(reverse("measurement:reporting", args=["city"]))
    )
    assert "Overdue by 3 days" in page
    _record(w, w["steward"], "homeless", value=5)
    sub = s.submission_submit(actor=w["steward"], submission=w["sub"], expected_version=1)
    s.submission_return(
        actor=w["admin"], submission=sub, reason="Check the count", expected_version=2
    )
    page = text(client.get(reverse("measurement:reporting", args=["city"])))
    assert "returned for changes: Check the count" in page
    form = text(client.get(url(w)))
    assert "Returned for changes" in form and "Check the count" in form


def test_backbone_sees_every_partners_report(client, w):
    page = text(signed_in(client, w["admin"]).get(reverse("measurement:reporting", args=["city"])))
    assert url(w) in page and url(w, sub=w["other_sub"]) in page


def test_someone_without_reporting_rights_gets_an_explanation(client, w):
    response = signed_in(client, w["member"]).get(reverse("measurement:reporting", args=["city"]))
    assert response.status_code == 200
    assert "You do not report figures here" in text(response)
    assert url(w) not in text(response)


# --- The form -------------------------------------------------------------------------------


def _record(w, actor, code, *, value=None, num=None, den=None, member=None):
    indicator = w[code]
    entry = s.Entry(
        indicator=indicator,
        place=w["init"].places.get(code="A"),
        period=w["round"].period,
        breakdown=s.breakdown_for(w["init"], {"shelter": member} if member else {}),
        organization=w["clinic"].organization,
        figures=Figures(
            value=None if value is None else Decimal(value),
            numerator=None if num is None else Decimal(num),
            denominator=None if den is None else Decimal(den),
        ),
    )
    return s.observation_record(actor=actor, entry=entry, submission=w["sub"])


def test_form_has_a_fieldset_per_indicator_with_labels_from_the_indicator(client, w):
    page = text(signed_in(client, w["steward"]).get(url(w)))
    assert page.count("<fieldset") == 2
    assert "<legend>Homeless</legend>" in page and "<legend>Screened</legend>" in page
    screened = cell(w, w["screened"])
    assert f'for="{screened}-numerator">Total: Children screened</label>' in page
    assert f'for="{screened}-denominator">Total: Children eligible</label>' in page
    homeless = cell(w, w["homeless"], "unsheltered")
    assert f'for="{homeless}-value">Unsheltered: Value</label>' in page
    assert "By Shelter status" in page
    assert "Place A" in page  # where Clinic reported last time


def test_saving_a_draft_records_the_values_in_the_report(client, w):
    signed_in(client, w["steward"])
    data = form_data(client, w)
    data[f"{cell(w, w['homeless'])}-value"] = "1,200"
    data[f"{cell(w, w['homeless'], 'sheltered')}-value"] = "700"
    data[f"{cell(w, w['homeless'], 'unsheltered')}-value"] = "500"
    data[f"{cell(w, w['screened'])}-numerator"] = "9"
    data[f"{cell(w, w['screened'])}-denominator"] = "10"
    response = client.post(url(w), data | {"action": "save"})
    assert response.status_code == 302 and response.url == url(w)
    saved = Observation.objects.filter(submission=w["sub"])
    assert saved.count() == 4
    assert {o.status for o in saved} == {ObservationStatus.DRAFT}
    assert saved.get(indicator=w["screened"]).value == Decimal("90")
    assert saved.get(indicator=w["homeless"], breakdown__key="").value == Decimal(1200)
    page = text(client.get(url(w)))
    assert "Saved 4 value(s) as a draft" in page
    assert "draft saved" in page and "90.0%" in page
    # Saving the same again changes nothing.
    response = client.post(url(w), form_data(client, w) | {"action": "save"})
    assert "Nothing had changed" in text(client.get(response.url))
    assert Observation.objects.get(indicator=w["screened"]).version == 1


def test_a_bad_number_is_shown_at_its_box_and_at_the_top_and_nothing_is_lost(client, w):
    signed_in(client, w["steward"])
    data = form_data(client, w)
    box = f"{cell(w, w['homeless'])}-value"
    data[box] = "twelve"
    data[f"{cell(w, w['screened'])}-numerator"] = "9"
    data[f"{cell(w, w['screened'])}-denominator"] = "10"
    response = client.post(url(w), data)
    assert response.status_code == 422
    page = text(response)
    assert f'href="#{box}"' in page  # the summary links to the box
    assert (
        f'id="{box}" name="{box}" value="twelve" aria-invalid="true" aria-describedby="{box}-error"'
        in page
    )
    assert f'id="{box}-error"' in page and "“twelve” is not a number" in page
    assert 'value="9"' in page and 'value="10"' in page  # what was typed stays
    assert not Observation.objects.filter(submission=w["sub"]).exists()


def test_a_decimal_comma_is_refused_with_the_corrected_number(client, w):
    signed_in(client, w["steward"])
    data = form_data(client, w)
    data[f"{cell(w, w['homeless'])}-value"] = "12,5"
    page = text(client.post(url(w), data))
    assert "Write 12.5, with a point" in page


def test_numerator_above_denominator_is_refused(client, w):
    signed_in(client, w["steward"])
    data = form_data(client, w)
    box = cell(w, w["screened"])
    data[f"{box}-numerator"] = "12"
    data[f"{box}-denominator"] = "10"
    response = client.post(url(w), data)
    assert response.status_code == 422
    page = text(response)
    assert "The numerator (12) is larger than the denominator (10)." in page
    assert f'href="#{box}-numerator"' in page
    assert not Observation.objects.filter(submission=w["sub"]).exists()


def test_groups_that_do_not_add_up_are_refused_when_the_indicator_says_so(client, w):
    w["homeless"].parts_rule = RuleSeverity.ERROR
    w["homeless"].save()
    signed_in(client, w["steward"])
    data = form_data(client, w)
    data[f"{cell(w, w['homeless'])}-value"] = "100"
    data[f"{cell(w, w['homeless'], 'sheltered')}-value"] = "70"
    data[f"{cell(w, w['homeless'], 'unsheltered')}-value"] = "40"
    response = client.post(url(w), data)
    assert response.status_code == 422
    assert "groups add up to 110, but the total is 100" in text(response)
    assert not Observation.objects.filter(submission=w["sub"]).exists()


def test_groups_that_do_not_add_up_are_saved_with_a_warning_by_default(client, w):
    signed_in(client, w["steward"])
    data = form_data(client, w)
    data[f"{cell(w, w['homeless'])}-value"] = "100"
    data[f"{cell(w, w['homeless'], 'sheltered')}-value"] = "70"
    data[f"{cell(w, w['homeless'], 'unsheltered')}-value"] = "40"
    response = client.post(url(w), data)
    assert response.status_code == 302
    assert "groups add up to 110, but the total is 100" in text(client.get(response.url))
    assert Observation.objects.filter(submission=w["sub"]).count() == 3


def test_a_saved_value_cannot_be_emptied_from_the_form(client, w):
    _record(w, w["steward"], "homeless", value=5)
    signed_in(client, w["steward"])
    data = form_data(client, w)
    data[f"{cell(w, w['homeless'])}-value"] = ""
    response = client.post(url(w), data)
    assert response.status_code == 422
    assert "cannot be emptied here" in text(response)
    assert Observation.objects.get(submission=w["sub"]).value == 5


def test_a_value_changed_by_someone_else_is_not_overwritten(client, w):
    _record(w, w["steward"], "homeless", value=5)
    signed_in(client, w["steward"])
    data = form_data(client, w)  # the steward opens the form: 5, version 1
    obs = Observation.objects.get(submission=w["sub"])
    _record(w, w["admin"], "homeless", value=6)  # the backbone corrects it meanwhile
    box = f"{cell(w, w['homeless'])}-value"
    data[box] = "7"
    response = client.post(url(w), data)
    assert response.status_code == 409
    page = text(response)
    assert f"{w['admin']} changed this value to 6 after you opened the form" in page
    assert 'value="7"' in page  # the steward's figure is still in the box
    obs.refresh_from_db()
    assert (obs.value, obs.version) == (6, 2)
    # Saving again, knowingly, replaces it (the form now carries the new version).
    again = dict(re.findall(r'name="([^"]+-(?:version|was))" value="([^"]*)"', page))
    response = client.post(url(w), data | again)
    assert response.status_code == 302
    obs.refresh_from_db()
    assert (obs.value, obs.version) == (7, 3)


def test_a_value_someone_else_changed_that_the_steward_did_not_touch_is_kept(client, w):
    _record(w, w["steward"], "homeless", value=5)
    signed_in(client, w["steward"])
    data = form_data(client, w)
    _record(w, w["admin"], "homeless", value=6)
    data[f"{cell(w, w['screened'])}-numerator"] = "1"
    data[f"{cell(w, w['screened'])}-denominator"] = "2"
    assert client.post(url(w), data).status_code == 302
    assert Observation.objects.get(submission=w["sub"], indicator=w["homeless"]).value == 6


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_report_is_refused_and_nothing_changes(client, w, method):
    signed_in(client, w["steward"])
    before = list(Observation.objects.values_list("pk", "version"))
    box = cell(w, w["homeless"])
    for name in ("report_form", "report_submit", "report_upload", "report_upload_confirm"):
        call = getattr(client, method)
        response = call(url(w, name, sub=w["other_sub"]), {f"{box}-value": "3", "version": "1"})
        assert response.status_code in (
            (403,)
            if method == "post"
            or name
            not in (
                "report_upload",
                "report_upload_confirm",
            )
            else (403, 405)
        ), name
    assert list(Observation.objects.values_list("pk", "version")) == before
    w["other_sub"].refresh_from_db()
    assert w["other_sub"].status == SubmissionStatus.DRAFT


def test_a_report_of_another_initiative_is_not_found(client, w):
    elsewhere = f.initiative("elsewhere")
    f.partnership(elsewhere, w["clinic"].organization)
    signed_in(client, w["steward"])
    wrong = reverse("measurement:report_form", args=["elsewhere", w["sub"].pk])
    assert client.get(wrong).status_code == 404


def test_a_member_who_is_not_a_steward_may_not_open_the_report(client, w):
    assert signed_in(client, w["member"]).get(url(w)).status_code == 403


# --- Submitting -----------------------------------------------------------------------------


def test_submitting_asks_first_then_locks_the_report(client, w):
    _record(w, w["steward"], "homeless", value=5)
    signed_in(client, w["steward"])
    data = form_data(client, w) | {"action": "submit"}
    response = client.post(url(w), data)
    assert response.url == url(w, "report_submit")
    page = text(client.get(response.url))
    assert "Submit the report?" in page and "3 boxes are empty" in page
    response = client.post(url(w, "report_submit"), {"version": "1"})
    assert response.url == reverse("measurement:reporting", args=["city"])
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.SUBMITTED
    assert Observation.objects.get(submission=w["sub"]).status == ObservationStatus.SUBMITTED
    home = text(client.get(response.url))
    assert "was sent to the backbone team" in home
    assert "submitted — waiting for review" in home
    # Submitting twice: the second answer says the report changed; nothing else happens.
    events = AuditEvent.objects.count()
    response = client.post(url(w, "report_submit"), {"version": "1"})
    assert response.status_code == 302
    assert "can no longer be changed" in text(client.get(response.url))
    assert AuditEvent.objects.count() == events
    # The form is read-only now, and a POST changes nothing.
    page = text(client.get(url(w)))
    assert 'type="text"' not in page and "Save draft" not in page
    box = f"{cell(w, w['homeless'])}-value"
    assert (
        client.post(url(w), {box: "9", f"{cell(w, w['homeless'])}-version": "2"}).status_code == 302
    )
    assert Observation.objects.get(submission=w["sub"]).value == 5


def test_a_stale_submit_is_refused_with_a_message(client, w):
    _record(w, w["steward"], "homeless", value=5)
    signed_in(client, w["steward"])
    response = client.post(url(w, "report_submit"), {"version": "7"})
    assert "This report changed" in text(client.get(response.url))
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.DRAFT


def test_an_empty_report_cannot_be_submitted(client, w):
    signed_in(client, w["steward"])
    response = client.post(url(w, "report_submit"), {"version": "1"})
    assert "This report has no values yet" in text(client.get(response.url))
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.DRAFT


# --- Spreadsheets ---------------------------------------------------------------------------

HEADER = "indicator,place,period,value,numerator,denominator,organization,shelter\n"
GOOD = HEADER + "homeless,A,2023,12,,,CLINIC,\nscreened,A,2023,,9,10,CLINIC,\n"
BAD = HEADER + "homeless,A,2023,12,,,CLINIC,\nscreened,A,2023,,12,10,CLINIC,\n"


def upload(client, w, content: str | bytes, name="report.csv", view="report_upload", **extra):
    data = content.encode() if isinstance(content, str) else content
    return client.post(url(w, view), {"file": SimpleUploadedFile(name, data), **extra})


def checked(page: str) -> dict[str, str]:
    """The hidden fields the check page's "Save" form sends back, as a browser would."""
    return dict(re.findall(r'name="(digest|checked_state)" value="([^"]*)"', page))


def test_template_downloads_list_the_rows_to_fill(client, w):
    signed_in(client, w["steward"])
    response = client.get(url(w, "report_template", fmt="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode().lstrip("\ufeff")
    assert body.splitlines()[0].startswith("indicator,indicator_name,place")
    assert "homeless,Homeless,A,Place A,2023" in body
    xlsx = client.get(url(w, "report_template", fmt="xlsx"))
    assert xlsx.content[:2] == b"PK"
    assert client.get(url(w, "report_template", fmt="pdf")).status_code == 404


def test_a_bad_file_shows_the_check_and_saves_nothing(client, w):
    signed_in(client, w["steward"])
    response = upload(client, w, BAD)
    assert response.status_code == 422
    page = text(response)
    assert "The file has problems" in page and "Nothing was saved" in page
    assert "The numerator (12) is larger than the denominator (10)." in page
    assert "Check that the two columns are not swapped." in page
    assert '<th scope="row" class="num">3</th><td>numerator</td>' in page
    assert "Save these" not in page
    assert not Observation.objects.filter(submission=w["sub"]).exists()
    assert views.UPLOAD_SESSION_KEY not in client.session


def test_a_good_file_is_checked_then_saved_on_confirmation(client, w):
    signed_in(client, w["steward"])
    response = upload(client, w, GOOD)
    assert response.status_code == 200
    page = text(response)
    assert "No errors found" in page and "Save these 2 values" in page
    assert not Observation.objects.filter(submission=w["sub"]).exists()  # not yet
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    response = client.post(url(w, "report_upload_confirm"), checked(page))
    assert response.status_code == 302 and response.url == url(w)
    assert "Saved 2 value(s) from report.csv as a draft" in text(client.get(url(w)))
    saved = Observation.objects.filter(submission=w["sub"])
    assert sorted(saved.values_list("indicator__code", "value")) == [
        ("homeless", Decimal(12)),
        ("screened", Decimal(90)),
    ]
    # Confirming again finds nothing waiting.
    response = client.post(url(w, "report_upload_confirm"), {**checked(page), "digest": digest})
    assert "no longer waiting" in text(client.get(response.url))
    assert saved.count() == 2


def test_a_confirmation_for_a_different_file_saves_nothing(client, w):
    signed_in(client, w["steward"])
    page = text(upload(client, w, GOOD))
    response = client.post(url(w, "report_upload_confirm"), {**checked(page), "digest": "0" * 64})
    assert response.status_code == 302
    assert not Observation.objects.filter(submission=w["sub"]).exists()


def test_a_file_too_big_to_keep_is_chosen_again_to_save_it(client, w, monkeypatch):
    monkeypatch.setattr(views, "KEEP_BYTES", 10)
    signed_in(client, w["steward"])
    page = text(upload(client, w, GOOD))
    assert "Choose the same file again" in page and 'name="digest"' not in page
    response = upload(client, w, GOOD, view="report_upload_confirm", **checked(page))
    assert response.status_code == 302
    assert Observation.objects.filter(submission=w["sub"]).count() == 2


def test_a_file_over_the_limit_is_refused_with_a_clear_message(client, w, settings):
    settings.IMPORT_MAX_BYTES = 20
    signed_in(client, w["steward"])
    response = upload(client, w, GOOD)
    assert response.status_code == 422
    assert "The file is too large (" in text(response)
    assert not Observation.objects.exists() or not Observation.objects.filter(submission=w["sub"])


def test_a_change_by_someone_else_after_the_check_is_never_overwritten_unseen(client, w):
    signed_in(client, w["steward"])
    page = text(upload(client, w, GOOD))
    # Meanwhile the backbone records the report's homeless figure as 15.
    s.observation_record(
        actor=w["admin"],
        entry=s.Entry(
            indicator=w["homeless"],
            place=w["region"].children.get(code="A"),
            period=w["sub"].round.period,
            breakdown=s.breakdown_for(w["init"], {}),
            organization=w["clinic"].organization,
            figures=Figures(value=Decimal(15)),
        ),
        submission=w["sub"],
    )
    response = client.post(url(w, "report_upload_confirm"), checked(page))
    assert response.status_code == 409
    again = text(response)
    assert "figures after you checked the file, so nothing was saved" in again
    homeless = Observation.objects.get(submission=w["sub"], indicator=w["homeless"])
    assert homeless.value == 15 and homeless.version == 1  # theirs, untouched
    assert not Observation.objects.filter(submission=w["sub"], indicator=w["screened"]).exists()
    # The new check offers to save knowingly; saving then replaces the figure, audited.
    assert "Save these 2 values" in again
    response = client.post(url(w, "report_upload_confirm"), checked(again))
    assert response.status_code == 302
    homeless.refresh_from_db()
    assert (homeless.value, homeless.version) == (12, 2)


def test_uploading_without_a_file_asks_for_one(client, w):
    signed_in(client, w["steward"])
    response = client.post(url(w, "report_upload"))
    assert response.status_code == 422
    assert "Choose a file to upload" in text(response)


def test_a_file_with_another_organizations_rows_is_refused(client, w):
    signed_in(client, w["steward"])
    response = upload(client, w, HEADER + "homeless,A,2023,12,,,Other,\n")
    assert response.status_code == 422
    assert "This report is for Clinic only." in text(response)
    assert not Observation.objects.filter(organization=w["other"].organization).exists()


def test_a_submitted_report_takes_no_upload(client, w):
    _record(w, w["steward"], "homeless", value=5)
    s.submission_submit(actor=w["steward"], submission=w["sub"], expected_version=1)
    signed_in(client, w["steward"])
    response = upload(client, w, GOOD)
    assert response.status_code == 302
    assert Observation.objects.get(submission=w["sub"]).value == 5


# --- A partner with no place yet ------------------------------------------------------------


def test_a_partner_with_no_usual_place_chooses_one(client, w):
    signed_in(client, w["other_steward"])
    sub = w["other_sub"]
    page = text(client.get(url(w, sub=sub)))
    assert "Place these figures are for" in page
    box = f"c{w['homeless'].pk}-0-0"
    data = {f"{box}-value": "4", f"{box}-version": "0", f"{box}-was": ""}
    response = client.post(url(w, sub=sub), data)
    assert response.status_code == 422
    assert "Choose the place these figures are for." in text(response)
    response = client.post(url(w, sub=sub), data | {"place": "B"})
    assert response.status_code == 302
    obs = Observation.objects.get(submission=sub)
    assert (obs.place.code, obs.value) == ("B", 4)
    assert "Place B" in text(client.get(url(w, sub=sub)))  # from now on the form knows it
