"""Sign in and out, passwords, invitations. Django's own auth views, with our templates."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from backbone.core import services
from backbone.core.errors import DomainError, InvitationInvalid
from backbone.core.forms import AcceptInvitationForm


class LoginForm(AuthenticationForm):
    def clean_username(self) -> str:
        # Emails are stored lower-case; normalising here (not in the lookup) also means the
        # throttle sees one account, so changing capitals does not buy more tries.
        return self.cleaned_data["username"].strip().lower()


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "core/accounts/login.html"
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, response: object = None, credentials: object = None):
    """Shown instead of checking the password once an account is throttled (django-axes)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "core/accounts/locked_out.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


password_change = auth_views.PasswordChangeView.as_view(
    template_name="core/accounts/password_change.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)
MESSAGE_TEMPLATE = "core/accounts/message.html"  # one page for "it worked, here is what next"

password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name=MESSAGE_TEMPLATE,
    extra_context={
        "title": _lazy("Password changed"),
        "text": _lazy("Your new password is saved."),
    },
)
password_reset = auth_views.PasswordResetView.as_view(
    template_name="core/accounts/password_reset.html",
    email_template_name="core/email/password_reset.txt",
    subject_template_name="core/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name=MESSAGE_TEMPLATE,
    extra_context={
        "title": _lazy("Check your email"),
        "text": _lazy(
            "If an account uses that address, we have sent it a link to choose a new password. "
            "The link works once."
        ),
    },
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="core/accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name=MESSAGE_TEMPLATE,
    extra_context={
        "title": _lazy("Password saved"),
        "text": _lazy("Your new password is saved. You can sign in with it now."),
    },
)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_lookup(token)
    except InvitationInvalid as exc:
        return render(
            request, "core/accounts/invitation_invalid.html", {"reason": exc.message}, status=410
        )
    signed_in = request.user.is_authenticated
    form = None if signed_in else AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            user, membership = services.invitation_accept(
                token=token,
                user=request.user if signed_in else None,
                full_name="" if signed_in else form.cleaned_data["full_name"],
                password="" if signed_in else form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            if form is None:
                raise
            form.add_error("password1", exc)
        except DomainError as exc:
            if form is None:
                messages.error(request, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome! You are now %(role)s in %(org)s.")
                % {"role": membership.get_role_display(), "org": membership.organization},
            )
            return redirect("core:initiative_home", slug=invitation.initiative.slug)
    return render(
        request,
        "core/accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=422 if form is not None and form.errors else 200,
    )
