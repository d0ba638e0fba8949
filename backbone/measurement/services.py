"""Writes to the measurement model: setup helpers (idempotent: find or create), recording
values, the reporting cycle (submit → approve | return) and indicator definition versions.

Each public function is one transaction: authorise (``core.permissions``), validate
(``measurement.validation``), write, audit (``ObservationChange`` / ``core.audit``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backbone.core import audit, permissions
from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import Initiative, Organization, Partnership, User
from backbone.core.permissions import Action, AnyUser
from backbone.measurement.models import (
    Annotation,
    Breakdown,
    Dimension,
    DimensionMember,
    Indicator,
    IndicatorRevision,
    Observation,
    ObservationChange,
    ObservationStatus,
    Period,
    Place,
    ReportingRound,
    Submission,
    SubmissionStatus,
    Target,
)
from backbone.measurement.periods import parse_period
from backbone.measurement.validation import Figures, Problem, check_figures, computed_value


def breakdown_key(members: Mapping[str, str]) -> str:
    """The canonical key of a combination: ``dimension:member`` pairs sorted, joined by ``|``."""
    return "|".join(f"{dim}:{member}" for dim, member in sorted(members.items()))


@transaction.atomic
def dimension_define(
    *, initiative: Initiative, code: str, name: str, members: Sequence[tuple[str, str]]
) -> Dimension:
    """Find or create a dimension and its members (code, name), in the given order."""
    dimension, _ = Dimension.objects.get_or_create(
        initiative=initiative, code=code, defaults={"name": name}
    )
    for order, (member_code, member_name) in enumerate(members):
        DimensionMember.objects.get_or_create(
            dimension=dimension,
            code=member_code,
            defaults={"name": member_name, "sort_order": order},
        )
    return dimension


@transaction.atomic
def breakdown_for(initiative: Initiative, members: Mapping[str, str]) -> Breakdown:
    """The breakdown for ``{dimension code: member code}`` (``{}`` is the total)."""
    key = breakdown_key(members)
    breakdown, created = Breakdown.objects.get_or_create(initiative=initiative, key=key)
    if created and members:
        breakdown.members.set(
            DimensionMember.objects.get(
                dimension__initiative=initiative, dimension__code=dim, code=member
            )
            for dim, member in members.items()
        )
    return breakdown


def period_for(code: str, **options: int) -> Period:
    """The period for a code such as ``2023`` or ``SY2023-24`` (created on first use)."""
    parsed = parse_period(code, **options)
    period, _ = Period.objects.get_or_create(
        code=parsed.code,
        start=parsed.start,
        defaults={"type": parsed.type, "end": parsed.end},
    )
    return period


# --- Recording values ----------------------------------------------------------------------


class ValidationFailed(DomainError):
    """The figures break the indicator's rules; ``problems`` says which and how to fix them."""

    def __init__(self, problems: list[Problem], row: int | None = None) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.row = row


