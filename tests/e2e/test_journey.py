"""The whole reporting cycle, end to end, as issue 4 asks to see it.

A partner's data steward reports one round by the web form and another by spreadsheet (a bad
file is refused first); the backbone returns the first with a reason and approves the second;
the results dashboard and the public dashboard then show the approved figures — and the public
pages never show a private indicator or a small number (asserted on the page HTML).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.helpers import check_a11y, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEWARD = "steward@demo.backbone.test"
ADMIN = "admin@demo.backbone.test"
ROUND = "2025 annual performance report"
CINCINNATI = "Cincinnati/Hamilton County CoC"
TOLEDO = "Toledo/Lucas County CoC"
HEADER = "indicator,place,period,value,numerator,denominator,organization,race,note\n"
# Toledo's 2025 exits by race: 93 of 220 overall = 42.3 %; Hispanic/Latino is 3 of 8 people,
# below the demo's privacy threshold (11), so 37.5 % must never be shown publicly.
TOLEDO_ROWS = [
    "exits-to-permanent-housing,OH-501,2025,,93,220,OH-501,,",
    "exits-to-permanent-housing,OH-501,2025,,40,100,OH-501,black,",
    "exits-to-permanent-housing,OH-501,2025,,45,100,OH-501,white,",
    "exits-to-permanent-housing,OH-501,2025,,3,8,OH-501,hispanic,",
    "exits-to-permanent-housing,OH-501,2025,,5,12,OH-501,other,",
    "returns-to-homelessness,OH-501,2025,,12,80,OH-501,,",
    "people-served-shelter,OH-501,2025,4321,,,OH-501,,",
]


def _csv(rows: list[str]) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _steward_also_reports_for_toledo(demo) -> None:
    """The backbone makes the demo steward a data steward of Toledo too (by invitation)."""
    from backbone.core.models import Partnership, Role, User
    from backbone.core.services import invitation_accept, invitation_create

    invitation_create(
        actor=User.objects.get(email=ADMIN),
        partnership=Partnership.objects.get(organization__name=TOLEDO),
        email=STEWARD,
        role=Role.DATA_STEWARD,
        accept_url_base=demo.url("/accounts/invitation/"),
    )
    token = re.search(r"/accounts/invitation/(\S+?)/?$", mail.outbox[-1].body, re.M)[1]
    invitation_accept(token=token, user=User.objects.get(email=STEWARD))


def _what_the_public_gets(page: Page) -> tuple[str, str]:
    """The page as the server sent it (chart specs included) and as drawn (charts' SVG); not
    ``page.content()``, which also holds the axe-core script the test injects."""
    return page.request.get(page.url).text(), page.locator("main").inner_html()


def _submit_from_form(page: Page) -> None:
    page.get_by_role("button", name="Save and review before submitting").click()
    expect(page.get_by_role("heading", name="Submit the report?")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("was sent to the backbone team")).to_be_visible()


def test_report_review_and_publish_the_2025_round(page: Page, new_page, full_demo) -> None:
    from backbone.measurement.models import Submission, SubmissionStatus

    demo = full_demo
    _steward_also_reports_for_toledo(demo)

    # 1. Cincinnati's report by the web form.
    sign_in(page, demo, STEWARD)
    visit(page, demo.initiative_url("reporting/"))
    page.get_by_role("link", name=f"{CINCINNATI} · {ROUND}").click()
    returns = page.get_by_role("group", name="Returns to homelessness within two years (sample)")
    returns.get_by_label("Total: People who returned", exact=True).fill("31")
    returns.get_by_label("Total: People housed two years earlier", exact=True).fill("210")
    served = page.get_by_role("group", name="People served in emergency shelter (sample)")
    served.get_by_label("Total: Value", exact=True).fill("1530")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("as a draft")).to_be_visible()
    check_a11y(page)
    _submit_from_form(page)

    # 2. Toledo's report by spreadsheet: a bad file is refused, nothing saved; then a good one.
    visit(page, demo.initiative_url("reporting/"))
    page.get_by_role("link", name=f"{TOLEDO} · {ROUND}").click()
    bad = _csv(["exits-to-permanent-housing,OH-501,2025,,120,100,OH-501,,"])
    page.get_by_label("Spreadsheet file").set_input_files(
        files=[{"name": "toledo.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.get_by_role("table", name="Problems to fix in the file")).to_contain_text(
        "The numerator (120) is larger than the denominator (100)."
    )
    check_a11y(page)
    toledo = Submission.objects.get(round__name=ROUND, organization__name=TOLEDO)
    assert not toledo.observations.exists()
    page.get_by_label("Spreadsheet file").set_input_files(
        files=[{"name": "toledo.csv", "mimeType": "text/csv", "buffer": _csv(TOLEDO_ROWS)}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name=f"Save these {len(TOLEDO_ROWS)} values").click()
    expect(page.get_by_text(f"Saved {len(TOLEDO_ROWS)} value(s) from toledo.csv")).to_be_visible()
    _submit_from_form(page)

    # 3. The backbone returns Cincinnati's report with a reason and approves Toledo's.
    admin = new_page()
    sign_in(admin, demo, ADMIN)
    visit(admin, demo.initiative_url("review/"))
    admin.get_by_role("link", name=f"Review {CINCINNATI}, {ROUND}").click()
    admin.get_by_label("Why are you returning it?").fill("Please add the exits by race.")
    admin.get_by_role("button", name="Return to the partner").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Returned the report to {CINCINNATI}")
    admin.get_by_role("link", name=f"Review {TOLEDO}, {ROUND}").click()
    check_a11y(admin)
    admin.get_by_role("button", name="Approve this report").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Approved the report of {TOLEDO}")
    statuses = dict(
        Submission.objects.filter(
            round__name=ROUND, organization__name__in=[CINCINNATI, TOLEDO]
        ).values_list("organization__name", "status")
    )
    assert statuses == {CINCINNATI: SubmissionStatus.RETURNED, TOLEDO: SubmissionStatus.APPROVED}

    # The steward sees why Cincinnati's report came back.
    visit(page, demo.initiative_url("reporting/"))
    expect(page.get_by_text("Please add the exits by race.")).to_be_visible()

    # 4. The results dashboard shows the approved 2025 figure for Ohio: Toledo's 93 / 220.
    visit(admin, demo.initiative_url("results/"))
    exits_tile = admin.locator(".tile", has_text="Exits to permanent housing (sample)")
    expect(exits_tile).to_contain_text("42.3%")
    expect(exits_tile).to_contain_text("2025")

    # 5. The public dashboard: the same figure; no private indicator, no small number.
    public = new_page()
    visit(public, demo.url(f"/public/{demo.slug}/"))
    expect(public.get_by_text("42.3%").first).to_be_visible()
    for html in _what_the_public_gets(public):
        assert "People served in emergency shelter" not in html
        assert "people-served-shelter" not in html
        assert "4,321" not in html and "4321" not in html
    public.get_by_role("link", name=re.compile("Exits to permanent housing")).first.click()
    expect(public.get_by_text("Suppressed").first).to_be_visible()
    check_a11y(public)
    for html in _what_the_public_gets(public):
        assert "37.5" not in html  # Hispanic/Latino 3 of 8: below the threshold
        assert "People served in emergency shelter" not in html
