"""Evidence: measurements and attestations about agents, append-only.

An ``EvidenceRecord`` is one measurement (``value``), several (``values``) or a
count (``successes`` of ``trials``) of one metric of one agent over an observed
period, with its source tool, a structured payload, an optional attachment and
a visibility. Accepted records are never edited or deleted — the model, the
queryset and a database trigger refuse — and a correction is a new record that
``corrects`` the old one. ``canonical_hash`` is the SHA-256 of the record's
RFC 8785 canonical form (``evidence.canonical``), the leaf of the transparency log.

Restricted records are visible to their vendor, staff, and buyer organizations
holding an unexpired, unrevoked ``AccessGrant`` for the agent; to everybody else
they do not exist (lists, counts and details alike).

``IdempotencyKey`` gives ingestion Stripe's semantics: the first response is
stored in the same transaction as the records it created (state ``done``); a
retry replays it; the same key with another body is refused (422); a retry
while the first is still running is refused (409). Keys are purged after
``IDEMPOTENCY_KEY_TTL_HOURS`` (≥ 24).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiToken, Organization
from accounts.permissions import RestrictedQuerySet
from pacts.models import Agent


class EvidenceImmutable(Exception):
    """Raised when something tries to change or delete an accepted evidence record."""


class Kind(models.TextChoices):
    EVAL_RUN = "eval_run", "Evaluation run"
    TELEMETRY = "telemetry", "Production telemetry"
    ATTESTATION = "attestation", "Attestation"
    INCIDENT_REPORT = "incident_report", "Incident report"
    DOCUMENT = "document", "Document"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    RESTRICTED = "restricted", "Restricted"


class Attachment(models.Model):
    """A file attached to an organization's evidence, stored under its content hash; typed from its bytes.

    Deduplicated within its organization only: the same bytes sent by two organizations are two rows, so
    uploading a file never tells one tenant anything about another's. The name a file was sent under belongs to
    the record that carries it (``EvidenceRecord.attachment_filename``), not to the shared bytes.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    filename = models.CharField(
        max_length=200,
        blank=True,
        help_text="Legacy: the name of the first upload, from before names moved to records (never written now).",
    )
    file = models.FileField(upload_to="evidence/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "sha256"], name="attachment_once_per_organization")
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.content_type}, {self.size} B)"


class EvidenceImport(models.Model):
    """One imported result file (Inspect AI log, promptfoo results, JSONL, CSV): importing it twice adds nothing."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="imports")
    format = models.CharField(max_length=20)
    file_sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=200, blank=True)
    tool = models.CharField(max_length=100)
    tool_version = models.CharField(max_length=50, blank=True)
    task = models.CharField(max_length=200, blank=True)
    dataset = models.CharField(max_length=200, blank=True)
    run_id = models.CharField(max_length=200, blank=True, help_text="The tool's id of the run.")
    record_count = models.PositiveIntegerField(default=0)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "file_sha256"], name="evidenceimport_once_per_file")]

    def __str__(self) -> str:
        return f"{self.format} import {self.file_sha256[:12]} for {self.agent}"


class EvidenceRecordQuerySet(RestrictedQuerySet["EvidenceRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise EvidenceImmutable("Evidence records are append-only; submit a correcting record instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise EvidenceImmutable("Evidence records are append-only and cannot be deleted.")


class EvidenceRecord(models.Model):
    # Indexes are few on purpose (ingest speed): the composite indexes below lead with agent_id, and the other
    # foreign keys are only followed from a record, never searched by.
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="evidence", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    metric = models.CharField(max_length=63)
    value = models.FloatField(null=True, blank=True)
    values = models.JSONField(null=True, blank=True)
    successes = models.BigIntegerField(null=True, blank=True)
    trials = models.BigIntegerField(null=True, blank=True)
    sample_count = models.PositiveIntegerField(help_text="1 for a value, len(values), or trials.")
    observed_from = models.DateTimeField()
    observed_to = models.DateTimeField()
    source_tool = models.CharField(max_length=100, blank=True)
    source_version = models.CharField(max_length=50, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # What a clause's pre-registration is checked against.
    task_name = models.CharField(max_length=200, blank=True)
    task_version = models.CharField(max_length=50, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    scorer = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    attachment = models.ForeignKey(
        Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="records", db_index=False
    )
    attachment_filename = models.CharField(
        max_length=200, blank=True, default="", help_text="The name the attachment was sent under with this record."
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", db_index=False
    )
    evidence_import = models.ForeignKey(
        EvidenceImport, on_delete=models.PROTECT, null=True, blank=True, related_name="records", db_index=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    signed_by = models.ForeignKey(
        "evidence.VendorKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="The vendor key whose DSSE signature over the record was verified at ingest.",
    )
    envelope = models.JSONField(null=True, blank=True, help_text="The DSSE envelope as submitted (for bundles).")
    submitted_token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    received_at = models.DateTimeField(default=timezone.now)
    canonical_hash = models.CharField(max_length=64, help_text="SHA-256 of the RFC 8785 canonical record.")
    canonical = models.TextField(blank=True, help_text="The canonical (RFC 8785) JSON: what the log leaf commits to.")
    leaf_index = models.BigIntegerField(null=True, blank=True, help_text="The record's leaf in the transparency log.")

    objects = EvidenceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-observed_to", "-id"]
        indexes = [
            models.Index(fields=["agent", "metric", "observed_to"], name="evidence_agent_metric_time"),
            models.Index(fields=["agent", "-received_at"], name="evidence_agent_received"),
            # the directory's and the profile's freshest public evidence (verdicts/directory.py)
            models.Index(
                fields=["agent", "-observed_to"], name="evidence_agent_public_time", condition=Q(visibility="public")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(value__isnull=False, values__isnull=True, successes__isnull=True, trials__isnull=True)
                    | Q(value__isnull=True, values__isnull=False, successes__isnull=True, trials__isnull=True)
                    | Q(value__isnull=True, values__isnull=True, successes__isnull=False, trials__isnull=False)
                ),
                name="evidence_exactly_one_measurement",
            ),
            models.CheckConstraint(
                condition=Q(successes__isnull=True)
                | (Q(successes__gte=0) & Q(trials__gte=1) & Q(successes__lte=models.F("trials"))),
                name="evidence_counts_valid",
            ),
            models.CheckConstraint(
                condition=Q(observed_to__gte=models.F("observed_from")), name="evidence_period_ordered"
            ),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in Kind]), name="evidence_kind_valid"),
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "restricted"]), name="evidence_visibility_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.metric} for {self.agent_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exists():
            raise EvidenceImmutable("Evidence records are append-only; submit a correcting record instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise EvidenceImmutable("Evidence records are append-only and cannot be deleted.")

    @property
    def measured(self) -> float | None:
        """The record's own summary: the value, the mean of values, or the success rate."""
        if self.value is not None:
            return self.value
        if self.values:
            return sum(self.values) / len(self.values)
        if self.trials:
            return (self.successes or 0) / self.trials
        return None

    @property
    def attachment_name(self) -> str:
        """The attachment's name as sent with this record.

        Records from before names moved to records (migration 0007) fall back to the name the bytes were first
        uploaded under. That name stayed only on the uploading organization's row: every other organization that
        had sent the same bytes got a nameless row of its own, so the fallback never crosses organizations.
        """
        if self.attachment is None:
            return ""
        return self.attachment_filename or self.attachment.filename

    @property
    def age(self) -> Any:
        return timezone.now() - self.observed_to


