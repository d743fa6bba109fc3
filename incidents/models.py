"""Incidents and postmortems: every visible failure of an agent, analysed until it changes the operating model.

Design (``incidents.services`` implements the writes, ``incidents.selectors`` the reads; docs/incidents.md tells
users)::

    open ──postmortem written (or analysis started)──▶ analysing ──close (broken assumption required)──▶ closed

* ``Incident``: the agent, a title, the severity, when the failure became visible (``visible_at``), how it was
  detected, its owner (a member of the agent's vendor), the status and a ``revision`` bumped by every write
  (optimistic concurrency: a transition is a conditional UPDATE from the states that allow it at the revision
  read, so of two concurrent closes exactly one succeeds). ``reported_by_org`` is the organization that reported
  it (the vendor, or an engaged buyer); ``origin`` what it was opened from (a verdict, a ruling, a tier change).
  ``public``: the vendor's owners show it to everyone (else: the vendor, buyers engaging the agent, the
  reporter's organization and staff).
* ``IncidentClause``: the clauses involved, ``(pact, clause_id)`` (a clause id is stable across versions).
  ``disputes`` and ``rulings``: the disputes and rulings involved (many-to-many).
* **First missed signal** (fields ``signal_*`` on the incident): derived from history
  (``incidents.missed_signals``): the earliest non-``met`` verdict, early warning (through
  ``incidents.hooks.signal_sources``) or access decision that allowed while an involved clause was not met, on
  the involved clauses, in the ``lookback_days`` before ``visible_at``. Editable: an override records the
  justification, who and when (``signal_overridden``), and the derived signal it replaced stays in the event's note.
* ``IncidentEvent``: one row per write (created, analysing, closed, postmortem, signal override, visibility,
  edits): who, when, from, to, note.
* ``TimelineNote``: editable notes beside the timeline, each anchored at a moment (``at``).
* ``Postmortem`` (one per incident, the Google SRE template's parts that matter here): summary, impact, the
  **broken assumption** (required to close), the **structural weakness** (``StructuralWeakness``: a taxonomy
  table seeded by migration 0002, extended by staff in the admin), contributing factors.
* ``Remediation``: title, owner, due date, done; ``operating_model_change`` with its ``change_kind`` (a
  threshold, a downgrade path, a stronger evidence artifact, an ownership boundary) and the link to the pact
  version or policy revision that made the change: checked by the service (it exists, belongs to the agent's
  pact or a policy the author may see, is in force, and is newer than ``visible_at``). A remediation that
  claims a change with no link only changed the story; the metric counts linked ones.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from accounts.permissions import RestrictedQuerySet
from disputes.models import Dispute, Ruling
from pacts.models import Agent, Pact, PactVersion
from reputation.models import PolicyRevision


class Status(models.TextChoices):
    OPEN = "open", "Open"
    ANALYSING = "analysing", "Analysing"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class OriginType(models.TextChoices):
    VERDICT = "verdict", "Verdict"
    RULING = "ruling", "Ruling"
    TIER_CHANGE = "tier_change", "Tier change"


class SignalType(models.TextChoices):
    VERDICT = "verdict", "Verdict"
    WARNING = "warning", "Early warning"
    DECISION = "decision", "Access decision"
    OTHER = "other", "Other (stated)"


class ChangeKind(models.TextChoices):
    THRESHOLD = "threshold", "Adds a threshold"
    DOWNGRADE_PATH = "downgrade_path", "Adds a downgrade path"
    EVIDENCE_ARTIFACT = "evidence_artifact", "Adds a stronger evidence artifact"
    OWNERSHIP_BOUNDARY = "ownership_boundary", "Adds an ownership boundary"


class StructuralWeakness(models.Model):
    """The taxonomy of structural weaknesses (seeded by migration 0002; staff add more in the admin)."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(max_length=2000, blank=True)
    position = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True, help_text="Offered for new postmortems.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "structural weaknesses"

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    visible_at = models.DateTimeField(db_index=True, help_text="When the failure became visible.")
    detected_by = models.CharField(max_length=200, help_text="How it was detected (a customer, a monitor, …).")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents_owned"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    revision = models.PositiveIntegerField(default=0, help_text="Bumped by every write (optimistic concurrency).")
    public = models.BooleanField(default=False, help_text="Shown to everyone (the vendor's owners decide).")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_by_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents_reported"
    )
    origin_type = models.CharField(max_length=12, choices=OriginType.choices, blank=True)
    origin_id = models.BigIntegerField(null=True, blank=True)
    disputes = models.ManyToManyField(Dispute, blank=True, related_name="incidents")
    rulings = models.ManyToManyField(Ruling, blank=True, related_name="incidents")
    lookback_days = models.PositiveSmallIntegerField(
        default=30, help_text="How far before the visible failure the first missed signal is looked for."
    )
    # The first missed signal (derived, or set with a justification).
    signal_type = models.CharField(max_length=10, choices=SignalType.choices, blank=True)
    signal_id = models.BigIntegerField(null=True, blank=True)
    signal_at = models.DateTimeField(null=True, blank=True)
    signal_clause_id = models.CharField(max_length=63, blank=True)
    signal_summary = models.CharField(max_length=300, blank=True)
    signal_overridden = models.BooleanField(default=False)
    signal_justification = models.TextField(max_length=5000, blank=True)
    signal_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signal_set_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-visible_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "analysing", "closed"]), name="incident_status"),
            models.CheckConstraint(condition=Q(severity__in=["critical", "major", "minor"]), name="incident_severity"),
            models.CheckConstraint(
                condition=Q(signal_overridden=False) | ~Q(signal_justification=""),
                name="incident_signal_override_justified",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) | (~Q(status="closed") & Q(closed_at=None)),
                name="incident_closed_at_iff_closed",
            ),
        ]
        indexes = [models.Index(fields=["agent", "visible_at"], name="incident_agent_time")]

    def __str__(self) -> str:
        return f"Incident #{self.pk}: {self.title} ({self.status})"

    @property
    def owning_organization_id(self) -> int:
        return self.agent.organization_id

    @property
    def signal_lead_seconds(self) -> float | None:
        """Time from the first missed signal to the visible failure."""
        if self.signal_at is None:
            return None
        return (self.visible_at - self.signal_at).total_seconds()


