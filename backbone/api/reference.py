"""The API reference page at ``/api/v1/docs``: the OpenAPI schema, rendered on the server as an
ordinary accessible page (headings, tables, links), in the site's layout and under its CSP.

It replaces Swagger UI, whose page fails WCAG checks we cannot fix from outside (nested
interactive controls, heading order, contrast, target size) and needs JavaScript to show
anything. The machine-readable schema stays at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from ninja.openapi.docs import DocsBase

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"


def inline_markup(text: str) -> SafeString:
    """Descriptions use ``code`` / `code` and **bold**: render those, escape the rest."""
    html = escape(text)
    html = re.sub(r"``(.+?)``|`(.+?)`", lambda m: f"<code>{m[1] or m[2]}</code>", html)
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return mark_safe(html)  # noqa: S308 - built from escaped text only


def paragraphs(text: str | None) -> list[SafeString]:
    return [
        inline_markup(" ".join(p.split())) for p in re.split(r"\n\s*\n", text or "") if p.strip()
    ]


def type_label(schema: dict[str, Any]) -> str:
    """A schema's type in words: ``string``, ``list of PlaceOut``, ``integer or null``."""
    if "$ref" in schema:
        return schema["$ref"].removeprefix(REF)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            return _(" or ").join(type_label(part) for part in schema[combined])
    kind = schema.get("type", "")
    if kind == "array":
        return _("list of %(item)s") % {"item": type_label(schema.get("items", {}))}
    if "enum" in schema:
        return _("one of %(values)s") % {"values": ", ".join(str(v) for v in schema["enum"])}
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return kind or _("any")


def refs(schema: dict[str, Any]) -> list[str]:
    """The named schemas a schema points to (for links)."""
    found: list[str] = []
    if "$ref" in schema:
        found.append(schema["$ref"].removeprefix(REF))
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found.extend(refs(part))
    if "items" in schema:
        found.extend(refs(schema["items"]))
    return found


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: SafeString
    links: list[str]


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    type: str
    links: list[str]


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: list[SafeString]
    needs_token: bool
    parameters: list[Field]
    body: Field | None
    responses: list[Response]


@dataclass(frozen=True)
class Schema:
    name: str
    description: list[SafeString]
    fields: list[Field] = field(default_factory=list)


def _field(name: str, schema: dict[str, Any], required: bool, description: str = "") -> Field:
    text = description or schema.get("description", "")
    return Field(name, type_label(schema), required, inline_markup(text), refs(schema))


def _token_only(security: list[dict[str, Any]]) -> bool:
    """Every way in is a bearer token (reads also accept a signed-in browser)."""
    return bool(security) and all(set(option) == {"BearerToken"} for option in security)


def _json_schema(content: dict[str, Any]) -> dict[str, Any]:
    return content.get("application/json", {}).get("schema", {})


def reference(schema: dict[str, Any]) -> dict[str, Any]:
    """The template's view of an OpenAPI schema: operations in path order, then schemas."""
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method in sorted(methods, key=METHOD_ORDER.index):
            op = methods[method]
            body = op.get("requestBody")
            operations.append(
                Operation(
                    anchor=op.get("operationId", f"{method}-{path}"),
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=paragraphs(op.get("description")),
                    needs_token=_token_only(op.get("security", [])),
                    parameters=[
                        _field(
                            f"{p['name']} ({p['in']})",
                            p.get("schema", {}),
                            p.get("required", False),
                            p.get("description", ""),
                        )
                        for p in op.get("parameters", [])
                    ],
                    body=_field(
                        _("request body (JSON)"),
                        _json_schema(body["content"]),
                        body.get("required", False),
                    )
                    if body
                    else None,
                    responses=[
                        Response(
                            status,
                            answer.get("description", ""),
                            type_label(_json_schema(answer.get("content", {}))),
                            refs(_json_schema(answer.get("content", {}))),
                        )
                        for status, answer in sorted(op.get("responses", {}).items())
                    ],
                )
            )
    schemas = []
    for name, body in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(body.get("required", []))
        schemas.append(
            Schema(
                name=name,
                description=paragraphs(body.get("description")),
                fields=[
                    _field(prop, sub, prop in required)
                    for prop, sub in body.get("properties", {}).items()
                ],
            )
        )
    info = schema.get("info", {})
    return {
        "title": info.get("title", ""),
        "version": info.get("version", ""),
        "description": paragraphs(info.get("description")),
        "operations": operations,
        "schemas": schemas,
    }


class ApiReference(DocsBase):
    """django-ninja's docs hook, answering with our own page instead of Swagger UI."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        context = reference(api.get_openapi_schema(path_params=kwargs))
        context["openapi_url"] = self.get_openapi_url(api, kwargs)
        return render(request, "api/reference.html", context)
