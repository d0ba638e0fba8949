"""The API's docs: served offline under the site's CSP; the schema changes only on purpose."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.api.conftest import API

pytestmark = pytest.mark.django_db

SNAPSHOT = Path(__file__).with_name("openapi.json")


class _Assets(HTMLParser):
    """Every URL the page loads, and the scripts that would run inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_code: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(found[name] or "")
        if tag == "script":
            self._in_script = found
        if any(name.startswith("on") for name in found) or "style" in found:
            self.inline_code.append(f"<{tag}> attribute")

    def handle_data(self, data: str) -> None:
        script = self._in_script
        runs = script is not None and script.get("type") != "application/json"  # JSON: data
        if runs and not script.get("src") and data.strip():
            self.inline_code.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def test_the_docs_page_loads_only_our_own_files(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    page = _Assets()
    page.feed(response.content.decode())
    assert page.urls, "the page should load the site's style sheet"
    for url in page.urls:
        if url.startswith("#") or url == "data:,":  # a link within the page; the empty favicon
            continue
        assert url.startswith("/") and not url.startswith("//"), url
        assert client.get(url).status_code == 200, url
    assert page.inline_code == []
    assert not re.search(rb"https?://", response.content)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and "http" not in policy


def test_the_reference_page_shows_every_operation_and_data_shape(client):
    """The page is rendered from the same schema programs read: nothing is left out."""
    schema = client.get(f"{API}/openapi.json").json()
    html = client.get(f"{API}/docs").content.decode()
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            assert f'id="{op["operationId"]}"' in html
            assert f"<code>{method.upper()} {path}</code>" in html
            for parameter in op.get("parameters", []):
                assert f"<code>{parameter['name']} ({parameter['in']})</code>" in html
    for name, shape in schema["components"]["schemas"].items():
        assert f'id="schema-{name}"' in html
        for field in shape.get("properties", {}):
            assert f"<code>{field}</code>" in html
    # Every link inside the page goes to an anchor that exists.
    anchors = set(re.findall(r'id="([^"]+)"', html))
    for target in re.findall(r'href="#([^"]+)"', html):
        assert target in anchors, target


def test_the_reference_says_which_operations_need_a_token(client):
    html = client.get(f"{API}/docs").content.decode()
    upsert = html.split('id="backbone_api_measurement_observation_upsert"')[1].split("<section")[0]
    assert "Needs an API token" in upsert
    listing = html.split('id="backbone_api_measurement_observation_list"')[1].split("<section")[0]
    assert "Needs an API token" not in listing


def test_descriptions_are_escaped_with_only_code_and_bold_marked_up():
    from backbone.api.reference import inline_markup, type_label

    assert inline_markup("Send `<b>` and ``x`` **now** <script>") == (
        "Send <code>&lt;b&gt;</code> and <code>x</code> <strong>now</strong> &lt;script&gt;"
    )
    assert type_label({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string or null"
    assert type_label({"type": "array", "items": {"$ref": "#/components/schemas/PlaceOut"}}) == (
        "list of PlaceOut"
    )


def test_the_schema_lists_every_endpoint(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        (method.upper(), path.removeprefix(API))
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations == {
        ("GET", "/initiatives"),
        ("GET", "/initiatives/{slug}"),
        ("GET", "/initiatives/{slug}/indicators"),
        ("GET", "/initiatives/{slug}/indicators/{code}"),
        ("GET", "/initiatives/{slug}/indicators/{code}/signals"),
        ("GET", "/initiatives/{slug}/indicators/{code}/forecast"),
        ("GET", "/initiatives/{slug}/indicators/{code}/equity"),
        ("GET", "/initiatives/{slug}/indicators/{code}/peers"),
        ("GET", "/initiatives/{slug}/places"),
        ("GET", "/initiatives/{slug}/dimensions"),
        ("GET", "/initiatives/{slug}/periods"),
        ("GET", "/initiatives/{slug}/observations"),
        ("POST", "/initiatives/{slug}/observations"),
        ("GET", "/initiatives/{slug}/series"),
    }
    post = schema["paths"][f"{API}/initiatives/{{slug}}/observations"]["post"]
    assert post["security"] == [{"BearerToken": []}]
    assert set(schema["components"]["securitySchemes"]) == {"BearerToken", "SessionRead"}


def test_the_schema_matches_its_snapshot(client):
    """A change to the API's shape must be deliberate: regenerate the snapshot with
    ``UPDATE_SNAPSHOTS=1 pytest tests/api/test_docs.py`` and review the diff."""
    schema = client.get(f"{API}/openapi.json").json()
    text = json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text, encoding="utf-8")
    if not SNAPSHOT.exists():
        pytest.fail(f"No snapshot at {SNAPSHOT}: run with UPDATE_SNAPSHOTS=1 to write it.")
    assert SNAPSHOT.read_text(encoding="utf-8") == text


def test_the_api_root_points_to_the_docs(client):
    response = client.get(f"{API}/")
    assert response.status_code == 200
    assert response.json() == {"docs": "/api/v1/docs", "openapi": "/api/v1/openapi.json"}
