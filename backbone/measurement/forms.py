"""Forms of the indicator library. They parse and explain; ``measurement.library`` decides.

Every field carries plain-language help: what it means and when to choose what, with examples,
because the people who set up indicators are rarely statisticians.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backbone.measurement import services
from backbone.measurement.models import Dimension, DimensionMember, Indicator, Place
from backbone.measurement.periods import EXAMPLES, PeriodCodeError, parse_period

HELP = {
    "code": _(
        "A short name for files and web addresses: lowercase letters, digits and hyphens, e.g. "
        "“people-homeless”. Partners’ spreadsheets use it, so it cannot change later."
    ),
    "name": _(
        "The name people see on charts and reports, e.g. “People experiencing homelessness”."
    ),
    "definition": _(
        "In plain words: who or what is counted, where and when. Someone reading a chart should "
        "understand it without asking."
    ),
    "unit": _(
        "Count: a number of people or things. Percent: a share out of 100. Rate per N: events "
        "per 1,000 people (or another base). Currency: money. Score: points on a scale."
    ),
    "rate_base": _(
        "What a percent or rate is “per”. A percent is per 100. “12.5 per 1,000 children” has "
        "base 1,000; “300 per 100,000 residents” has base 100,000. Counts do not use it: leave 100."
    ),
    "decimals": _(
        "How many digits after the decimal point charts and tables show: 0 for people counted, "
        "1 for a percent such as 42.5%."
    ),
    "direction": _(
        "Which way is good news. Choose “Lower is better” when less is the aim — people homeless, "
        "people returning to homelessness, days absent from school. Choose “Higher is better” for "
        "people housed or children ready for school. “Neither” is for context, such as population."
    ),
    "level": _(
        "Population: a condition of the whole community (everyone homeless in the county), which "
        "no single program controls. Performance: how one program does for the people it serves."
    ),
    "performance_kind": _(
        "Program measures only. How much did we do? (people served). How well did we do it? "
        "(share served within a week). Is anyone better off? (share who moved into a home). "
        "For a population indicator choose “Not a performance measure”."
    ),
    "aggregation": _(
        "How figures from several partners, places or groups become one. “Add up” is for counts: "
        "each partner’s people served add to the total. “Ratio of sums” is for percents and "
        "rates: add up every numerator, add up every denominator, then divide once — never average "
        "the percents, or a partner serving 10 people would weigh as much as one serving 1,000. "
        "“Latest value” is for stocks counted at one moment, such as beds available."
    ),
    "numerator_label": _(
        "For percents and rates: what is counted on top, e.g. “People who moved into permanent "
        "housing”."
    ),
    "denominator_label": _(
        "What it is out of, e.g. “People who left the program”. Partners report both numbers."
    ),
    "period_type": _(
        "How often figures are reported: each year, quarter, month, school year or fiscal year. "
        "It cannot change later."
    ),
    "source": _(
        "Where the figures come from, e.g. “HUD Point-in-Time count”, so readers can check them."
    ),
    "is_public": _(
        "Ticked: if the initiative is public, anyone — without signing in — sees this indicator "
        "and its approved figures (counts smaller than the initiative’s small-number threshold "
        "are still hidden, so nobody can be identified). Not ticked: only people who take part in "
        "the initiative see it. Leave it unticked for figures about a program’s own clients."
    ),
    "dimensions": _(
        "The ways partners may split the figures into groups, such as race and ethnicity or age, "
        "to see gaps between groups. A split that stored figures use cannot be removed."
    ),
    "min_value": _(
        "The smallest value that makes sense; figures below it are refused. Leave empty for none. "
        "Percents are always checked to be between 0 and 100."
    ),
    "max_value": _(
        "The largest value that makes sense; figures above it are refused. Leave empty for none."
    ),
    "numerator_within_denominator": _(
        "Tick for a share of people: people screened out of people eligible, where the first can "
        "never be more than the second. Untick for a rate of events, where one person may count "
        "several times (clinic visits per 100 patients)."
    ),
    "parts_rule": _(
        "When figures are split into groups, the groups should add up to the total (sheltered + "
        "unsheltered = everyone). “Warn, but accept” shows a warning and keeps the figures. "
        "“Refuse the data” sends them back to be fixed. “Do not check” is for groups that "
        "overlap, such as people who may name more than one race."
    ),
    "baseline_period": _(
        "The period progress is measured from, e.g. 2019. Type a period code such as %(examples)s. "
        "Leave empty if none is chosen yet."
    )
    % {"examples": EXAMPLES},
    "effective_period": _(
        "Needed only when you change the definition, unit, rate base, how figures are combined, "
        "the numerator or the denominator: those change what is measured. Type the first period "
        "measured the new way (e.g. 2025). Charts show a break there and never compare values "
        "across it; figures already stored stay as they are."
    ),
    "reason": _(
        "Why it changed, in a sentence readers see as a footnote on charts, e.g. “From 2025 the "
        "count includes people in motels paid for with vouchers.”"
    ),
}

CREATE_FIELDSETS = [
    (_("What it measures"), ["code", "name", "definition", "source", "level", "performance_kind"]),
    (
        _("How figures are reported and combined"),
        [
            "unit",
            "rate_base",
            "aggregation",
            "numerator_label",
            "denominator_label",
            "numerator_within_denominator",
            "period_type",
            "decimals",
        ],
    ),
    (_("How to read progress"), ["direction", "baseline_period"]),
    (_("Who may see it"), ["is_public"]),
    (_("Groups and checks"), ["dimensions", "parts_rule", "min_value", "max_value"]),
]


def _period_code(value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            return parse_period(value).code
        except PeriodCodeError as exc:
            raise forms.ValidationError(str(exc)) from exc
    return ""


class TextWithLineBreaks(forms.CharField):
    """Browsers send a text area's line breaks as CRLF; stored text has LF. Compared as sent, an
    unchanged definition would look changed (and ask for a new definition version) on every
    save."""

    def to_python(self, value: object) -> str:
        return super().to_python(value).replace("\r\n", "\n")


class _IndicatorForm(forms.ModelForm):
    baseline_period = forms.CharField(
        label=_("Baseline period"), required=False, max_length=20, help_text=HELP["baseline_period"]
    )
    fieldsets_spec = CREATE_FIELDSETS

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "definition",
            "unit",
            "rate_base",
            "decimals",
            "direction",
            "level",
            "performance_kind",
            "aggregation",
            "numerator_label",
            "denominator_label",
            "period_type",
            "source",
            "is_public",
            "dimensions",
            "min_value",
            "max_value",
            "numerator_within_denominator",
            "parts_rule",
        ]
        help_texts = {k: v for k, v in HELP.items() if k != "baseline_period"}
        labels = {
            "is_public": _("Public"),
            "dimensions": _("Groups partners may split figures by"),
        }
        field_classes = {"definition": TextWithLineBreaks}
        widgets = {
            "definition": forms.Textarea(attrs={"rows": 3}),
            "dimensions": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: object, initiative, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dimensions"].queryset = Dimension.objects.filter(initiative=initiative)
        self.fields["dimensions"].required = False

    def clean_baseline_period(self) -> str:
        return _period_code(self.cleaned_data.get("baseline_period", ""))

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets_spec
        ]


class IndicatorCreateForm(_IndicatorForm):
    pass


class IndicatorEditForm(_IndicatorForm):
    """The indicator's form without its fixed fields (code, how often it is reported), with
    the version the person saw and, for a change to what is measured, from when and why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    effective_period = forms.CharField(
        label=_("First period measured the new way"),
        required=False,
        max_length=20,
        help_text=HELP["effective_period"],
    )
    reason = forms.CharField(
        label=_("Why the definition changed"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=HELP["reason"],
    )
    fieldsets_spec = [
        (legend, [n for n in names if n not in ("code", "period_type")])
        for legend, names in CREATE_FIELDSETS
    ] + [
        (_("Equity"), ["reference_groups"]),
        (_("If you change what is measured"), ["effective_period", "reason"]),
    ]

    class Meta(_IndicatorForm.Meta):
        fields = [
            *(f for f in _IndicatorForm.Meta.fields if f not in ("code", "period_type")),
            "reference_groups",
        ]
        labels = {**_IndicatorForm.Meta.labels, "reference_groups": _("Reference groups")}
        widgets = {**_IndicatorForm.Meta.widgets, "reference_groups": forms.CheckboxSelectMultiple}

    def __init__(self, *args: object, initiative, **kwargs: object) -> None:
        super().__init__(*args, initiative=initiative, **kwargs)
        if self.instance.baseline_period_id and not self.is_bound:
            self.initial["baseline_period"] = self.instance.baseline_period.code
        field = self.fields["reference_groups"]
        field.queryset = DimensionMember.objects.filter(
            dimension__initiative=initiative
        ).select_related("dimension")
        field.required = False
        field.label_from_instance = lambda m: f"{m.dimension.name}: {m.name}"

    def clean(self) -> dict:
        data = self._clean_definition_change(super().clean())
        chosen = list(data.get("reference_groups") or ())
        dimensions = {d.pk for d in data.get("dimensions") or ()}
        if any(m.dimension_id not in dimensions for m in chosen):
            self.add_error(
                "reference_groups",
                _("Choose reference groups only among the groups this indicator is split by."),
            )
        elif len({m.dimension_id for m in chosen}) < len(chosen):
            self.add_error(
                "reference_groups", _("Choose at most one reference group for each split.")
            )
        return data

    def clean_effective_period(self) -> str:
        return _period_code(self.cleaned_data.get("effective_period", ""))

    def redefined(self) -> list[str]:
        """The fields whose change alters what is measured (a new definition version)."""
        return [n for n in services.DEFINITION_FIELDS if n in self.changed_data]

    def _clean_definition_change(self, data: dict) -> dict:
        if self.redefined():
            if not data.get("effective_period") and "effective_period" not in self.errors:
                self.add_error(
                    "effective_period",
                    _("You changed what is measured: say from which period, e.g. 2025."),
                )
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("You changed what is measured: say why."))
        return data


