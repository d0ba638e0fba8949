"""Hardening, beyond what ``tests/test_settings.py`` proves (``check --deploy`` clean, a missing
SECRET_KEY refused, the security headers on the home page):

* no page can run inline or ``eval``'d script: the CSP is parsed directive by directive on real
  pages (signed in and not, the API docs, the Django admin), and their HTML is read for inline
  scripts, inline event handlers, ``javascript:`` links and inline styles;
* a real sign-in, with the cookie settings production uses, sets Secure, HttpOnly, SameSite
  session and CSRF cookies;
* production hashes passwords with PBKDF2 (the suite's MD5 is a test-only speed-up);
* request bodies are size-limited, and the API's largest allowed batch fits under the limit;
* what the API reflects back (an import report, a not-found message) is JSON, never HTML;
* no secrets in the repository: private keys, cloud and Backbone tokens, SECRET_KEY literals,
  passwords in database URLs.

Production values are read in a subprocess with the production environment of
``tests/test_settings.py`` (DEBUG off), as a deployment would load them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from backbone.api import batch
from backbone.core.models import Role
from tests import factories as f
from tests.api.conftest import API, bearer, token_for
from tests.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
names = [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE",
    "PASSWORD_HASHERS", "DATA_UPLOAD_MAX_MEMORY_SIZE", "FILE_UPLOAD_MAX_MEMORY_SIZE",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS", "DATA_UPLOAD_MAX_NUMBER_FILES", "DEBUG",
]
out = {name: getattr(settings, name) for name in names}
out["hash"] = make_password("correct horse battery staple")
out["iterations"] = get_hasher().iterations
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """Settings as a production process (DEBUG off, required values set) loads them."""
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        env={**PRODUCTION_ENV, "BACKBONE_DATA_DIR": str(tmp_path_factory.mktemp("prod"))},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    return values


# --- Content Security Policy: no inline or eval'd script anywhere ----------------------------


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


class PageScripts(HTMLParser):
    """Everything in a page that could run script or style without a file from our origin."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.htmx_config: dict | None = None
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> inline event handler")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…> inline style")
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script":
            if a.get("src"):
                if not a["src"].startswith("/") or a["src"].startswith("//"):
                    self.problems.append(f"script from another origin: {a['src']}")
            elif a.get("type") != "application/json":  # a data block is never executed
                self._inline = tag
        if tag == "meta" and a.get("name") == "htmx-config":
            self.htmx_config = json.loads(a["content"] or "{}")

    def handle_data(self, data: str) -> None:
        if self._inline and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline = None


def _pages():
    init = f.initiative("open", is_public=True)
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    f.member(clinic.organization, Role.DATA_STEWARD)
    anonymous = [
        "/",
        "/organizations/",
        "/accounts/login/",
        "/i/open/",
        "/i/open/partners/",
        "/api/v1/docs",
        "/django-admin/login/",
        "/no-such-page/",
    ]
    signed_in = [
        "/i/open/manage/",
        "/i/open/manage/partners/",
        "/i/open/manage/activity/",
        f"/i/open/manage/partners/{clinic.organization_id}/",
        f"/i/open/organizations/{clinic.organization_id}/members/",
    ]
    return admin, anonymous, signed_in


def test_the_page_checker_finds_what_csp_would_block():
    page = PageScripts()
    page.feed(
        '<script>alert(1)</script><script type="application/json">{"a": 1}</script>'
        '<script src="https://cdn.example.com/x.js"></script><script src="/static/ok.js"></script>'
        '<a href="javascript:void(0)" onclick="go()">x</a><p style="color:red">y</p>'
    )
    assert [p.split(":")[0].split(" ")[0] for p in page.problems] == [
        "inline",
        "script",
        "<a",
        "<a",
        "<p",
    ]


@pytest.mark.django_db
def test_no_page_can_run_inline_or_evaluated_script():
    admin, anonymous, signed_in = _pages()
    visitor, staff = Client(), Client()
    staff.force_login(admin)
    checked = 0
    for client, paths in ((visitor, anonymous), (staff, signed_in)):
        for path in paths:
            response = client.get(path, secure=True)
            assert response.status_code in (200, 404), (path, response.status_code)
            policy = csp(response)
            scripts = policy.get("script-src", policy["default-src"])
            assert scripts == ["'self'"], (path, scripts)
            assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
            assert policy["frame-ancestors"] == ["'none'"]
            assert "'unsafe-inline'" not in policy.get("style-src", policy["default-src"])
            page = PageScripts()
            page.feed(response.content.decode())
            assert page.problems == [], (path, page.problems)
            if page.htmx_config is not None:
                # htmx evaluates hx-on/js: attributes with eval() unless told not to.
                assert page.htmx_config.get("allowEval") is False, path
            checked += 1
    assert checked == len(anonymous) + len(signed_in)


# --- Cookies and passwords in production --------------------------------------------------


