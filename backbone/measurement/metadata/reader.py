"""Reading a metadata file from a path, an open file or already-parsed JSON, with every number
as a ``Decimal``. A file that cannot be read or is not JSON raises ``MetadataUnreadable``, which
says where it went wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from backbone.measurement.metadata.report import MetadataUnreadable


def read_metadata(source: str | Path | IO | Mapping[str, Any]) -> Any:
    """The parsed file (numbers as ``Decimal``). A ``str`` is a file path. Raise
    ``MetadataUnreadable`` saying which line and column broke the JSON."""
    if isinstance(source, Mapping):
        return _decimals(source)
    name = str(source) if isinstance(source, str | Path) else getattr(source, "name", "")
    name = name or _("the file")
    try:
        if isinstance(source, str | Path):
            text: str | bytes = Path(source).read_bytes()
        else:
            text = source.read()
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
    except OSError as exc:
        raise MetadataUnreadable(
            _("Cannot read %(name)s: %(error)s.") % {"name": name, "error": exc.strerror or exc}
        ) from exc
    except UnicodeDecodeError as exc:
        raise MetadataUnreadable(
            _("%(name)s is not UTF-8 text. Save it as UTF-8 and try again.") % {"name": name}
        ) from exc
    try:
        return _decimals(json.loads(text.lstrip("\ufeff"), parse_float=Decimal))
    except json.JSONDecodeError as exc:
        raise MetadataUnreadable(
            _(
                "%(name)s is not valid JSON: %(error)s at line %(line)d, column %(column)d. "
                "Look for a missing comma, quote or bracket just before that point."
            )
            % {"name": name, "error": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from exc


def _decimals(value: Any) -> Any:
    """A copy with every float as a ``Decimal`` (money and rates must not drift)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value
