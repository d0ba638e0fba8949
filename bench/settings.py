"""Settings of the benchmark processes: production settings, except static files are served from
the source folders without a manifest, so that a benchmark needs no ``collectstatic``."""

from backbone.settings import *  # noqa: F403
from backbone.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