def test_production_cookie_settings(production):
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == production["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert production["SESSION_COOKIE_AGE"] <= 24 * 60 * 60


@pytest.mark.django_db
def test_a_real_sign_in_sets_secure_cookies(production, settings):
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"):
        setattr(settings, name, production[name])  # undo the suite's plain-HTTP conveniences
    person = f.user("alice@example.org")
    client = Client(enforce_csrf_checks=True)
    form = client.get("/accounts/login/", secure=True)
    csrf = form.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = client.post(
        "/accounts/login/",
        {
            "username": person.email,
            "password": f.PASSWORD,
            "csrfmiddlewaretoken": csrf.value,
        },
        secure=True,
        headers={"Referer": "https://testserver/accounts/login/"},  # HTTPS: same-origin check
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert int(session["max-age"]) == production["SESSION_COOKIE_AGE"]
    assert "; secure" in session.OutputString().lower()


def test_production_hashes_passwords_with_pbkdf2(production):
    hashers = production["PASSWORD_HASHERS"]
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    weak = {"MD5", "UnsaltedMD5", "UnsaltedSHA1", "SHA1", "Crypt"}
    assert not {h.rsplit(".", 1)[-1].removesuffix("PasswordHasher") for h in hashers} & weak
    algorithm, iterations, _salt, _hash = production["hash"].split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(iterations) == production["iterations"] >= 1_000_000


# --- Upload limits -------------------------------------------------------------------------


def test_request_bodies_are_size_limited_and_the_largest_api_batch_fits(production):
    body_limit = production["DATA_UPLOAD_MAX_MEMORY_SIZE"]
    assert body_limit is not None and 1_000_000 <= body_limit <= 10 * 1024 * 1024
    assert 0 < production["FILE_UPLOAD_MAX_MEMORY_SIZE"] <= 10 * 1024 * 1024
    assert production["DATA_UPLOAD_MAX_NUMBER_FIELDS"] is not None
    assert production["DATA_UPLOAD_MAX_NUMBER_FILES"] is not None
    # The API promises batches of up to MAX_ROWS rows: a realistic full batch must fit.
    row = {
        "indicator": "grade3-reading",
        "place": "39061-RPS-ELM",
        "period": "SY2023-24",
        "organization": "RPS",
        "breakdown": {"income": "low-income"},
        "numerator": 1234,
        "denominator": 5678,
        "note": "State report card, spring test",
    }
    full = json.dumps({"rows": [row] * batch.MAX_ROWS})
    assert len(full.encode()) < body_limit


# --- The API reflects input as JSON only ---------------------------------------------------


@pytest.mark.django_db
def test_api_import_report_returns_markup_as_json_data(client):
    init = f.initiative("city")
    admin = f.backbone_admin(init)
    evil = "<script>alert(document.cookie)</script>"
    response = client.post(
        f"{API}/initiatives/city/observations",
        data=json.dumps(
            {
                "rows": [
                    {
                        "indicator": evil,
                        "place": f"<img src=x onerror=alert(1)>{evil}",
                        "period": "2023",
                        "value": 1,
                        "note": evil,
                    }
                ]
            }
        ),
        content_type="application/json",
        headers=bearer(token_for(admin)),
        secure=True,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    report = response.json()
    assert report["saved"] is False
    assert any(evil in p["message"] and p["column"] == "indicator" for p in report["problems"])
    assert not response.content.lstrip().startswith(b"<")


@pytest.mark.django_db
def test_api_not_found_messages_are_json(client):
    for path in ("/api/v1/<script>x</script>", "/api/v1/initiatives/%3Cb%3E/indicators"):
        response = client.get(path, secure=True)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert isinstance(response.json()["detail"], str)


# --- No secrets in the repository ----------------------------------------------------------

# Built so that this file does not match its own patterns.
SECRET_PATTERNS = {
    "private key": re.compile(r"-{5}BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-{5}"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"(?i)aws_secret_access_key\W{1,4}[A-Za-z0-9/+=]{40}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Backbone API token": re.compile(r"\bbb_[A-Za-z0-9_-]{20,}"),
    "SECRET_KEY literal": re.compile(
        r"""SECRET_KEY["']?\s*[=:,]\s*(?:["']([^"'\n]{3,})["']|([\w\-!@#$%^&*+=]{3,})(?![\w(]))"""
    ),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:([^\s/@'\"]+)@"),
}
# Values that are placeholders, each in the one file that uses it, and why it is not a secret.
ALLOWED = {
    # The documented development-only default (DEBUG only; production must set SECRET_KEY).
    ("backbone/settings.py", "dev-only-insecure-key"),
    # The test suite's key (pytest-env), named for what it is.
    ("pyproject.toml", "test-only-insecure-key-not-for-production-000000000000000"),
    # The memory benchmark's throw-away key.
    ("bench/import_memory.py", "bench-only"),
    # A made-up key that tests/test_settings.py passes to a production check.
    ("tests/test_settings.py", "a-long-random-production-secret-"),
    # README's example DATABASE_URL.
    ("README.md", "pass"),
}


def repository_files() -> list[str]:
    """Tracked files, and new ones git would add (not ignored)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout, so there is no list of the repository's files")
    result = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return sorted({name for name in result.stdout.decode().split("\0") if name})


def secrets_in(name: str, text: str) -> list[str]:
    found = []
    for label, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(match.lastindex or 0)
            if (name, value) not in ALLOWED:
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{name}:{line}: {label}")
    return found


def test_the_secret_patterns_catch_real_looking_secrets():
    samples = {
        "private key": "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow",
        "AWS access key": "key = '" + "AKIA" + "ABCDEFGHIJKLMNOP'",
        "Backbone API token": "Authorization: Bearer " + "bb_" + "q" * 43,
        "SECRET_KEY literal": "SECRET" + "_KEY = 'x9$kd8#f-real-looking-key'",
        "password in a URL": "DATABASE_URL=postgres://app:" + "hunter2@db:5432/backbone",
        "GitHub token": "ghp_" + "a" * 36,
    }
    for label, sample in samples.items():
        assert secrets_in("somewhere.py", sample), label
    default = 'env("SECRET' + '_KEY", "dev-only-insecure-key")'
    assert secrets_in("backbone/settings.py", default) == []
    assert secrets_in("elsewhere.py", default)


def test_no_secrets_in_the_repository():
    found: list[str] = []
    scanned = 0
    for name in repository_files():
        path = ROOT / name
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if b"\0" in raw[:8192]:
            continue  # binary: images, compressed data
        found += secrets_in(name, raw.decode("utf-8", errors="replace"))
        scanned += 1
    assert scanned > 100
    assert found == []
