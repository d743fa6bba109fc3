"""The trust loop (layer 4, "act"): scores, tiers, engagements, access policies and decisions, the ledger.

State of an agent's reputation (one ``Reputation`` row per agent, rewritten by ``reputation.services``
only, inside the evaluation task's transaction, so verdicts and the tier they imply commit together)::

    score, lower_bound    ``trustcore.score.compute`` over the verdict history (algorithm ``score/1``)
    tier                  ``trustcore.score.target_tier`` + ``next_tier`` (hysteresis)

    unverified ──first verdict──▶ probation ──bound ≥ 65 for 14 days──▶ standard ──bound ≥ 85 for 14 days──▶ trusted
        ▲                            ▲  ▲                                   │                                 │
        │                            │  └──────bound falls / pact stale────┴─────────────(at once)──────────┘
        └──no pact in force──────────┤
                                     └──no critical clause fails── suspended ◀──critical clause breached or stale
                                                                                 (from any tier, at once)

Every change of score writes a ``ScoreEvent`` (what moved it, by how much, and the inputs that recompute it);
every change of tier a ``TierChange`` (old, new, reason, source), as healthchecks keeps a ``Flip``.

Engagement: a buyer organization engages an agent under the pact version in force::

    active ──end (buyer)──▶ ended          (ends_on passed: ended too; ``is_active`` answers for a moment)

Ledger entry (a service credit a breach earns an engaged buyer)::

    pending_cure ──cure period over (sweep)──▶ owed ──pay / waive (vendor owner)──▶ paid | waived
         │                                      │
         └───────────cancel (a ruling)──────────┴──▶ cancelled

Access policy: a buyer's rules, versioned (``PolicyRevision``; editing writes a new revision), and each
decision logged (``Decision``) with the revision it applied, its input, result, every condition and reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from accounts.permissions import RestrictedQuerySet
from pacts.models import Agent, Pact, PactVersion
from verdicts.models import Verdict


class Tier(models.TextChoices):
    SUSPENDED = "suspended", "Suspended"
    UNVERIFIED = "unverified", "Unverified"
    PROBATION = "probation", "Probation"
    STANDARD = "standard", "Standard"
    TRUSTED = "trusted", "Trusted"


class Reputation(models.Model):
    """An agent's current score, bound and tier (the latest ``ScoreEvent`` and ``TierChange`` agree with it)."""

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="reputation", primary_key=True)
    score = models.FloatField(default=50.0)
    lower_bound = models.FloatField(default=0.0)
    tier = models.CharField(max_length=12, choices=Tier.choices, default=Tier.UNVERIFIED)
    tier_reason = models.CharField(max_length=300, blank=True)
    tier_since = models.DateTimeField(default=timezone.now)
    pending_tier = models.CharField(max_length=12, choices=Tier.choices, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    algorithm = models.CharField(max_length=40)
    log_size = models.BigIntegerField(default=0, help_text="The transparency log's size when computed.")
    computed_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.tier} ({self.score:.1f}, bound {self.lower_bound:.1f})"


class SourceType(models.TextChoices):
    VERDICT = "verdict", "Verdict"
    PACT = "pact", "Pact"
    RULING = "ruling", "Ruling"
    TIME = "time", "Time (decay)"


class ScoreEvent(models.Model):
    """One change of an agent's score: by how much, why, and the inputs ``trustcore.score`` recomputes it from."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="score_events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    score = models.FloatField()
    lower_bound = models.FloatField()
    delta = models.FloatField(help_text="score minus the previous event's score")
    reason = models.CharField(max_length=300)
    source_type = models.CharField(max_length=10, choices=SourceType.choices)
    source_id = models.BigIntegerField(null=True, blank=True)
    algorithm = models.CharField(max_length=40)
    log_size = models.BigIntegerField(default=0)
    inputs = models.JSONField(help_text="The intervals, stale-pact spans, penalties and parameters scored.")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agent", "-at"], name="score_event_agent_time")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.at:%Y-%m-%d %H:%M}: {self.score:.1f} ({self.delta:+.1f})"


class TierChange(models.Model):
    """One change of an agent's tier (a flip): old, new, why, and what caused it."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tier_changes")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    old = models.CharField(max_length=12, choices=Tier.choices)
    new = models.CharField(max_length=12, choices=Tier.choices)
    reason = models.CharField(max_length=300)
    source_type = models.CharField(max_length=10, choices=SourceType.choices)
    source_id = models.BigIntegerField(null=True, blank=True)
    score = models.FloatField()
    lower_bound = models.FloatField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agent", "-at"], name="tier_change_agent_time")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.at:%Y-%m-%d %H:%M}: {self.old} → {self.new}"

    @property
    def is_downgrade(self) -> bool:
        from trustcore.score import rank

        return rank(self.new) < rank(self.old)


