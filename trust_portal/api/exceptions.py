"""One exception handler: every API error becomes RFC 9457 ``application/problem+json``.

Field-level details are flattened into ``errors: [{field, message, code}]``
where ``field`` is a dotted path (``items.3.metric``) into the request body.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from trust_portal.errors import DomainError, TooManyAttempts
from trust_portal.sanitise import escaped

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(
    *, status_code: int, title: str, detail: str, code: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:trust-portal:problem:{code}",
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    *,
    status_code: int,
    title: str,
    detail: str,
    code: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = problem_body(status_code=status_code, title=title, detail=detail, code=code, errors=errors)
    body.update(extra)
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Walk DRF's nested error detail and yield one entry per message with its dotted path."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            key_path = path if key in ("non_field_errors", "__all__") else (f"{path}.{key}" if path else str(key))
            out.extend(flatten_errors(value, key_path))
        return out
    if isinstance(detail, list):
        out = []
        nested = any(isinstance(item, (dict, list)) for item in detail)
        for index, item in enumerate(detail):
            if nested:
                if item in ({}, []):
                    continue
                out.extend(flatten_errors(item, f"{path}.{index}" if path else str(index)))
            else:
                out.extend(flatten_errors(item, path))
        return out
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path, "message": str(detail), "code": str(code)}]


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        errors = exc.errors or ([{"field": exc.field, "message": exc.detail, "code": exc.code}] if exc.field else None)
        return problem_response(
            status_code=exc.status, title=exc.title, detail=exc.detail, code=exc.code, errors=errors, headers=headers
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            title="Payload too large",
            detail=str(exc) or "The request body exceeds the size limit.",
            code="payload_too_large",
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in errors[:5])
        if len(errors) > 5:
            detail += f"; and {len(errors) - 5} more"
        code, title = "invalid", "Invalid request"
    else:
        errors = []
        detail = str(exc.detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        # DRF's default_detail is a template for some errors ('Method "{method}" not allowed.'): the title is the
        # status phrase then, and the detail (already filled in) says the rest.
        title = (
            str(exc.default_detail) if "{" not in str(exc.default_detail) else HTTPStatus(response.status_code).phrase
        )
    problem = problem_response(
        status_code=response.status_code, title=title, detail=detail, code=str(code), errors=errors
    )
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem


def problem_json(
    *, status_code: int, title: str, detail: str, code: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    """The same problem outside DRF (middleware, Django's error handlers), where no renderer runs."""
    body = problem_body(status_code=status_code, title=title, detail=detail, code=code, errors=errors)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


@csrf_exempt  # like every API view: an unknown path answers 404 whatever the method and cookies
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Unknown paths under /api/ answer in the API's error format, not an HTML page."""
    return problem_json(
        status_code=404, title="Not found", detail=f"No API endpoint at {escaped(request.path)}.", code="not_found"
    )
