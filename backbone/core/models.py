"""Core domain: people, organizations, initiatives and how they are tied together.

A *user* belongs to one or more *organizations* through a ``Membership`` that carries a role.
An organization takes part in an *initiative* through a ``Partnership`` that says in what
capacity (backbone, partner, funder, community group). What a user may do in an initiative
follows from those two links; ``core.permissions`` is the only place that reads them to decide.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. People sign in with their email address."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Initiative(models.Model):
    """A collective-impact initiative: one shared problem, one common agenda, many partners."""

    slug = models.SlugField(_("short name for web addresses"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    problem_statement = models.TextField(
        _("problem statement"), blank=True, help_text=_("The shared problem, in plain words.")
    )
    vision = models.TextField(
        _("vision"), blank=True, help_text=_("What the community looks like when we succeed.")
    )
    geography = models.CharField(
        _("geography"),
        max_length=200,
        blank=True,
        help_text=_("The place the initiative serves, e.g. “Ohio” or “Hamilton County”."),
    )
    equity_commitment = models.TextField(
        _("equity commitment"),
        blank=True,
        help_text=_("Which gaps between groups the initiative commits to close, and how."),
    )
    suppression_threshold = models.PositiveIntegerField(
        _("small-number threshold"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_(
            "Public pages hide any count smaller than this, so that nobody can be identified."
        ),
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Anyone, without signing in, can see the public pages of a public initiative."),
    )
    needle_threshold = models.DecimalField(
        _("needle-moving threshold"),
        max_digits=6,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0)],
        help_text=_(
            "How much a community-wide indicator must improve from its baseline before we say "
            "the needle moved. 10 is the usual rule."
        ),
    )
    needle_basis = models.CharField(
        _("measure the improvement as"),
        max_length=10,
        choices=[
            ("relative", _("a percent change from the baseline")),
            ("points", _("percentage points (for percents and rates)")),
        ],
        default="relative",
    )
    open_comparison = models.BooleanField(
        _("name every partner in peer comparisons"),
        default=False,
        help_text=_(
            "Off: on the peer comparison, each partner sees its own name and the others as "
            "“Partner A”, “Partner B”… On: every partner is named to everyone who takes part."
        ),
    )
    shift_length = models.PositiveSmallIntegerField(
        _("points in a row for a shift"),
        default=8,
        validators=[MinValueValidator(6), MaxValueValidator(12)],
        help_text=_(
            "On signal-or-noise charts, this many values in a row on the same side of the centre "
            "line count as a real shift, not chance. 8 is the usual rule (6 to 12 allowed)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suppression_threshold__gte=1),
                name="initiative_threshold_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Sector(models.TextChoices):
    NONPROFIT = "nonprofit", _("Nonprofit")
    GOVERNMENT = "government", _("Government")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    BUSINESS = "business", _("Business")
    PHILANTHROPY = "philanthropy", _("Philanthropy")
    FAITH = "faith", _("Faith-based")
    COMMUNITY = "community", _("Community or resident group")


class Organization(models.Model):
    """An organization that can take part in initiatives (a school, a clinic, a city agency…)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    external_code = models.CharField(
        _("code"),
        max_length=50,
        blank=True,
        help_text=_("An outside identifier, e.g. a Continuum of Care number such as OH-500."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class PartnerKind(models.TextChoices):
    BACKBONE = "backbone", _("Backbone organization")
    PARTNER = "partner", _("Partner")
    FUNDER = "funder", _("Funder")
    COMMUNITY = "community", _("Community group")


class Partnership(models.Model):
    """An organization's place in an initiative, and its signed commitment to the agenda."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="partnerships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="partnerships"
    )
    kind = models.CharField(_("role in the initiative"), max_length=20, choices=PartnerKind.choices)
    joined_on = models.DateField(_("joined on"))
    commitment_signed_on = models.DateField(_("commitment signed on"), null=True, blank=True)
    commitment_signatory = models.CharField(
        _("signed by"),
        max_length=200,
        blank=True,
        help_text=_("Name and title of the person who signed the commitment."),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["organization__name"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "organization"], name="partnership_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(commitment_signed_on__isnull=True)
                | ~models.Q(commitment_signatory=""),
                name="partnership_signature_has_signatory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} — {self.initiative} ({self.get_kind_display()})"

    @property
    def has_signed(self) -> bool:
        return self.commitment_signed_on is not None


class Role(models.TextChoices):
    """A person's role in their organization. Ordered from most to least authority."""

    BACKBONE_ADMIN = "backbone_admin", _("Backbone admin")
    DATA_STEWARD = "data_steward", _("Data steward")
    MEMBER = "member", _("Member")
    FUNDER = "funder", _("Funder")
    COMMUNITY_MEMBER = "community_member", _("Community member")


class Membership(models.Model):
    """A person in an organization, with a role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["organization__name", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.get_role_display()})"


class AuditEvent(models.Model):
    """Append-only record of a change to partners, members or settings: who, when, what."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return self.summary


class Invitation(models.Model):
    """An emailed invitation to join an organization with a role. Single use, and it expires.

    Only a hash of the secret token is stored: a leaked database cannot be used to accept.
    """

    email = models.EmailField(_("email address"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.get_role_display()})"
