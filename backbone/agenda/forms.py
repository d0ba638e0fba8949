"""Forms for the results framework (goals and outcomes) and the learning agenda (questions and
improvement cycles). They parse; ``agenda.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backbone.agenda.models import (
    CycleDecision,
    CycleStage,
    Goal,
    LearningQuestion,
    QuestionStatus,
)
from backbone.core.forms import DateInput
from backbone.core.models import Initiative
from backbone.measurement.models import Indicator, Place


class GoalForm(forms.Form):
    title = forms.CharField(
        label=_("Goal"),
        max_length=200,
        help_text=_(
            "A long-term aim the partners share, stated as a condition of the community, e.g. "
            "“Homelessness is rare”."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences on what it means, for people new to the initiative."),
    )


class GoalEditForm(GoalForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class OutcomeForm(forms.Form):
    goal = forms.ModelChoiceField(
        label=_("Under the goal"),
        queryset=Goal.objects.none(),
        empty_label=None,
        help_text=_("The long-term aim this outcome helps reach."),
    )
    title = forms.CharField(
        label=_("Outcome"),
        max_length=200,
        help_text=_(
            "A change in people’s lives the partners work toward, e.g. “More people leave "
            "homelessness for a permanent home”."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the change looks like, and for whom."),
    )
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators that show it"),
        queryset=Indicator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The figures that tell whether this outcome is moving. One indicator may show several "
            "outcomes. The results pages list the outcome’s indicators under it."
        ),
    )

    def __init__(self, *args: object, initiative: Initiative, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = Goal.objects.filter(initiative=initiative)
        self.fields["indicators"].queryset = Indicator.objects.filter(initiative=initiative)
        self.fields["indicators"].label_from_instance = lambda i: f"{i.name} ({i.code})"


class OutcomeEditForm(OutcomeForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- Learning agenda ----------------------------------------------------------------------


def _iso_date(label: str, help_text: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(format="%Y-%m-%d"),
        help_text=help_text,
    )


def _indicator_choices(field: forms.ModelMultipleChoiceField, initiative: Initiative) -> None:
    field.queryset = Indicator.objects.filter(initiative=initiative).order_by("name")
    field.label_from_instance = lambda i: f"{i.name} ({i.code})"


class FieldsetsMixin:
    """Groups of fields, each shown under its own legend: ``[(legend, [field names])]``."""

    fieldsets_spec: list[tuple[str, list[str]]] = []

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields])  # type: ignore[index]
            for legend, names in self.fieldsets_spec
        ]


class LearningQuestionForm(FieldsetsMixin, forms.Form):
    question = forms.CharField(
        label=_("Question"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One question, in plain words, that the partners want their data to answer, e.g. "
            "“Did coordinated entry reduce unsheltered homelessness?” At most 300 characters."
        ),
    )
    why = forms.CharField(
        label=_("Why it matters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the partners would do differently with the answer, and what someone new to "
            "the initiative needs to know to follow it."
        ),
    )
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators that could answer it"),
        queryset=Indicator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The figures to watch. The question then shows on each of these indicators’ pages, "
            "under “What we tried and learned”."
        ),
    )
    asked_on = _iso_date(
        _("Asked on"), _("The day the partners first asked it, for example at a learning meeting.")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=QuestionStatus.choices,
        initial=QuestionStatus.OPEN,
        help_text=_(
            "Open while the partners are still learning. Answered once they agree on what the "
            "data showed. Set aside when it no longer matters or the data cannot answer it."
        ),
    )
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the partners concluded, and how sure they are. Needed once the question is "
            "answered; for a question set aside, you may say why here."
        ),
    )
    answered_on = _iso_date(
        _("Answered on"),
        _("The day the partners agreed on the answer. Leave empty while the question is open."),
        required=False,
    )
    fieldsets_spec = [
        (_("The question"), ["question", "why", "indicators", "asked_on"]),
        (_("What the partners learned"), ["status", "answer", "answered_on"]),
    ]

    def __init__(self, *args: object, initiative: Initiative, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _indicator_choices(self.fields["indicators"], initiative)


class LearningQuestionEditForm(LearningQuestionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ImprovementCycleForm(FieldsetsMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("A short name for the change being tried, e.g. “Landlord engagement pilot”."),
    )
    question = forms.ModelChoiceField(
        label=_("Learning question"),
        queryset=LearningQuestion.objects.none(),
        required=False,
        empty_label=_("None: a cycle of its own"),
        help_text=_("The learning question this cycle tests an idea for, if there is one."),
    )
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators to watch"),
        queryset=Indicator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The figures that should move if the change works. The cycle then shows on each of "
            "these indicators’ pages, under “What we tried and learned”."
        ),
    )
    place = forms.ModelChoiceField(
        label=_("Where it was tried"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_("Everywhere in the initiative"),
        help_text=_("The place where the change was tried, if it was tried in one place only."),
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=CycleStage.choices,
        initial=CycleStage.PLAN,
        help_text=_(
            "Where the cycle is now: Plan (getting ready), Do (trying the change), Study "
            "(looking at what the data showed), Act (deciding what comes next), or Done."
        ),
    )
    plan = forms.CharField(
        label=_("Plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What we will try, who will do it, and what we predict will happen to the figures."
        ),
    )
    do = forms.CharField(
        label=_("Do"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What actually happened when the change was tried, surprises included."),
    )
    study = forms.CharField(
        label=_("Study"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the data showed, compared with what we predicted."),
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=CycleDecision.choices,
        required=False,
        help_text=_(
            "What the partners decided: adopt the change, adapt it and try again, or abandon it."
        ),
    )
    act = forms.CharField(
        label=_("Act"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why that decision, and what happens next."),
    )
    started_on = _iso_date(_("Started on"), _("The day the cycle began, planning included."))
    changed_on = _iso_date(
        _("Change put in place on"),
        _(
            "The day the change was put in place. It falls between the start and the end of "
            "the cycle. Leave empty until it happens."
        ),
        required=False,
    )
    starts_new_phase = forms.BooleanField(
        label=_("Start a new phase on the control charts"),
        required=False,
        help_text=_(
            "Recompute control-chart limits from this date: the process changed, so earlier "
            "limits no longer describe it. Needs the day the change was put in place."
        ),
    )
    ended_on = _iso_date(
        _("Ended on"),
        _("The day the cycle ended. Leave empty while it goes on; a finished cycle needs it."),
        required=False,
    )
    finding = forms.CharField(
        label=_("Finding"),
        max_length=300,
        required=False,
        help_text=_(
            "What was learned, in one sentence: it is shown on the indicators’ pages when the "
            "cycle ends. At most 300 characters."
        ),
    )
    fieldsets_spec = [
        (_("What is being tried"), ["title", "question", "indicators", "place", "stage"]),
        (_("Plan, do, study, act"), ["plan", "do", "study", "decision", "act"]),
        (_("Dates"), ["started_on", "changed_on", "starts_new_phase", "ended_on"]),
        (_("What was learned"), ["finding"]),
    ]

    def __init__(self, *args: object, initiative: Initiative, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = LearningQuestion.objects.filter(initiative=initiative)
        _indicator_choices(self.fields["indicators"], initiative)
        self.fields["place"].queryset = Place.objects.filter(initiative=initiative)
        self.fields["place"].label_from_instance = lambda p: f"{p.name} ({p.code})"


class ImprovementCycleEditForm(ImprovementCycleForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
