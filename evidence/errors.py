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
