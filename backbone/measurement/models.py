"""Shared measurement: what is measured (indicators), where (places), when (periods), for whom
(breakdowns), who reported it, and every change to it.

Models hold fields and single-row rules; writes go through ``measurement.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backbone.core.models import Initiative, Organization
from backbone.measurement.periods import PeriodType


class Unit(models.TextChoices):
    COUNT = "count", _("Count")
    PERCENT = "percent", _("Percent")
    RATE = "rate", _("Rate per N")
    CURRENCY = "currency", _("Currency")
    SCORE = "score", _("Score")


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "up", _("Higher is better")
    LOWER_IS_BETTER = "down", _("Lower is better")
    NEUTRAL = "neutral", _("Neither (context only)")


class Level(models.TextChoices):
    POPULATION = "population", _("Population (community-wide)")
    PERFORMANCE = "performance", _("Performance (a program’s)")


class PerformanceKind(models.TextChoices):
    NONE = "", _("Not a performance measure")
    HOW_MUCH = "how_much", _("How much did we do?")
    HOW_WELL = "how_well", _("How well did we do it?")
    BETTER_OFF = "better_off", _("Is anyone better off?")


class RuleSeverity(models.TextChoices):
    OFF = "off", _("Do not check")
    WARNING = "warning", _("Warn, but accept")
    ERROR = "error", _("Refuse the data")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Add up (counts)")
    RATIO = "ratio", _("Ratio of sums (percents and rates)")
    LATEST = "latest", _("Latest value over time (stocks)")


class Dimension(models.Model):
    """A way to split a figure into groups: race/ethnicity, sex, shelter status…"""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="dimensions")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "code"], name="dimension_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class DimensionMember(models.Model):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="members")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dimension", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "code"], name="member_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Breakdown(models.Model):
    """A canonical combination of members (one per dimension at most); empty means the total.

    ``key`` is the members' ``dimension:member`` codes, sorted and joined with ``|`` — the same
    combination always has the same key, so it is stored once (like DHIS2's category option combo).
    """

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="breakdowns")
    key = models.CharField(max_length=500)
    members = models.ManyToManyField(DimensionMember, related_name="breakdowns", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["initiative", "key"], name="breakdown_key_unique")
        ]

    def __str__(self) -> str:
        return self.key or str(_("Total"))

    @property
    def is_total(self) -> bool:
        return self.key == ""


class Place(models.Model):
    """A place in a hierarchy: state → Continuum of Care → city → neighbourhood or school."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="places")
    code = models.CharField(_("code"), max_length=50, help_text=_("e.g. a FIPS code or OH-500"))
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=50, help_text=_("e.g. state, county, CoC"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "code"], name="place_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Period(models.Model):
    """A span of time with an ISO-like code (``2023``, ``2023Q1``, ``2023-01``, ``SY2023-24``)."""

    type = models.CharField(max_length=20, choices=PeriodType.choices)
    code = models.CharField(max_length=20)
    start = models.DateField()
    end = models.DateField()

    class Meta:
        ordering = ["start", "end"]
        constraints = [
            models.UniqueConstraint(fields=["code", "start"], name="period_code_start_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="period_order"),
        ]

    def __str__(self) -> str:
        return self.code


class Indicator(models.Model):
    """A measure every partner reports the same way. Owned by the backbone; versioned."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    definition = models.TextField(_("plain-language definition"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    rate_base = models.DecimalField(
        _("rate base"),
        max_digits=12,
        decimal_places=0,
        default=100,
        help_text=_("100 for a percent, 1,000 for a rate per thousand people…"),
    )
    decimals = models.PositiveSmallIntegerField(_("decimals shown"), default=0)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    performance_kind = models.CharField(
        _("performance question"), max_length=20, choices=PerformanceKind.choices, blank=True
    )
    aggregation = models.CharField(_("how to combine"), max_length=10, choices=Aggregation.choices)
    numerator_label = models.CharField(_("numerator"), max_length=200, blank=True)
    denominator_label = models.CharField(_("denominator"), max_length=200, blank=True)
    period_type = models.CharField(_("reported every"), max_length=20, choices=PeriodType.choices)
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    dimensions = models.ManyToManyField(Dimension, related_name="indicators", blank=True)
    reference_groups = models.ManyToManyField(
        "DimensionMember",
        related_name="reference_for",
        blank=True,
        verbose_name=_("reference groups for equity gaps"),
        help_text=_(
            "For each way of splitting the figures, the group the others are compared with on "
            "the equity page (at most one per split). Leave empty to compare with the best-off "
            "group."
        ),
    )
    min_value = models.DecimalField(
        _("lowest possible value"),
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Leave empty for none. Percents are always checked to be 0–100."),
    )
    max_value = models.DecimalField(
        _("highest possible value"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    numerator_within_denominator = models.BooleanField(
        _("numerator cannot exceed denominator"),
        default=True,
        help_text=_(
            "True for a share of people (screened of eligible); false for a rate of events."
        ),
    )
    parts_rule = models.CharField(
        _("when groups do not add up to the total"),
        max_length=10,
        choices=RuleSeverity.choices,
        default=RuleSeverity.WARNING,
    )
    baseline_period = models.ForeignKey(
        "Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("baseline period"),
    )
    definition_version = models.PositiveIntegerField(default=1)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                condition=Q(rate_base__gt=0),
                name="indicator_rate_base_gt_0",
                violation_error_message=_(
                    "The rate base must be more than 0: 100 for a percent, 1,000 for a rate per "
                    "thousand people."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_numerator(self) -> bool:
        return self.aggregation == Aggregation.RATIO


class ObservationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class Quality(models.TextChoices):
    GOOD = "", _("No concerns")
    CAUTION = "caution", _("Use with caution")
    UNRELIABLE = "unreliable", _("Unreliable")


class Observation(models.Model):
    """One figure: indicator × place × period × breakdown × reporting organization (or none)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="observations")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="observations")
    breakdown = models.ForeignKey(Breakdown, on_delete=models.PROTECT, related_name="observations")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="observations"
    )
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    margin_of_error = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    ci_low = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    ci_high = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    quality = models.CharField(max_length=12, choices=Quality.choices, blank=True, default="")
    status = models.CharField(
        max_length=12, choices=ObservationStatus.choices, default=ObservationStatus.DRAFT
    )
    note = models.CharField(max_length=500, blank=True)
    submission = models.ForeignKey(
        "Submission", on_delete=models.SET_NULL, null=True, blank=True, related_name="observations"
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            # One figure per key; community-wide data (no reporting organization) counted apart,
            # because NULLs are never equal in a plain unique constraint.
            models.UniqueConstraint(
                fields=["indicator", "place", "period", "breakdown", "organization"],
                condition=Q(organization__isnull=False),
                name="observation_key_unique",
            ),
            models.UniqueConstraint(
                fields=["indicator", "place", "period", "breakdown"],
                condition=Q(organization__isnull=True),
                name="observation_key_unique_community",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0),
                name="observation_denominator_gt_0",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__gte=0),
                name="observation_numerator_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "period", "breakdown"], name="obs_series_idx"),
            models.Index(fields=["indicator", "place", "period"], name="obs_place_idx"),
            # The series read (selectors.series_by_group): one indicator, some breakdowns, every
            # period, summed. On PostgreSQL an index-only scan; SQLite ignores ``include``.
            models.Index(
                fields=["indicator", "breakdown", "period"],
                include=["place", "status", "value", "numerator", "denominator"],
                name="obs_series_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.place.code} {self.period.code}: {self.value}"


class ObservationChange(models.Model):
    """Append-only audit of every write to an observation: who, when, before → after, why."""

    observation = models.ForeignKey(Observation, on_delete=models.PROTECT, related_name="changes")
    version = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["observation", "version"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "version"], name="change_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.observation_id} v{self.version}"


class Annotation(models.Model):
    """A footnote on an indicator × period (× place), shown on every chart, table and export."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="annotations")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="annotations")
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="annotations"
    )
    text = models.CharField(max_length=500)
    breaks_comparability = models.BooleanField(
        default=False, help_text=_("Values at this period cannot be compared with other periods.")
    )

    class Meta:
        ordering = ["indicator", "period"]

    def __str__(self) -> str:
        return self.text


class IndicatorRevision(models.Model):
    """A new version of an indicator's definition. Values from ``effective_period`` on were measured
    the new way: a series break that charts and analytics do not draw or compute across."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="revisions")
    definition_version = models.PositiveIntegerField()
    effective_period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    before = models.JSONField()
    after = models.JSONField()
    reason = models.CharField(max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "definition_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "definition_version"], name="revision_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} v{self.definition_version}"


class Target(models.Model):
    """A goal for an indicator by a period — for everyone (total breakdown) and per group.

    Targeted universalism: one universal goal, with group targets where a group starts further
    behind. ``place`` empty means the initiative's whole geography.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="targets"
    )
    breakdown = models.ForeignKey(Breakdown, on_delete=models.CASCADE, related_name="targets")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="targets")
    value = models.DecimalField(_("target value"), max_digits=20, decimal_places=6)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["indicator", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "place", "breakdown", "period"], name="target_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period.code}: {self.value}"


class Narrative(models.Model):
    """The story behind the curve: why the line looks the way it does and what we will do."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="narratives")
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="narratives"
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, null=True, blank=True, related_name="narratives"
    )
    story = models.TextField(_("the story behind the curve"))
    partners = models.TextField(_("partners with a role to play"), blank=True)
    what_works = models.TextField(_("what works"), blank=True)
    action_plan = models.TextField(_("what we will do"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["indicator", "-updated_at"]

    def __str__(self) -> str:
        return self.story[:60]


class ReportingRound(models.Model):
    """A call for data: these indicators, for this period, from these partners, by this date."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="reporting_rounds"
    )
    name = models.CharField(_("name"), max_length=200)
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="rounds")
    due_on = models.DateField(_("due date"))
    indicators = models.ManyToManyField(Indicator, related_name="rounds")
    organizations = models.ManyToManyField(
        Organization, related_name="reporting_rounds", verbose_name=_("partners who report")
    )
    is_open = models.BooleanField(_("open"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-due_on", "name"]

    def __str__(self) -> str:
        return self.name


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


# A report that has been sent (waiting for review, or approved): no longer the partner's to edit,
# counted as reported, and never reminded of.
SENT_STATUSES = (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED)


class Submission(models.Model):
    """One partner's report for one round: draft → submitted → approved, or returned with a
    reason and submitted again. Approved values are locked."""

    round = models.ForeignKey(ReportingRound, on_delete=models.CASCADE, related_name="submissions")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="submissions"
    )
    status = models.CharField(
        max_length=12, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    return_reason = models.TextField(_("reason for returning"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["round", "organization"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="submission_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.round}"
