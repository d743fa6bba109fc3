"""Who acts on the platform: users, their organizations and roles, and API tokens.

Roles (see ``accounts.roles``):
- a *vendor* or *buyer* user is the member (owner or member) of exactly one
  organization of that kind;
- an *arbiter* is a platform user who belongs to no party organization, so a
  ruling is never made by one of the parties;
- *staff* operate the platform (admin site).

API tokens are bearer secrets shown once: only their SHA-256 digest is kept
(they are 256-bit random, so a fast hash is enough), with a short prefix for
people to recognise them. A token acts as its user, optionally read-only.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import RestrictedQuerySet


class User(AbstractUser):
    is_arbiter = models.BooleanField(
        default=False, help_text="Platform arbiter: rules on disputes; may not belong to a party organization."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def organization(self) -> Organization | None:
        membership = self.membership_or_none
        return membership.organization if membership else None

    @property
    def membership_or_none(self) -> Membership | None:
        try:
            return self.membership  # type: ignore[no-any-return]
        except Membership.DoesNotExist:
            return None


class Organization(models.Model):
    class Kind(models.TextChoices):
        VENDOR = "vendor", "Vendor"
        BUYER = "buyer", "Buyer"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["vendor", "buyer"]), name="organization_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def is_vendor(self) -> bool:
        return self.kind == self.Kind.VENDOR

    @property
    def is_buyer(self) -> bool:
        return self.kind == self.Kind.BUYER


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    # One organization per user keeps "which side is this person on" unambiguous.
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__username"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["owner", "member"]), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} of {self.organization.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.user_id and self.user.is_arbiter:
            raise ValidationError({"user": "An arbiter cannot be a member of a party organization."})


class ApiTokenQuerySet(RestrictedQuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters of the token, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token; the token is never stored.")
    read_only = models.BooleanField(default=False, help_text="May only read (GET, HEAD, OPTIONS).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class Notification(models.Model):
    """An in-app message to one user (new pact versions, downgrades, dispute deadlines, …)."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, help_text="What happened, e.g. pact_version_published.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where to look, a path on this site.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"


class InvitationQuerySet(RestrictedQuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An owner invites someone into the organization: a single-use link that expires (7 days).

    The link's secret is shown once, when the invitation is made; only its SHA-256 is kept, like API
    tokens. Accepting it is a conditional update (``accepted_at IS NULL``), so a link is used once even
    when two people open it at the same moment.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    note = models.CharField(max_length=200, blank=True, help_text="Who it is for, to recognise it in the list.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the link's secret.")
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["owner", "member"]), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"invitation to {self.organization.name} as {self.role}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "pending"
