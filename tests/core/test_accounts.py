"""Accounts as a person sees them: signing in and out, throttling, passwords, invitations.

Everything goes through the Django test client against the real database; the assertions are
about what the page says and what ends up stored.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backbone.core import services
from backbone.core.errors import DomainError
from backbone.core.models import (
    AuditEvent,
    Initiative,
    Invitation,
    Membership,
    PartnerKind,
    Partnership,
    Role,
    User,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-long-passphrase-42"
WRONG_PASSWORD = "not-the-password-at-all"
INVITE_LINK = re.compile(r"http://testserver(/accounts/invitations/([A-Za-z0-9_-]+)/)")
RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


# --- helpers -------------------------------------------------------------------------------


def _signed_in_user_id(client: Client) -> int | None:
    raw = client.session.get("_auth_user_id")
    return int(raw) if raw is not None else None


def _login(client: Client, email: str, password: str = f.PASSWORD, **extra):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, **extra
    )


def _text(response) -> str:
    return response.content.decode()


def _admin_of(initiative: Initiative, email: str = "admin@example.org") -> User:
    return f.backbone_admin(initiative, email=email, org_name="Backbone Org")


@pytest.fixture
def initiative() -> Initiative:
    return f.initiative("river", name="River Valley")


@pytest.fixture
def partner(initiative) -> Partnership:
    return f.partnership(initiative, f.organization("Eastside Clinic"))


@pytest.fixture
def admin(initiative) -> User:
    return _admin_of(initiative)


def _accept_url_base() -> str:
    return "http://testserver" + reverse("accounts:invitation_base")


def _invite(
    django_capture_on_commit_callbacks,
    *,
    actor: User,
    partnership: Partnership,
    email: str = "newcomer@example.org",
    role: str = Role.MEMBER,
) -> tuple[Invitation, str, str]:
    """Invite through the service; return the invitation, the link's path and its raw token."""
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            actor=actor,
            partnership=partnership,
            email=email,
            role=role,
            accept_url_base=_accept_url_base(),
        )
    assert len(mail.outbox) == before + 1
    match = INVITE_LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return invitation, match.group(1), match.group(2)


def _accept_form(name: str = "Nia Newcomer", password: str = NEW_PASSWORD, again=None) -> dict:
    return {
        "full_name": name,
        "password1": password,
        "password2": password if again is None else again,
    }


# --- signing in and out --------------------------------------------------------------------


def test_login_with_email_and_password_signs_in_and_goes_home(client):
    person = f.user("alice@example.org")

    response = _login(client, "alice@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert _signed_in_user_id(client) == person.pk


def test_users_are_stored_with_lower_case_email():
    person = f.user("Alice@Example.ORG")

    assert User.objects.get(pk=person.pk).email == "alice@example.org"


def test_login_email_is_case_insensitive(client):
    person = f.user("alice@example.org")

    response = _login(client, "Alice@Example.org")

    assert response.status_code == 302
    assert _signed_in_user_id(client) == person.pk


def test_wrong_password_shows_plain_do_not_match_message(client):
    f.user("alice@example.org")

    response = _login(client, "alice@example.org", WRONG_PASSWORD)

    assert response.status_code == 200
    assert "That email address and password do not match." in _text(response)
    assert _signed_in_user_id(client) is None


def test_unknown_email_shows_the_same_do_not_match_message(client):
    response = _login(client, "nobody@example.org")

    assert response.status_code == 200
    assert "That email address and password do not match." in _text(response)
    assert _signed_in_user_id(client) is None


def test_logout_by_get_is_refused_and_keeps_you_signed_in(client):
    person = f.user()
    client.force_login(person)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert _signed_in_user_id(client) == person.pk


def test_logout_by_post_signs_out(client):
    person = f.user()
    client.force_login(person)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert _signed_in_user_id(client) is None
    assert "Sign in" in _text(client.get(reverse("core:home")))


# --- throttling ----------------------------------------------------------------------------


def _fail(client: Client, email: str = "alice@example.org", times: int = 1) -> list[int]:
    return [_login(client, email, WRONG_PASSWORD).status_code for _ in range(times)]


def test_five_wrong_passwords_pause_signing_in_on_the_fifth(client):
    f.user("alice@example.org")

    first_four = _fail(client, times=4)
    fifth = _login(client, "alice@example.org", WRONG_PASSWORD)

    assert first_four == [200, 200, 200, 200]
    assert fifth.status_code == 429
    page = _text(fifth)
    assert "Signing in is paused" in page
    assert "There were 5 wrong passwords in a row for this account." in page
    assert "signing in is paused for 15 minutes" in page
    assert reverse("accounts:password_reset") in page
    assert _signed_in_user_id(client) is None


def test_failures_are_counted_for_the_account_and_address(client):
    f.user("alice@example.org")

    _fail(client, times=3)

    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "alice@example.org",
        "127.0.0.1",
        3,
    )


