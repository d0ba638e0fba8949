"""The common agenda's results framework: goals, the outcomes under them, and the indicators
that show whether each outcome is moving (an indicator may serve several outcomes)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from backbone.core.models import Initiative


class Goal(models.Model):
    """A long-term aim of the initiative, e.g. "Homelessness is rare"."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "title"], name="goal_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Outcome(models.Model):
    """A change in people's lives the partners work toward under one goal, shown by indicators."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="outcomes")
    title = models.CharField(_("outcome"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    indicators = models.ManyToManyField(
        "measurement.Indicator", related_name="outcomes", blank=True, verbose_name=_("indicators")
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "title"], name="outcome_title_unique")
        ]

    def __str__(self) -> str:
        return self.title
