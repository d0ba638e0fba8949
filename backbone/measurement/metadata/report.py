"""What a metadata load reports: the format's name and version, the kinds of object a file
holds, each problem found (where in the file, what is wrong, how to fix it), what was created,
changed or left alone per kind, and the two refusals (``MetadataUnreadable``,
``MetadataRejected``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backbone.core.errors import DomainError
from backbone.core.models import Initiative

FORMAT = "backbone-metadata"
VERSION = 1
KINDS = (
    "initiative",
    "organizations",
    "partnerships",
    "places",
    "dimensions",
    "indicators",
    "annotations",
    "targets",
)

# --- Results and errors ----------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataProblem:
    """One problem: where in the file (a JSON path: ``indicators[2].unit``), what, how to fix."""

    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path or _('(the whole file)')}: {self.message} — {self.fix}"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class MetadataReport:
    """What a load did (or, in a dry run, would do), per kind of object; or why it refused."""

    dry_run: bool = False
    counts: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    problems: list[MetadataProblem] = field(default_factory=list)
    initiative: Initiative | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return sum(t.created + t.updated for t in self.counts.values())


class MetadataUnreadable(DomainError):
    """The file cannot be read, or is not JSON; the message says where it went wrong."""


class MetadataRejected(DomainError):
    """The file has problems (``report.problems``); nothing was written."""

    def __init__(self, report: MetadataReport) -> None:
        n = len(report.problems)
        super().__init__(
            ngettext(
                "The metadata file has %(n)d problem; nothing was saved.",
                "The metadata file has %(n)d problems; nothing was saved.",
                n,
            )
            % {"n": n}
        )
        self.report = report
        self.problems = report.problems