class Locked(DomainError):
    """The value is under review or approved; only the backbone may change it now."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class Entry:
    """One figure to record, already resolved to its key objects."""

    indicator: Indicator
    place: Place
    period: Period
    breakdown: Breakdown
    organization: Organization | None
    figures: Figures
    quality: str = ""
    note: str = ""
    expected_version: int | None = None  # the version the writer saw; None = upsert by key

    @property
    def key(self) -> tuple[int, int, int, int, int | None]:
        return (
            self.indicator.pk,
            self.place.pk,
            self.period.pk,
            self.breakdown.pk,
            self.organization.pk if self.organization else None,
        )


@dataclass
class RecordResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    observations: list[Observation] = field(default_factory=list)

    def add(self, other: RecordResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


FIGURE_FIELDS = ("value", "numerator", "denominator", "margin_of_error", "ci_low", "ci_high")
SNAPSHOT_FIELDS = (
    *FIGURE_FIELDS,
    "quality",
    "note",
    "status",
)
LOCKED_STATUSES = (ObservationStatus.SUBMITTED, ObservationStatus.APPROVED)


def snapshot(obs: Observation) -> dict[str, str | None]:
    """The recorded state of a value, JSON-safe, for the history (``ObservationChange``)."""
    out: dict[str, str | None] = {}
    for name in SNAPSHOT_FIELDS:
        v = getattr(obs, name)
        out[name] = None if v is None else (_decimal_text(v) if isinstance(v, Decimal) else v)
    return out


def _decimal_text(number: Decimal) -> str:
    normal = number.normalize()
    return format(normal, "f")


def _with_value(entry: Entry) -> Figures:
    """The figures with the value computed from numerator/denominator when it was left out."""
    f = entry.figures
    if f.value is None and f.numerator is not None and f.denominator:
        value = computed_value(entry.indicator, f.numerator, f.denominator)
        return replace(f, value=round(value, 6))
    return f


def _apply(obs: Observation, figures: Figures, entry: Entry) -> None:
    for name in FIGURE_FIELDS:
        setattr(obs, name, getattr(figures, name))
    obs.quality = entry.quality
    obs.note = entry.note


def _same(obs: Observation, figures: Figures, entry: Entry) -> bool:
    for name in FIGURE_FIELDS:
        a, b = getattr(obs, name), getattr(figures, name)
        if (a is None) != (b is None) or (a is not None and Decimal(a) != Decimal(b)):
            return False
    return obs.quality == entry.quality and obs.note == entry.note


def last_change(observation_id: int) -> ObservationChange | None:
    return (
        ObservationChange.objects.filter(observation_id=observation_id)
        .select_related("actor")
        .order_by("-version")
        .first()
    )


def _conflict(obs: Observation) -> ConflictError:
    change = last_change(obs.pk)
    who = str(change.actor) if change and change.actor else _("someone else")
    when = change.at if change else None
    return ConflictError(
        _(
            "%(who)s changed this value (now %(value)s) while you were editing it, so nothing of "
            "yours was saved. Look at their figure and enter yours again if it is still needed."
        )
        % {"who": who, "value": "—" if obs.value is None else _decimal_text(obs.value)},
        changed_by=who,
        changed_at=when,
    )


class _Authority:
    """Per-call cache of what the actor may do: review (the backbone) and report for which orgs."""

    def __init__(self, actor: AnyUser, initiative: Initiative) -> None:
        self.actor, self.initiative = actor, initiative
        self.reviewer = permissions.can(actor, Action.REVIEW_DATA, initiative)
        self._orgs: dict[int | None, bool] = {}

    def check_report(self, organization: Organization | None) -> None:
        key = organization.pk if organization else None
        if key not in self._orgs:
            partner = Partnership.objects.filter(
                initiative=self.initiative, organization=organization
            )
            if organization is not None and not partner.exists():
                raise DomainError(
                    _("%(org)s is not a partner of this initiative.") % {"org": organization}
                )
            self._orgs[key] = permissions.may_report_for(self.actor, self.initiative, key)
        if not self._orgs[key]:
            raise PermissionDenied(Action.REPORT_DATA.value)


def observations_record(
    *,
    actor: AnyUser,
    initiative: Initiative,
    entries: Sequence[Entry],
    reason: str = "",
    submission: Submission | None = None,
    approve: bool = False,
    validate: bool = True,
) -> RecordResult:
    """Record figures (create, or update by key) in one transaction, each change audited.

    * Authorised per organization: a partner's figures by its data stewards or the backbone;
      community-wide figures (no organization) by the backbone only.
    * Validated with ``validation.check_figures``; any error refuses the whole batch.
    * Re-recording identical figures changes nothing (idempotent). A changed figure is a new
      version with its before and after in ``ObservationChange``.
    * ``expected_version`` set on an entry: refused with ``ConflictError`` (naming who changed
      it) if the value moved on since. Rows are locked while read (PostgreSQL), so two writers
      never both win.
    * Submitted and approved values are locked for partners; the backbone may correct them.
    * New figures are drafts, except the backbone's community-wide figures or ``approve=True``
      (backbone only), which are approved at once.
    """
    if not entries:
        return RecordResult()
    authority = _Authority(actor, initiative)
    if approve and not authority.reviewer:
        raise PermissionDenied(Action.REVIEW_DATA.value)
    with transaction.atomic():
        return _record(authority, entries, reason, submission, approve, validate)


def _record(
    authority: _Authority,
    entries: Sequence[Entry],
    reason: str,
    submission: Submission | None,
    approve: bool,
    validate: bool,
) -> RecordResult:
    result = RecordResult()
    prepared: list[tuple[Entry, Figures]] = []
    for index, entry in enumerate(entries):
        if entry.indicator.initiative_id != authority.initiative.pk:
            raise DomainError(_("The indicator belongs to another initiative."))
        authority.check_report(entry.organization)
        if validate:
            errors = [p for p in check_figures(entry.indicator, entry.figures) if p.is_error]
            if errors:
                raise ValidationFailed(errors, row=index)
        prepared.append((entry, _with_value(entry)))

    existing = _existing(prepared)
    user = authority.actor if isinstance(authority.actor, User) else None
    new_obs: list[Observation] = []
    changed: list[tuple[Observation, dict[str, str | None]]] = []
    for index, (entry, figures) in enumerate(prepared):
        obs = existing.get(entry.key)
        if obs is None:
            if entry.expected_version not in (None, 0):
                raise ConflictError(_("This value was deleted while you were editing it."))
            obs = Observation(
                indicator=entry.indicator,
                place=entry.place,
                period=entry.period,
                breakdown=entry.breakdown,
                organization=entry.organization,
                submission=submission,
                updated_by=user,
                status=_initial_status(authority, entry, approve),
            )
            _apply(obs, figures, entry)
            new_obs.append(obs)
            existing[entry.key] = obs
            continue
        if obs.pk is None:
            raise DomainError(_("The same value is given twice."))
        if entry.expected_version is not None and entry.expected_version != obs.version:
            raise _conflict(obs)
        result.observations.append(obs)
        if _same(obs, figures, entry) and not (approve and obs.status != "approved"):
            result.unchanged += 1
            continue
        if obs.status in LOCKED_STATUSES and not authority.reviewer:
            raise Locked(
                _(
                    "%(indicator)s for %(place)s, %(period)s is %(status)s, so it is locked. "
                    "Ask the backbone team to return it if it needs a correction."
                )
                % {
                    "indicator": entry.indicator,
                    "place": entry.place,
                    "period": entry.period,
                    "status": obs.get_status_display().lower(),
                },
                row=index,
            )
        before = snapshot(obs)
        _apply(obs, figures, entry)
        if approve:
            obs.status = ObservationStatus.APPROVED
        elif obs.status == ObservationStatus.RETURNED or (
            obs.status in LOCKED_STATUSES and not authority.reviewer
        ):
            obs.status = ObservationStatus.DRAFT
        if submission is not None:
            obs.submission = submission
        obs.version += 1
        obs.updated_by = user
        changed.append((obs, before))

    Observation.objects.bulk_create(new_obs, batch_size=1000)
    if changed:
        Observation.objects.bulk_update(
            [obs for obs, _b in changed],
            [*SNAPSHOT_FIELDS, "version", "updated_by", "submission", "updated_at"],
            batch_size=500,
        )
    ObservationChange.objects.bulk_create(
        [
            ObservationChange(
                observation=obs, version=1, actor=user, after=snapshot(obs), reason=reason
            )
            for obs in new_obs
        ]
        + [
            ObservationChange(
                observation=obs,
                version=obs.version,
                actor=user,
                before=before,
                after=snapshot(obs),
                reason=reason,
            )
            for obs, before in changed
        ],
        batch_size=1000,
    )
    result.created += len(new_obs)
    result.updated += len(changed)
    result.observations.extend(new_obs)
    return result


def _initial_status(authority: _Authority, entry: Entry, approve: bool) -> str:
    if approve or (entry.organization is None and authority.reviewer):
        return ObservationStatus.APPROVED
    return ObservationStatus.DRAFT


def _existing(prepared: list[tuple[Entry, Figures]]) -> dict[tuple, Observation]:
    """The observations already stored under the entries' keys, locked for this transaction.

    One query per batch: the rows matching any of the batch's indicators, periods, places and
    breakdowns, narrowed to the exact keys here.
    """
    keys = {entry.key for entry, _f in prepared}
    rows = Observation.objects.select_for_update().filter(
        indicator_id__in={k[0] for k in keys},
        place_id__in={k[1] for k in keys},
        period_id__in={k[2] for k in keys},
        breakdown_id__in={k[3] for k in keys},
    )
    found: dict[tuple, Observation] = {}
    for obs in rows:
        key = (obs.indicator_id, obs.place_id, obs.period_id, obs.breakdown_id, obs.organization_id)
        if key in keys:
            found[key] = obs
    return found


def observation_record(
    *, actor: AnyUser, entry: Entry, reason: str = "", submission: Submission | None = None
) -> Observation:
    """Record one figure (see ``observations_record``); returns the stored observation."""
    initiative = entry.indicator.initiative
    result = observations_record(
        actor=actor, initiative=initiative, entries=[entry], reason=reason, submission=submission
    )
    return result.observations[0]


@transaction.atomic
def observation_restore(
    *, actor: AnyUser, observation: Observation, version: int, expected_version: int
) -> Observation:
    """Put back the figures an observation had at ``version`` — as a new, audited version.
    Restoring is the backbone's (reviewers), never a partner's."""
    permissions.require(actor, Action.REVIEW_DATA, observation.indicator.initiative)
    change = ObservationChange.objects.get(observation=observation, version=version)
    old = change.after
    figures = Figures(
        **{name: None if old.get(name) is None else Decimal(old[name]) for name in FIGURE_FIELDS}
    )
    entry = Entry(
        indicator=observation.indicator,
        place=observation.place,
        period=observation.period,
        breakdown=observation.breakdown,
        organization=observation.organization,
        figures=figures,
        quality=old.get("quality") or "",
        note=old.get("note") or "",
        expected_version=expected_version,
    )
    return observation_record(
        actor=actor, entry=entry, reason=_("Restored version %(v)s") % {"v": version}
    )


# --- The reporting cycle: draft → submitted → approved | returned ---------------------------


@transaction.atomic
def round_open(
    *,
    actor: AnyUser,
    initiative: Initiative,
    name: str,
    period: Period,
    due_on: date,
    indicators: Sequence[Indicator],
    organizations: Sequence[Organization],
) -> ReportingRound:
    """Ask partners for data: these indicators, for this period, by this date."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, initiative)
    if any(i.initiative_id != initiative.pk for i in indicators):
        raise DomainError(_("Every indicator of a round must belong to this initiative."))
    partners = set(
        Partnership.objects.filter(initiative=initiative).values_list("organization_id", flat=True)
    )
    outsiders = [o.name for o in organizations if o.pk not in partners]
    if outsiders:
        raise DomainError(
            _("Not partners of this initiative: %(names)s.") % {"names": ", ".join(outsiders)}
        )
    reporting_round = ReportingRound.objects.create(
        initiative=initiative, name=name, period=period, due_on=due_on
    )
    reporting_round.indicators.set(indicators)
    reporting_round.organizations.set(organizations)
    Submission.objects.bulk_create(
        Submission(round=reporting_round, organization=o) for o in organizations
    )
    audit.record(
        actor=actor,
        initiative=initiative,
        action="round.open",
        obj=reporting_round,
        summary=_("Opened the reporting round %(name)s, due %(due)s")
        % {"name": name, "due": due_on.isoformat()},
    )
    return reporting_round


