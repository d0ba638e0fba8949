"""Reads for the data quality page: how complete reporting is, values far from a place's usual
ones, groups that do not add up to their total, and indicators whose next figure is late.

Pure reads: nothing here writes. Every query starts from the initiative, so nothing of another
initiative can leak in. The rules themselves are the pure functions of
``backbone.analytics.quality``; this module only gathers the figures they judge:

* **completeness** — a reporting round expects one report of each of its indicators from each
  partner it asks (indicators × partners). A report counts as received when the partner's report
  for the round has been sent (``SENT_STATUSES``: waiting for review or approved) and holds a
  value of that indicator; approved when that report is approved. Per round (beside the partner
  counts of ``review.rounds_of``) and per partner over every round that asked it;
* **outliers** — for each indicator, the total (everyone) values that are approved or waiting for
  review, one history per place × reporting partner, each judged against that history only
  (modified z-score beyond ±3.5 with at least 5 values, Iglewicz & Hoaglin 1993). Values the
  backbone has marked as not comparable (an annotation that breaks comparability, for the place
  or for every place) are left out of the history, and a change of definition starts a new
  history. Only values of the indicator's latest two periods are listed: older ones have had
  their review;
* **parts not summing** — in the indicator's latest period, for each place × partner and each of
  the indicator's dimensions, the groups against the total, by the import's rule. Only for
  indicators whose groups add up (``Aggregation.SUM``) and whose "when groups do not add up"
  setting (``Indicator.parts_rule``) is not "Do not check";
* **staleness** — for each indicator, its latest approved period: the next period ends a period's
  length later (:data:`PERIOD_MONTHS`) and its figure is expected :data:`STALE_GRACE_DAYS` after
  that. The grace lives here, as a module constant.

Cost: a fixed number of queries plus at most two per indicator (its total values; and, for an
indicator whose groups are checked, its latest period's values), whatever the number of places,
partners, periods or values: 15 + 2 × indicators at most. No query per row: values are fetched
with ``values_list`` and grouped in Python; the names of the places and partners listed are
fetched once at the end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backbone.analytics.quality import (
    THRESHOLD,
    Completeness,
    Outlier,
    PartsCheck,
    Staleness,
    completeness,
    completeness_total,
    outliers,
    parts_not_summing,
    staleness,
)
from backbone.core.models import Initiative, Organization
from backbone.measurement.charts import format_change, format_number, format_value, rounded
from backbone.measurement.models import (
    SENT_STATUSES,
    Aggregation,
    Annotation,
    Breakdown,
    Dimension,
    DimensionMember,
    Indicator,
    IndicatorRevision,
    Observation,
    ObservationStatus,
    Place,
    ReportingRound,
    RuleSeverity,
    SubmissionStatus,
)
from backbone.measurement.periods import PeriodType
from backbone.measurement.review import RoundSummary, rounds_of

# The next figure is expected this many days after the end of its period: time to collect,
# check and send it (HUD's Point-in-Time count, for one, is taken in January and sent by April).
STALE_GRACE_DAYS = 90
PERIOD_MONTHS = {
    PeriodType.YEAR: 12,
    PeriodType.QUARTER: 3,
    PeriodType.MONTH: 1,
    PeriodType.SCHOOL_YEAR: 12,
    PeriodType.FISCAL_YEAR: 12,
}
OUTLIER_THRESHOLD = THRESHOLD  # |modified z-score| above this is far from usual (3.5)
OUTLIER_MIN_POINTS = 5  # fewer values than this are too few to say what is usual
OUTLIER_PERIODS = 2  # the latest periods whose values are listed
JUDGED = (ObservationStatus.APPROVED, ObservationStatus.SUBMITTED)


# --- What the page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class CompletenessRow:
    """One line of a completeness table: the counts (``figures``) and, for a round, its partner
    counts from ``review.rounds_of``; for a partner, how many rounds asked it."""

    figures: Completeness
    summary: RoundSummary | None = None
    organization: Organization | None = None
    rounds: int = 0

    @property
    def expected(self) -> str:
        return format_number(self.figures.expected)

    @property
    def received(self) -> str:
        return format_number(self.figures.received)

    @property
    def approved(self) -> str:
        return format_number(self.figures.approved)

    @property
    def percent(self) -> str:
        """Received ÷ expected as shown ("87.5%"); empty when nothing was expected."""
        return format_value(self.figures.percent, unit="percent", decimals=1)

    @property
    def complete(self) -> bool:
        return self.figures.received >= self.figures.expected


@dataclass(frozen=True)
class OutlierRow:
    """A value far from the place's usual values, with the figures shown in its unit."""

    indicator: Indicator
    place: Place
    organization: Organization | None
    period: str
    observation_id: int
    status: str  # an ObservationStatus: approved, or waiting for review (submitted)
    value: str
    median: str
    score: float
    points: int  # how many values the history has
    words: str

    @property
    def high(self) -> bool:
        return self.score > 0

    @property
    def score_text(self) -> str:
        """|score| with one decimal, or more where one would make it look equal to the
        threshold (3.504 → "3.504", not "3.5")."""
        size, limit = abs(Decimal(repr(self.score))), Decimal(repr(OUTLIER_THRESHOLD))
        decimals = next((d for d in range(1, 7) if rounded(size, d) > limit), 6)
        return format_number(size, decimals)

    @property
    def points_text(self) -> str:
        return format_number(self.points)

    @property
    def waiting(self) -> bool:
        return self.status == ObservationStatus.SUBMITTED