class IncidentClause(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="clauses")
    pact = models.ForeignKey(Pact, on_delete=models.PROTECT, related_name="+")
    clause_id = models.CharField(max_length=63)

    class Meta:
        ordering = ["clause_id", "pact_id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "pact", "clause_id"], name="incident_clause_once"),
        ]

    def __str__(self) -> str:
        return self.clause_id


class IncidentEvent(models.Model):
    """One write on an incident: who, when, from which state to which, and why."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status or '∅'} → {self.to_status}"


class TimelineNote(models.Model):
    """A note beside the timeline, at a moment of it; its author may edit it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(help_text="The moment of the timeline the note is about.")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Note on incident #{self.incident_id} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def owning_organization_id(self) -> int:
        return self.incident.agent.organization_id


class Postmortem(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    summary = models.TextField(max_length=10000)
    impact = models.TextField(max_length=10000, blank=True)
    broken_assumption = models.TextField(max_length=5000, blank=True, help_text="Required to close the incident.")
    structural_weakness = models.ForeignKey(
        StructuralWeakness, on_delete=models.PROTECT, null=True, blank=True, related_name="postmortems"
    )
    contributing_factors = models.TextField(max_length=10000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Postmortem of incident #{self.incident_id}"


class Remediation(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="remediations")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=300)
    owner = models.CharField(max_length=150, help_text="Who answers for it (a person or a team).")
    due_on = models.DateField()
    done = models.BooleanField(default=False)
    operating_model_change = models.BooleanField(default=False)
    change_kind = models.CharField(max_length=20, choices=ChangeKind.choices, blank=True)
    pact_version = models.ForeignKey(PactVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    policy_revision = models.ForeignKey(
        PolicyRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(operating_model_change=False) | ~Q(change_kind=""), name="remediation_change_has_kind"
            ),
            models.CheckConstraint(
                condition=Q(pact_version__isnull=True) | Q(policy_revision__isnull=True),
                name="remediation_one_link",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def linked(self) -> bool:
        return self.pact_version_id is not None or self.policy_revision_id is not None

    @property
    def changed_operating_model(self) -> bool:
        """A change the record proves: claimed, and linked to the version that made it."""
        return self.operating_model_change and self.linked


class Replay(models.Model):
    """A replay of an agent's history under a draft (or other) pact version or a stricter policy
    (``incidents.replays``): its parameters, progress, the replayed timeline and how it differs from what
    happened. Written by the ``incidents.run_replay`` task; its requester's (and staff's) to read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="replays")
    params = models.JSONField(help_text='{"pact", "pact_version"} or {"pact", "policy", "policy_revision"}.')
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    timeline = models.JSONField(default=dict, blank=True)
    differences = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requester", "-created_at"], name="replay_requester_time")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0) & Q(progress__lte=1), name="replay_progress_0_1")
        ]

    def __str__(self) -> str:
        return f"replay {self.pk} of {self.agent_id}: {self.status}"
