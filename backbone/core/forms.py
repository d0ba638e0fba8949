"""Forms for the initiative, partner and member screens. They parse; services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from backbone.core.models import Initiative, Organization, PartnerKind, Partnership, Role, Sector
from backbone.core.services import INITIATIVE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class VersionedForm(forms.Form):
    """Carries the version of the object the user is editing (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class InitiativeSettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Initiative
        fields = INITIATIVE_FIELDS
        widgets = {
            "problem_statement": forms.Textarea(attrs={"rows": 3}),
            "vision": forms.Textarea(attrs={"rows": 3}),
            "equity_commitment": forms.Textarea(attrs={"rows": 3}),
        }


class PartnerAddForm(forms.Form):
    """Add a partner: either an organization already known to Backbone, or a new one."""

    existing = forms.ModelChoiceField(
        label=_("Existing organization"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("Choose one, or fill in the new organization’s name and sector below."),
    )
    name = forms.CharField(label=_("New organization’s name"), max_length=200, required=False)
    sector = forms.ChoiceField(
        label=_("New organization’s sector"),
        choices=[("", "—"), *Sector.choices],
        required=False,
    )
    kind = forms.ChoiceField(label=_("Role in the initiative"), choices=PartnerKind.choices)
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput)
    commitment_signed_on = forms.DateField(
        label=_("Commitment signed on"), widget=DateInput, required=False
    )
    commitment_signatory = forms.CharField(
        label=_("Signed by"),
        max_length=200,
        required=False,
        help_text=_("Name and title of the person who signed the commitment."),
    )

    def __init__(self, *args: object, initiative: Initiative, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["existing"].queryset = Organization.objects.exclude(
            partnerships__initiative=initiative
        ).order_by("name")

    def clean(self) -> dict:
        data = super().clean()
        existing, name = data.get("existing"), (data.get("name") or "").strip()
        if existing and name:
            raise forms.ValidationError(
                _("Choose an existing organization or name a new one, not both.")
            )
        if not existing and not name:
            raise forms.ValidationError(_("Choose an existing organization or name a new one."))
        if name and not data.get("sector"):
            self.add_error("sector", _("Choose the new organization’s sector."))
        if name and Organization.objects.filter(name__iexact=name).exists():
            self.add_error(
                "name",
                _("An organization with this name already exists: choose it from the list."),
            )
        if data.get("commitment_signed_on") and not data.get("commitment_signatory"):
            self.add_error("commitment_signatory", _("Say who signed the commitment."))
        return data


class PartnershipForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Partnership
        fields = ["kind", "joined_on", "commitment_signed_on", "commitment_signatory"]
        widgets = {"joined_on": DateInput, "commitment_signed_on": DateInput}

    def clean(self) -> dict:
        data = super().clean()
        if data.get("commitment_signed_on") and not data.get("commitment_signatory"):
            self.add_error("commitment_signatory", _("Say who signed the commitment."))
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: object, roles: list[Role], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]


class RoleForm(VersionedForm):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: object, roles: list[Role], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only numbers; not a common password."),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return data


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: each field's problems at its box, the
    rest (or problems of fields the form does not show) at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