@dataclass(frozen=True)
class PartsRow:
    """The groups of one dimension that do not add up to the total of one place and partner."""

    indicator: Indicator
    place: Place
    organization: Organization | None
    period: str
    dimension: str
    total: str
    parts_sum: str
    difference: str  # groups − total, signed
    missing_parts: int
    words: str


@dataclass(frozen=True)
class StaleRow:
    indicator: Indicator
    period_months: int
    staleness: Staleness

    @property
    def days_late(self) -> str:
        return format_number(self.staleness.days_late)


@dataclass(frozen=True)
class QualityReport:
    today: date
    grace_days: int
    rounds: list[CompletenessRow]
    total: CompletenessRow  # every round together (Σ received ÷ Σ expected)
    partners: list[CompletenessRow]
    outliers: list[OutlierRow]
    parts: list[PartsRow]
    stale: list[StaleRow]  # late ones only, the longest late first
    up_to_date: int  # indicators whose next figure is not late

    @property
    def indicators(self) -> int:
        return len(self.stale) + self.up_to_date


def quality_report(initiative: Initiative, *, today: date) -> QualityReport:
    """Every check of the data quality page for ``initiative``, as of ``today``."""
    indicators = list(Indicator.objects.filter(initiative=initiative).order_by("name", "code"))
    rounds, total, partners = _completeness(initiative)
    series = {i.pk: _totals(i) for i in indicators}
    found_outliers = _outliers(initiative, indicators, series)
    found_parts = _parts(initiative, indicators, series)
    places = Place.objects.in_bulk({f.point.place_id for f in [*found_outliers, *found_parts]})
    orgs = Organization.objects.in_bulk(
        {f.point.organization_id for f in [*found_outliers, *found_parts]} - {None}
    )
    stale = _staleness(initiative, indicators, today)
    late = sorted(
        (row for row in stale if row.staleness.stale),
        key=lambda r: (r.staleness.last_end is not None, -r.staleness.days_late, r.indicator.name),
    )
    outlier_rows = [
        row
        for _start, row in sorted(
            ((f.point.start, f.row(places, orgs)) for f in found_outliers),
            key=lambda sr: (
                sr[1].indicator.name,
                sr[1].indicator.code,
                -sr[0].toordinal(),  # the latest period first
                -abs(sr[1].score),
                sr[1].place.code,
            ),
        )
    ]
    parts_rows = sorted(
        (f.row(places, orgs) for f in found_parts),
        key=lambda r: (
            r.indicator.name,
            r.indicator.code,
            r.place.code,
            r.organization.name if r.organization else "",
            r.dimension,
        ),
    )
    return QualityReport(
        today=today,
        grace_days=STALE_GRACE_DAYS,
        rounds=rounds,
        total=total,
        partners=partners,
        outliers=outlier_rows,
        parts=parts_rows,
        stale=late,
        up_to_date=len(stale) - len(late),
    )