def _submission_step(
    actor: AnyUser,
    submission: Submission,
    expected_version: int,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    observation_status: str,
    reason: str,
) -> Submission:
    if submission.version != expected_version:
        raise ConflictError(
            _(
                "This report changed (it is now “%(status)s”) while you were looking at it. "
                "Nothing was done; look at it again."
            )
            % {"status": submission.get_status_display()},
        )
    if submission.status not in allowed_from:
        raise DomainError(
            _("A report that is “%(status)s” cannot be %(to)s.")
            % {"status": submission.get_status_display(), "to": SubmissionStatus(to).label.lower()}
        )
    before = submission.status
    submission.status = to
    submission.version += 1
    submission.save()
    user = actor if isinstance(actor, User) else None
    rows = list(Observation.objects.select_for_update().filter(submission=submission))
    for obs in rows:
        old = snapshot(obs)
        obs.status = observation_status
        obs.version += 1
        obs.updated_by = user
        ObservationChange.objects.create(
            observation=obs,
            version=obs.version,
            actor=user,
            before=old,
            after=snapshot(obs),
            reason=reason,
        )
    Observation.objects.bulk_update(rows, ["status", "version", "updated_by", "updated_at"])
    audit.record(
        actor=actor,
        initiative=submission.round.initiative,
        action=f"submission.{to}",
        obj=submission,
        summary=_("%(org)s · %(round)s: %(before)s → %(after)s")
        % {
            "org": submission.organization,
            "round": submission.round,
            "before": SubmissionStatus(before).label,
            "after": SubmissionStatus(to).label,
        },
        after={"reason": reason} if reason else None,
    )
    return submission


