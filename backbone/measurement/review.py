"""Reads for the backbone's review pages: the queue of reports waiting for a decision, each
value of a report beside the same partner's previous value, the warnings a reviewer should look
at, how complete a reporting round is, and the history of one value.

Pure reads: nothing here writes. Every query starts from the initiative (or from an object the
view already found inside it), so nothing of another initiative can leak in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.core.models import Initiative, Organization
from backbone.measurement.models import (
    SENT_STATUSES,
    Aggregation,
    Breakdown,
    DimensionMember,
    Indicator,
    Observation,
    ObservationChange,
    ObservationStatus,
    Period,
    Quality,
    ReportingRound,
    Submission,
    SubmissionStatus,
    Unit,
)
from backbone.measurement.services import FIGURE_FIELDS, series_breaks, snapshot
from backbone.measurement.validation import Figures, Problem, check_figures, check_parts

# A change from the previous period is "large" — worth a second look — when a value moves by a
# quarter or more of itself, or a percent by ten points or more.
LARGE_RELATIVE = Decimal(25)  # percent of the previous value
LARGE_POINTS = Decimal(10)  # percentage points, for percents
RECENT_DECISIONS = 10
DECIDED = (SubmissionStatus.APPROVED, SubmissionStatus.RETURNED)


# --- The queue ------------------------------------------------------------------------------


def submissions_of(initiative: Initiative) -> QuerySet[Submission]:
    """Every report of the initiative's rounds, with what the review pages show about it."""
    return Submission.objects.filter(round__initiative=initiative).select_related(
        "round__period", "organization", "submitted_by", "decided_by"
    )


def waiting(initiative: Initiative) -> list[Submission]:
    """Reports sent for review and not yet decided, the longest waiting first."""
    return list(
        submissions_of(initiative)
        .filter(status=SubmissionStatus.SUBMITTED)
        .annotate(value_count=Count("observations"))
        .order_by("submitted_at", "pk")
    )


