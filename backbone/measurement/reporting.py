"""Reads and form building for the partners' reporting pages.

* ``reportable_submissions``: the reports a person may fill in — a data steward's own
  organizations' reports; every partner's for the backbone (which may report for anyone).
* ``status_words``: a report's state in plain words ("draft saved", "returned for changes: …").
* ``ReportForm``: one report as a grid of boxes — per indicator of the round, per place the
  partner reports for, the total and each group of the indicator's dimensions; a value, or a
  numerator and a denominator for a percent or rate. It parses what was typed, checks it with the
  same rules as every other way in (``validation``), finds values someone else changed since the
  form was opened, and turns the boxes that changed into ``services.Entry`` s. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Max, QuerySet, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.core.models import Initiative
from backbone.core.permissions import (
    Action,
    AnyUser,
    can,
    may_report_for,
    reporting_organization_ids,
)
from backbone.measurement.models import (
    SENT_STATUSES,
    Aggregation,
    Breakdown,
    Dimension,
    DimensionMember,
    Indicator,
    Observation,
    Place,
    Submission,
    SubmissionStatus,
    Unit,
)
from backbone.measurement.round_templates import usual_places
from backbone.measurement.services import Entry, breakdown_for, breakdown_key, last_change
from backbone.measurement.validation import (
    DecimalComma,
    Figures,
    NotANumber,
    check_figures,
    check_parts,
    parse_number,
)

# --- Which reports, and their state in words ----------------------------------------------


def reports_for_everyone(user: AnyUser, initiative: Initiative) -> bool:
    """The backbone reports for any partner (it reviews them too)."""
    return can(user, Action.REVIEW_DATA, initiative)


def reportable_submissions(user: AnyUser, initiative: Initiative) -> QuerySet[Submission]:
    """The reports ``user`` may fill in, in this initiative (none for most people)."""
    qs = Submission.objects.filter(round__initiative=initiative)
    if not reports_for_everyone(user, initiative):
        qs = qs.filter(organization_id__in=reporting_organization_ids(user, initiative))
    return (
        qs.select_related("round__period", "organization", "submitted_by")
        .annotate(value_count=Count("observations"))
        .order_by("round__due_on", "round__name", "organization__name")
    )


def submission_for(user: AnyUser, initiative: Initiative, pk: int) -> Submission | None:
    """One report of the initiative (None if there is no such report here). Whether the user may
    fill it in is ``may_report``'s question."""
    return (
        Submission.objects.filter(round__initiative=initiative, pk=pk)
        .select_related("round__period", "round__initiative", "organization")
        .first()
    )


def may_report(user: AnyUser, submission: Submission) -> bool:
    return may_report_for(user, submission.round.initiative, submission.organization_id)


def report_state(submission: Submission) -> str:
    """A short token of the report's stored figures (how many, and each one's version): it
    changes whenever anyone records a figure of the report."""
    state = Observation.objects.filter(submission=submission).aggregate(
        n=Count("pk"), versions=Sum("version"), last=Max("pk")
    )
    return f"{state['n']}-{state['versions'] or 0}-{state['last'] or 0}"


def status_words(submission: Submission) -> str:
    """The report's state as a partner would say it."""
    if submission.status == SubmissionStatus.DRAFT:
        count = getattr(submission, "value_count", None)
        if count is None:
            count = submission.observations.count()
        return _("not started") if count == 0 else _("draft saved")
    if submission.status == SubmissionStatus.SUBMITTED:
        return _("submitted — waiting for review")
    if submission.status == SubmissionStatus.RETURNED:
        return _("returned for changes: %(reason)s") % {"reason": submission.return_reason}
    return _("approved")


def is_overdue(submission: Submission, today: date) -> bool:
    return (
        submission.round.is_open
        and submission.status not in SENT_STATUSES
        and submission.round.due_on < today
    )


def is_read_only(submission: Submission) -> bool:
    """Sent for review, approved, or its round closed: the partner can no longer change it."""
    return submission.status in SENT_STATUSES or not submission.round.is_open


@dataclass(frozen=True)
class ReportLine:
    submission: Submission
    status: str
    overdue: bool
    days_left: int

    @property
    def days_overdue(self) -> int:
        return -self.days_left


def reporting_home(
    user: AnyUser, initiative: Initiative, today: date
) -> tuple[list[ReportLine], list[ReportLine]]:
    """(reports in open rounds, reports in closed rounds) for the reporting page."""
    open_lines, past_lines = [], []
    for sub in reportable_submissions(user, initiative):
        line = ReportLine(
            sub, status_words(sub), is_overdue(sub, today), (sub.round.due_on - today).days
        )
        (open_lines if sub.round.is_open else past_lines).append(line)
    past_lines.sort(key=lambda line: line.submission.round.period.start, reverse=True)
    return open_lines, past_lines