# --- Completeness ---------------------------------------------------------------------------


def _completeness(
    initiative: Initiative,
) -> tuple[list[CompletenessRow], CompletenessRow, list[CompletenessRow]]:
    """Per round and per partner; five queries."""
    summaries = rounds_of(initiative)
    asked_indicators: dict[int, set[int]] = defaultdict(set)
    for round_id, indicator_id in ReportingRound.indicators.through.objects.filter(
        reportinground__initiative=initiative
    ).values_list("reportinground_id", "indicator_id"):
        asked_indicators[round_id].add(indicator_id)
    asked_partners: dict[int, set[int]] = defaultdict(set)
    for round_id, org_id in ReportingRound.organizations.through.objects.filter(
        reportinground__initiative=initiative
    ).values_list("reportinground_id", "organization_id"):
        asked_partners[round_id].add(org_id)
    received: dict[tuple[int, int], set[int]] = defaultdict(set)
    approved: dict[tuple[int, int], set[int]] = defaultdict(set)
    sent = (
        Observation.objects.filter(
            submission__round__initiative=initiative, submission__status__in=SENT_STATUSES
        )
        .values_list(
            "submission__round_id",
            "submission__organization_id",
            "indicator_id",
            "submission__status",
        )
        .distinct()
    )
    for round_id, org_id, indicator_id, status in sent:
        received[(round_id, org_id)].add(indicator_id)
        if status == SubmissionStatus.APPROVED:
            approved[(round_id, org_id)].add(indicator_id)

    by_partner: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # rounds, exp, rec, appr
    rounds = []
    for summary in summaries:
        rid = summary.round.pk
        wanted = asked_indicators[rid]
        counts = [0, 0, 0]
        for org_id in asked_partners[rid]:
            got = len(received[(rid, org_id)] & wanted)
            ok = len(approved[(rid, org_id)] & wanted)
            for i, n in enumerate((len(wanted), got, ok)):
                counts[i] += n
                by_partner[org_id][i + 1] += n
            by_partner[org_id][0] += 1
        figures = completeness(
            rid, summary.round.name, expected=counts[0], received=counts[1], approved=counts[2]
        )
        rounds.append(CompletenessRow(figures, summary=summary))
    total = CompletenessRow(completeness_total([r.figures for r in rounds]))
    names = Organization.objects.in_bulk(list(by_partner))
    partners = [
        CompletenessRow(
            completeness(org_id, names[org_id].name, expected=e, received=r, approved=a),
            organization=names[org_id],
            rounds=n,
        )
        for org_id, (n, e, r, a) in by_partner.items()
    ]
    partners.sort(
        key=lambda row: (
            row.figures.percent is None,
            row.figures.percent or 0,
            row.figures.label.casefold(),
        )
    )
    return rounds, total, partners


# --- Total values over time -----------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    """One total value; its label reads as the period's code."""

    observation_id: int
    place_id: int
    organization_id: int | None
    period_id: int
    code: str
    start: date
    value: Decimal
    status: str

    def __str__(self) -> str:
        return self.code


def _totals(indicator: Indicator) -> list[_Point]:
    """The indicator's total values that are approved or waiting for review; one query."""
    rows = Observation.objects.filter(
        indicator=indicator, breakdown__key="", status__in=JUDGED, value__isnull=False
    ).values_list(
        "pk",
        "place_id",
        "organization_id",
        "period_id",
        "period__code",
        "period__start",
        "value",
        "status",
    )
    return sorted((_Point(*row) for row in rows), key=lambda p: (p.start, p.code))