def _locked_submission(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update()
        .select_related("round__initiative", "organization")
        .get(pk=submission.pk)
    )


@transaction.atomic
def submission_submit(
    *, actor: AnyUser, submission: Submission, expected_version: int
) -> Submission:
    """The partner sends its report to the backbone; its values are locked until reviewed."""
    submission = _locked_submission(submission)
    partnership = Partnership.objects.select_related("initiative").get(
        initiative=submission.round.initiative, organization=submission.organization
    )
    permissions.require(actor, Action.REPORT_DATA, partnership)
    if not submission.observations.exists():
        raise DomainError(_("This report has no values yet. Enter or upload them first."))
    submission = _submission_step(
        actor,
        submission,
        expected_version,
        allowed_from=(SubmissionStatus.DRAFT, SubmissionStatus.RETURNED),
        to=SubmissionStatus.SUBMITTED,
        observation_status=ObservationStatus.SUBMITTED,
        reason=_("Submitted for review"),
    )
    submission.submitted_at = timezone.now()
    submission.submitted_by = actor if isinstance(actor, User) else None
    submission.return_reason = ""
    submission.save(update_fields=["submitted_at", "submitted_by", "return_reason"])
    return submission


@transaction.atomic
def submission_approve(
    *, actor: AnyUser, submission: Submission, expected_version: int
) -> Submission:
    """The backbone accepts the report: its values count everywhere and are locked."""
    submission = _locked_submission(submission)
    permissions.require(actor, Action.REVIEW_DATA, submission.round.initiative)
    submission = _submission_step(
        actor,
        submission,
        expected_version,
        allowed_from=(SubmissionStatus.SUBMITTED,),
        to=SubmissionStatus.APPROVED,
        observation_status=ObservationStatus.APPROVED,
        reason=_("Approved"),
    )
    return _decided(actor, submission)