# --- The form -----------------------------------------------------------------------------


def report_places(submission: Submission) -> list[Place]:
    """Where the partner reports: the places of values already in this report, and where it
    reported these indicators last time; failing those, the place coded like the partner itself
    (a Continuum of Care reports for its own area). May be empty: the form then asks."""
    rnd = submission.round
    here = Place.objects.filter(
        observations__organization=submission.organization,
        observations__period=rnd.period,
        observations__indicator__in=rnd.indicators.all(),
    ).distinct()
    found = {p.pk: p for p in [*here, *usual_places(submission)]}
    code = submission.organization.external_code
    if not found and code:
        own = Place.objects.filter(initiative=rnd.initiative, code__iexact=code).first()
        if own is not None:
            found[own.pk] = own
    return sorted(found.values(), key=lambda p: p.code)


def _text(number: Decimal | None) -> str:
    """A stored number as it is put back in a box: plain digits, no trailing zeros."""
    if number is None:
        return ""
    return format(number.normalize(), "f")


def _shown(number: Decimal | None, decimals: int | None = None) -> str:
    """A saved number for people to read, in their locale: 1,234 or 45.5."""
    if number is None:
        return "—"
    if decimals is None:
        decimals = max(0, -number.normalize().as_tuple().exponent)
    return number_format(number, decimals, force_grouping=True)


@dataclass
class Cell:
    """One value of the report: indicator × place × group (the total when ``member`` is None)."""

    indicator: Indicator
    place: Place | None
    member: DimensionMember | None
    label: str
    prefix: str
    fields: tuple[str, ...]
    stored: Observation | None
    typed: dict[str, str] = field(default_factory=dict)
    was: str = ""  # the stored figures when the form was opened, to tell the person's changes
    version: int = 0  # the version the form was opened with (0: no value yet)
    errors: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, Decimal | None] = field(default_factory=dict)

    def field_id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @property
    def first_id(self) -> str:
        return self.field_id(self.fields[0])

    def stored_text(self) -> str:
        return "|".join(_text(getattr(self.stored, f)) if self.stored else "" for f in self.fields)

    def typed_text(self) -> str:
        return "|".join(self.typed.get(f, "").strip() for f in self.fields)

    @property
    def inputs(self) -> list[dict[str, object]]:
        """What the template needs for each box."""
        return [
            {
                "name": self.field_id(name),
                "id": self.field_id(name),
                "value": self.typed.get(name, ""),
                "label": self.field_label(name),
                "column": name,
                "shown": _shown(getattr(self.stored, name) if self.stored else None),
                "errors": self.errors.get(name, []),
            }
            for name in self.fields
        ]

    @property
    def result_text(self) -> str:
        """The value worked out from the saved counts (a percent or rate), for people to read."""
        if self.stored is None or self.stored.value is None:
            return "—"
        text = _shown(round(self.stored.value, self.indicator.decimals), self.indicator.decimals)
        return text + ("%" if self.indicator.unit == Unit.PERCENT else "")

    def field_label(self, name: str) -> str:
        if name == "numerator":
            what = self.indicator.numerator_label or _("Numerator")
        elif name == "denominator":
            what = self.indicator.denominator_label or _("Denominator")
        else:
            what = _("Value")
        return f"{self.label}: {what}"

    def add_error(self, name: str | None, message: str) -> None:
        self.errors.setdefault(name if name in self.fields else self.fields[0], []).append(message)

    @property
    def has_errors(self) -> bool:
        return any(self.errors.values())

    @property
    def empty(self) -> bool:
        return not any(self.typed.get(f, "").strip() for f in self.fields)

    @property
    def changed(self) -> bool:
        """Did the person change this box from what the form showed them?"""
        return self.typed_text() != self.was


@dataclass
class GroupTable:
    dimension: Dimension
    cells: list[Cell]


@dataclass
class PlaceBlock:
    place: Place | None
    total: Cell
    groups: list[GroupTable]

    @property
    def cells(self) -> list[Cell]:
        return [self.total, *(c for g in self.groups for c in g.cells)]


@dataclass
class IndicatorBlock:
    indicator: Indicator
    places: list[PlaceBlock]

    @property
    def ratio(self) -> bool:
        return self.indicator.aggregation == Aggregation.RATIO


