"""Settings of the benchmark processes: production settings, except static files are served from
the source folders without a manifest (``collectstatic`` is not run for a benchmark; its
post-processing currently stops at ``vendor/vega/vega-embed.min.js.map``, see
docs/benchmarks.md)."""

from backbone.settings import *  # noqa: F403
from backbone.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