def test_locked_account_refuses_even_the_right_password(client):
    person = f.user("alice@example.org")
    _fail(client, times=5)

    response = _login(client, "alice@example.org", f.PASSWORD)

    assert response.status_code == 429
    assert "Signing in is paused" in _text(response)
    assert _signed_in_user_id(client) is None
    person.refresh_from_db()
    assert person.last_login is None


def test_changing_capitals_in_the_email_does_not_get_more_tries(client):
    f.user("alice@example.org")
    for email in ("alice@example.org", "Alice@example.org", "ALICE@example.org") * 2:
        _login(client, email, WRONG_PASSWORD)

    response = _login(client, "alice@example.org", f.PASSWORD)

    assert response.status_code == 429
    assert _signed_in_user_id(client) is None


def test_another_account_from_the_same_address_can_still_sign_in(client):
    f.user("alice@example.org")
    bob = f.user("bob@example.org")
    _fail(client, times=5)

    response = _login(client, "bob@example.org")

    assert response.status_code == 302
    assert _signed_in_user_id(client) == bob.pk


def test_another_accounts_first_wrong_password_is_not_answered_with_the_lockout(client):
    f.user("alice@example.org")
    f.user("bob@example.org")
    _fail(client, times=5)

    response = _login(client, "bob@example.org", WRONG_PASSWORD)

    assert response.status_code == 200
    assert "That email address and password do not match." in _text(response)


def test_the_same_account_from_another_address_can_still_sign_in(client):
    alice = f.user("alice@example.org")
    _fail(client, times=5)
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")

    response = _login(elsewhere, "alice@example.org")

    assert response.status_code == 302
    assert _signed_in_user_id(elsewhere) == alice.pk


def test_successful_login_before_the_limit_resets_the_count(client):
    alice = f.user("alice@example.org")
    assert _fail(client, times=4) == [200, 200, 200, 200]
    assert _login(client, "alice@example.org").status_code == 302
    client.post(reverse("accounts:logout"))

    again = _fail(client, times=4)
    response = _login(client, "alice@example.org")

    assert again == [200, 200, 200, 200]
    assert response.status_code == 302
    assert _signed_in_user_id(client) == alice.pk


# --- changing and resetting the password ---------------------------------------------------


def test_password_change_needs_the_old_password(client):
    person = f.user("alice@example.org")
    client.force_login(person)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": WRONG_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in _text(response)
    person.refresh_from_db()
    assert person.check_password(f.PASSWORD)
    assert not person.check_password(NEW_PASSWORD)


def test_password_change_with_the_old_password_works(client):
    person = f.user("alice@example.org")
    client.force_login(person)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": f.PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert response.redirect_chain == [(reverse("accounts:password_change_done"), 302)]
    assert "Your new password is saved." in _text(response)
    assert _signed_in_user_id(client) == person.pk  # still signed in after the change
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    fresh = Client()
    assert _login(fresh, "alice@example.org", f.PASSWORD).status_code == 200
    assert _login(fresh, "alice@example.org", NEW_PASSWORD).status_code == 302