def _latest_periods(points: list[_Point], count: int) -> set[int]:
    """The ids of the ``count`` latest periods that have a value."""
    seen: dict[int, tuple[date, str]] = {p.period_id: (p.start, p.code) for p in points}
    return set(sorted(seen, key=seen.get, reverse=True)[:count])


# --- Outliers -------------------------------------------------------------------------------


def _shown(indicator: Indicator, value: Decimal) -> str:
    return format_value(
        value, unit=indicator.unit, decimals=indicator.decimals, rate_base=indicator.rate_base
    )


@dataclass(frozen=True)
class _FoundOutlier:
    indicator: Indicator
    point: _Point
    outlier: Outlier
    points: int

    def row(self, places: dict[int, Place], orgs: dict[int, Organization]) -> OutlierRow:
        p, o = self.point, self.outlier
        return OutlierRow(
            indicator=self.indicator,
            place=places[p.place_id],
            organization=orgs.get(p.organization_id),
            period=p.code,
            observation_id=p.observation_id,
            status=p.status,
            value=_shown(self.indicator, o.value),
            median=_shown(self.indicator, o.median),
            score=o.score,
            points=self.points,
            words=o.words,
        )


def _outliers(
    initiative: Initiative, indicators: list[Indicator], series: dict[int, list[_Point]]
) -> list[_FoundOutlier]:
    """Outliers of each indicator's latest two periods; two queries besides the values."""
    not_comparable = set(
        Annotation.objects.filter(
            indicator__initiative=initiative, breaks_comparability=True
        ).values_list("indicator_id", "period_id", "place_id")
    )
    breaks: dict[int, list[date]] = defaultdict(list)
    for indicator_id, start in IndicatorRevision.objects.filter(
        indicator__initiative=initiative
    ).values_list("indicator_id", "effective_period__start"):
        breaks[indicator_id].append(start)
    found = []
    for indicator in indicators:
        points = [
            p
            for p in series[indicator.pk]
            if (indicator.pk, p.period_id, None) not in not_comparable
            and (indicator.pk, p.period_id, p.place_id) not in not_comparable
        ]
        recent = _latest_periods(points, OUTLIER_PERIODS)
        histories: dict[tuple, list[_Point]] = defaultdict(list)
        for p in points:
            definition = sum(1 for b in breaks[indicator.pk] if b <= p.start)
            histories[(p.place_id, p.organization_id, definition)].append(p)
        for history in histories.values():
            if not any(p.period_id in recent for p in history):
                continue
            judged = outliers(
                [(p, p.value) for p in history],
                threshold=OUTLIER_THRESHOLD,
                min_points=OUTLIER_MIN_POINTS,
                decimals=indicator.decimals,
            )
            found += [
                _FoundOutlier(indicator, o.label, o, len(history))
                for o in judged
                if o.label.period_id in recent
            ]
    return found


# --- Groups that do not add up --------------------------------------------------------------


@dataclass(frozen=True)
class _FoundParts:
    indicator: Indicator
    point: _Point  # the total
    dimension: str
    check: PartsCheck

    def row(self, places: dict[int, Place], orgs: dict[int, Organization]) -> PartsRow:
        i, c = self.indicator, self.check
        return PartsRow(
            indicator=i,
            place=places[self.point.place_id],
            organization=orgs.get(self.point.organization_id),
            period=self.point.code,
            dimension=self.dimension,
            total=_shown(i, c.total),
            parts_sum=_shown(i, c.parts_sum),
            difference=format_change(
                c.difference, unit=i.unit, decimals=i.decimals, rate_base=i.rate_base
            ),
            missing_parts=c.missing_parts,
            words=c.words,
        )


