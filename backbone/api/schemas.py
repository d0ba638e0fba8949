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


# --- Learning from the figures (api/insights.py) ---------------------------------------------
# Figures and statistics are exact decimal text rounded to 6 places, as in a series; counts of
# points or partners are integers.

ChartKindName = Literal["run", "xmr", "p", "p_prime"]
RuleName = Literal["outside", "shift", "trend", "long_run", "few_crossings"]
GapStatusName = Literal["closing", "widening", "stable", "reversed", "unknown"]


class SpcSettingsOut(Schema):
    """The documented settings of the chart. Lengths count usable points (missing, hidden and
    not-comparable ones are skipped)."""

    shift_length: int = Field(
        description="This many points in a row on one side of the centre line are a shift "
        "(the initiative's setting)."
    )
    trend_length: int = Field(description="This many points each higher (or lower) are a trend.")
    baseline_size: int = Field(
        description="The centre line and limits are computed on at most this many first usable "
        "points of a phase, then frozen."
    )
    min_points: int = Field(
        description="With fewer usable points in a phase's baseline it gets a run chart."
    )
    sigma: str = Field(description="Limits at ± this many sigma.")


class PhaseOut(Schema):
    """A stretch of the series with its own centre line and limits. A new phase starts at a
    recorded change to how the work is done and at a change of the indicator's definition."""

    index: int = Field(description="0 for the first phase.")
    kind: ChartKindName
    first_period: str
    last_period: str
    started_by: str = Field(description="Why a new phase starts here; empty for the first.")
    baseline_periods: list[str] = Field(
        description="The periods the centre line and limits were computed on."
    )
    centre: str | None
    lower: str | None = Field(
        description="null for a run chart, or when a p or p′ chart's limits differ by point."
    )
    upper: str | None
    mr_bar: str | None = Field(description="XmR: the average moving range.")
    mr_upper: str | None = Field(description="XmR: the moving-range chart's upper limit.")
    sigma_z: str | None = Field(
        description="p and p′: how much more the proportions vary than chance alone (Laney)."
    )
    useful: int = Field(description="Run chart (Anhøj): points not on the median.")
    longest_run: int
    longest_run_limit: int | None
    crossings: int
    crossings_limit: int | None


class ControlPointOut(Schema):
    period: str
    value: str | None = Field(
        description="The plotted value (for a p or p′ chart, numerator ÷ denominator × the rate "
        "base); null when there is no figure or it is hidden."
    )
    suppressed: bool = Field(description="True when the figure is hidden (too few people).")
    centre: str | None
    lower: str | None
    upper: str | None
    moving_range: str | None = Field(description="XmR only.")
    phase: int
    excluded: bool = Field(
        description="Marked not comparable: shown, but left out of the limits and the rules."
    )
    in_baseline: bool = Field(description="Used to compute the phase's centre line and limits.")
    rules: list[RuleName] = Field(description="The rules that flag this point; [] for noise.")


class SignalOut(Schema):
    rule: RuleName
    periods: list[str] = Field(description="The periods the signal is about.")
    direction: Literal["up", "down", ""] = Field(
        description="up: above the centre line or rising; empty for too few crossings."
    )
    phase: int
    description: str


class SignalsOut(Schema):
    """Signal or noise: a control chart (XmR, p or Laney p′) or, for a short series, a run chart
    of the indicator's total at a place."""

    indicator: str
    place: str | None = Field(description="null when the indicator has no approved figures.")
    unit: str
    kind: ChartKindName = Field(description="The chart of the latest phase.")
    method: str = Field(description="How the chart was made, in words.")
    summary: str = Field(description="The signals in one sentence, or that there are none.")
    settings: SpcSettingsOut
    phases: list[PhaseOut]
    points: list[ControlPointOut]
    signals: list[SignalOut]


class ForecastPointOut(Schema):
    period: str
    actual: str | None = Field(description="null when there is no figure or it is hidden.")
    suppressed: bool
    forecast: str | None = Field(
        description="The earlier trend at this period; null before the first fitted value or "
        "after a change of the indicator's definition."
    )
    difference: str | None = Field(
        description="actual − forecast, from the baseline on, for comparable figures."
    )
    better: bool | None = Field(
        description="Whether the actual figure is better than the forecast; null when the "
        "indicator has no better direction or there is no difference."
    )
    fitted: bool = Field(description="Used to draw the trend line.")
    excluded: bool = Field(description="Marked not comparable: left out.")


