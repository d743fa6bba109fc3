"""The base of every domain error; the API maps them to problem+json in one place."""

from __future__ import annotations


class DomainError(Exception):
    """An expected refusal by the domain (not a bug).

    Subclasses set ``status`` (the HTTP status it maps to), a stable ``code``
    clients can branch on, and a short ``title``. ``field`` names the input
    field at fault, when there is one.
    """

    status: int = 400
    code: str = "domain_error"
    title: str = "Request refused"

    def __init__(
        self, detail: str | None = None, *, field: str | None = None, errors: list[dict[str, str]] | None = None
    ) -> None:
        self.detail = detail or self.title
        self.field = field
        self.errors = errors  # field-level details: [{"field", "message", "code", ...}]
        super().__init__(self.detail)


class Forbidden(DomainError):
    status = 403
    code = "permission_denied"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict with the current state"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class InvalidQuery(DomainError):
    status = 400
    code = "invalid_query"
    title = "Invalid query parameter"