class Engagement(models.Model):
    """A buyer organization's engagement of an agent: the fee its service credits are a percent of."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="engagements")
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="engagements", limit_choices_to={"kind": "buyer"}
    )
    pact = models.ForeignKey(Pact, on_delete=models.PROTECT, related_name="engagements")
    pact_version = models.ForeignKey(
        PactVersion, on_delete=models.PROTECT, related_name="+", help_text="The version in force it follows."
    )
    monthly_fee = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. EUR.")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "pact"], condition=Q(ended_at__isnull=True), name="engagement_one_open_per_pact"
            ),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="engagement_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="engagement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} engages {self.agent}"

    def is_active(self, on: object = None) -> bool:
        day = on or timezone.localdate()
        return (
            self.ended_at is None
            and self.starts_on <= day  # type: ignore[operator]
            and (self.ends_on is None or day <= self.ends_on)  # type: ignore[operator]
        )

    @property
    def status(self) -> str:
        if self.ended_at is not None or (self.ends_on is not None and self.ends_on < timezone.localdate()):
            return "ended"
        return "active" if self.starts_on <= timezone.localdate() else "scheduled"


class LedgerEntry(models.Model):
    """A consequence owed by a vendor to an engaged buyer (today: a service credit for a breach)."""

    class Status(models.TextChoices):
        PENDING_CURE = "pending_cure", "Pending cure"
        OWED = "owed", "Owed"
        PAID = "paid", "Paid"
        WAIVED = "waived", "Waived"
        CANCELLED = "cancelled", "Cancelled"

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="ledger_entries")
    buyer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="ledger_entries")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="ledger_entries")
    verdict = models.ForeignKey(Verdict, on_delete=models.PROTECT, related_name="ledger_entries", null=True)
    ruling_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The ruling that awarded it (disputes.Ruling), when a ruling did."
    )
    clause_id = models.CharField(max_length=63)
    kind = models.CharField(max_length=20, default="service_credit")
    percent = models.DecimalField(max_digits=6, decimal_places=3)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING_CURE)
    cure_ends_at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["verdict", "engagement"], name="ledger_once_per_verdict_engagement"),
            models.UniqueConstraint(fields=["ruling_id", "engagement"], name="ledger_once_per_ruling_engagement"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="ledger_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.status})"


class LedgerEvent(models.Model):
    """One transition of a ledger entry: the audit trail."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    old = models.CharField(max_length=12, blank=True)
    new = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.old or '·'} → {self.new}"


class AccessPolicy(models.Model):
    """A buyer's rules for trusting an agent; its rules live in revisions (the latest is in force)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="access_policies")
    name = models.CharField(max_length=120)
    revision = models.PositiveIntegerField(default=1, help_text="The number of the revision in force.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "access policies"

    def __str__(self) -> str:
        return f"{self.name} (r{self.revision})"


class PolicyRevision(models.Model):
    """The exact rules of one revision of a policy (never changed: an edit writes the next revision)."""

    policy = models.ForeignKey(AccessPolicy, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    rules = models.JSONField(help_text="min_tier, min_lower_bound, max_open_disputes, required_clauses, …")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="policy_revision_unique")]

    def __str__(self) -> str:
        return f"{self.policy_id} r{self.number}"


class Decision(models.Model):
    """One access decision as answered: the decision log (what OPA keeps, plus every condition and reason).

    The log is the trust loop's hottest write (bench/decision.py), so its table carries only the indexes its
    readers use — by policy and by agent, newest first, and the decision id — and no foreign-key constraints in
    the database: each would cost every INSERT a lookup and a row lock (``FOR KEY SHARE``) on the agent, the
    policy, its revision and the user, and decisions racing on one agent would share those locks (a MultiXact per
    locked row). The references are read in the same request, just before, and the rows they name are never
    deleted by the portal (policies are archived, agents and users kept); Django still applies ``on_delete``."""

    decision_id = models.CharField(max_length=40)
    policy = models.ForeignKey(
        AccessPolicy, on_delete=models.PROTECT, related_name="decisions", db_constraint=False, db_index=False
    )
    revision = models.ForeignKey(
        PolicyRevision, on_delete=models.PROTECT, related_name="decisions", db_constraint=False, db_index=False
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="decisions", db_constraint=False, db_index=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    result = models.CharField(max_length=5)
    input = models.JSONField()
    conditions = models.JSONField()
    reasons = models.JSONField()
    at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["policy", "-at"], name="decision_policy_time"),
            models.Index(fields=["agent", "-at"], name="decision_agent_time"),
        ]
        # A constraint, not ``unique=True``: the field's own would add a second index for LIKE on PostgreSQL.
        constraints = [models.UniqueConstraint(fields=["decision_id"], name="decision_id_unique")]

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.result}"


class WebhookEndpoint(models.Model):
    """A buyer's HTTPS endpoint for trust-loop events, signed per Standard Webhooks (``whsec_`` secrets).

    Rotation keeps the previous secret valid until ``previous_secret_expires_at``: both sign meanwhile.
    ``enabled`` goes false on a 410 or after failing for ``WEBHOOK_DISABLE_AFTER_DAYS`` (with a notice)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(help_text="Event types: tier.changed, verdict.breached, pact.published, ledger.…")
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.url}"


class WebhookDelivery(models.Model):
    """One message to one endpoint, retried on the Standard Webhooks schedule until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    msg_id = models.CharField(max_length=40, unique=True, help_text="webhook-id: the same on every retry.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the delivery log's detail."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"


class ReportJob(models.Model):
    """A diligence report's PDF being rendered (reputation.report_jobs): whose, of which agents, how far, the result.

    queued ──claim (worker)──▶ running ──▶ done | failed ──retry (the requester)──▶ queued

    Only its requester sees it (``reputation.rules_report``). ``twin`` is the signed JSON report the PDF shows,
    byte for byte as signed, so the PDF's recipient verifies it offline (``trust-verify report``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Rendering"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        AGENT = "agent", "One agent"
        COMPARE = "compare", "A comparison"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.AGENT)
    agents = models.JSONField(default=list, help_text="The agents' slugs, in the report's order.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=120, blank=True)
    file = models.FileField(upload_to="reports/", blank=True)
    twin = models.TextField(blank=True, help_text="The signed JSON report the PDF shows (diligence-report/1).")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="reportjob_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"report of {', '.join(self.agents)} for {self.requester_id} ({self.status} {self.progress} %)"