def _parts(
    initiative: Initiative, indicators: list[Indicator], series: dict[int, list[_Point]]
) -> list[_FoundParts]:
    """Groups against totals in each checked indicator's latest period.

    Four queries for the initiative's dimensions and groups, then one per checked indicator.
    """
    checked = [
        i
        for i in indicators
        if i.aggregation == Aggregation.SUM and i.parts_rule != RuleSeverity.OFF and series[i.pk]
    ]
    if not checked:
        return []
    dimensions_of: dict[int, list[int]] = defaultdict(list)
    for indicator_id, dimension_id in Indicator.dimensions.through.objects.filter(
        indicator__in=checked
    ).values_list("indicator_id", "dimension_id"):
        dimensions_of[indicator_id].append(dimension_id)
    members: dict[int, list[int]] = defaultdict(list)  # dimension → its groups, in order
    for member_id, dimension_id in (
        DimensionMember.objects.filter(dimension__initiative=initiative)
        .order_by("dimension_id", "sort_order", "name")
        .values_list("pk", "dimension_id")
    ):
        members[dimension_id].append(member_id)
    names = dict(Dimension.objects.filter(initiative=initiative).values_list("pk", "name"))
    in_breakdown: dict[int, list[int]] = defaultdict(list)
    for breakdown_id, member_id in Breakdown.members.through.objects.filter(
        breakdown__initiative=initiative
    ).values_list("breakdown_id", "dimensionmember_id"):
        in_breakdown[breakdown_id].append(member_id)
    found = []
    for indicator in checked:
        dimensions = sorted(dimensions_of[indicator.pk], key=lambda d: (names[d], d))
        if dimensions:
            latest = max(series[indicator.pk], key=lambda p: (p.start, p.code))
            found += _parts_of(indicator, latest, dimensions, members, names, in_breakdown)
    return found


def _parts_of(
    indicator: Indicator,
    latest: _Point,
    dimensions: list[int],
    members: dict[int, list[int]],
    names: dict[int, str],
    in_breakdown: dict[int, list[int]],
) -> list[_FoundParts]:
    """One place × partner at a time: each dimension's groups against the total; one query."""
    totals: dict[tuple[int, int | None], _Point] = {}
    groups: dict[tuple[int, int | None], dict[int, Decimal | None]] = defaultdict(dict)
    rows = Observation.objects.filter(
        indicator=indicator, period_id=latest.period_id, status__in=JUDGED
    ).values_list(
        "pk", "place_id", "organization_id", "breakdown__key", "breakdown_id", "value", "status"
    )
    for pk, place_id, org_id, key, breakdown_id, value, status in rows:
        if key == "":
            totals[(place_id, org_id)] = _Point(
                pk, place_id, org_id, latest.period_id, latest.code, latest.start, value, status
            )
        elif len(in_breakdown[breakdown_id]) == 1:  # one group of one dimension
            groups[(place_id, org_id)][in_breakdown[breakdown_id][0]] = value
    found = []
    for key, total in totals.items():
        reported = groups.get(key, {})
        for dimension_id in dimensions:
            if not any(m in reported for m in members[dimension_id]):
                continue  # no group of this dimension was reported: nothing to add up
            check = parts_not_summing(
                names[dimension_id],
                total.value,
                [reported.get(m) for m in members[dimension_id]],
                decimals=indicator.decimals,
            )
            if check is not None:
                found.append(_FoundParts(indicator, total, names[dimension_id], check))
    return found


# --- Staleness ------------------------------------------------------------------------------


def _staleness(initiative: Initiative, indicators: list[Indicator], today: date) -> list[StaleRow]:
    """Each indicator's latest approved period against ``today``; one query (a row per
    indicator × period with an approved value)."""
    latest: dict[int, tuple[date, str]] = {}
    periods = (
        Observation.objects.filter(
            indicator__initiative=initiative, status=ObservationStatus.APPROVED
        )
        .values_list("indicator_id", "period__end", "period__code")
        .distinct()
    )
    for indicator_id, end, code in periods:
        if indicator_id not in latest or (end, code) > latest[indicator_id]:
            latest[indicator_id] = (end, code)
    rows = []
    for indicator in indicators:
        months = PERIOD_MONTHS.get(indicator.period_type, 12)
        end, code = latest.get(indicator.pk, (None, None))
        judged = staleness(
            last_end=end,
            last_label=code,
            period_months=months,
            grace_days=STALE_GRACE_DAYS,
            today=today,
        )
        rows.append(StaleRow(indicator, months, judged))
    return rows
