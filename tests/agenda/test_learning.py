"""The learning agenda: learning questions and improvement cycles (plan, do, study, act) — their
writes, the reads the indicator pages and control charts use, and the pages."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from backbone.agenda import services as a
from backbone.agenda.models import (
    CycleStage,
    ImprovementCycle,
    LearningQuestion,
    QuestionStatus,
)
from backbone.agenda.selectors import TimelineEntry, learning_for, phase_changes, timeline
from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import AuditEvent, PartnerKind, Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    init = f.initiative("learn")
    admin = f.backbone_admin(init, email="alex@example.org")
    second = f.backbone_admin(init, email="sam@example.org")
    second.full_name = "Sam Second"
    second.save()
    clinic = f.partnership(init, f.organization("Clinic"))
    funder_org = f.partnership(init, f.organization("Fund"), kind=PartnerKind.FUNDER).organization
    other = f.initiative("other")
    people = f.indicator(init, "people", name="People homeless")
    exits = f.rate_indicator(init, "exits", name="Exits to housing")
    ohio = f.place(init, "OH", level="state")
    cincinnati = f.place(init, "OH-500", ohio, level="CoC")
    return {
        "init": init,
        "admin": admin,
        "second": second,
        "anonymous": AnonymousUser(),
        "member": f.member(clinic.organization, Role.MEMBER),
        "steward": f.member(clinic.organization, Role.DATA_STEWARD),
        "funder": f.member(funder_org, Role.FUNDER),
        "admin_in_partner": f.member(clinic.organization, Role.BACKBONE_ADMIN),
        "other": other,
        "other_admin": f.backbone_admin(other),
        "other_indicator": f.indicator(other, "theirs"),
        "other_place": f.place(other, "ELSEWHERE"),
        "people": people,
        "exits": exits,
        "ohio": ohio,
        "cincinnati": cincinnati,
    }


NOT_ALLOWED = ["anonymous", "member", "steward", "funder", "admin_in_partner", "other_admin"]


def state() -> tuple:
    return (
        sorted(
            LearningQuestion.objects.values_list(
                "pk", "question", "status", "answer", "answered_on", "version"
            )
        ),
        sorted(
            ImprovementCycle.objects.values_list(
                "pk", "title", "stage", "question_id", "changed_on", "ended_on", "version"
            )
        ),
        sorted(LearningQuestion.indicators.through.objects.values_list("pk", "indicator_id")),
        sorted(ImprovementCycle.indicators.through.objects.values_list("pk", "indicator_id")),
        AuditEvent.objects.count(),
    )


def ask(w, text="Did coordinated entry reduce unsheltered homelessness?", **extra):
    fields = {"asked_on": date(2022, 2, 9), "indicators": [w["people"]], **extra}
    return a.question_create(actor=w["admin"], initiative=w["init"], question=text, **fields)


def pilot(w, title="Landlord engagement pilot", **extra):
    fields = {"started_on": date(2023, 3, 1), "indicators": [w["exits"]], **extra}
    return a.cycle_create(actor=w["admin"], initiative=w["init"], title=title, **fields)


# --- Questions ------------------------------------------------------------------------------


def test_a_question_is_added_with_its_indicators_and_audited(w):
    made = ask(w, text="  Did coordinated entry work?  ", why=" It is new. ")
    made.refresh_from_db()
    assert (made.question, made.why, made.status, made.version) == (
        "Did coordinated entry work?",
        "It is new.",
        QuestionStatus.OPEN,
        1,
    )
    assert list(made.indicators.values_list("code", flat=True)) == ["people"]
    event = AuditEvent.objects.get(action="learning_question.create")
    assert event.actor == w["admin"]
    assert event.summary == "Added the learning question Did coordinated entry work?"
    assert event.after["indicators"] == ["people"]
    assert event.after["asked_on"] == "2022-02-09"


def test_a_question_needs_words_and_is_answered_after_it_was_asked(w):
    before = state()
    cases = [
        ({"text": "   "}, "question", "Write the question"),
        ({"text": "x" * 301}, "question", "at most 300"),
        ({"status": QuestionStatus.ANSWERED, "answered_on": date(2023, 1, 1)}, "answer", "answer"),
        ({"status": QuestionStatus.ANSWERED, "answer": "Yes."}, "answered_on", "date it was"),
        ({"answered_on": date(2022, 2, 8)}, "answered_on", "before it was asked"),
        ({"status": "maybe"}, "status", "is not a valid choice"),
    ]
    for extra, field, words in cases:
        with pytest.raises(ValidationError) as caught:
            ask(w, **extra)
        assert field in caught.value.message_dict, extra
        assert words.lower() in " ".join(caught.value.message_dict[field]).lower(), extra
    assert state() == before


def test_a_question_links_only_indicators_of_its_own_initiative(w):
    before = state()
    with pytest.raises(ValidationError, match="belong to this initiative"):
        ask(w, indicators=[w["people"], w["other_indicator"]])
    question = ask(w)
    before = state()
    with pytest.raises(ValidationError, match="belong to this initiative"):
        a.question_update(
            actor=w["admin"],
            question=question,
            changes={},
            expected_version=1,
            indicators=[w["other_indicator"]],
        )
    assert state() == before


def test_a_question_is_answered_and_a_stale_edit_names_who_changed_it(w):
    question = ask(w)
    a.question_update(
        actor=w["second"],
        question=question,
        changes={
            "status": QuestionStatus.ANSWERED,
            "answer": " Unsheltered counts fell after it began. ",
            "answered_on": date(2024, 6, 1),
        },
        expected_version=1,
        indicators=[w["people"], w["exits"]],
    )
    question.refresh_from_db()
    assert (question.status, question.answer, question.answered_on, question.version) == (
        "answered",
        "Unsheltered counts fell after it began.",
        date(2024, 6, 1),
        2,
    )
    assert sorted(question.indicators.values_list("code", flat=True)) == ["exits", "people"]
    event = AuditEvent.objects.get(action="learning_question.update")
    assert (event.before["status"], event.after["status"]) == ("open", "answered")
    assert (event.before["indicators"], event.after["indicators"]) == (
        ["people"],
        ["exits", "people"],
    )
    before = state()
    with pytest.raises(ConflictError, match="Sam Second changed this") as caught:
        a.question_update(
            actor=w["admin"], question=question, changes={"why": "Mine"}, expected_version=1
        )
    assert caught.value.changed_by == "Sam Second"
    with pytest.raises(DomainError, match="cannot be changed: initiative"):
        a.question_update(
            actor=w["admin"],
            question=question,
            changes={"initiative": w["other"]},
            expected_version=2,
        )
    assert state() == before


@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_only_the_backbone_keeps_the_learning_agenda(w, role):
    question = ask(w)
    cycle = pilot(w, question=question)
    before = state()
    actor = w[role]
    with pytest.raises(PermissionDenied):
        a.question_create(
            actor=actor, initiative=w["init"], question="Mine?", asked_on=date(2024, 1, 1)
        )
    with pytest.raises(PermissionDenied):
        a.question_update(actor=actor, question=question, changes={"why": "x"}, expected_version=1)
    with pytest.raises(PermissionDenied):
        a.cycle_create(actor=actor, initiative=w["init"], title="Mine", started_on=date(2024, 1, 1))
    with pytest.raises(PermissionDenied):
        a.cycle_update(
            actor=actor, cycle=cycle, changes={"stage": CycleStage.DO}, expected_version=1
        )
    assert state() == before


# --- Improvement cycles ---------------------------------------------------------------------


def test_a_cycle_is_added_and_moves_through_its_stages(w):
    question = ask(w)
    cycle = pilot(w, question=question, place=w["cincinnati"], plan=" Call landlords weekly. ")
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.plan, cycle.place, cycle.question, cycle.version) == (
        "plan",
        "Call landlords weekly.",
        w["cincinnati"],
        question,
        1,
    )
    created = AuditEvent.objects.get(action="improvement_cycle.create")
    assert created.summary == "Added the improvement cycle Landlord engagement pilot"
    assert (created.after["place"], created.after["indicators"]) == ("Place OH-500", ["exits"])

    a.cycle_update(
        actor=w["admin"],
        cycle=cycle,
        changes={
            "stage": CycleStage.DO,
            "do": "40 landlords joined.",
            "changed_on": date(2023, 5, 15),
        },
        expected_version=1,
    )
    a.cycle_update(
        actor=w["admin"],
        cycle=cycle,
        changes={
            "stage": CycleStage.DONE,
            "study": "Exits rose by 4 points.",
            "decision": "adopt",
            "act": "Every CoC takes it up in 2024.",
            "ended_on": date(2023, 12, 31),
            "finding": "Weekly calls keep landlords in.",
        },
        expected_version=2,
    )
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.decision, cycle.ended_on, cycle.version) == (
        "done",
        "adopt",
        date(2023, 12, 31),
        3,
    )
    last = AuditEvent.objects.filter(action="improvement_cycle.update").first()
    assert (last.before["stage"], last.after["stage"]) == ("do", "done")
    assert (last.before["ended_on"], last.after["ended_on"]) == (None, "2023-12-31")


CYCLE_DATES = [
    pytest.param(
        {"ended_on": date(2023, 2, 28)}, "ended_on", "cannot end before it started", id="end"
    ),
    pytest.param(
        {"changed_on": date(2023, 2, 1)}, "changed_on", "before the cycle started", id="change<"
    ),
    pytest.param(
        {"changed_on": date(2023, 7, 1), "ended_on": date(2023, 6, 30)},
        "changed_on",
        "after the cycle ended",
        id="change>",
    ),
    pytest.param({"starts_new_phase": True}, "changed_on", "the charts start", id="phase"),
    pytest.param({"stage": CycleStage.DONE}, "ended_on", "finished cycle", id="done"),
    pytest.param({"decision": "shrug"}, "decision", "is not a valid choice", id="decision"),
    pytest.param({"title": "  "}, "title", "short title", id="title"),
]


@pytest.mark.parametrize(("extra", "field", "words"), CYCLE_DATES)
def test_a_cycle_keeps_its_dates_in_order_and_says_which_box_is_wrong(w, extra, field, words):
    before = state()
    with pytest.raises(ValidationError) as caught:
        pilot(w, **extra)
    assert words in " ".join(caught.value.message_dict[field])
    cycle = pilot(w, title="Kept")
    before = state()
    with pytest.raises(ValidationError) as caught:
        a.cycle_update(actor=w["admin"], cycle=cycle, changes=extra, expected_version=1)
    assert words in " ".join(caught.value.message_dict[field])
    assert state() == before


def test_the_change_date_may_be_the_first_or_the_last_day(w):
    cycle = pilot(
        w,
        changed_on=date(2023, 3, 1),
        starts_new_phase=True,
        ended_on=date(2023, 3, 1),
        stage=CycleStage.DONE,
    )
    a.cycle_update(
        actor=w["admin"],
        cycle=cycle,
        changes={"ended_on": date(2023, 9, 30), "changed_on": date(2023, 9, 30)},
        expected_version=1,
    )
    cycle.refresh_from_db()
    assert (cycle.changed_on, cycle.ended_on) == (date(2023, 9, 30), date(2023, 9, 30))


def test_the_database_refuses_dates_out_of_order_even_past_the_services(w):
    for fields in (
        {"ended_on": date(2023, 1, 1)},
        {"changed_on": date(2023, 1, 1)},
        {"changed_on": date(2023, 6, 1), "ended_on": date(2023, 5, 1)},
        {"starts_new_phase": True},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            ImprovementCycle.objects.create(
                initiative=w["init"], title="Raw", started_on=date(2023, 3, 1), **fields
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        LearningQuestion.objects.create(
            initiative=w["init"],
            question="Raw?",
            asked_on=date(2023, 3, 1),
            answered_on=date(2023, 2, 1),
        )
    assert not ImprovementCycle.objects.exists() and not LearningQuestion.objects.exists()


def test_a_cycle_links_only_its_own_initiatives_question_place_and_indicators(w):
    theirs = a.question_create(
        actor=w["other_admin"], initiative=w["other"], question="Theirs?", asked_on=date(2023, 1, 1)
    )
    before = state()
    for extra, field in (
        ({"question": theirs}, "question"),
        ({"place": w["other_place"]}, "place"),
        ({"indicators": [w["other_indicator"]]}, "indicators"),
    ):
        with pytest.raises(ValidationError) as caught:
            pilot(w, **extra)
        assert "belong to this initiative" in " ".join(caught.value.message_dict[field])
    assert state() == before
    cycle = pilot(w)
    before = state()
    for changes in ({"question": theirs}, {"place": w["other_place"]}):
        with pytest.raises(ValidationError, match="belong to this initiative"):
            a.cycle_update(actor=w["admin"], cycle=cycle, changes=changes, expected_version=1)
    with pytest.raises(ValidationError, match="belong to this initiative"):
        a.cycle_update(
            actor=w["admin"],
            cycle=cycle,
            changes={},
            expected_version=1,
            indicators=[w["other_indicator"]],
        )
    assert state() == before


def test_a_stale_cycle_edit_saves_nothing_and_names_who_changed_it(w):
    cycle = pilot(w)
    a.cycle_update(
        actor=w["second"], cycle=cycle, changes={"stage": CycleStage.DO}, expected_version=1
    )
    before = state()
    with pytest.raises(ConflictError, match="Sam Second changed this"):
        a.cycle_update(
            actor=w["admin"],
            cycle=ImprovementCycle.objects.get(pk=cycle.pk),
            changes={"finding": "Mine"},
            expected_version=1,
            indicators=[w["people"]],
        )
    assert state() == before


# --- Reads ----------------------------------------------------------------------------------


def test_learning_for_lists_open_then_closed_questions_newest_first_with_their_cycles(w):
    older = ask(w, text="Older?", asked_on=date(2021, 1, 1))
    newer = ask(w, text="Newer?", asked_on=date(2023, 1, 1))
    done = ask(
        w,
        text="Done?",
        status=QuestionStatus.ANSWERED,
        answer="Yes.",
        answered_on=date(2022, 1, 1),
        asked_on=date(2021, 6, 1),
    )
    aside = ask(w, text="Aside?", status=QuestionStatus.SET_ASIDE, asked_on=date(2020, 1, 1))
    first = pilot(w, title="First", question=newer, started_on=date(2023, 2, 1))
    second = pilot(w, title="Second", question=newer, started_on=date(2023, 8, 1))
    loose = pilot(w, title="Loose")
    theirs = a.question_create(
        actor=w["other_admin"], initiative=w["other"], question="Theirs?", asked_on=date(2024, 1, 1)
    )
    agenda = learning_for(w["init"])
    assert [row.question for row in agenda.open] == [newer, older]
    assert [row.cycles for row in agenda.open] == [[second, first], []]
    assert [row.question for row in agenda.closed] == [done, aside]
    assert agenda.unlinked_cycles == [loose]
    assert theirs not in [row.question for row in agenda.open + agenda.closed]
    assert not agenda.is_empty
    assert learning_for(f.initiative("empty")).is_empty


def test_the_timeline_lists_each_linked_event_in_date_order(w):
    asked = ask(
        w,
        text="Why are exits lower?",
        why="A gap by race.",
        asked_on=date(2023, 1, 18),
        indicators=[w["exits"]],
        status=QuestionStatus.ANSWERED,
        answer="Landlords refused.",
        answered_on=date(2024, 3, 1),
    )
    cycle = pilot(
        w,
        question=asked,
        place=w["cincinnati"],
        plan="Call landlords.",
        changed_on=date(2023, 5, 15),
        starts_new_phase=True,
        ended_on=date(2023, 12, 31),
        stage=CycleStage.DONE,
        decision="adapt",
        finding="Calls help; money helps more.",
    )
    # Not on this indicator: another indicator's question, a set-aside question's answer.
    ask(w, text="About people?", asked_on=date(2023, 2, 1), indicators=[w["people"]])
    ask(
        w,
        text="Set aside?",
        asked_on=date(2023, 4, 1),
        indicators=[w["exits"]],
        status=QuestionStatus.SET_ASIDE,
        answer="No data.",
        answered_on=date(2023, 4, 2),
    )
    agenda = "/i/learn/learning/#"
    q, c = f"{agenda}question-{asked.pk}", f"{agenda}cycle-{cycle.pk}"
    set_aside = LearningQuestion.objects.get(question="Set aside?")
    assert timeline(w["exits"]) == [
        TimelineEntry(date(2023, 1, 18), "question", "Why are exits lower?", "A gap by race.", q),
        TimelineEntry(
            date(2023, 3, 1),
            "cycle-start",
            "Landlord engagement pilot",
            "Tried in Place OH-500. Call landlords.",
            c,
        ),
        TimelineEntry(
            date(2023, 4, 1), "question", "Set aside?", "", f"{agenda}question-{set_aside.pk}"
        ),
        TimelineEntry(
            date(2023, 5, 15),
            "change",
            "Landlord engagement pilot",
            "Tried in Place OH-500. The process changed, so control-chart limits are worked "
            "out again from here.",
            c,
        ),
        TimelineEntry(
            date(2023, 12, 31),
            "cycle-end",
            "Landlord engagement pilot",
            "Calls help; money helps more. Decision: Adapt: change it and try again.",
            c,
        ),
        TimelineEntry(date(2024, 3, 1), "answer", "Why are exits lower?", "Landlords refused.", q),
    ]
    # The place the page shows does not hide a cycle tried elsewhere.
    assert timeline(w["exits"], place=w["ohio"]) == timeline(w["exits"])
    assert [e.kind_label for e in timeline(w["exits"])][:2] == [
        "Question asked",
        "Improvement cycle started",
    ]


def test_on_one_day_the_timeline_reads_asked_started_changed_ended_answered(w):
    day = date(2023, 3, 1)
    pilot(w, changed_on=day, ended_on=day, stage=CycleStage.DONE)
    ask(
        w,
        asked_on=day,
        indicators=[w["exits"]],
        status=QuestionStatus.ANSWERED,
        answer="Yes.",
        answered_on=day,
    )
    assert [e.kind for e in timeline(w["exits"])] == [
        "question",
        "cycle-start",
        "change",
        "cycle-end",
        "answer",
    ]


def test_an_indicator_with_nothing_linked_has_an_empty_timeline_and_no_phases(w):
    pilot(w, changed_on=date(2023, 5, 1), starts_new_phase=True)  # linked to exits only
    assert timeline(w["people"]) == []
    assert phase_changes(w["people"]) == []


def test_phase_changes_are_the_change_dates_of_cycles_that_start_a_new_phase(w):
    pilot(
        w,
        title="Later pilot",
        started_on=date(2024, 1, 1),
        changed_on=date(2024, 2, 1),
        starts_new_phase=True,
    )
    pilot(w, title="Landlord incentive pilot", changed_on=date(2023, 5, 15), starts_new_phase=True)
    pilot(w, title="No new phase", changed_on=date(2023, 4, 1))
    pilot(
        w,
        title="Other indicator",
        changed_on=date(2023, 4, 1),
        starts_new_phase=True,
        indicators=[w["people"]],
    )
    assert phase_changes(w["exits"]) == [
        (date(2023, 5, 15), "Improvement cycle “Landlord incentive pilot” changed the process"),
        (date(2024, 2, 1), "Improvement cycle “Later pilot” changed the process"),
    ]


# --- Pages ----------------------------------------------------------------------------------


def url(name: str, *args: object) -> str:
    return reverse(f"agenda:{name}", args=["learn", *args])


QUESTION_FORM = {
    "question": "Did coordinated entry reduce unsheltered homelessness?",
    "why": "Every CoC now uses one front door.",
    "asked_on": "2022-02-09",
    "status": "open",
    "answer": "",
    "answered_on": "",
}
CYCLE_FORM = {
    "title": "Landlord engagement pilot",
    "question": "",
    "place": "",
    "stage": "study",
    "plan": "Call landlords weekly; we predict 5 points more exits.",
    "do": "40 landlords joined.",
    "study": "",
    "decision": "",
    "act": "",
    "started_on": "2023-03-01",
    "changed_on": "2023-05-15",
    "ended_on": "",
    "finding": "",
}


def test_people_who_take_part_read_the_agenda_and_only_the_backbone_gets_the_buttons(client, w):
    question = ask(w)
    cycle = pilot(w, question=question, stage=CycleStage.STUDY, plan="Call landlords weekly.")
    client.force_login(w["member"])
    response = client.get(url("learning"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Did coordinated entry reduce unsheltered homelessness?" in html
    assert reverse("measurement:indicator_detail", args=["learn", "people"]) in html
    assert f'id="cycle-{cycle.pk}"' in html and "Call landlords weekly." in html
    # The four steps, with the current one marked for screen readers too.
    assert html.count('aria-current="step"') == 1
    current = html.split('aria-current="step"')[1].split("</li>")[0]
    assert "3. Study" in current and "Current stage" in current
    assert "Add a learning question" not in html and url("cycle_edit", cycle.pk) not in html
    assert f'href="{url("learning")}"' in html  # the menu's "Learning" link
    client.force_login(w["admin"])
    html = client.get(url("learning")).content.decode()
    for link in (url("question_create"), url("cycle_create"), url("cycle_edit", cycle.pk)):
        assert link in html
    assert url("question_edit", question.pk) in html


def test_an_empty_agenda_says_so(client, w):
    client.force_login(w["admin"])
    html = client.get(url("learning")).content.decode()
    assert "No learning questions or improvement cycles yet." in html


def test_the_agenda_is_internal(client, w):
    assert client.get(url("learning")).status_code == 302  # sign in first
    client.force_login(w["other_admin"])
    assert client.get(url("learning")).status_code == 404
    public = f.initiative("open", is_public=True)
    client.force_login(w["member"])
    assert client.get(reverse("agenda:learning", args=[public.slug])).status_code == 403
    # …and the menu of a public initiative offers it to nobody outside.
    home = client.get(reverse("core:initiative_home", args=[public.slug])).content.decode()
    assert reverse("agenda:learning", args=[public.slug]) not in home


def test_the_forms_explain_every_field(client, w):
    client.force_login(w["admin"])
    for name, form in (("question_create", QUESTION_FORM), ("cycle_create", CYCLE_FORM)):
        html = client.get(url(name)).content.decode()
        for field in form:
            assert f'aria-describedby="id_{field}_helptext"' in html, (name, field)
    html = client.get(url("cycle_create")).content.decode()
    assert (
        "Recompute control-chart limits from this date: the process changed, so earlier "
        "limits no longer describe it." in html
    )


def test_an_admin_adds_a_question_and_a_cycle_through_the_forms(client, w):
    client.force_login(w["admin"])
    response = client.post(
        url("question_create"), {**QUESTION_FORM, "indicators": [w["people"].pk]}
    )
    assert response.status_code == 302 and response.url == url("learning")
    question = LearningQuestion.objects.get(initiative=w["init"])
    assert (question.asked_on, list(question.indicators.all())) == (date(2022, 2, 9), [w["people"]])
    form = {
        **CYCLE_FORM,
        "question": question.pk,
        "place": w["cincinnati"].pk,
        "indicators": [w["exits"].pk],
    }
    response = client.post(url("cycle_create"), form)
    assert response.status_code == 302
    cycle = ImprovementCycle.objects.get(initiative=w["init"])
    assert (cycle.stage, cycle.question, cycle.place, cycle.changed_on) == (
        "study",
        question,
        w["cincinnati"],
        date(2023, 5, 15),
    )
    page = client.get(url("learning")).content.decode()
    assert "The improvement cycle Landlord engagement pilot was added." in page
    # A cycle started from a question's page comes with that question chosen.
    html = client.get(url("cycle_create") + f"?question={question.pk}").content.decode()
    assert f'<option value="{question.pk}" selected>' in html


def test_an_invalid_cycle_answers_422_with_the_problem_at_its_box(client, w):
    client.force_login(w["admin"])
    before = state()
    response = client.post(
        url("cycle_create"), {**CYCLE_FORM, "ended_on": "2023-04-01", "starts_new_phase": "on"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Please correct the following" in html
    assert "The change cannot be put in place after the cycle ended." in html
    assert 'href="#id_changed_on"' in html
    assert 'name="changed_on" value="2023-05-15" aria-invalid="true"' in html
    response = client.post(url("question_create"), {**QUESTION_FORM, "asked_on": "soon"})
    assert response.status_code == 422
    assert "Enter a valid date." in response.content.decode()
    assert state() == before


def test_a_stale_edit_answers_409_names_who_changed_it_and_keeps_what_was_typed(client, w):
    cycle = pilot(w, plan="First plan.")
    a.cycle_update(
        actor=w["second"],
        cycle=cycle,
        changes={"plan": "Sam’s plan.", "stage": CycleStage.DO},
        expected_version=1,
    )
    client.force_login(w["admin"])
    before = state()
    form = {**CYCLE_FORM, "stage": "plan", "plan": "Alex’s plan.", "indicators": [w["exits"].pk]}
    response = client.post(url("cycle_edit", cycle.pk), {**form, "version": 1})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Sam Second changed this while you were editing it" in html
    assert "Sam’s plan.</textarea>" in html  # the form now shows what they saved…
    assert 'name="version" value="2"' in html
    assert "<dd>Alex’s plan.</dd>" in html  # …and what this person typed, to copy back
    assert "<dd>Plan</dd>" in html and "<dd>plan</dd>" not in html  # a stage by its name
    assert state() == before
    # Saving again, on the version now shown, goes through.
    response = client.post(url("cycle_edit", cycle.pk), {**form, "version": 2})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.plan, cycle.version) == ("Alex’s plan.", 3)


def test_a_stale_question_edit_answers_409(client, w):
    question = ask(w)
    a.question_update(
        actor=w["second"], question=question, changes={"why": "Sam’s reason."}, expected_version=1
    )
    client.force_login(w["admin"])
    before = state()
    response = client.post(
        url("question_edit", question.pk), {**QUESTION_FORM, "why": "Alex’s reason.", "version": 1}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Sam Second changed this" in html and "Sam’s reason.</textarea>" in html
    assert state() == before


def test_others_who_take_part_cannot_write_and_nothing_changes(client, w):
    question = ask(w)
    cycle = pilot(w)
    before = state()
    for role in ("member", "steward", "funder", "admin_in_partner"):
        client.force_login(w[role])
        for target, data in (
            (url("question_create"), QUESTION_FORM),
            (url("question_edit", question.pk), {**QUESTION_FORM, "version": 1}),
            (url("cycle_create"), CYCLE_FORM),
            (url("cycle_edit", cycle.pk), {**CYCLE_FORM, "version": 1}),
        ):
            assert client.get(target).status_code == 403, (role, target)
            assert client.post(target, data).status_code == 403, (role, target)
    assert state() == before


def test_another_initiatives_question_or_cycle_is_not_found_here(client, w):
    theirs = a.question_create(
        actor=w["other_admin"], initiative=w["other"], question="Theirs?", asked_on=date(2023, 1, 1)
    )
    their_cycle = a.cycle_create(
        actor=w["other_admin"], initiative=w["other"], title="Theirs", started_on=date(2023, 1, 1)
    )
    client.force_login(w["admin"])
    before = state()
    assert client.get(url("question_edit", theirs.pk)).status_code == 404
    assert (
        client.post(url("cycle_edit", their_cycle.pk), {**CYCLE_FORM, "version": 1}).status_code
        == 404
    )
    assert state() == before


# --- The indicator page's timeline ----------------------------------------------------------


def _timeline_html(w, entries) -> str:
    request = RequestFactory().get("/")
    context = {"initiative": w["init"], "learning_timeline": entries}
    return render_to_string("agenda/includes/learning_timeline.html", context, request=request)


def test_the_timeline_include_lists_the_entries_with_their_dates(w):
    entries = [
        TimelineEntry(date(2023, 3, 1), "cycle-start", "Pilot", "Tried in Cincinnati.", "/x#c"),
        TimelineEntry(date(2023, 5, 15), "change", "Pilot", "", "/x#c"),
    ]
    html = _timeline_html(w, entries)
    assert "What we tried and learned" in html
    assert html.count("<li") == 2
    assert '<time datetime="2023-03-01">March 1, 2023</time> · Improvement cycle started' in html
    assert '<a href="/x#c">Pilot</a>' in html and "Tried in Cincinnati." in html
    assert html.index("March 1, 2023") < html.index("May 15, 2023")


def test_the_timeline_include_says_when_nothing_is_linked_and_hides_for_outsiders(w):
    html = _timeline_html(w, [])
    assert "No learning questions or improvement cycles are linked to this indicator yet." in html
    assert f'href="{url("learning")}"' in html
    assert _timeline_html(w, None).strip() == ""
    # A page that leaves it out altogether shows nothing either.
    request = RequestFactory().get("/")
    left_out = render_to_string(
        "agenda/includes/learning_timeline.html", {"initiative": w["init"]}, request=request
    )
    assert left_out.strip() == ""