class MembersField(forms.CharField):
    """Groups typed one a line as ``code: Name``; cleaned to a list of (code, name)."""

    widget = forms.Textarea(attrs={"rows": 6})

    def to_python(self, value: str | None) -> list[tuple[str, str]]:  # type: ignore[override]
        text = super().to_python(value)
        members: list[tuple[str, str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            code, colon, name = line.partition(":")
            if not colon or not code.strip() or not name.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write the group as “code: Name”, e.g. “adult: Adults”."),
                    params={"n": number},
                )
            members.append((code.strip(), name.strip()))
        return members

    def prepare_value(self, value: object) -> object:
        if isinstance(value, list):
            return "\n".join(f"{code}: {name}" for code, name in value)
        return value


MEMBERS_HELP = _(
    "One group a line, as “code: Name”, in the order they should appear, e.g. “black: Black or "
    "African American”. The code is what partners’ files use: keep it when you rename a group. "
    "A group that stored figures use cannot be removed."
)


class DimensionForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_(
            "A short name for files and the API, e.g. “race” or “age-group”. "
            "It cannot change later."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("What the groups are about, e.g. “Race and ethnicity” or “Household type”."),
    )
    members = MembersField(label=_("Groups"), help_text=MEMBERS_HELP)


class DimensionEditForm(forms.Form):
    name = DimensionForm.base_fields["name"]
    members = MembersField(label=_("Groups"), help_text=MEMBERS_HELP)
    state = forms.CharField(widget=forms.HiddenInput, max_length=40)


PLACE_HELP = {
    "code": _(
        "The official code where there is one, e.g. a county FIPS code (39061) or a Continuum of "
        "Care code (OH-500). Partners’ files name places by it, so it cannot change later."
    ),
    "name": _("The name people know, e.g. “Hamilton County”."),
    "level": _(
        "What kind of place it is: state, county, CoC, city, neighbourhood, school… Use the same "
        "word for places of the same kind, so figures can be compared."
    ),
    "parent": _(
        "The larger place this one lies in, e.g. the state a county is in. Figures are not added "
        "up from smaller places automatically. Leave empty for a place at the top."
    ),
}


class PlaceForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=50, help_text=PLACE_HELP["code"])
    name = forms.CharField(label=_("Name"), max_length=200, help_text=PLACE_HELP["name"])
    level = forms.CharField(label=_("Kind of place"), max_length=50, help_text=PLACE_HELP["level"])
    parent = forms.ModelChoiceField(
        label=_("Lies within"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_("— nothing (a place at the top) —"),
        help_text=PLACE_HELP["parent"],
    )

    def __init__(self, *args: object, initiative, exclude: Place | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        places = Place.objects.filter(initiative=initiative).order_by("name")
        if exclude is not None:
            places = places.exclude(pk=exclude.pk)
        self.fields["parent"].queryset = places
        self.fields["parent"].label_from_instance = lambda p: f"{p.name} ({p.level}, {p.code})"


class PlaceEditForm(PlaceForm):
    state = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]