@transaction.atomic
def submission_return(
    *, actor: AnyUser, submission: Submission, reason: str, expected_version: int
) -> Submission:
    """The backbone sends the report back with a reason; the partner can correct and resubmit."""
    submission = _locked_submission(submission)
    permissions.require(actor, Action.REVIEW_DATA, submission.round.initiative)
    if not reason.strip():
        raise DomainError(_("Say why the report is returned, so the partner knows what to fix."))
    submission = _submission_step(
        actor,
        submission,
        expected_version,
        allowed_from=(SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED),
        to=SubmissionStatus.RETURNED,
        observation_status=ObservationStatus.RETURNED,
        reason=_("Returned: %(reason)s") % {"reason": reason.strip()},
    )
    submission.return_reason = reason.strip()
    submission.save(update_fields=["return_reason"])
    return _decided(actor, submission)


def _decided(actor: AnyUser, submission: Submission) -> Submission:
    submission.decided_at = timezone.now()
    submission.decided_by = actor if isinstance(actor, User) else None
    submission.save(update_fields=["decided_at", "decided_by"])
    return submission


# --- Indicator definitions, targets, stories ----------------------------------------------

# Changing any of these changes what is measured: a new definition version and a series break.
DEFINITION_FIELDS = (
    "definition",
    "unit",
    "rate_base",
    "aggregation",
    "numerator_label",
    "denominator_label",
    "numerator_within_denominator",
)
PLAIN_FIELDS = (
    "name",
    "source",
    "decimals",
    "direction",
    "level",
    "performance_kind",
    "is_public",
    "min_value",
    "max_value",
    "parts_rule",
    "baseline_period",
)


