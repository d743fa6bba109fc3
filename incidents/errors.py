"""The refusals of incidents (problem+json through the one handler, pages through the form)."""

from __future__ import annotations

from trust_portal.errors import Conflict, DomainError


class IncidentInvalid(DomainError):
    status = 400
    code = "invalid_incident"
    title = "Invalid incident request"

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(
            f"{field}: {message}", field=field, errors=[{"field": field, "message": message, "code": code}]
        )


class TransitionRefused(Conflict):
    code = "invalid_transition"


class BrokenAssumptionRequired(Conflict):
    code = "broken_assumption_required"
    title = "A broken assumption is required to close"


class ReplayInvalid(IncidentInvalid):
    code = "invalid_replay"
    title = "Invalid replay request"
