"""Disputes: a claim by one party about an agent's record, a reviewed workflow, rulings that move reputation.

Design (the state machine, ``disputes.workflow`` implements it; docs/disputes.md tells it to users)::

    filed ─▶ awaiting_response ─respond / default─▶ under_review ⇄ info_requested
                                                       │ rule
                                                       ▼
                      closed ◀─window ends── ruled ─appeal─▶ appealed ─rule─▶ ruled_on_appeal ─▶ closed
    withdrawn  (the claimant, from any state before a ruling)
    settled    (one party proposes terms, the other accepts them; from any state before a ruling)

* ``filed`` lasts the instant of filing: the respondent's clock starts at once (``awaiting_response``).
* A respondent who misses ``response_days`` *defaults*: ``under_review`` with ``respondent_defaulted``.
* An arbiter claims a dispute (staff may assign one) in ``under_review``, ``info_requested`` or ``appealed``;
  never one whose parties they declared a conflict with; an appeal never goes to the first ruling's arbiter.
* ``closed``, ``withdrawn`` and ``settled`` are terminal.

Every action that succeeds writes exactly one ``DisputeEvent`` (who, when, from, to, note); a transition is a
conditional UPDATE from the states that allow it and on the row's ``revision`` (optimistic concurrency), so of
two concurrent actions exactly one succeeds and the other is a 409 naming the current state.

Deadlines come from the ``dispute_terms`` of the pact version in force at filing (copied on the dispute, so a
later version never moves a running clock): ``due_by`` is the deadline of the current step (the response, an
answer to a question, the review, the appeal window); ``review_due_by`` is the arbiter's. The beat task
``disputes.escalate`` moves what is overdue.

Submissions (statements and attachments) are never edited: each is canonical JSON with a 256-bit salt,
appended to the transparency log like evidence; each shows its leaf index. A party submits once per stage
(``stage`` + ``round``: an information request opens one more round for the party asked).

Rulings are immutable; an appeal ruling supersedes the first. Applying a ruling (``disputes.rulings``) writes
the score events, tier changes, ledger entries and notifications exactly once (``applied_at`` is claimed by a
conditional UPDATE in the ruling's transaction).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from accounts.permissions import RestrictedQuerySet
from evidence.models import Attachment, EvidenceRecord
from pacts.models import Agent, Pact, PactVersion
from reputation.models import LedgerEntry
from verdicts.models import Verdict


class Status(models.TextChoices):
    FILED = "filed", "Filed"
    AWAITING_RESPONSE = "awaiting_response", "Awaiting response"
    UNDER_REVIEW = "under_review", "Under review"
    INFO_REQUESTED = "info_requested", "Information requested"
    RULED = "ruled", "Ruled"
    APPEALED = "appealed", "Appealed"
    RULED_ON_APPEAL = "ruled_on_appeal", "Ruled on appeal"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SETTLED = "settled", "Settled"


TERMINAL = (Status.CLOSED, Status.WITHDRAWN, Status.SETTLED)
BEFORE_RULING = (Status.FILED, Status.AWAITING_RESPONSE, Status.UNDER_REVIEW, Status.INFO_REQUESTED)
OPEN = (*BEFORE_RULING, Status.RULED, Status.APPEALED, Status.RULED_ON_APPEAL)
AWAITING_ARBITER = (Status.UNDER_REVIEW, Status.INFO_REQUESTED, Status.APPEALED)


class SubjectType(models.TextChoices):
    VERDICT = "verdict", "Verdict"
    EVIDENCE = "evidence", "Evidence record"
    LEDGER_ENTRY = "ledger_entry", "Ledger entry"
    CLAUSE = "clause", "Pact clause"


class ClaimType(models.TextChoices):
    BREACH_NOT_RECORDED = "breach_not_recorded", "Breach not recorded"
    EVIDENCE_INVALID = "evidence_invalid", "Evidence invalid"
    CONSEQUENCE_UNHONOURED = "consequence_unhonoured", "Consequence unhonoured"
    VERDICT_WRONG = "verdict_wrong", "Verdict wrong"
    OTHER = "other", "Other"


class Party(models.TextChoices):
    CLAIMANT = "claimant", "Claimant"
    RESPONDENT = "respondent", "Respondent"


class Outcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTIALLY_UPHELD = "partially_upheld", "Partially upheld"
    REJECTED = "rejected", "Rejected"


class DisputeQuerySet(RestrictedQuerySet["Dispute"]):
    def open(self) -> DisputeQuerySet:
        return self.exclude(status__in=TERMINAL)


class Dispute(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="disputes")
    claimant = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="disputes_filed")
    respondent = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="disputes_answered")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=20, choices=SubjectType.choices)
    subject_key = models.CharField(max_length=100, help_text="type:id, what one open dispute per claimant is about.")
    verdict = models.ForeignKey(Verdict, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    evidence = models.ForeignKey(EvidenceRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ledger_entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The clause the dispute is about (every subject names one, except an evidence record of no clause's metric).
    pact = models.ForeignKey(Pact, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes")
    pact_version = models.ForeignKey(PactVersion, on_delete=models.PROTECT, related_name="disputes")
    clause_id = models.CharField(max_length=63, blank=True)
    metric = models.CharField(max_length=63, blank=True)
    claim_type = models.CharField(max_length=30, choices=ClaimType.choices)
    requested_remedy = models.TextField(max_length=2000)
    statement = models.TextField(max_length=20000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FILED)
    revision = models.PositiveIntegerField(default=0, help_text="Bumped by every action (optimistic concurrency).")
    respondent_defaulted = models.BooleanField(default=False)
    # The terms in force at filing (``dispute_terms`` of pact_version).
    response_days = models.PositiveSmallIntegerField()
    review_days = models.PositiveSmallIntegerField()
    appeal_days = models.PositiveSmallIntegerField()
    due_by = models.DateTimeField(null=True, blank=True, help_text="The deadline of the current step.")
    review_due_by = models.DateTimeField(null=True, blank=True, help_text="The arbiter's deadline.")
    arbiter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes_assigned"
    )
    info_party = models.CharField(max_length=10, choices=Party.choices, blank=True)
    info_question = models.TextField(max_length=5000, blank=True)
    info_rounds = models.PositiveSmallIntegerField(default=0)
    appealed_by = models.CharField(max_length=10, choices=Party.choices, blank=True)
    settlement_terms = models.TextField(max_length=5000, blank=True)
    settlement_proposed_by = models.CharField(max_length=10, choices=Party.choices, blank=True)
    settlement_proposed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "claimant"],
                condition=~Q(status__in=["closed", "withdrawn", "settled"]),
                name="dispute_one_open_per_subject_claimant",
            ),
            models.CheckConstraint(condition=~Q(claimant=models.F("respondent")), name="dispute_two_parties"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="dispute_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "due_by"], name="dispute_queue"),
            models.Index(fields=["agent", "status"], name="dispute_agent_status"),
        ]

    def __str__(self) -> str:
        return f"Dispute #{self.pk} about {self.agent} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def owning_organization_id(self) -> int:
        return self.agent.organization_id

    def party_of(self, organization_id: int | None) -> str:
        if organization_id is not None and organization_id == self.claimant_id:
            return Party.CLAIMANT
        if organization_id is not None and organization_id == self.respondent_id:
            return Party.RESPONDENT
        return ""

    @property
    def past_due(self) -> bool:
        return self.due_by is not None and self.due_by < timezone.now() and not self.is_terminal


class Submission(models.Model):
    """A statement (and attachments) by one party at one stage; logged, never edited."""

    class Stage(models.TextChoices):
        FILING = "filing", "Filing"
        RESPONSE = "response", "Response"
        INFO = "info", "Answer to a question"
        APPEAL = "appeal", "Appeal"
        SETTLEMENT = "settlement", "Settlement terms"

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="submissions")
    party = models.CharField(max_length=10, choices=Party.choices)
    stage = models.CharField(max_length=12, choices=Stage.choices)
    round = models.PositiveSmallIntegerField(default=0)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(max_length=20000)
    confidential = models.BooleanField(default=False, help_text="Never shown in the public form of the ruling.")
    canonical = models.TextField(help_text="The canonical JSON its transparency-log leaf commits to.")
    canonical_hash = models.CharField(max_length=64)
    leaf_index = models.BigIntegerField(null=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "party", "stage", "round"], name="submission_once_per_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()} {self.stage} on dispute #{self.dispute_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A submission is never edited: it is logged as it was made.")
        super().save(*args, **kwargs)


class SubmissionAttachment(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="attachments")
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.attachment.sha256[:12]})"


class Ruling(models.Model):
    class Stage(models.TextChoices):
        FIRST = "first", "Ruling"
        APPEAL = "appeal", "Ruling on appeal"

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="rulings")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    arbiter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rulings")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    rationale = models.TextField(max_length=20000)
    consequences = models.JSONField(default=list, help_text="What it applies: checked against the pact's terms.")
    cites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="cited_by")
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    # Precedent: what it interprets (copied from the dispute so search needs no join).
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    clause_id = models.CharField(max_length=63, blank=True, db_index=True)
    metric = models.CharField(max_length=63, blank=True, db_index=True)
    severity = models.CharField(max_length=10, blank=True)
    against_vendor = models.BooleanField(help_text="Whether the vendor's side lost (a buyer's claim upheld).")
    effect_until = models.DateTimeField(null=True, blank=True, help_text="When its tier effect and override end.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "stage"], name="ruling_once_per_stage"),
            models.CheckConstraint(
                condition=Q(outcome__in=["upheld", "partially_upheld", "rejected"]), name="ruling_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Ruling #{self.pk} ({self.outcome}) on dispute #{self.dispute_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A ruling is immutable: an appeal ruling supersedes it.")
        super().save(*args, **kwargs)

    @property
    def owning_organization_id(self) -> int:
        return self.agent.organization_id


class DisputeEvent(models.Model):
    """One action on a dispute: who, when, from which state to which, and why."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status or '∅'} → {self.to_status}"


class ArbiterConflict(models.Model):
    """An arbiter declared a conflict of interest with an organization: never offered its disputes."""

    arbiter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["arbiter", "organization"], name="conflict_once"),
        ]

    def __str__(self) -> str:
        return f"{self.arbiter} conflicted with {self.organization}"