@transaction.atomic
def indicator_update(
    *,
    actor: AnyUser,
    indicator: Indicator,
    changes: Mapping[str, object],
    expected_version: int,
    effective_period: Period | None = None,
    reason: str = "",
) -> Indicator:
    """Change an indicator (the backbone only). A change to what is measured — definition, unit,
    rate base, combination rule, numerator or denominator — is a new definition version: it needs
    the first period measured the new way and a reason, and it marks a series break there (an
    annotation that charts, tables, exports and analytics respect)."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, indicator.initiative)
    unknown = set(changes) - set(DEFINITION_FIELDS) - set(PLAIN_FIELDS)
    if unknown:
        raise DomainError(_("These cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    real = {k: v for k, v in changes.items() if getattr(indicator, k) != v}
    redefined = [k for k in real if k in DEFINITION_FIELDS]
    if redefined and (effective_period is None or not reason.strip()):
        raise DomainError(
            _(
                "Changing %(fields)s changes what is measured. Say from which period values are "
                "measured the new way, and why; the chart will show a break there."
            )
            % {"fields": ", ".join(redefined)}
        )
    before = audit.snapshot(indicator, list(real))
    fresh = Indicator.objects.select_for_update().get(pk=indicator.pk)
    if fresh.version != expected_version:
        raise ConflictError(
            _("Someone changed this indicator while you were editing it; nothing was saved.")
        )
    for name, value in real.items():
        setattr(indicator, name, value)
    indicator.full_clean(validate_unique=False)
    indicator.version = fresh.version + 1
    if redefined:
        assert effective_period is not None
        indicator.definition_version = fresh.definition_version + 1
        IndicatorRevision.objects.create(
            indicator=indicator,
            definition_version=indicator.definition_version,
            effective_period=effective_period,
            before={k: before[k] for k in redefined},
            after={k: audit.snapshot(indicator, [k])[k] for k in redefined},
            reason=reason.strip(),
            changed_by=actor if isinstance(actor, User) else None,
        )
        Annotation.objects.create(
            indicator=indicator,
            period=effective_period,
            text=_("%(period)s: the definition changed (version %(v)s): %(reason)s")
            % {
                "period": effective_period.code,
                "v": indicator.definition_version,
                "reason": reason.strip(),
            },
            breaks_comparability=True,
        )
    indicator.save()
    audit.record(
        actor=actor,
        initiative=indicator.initiative,
        action="indicator.update",
        obj=indicator,
        summary=_("Changed the indicator %(name)s") % {"name": indicator.name},
        before=before,
        after=audit.snapshot(indicator, list(real)),
    )
    return indicator


def series_breaks(indicator: Indicator) -> list[Period]:
    """Periods from which the indicator was measured a new way (definition versions), in time
    order. Values on either side of a break are not compared. (A caveat on one period, such as
    HUD's 2021 count, is an annotation that marks that point only.)"""
    ids = indicator.revisions.values_list("effective_period_id", flat=True)
    return sorted(Period.objects.filter(pk__in=list(ids)), key=lambda p: p.start)


@transaction.atomic
def target_set(
    *,
    actor: AnyUser,
    indicator: Indicator,
    period: Period,
    value: Decimal,
    breakdown: Breakdown | None = None,
    place: Place | None = None,
    note: str = "",
) -> Target:
    """Set (or change) the goal for everyone (``breakdown`` None = total) or for one group."""
    permissions.require(actor, Action.MANAGE_MEASUREMENT, indicator.initiative)
    breakdown = breakdown or breakdown_for(indicator.initiative, {})
    target, _created = Target.objects.update_or_create(
        indicator=indicator,
        place=place,
        breakdown=breakdown,
        period=period,
        defaults={"value": value, "note": note},
    )
    audit.record(
        actor=actor,
        initiative=indicator.initiative,
        action="target.set",
        obj=target,
        summary=_("Target for %(indicator)s by %(period)s%(group)s: %(value)s")
        % {
            "indicator": indicator,
            "period": period.code,
            "group": f" ({breakdown})" if breakdown.key else "",
            "value": _decimal_text(Decimal(value)),
        },
    )
    return target