def test_password_change_page_needs_signing_in(client):
    response = client.get(reverse("accounts:password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_password_reset_emails_a_link_that_sets_a_new_password(client):
    person = f.user("alice@example.org")

    response = client.post(reverse("accounts:password_reset"), {"email": "alice@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "Set a new Backbone password"
    link = RESET_LINK.search(message.body)
    assert link, message.body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in _text(form_page)
    set_password_url = form_page.redirect_chain[-1][0]
    saved = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert saved.redirect_chain == [(reverse("accounts:password_reset_complete"), 302)]
    assert "Your new password is saved. You can sign in with it now." in _text(saved)
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    fresh = Client()
    assert _login(fresh, "alice@example.org", NEW_PASSWORD).status_code == 302
    assert _signed_in_user_id(fresh) == person.pk


def test_password_reset_link_works_only_once(client):
    f.user("alice@example.org")
    client.post(reverse("accounts:password_reset"), {"email": "alice@example.org"})
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)

    assert again.status_code == 200
    assert "This link has expired or was already used." in _text(again)


def test_password_reset_for_unknown_email_sends_nothing_and_looks_the_same(client):
    f.user("alice@example.org")

    response = client.post(
        reverse("accounts:password_reset"), {"email": "stranger@example.org"}, follow=True
    )

    assert response.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert "Check your email" in _text(response)
    assert mail.outbox == []


# --- every account page renders ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "kwargs", "expected"),
    [
        ("accounts:login", {}, "Sign in"),
        ("accounts:password_reset", {}, "Forgot your password?"),
        ("accounts:password_reset_done", {}, "Check your email"),
        ("accounts:password_reset_complete", {}, "Password saved"),
        (
            "accounts:password_reset_confirm",
            {"uidb64": "MQ", "token": "not-a-token"},
            "This link has expired or was already used.",
        ),
    ],
)
def test_account_page_renders_for_anonymous_visitor(client, url_name, kwargs, expected):
    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 200
    assert expected in _text(response)


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("accounts:password_change", "Change your password"),
        ("accounts:password_change_done", "Password changed"),
    ],
)
def test_account_page_renders_for_signed_in_user(client, url_name, expected):
    client.force_login(f.user())

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert expected in _text(response)


# --- invitations: sending ------------------------------------------------------------------


def test_invitation_service_emails_a_link_on_commit(
    django_capture_on_commit_callbacks, admin, partner, initiative
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = services.invitation_create(
            actor=admin,
            partnership=partner,
            email="  Newcomer@Example.org ",
            role=Role.DATA_STEWARD,
            accept_url_base=_accept_url_base(),
        )
    assert mail.outbox == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newcomer@example.org"]
    assert message.subject == "You are invited to River Valley on Backbone"
    assert "join Eastside Clinic as Data steward" in message.body
    assert INVITE_LINK.search(message.body)
    invitation.refresh_from_db()
    assert invitation.email == "newcomer@example.org"
    assert invitation.organization == partner.organization
    assert invitation.initiative == initiative
    assert invitation.role == Role.DATA_STEWARD
    assert invitation.invited_by == admin
    assert invitation.accepted_at is None
    assert invitation.revoked_at is None
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(7)


def test_invitation_from_the_members_page_sends_an_email(
    client, django_capture_on_commit_callbacks, admin, partner, initiative
):
    client.force_login(admin)
    url = reverse("core:manage_members", args=[initiative.slug, partner.organization_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "newcomer@example.org", "role": Role.MEMBER})

    assert response.status_code == 302
    assert response["Location"] == url
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newcomer@example.org"]
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.organization_id) == (
        "newcomer@example.org",
        Role.MEMBER,
        partner.organization_id,
    )
    page = _text(client.get(url))
    assert "Invitation sent to newcomer@example.org. The link works for 7 days." in page
    assert "Invitations waiting for an answer" in page


def test_only_a_hash_of_the_invitation_token_is_stored(
    django_capture_on_commit_callbacks, admin, partner
):
    invitation, _path, token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )

    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in stored.values())
    audit_rows = AuditEvent.objects.values_list("summary", "before", "after", "object_id")
    assert all(token not in str(row) for row in audit_rows)


