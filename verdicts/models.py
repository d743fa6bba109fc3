"""Verdicts: the compliance time series of every clause of every agent's pact in force."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from pacts.models import Agent


class Verdict(models.Model):
    """One evaluation of one clause that changed something: the compliance time series.

    The row with ``is_current`` is the clause's present status (one per pact and clause). A verdict is
    computed from evidence only; ``disputed`` is set when an open dispute covers the clause and never
    turns a breach into trust.

    ``rests_on_restricted``: restricted evidence lay in the clause's window when it was computed. Those who
    may not see the agent's restricted evidence then see the status and that fact only, never the
    measured value, samples, record counts or freshness derived from it (``verdicts.selectors.shown``;
    docs/evaluation.md, "Verdicts on restricted evidence").
    """

    class Status(models.TextChoices):
        MET = "met", "Met"
        BREACHED = "breached", "Breached"
        STALE = "stale", "Stale"
        INSUFFICIENT = "insufficient_evidence", "Insufficient evidence"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="verdicts")
    pact_version = models.ForeignKey("pacts.PactVersion", on_delete=models.PROTECT, related_name="verdicts")
    pact = models.ForeignKey("pacts.Pact", on_delete=models.PROTECT, related_name="verdicts")
    clause_id = models.CharField(max_length=63)
    status = models.CharField(max_length=25, choices=Status.choices)
    disputed = models.BooleanField(default=False)
    measured = models.FloatField(null=True, blank=True)
    threshold = models.FloatField()
    comparator = models.CharField(max_length=2)
    samples = models.PositiveBigIntegerField(default=0)
    min_samples = models.PositiveIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    freshest_at = models.DateTimeField(null=True, blank=True)
    used_records = models.PositiveIntegerField(default=0)
    refused_records = models.PositiveIntegerField(default=0)
    refusals = models.JSONField(
        default=list, blank=True, help_text="[[reason, count], …] of the evidence that did not count."
    )
    note = models.CharField(max_length=300, blank=True)
    rests_on_restricted = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now, db_index=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        db_table = "evidence_verdict"
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pact", "clause_id"], condition=Q(is_current=True), name="verdict_one_current_per_clause"
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "is_current"], name="verdict_agent_current"),
            models.Index(fields=["pact", "clause_id", "computed_at"], name="verdict_series"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}/{self.clause_id}: {self.status} at {self.computed_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if getattr(self, "withheld", False):
            raise ValueError("A verdict with withheld fields is a view for one reader: it is never saved.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def shown_status(self) -> str:
        return "disputed" if self.disputed else self.status


class ClauseWarning(models.Model):
    """An early warning on a rate clause: its error budget burns fast enough that a breach is coming.

    Opened when a multiwindow burn-rate rule fires (``trustcore.burn``), cleared when none does; one open warning
    per clause. ``breach`` is the breach verdict that followed it, if one did (how much earlier it came)."""

    class Rule(models.TextChoices):
        FAST = "fast", "Fast burn (1 h, confirmed over 5 min)"
        SLOW = "slow", "Slow burn (6 h, confirmed over 30 min)"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="clause_warnings")
    pact = models.ForeignKey("pacts.Pact", on_delete=models.CASCADE, related_name="clause_warnings")
    pact_version = models.ForeignKey("pacts.PactVersion", on_delete=models.PROTECT, related_name="+")
    clause_id = models.CharField(max_length=63)
    rule = models.CharField(max_length=4, choices=Rule.choices)
    burn_long = models.FloatField()
    burn_short = models.FloatField()
    threshold = models.FloatField(help_text="The burn rate the rule fires at, scaled to the clause's window.")
    trials_long = models.PositiveBigIntegerField()
    rests_on_restricted = models.BooleanField(default=False)
    opened_at = models.DateTimeField(db_index=True)
    last_seen_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    breach = models.ForeignKey(Verdict, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pact", "clause_id"], condition=Q(cleared_at__isnull=True), name="warning_one_open_per_clause"
            ),
        ]
        indexes = [models.Index(fields=["agent", "cleared_at"], name="warning_agent_open")]

    def __str__(self) -> str:
        return f"{self.agent_id}/{self.clause_id}: {self.rule} burn {self.burn_long:.1f}× from {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
