"""Production settings: `check --deploy` is clean, and missing required values fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "backbone.settings",
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-" + "x7Qp" * 12,
    "ALLOWED_HOSTS": "backbone.example.org",
    "PATH": os.environ.get("PATH", ""),
}


def _manage(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env={**env, "BACKBONE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_in_production_is_refused(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "Set the environment variable SECRET_KEY." in result.stderr


def test_nonsense_boolean_is_refused(tmp_path):
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_production_responses_carry_security_headers(client, db):
    response = client.get("/", secure=True)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_collectstatic_succeeds_with_the_production_storage(tmp_path, settings):
    """Production serves hashed static files; every vendored file must pass the manifest step
    (a vendored script pointing to a source map that is not shipped would break every page)."""
    from django.core.management import call_command

    from backbone import settings as production

    settings.STORAGES = production.STORAGES
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert any((tmp_path / "vendor" / "vega").glob("vega-embed.min.*.js"))