class ForecastOut(Schema):
    """Turn the curve: the straight-line trend of the figures before the baseline period,
    projected forward beside the actual figures."""

    indicator: str
    place: str | None
    available: bool
    reason: str = Field(description="Why there is no forecast; empty when there is one.")
    baseline_period: str
    slope: str | None = Field(description="The trend's change per year.")
    intercept: str | None = Field(
        description="The line's value at year 0 (the time axis is in decimal years)."
    )
    r_squared: str | None = Field(
        description="How closely the line fits the values it was drawn through (0 to 1); null "
        "when those values are all equal."
    )
    fitted_count: int
    method: str
    summary: str
    points: list[ForecastPointOut]


class ReferenceOut(Schema):
    group: str | None = Field(description="The member code; null when no group can be one.")
    label: str | None
    reason: str = Field(description="Why this group is the reference, in words.")


class GapTrendOut(Schema):
    """Is the gap to the reference group closing, from the first to the latest comparable
    period?"""

    status: GapStatusName
    first_period: str | None
    last_period: str | None
    first_gap: str | None
    last_gap: str | None
    change: str | None = Field(description="|last gap| − |first gap|: negative when it narrowed.")
    distinguishable: bool | None = Field(
        description="Whether the latest gap is larger than its margin of error; null when "
        "there is no margin of error to judge by."
    )
    words: str
    rule: str = Field(description="The rule for closing, widening and stable, in words.")


class EquityGroupOut(Schema):
    group: str = Field(description="The member code of the dimension.")
    label: str
    value: str | None = Field(description="null when there is no figure or it is hidden.")
    suppressed: bool
    is_reference: bool
    difference: str | None = Field(
        description="value − the reference group's, in the indicator's unit (percentage "
        "points for a percent)."
    )
    ratio: str | None = Field(description="value ÷ the reference group's.")
    worse_off: bool | None
    se: str | None = Field(description="The standard error of the difference.")
    distinguishable: bool | None = Field(
        description="Whether the gap is larger than its margin of error."
    )
    words: str
    trend: GapTrendOut | None = Field(description="null for the reference group.")


class TrackOut(Schema):
    """One group's progress to its own target (targeted universalism)."""

    group: str | None = Field(description="The member code; null for everyone (the total).")
    label: str
    on_track: bool | None = Field(description="null when it cannot be told.")
    expected: str | None = Field(
        description="Where a straight path from the baseline to the target is by the latest period."
    )
    latest: str | None
    target: str | None
    target_reached: bool
    suppressed: bool
    words: str


class EquityOut(Schema):
    """Each group of a dimension beside a reference group at the latest period, the gaps'
    trend, and progress to per-group targets."""

    indicator: str
    place: str | None
    dimension: str
    latest_period: str | None = Field(description="null when no group has a figure.")
    confidence: str | None = Field(description="The margin of error's confidence level.")
    method: str = Field(description="How gaps and margins of error are worked out, in words.")
    reference: ReferenceOut | None = Field(description="null when no group has a figure.")
    groups: list[EquityGroupOut]
    tracks: list[TrackOut] = Field(description="[] when no targets are set.")
    summary: str = Field(description="Everyone's and each group's progress, in words.")


class StandingOut(Schema):
    """One partner in one period. Partners are named only as the page names them: your own
    organization, every partner for the backbone team or when the initiative chose open
    comparison, else an anonymous label such as “Partner C” (the same in every period)."""

    label: str
    named: bool
    is_viewer: bool = Field(description="True for your own organization.")
    value: str | None = Field(description="null when hidden (too few people) or missing.")
    suppressed: bool
    rank: int | None = Field(
        description="1 is the best; tied figures share a rank. null for a hidden or missing "
        "figure, or an indicator with no better direction."
    )
    of: int = Field(description="How many figures were ranked.")
    quartile: int | None = Field(description="1 (best quarter) to 4; only with 4 figures or more.")
    from_median: str | None


class PeerPeriodOut(Schema):
    period: str
    count: int = Field(description="How many figures count (not hidden, not missing).")
    median: str | None
    q1: str | None = Field(description="25th percentile; only with 4 figures or more.")
    q3: str | None = Field(description="75th percentile; only with 4 figures or more.")
    low: str | None
    high: str | None
    suppressed_count: int = Field(description="Partners whose figure is hidden.")
    missing_count: int = Field(description="Partners without a figure.")
    standings: list[StandingOut] = Field(description="Best first, then the unranked.")


class PeersOut(Schema):
    """A performance measure: each partner beside the peer median and spread, period by period."""

    indicator: str
    all_named: bool = Field(description="True when every partner is named to you.")
    method: str
    periods: list[PeerPeriodOut] = Field(description="In time order.")