def test_inviting_someone_already_a_member_is_refused(
    django_capture_on_commit_callbacks, admin, partner
):
    f.member(partner.organization, email="nia@example.org")

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DomainError) as refused,
    ):
        services.invitation_create(
            actor=admin,
            partnership=partner,
            email="NIA@example.org",
            role=Role.MEMBER,
            accept_url_base=_accept_url_base(),
        )

    assert refused.value.message == "nia@example.org is already a member of Eastside Clinic."
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_members_page_refuses_to_invite_an_existing_member_with_a_clear_message(
    client, django_capture_on_commit_callbacks, admin, partner, initiative
):
    f.member(partner.organization, email="nia@example.org")
    client.force_login(admin)
    url = reverse("core:manage_members", args=[initiative.slug, partner.organization_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "Nia@Example.org", "role": Role.MEMBER})

    assert response.status_code == 422
    assert "nia@example.org is already a member of Eastside Clinic." in _text(response)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_data_steward_cannot_invite_a_backbone_admin(
    django_capture_on_commit_callbacks, initiative
):
    _admin_of(initiative)
    backbone = Partnership.objects.get(initiative=initiative, kind=PartnerKind.BACKBONE)
    steward = f.member(backbone.organization, Role.DATA_STEWARD)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=steward,
            partnership=backbone,
            email="boss@example.org",
            role=Role.BACKBONE_ADMIN,
            accept_url_base=_accept_url_base(),
        )

    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_members_page_does_not_let_a_data_steward_pick_backbone_admin(
    client, django_capture_on_commit_callbacks, initiative
):
    _admin_of(initiative)
    backbone = Partnership.objects.get(initiative=initiative, kind=PartnerKind.BACKBONE)
    steward = f.member(backbone.organization, Role.DATA_STEWARD)
    client.force_login(steward)
    url = reverse("core:manage_members", args=[initiative.slug, backbone.organization_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "boss@example.org", "role": Role.BACKBONE_ADMIN})

    # The form only offers the roles a steward may give, so the choice itself is rejected.
    assert response.status_code == 422
    assert "Select a valid choice. backbone_admin is not one of the available choices." in (
        _text(response)
    )
    assert f'value="{Role.BACKBONE_ADMIN.value}"' not in _text(client.get(url))
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_data_steward_can_invite_into_their_own_organization(
    client, django_capture_on_commit_callbacks, partner, initiative
):
    steward = f.member(partner.organization, Role.DATA_STEWARD)
    client.force_login(steward)
    url = reverse("core:manage_members", args=[initiative.slug, partner.organization_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "helper@example.org", "role": Role.DATA_STEWARD})

    assert response.status_code == 302
    assert Invitation.objects.get().role == Role.DATA_STEWARD
    assert len(mail.outbox) == 1


def test_plain_member_cannot_invite_anyone(
    client, django_capture_on_commit_callbacks, partner, initiative
):
    plain = f.member(partner.organization, Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=plain,
            partnership=partner,
            email="friend@example.org",
            role=Role.MEMBER,
            accept_url_base=_accept_url_base(),
        )
    client.force_login(plain)
    url = reverse("core:manage_members", args=[initiative.slug, partner.organization_id])

    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(url)
        response = client.post(url, {"email": "friend@example.org", "role": Role.MEMBER})

    assert page.status_code == 403
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


# --- invitations: accepting ----------------------------------------------------------------


def test_invitation_link_shows_the_account_form(
    client, django_capture_on_commit_callbacks, admin, partner
):
    _inv, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner, role=Role.FUNDER
    )

    response = client.get(path)

    assert response.status_code == 200
    page = _text(response)
    assert "You are invited to join Eastside Clinic as Funder in River Valley." in page
    assert "You will sign in with newcomer@example.org." in page
    for field in ('name="full_name"', 'name="password1"', 'name="password2"'):
        assert field in page
    assert "Create my account" in page


def test_accepting_an_invitation_creates_the_account_and_membership_and_signs_in(
    client, django_capture_on_commit_callbacks, admin, partner, initiative
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks,
        actor=admin,
        partnership=partner,
        role=Role.DATA_STEWARD,
    )

    response = client.post(path, _accept_form(), follow=True)

    home = reverse("core:initiative_home", kwargs={"slug": initiative.slug})
    assert response.redirect_chain == [(home, 302)]
    assert response.status_code == 200
    assert "Welcome! You are now Data steward in Eastside Clinic." in _text(response)
    person = User.objects.get(email="newcomer@example.org")
    assert person.full_name == "Nia Newcomer"
    assert person.check_password(NEW_PASSWORD)
    assert person.is_active and not person.is_staff and not person.is_superuser
    membership = Membership.objects.get(user=person)
    assert (membership.organization_id, membership.role) == (
        partner.organization_id,
        Role.DATA_STEWARD,
    )
    assert _signed_in_user_id(client) == person.pk
    invitation.refresh_from_db()
    assert invitation.accepted_by == person
    assert invitation.accepted_at is not None


def test_invitation_link_works_only_once(
    client, django_capture_on_commit_callbacks, admin, partner
):
    _inv, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )
    assert client.post(path, _accept_form()).status_code == 302

    for again in (client.get(path), Client().get(path), Client().post(path, _accept_form())):
        assert again.status_code == 410
        assert "This invitation has already been used. Sign in instead." in _text(again)
    assert User.objects.filter(email="newcomer@example.org").count() == 1
    assert Membership.objects.filter(organization=partner.organization).count() == 1


