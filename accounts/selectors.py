"""Reads of accounts data, always scoped to the user asking."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiToken, Membership, Notification, User


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def organization_member_list(*, user: User) -> QuerySet[Membership]:
    """Members of the user's own organization (empty for arbiters and staff without one)."""
    membership = user.membership_or_none
    if membership is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(organization_id=membership.organization_id)
        .select_related("user")
        .order_by("-role", "user__username")
    )


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_notification_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
