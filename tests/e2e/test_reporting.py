"""A partner's data steward reports in the demo's open 2025 round: one report by the web form,
with the keyboard only; another by spreadsheet, where a bad file is refused (nothing saved) and a
corrected one is checked and then saved. Every state of every page is checked with axe."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import check_a11y, screenshot, sign_in, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEWARD = "steward@demo.backbone.test"
ROUND = "2025 annual performance report"
MAX_TABS = 150
RACE = ("Black or African American", "White", "Hispanic or Latino (any race)")
LAST_RACE = "Another race, or more than one"
NUM = "People who left for permanent housing"
DEN = "People who left a program"


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus (fail if it never does)."""
    for _ in range(MAX_TABS):
        if target.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def type_into(page: Page, target: Locator, text: str) -> None:
    """Tab to a box, clear it and type, with the keyboard only."""
    tab_to(page, target)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def box(page: Page, group: str, what: str) -> Locator:
    return page.get_by_label(f"{group}: {what}", exact=True)


def test_steward_fills_in_and_submits_the_2025_report_with_the_keyboard_only(
    page: Page, full_demo
) -> None:
    from backbone.measurement.models import Observation, Submission, SubmissionStatus

    sign_in(page, full_demo, STEWARD)
    visit(page, full_demo.initiative_url("reporting/"))
    expect(page.get_by_role("heading", name="Report data", level=1)).to_be_visible()
    expect(page.get_by_text("draft saved")).to_be_visible()
    screenshot(page, "reporting-home.png")

    tab_to(page, page.get_by_role("link", name=f"Cincinnati/Hamilton County CoC · {ROUND}"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Report for {ROUND}")).to_be_visible()
    check_a11y(page)
    sub = Submission.objects.get(round__name=ROUND, organization__external_code="OH-500")
    exits = page.get_by_role("group", name="Exits to permanent housing (sample)")
    total_num = Decimal(box(exits, "Total", NUM).input_value())
    total_den = Decimal(box(exits, "Total", DEN).input_value())
    # Split the saved total over the groups so that they add up (the last takes the rest).
    shares = (Decimal("0.4"), Decimal("0.4"), Decimal("0.1"))
    nums = [int(total_num * s) for s in shares]
    dens = [int(total_den * s) for s in shares]
    nums.append(int(total_num) - sum(nums))
    dens.append(int(total_den) - sum(dens))

    # First a mistake: the numerator above the denominator for the first group.
    type_into(page, box(exits, RACE[0], NUM), str(dens[0] + 5))
    page.keyboard.press("Tab")
    page.keyboard.type(str(dens[0]))
    page.keyboard.press("Enter")  # the form's first button: Save draft
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("is larger than the denominator")
    expect(box(exits, RACE[0], NUM)).to_have_attribute("aria-invalid", "true")
    expect(box(exits, RACE[0], NUM)).to_have_value(str(dens[0] + 5))  # nothing lost
    check_a11y(page)
    assert Observation.objects.filter(submission=sub).count() == 1  # only the demo's total

    for group, n, d in zip((*RACE, LAST_RACE), nums, dens, strict=True):
        type_into(page, box(exits, group, NUM), str(n))
        type_into(page, box(exits, group, DEN), str(d))
    returns = page.get_by_role("group", name="Returns to homelessness within two years (sample)")
    type_into(page, box(returns, "Total", "People who returned"), "31")
    type_into(page, box(returns, "Total", "People housed two years earlier"), "210")
    served = page.get_by_role("group", name="People served in emergency shelter (sample)")
    type_into(page, box(served, "Total", "Value"), "1,530")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Saved 6 value(s) as a draft")).to_be_visible()
    check_a11y(page)
    screenshot(page, "reporting-form.png")

    tab_to(page, page.get_by_role("button", name="Save and review before submitting"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Submit the report?")).to_be_visible()
    check_a11y(page)
    tab_to(page, page.get_by_role("button", name="Submit for review"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("was sent to the backbone team")).to_be_visible()
    expect(page.get_by_text("submitted — waiting for review")).to_be_visible()
    check_a11y(page)

    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.SUBMITTED
    saved = Observation.objects.filter(submission=sub)
    assert saved.count() == 7
    served_obs = saved.get(indicator__code="people-served-shelter")
    assert served_obs.value == 1530
    returns_obs = saved.get(indicator__code="returns-to-homelessness")
    assert (returns_obs.numerator, returns_obs.denominator) == (31, 210)
    assert round(returns_obs.value, 1) == Decimal("14.8")  # 31 / 210, worked out once

    # Read-only from now on.
    visit(page, full_demo.initiative_url(f"reporting/{sub.pk}/"))
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_text("can no longer be changed here")).to_be_visible()


HEADER = "indicator,place,period,value,numerator,denominator,organization,race,note\n"


def _csv(rows: list[str]) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def test_steward_uploads_a_spreadsheet_a_bad_one_is_refused_a_good_one_saved(
    page: Page, full_demo
) -> None:
    from backbone.core.models import Partnership, Role, User
    from backbone.core.services import invitation_accept, invitation_create
    from backbone.measurement.models import Observation, Submission

    # The demo steward reports for one CoC; the backbone makes them a data steward of Toledo's
    # too (the demo's admin inviting them, as the app does), so they have a report not started.
    admin = User.objects.get(email="admin@demo.backbone.test")
    steward = User.objects.get(email=STEWARD)
    toledo = Partnership.objects.get(organization__external_code="OH-501")
    invitation_create(
        actor=admin,
        partnership=toledo,
        email=STEWARD,
        role=Role.DATA_STEWARD,
        accept_url_base=full_demo.url("/accounts/invitation/"),
    )
    # The link is emailed; the test reads it from Django's test outbox.
    link = re.search(r"/accounts/invitation/(\S+)", mail.outbox[-1].body)
    assert link is not None
    token = link.group(1).rstrip("/")
    invitation_accept(token=token, user=steward)
    sub = Submission.objects.get(round__name=ROUND, organization=toledo.organization)

    sign_in(page, full_demo, STEWARD)
    visit(page, full_demo.initiative_url("reporting/"))
    expect(page.get_by_text("not started")).to_be_visible()
    page.get_by_role("link", name=f"Toledo/Lucas County CoC · {ROUND}").click()
    expect(page.get_by_role("heading", name=f"Report for {ROUND}")).to_be_visible()
    check_a11y(page)
    for name in ("Excel template (.xlsx)", "CSV template"):
        expect(page.get_by_role("link", name=name)).to_be_visible()

    bad = _csv(
        [
            "exits-to-permanent-housing,OH-501,2025,,120,100,OH-501,,",
            'people-served-shelter,OH-501,2025,"12,5",,,OH-501,,',
            "returns-to-homelessness,OH-501,2024,,10,80,OH-501,,",
        ]
    )
    page.get_by_label("Spreadsheet file").set_input_files(
        files=[{"name": "toledo.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check of “toledo.csv”")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    problems = page.get_by_role("table", name="Problems to fix in the file")
    expect(problems).to_contain_text("The numerator (120) is larger than the denominator (100).")
    expect(problems).to_contain_text("it seems to use a comma for decimals")
    expect(problems).to_contain_text("This round is for 2025, not 2024.")
    expect(page.get_by_role("button", name="Save these")).to_have_count(0)
    check_a11y(page)
    screenshot(page, "validation-report.png")
    assert not Observation.objects.filter(submission=sub).exists()

    good = _csv(
        [
            "exits-to-permanent-housing,OH-501,2025,,90,200,OH-501,,",
            "exits-to-permanent-housing,OH-501,2025,,40,100,OH-501,black,",
            "exits-to-permanent-housing,OH-501,2025,,50,100,OH-501,white,",
            "returns-to-homelessness,OH-501,2025,,12,80,OH-501,,",
            'people-served-shelter,OH-501,2025,"1,250",,,OH-501,,Counted from HMIS',
        ]
    )
    page.get_by_label("Spreadsheet file").set_input_files(
        files=[{"name": "toledo-fixed.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="No errors found")).to_be_visible()
    check_a11y(page)
    assert not Observation.objects.filter(submission=sub).exists()  # checked, not saved
    page.get_by_role("button", name="Save these 5 values").click()
    expect(page.get_by_text("Saved 5 value(s) from toledo-fixed.csv as a draft")).to_be_visible()
    check_a11y(page)
    exits = page.get_by_role("group", name="Exits to permanent housing (sample)")
    expect(box(exits, "Total", NUM)).to_have_value("90")
    expect(box(exits, "White", DEN)).to_have_value("100")

    saved = Observation.objects.filter(submission=sub)
    assert saved.count() == 5
    assert saved.get(indicator__code="exits-to-permanent-housing", breakdown__key="").value == 45
    assert saved.get(indicator__code="people-served-shelter").value == 1250
