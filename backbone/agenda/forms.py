"""Forms for the results framework (goals and outcomes). They parse; ``agenda.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backbone.agenda.models import Goal
from backbone.core.models import Initiative
from backbone.measurement.models import Indicator


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