def recently_decided(initiative: Initiative, limit: int = RECENT_DECISIONS) -> list[Submission]:
    """The latest approved or returned reports, newest decision first."""
    return list(
        submissions_of(initiative)
        .filter(status__in=DECIDED, decided_at__isnull=False)
        .order_by("-decided_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class RoundSummary:
    round: ReportingRound
    expected: int
    reported: int
    approved: int


def rounds_of(initiative: Initiative) -> list[RoundSummary]:
    """The initiative's rounds, open ones first, then by due date (latest first)."""
    rounds = (
        ReportingRound.objects.filter(initiative=initiative)
        .select_related("period")
        .annotate(
            expected=Count("organizations", distinct=True),
            reported=Count(
                "submissions", filter=Q(submissions__status__in=SENT_STATUSES), distinct=True
            ),
            approved=Count(
                "submissions",
                filter=Q(submissions__status=SubmissionStatus.APPROVED),
                distinct=True,
            ),
        )
        .order_by("-is_open", "-due_on", "name")
    )
    return [RoundSummary(r, r.expected, r.reported, r.approved) for r in rounds]


# --- One report beside the previous period --------------------------------------------------


@dataclass(frozen=True)
class Change:
    """How a value moved since the previous period."""

    difference: Decimal
    relative: Decimal | None  # percent of the previous value; None when that was zero
    points: bool  # the difference is in percentage points (a percent indicator)
    large: bool

    @property
    def direction(self) -> str:
        return "up" if self.difference > 0 else "down" if self.difference < 0 else "same"

    @property
    def size(self) -> Decimal:
        return abs(self.difference)

    @property
    def relative_size(self) -> Decimal | None:
        return None if self.relative is None else abs(self.relative)


def change_between(indicator: Indicator, previous: Decimal | None, current: Decimal | None):
    """The change from ``previous`` to ``current`` (None when either is missing)."""
    if previous is None or current is None:
        return None
    difference = current - previous
    relative = None if previous == 0 else difference / abs(previous) * 100
    points = indicator.unit == Unit.PERCENT
    if points:
        large = abs(difference) >= LARGE_POINTS
    elif relative is None:
        large = difference != 0
    else:
        large = abs(relative) >= LARGE_RELATIVE
    return Change(difference, relative, points, large)


@dataclass(frozen=True)
class ValueRow:
    """One value of a report, the same partner's previous value and the change between them."""

    observation: Observation
    group: str
    previous: Observation | None
    change: Change | None
    problems: tuple[Problem, ...]
    # Set when the indicator's definition changed between the two periods: no change is shown.
    not_comparable: str = ""

    @property
    def indicator(self) -> Indicator:
        return self.observation.indicator

    @property
    def fmt(self) -> str:
        """The ``floatformat`` argument for this indicator: its decimals, grouped."""
        return f"{self.indicator.decimals}g"

    @property
    def is_percent(self) -> bool:
        return self.indicator.unit == Unit.PERCENT

    @property
    def is_ratio(self) -> bool:
        return self.indicator.aggregation == Aggregation.RATIO


def group_name(breakdown: Breakdown) -> str:
    """The group a value is for, in words: "Total" or its groups joined ("Black · Adult")."""
    if breakdown.is_total:
        return _("Total (everyone)")
    return " · ".join(m.name for m in breakdown.members.all())


def _figures(obs: Observation) -> Figures:
    return Figures(**{name: getattr(obs, name) for name in FIGURE_FIELDS})


def _observations(submission: Submission) -> list[Observation]:
    members = Prefetch(
        "breakdown__members", queryset=DimensionMember.objects.select_related("dimension")
    )
    rows = (
        submission.observations.select_related("indicator", "place", "period", "breakdown")
        .prefetch_related(members)
        .order_by("indicator__code", "place__code", "breakdown__key")
    )
    return list(rows)


def _previous(observations: list[Observation], organization: Organization) -> dict:
    """The same partner's latest approved value before each observation's period, by key."""
    if not observations:
        return {}
    period = observations[0].period
    earlier = (
        Observation.objects.filter(
            organization=organization,
            indicator_id__in={o.indicator_id for o in observations},
            place_id__in={o.place_id for o in observations},
            breakdown_id__in={o.breakdown_id for o in observations},
            period__type=period.type,
            period__start__lt=period.start,
            status=ObservationStatus.APPROVED,
        )
        .select_related("period")
        .order_by("period__start")
    )
    found: dict[tuple[int, int, int], Observation] = {}
    for obs in earlier:  # later periods overwrite earlier ones
        found[(obs.indicator_id, obs.place_id, obs.breakdown_id)] = obs
    return found


def comparison(submission: Submission) -> list[ValueRow]:
    """Every value of the report beside the partner's previous value for the same indicator,
    place and group, with the change and the value's own problems (``check_figures``)."""
    observations = _observations(submission)
    previous = _previous(observations, submission.organization)
    breaks: dict[int, list[Period]] = {}
    rows = []
    for obs in observations:
        before = previous.get((obs.indicator_id, obs.place_id, obs.breakdown_id))
        if obs.indicator_id not in breaks:
            breaks[obs.indicator_id] = series_breaks(obs.indicator)
        changed_at = next(
            (
                p
                for p in breaks[obs.indicator_id]
                if before and before.period.start < p.start <= obs.period.start
            ),
            None,
        )
        rows.append(
            ValueRow(
                observation=obs,
                group=group_name(obs.breakdown),
                previous=before,
                change=None
                if changed_at
                else change_between(obs.indicator, before.value if before else None, obs.value),
                problems=tuple(check_figures(obs.indicator, _figures(obs))),
                not_comparable=_("Not comparable: the definition changed in %(period)s.")
                % {"period": changed_at.code}
                if changed_at
                else "",
            )
        )
    return rows


@dataclass(frozen=True)
class Concern:
    """A warning for the reviewer: what it is about, and the problem in plain words."""

    about: str
    problem: Problem


def concerns(rows: list[ValueRow]) -> list[Concern]:
    """What the reviewer should look at: each value's own problems, and groups that do not add
    up to the total (``check_parts``: counts for a count, numerators and denominators for a
    percent or rate — percents never add up)."""
    found = [
        Concern(f"{r.indicator} · {r.observation.place} · {r.group}", p)
        for r in rows
        for p in r.problems
    ]
    by_series: dict[tuple[int, int], list[Observation]] = defaultdict(list)
    for r in rows:
        by_series[(r.observation.indicator_id, r.observation.place_id)].append(r.observation)
    for series_rows in by_series.values():
        found += _parts_concerns(series_rows)
    return found


def _parts_concerns(observations: list[Observation]) -> list[Concern]:
    indicator, place = observations[0].indicator, observations[0].place
    total = next((o for o in observations if o.breakdown.is_total), None)
    if total is None:
        return []
    by_dimension: dict[int, list[tuple[DimensionMember, Observation]]] = defaultdict(list)
    for obs in observations:
        members = list(obs.breakdown.members.all())
        if len(members) == 1:
            by_dimension[members[0].dimension_id].append((members[0], obs))
    fields = (
        ("numerator", "denominator") if indicator.aggregation == Aggregation.RATIO else ("value",)
    )
    labels = {"numerator": indicator.numerator_label, "denominator": indicator.denominator_label}
    found = []
    for parts in by_dimension.values():
        dimension = parts[0][0].dimension
        every = {m.pk for m, _obs in parts} >= set(dimension.members.values_list("pk", flat=True))
        for field in fields:
            whole = getattr(total, field)
            numbers = {m.name: getattr(o, field) for m, o in parts}
            if whole is None or any(v is None for v in numbers.values()):
                continue
            name = dimension.name
            if field in labels:
                name = f"{dimension.name} ({labels[field] or _(field)})"
            problem = check_parts(indicator, name, whole, numbers, all_members=every)
            if problem is not None:
                found.append(Concern(f"{indicator} · {place}", problem))
    return found


# --- How complete a round is ----------------------------------------------------------------

NOT_STARTED = "not_started"


@dataclass(frozen=True)
class Expected:
    """One partner asked to report in a round, and where its report stands."""

    organization: Organization
    submission: Submission | None
    state: str  # NOT_STARTED or a SubmissionStatus
    when: datetime | None  # submitted, decided, or last saved
    value_count: int
    overdue: bool

    @property
    def state_label(self) -> str:
        if self.state == NOT_STARTED:
            return _("Not started")
        return str(SubmissionStatus(self.state).label)


@dataclass(frozen=True)
class Completeness:
    round: ReportingRound
    rows: list[Expected]

    def _count(self, *states: str) -> int:
        return sum(1 for r in self.rows if r.state in states)

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def reported(self) -> int:
        return self._count(*SENT_STATUSES)

    @property
    def approved(self) -> int:
        return self._count(SubmissionStatus.APPROVED)

    @property
    def waiting(self) -> int:
        return self._count(SubmissionStatus.SUBMITTED)

    @property
    def returned(self) -> int:
        return self._count(SubmissionStatus.RETURNED)

    @property
    def not_started(self) -> int:
        return self._count(NOT_STARTED)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def completeness(reporting_round: ReportingRound, today: date) -> Completeness:
    """Every partner the round asks, with its report's state; "overdue" when the due date has
    passed and the report is neither sent nor approved. A draft with no values is "not started".
    """
    submissions = {
        s.organization_id: s
        for s in reporting_round.submissions.select_related("submitted_by", "decided_by").annotate(
            value_count=Count("observations"), last_saved=Max("observations__updated_at")
        )
    }
    # A closed round asks nothing more of anyone: nobody is late for it.
    late = reporting_round.is_open and today > reporting_round.due_on
    rows = []
    for org in reporting_round.organizations.order_by("name"):
        sub = submissions.get(org.pk)
        count = sub.value_count if sub else 0
        if sub is None or (sub.status == SubmissionStatus.DRAFT and count == 0):
            state, when = NOT_STARTED, None
        elif sub.status == SubmissionStatus.SUBMITTED:
            state, when = sub.status, sub.submitted_at
        elif sub.status in DECIDED:
            state, when = sub.status, sub.decided_at
        else:
            state, when = sub.status, sub.last_saved
        rows.append(
            Expected(
                organization=org,
                submission=sub,
                state=state,
                when=when,
                value_count=count,
                overdue=late and state not in SENT_STATUSES,
            )
        )
    return Completeness(reporting_round, rows)


# --- The history of one value ---------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    change: ObservationChange
    who: str
    fields: list[FieldChange]
    restorable: bool  # its figures differ from the value's figures now


def _field_labels(indicator: Indicator) -> dict[str, str]:
    return {
        "value": _("Value"),
        "numerator": indicator.numerator_label or _("Numerator"),
        "denominator": indicator.denominator_label or _("Denominator"),
        "margin_of_error": _("Margin of error"),
        "ci_low": _("Lowest likely value"),
        "ci_high": _("Highest likely value"),
        "quality": _("Quality"),
        "note": _("Note"),
        "status": _("Status"),
    }


def _shown(name: str, raw: str | None) -> str:
    if raw is None or (raw == "" and name != "quality"):
        return "—"
    if name in FIGURE_FIELDS:
        return number_format(Decimal(raw), force_grouping=True)
    if name == "status":
        return str(ObservationStatus(raw).label)
    if name == "quality":
        return str(Quality(raw).label)
    return raw


RESTORED_FIELDS = (*FIGURE_FIELDS, "quality", "note")


def who_did(change: ObservationChange) -> str:
    """The person who made a change; "command line" when no person did (imports, the demo)."""
    return str(change.actor) if change.actor else _("command line")


def history(observation: Observation) -> list[HistoryEntry]:
    """Every recorded change to the value, newest first, with what changed in words."""
    labels = _field_labels(observation.indicator)
    now = snapshot(observation)
    entries = []
    changes = observation.changes.select_related("actor").order_by("-version")
    for change in changes:
        before = change.before or {}
        fields = [
            FieldChange(label, _shown(name, before.get(name)), _shown(name, change.after.get(name)))
            for name, label in labels.items()
            if (change.before is None and change.after.get(name) not in (None, ""))
            or (change.before is not None and before.get(name) != change.after.get(name))
        ]
        restorable = any(
            (change.after.get(name) or None) != (now.get(name) or None) for name in RESTORED_FIELDS
        )
        entries.append(HistoryEntry(change, who_did(change), fields, restorable))
    return entries


def restore_preview(observation: Observation, change: ObservationChange) -> list[FieldChange]:
    """What restoring ``change``'s version would do: each figure now → then (changed ones)."""
    labels = _field_labels(observation.indicator)
    now = snapshot(observation)
    return [
        FieldChange(labels[name], _shown(name, now.get(name)), _shown(name, change.after.get(name)))
        for name in RESTORED_FIELDS
        if (now.get(name) or None) != (change.after.get(name) or None)
    ]


def shown_value(observation: Observation) -> str:
    """The value as stored, with thousands grouped ("—" when there is none)."""
    return _shown("value", snapshot(observation)["value"])
