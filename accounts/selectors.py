"""Reads of accounts data, always scoped to the user asking."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiToken, Invitation, Membership, Notification, User
from trust_portal.errors import NotFound


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens; for an owner, every token of the organization's users too."""
    return ApiToken.objects.restrict(user, "view").select_related("user").order_by("-created_at", "-id")


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.restrict(user, "view").select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    return token


def organization_member_list(*, user: User) -> QuerySet[Membership]:
    """Members of the user's own organization (empty for arbiters and staff without one)."""
    return Membership.objects.restrict(user, "view").select_related("user").order_by("-role", "user__username")


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications (none for a request made with an agent-scoped token)."""
    return Notification.objects.restrict(user, "view")


def unread_notification_count(*, user: User) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()


def membership_get(*, user: User, membership_id: int) -> Membership:
    membership = (
        Membership.objects.restrict(user, "view")
        .select_related("user", "organization")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such member.")
    return membership


def invitation_list(*, user: User) -> QuerySet[Invitation]:
    """The invitations of the organization the user owns (empty for everyone else)."""
    return Invitation.objects.restrict(user, "view").select_related("created_by", "accepted_by")


def invitation_get(*, user: User, invitation_id: int) -> Invitation:
    invitation = invitation_list(user=user).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation
