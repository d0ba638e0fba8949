"""Pages for initiatives, partners, organizations and members. Thin: look up, ask, call, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backbone.core import forms, selectors, services, tenancy
from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import (
    AuditEvent,
    Initiative,
    Invitation,
    Membership,
    PartnerKind,
    Partnership,
    Sector,
)
from backbone.core.permissions import Action, can, grantable_roles, may_change_membership


def _initiative(request: HttpRequest, slug: str, action: Action = Action.VIEW_INITIATIVE):
    """The initiative, if the user may see it (404 otherwise), and may do ``action`` (403)."""
    initiative = get_object_or_404(Initiative, slug=slug)
    if not can(request.user, Action.VIEW_INITIATIVE, initiative):
        raise Http404
    if not can(request.user, action, initiative):
        raise PermissionDenied
    return initiative


def _partnership(request: HttpRequest, initiative: Initiative, org_pk: int, action: Action):
    partnership = get_object_or_404(tenancy.partnerships_of(initiative), organization_id=org_pk)
    if not can(request.user, action, partnership):
        raise PermissionDenied
    return partnership


def _render(request: HttpRequest, template: str, context: dict, form=None) -> HttpResponse:
    """Render an initiative page. The menu needs to know whether to offer the admin pages; a
    failed form answers 422 so htmx and tests see the failure."""
    initiative = context.get("initiative")
    if initiative is not None:
        context.setdefault("can_manage", can(request.user, Action.MANAGE_PARTNERS, initiative))
    return render(
        request, template, context, status=422 if form is not None and form.errors else 200
    )


def home(request: HttpRequest) -> HttpResponse:
    initiatives = tenancy.visible_initiatives(request.user).annotate(
        partner_count=Count("partnerships", distinct=True)
    )
    return render(request, "core/home.html", {"initiatives": initiatives})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def initiative_home(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(request, slug)
    context = {"initiative": initiative, "summary": selectors.partner_summary(initiative)}
    return _render(request, "core/initiative_home.html", context)


def partner_list(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(request, slug)
    kind = request.GET.get("kind", "")
    partnerships = tenancy.partnerships_of(initiative)
    if kind in PartnerKind.values:
        partnerships = partnerships.filter(kind=kind)
    else:
        kind = ""
    return _render(
        request,
        "core/partner_list.html",
        {
            "initiative": initiative,
            "partnerships": partnerships,
            "kinds": PartnerKind.choices,
            "kind": kind,
        },
    )


def organization_list(request: HttpRequest) -> HttpResponse:
    visible = tenancy.visible_initiatives(request.user)
    organizations = (
        tenancy.visible_organizations(request.user)
        .prefetch_related(
            Prefetch(
                "partnerships",
                queryset=Partnership.objects.filter(initiative__in=visible).select_related(
                    "initiative"
                ),
                to_attr="visible_partnerships",
            )
        )
        .order_by("name")
    )
    sector = request.GET.get("sector", "")
    if sector:
        organizations = organizations.filter(sector=sector)
    return render(
        request,
        "core/organization_list.html",
        {"organizations": organizations, "sectors": Sector.choices, "sector": sector},
    )


def organization_detail(request: HttpRequest, slug: str, org_pk: int) -> HttpResponse:
    initiative = _initiative(request, slug)
    partnership = _partnership(request, initiative, org_pk, Action.VIEW_ORGANIZATION)
    members = None
    if can(request.user, Action.VIEW_MEMBERS, partnership):
        members = partnership.organization.memberships.select_related("user")
    return _render(
        request,
        "core/organization_detail.html",
        {
            "initiative": initiative,
            "partnership": partnership,
            "organization": partnership.organization,
            "members": members,
            "can_manage_members": can(request.user, Action.MANAGE_MEMBERS, partnership),
            "can_manage_partners": can(request.user, Action.MANAGE_PARTNERS, initiative),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_partners(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(request, slug, Action.MANAGE_PARTNERS)
    form = forms.PartnerAddForm(request.POST or None, initiative=initiative)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization = data["existing"] or services.organization_create(
                actor=request.user,
                initiative=initiative,
                name=data["name"].strip(),
                sector=data["sector"],
            )
            services.partnership_add(
                actor=request.user,
                initiative=initiative,
                organization=organization,
                kind=data["kind"],
                joined_on=data["joined_on"],
                commitment_signed_on=data["commitment_signed_on"],
                commitment_signatory=data["commitment_signatory"],
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(org)s is now a partner.") % {"org": organization})
            return redirect("core:manage_partners", slug=initiative.slug)
    context = {
        "initiative": initiative,
        "partnerships": tenancy.partnerships_of(initiative).annotate(
            member_count=Count("organization__memberships", distinct=True)
        ),
        "form": form,
    }
    return _render(request, "core/manage_partners.html", context, form)


@login_required
@require_http_methods(["GET", "POST"])
def edit_partnership(request: HttpRequest, slug: str, org_pk: int) -> HttpResponse:
    initiative = _initiative(request, slug, Action.MANAGE_PARTNERS)
    partnership = _partnership(request, initiative, org_pk, Action.VIEW_ORGANIZATION)
    form = forms.PartnershipForm(
        request.POST or None,
        # A copy: form validation writes into its instance, the service decides what is saved.
        instance=Partnership.objects.get(pk=partnership.pk),
        initial={"version": partnership.version},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.partnership_update(
                actor=request.user, partnership=partnership, data=data, expected_version=version
            )
        except ConflictError as exc:
            # Show the page afresh (their values, the new version), not the stale form again.
            messages.error(request, exc.message)
            return redirect(request.path)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("core:manage_partners", slug=initiative.slug)
    context = {"initiative": initiative, "partnership": partnership, "form": form}
    return _render(request, "core/edit_partnership.html", context, form)


def _confirm(request: HttpRequest, initiative: Initiative, question: str, back: str, button: str):
    """The page that asks before a removal; the removal itself happens only on POST."""
    context = {"initiative": initiative, "question": question, "back": back, "button": button}
    return _render(request, "core/confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def remove_partnership(request: HttpRequest, slug: str, org_pk: int) -> HttpResponse:
    initiative = _initiative(request, slug, Action.MANAGE_PARTNERS)
    partnership = _partnership(request, initiative, org_pk, Action.VIEW_ORGANIZATION)
    if request.method == "GET":
        return _confirm(
            request,
            initiative,
            _(
                "Remove %(org)s from %(initiative)s? Its people keep their accounts, but lose "
                "access to this initiative’s private pages."
            )
            % {"org": partnership.organization, "initiative": initiative},
            reverse("core:manage_partners", args=[initiative.slug]),
            _("Remove the partner"),
        )
    try:
        services.partnership_remove(actor=request.user, partnership=partnership)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(org)s is no longer a partner.") % {"org": partnership.organization},
        )
    return redirect("core:manage_partners", slug=initiative.slug)


@login_required
@require_http_methods(["GET", "POST"])
def manage_members(request: HttpRequest, slug: str, org_pk: int) -> HttpResponse:
    initiative = _initiative(request, slug)
    partnership = _partnership(request, initiative, org_pk, Action.MANAGE_MEMBERS)
    roles = grantable_roles(request.user, partnership)
    invite_form = forms.InviteForm(request.POST or None, roles=roles)
    if request.method == "POST" and invite_form.is_valid():
        try:
            services.invitation_create(
                actor=request.user,
                partnership=partnership,
                email=invite_form.cleaned_data["email"],
                role=invite_form.cleaned_data["role"],
                accept_url_base=request.build_absolute_uri(reverse("accounts:invitation_base")),
            )
        except DomainError as exc:
            invite_form.add_error("email", exc.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works for %(days)s days.")
                % {
                    "email": invite_form.cleaned_data["email"],
                    "days": settings.INVITATION_VALID_DAYS,
                },
            )
            return redirect("core:manage_members", slug=initiative.slug, org_pk=org_pk)
    memberships = partnership.organization.memberships.select_related("user").order_by(
        "user__email"
    )
    rows = [
        {
            "membership": m,
            "editable": may_change_membership(request.user, m, partnership),
            "form": forms.RoleForm(
                initial={"role": m.role, "version": m.version},
                roles=roles,
                prefix=f"m{m.pk}",
            ),
        }
        for m in memberships
    ]
    invitations = Invitation.objects.filter(
        organization=partnership.organization,
        initiative=initiative,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).select_related("invited_by")
    context = {
        "initiative": initiative,
        "partnership": partnership,
        "organization": partnership.organization,
        "rows": rows,
        "invitations": invitations,
        "invite_form": invite_form,
    }
    return _render(request, "core/manage_members.html", context, invite_form)


def _membership(partnership: Partnership, membership_pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"),
        pk=membership_pk,
        organization=partnership.organization,
    )


@login_required
@require_POST
def change_member_role(
    request: HttpRequest, slug: str, org_pk: int, membership_pk: int
) -> HttpResponse:
    initiative = _initiative(request, slug)
    partnership = _partnership(request, initiative, org_pk, Action.MANAGE_MEMBERS)
    membership = _membership(partnership, membership_pk)
    form = forms.RoleForm(
        request.POST, roles=grantable_roles(request.user, partnership), prefix=f"m{membership.pk}"
    )
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles in the list."))
    else:
        try:
            services.membership_change_role(
                actor=request.user,
                partnership=partnership,
                membership=membership,
                role=form.cleaned_data["role"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": membership.user, "role": membership.get_role_display()},
            )
    return redirect("core:manage_members", slug=initiative.slug, org_pk=org_pk)


@login_required
@require_http_methods(["GET", "POST"])
def remove_member(request: HttpRequest, slug: str, org_pk: int, membership_pk: int) -> HttpResponse:
    initiative = _initiative(request, slug)
    partnership = _partnership(request, initiative, org_pk, Action.MANAGE_MEMBERS)
    membership = _membership(partnership, membership_pk)
    if request.method == "GET":
        if not may_change_membership(request.user, membership, partnership):
            raise PermissionDenied
        return _confirm(
            request,
            initiative,
            _("Remove %(user)s from %(org)s?")
            % {"user": membership.user, "org": partnership.organization},
            reverse("core:manage_members", args=[initiative.slug, org_pk]),
            _("Remove the person"),
        )
    services.membership_remove(actor=request.user, partnership=partnership, membership=membership)
    messages.success(
        request,
        _("%(user)s was removed from %(org)s.")
        % {"user": membership.user, "org": partnership.organization},
    )
    return redirect("core:manage_members", slug=initiative.slug, org_pk=org_pk)


@login_required
@require_POST
def revoke_invitation(
    request: HttpRequest, slug: str, org_pk: int, invitation_pk: int
) -> HttpResponse:
    initiative = _initiative(request, slug)
    partnership = _partnership(request, initiative, org_pk, Action.MANAGE_MEMBERS)
    invitation = get_object_or_404(
        Invitation, pk=invitation_pk, organization=partnership.organization
    )
    try:
        services.invitation_revoke(
            actor=request.user, partnership=partnership, invitation=invitation
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
        )
    return redirect("core:manage_members", slug=initiative.slug, org_pk=org_pk)


@login_required
@require_http_methods(["GET", "POST"])
def manage_settings(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(request, slug, Action.MANAGE_INITIATIVE)
    form = forms.InitiativeSettingsForm(
        request.POST or None,
        instance=Initiative.objects.get(pk=initiative.pk),
        initial={"version": initiative.version},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.initiative_update(
                actor=request.user, initiative=initiative, data=data, expected_version=version
            )
        except ConflictError as exc:
            # Show the page afresh (their values, the new version), not the stale form again.
            messages.error(request, exc.message)
            return redirect(request.path)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("core:initiative_home", slug=initiative.slug)
    context = {"initiative": initiative, "form": form}
    return _render(request, "core/manage_settings.html", context, form)


@login_required
def activity(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(request, slug, Action.VIEW_AUDIT)
    events = AuditEvent.objects.filter(initiative=initiative).select_related("actor")[:200]
    return _render(request, "core/activity.html", {"initiative": initiative, "events": events})
