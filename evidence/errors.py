"""Domain errors of evidence capture."""

from __future__ import annotations

from trust_portal.errors import Conflict, DomainError, PayloadTooLarge


class EvidenceInvalid(DomainError):
    status = 400
    code = "invalid_evidence"
    title = "Evidence refused"


class BatchTooLarge(PayloadTooLarge):
    code = "batch_too_large"


class AttachmentTooLargeError(PayloadTooLarge):
    code = "attachment_too_large"


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    title = "A request with this Idempotency-Key is still being processed"


class TokenScopeForbids(DomainError):
    status = 403
    code = "token_scope"
    title = "This token may not submit evidence for this agent"


class ImportInvalid(DomainError):
    status = 400
    code = "invalid_import"
    title = "The file cannot be imported"


class GrantExists(Conflict):
    code = "grant_exists"
    title = "An active grant exists already"


class SigningKeyRefused(DomainError):
    status = 400
    code = "signing_key_refused"
    title = "Signing key refused"


class AccessRequestInvalid(DomainError):
    status = 400
    code = "invalid_access_request"
    title = "Invalid access request"

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(
            f"{field}: {message}", field=field, errors=[{"field": field, "message": message, "code": code}]
        )


class AccessRequestStateConflict(Conflict):
    """The transition does not apply to the request in its current state (the detail names it)."""

    code = "invalid_transition"
    title = "Not possible in the request's current state"


class AccessRequestPending(Conflict):
    code = "access_request_pending"
    title = "A request is pending already"
