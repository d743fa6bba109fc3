"""Agents and their pacts: versioned, content-addressed behavioral contracts.

State machine of a ``PactVersion`` (transitions live in ``pacts.services``,
each a conditional UPDATE that writes a ``PactEvent``):

    draft ──publish──▶ published ──(a newer version publishes)──▶ superseded
                          │
                          └──retire──▶ retired

* Only a draft's content may change. From ``published`` on, the document, its
  hash, number, dates and clauses are frozen: ``save()`` refuses, the
  queryset's ``update()`` refuses, and a database trigger refuses (see
  migration 0002) — so neither the API, the admin nor a shell can rewrite a
  published promise.
* The version *in force* at a moment is the highest-numbered published or
  superseded version whose ``effective_from`` has come
  (``PactVersion.objects.in_force(at)``, the one definition: ingest, review
  staleness, evaluation, bundles and pages all ask it). A version published to
  take effect later is *scheduled* until then, and the one before it stays in
  force although its status already says superseded.
* Review cadence: a version in force is due for review ``review_every_days``
  after it took effect (its ``review_by``), or after the pact's last re-review
  if that came later (``Pact.review_due_at``). Past it, the pact is *stale*
  (``Pact.objects.with_review_due(at)``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from accounts.models import Organization
from accounts.permissions import RestrictedQuerySet


class ConsequenceLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Agent(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="agents", limit_choices_to={"kind": "vendor"}
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, max_length=5000)
    consequence_level = models.CharField(
        max_length=10, choices=ConsequenceLevel.choices, default=ConsequenceLevel.MEDIUM
    )
    capabilities = models.JSONField(default=list, blank=True, help_text="Skill or capability names.")
    version = models.CharField(max_length=50, blank=True, help_text="The agent's own version (from its Agent Card).")
    agent_card = models.JSONField(null=True, blank=True, help_text="The A2A Agent Card it was imported from, as given.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consequence_level__in=["low", "medium", "high", "critical"]),
                name="agent_consequence_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _review_due(at: Any) -> Case:
    """When each pact's version in force at ``at`` is due for review (NULL: nothing in force).

    The version's own ``review_by`` (``review_every_days`` after it took effect), unless the pact was re-reviewed
    (or published with immediate effect) since the version took effect; then the date that set
    (``Pact.review_due_at``). So a version scheduled for later starts its clock the day it takes effect, and until
    then the version in force keeps its own.
    """
    in_force = PactVersion.objects.in_force(at).filter(pact=OuterRef("pk")).order_by()  # one row at most
    return Case(
        When(last_reviewed_at__gte=Subquery(in_force.values("effective_from")[:1]), then=F("review_due_at")),
        default=Subquery(in_force.values("review_by")[:1]),
    )


class PactQuerySet(RestrictedQuerySet["Pact"]):
    def with_review_due(self, at: Any = None) -> PactQuerySet:
        """Annotate what ``Pact.review_due`` answers, for the version in force at ``at``, in the same query."""
        return self.annotate(review_due_in_force=_review_due(at))

    def stale(self, at: Any = None) -> PactQuerySet:
        """Pacts whose version in force was due for review by ``at``."""
        at = at or timezone.now()
        return self.filter(LessThanOrEqual(_review_due(at), at))


class Pact(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="pacts")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    review_due_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The review clock the last re-review (or immediate publication) set; see review_due.",
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = PactQuerySet.as_manager()

    class Meta:
        ordering = ["agent", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.agent})"

    @property
    def review_due(self) -> Any:
        """When the version in force is due for review (``Pact.objects.with_review_due`` annotates it; asked here
        otherwise)."""
        if "review_due_in_force" not in self.__dict__:
            due = Pact.objects.filter(pk=self.pk).annotate(due=_review_due(None)).values_list("due", flat=True)
            self.__dict__["review_due_in_force"] = due.first()
        return self.__dict__["review_due_in_force"]

    @property
    def is_stale(self) -> bool:
        return self.review_due is not None and self.review_due <= timezone.now()


class PactVersionQuerySet(RestrictedQuerySet["PactVersion"]):
    def public(self) -> PactVersionQuerySet:
        return self.exclude(status=PactVersion.Status.DRAFT)

    def in_force(self, at: Any = None) -> PactVersionQuerySet:
        """The version of each pact in force at ``at`` (now by default): at most one per pact.

        The one definition of "the version in force": of a pact's published or superseded versions whose
        ``effective_from`` has come, the highest-numbered. (``superseded_at`` only says when a version stops
        being in force; a version scheduled for later leaves the one before it in force until then.)
        """
        at = at or timezone.now()
        took_effect = Q(
            status__in=[PactVersion.Status.PUBLISHED, PactVersion.Status.SUPERSEDED], effective_from__lte=at
        )
        newer = PactVersion.objects.filter(took_effect, pact=OuterRef("pact"), number__gt=OuterRef("number"))
        return self.filter(took_effect).exclude(Exists(newer))

    def scheduled(self, at: Any = None) -> PactVersionQuerySet:
        """Versions published to take effect after ``at``."""
        at = at or timezone.now()
        return self.filter(
            status__in=[PactVersion.Status.PUBLISHED, PactVersion.Status.SUPERSEDED], effective_from__gt=at
        )

    def update(self, **kwargs: Any) -> int:
        frozen = set(kwargs) & PactVersion.FROZEN_FIELDS
        if frozen and self.exclude(status=PactVersion.Status.DRAFT).exists():
            raise PactVersionImmutable(f"Cannot update {', '.join(sorted(frozen))} of a published pact version.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.exclude(status=PactVersion.Status.DRAFT).exists():
            raise PactVersionImmutable("A published pact version cannot be deleted.")
        return super().delete()


class PactVersionImmutable(Exception):
    """Raised at the model layer when something tries to change a published version."""


class PactVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"
        RETIRED = "retired", "Retired"

    # Everything but the lifecycle status is frozen once a version leaves draft.
    FROZEN_FIELDS = frozenset(
        {
            "pact",
            "pact_id",
            "number",
            "document",
            "content_hash",
            "changelog",
            "created_by",
            "created_by_id",
            "published_at",
            "published_by",
            "published_by_id",
            "effective_from",
            "review_by",
        }
    )

    pact = models.ForeignKey(Pact, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    document = models.JSONField()
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the RFC 8785 canonical JSON document.")
    changelog = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_from = models.DateTimeField(null=True, blank=True)
    review_by = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = PactVersionQuerySet.as_manager()

    class Meta:
        ordering = ["pact", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pact", "number"], name="pactversion_unique_number"),
            models.UniqueConstraint(
                fields=["pact"], condition=Q(status="draft"), name="pactversion_one_draft_per_pact"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "superseded", "retired"]), name="pactversion_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False, effective_from__isnull=False),
                name="pactversion_published_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pact} v{self.number} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("status", *self._frozen_columns()).first()
            if stored and stored["status"] != self.Status.DRAFT:
                changed = [name for name in self._frozen_columns() if stored[name] != getattr(self, name)]
                if changed or self.status == self.Status.DRAFT:
                    raise PactVersionImmutable(
                        f"Pact version {self.pk} is {stored['status']}; its content cannot change ({', '.join(changed) or 'status'})."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if not self.is_draft:
            raise PactVersionImmutable("A published pact version cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def standing(self, *, in_force_number: int | None, at: Any = None) -> str:
        """What the version is at ``at`` to someone reading the pact: draft, scheduled, in force, superseded or
        retired (``in_force_number`` is the pact's version in force then, from ``PactVersion.objects.in_force``)."""
        if self.status in (self.Status.DRAFT, self.Status.RETIRED):
            return str(self.status)
        if self.number == in_force_number:
            return "in force"
        if self.effective_from is not None and self.effective_from > (at or timezone.now()):
            return "scheduled"
        return "superseded"

    @classmethod
    def _frozen_columns(cls) -> list[str]:
        return [
            f.attname
            for f in cls._meta.concrete_fields
            if f.name in cls.FROZEN_FIELDS or f.attname in cls.FROZEN_FIELDS
        ]


class PactClause(models.Model):
    """One obligation of a version, flattened from its document for querying (same lifecycle as the version)."""

    version = models.ForeignKey(PactVersion, on_delete=models.CASCADE, related_name="clauses")
    clause_id = models.CharField(max_length=63, help_text="Stable across versions.")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    metric = models.CharField(max_length=63, db_index=True)
    metric_kind = models.CharField(max_length=10)
    unit = models.CharField(max_length=20, blank=True)
    aggregation = models.CharField(max_length=8)
    comparator = models.CharField(max_length=2)
    threshold = models.FloatField()
    window_days = models.PositiveIntegerField()
    min_samples = models.PositiveIntegerField()
    max_evidence_age_days = models.PositiveIntegerField()
    severity = models.CharField(max_length=10)
    evidence_kinds = models.JSONField(default=list)
    requires_signed_evidence = models.BooleanField(default=False)
    on_breach = models.JSONField(default=list)
    on_stale = models.JSONField(default=list)
    prereg_task = models.CharField(max_length=200, blank=True)
    prereg_task_version = models.CharField(max_length=50, blank=True)
    prereg_dataset_hash = models.CharField(max_length=64, blank=True)
    prereg_scorer = models.CharField(max_length=200, blank=True)
    prereg_decision_rule = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "clause_id"], name="pactclause_unique_id_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.clause_id} ({self.version})"

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in self._meta.concrete_fields if f.name not in ("id", "version")}


class PactEvent(models.Model):
    """The audit trail of a pact: every transition, who did it and why."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        DRAFT_UPDATED = "draft_updated", "Draft updated"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"
        RETIRED = "retired", "Retired"
        REVIEWED = "reviewed", "Re-reviewed"

    pact = models.ForeignKey(Pact, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(PactVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    PUBLIC_ACTIONS = frozenset({"published", "superseded", "retired", "reviewed"})

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.pact}"


class Follow(models.Model):
    """A buyer follows an agent: told when a new pact version is published."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agent"], name="follow_unique")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.agent}"
