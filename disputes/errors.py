"""The refusals of the disputes workflow (problem+json through the one handler)."""

from __future__ import annotations

from trust_portal.errors import Conflict, DomainError


class DisputeInvalid(DomainError):
    status = 400
    code = "invalid_dispute"
    title = "Invalid dispute request"

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(
            f"{field}: {message}", field=field, errors=[{"field": field, "message": message, "code": code}]
        )


class NoStanding(DomainError):
    status = 403
    code = "no_standing"
    title = "No standing to dispute this"


class TransitionRefused(Conflict):
    code = "invalid_transition"


class DuplicateDispute(Conflict):
    code = "duplicate_dispute"
