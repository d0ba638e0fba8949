"""The shapes of the API's requests and responses (pydantic, via django-ninja).

Numbers go out as strings holding the exact decimal (``"120"``, ``"17.272727"``), never as
floating point; ``null`` where there is no figure. Codes, not database ids, name everything.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictFloat, StrictInt, StrictStr

StatusName = Literal["draft", "submitted", "approved", "returned"]
# A figure in a row sent to the API: a JSON number, or a string such as "1,234" or "12.5%".
Number = StrictStr | StrictInt | StrictFloat | None


class Message(Schema):
    """Every error: ``detail`` says in plain words what went wrong."""

    detail: str


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationMessage(Schema):
    """A request that does not have the expected shape (a missing field, a word for a number)."""

    detail: str
    errors: list[FieldError] = []


class InitiativeOut(Schema):
    slug: str
    name: str
    geography: str
    problem_statement: str
    vision: str
    is_public: bool
    suppression_threshold: int = Field(
        description="Public figures based on fewer people than this are hidden."
    )
    takes_part: bool = Field(
        description="True when the caller takes part in the initiative and so sees private "
        "indicators and unsuppressed figures."
    )


class IndicatorOut(Schema):
    code: str
    name: str
    definition: str
    unit: str
    rate_base: str
    decimals: int
    direction: str
    level: str
    performance_kind: str
    aggregation: str = Field(description="sum, ratio (of sums) or latest.")
    numerator_label: str
    denominator_label: str
    period_type: str
    source: str
    is_public: bool
    dimensions: list[str] = Field(description="Codes of the dimensions it is split by.")
    min_value: str | None
    max_value: str | None
    definition_version: int


class PlaceOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = Field(description="The code of the place it lies in.")


class MemberOut(Schema):
    code: str
    name: str


class DimensionOut(Schema):
    code: str
    name: str
    members: list[MemberOut]


class PeriodOut(Schema):
    code: str
    type: str
    start: date
    end: date


class ObservationOut(Schema):
    indicator: str
    place: str
    period: str
    breakdown: dict[str, str] = Field(description="{dimension: member}; {} for the total.")
    organization: str | None = Field(
        description="The reporting partner's code (its name if it has none); null for "
        "community-wide data."
    )
    value: str | None
    numerator: str | None
    denominator: str | None
    margin_of_error: str | None
    ci_low: str | None
    ci_high: str | None
    quality: str
    status: StatusName
    version: int
    note: str
    updated_at: datetime
    suppressed: bool = Field(
        description="True when the figures are hidden because they concern too few people."
    )


class ObservationPage(Schema):
    count: int = Field(description="How many observations match, on all pages.")
    limit: int
    offset: int
    items: list[ObservationOut]


class RowIn(Schema):
    """One value in the tidy format (the same columns as an import file)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str
    place: str
    period: str = Field(description="A period code: 2023, 2023Q1, 2023-01, SY2023-24, FY2024.")
    value: Number = None
    numerator: Number = None
    denominator: Number = None
    margin_of_error: Number = None
    ci_low: Number = None
    ci_high: Number = None
    quality: str = Field("", description="Empty, “caution” or “unreliable”.")
    organization: str = Field(
        "", description="The reporting partner's code or name; empty for community-wide data."
    )
    breakdown: dict[str, str] = Field(
        default_factory=dict, description="{dimension code: member code}; {} for the total."
    )
    note: str = ""


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(False, description="Check everything and report, but save nothing.")
    rows: list[RowIn]


class ProblemOut(Schema):
    row: int | None = Field(
        description="1-based position of the row in ``rows``; null for the request as a whole."
    )
    column: str
    message: str
    fix: str
    severity: Literal["error", "warning"]


class ImportReportOut(Schema):
    filename: str
    dry_run: bool
    saved: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: int
    warnings: int
    summary: str
    problems: list[ProblemOut]
    detail: str | None = Field(None, description="The summary again, when nothing was saved.")


class SeriesPointOut(Schema):
    period: str
    period_start: date
    period_end: date
    breakdown: dict[str, str] = Field(description="{} for the total, else {by: member}.")
    value: str | None
    numerator: str | None
    denominator: str | None
    reports: int = Field(description="How many reported figures were combined.")
    suppressed: bool
    annotations: list[str]


class SeriesOut(Schema):
    indicator: str
    place: str
    by: str | None
    unit: str
    aggregation: str
    rate_base: str
    points: list[SeriesPointOut]
