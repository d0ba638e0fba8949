"""Spreadsheet templates for a partner's report in a reporting round (CSV or XLSX).

One row per value the round asks for: each indicator of the round, for the total and for each
group of the dimensions it is split by, at each place the partner reported for last time (or one
row with the place to fill in). The figure columns are empty; a row left without figures is
skipped by the import with a note, so partners fill in what they have.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from backbone.measurement.exports import write_csv, write_xlsx
from backbone.measurement.models import Observation, Place, Submission
from backbone.measurement.tidy import normalise_header


def template_columns(submission: Submission) -> tuple[str, ...]:
    dims = sorted(
        {
            code
            for indicator in submission.round.indicators.all()
            for code in indicator.dimensions.values_list("code", flat=True)
        }
    )
    return (
        "indicator",
        "indicator_name",
        "place",
        "place_name",
        "period",
        "value",
        "numerator",
        "denominator",
        "organization",
        *dims,
        "note",
    )


def usual_places(submission: Submission) -> list[Place]:
    """Where the partner reported these indicators most recently before this round."""
    rnd = submission.round
    earlier = Observation.objects.filter(
        organization=submission.organization,
        indicator__in=rnd.indicators.all(),
        period__start__lt=rnd.period.start,
    )
    latest = earlier.order_by("-period__start").values_list("period_id", flat=True).first()
    if latest is None:
        return []
    ids = earlier.filter(period_id=latest).values_list("place_id", flat=True).distinct()
    return list(Place.objects.filter(pk__in=list(ids)).order_by("code"))


def template_rows(submission: Submission) -> Iterator[dict[str, object]]:
    rnd = submission.round
    org = submission.organization
    places: list[Place | None] = [*usual_places(submission)] or [None]
    for indicator in rnd.indicators.order_by("code"):
        groups: list[dict[str, str]] = [{}]
        for dimension in indicator.dimensions.order_by("code"):
            groups += [{dimension.code: m.code} for m in dimension.members.all()]
        for place in places:
            for group in groups:
                yield {
                    "indicator": indicator.code,
                    "indicator_name": indicator.name,
                    "place": place.code if place else "",
                    "place_name": place.name if place else "",
                    "period": rnd.period.code,
                    "organization": org.external_code or org.name,
                    **{normalise_header(k): v for k, v in group.items()},
                }


def write_template(submission: Submission, fmt: str, out: IO) -> int:
    """Write the template as ``csv`` (text stream) or ``xlsx`` (binary stream)."""
    columns = template_columns(submission)
    rows = template_rows(submission)
    if fmt == "csv":
        return write_csv(rows, columns, out)
    rnd = submission.round
    about = [
        (_("Report"), f"{submission.organization} · {rnd.name}"),
        (_("Period"), rnd.period.code),
        (_("Due"), rnd.due_on.isoformat()),
        (
            _("How to fill it in"),
            _(
                "Enter a value in each row you have a figure for; for percents enter the "
                "numerator and denominator instead. Leave a group empty if you do not collect "
                "it. Do not change the codes in the other columns."
            ),
        ),
        (_("Places"), ", ".join(p.code for p in rnd.initiative.places.order_by("code")[:200])),
    ]
    return write_xlsx(rows, columns, out, about=about)
