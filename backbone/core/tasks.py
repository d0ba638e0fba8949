"""Background work that is retried when it fails, and reported when it keeps failing.

Tasks run in a separate worker process (``backbone worker``) from a queue kept in the database
(django-tasks' database backend, ADR 8), so nothing queued is lost when a web process restarts.
A task body runs inside ``retried``: when it raises, the same task is queued again after a
growing delay; after the last attempt the failure is written to the initiative's activity log
(and the error log), where the backbone team sees it. Task bodies must therefore be safe to run
again (each one states why it is).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from backbone.core import audit
from backbone.core.models import Initiative

logger = logging.getLogger("backbone.tasks")

# The waits before the 2nd, 3rd and 4th attempts; a 5th is not made.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@contextmanager
def retried(
    task: Any,
    *,
    attempt: int,
    initiative: Initiative,
    about: models.Model,
    what: str,
    **kwargs: Any,
) -> Iterator[None]:
    """Run the body; if it raises, queue ``task(**kwargs, attempt=attempt + 1)`` after the next
    delay, or, on the last attempt, record the failure in the activity log. The exception is
    raised again either way, so the queue marks this attempt as failed with its traceback."""
    try:
        yield
    except Exception as exc:
        if attempt < MAX_ATTEMPTS:
            run_after = timezone.now() + RETRY_DELAYS[attempt - 1]
            task.using(run_after=run_after).enqueue(**kwargs, attempt=attempt + 1)
            logger.warning(
                "%s failed (attempt %d of %d), retrying after %s: %r",
                what,
                attempt,
                MAX_ATTEMPTS,
                run_after.isoformat(),
                exc,
            )
        else:
            logger.error("%s failed %d times; giving up: %r", what, attempt, exc)
            audit.record(
                actor=None,
                initiative=initiative,
                action="task.failed",
                obj=about,
                summary=_("Could not %(what)s after %(n)d tries: %(error)s")
                % {"what": what, "n": attempt, "error": exc},
                after={"task": task.module_path, "arguments": kwargs, "error": repr(exc)},
            )
        raise
