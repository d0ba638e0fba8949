"""The data quality page: completeness per round and partner, values far from a place's usual
ones, groups that do not add up, late figures — each against figures worked out by hand — and
who may see the page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backbone.core.models import Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.models import Annotation, RuleSeverity
from backbone.measurement.periods import PeriodType
from backbone.measurement.quality import STALE_GRACE_DAYS, OutlierRow, quality_report
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)
# Place A's community-wide totals, 2019–2024. Sorted: 98 99 100 101 102 160, so the median is
# (100 + 101) ÷ 2 = 100.5; the absolute deviations 0.5 0.5 1.5 1.5 2.5 59.5 have the median
# MAD = (1.5 + 1.5) ÷ 2 = 1.5. M(2024) = 0.6745 × (160 − 100.5) ÷ 1.5 = 0.6745 × 39.667 = 26.755;
# every other |M| ≤ 0.6745 × 2.5 ÷ 1.5 = 1.124. So only 2024 is far from usual.
PLACE_A = {"2019": 100, "2020": 102, "2021": 98, "2022": 101, "2023": 99, "2024": 160}
# Place B: 10 in 2019, then as A without the jump. Sorted 10 98 99 100 101 102: median 99.5,
# deviations 89.5 1.5 0.5 0.5 1.5 2.5 → MAD 1.5; M(2019) = 0.6745 × (10 − 99.5) ÷ 1.5 = −40.2,
# far from usual — but 2019 is not one of the latest two periods (2023, 2024), so not listed.
PLACE_B = {"2019": 10, "2020": 100, "2021": 102, "2022": 98, "2023": 101, "2024": 99}
# Place C: only four figures, one extreme: fewer than 5, so nothing is judged.
PLACE_C = {"2021": 100, "2022": 100, "2023": 101, "2024": 900}


def _entry(w, indicator, place, year, org, figures, group=""):
    return s.Entry(
        indicator=indicator,
        place=place,
        period=s.period_for(year),
        breakdown=s.breakdown_for(w["init"], {"shelter": group} if group else {}),
        organization=org,
        figures=figures,
    )


def _community(w, indicator, place, values: dict[str, int]) -> None:
    """Community-wide totals recorded by the backbone (approved at once)."""
    entries = [
        _entry(w, indicator, place, year, None, Figures(value=Decimal(v)))
        for year, v in values.items()
    ]
    s.observations_record(actor=COMMAND_LINE, initiative=w["init"], entries=entries)


def _report(w, submission, entries, *, state: str) -> None:
    s.observations_record(
        actor=COMMAND_LINE, initiative=w["init"], entries=entries, submission=submission
    )
    if state in ("submitted", "approved"):
        submission = s.submission_submit(
            actor=COMMAND_LINE, submission=submission, expected_version=submission.version
        )
    if state == "approved":
        s.submission_approve(
            actor=COMMAND_LINE, submission=submission, expected_version=submission.version
        )


def _count(value: int) -> Figures:
    return Figures(value=Decimal(value))


@pytest.fixture
def w() -> dict:
    """Partners Clinic and Other; a count split by shelter status and a percent; places R, A,
    B, C. The 2024 round asks both indicators of both partners: Clinic's report is approved
    (both), Other's is submitted (the count only). The 2025 round asks the count of both:
    Clinic has a draft, Other nothing. Community-wide counts for A, B, C (see above)."""
    init = f.initiative("city")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic")).organization
    other = f.partnership(init, f.organization("Other")).organization
    steward = f.member(clinic, Role.DATA_STEWARD)
    shelter = s.dimension_define(
        initiative=init,
        code="shelter",
        name="Shelter status",
        members=[("sheltered", "Sheltered"), ("unsheltered", "Unsheltered")],
    )
    homeless = f.indicator(init, "homeless", name="People homeless", dimensions=[shelter])
    screened = f.rate_indicator(init, "screened", name="Children screened")
    r, a, b, c = (f.place(init, code) for code in "RABC")
    w = locals()
    last = s.round_open(
        actor=COMMAND_LINE,
        initiative=init,
        name="2024 report",
        period=s.period_for("2024"),
        due_on=date(2025, 1, 31),
        indicators=[homeless, screened],
        organizations=[clinic, other],
    )
    # Clinic, 2024: groups 60 + 30 = 90 against a total of 100 (every group reported).
    clinic_2024 = [
        _entry(w, homeless, r, "2024", clinic, _count(100)),
        _entry(w, homeless, r, "2024", clinic, _count(60), "sheltered"),
        _entry(w, homeless, r, "2024", clinic, _count(30), "unsheltered"),
        _entry(w, screened, r, "2024", clinic, Figures(numerator=Decimal(40), denominator=50)),
    ]
    _report(w, last.submissions.get(organization=clinic), clinic_2024, state="approved")
    # Other, 2024: sheltered 70 with unsheltered missing, against a total of 50 (70 > 50).
    other_2024 = [
        _entry(w, homeless, r, "2024", other, _count(50)),
        _entry(w, homeless, r, "2024", other, _count(70), "sheltered"),
    ]
    _report(w, last.submissions.get(organization=other), other_2024, state="submitted")
    current = s.round_open(
        actor=COMMAND_LINE,
        initiative=init,
        name="2025 report",
        period=s.period_for("2025"),
        due_on=date(2026, 1, 31),
        indicators=[homeless],
        organizations=[clinic, other],
    )
    clinic_2025 = [_entry(w, homeless, r, "2025", clinic, _count(999))]  # a draft: not judged
    _report(w, current.submissions.get(organization=clinic), clinic_2025, state="draft")
    _community(w, homeless, a, PLACE_A)
    _community(w, homeless, b, PLACE_B)
    _community(w, homeless, c, PLACE_C)
    w.update(last=last, current=current)
    return w


# --- Completeness ---------------------------------------------------------------------------


def test_completeness_per_round_counts_indicators_times_partners(w):
    report = quality_report(w["init"], today=TODAY)
    # 2025: 1 indicator × 2 partners = 2 expected; Clinic's is a draft, Other has nothing: 0.
    # 2024: 2 indicators × 2 partners = 4; Clinic sent and got both approved (2 received,
    # 2 approved), Other sent the count only (1 received): 3 ÷ 4 = 75.0%.
    assert [
        (r.figures.label, r.figures.expected, r.figures.received, r.figures.approved, r.percent)
        for r in report.rounds
    ] == [("2025 report", 2, 0, 0, "0.0%"), ("2024 report", 4, 3, 2, "75.0%")]
    # The partner counts are review.rounds_of's: 2024 both sent (1 approved), 2025 none.
    assert [
        (r.summary.expected, r.summary.reported, r.summary.approved) for r in report.rounds
    ] == [
        (2, 0, 0),
        (2, 2, 1),
    ]
    # All rounds: (0 + 3) ÷ (2 + 4) = 3 ÷ 6 = 50.0%, not the mean of 0% and 75% (37.5%).
    total = report.total.figures
    assert (total.expected, total.received, total.approved, report.total.percent) == (
        6,
        3,
        2,
        "50.0%",
    )
    assert not report.total.complete


def test_completeness_per_partner_over_every_round_lowest_share_first(w):
    report = quality_report(w["init"], today=TODAY)
    # Other: asked in 2 rounds for 2 + 1 = 3 figures, sent 1: 1 ÷ 3 = 33.3%, none approved.
    # Clinic: 3 expected, 2 received (its 2025 report is a draft): 2 ÷ 3 = 66.7%, 2 approved.
    assert [
        (r.figures.label, r.rounds, r.expected, r.received, r.percent, r.approved)
        for r in report.partners
    ] == [("Other", 2, "3", "1", "33.3%", "0"), ("Clinic", 2, "3", "2", "66.7%", "2")]


def test_a_returned_report_is_not_counted_as_received(w):
    sub = w["last"].submissions.get(organization=w["other"])
    s.submission_return(
        actor=COMMAND_LINE, submission=sub, reason="Check the groups", expected_version=sub.version
    )
    report = quality_report(w["init"], today=TODAY)
    assert [(r.figures.label, r.figures.received) for r in report.rounds] == [
        ("2025 report", 0),
        ("2024 report", 2),
    ]


# --- Outliers -------------------------------------------------------------------------------


def test_only_recent_values_far_from_their_places_history_are_listed(w):
    report = quality_report(w["init"], today=TODAY)
    # Place A 2024 (M = 26.755, see PLACE_A); B's 2019 is too old; C has too few figures;
    # R's partner series have one figure each.
    assert [(o.place.code, o.organization, o.period) for o in report.outliers] == [
        ("A", None, "2024")
    ]
    o = report.outliers[0]
    assert o.score == pytest.approx(0.6745 * 59.5 / 1.5)
    assert (o.value, o.median, o.score_text, o.points, o.high, o.waiting) == (
        "160",
        "101",  # the median 100.5, shown with the count's 0 decimals, rounded half up
        "26.8",
        6,
        True,
        False,
    )
    assert o.words.startswith("2024: 160 is far from this place’s usual values")
    assert (
        o.observation_id
        == w["homeless"].observations.get(place=w["a"], period__code="2024", organization=None).pk
    )


def test_a_value_marked_not_comparable_is_left_out_of_the_history(w):
    Annotation.objects.create(
        indicator=w["homeless"],
        period=s.period_for("2024"),
        place=w["a"],
        text="Counted another way this year",
        breaks_comparability=True,
    )
    assert quality_report(w["init"], today=TODAY).outliers == []


def test_a_change_of_definition_starts_a_new_history(w):
    s.indicator_update(
        actor=w["admin"],
        indicator=w["homeless"],
        changes={"definition": "Counted all year"},
        expected_version=w["homeless"].version,
        effective_period=s.period_for("2024"),
        reason="Counted all year from 2024",
    )
    # From 2024 on, A has one figure under the new definition: too few to judge.
    assert quality_report(w["init"], today=TODAY).outliers == []


def test_a_value_waiting_for_review_is_judged_and_shown_as_waiting(w):
    # Other's R series for 2019–2023 approved at 50 each (MAD 0, MeanAD 0 → all scores 0),
    # then the submitted 2024 total 50 is usual; change it to 80: the history 50 50 50 50 50 80
    # has median 50, MAD 0, MeanAD = 30 ÷ 6 = 5, M = (80 − 50) ÷ (1.253314 × 5) = 4.787 > 3.5.
    entries = [
        _entry(w, w["homeless"], w["r"], year, w["other"], _count(50))
        for year in ("2019", "2020", "2021", "2022", "2023")
    ]
    s.observations_record(actor=COMMAND_LINE, initiative=w["init"], entries=entries, approve=True)
    assert [o.place.code for o in quality_report(w["init"], today=TODAY).outliers] == ["A"]
    sub = w["last"].submissions.get(organization=w["other"])
    s.submission_return(
        actor=COMMAND_LINE, submission=sub, reason="Check", expected_version=sub.version
    )
    sub.refresh_from_db()
    _report(
        w,
        sub,
        [_entry(w, w["homeless"], w["r"], "2024", w["other"], _count(80))],
        state="submitted",
    )
    outliers = quality_report(w["init"], today=TODAY).outliers
    assert [(o.place.code, o.organization and o.organization.name) for o in outliers] == [
        ("A", None),
        ("R", "Other"),
    ]
    assert outliers[1].score == pytest.approx(30 / (1.253314 * 5))
    assert (outliers[1].value, outliers[1].median, outliers[1].waiting) == ("80", "50", True)


@pytest.mark.parametrize(
    ("score", "shown"),
    [(26.7552, "26.8"), (-4.14, "4.1"), (3.52, "3.52"), (-3.5004, "3.5004"), (3.55, "3.6")],
)
def test_a_score_never_looks_equal_to_the_threshold(score, shown):
    # 3.52 rounds to 3.5 with one decimal, which would look like it is not above 3.5.
    row = OutlierRow(None, None, None, "2024", 1, "approved", "", "", score, 5, "")
    assert row.score_text == shown


# --- Groups that do not add up --------------------------------------------------------------


def test_groups_not_adding_up_in_the_latest_period(w):
    report = quality_report(w["init"], today=TODAY)
    assert [
        (
            p.organization.name,
            p.period,
            p.dimension,
            p.parts_sum,
            p.total,
            p.difference,
            p.words,
        )
        for p in report.parts
    ] == [
        # Clinic: 60 + 30 = 90 with every group reported, total 100: 90 − 100 = −10.
        (
            "Clinic",
            "2024",
            "Shelter status",
            "90",
            "100",
            "−10",
            ("The groups add up to 90, but the total is 100."),
        ),
        # Other: 70 with "unsheltered" missing is already more than the total 50: +20.
        (
            "Other",
            "2024",
            "Shelter status",
            "70",
            "50",
            "+20",
            ("The groups reported add up to 70, more than the total of 50; 1 group has no figure."),
        ),
    ]
    assert [p.missing_parts for p in report.parts] == [0, 1]


def test_groups_are_not_checked_when_the_indicator_says_so(w):
    w["homeless"].parts_rule = RuleSeverity.OFF
    w["homeless"].save()
    assert quality_report(w["init"], today=TODAY).parts == []


def test_groups_below_the_total_with_one_missing_are_fine(w):
    sub = w["last"].submissions.get(organization=w["other"])
    s.submission_return(
        actor=COMMAND_LINE, submission=sub, reason="x", expected_version=sub.version
    )
    sub.refresh_from_db()
    # 40 + (unsheltered missing) ≤ 50: the missing group may make up the rest.
    entry = _entry(w, w["homeless"], w["r"], "2024", w["other"], _count(40), "sheltered")
    _report(w, sub, [entry], state="submitted")
    assert [p.organization.name for p in quality_report(w["init"], today=TODAY).parts] == ["Clinic"]


# --- Late figures ---------------------------------------------------------------------------


def test_late_figures_by_period_length_and_grace(w):
    init = w["init"]
    old = f.indicator(init, "old", name="Old count")
    _community(w, old, w["a"], {"2022": 5})
    f.indicator(init, "never", name="Never reported")
    quarterly = f.indicator(init, "quarterly", name="Quarterly", period_type=PeriodType.QUARTER)
    s.observations_record(
        actor=COMMAND_LINE,
        initiative=init,
        entries=[
            s.Entry(
                indicator=quarterly,
                place=w["a"],
                period=s.period_for("2025Q1"),
                breakdown=s.breakdown_for(init, {}),
                organization=None,
                figures=_count(3),
            )
        ],
    )
    report = quality_report(init, today=TODAY)
    assert STALE_GRACE_DAYS == 90
    # Never reported: late, first. Old count: 2022 ends 2022-12-31; the next year ends
    # 2023-12-31 and is expected 90 days later, 2024-03-30 (Jan 31 + Feb 29 + Mar 30 = 90);
    # to 2025-06-01 that is 365 (to 2025-03-30) + 1 + 30 + 31 + 1 = 428 days late.
    assert [(r.indicator.code, r.staleness.days_late) for r in report.stale] == [
        ("never", 0),
        ("old", 428),
    ]
    old_row = report.stale[1]
    assert (old_row.staleness.last_label, old_row.staleness.expected_by, old_row.days_late) == (
        "2022",
        date(2024, 3, 30),
        "428",
    )
    assert report.stale[0].staleness.last_end is None
    # homeless (2024 → next ends 2025-12-31, due 2026-03-31), screened (the same) and the
    # quarterly one (2025Q1 → 2025Q2 ends 2025-06-30, due 2025-09-28) are not late.
    assert (report.up_to_date, report.indicators) == (3, 5)
    later = {r.indicator.code: r for r in quality_report(init, today=date(2025, 9, 29)).stale}
    assert (later["quarterly"].period_months, later["quarterly"].staleness.days_late) == (3, 1)


def test_only_approved_figures_count_for_lateness(w):
    pending = f.indicator(w["init"], "pending", name="Pending count")
    extra = s.round_open(
        actor=COMMAND_LINE,
        initiative=w["init"],
        name="2024 extra",
        period=s.period_for("2024"),
        due_on=date(2025, 1, 31),
        indicators=[pending],
        organizations=[w["other"]],
    )
    entry = _entry(w, pending, w["r"], "2024", w["other"], _count(7))
    _report(w, extra.submissions.get(), [entry], state="submitted")
    # Waiting for review is not approved: no approved figure yet, so late. homeless and
    # screened: 2024 → 2025 ends 2025-12-31, + 90 days = 2026-03-31; on 2026-04-01, 1 day late.
    report = quality_report(w["init"], today=date(2026, 4, 1))
    assert [
        (r.indicator.code, r.staleness.last_end, r.staleness.days_late) for r in report.stale
    ] == [
        ("pending", None, 0),
        ("screened", date(2024, 12, 31), 1),  # "Children screened" before "People homeless"
        ("homeless", date(2024, 12, 31), 1),
    ]
    on_the_day = quality_report(w["init"], today=date(2026, 3, 31))
    assert [r.indicator.code for r in on_the_day.stale] == ["pending"]


# --- Cost -----------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_number_of_values(w):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            quality_report(w["init"], today=TODAY)
        return len(queries)

    before = count()
    assert before <= 15 + 2 * 2  # the documented bound, with 2 indicators
    more = [f.place(w["init"], f"P{n}") for n in range(5)]
    for place in more:
        _community(w, w["homeless"], place, PLACE_A)
    assert count() == before


# --- The page -------------------------------------------------------------------------------


def _url(w) -> str:
    return reverse("measurement:quality", args=[w["init"].slug])


def test_the_page_shows_every_section_to_the_backbone(client, w, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)  # the clock
    client.force_login(w["admin"])
    response = client.get(_url(w))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "What this page checks",
        "modified z-score is above 3.5 or below −3.5",
        "at least 5 figures",
        "expected 90 days after that period ends",
        "75.0%",
        'Above usual<br><span class="muted">score 26.8</span>',
        "The groups add up to 90, but the total is 100.",
        "Nothing to chase: no indicator’s next figure is late.",
    ):
        assert text in page, text
    history = reverse(
        "measurement:review_history",
        args=[w["init"].slug, report_outlier_id(w)],
    )
    assert f'href="{history}"' in page


def report_outlier_id(w) -> int:
    return quality_report(w["init"], today=TODAY).outliers[0].observation_id


def test_the_review_queue_links_to_the_page(client, w):
    client.force_login(w["admin"])
    page = client.get(reverse("measurement:review_queue", args=[w["init"].slug])).content
    assert f'href="{_url(w)}"'.encode() in page


def test_an_empty_initiative_says_there_is_nothing_to_check(client):
    init = f.initiative("empty")
    client.force_login(f.backbone_admin(init))
    response = client.get(reverse("measurement:quality", args=["empty"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "no reporting round has been opened" in page
    assert "Nothing to fix: no recent figure is far from its place’s usual values." in page
    assert "Nothing to fix: in the latest period every breakdown adds up to its total." in page
    assert "the initiative has no indicators" in page


def test_partners_may_not_see_the_page_and_outsiders_are_told_it_does_not_exist(client, w):
    client.force_login(w["steward"])
    assert client.get(_url(w)).status_code == 403
    client.force_login(f.user())
    assert client.get(_url(w)).status_code == 404
    elsewhere = f.initiative("elsewhere")
    client.force_login(f.backbone_admin(elsewhere))
    assert client.get(_url(w)).status_code == 404


def test_signing_in_comes_first(client, w):
    response = client.get(_url(w))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_page_lists_late_figures_with_their_dates(client, w, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: date(2026, 4, 2))
    client.force_login(w["admin"])
    page = client.get(_url(w)).content.decode()
    # 2024 → the 2025 figure, due 2025-12-31 + 90 days = 2026-03-31: 2 days late on 2026-04-02.
    assert "2 of 2 indicators have a late figure." in page
    assert "Indicators whose next figure is late, the longest late first" in page
    row = page[page.index('<th scope="row">People homeless</th>', page.index("stale-caption")) :]
    row = row[: row.index("</tr>")]
    for cell in (
        "<td>Year</td>",
        "<td>2024</td>",
        "<td>Dec. 31, 2025</td>",
        "<td>March 31, 2026</td>",
        '<td class="num">2</td>',
    ):
        assert cell in row, cell
