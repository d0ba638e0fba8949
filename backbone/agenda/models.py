"""The common agenda's results framework: goals, the outcomes under them, and the indicators
that show whether each outcome is moving (an indicator may serve several outcomes).

The learning agenda: the questions the partners want their data to answer, and the improvement
cycles (plan, do, study, act) in which they try a change and watch its indicators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backbone.core.models import Initiative


class Goal(models.Model):
    """A long-term aim of the initiative, e.g. "Homelessness is rare"."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "title"], name="goal_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Outcome(models.Model):
    """A change in people's lives the partners work toward under one goal, shown by indicators."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="outcomes")
    title = models.CharField(_("outcome"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    indicators = models.ManyToManyField(
        "measurement.Indicator", related_name="outcomes", blank=True, verbose_name=_("indicators")
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "title"], name="outcome_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


# --- Learning agenda ----------------------------------------------------------------------


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Open: still learning")
    ANSWERED = "answered", _("Answered")
    SET_ASIDE = "set_aside", _("Set aside")


class LearningQuestion(models.Model):
    """Something the partners want to learn from their data, e.g. "Did coordinated entry reduce
    unsheltered homelessness?", linked to the indicators that could answer it.

    An answered question carries its answer and the date it was answered; an answer never
    predates the question."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="learning_questions"
    )
    question = models.CharField(_("question"), max_length=300)
    why = models.TextField(_("why it matters"), blank=True)
    indicators = models.ManyToManyField(
        "measurement.Indicator",
        related_name="learning_questions",
        blank=True,
        verbose_name=_("indicators"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=QuestionStatus.choices, default=QuestionStatus.OPEN
    )
    asked_on = models.DateField(_("asked on"))
    answer = models.TextField(_("answer"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-asked_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("asked_on")),
                name="learning_question_answered_after_asked",
            ),
        ]

    def __str__(self) -> str:
        return self.question

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.answered_on and self.asked_on and self.answered_on < self.asked_on:
            errors["answered_on"] = _("A question cannot be answered before it was asked.")
        if self.status == QuestionStatus.ANSWERED:
            if not self.answer.strip():
                errors["answer"] = _("Write the answer, in a few plain sentences.")
            if self.answered_on is None:
                errors.setdefault("answered_on", _("Give the date it was answered."))
        if errors:
            raise ValidationError(errors)


class CycleStage(models.TextChoices):
    PLAN = "plan", _("Plan")
    DO = "do", _("Do")
    STUDY = "study", _("Study")
    ACT = "act", _("Act")
    DONE = "done", _("Done")


class CycleDecision(models.TextChoices):
    UNDECIDED = "", _("Not decided yet")
    ADOPT = "adopt", _("Adopt: keep the change")
    ADAPT = "adapt", _("Adapt: change it and try again")
    ABANDON = "abandon", _("Abandon: stop the change")


class ImprovementCycle(models.Model):
    """One plan-do-study-act cycle: a change tried on purpose, with what was predicted, what
    happened, what the data showed and what was decided.

    Dates keep their order: started ≤ change put in place ≤ ended. Only a cycle that says when
    its change was put in place can start a new phase of the control charts (their limits are
    recomputed from that date)."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="improvement_cycles"
    )
    question = models.ForeignKey(
        LearningQuestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cycles",
        verbose_name=_("learning question"),
    )
    title = models.CharField(_("title"), max_length=200)
    indicators = models.ManyToManyField(
        "measurement.Indicator",
        related_name="improvement_cycles",
        blank=True,
        verbose_name=_("indicators"),
    )
    place = models.ForeignKey(
        "measurement.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="improvement_cycles",
        verbose_name=_("where it was tried"),
    )
    plan = models.TextField(_("plan"), blank=True)
    do = models.TextField(_("do"), blank=True)
    study = models.TextField(_("study"), blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=CycleDecision.choices, blank=True
    )
    act = models.TextField(_("act"), blank=True)
    stage = models.CharField(
        _("stage"), max_length=10, choices=CycleStage.choices, default=CycleStage.PLAN
    )
    started_on = models.DateField(_("started on"))
    changed_on = models.DateField(_("change put in place on"), null=True, blank=True)
    starts_new_phase = models.BooleanField(_("starts a new phase on the charts"), default=False)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    finding = models.CharField(_("finding"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="improvement_cycle_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(changed_on__isnull=True) | Q(changed_on__gte=F("started_on")),
                name="improvement_cycle_change_after_start",
            ),
            models.CheckConstraint(
                condition=Q(changed_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(changed_on__lte=F("ended_on")),
                name="improvement_cycle_change_before_end",
            ),
            models.CheckConstraint(
                condition=Q(starts_new_phase=False) | Q(changed_on__isnull=False),
                name="improvement_cycle_phase_needs_change_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        start, changed, end = self.started_on, self.changed_on, self.ended_on
        if start and end and end < start:
            errors["ended_on"] = _("A cycle cannot end before it started.")
        if changed and start and changed < start:
            errors["changed_on"] = _("The change cannot be put in place before the cycle started.")
        elif changed and end and changed > end:
            errors["changed_on"] = _("The change cannot be put in place after the cycle ended.")
        if self.starts_new_phase and changed is None:
            errors.setdefault(
                "changed_on",
                _(
                    "Give the date the change was put in place: the charts start their new "
                    "phase from it."
                ),
            )
        if self.stage == CycleStage.DONE and end is None:
            errors.setdefault("ended_on", _("A finished cycle needs the date it ended."))
        if errors:
            raise ValidationError(errors)
