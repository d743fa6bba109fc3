"""Domain errors of the pacts app, each with a stable code clients can branch on."""

from __future__ import annotations

from pacts.documents import DocumentInvalid, DocumentTooLarge
from trust_portal.errors import Conflict, DomainError, PayloadTooLarge


class PactDocumentInvalid(DomainError):
    status = 400
    code = "invalid_document"
    title = "The pact document is not valid"

    @classmethod
    def from_document_error(cls, error: DocumentInvalid, *, field: str = "document") -> PactDocumentInvalid:
        errors = []
        for item in error.errors:
            entry: dict[str, object] = {
                "field": field + item.path[1:],  # "$.obligations[0].id" -> "document.obligations[0].id"
                "path": item.path,
                "message": item.message,
                "code": error.code,
            }
            if item.line is not None:
                entry.update(line=item.line, column=item.column)
            errors.append(entry)
        instance = cls(str(error), errors=errors)  # type: ignore[arg-type]
        instance.code = error.code
        return instance


class PactDocumentTooLarge(PayloadTooLarge):
    code = "document_too_large"

    @classmethod
    def from_document_error(cls, error: DocumentTooLarge) -> PactDocumentTooLarge:
        return cls(str(error), field="document")


class PactVersionNotDraft(Conflict):
    code = "version_not_draft"
    title = "The pact version is published and immutable"


class DraftAlreadyExists(Conflict):
    code = "draft_exists"
    title = "The pact already has a draft"


class NothingToReview(Conflict):
    code = "no_version_in_force"
    title = "The pact has no version in force"


class InvalidAgentCard(DomainError):
    code = "invalid_agent_card"
    title = "The Agent Card is not valid"


class NothingToRetire(Conflict):
    code = "nothing_to_retire"
    title = "Nothing in force to retire"