def test_expired_invitation_is_refused(client, django_capture_on_commit_callbacks, admin, partner):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    shown = client.get(path)
    posted = client.post(path, _accept_form())

    for response in (shown, posted):
        assert response.status_code == 410
        assert "This invitation has expired." in _text(response)
    assert not User.objects.filter(email="newcomer@example.org").exists()


def test_withdrawn_invitation_is_refused(
    client, django_capture_on_commit_callbacks, admin, partner
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )
    services.invitation_revoke(actor=admin, partnership=partner, invitation=invitation)

    shown = client.get(path)
    posted = client.post(path, _accept_form())

    for response in (shown, posted):
        assert response.status_code == 410
        assert "This invitation was withdrawn. Ask for a new one." in _text(response)
    assert not User.objects.filter(email="newcomer@example.org").exists()
    assert not Membership.objects.filter(organization=partner.organization).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/invitations/not-a-real-token/",
        "/accounts/invitations/",
    ],
)
def test_garbage_invitation_token_is_refused(client, path):
    response = client.get(path)

    assert response.status_code == 410
    assert "This invitation link is not valid. Check that it is complete." in _text(response)


def test_accepting_with_mismatched_passwords_creates_nothing(
    client, django_capture_on_commit_callbacks, admin, partner
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )

    response = client.post(path, _accept_form(again="a-different-long-passphrase"))

    assert response.status_code == 422
    assert "The two passwords are not the same." in _text(response)
    assert not User.objects.filter(email="newcomer@example.org").exists()
    assert not Membership.objects.filter(organization=partner.organization).exists()
    assert _signed_in_user_id(client) is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_with_a_weak_password_creates_nothing(
    client, django_capture_on_commit_callbacks, admin, partner
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )

    response = client.post(path, _accept_form(password="123"))

    assert response.status_code == 422
    page = _text(response)
    assert "This password is too short." in page
    assert "This password is entirely numeric." in page
    assert not User.objects.filter(email="newcomer@example.org").exists()
    assert not Membership.objects.filter(organization=partner.organization).exists()
    assert _signed_in_user_id(client) is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    # The link still works once a good password is chosen.
    assert client.post(path, _accept_form()).status_code == 302


def test_signed_in_user_with_another_email_cannot_accept(
    client, django_capture_on_commit_callbacks, admin, partner
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks, actor=admin, partnership=partner
    )
    someone_else = f.user("someone.else@example.org")
    client.force_login(someone_else)

    response = client.post(path)

    assert response.status_code == 200
    assert "This invitation is for newcomer@example.org. Sign out and open the link again." in (
        _text(response)
    )
    assert not Membership.objects.filter(organization=partner.organization).exists()
    assert not User.objects.filter(email="newcomer@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert invitation.accepted_by is None


def test_signed_in_user_with_the_invited_email_accepts_with_one_click(
    client, django_capture_on_commit_callbacks, admin, partner, initiative
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks,
        actor=admin,
        partnership=partner,
        email="nia@example.org",
        role=Role.COMMUNITY_MEMBER,
    )
    nia = f.user("nia@example.org")
    client.force_login(nia)

    shown = client.get(path)
    response = client.post(path)

    assert shown.status_code == 200
    assert 'name="password1"' not in _text(shown)
    assert ">Accept</button>" in _text(shown)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:initiative_home", args=[initiative.slug])
    membership = Membership.objects.get(user=nia)
    assert (membership.organization_id, membership.role) == (
        partner.organization_id,
        Role.COMMUNITY_MEMBER,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == nia
    assert User.objects.filter(email="nia@example.org").count() == 1


def test_anonymous_accept_for_an_existing_account_asks_to_sign_in_first(
    client, django_capture_on_commit_callbacks, admin, partner
):
    invitation, path, _token = _invite(
        django_capture_on_commit_callbacks,
        actor=admin,
        partnership=partner,
        email="nia@example.org",
    )
    nia = f.user("nia@example.org")

    response = client.post(path, _accept_form())

    assert response.status_code == 422
    assert (
        "An account for nia@example.org already exists. Sign in, then open the link again."
        in _text(response)
    )
    nia.refresh_from_db()
    assert nia.check_password(f.PASSWORD)  # the existing password was not replaced
    assert not Membership.objects.filter(user=nia).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
