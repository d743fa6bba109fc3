"""Domain errors of accounts: organizations, members, invitations."""

from __future__ import annotations

from trust_portal.errors import Conflict, DomainError


class LastOwner(Conflict):
    code = "last_owner"
    title = "An organization keeps at least one owner"


class InvitationUnusable(DomainError):
    status = 410
    code = "invitation_unusable"
    title = "This invitation can no longer be used"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "Already in an organization"