class AccessGrant(models.Model):
    """A buyer organization may see an agent's restricted evidence until it expires or is revoked."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="access_grants")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="access_grants", limit_choices_to={"kind": "buyer"}
    )
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    expiry_reminded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the vendor's owners were told it expires within 7 days (cleared when it is extended).",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organization", "agent"], name="grant_org_agent")]

    def __str__(self) -> str:
        return f"{self.organization} may see restricted evidence of {self.agent}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AccessRequest(models.Model):
    """A buyer organization asks to see an agent's restricted evidence; the vendor's owners decide (SafeBase's way).

    ``status`` is what was decided (pending, approved, denied, revoked); ``current_status`` adds what time did:
    an approved request whose grant has expired is ``expired``, one whose grant was revoked (on the grant page,
    say) ``revoked``. An approval with an NDA opens no grant until the buyer accepts the NDA by clickwrap (who,
    when, from which address, and the SHA-256 of the text accepted). Every transition writes an
    ``AccessRequestEvent`` (``evidence.access_requests``); nothing else writes ``status``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired"  # never stored: an approved request whose grant ran out
        REVOKED = "revoked", "Revoked"

    class AutoRule(models.TextChoices):
        NONE = "", "None"
        ENGAGED_BUYERS = "engaged_buyers", "Engaged buyers"
        EMAIL_DOMAIN = "email_domain", "E-mail domain"

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="access_requests")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="access_requests", limit_choices_to={"kind": "buyer"}
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The owner who decided; for an automatic approval, the owner who last set the agent's rules.",
    )
    auto_rule = models.CharField(max_length=20, choices=AutoRule.choices, blank=True, default="")
    denial_reason = models.TextField(max_length=2000, blank=True)
    expires_in_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The term of the access, from approval (or from the NDA's acceptance)."
    )
    nda_text = models.TextField(blank=True)
    nda_sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the NDA text (UTF-8).")
    nda_accepted_at = models.DateTimeField(null=True, blank=True)
    nda_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nda_accepted_address = models.CharField(max_length=64, blank=True)
    grant = models.ForeignKey(
        AccessGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="requests", db_index=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="accessrequest_buyer"),
            models.Index(fields=["agent", "status"], name="accessrequest_agent_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "organization"],
                condition=Q(status="pending"),
                name="accessrequest_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "denied", "revoked"]), name="accessrequest_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_in_days__isnull=True) | Q(expires_in_days__gte=1, expires_in_days__lte=365),
                name="accessrequest_term_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} asks to see {self.agent}'s restricted evidence ({self.status})"

    @property
    def current_status(self) -> str:
        """The status with time applied: an approval whose grant ran out is expired, or revoked if it was."""
        if self.status == self.Status.APPROVED and self.grant_id is not None:
            grant = self.grant
            assert grant is not None
            if grant.revoked_at is not None:
                return self.Status.REVOKED
            if grant.expires_at is not None and grant.expires_at <= timezone.now():
                return self.Status.EXPIRED
        return str(self.status)

    @property
    def awaiting_nda(self) -> bool:
        return self.status == self.Status.APPROVED and bool(self.nda_text) and self.nda_accepted_at is None

    @property
    def is_active(self) -> bool:
        return self.current_status == self.Status.APPROVED and self.grant is not None and self.grant.is_active


class AccessRequestEvent(models.Model):
    """One transition of an access request: who (None: the agent's rules), when, from, to, why."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"request {self.request_id}: {self.from_status or '∅'} → {self.to_status}"


class AccessRule(models.Model):
    """The vendor's auto-approval rules for one agent: engaged buyers, and buyers whose users' e-mail domains
    are all on a list. What an automatic approval grants: ``expires_in_days``, and ``nda`` to accept first."""

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="access_rule")
    engaged_buyers = models.BooleanField(default=False)
    email_domains = models.JSONField(default=list, blank=True)
    expires_in_days = models.PositiveSmallIntegerField(default=30)
    nda = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_in_days__gte=1, expires_in_days__lte=365), name="accessrule_term_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"auto-approval rules of {self.agent}"


class AccessLogEntry(models.Model):
    """Someone outside the agent's vendor saw a restricted record: on its page, over the API (record or proof),
    or in a bundle. The vendor's own members are not logged (they see their own evidence)."""

    class Via(models.TextChoices):
        RECORD = "record", "Record (page, API, proof or attachment)"
        BUNDLE = "bundle", "Evidence bundle"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+", db_index=False)
    record = models.ForeignKey(EvidenceRecord, on_delete=models.PROTECT, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.RECORD)
    at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agent", "-at"], name="accesslog_agent_time")]

    def __str__(self) -> str:
        return f"{self.user_id} saw record {self.record_id} at {self.at:%Y-%m-%d %H:%M}"


class TokenAgentScope(models.Model):
    """Restricts an API token to submitting evidence for the listed agents (no rows: no restriction)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="agent_scopes")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "agent"], name="token_agent_scope_unique")]

    def __str__(self) -> str:
        return f"{self.token} → {self.agent}"


class IdempotencyKey(models.Model):
    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"

    scope = models.CharField(max_length=100, help_text="Whose key: the organization (keys are per account).")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} ({self.state})"


class MetricBucket(models.Model):
    """Mergeable summary of one hour's (or day's) evidence of one metric of one agent, per evidence key.

    Kept up to date in the same transaction as ingest, so evaluation reads O(days in the window) buckets
    instead of every record ever (``trustcore.evaluator``).
    """

    class Span(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    span = models.CharField(max_length=4, choices=Span.choices)
    metric = models.CharField(max_length=63)
    start = models.DateTimeField(help_text="Start of the UTC hour the records were observed in (observed_to).")
    kind = models.CharField(max_length=20)
    task = models.CharField(max_length=200, blank=True)
    task_version = models.CharField(max_length=50, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    scorer = models.CharField(max_length=200, blank=True)
    signed = models.BooleanField(default=False)
    counts = models.BooleanField(default=False, help_text="Successes/trials rather than measured values.")
    records = models.PositiveIntegerField(default=0)
    newest = models.DateTimeField()
    oldest = models.DateTimeField()
    state = models.JSONField(help_text="trustcore.evaluator.Aggregate, serialised.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "agent",
                    "metric",
                    "span",
                    "start",
                    "kind",
                    "task",
                    "task_version",
                    "dataset_hash",
                    "scorer",
                    "signed",
                    "counts",
                ],
                name="metricbucket_unique_key",
            )
        ]
        indexes = [models.Index(fields=["agent", "metric", "span", "start"], name="metricbucket_lookup")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.metric} {self.start:%Y-%m-%d %H}h ({self.records} records)"


class VendorKey(models.Model):
    """An Ed25519 public key a vendor signs evidence with (DSSE envelopes); revocable, never deleted.

    Registered with proof of possession (the vendor signs a challenge of the portal's with the private key,
    ``evidence.keyproof``) and unique per organization, so nobody can claim another vendor's key first.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="signing_keys")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16)
    public_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key_id"], name="vendorkey_once_per_organization")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class KeyChallengeUse(models.Model):
    """A signing-key challenge that registered a key: each challenge proves possession once.

    Rows older than the challenges' lifetime are purged as new keys are registered (their challenges have
    expired and are refused anyway).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"challenge {self.nonce[:8]}… used {self.used_at:%Y-%m-%d %H:%M}"
