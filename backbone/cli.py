"""The `backbone` command: a friendly front door to Django's management commands.

`backbone demo` loads and serves the demo; `backbone demo --no-serve` only loads. Any other
sub-command is a Django management command (`backbone migrate`, `backbone createsuperuser` …;
`backbone worker` runs the background tasks);
dashes in its name are read as underscores (`backbone load-metadata` runs `load_metadata`).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backbone.settings")
    if args:
        # `backbone load-metadata` runs the Django command `load_metadata`.
        args[0] = args[0].replace("-", "_")
        # `backbone worker` runs the background tasks (django-tasks' database worker).
        args[0] = {"worker": "db_worker"}.get(args[0], args[0])
    if args[:1] == ["demo"]:
        # The demo runs on one laptop over plain HTTP: development settings unless told otherwise.
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["backbone", *args] if args else ["backbone", "help"])


if __name__ == "__main__":
    main()
