"""Who may call the API: tokens (any method), a browser session (GET only), nobody (GET only)."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command

from backbone.api.models import ApiToken
from backbone.api.services import api_token_revoke
from backbone.core.models import AuditEvent
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement.models import Observation
from tests import factories as f
from tests.api.conftest import API, bearer, token_for

pytestmark = pytest.mark.django_db

ROW = {"indicator": "homeless", "place": "A", "period": "2023", "value": 12}


def post_rows(client, rows, **headers):
    return client.post(
        f"{API}/initiatives/city/observations",
        data=json.dumps({"rows": rows}),
        content_type="application/json",
        headers=headers,
    )


def test_a_good_token_acts_as_its_user(client, world):
    secret = token_for(world["admin"])
    response = client.get(f"{API}/initiatives/city", headers=bearer(secret))
    assert response.status_code == 200
    assert response.json()["takes_part"] is True
    assert post_rows(client, [ROW], **bearer(secret)).status_code == 200
    assert Observation.objects.get().value == 12
    assert ApiToken.objects.get().last_used_at is not None


def test_only_the_hash_of_a_token_is_stored(world):
    secret = token_for(world["admin"])
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    stored = [str(v) for v in ApiToken.objects.values_list(flat=False).get()]
    assert all(secret not in value for value in stored)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
    ],
)
def test_a_wrong_token_is_refused_even_where_anonymous_reading_is_allowed(client, world, header):
    response = client.get(f"{API}/initiatives", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["detail"], str)


def test_a_revoked_token_is_refused(client, world):
    secret = token_for(world["steward"])
    api_token_revoke(actor=COMMAND_LINE, token=ApiToken.objects.get())
    response = client.get(f"{API}/initiatives", headers=bearer(secret))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert post_rows(client, [ROW], **bearer(secret)).status_code == 401
    assert not Observation.objects.exists()


def test_the_token_of_a_deactivated_user_is_refused(client, world):
    secret = token_for(world["admin"])
    world["admin"].is_active = False
    world["admin"].save()
    assert client.get(f"{API}/initiatives", headers=bearer(secret)).status_code == 401
    assert post_rows(client, [ROW], **bearer(secret)).status_code == 401
    assert not Observation.objects.exists()


def test_changes_without_a_token_are_refused(client, world):
    response = post_rows(client, [ROW])
    assert response.status_code == 401
    assert "token" in response.json()["detail"]
    assert not Observation.objects.exists()


def test_a_browser_session_reads_but_cannot_write(client, world):
    client.force_login(world["member"])
    listed = client.get(f"{API}/initiatives/city/indicators").json()
    assert "secret-count" in [i["code"] for i in listed]  # a participant's view
    client.force_login(world["admin"])
    response = post_rows(client, [ROW])
    assert response.status_code == 401
    assert not Observation.objects.exists()


def test_anonymous_reading_sees_public_data_only(client, world):
    codes = [i["code"] for i in client.get(f"{API}/initiatives/city/indicators").json()]
    assert codes == ["homeless", "screened"]


def test_the_command_prints_a_working_token_once(client, world, capsys):
    call_command("create_api_token", "--email", world["steward"].email.upper(), "--name", "sync")
    out, err = capsys.readouterr()
    secret = out.strip()
    assert secret.startswith("bb_") and len(secret) > 40
    assert "shown only this once" in err and secret not in err
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (world["steward"], "sync")
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(token.pk)).exists()
    response = client.get(f"{API}/initiatives/city", headers=bearer(secret))
    assert response.json()["takes_part"] is True


def test_the_command_refuses_unknown_people_and_repeated_names(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Nobody signs in"):
        call_command("create_api_token", "--email", "nobody@example.org", "--name", "x")
    call_command("create_api_token", "--email", world["admin"].email, "--name", "x")
    with pytest.raises(CommandError, match="already has a token"):
        call_command("create_api_token", "--email", world["admin"].email, "--name", "x")
    inactive = f.user(is_active=False)
    with pytest.raises(CommandError, match="cannot sign in"):
        call_command("create_api_token", "--email", inactive.email, "--name", "x")
    assert ApiToken.objects.count() == 1


def test_an_operator_revokes_a_token_in_the_admin(client, world):
    secret = token_for(world["steward"])
    token = ApiToken.objects.get()
    operator = f.user(is_staff=True, is_superuser=True)
    client.force_login(operator)
    page = client.get("/django-admin/api/apitoken/")
    assert page.status_code == 200
    assert token.prefix in page.content.decode() and secret not in page.content.decode()
    response = client.post(
        "/django-admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=operator).exists()
    client.logout()
    assert client.get(f"{API}/initiatives", headers=bearer(secret)).status_code == 401