@dataclass(frozen=True)
class SummaryError:
    target: str  # the id of the box to jump to
    label: str
    message: str


class ReportForm:
    """The report as boxes; ``data`` is the POST (None: show what is stored)."""

    def __init__(self, submission: Submission, data: Mapping[str, str] | None = None) -> None:
        self.submission = submission
        self.initiative = submission.round.initiative
        self.data = data
        self.places: list[Place | None] = [*report_places(submission)] or [None]
        self.asks_place = self.places == [None]
        self.place_choices = (
            list(Place.objects.filter(initiative=self.initiative).order_by("code"))
            if self.asks_place
            else []
        )
        self.chosen_place: Place | None = None
        self.place_error = ""
        self.top_errors: list[str] = []
        self.warnings: list[str] = []
        self.conflicts = 0
        self.blocks = self._build()
        self._checked = False

    # Building ------------------------------------------------------------------------------

    def _build(self) -> list[IndicatorBlock]:
        rnd = self.submission.round
        indicators = list(rnd.indicators.order_by("code").prefetch_related("dimensions__members"))
        stored = {
            (o.indicator_id, o.place_id, o.breakdown.key): o
            for o in Observation.objects.filter(
                organization=self.submission.organization,
                period=rnd.period,
                indicator__in=indicators,
            ).select_related("breakdown")
        }
        blocks = []
        for indicator in indicators:
            fields = (
                ("numerator", "denominator")
                if indicator.aggregation == Aggregation.RATIO
                else ("value",)
            )
            place_blocks = []
            for place in self.places:
                total = self._cell(stored, indicator, fields, place, None)
                groups = [
                    GroupTable(
                        dim,
                        [
                            self._cell(stored, indicator, fields, place, m)
                            for m in dim.members.all()
                        ],
                    )
                    for dim in indicator.dimensions.all()
                ]
                place_blocks.append(PlaceBlock(place, total, groups))
            blocks.append(IndicatorBlock(indicator, place_blocks))
        return blocks

    def _cell(
        self,
        stored: dict[tuple, Observation],
        indicator: Indicator,
        fields: tuple[str, ...],
        place: Place | None,
        member: DimensionMember | None,
    ) -> Cell:
        key = breakdown_key({member.dimension.code: member.code} if member else {})
        place_pk = place.pk if place else None
        prefix = f"c{indicator.pk}-{place_pk or 0}-{member.pk if member else 0}"
        label = member.name if member else _("Total")
        cell = Cell(
            indicator,
            place,
            member,
            label,
            prefix,
            fields,
            stored.get((indicator.pk, place_pk, key)),
        )
        self._fill(cell)
        return cell

    def _fill(self, cell: Cell) -> None:
        stored = cell.stored_text()
        if self.data is None:
            cell.typed = {
                f: _text(getattr(cell.stored, f)) if cell.stored else "" for f in cell.fields
            }
            cell.was = stored
            cell.version = cell.stored.version if cell.stored else 0
            return
        cell.typed = {f: str(self.data.get(cell.field_id(f), "")) for f in cell.fields}
        cell.was = str(self.data.get(f"{cell.prefix}-was", stored))
        try:
            cell.version = int(self.data.get(f"{cell.prefix}-version", ""))
        except ValueError:
            cell.version = cell.stored.version if cell.stored else 0

    @property
    def cells(self) -> list[Cell]:
        return [c for b in self.blocks for p in b.places for c in p.cells]

    @property
    def filled_count(self) -> int:
        return sum(1 for c in self.cells if c.stored is not None)

    # Checking ------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        assert self.data is not None, "only a posted form is checked"
        if not self._checked:
            self._check()
            self._checked = True
        return (
            not self.top_errors
            and not self.place_error
            and not any(c.has_errors for c in self.cells)
        )

    def _check(self) -> None:
        if self.asks_place:
            self._check_place()
        for cell in self.cells:
            self._check_cell(cell)
        for block in self.blocks:
            for place_block in block.places:
                self._check_parts(block.indicator, place_block)

    def _check_place(self) -> None:
        code = str(self.data.get("place", "")).strip() if self.data else ""
        self.chosen_place = next((p for p in self.place_choices if p.code == code), None)
        if self.chosen_place is None and any(not c.empty for c in self.cells):
            self.place_error = _("Choose the place these figures are for.")

    def _check_cell(self, cell: Cell) -> None:
        if not cell.changed:
            return
        for name in cell.fields:
            raw = cell.typed.get(name, "")
            try:
                cell.numbers[name] = parse_number(raw)
            except DecimalComma as exc:
                cell.add_error(
                    name,
                    _("“%(t)s” uses a comma for decimals. Write %(n)s, with a point.")
                    % {"t": raw.strip(), "n": exc.corrected},
                )
            except NotANumber:
                cell.add_error(
                    name,
                    _("“%(t)s” is not a number. Write digits only, e.g. 1234 or 12.5.")
                    % {"t": raw.strip()[:40]},
                )
        if cell.has_errors:
            return
        if cell.empty:
            if cell.stored is not None:
                cell.add_error(
                    None,
                    _(
                        "This value is already saved and cannot be emptied here. Enter the "
                        "right figure, or ask the backbone team to remove it."
                    ),
                )
            return
        for problem in check_figures(cell.indicator, self._figures(cell)):
            if problem.is_error:
                cell.add_error(problem.column, f"{problem.message} {problem.fix}")
        if cell.has_errors:
            return
        now = cell.stored.version if cell.stored else 0
        if now != cell.version:
            self._stale(cell)

    def _stale(self, cell: Cell) -> None:
        """Someone else saved this value since the form was opened: say who and what, keep the
        person's figure in the box, and let a second save replace theirs knowingly."""
        self.conflicts += 1
        change = last_change(cell.stored.pk) if cell.stored else None
        who = str(change.actor) if change and change.actor else _("someone else")
        now = cell.stored_text().replace("|", " / ") if cell.stored else "—"
        cell.add_error(
            None,
            _(
                "%(who)s changed this value to %(now)s after you opened the form, so yours was "
                "not saved. Your figure is still in the box: save again to replace theirs, or "
                "type theirs to keep it."
            )
            % {"who": who, "now": now or "—"},
        )
        cell.version = cell.stored.version if cell.stored else 0
        cell.was = cell.stored_text()

    def _figures(self, cell: Cell) -> Figures:
        return Figures(**{name: cell.numbers.get(name) for name in cell.fields})

    def _number(self, cell: Cell, name: str) -> Decimal | None:
        """The figure a box will hold after saving: as typed if changed, else as stored."""
        if cell.changed:
            return cell.numbers.get(name) if not cell.has_errors else None
        return getattr(cell.stored, name) if cell.stored else None

    def _check_parts(self, indicator: Indicator, block: PlaceBlock) -> None:
        name = "numerator" if indicator.aggregation == Aggregation.RATIO else "value"
        total = self._number(block.total, name)
        if total is None:
            return
        for group in block.groups:
            parts = {
                c.member.code: n
                for c in group.cells
                if c.member and (n := self._number(c, name)) is not None
            }
            if not parts:
                continue
            problem = check_parts(
                indicator,
                group.dimension.name,
                total,
                parts,
                all_members=len(parts) == len(group.cells),
            )
            if problem is None:
                continue
            text = f"{indicator.name}: {problem.message} {problem.fix}"
            if problem.is_error:
                block.total.add_error(name, text)
            else:
                self.warnings.append(text)

    # Results -------------------------------------------------------------------------------

    def summary(self) -> list[SummaryError]:
        """Every problem, for the list at the top, each linking to its box."""
        found = []
        if self.place_error:
            found.append(SummaryError("report-place", _("Place"), self.place_error))
        for block in self.blocks:
            for cell in (c for p in block.places for c in p.cells):
                for name in cell.fields:
                    for message in cell.errors.get(name, []):
                        label = f"{block.indicator.name} — {cell.field_label(name)}"
                        found.append(SummaryError(cell.field_id(name), label, message))
        return found

    def entries(self) -> list[Entry]:
        """The boxes the person changed, as entries for ``observations_record`` (valid forms)."""
        assert self._checked and self.is_valid()
        out = []
        breakdowns: dict[str, Breakdown] = {}
        for cell in self.cells:
            if not cell.changed or cell.empty:
                continue
            members = {cell.member.dimension.code: cell.member.code} if cell.member else {}
            key = breakdown_key(members)
            if key not in breakdowns:
                breakdowns[key] = breakdown_for(self.initiative, members)
            place = cell.place or self.chosen_place
            assert place is not None
            out.append(
                Entry(
                    indicator=cell.indicator,
                    place=place,
                    period=self.submission.round.period,
                    breakdown=breakdowns[key],
                    organization=self.submission.organization,
                    figures=self._figures(cell),
                    quality=cell.stored.quality if cell.stored else "",
                    note=cell.stored.note if cell.stored else "",
                    expected_version=cell.version,
                )
            )
        return out
