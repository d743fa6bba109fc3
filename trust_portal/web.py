"""HTML-side plumbing shared by every app's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

from trust_portal.errors import DomainError, Forbidden, NotFound

PAGE_SIZE = 25


class PrivateResponsesMiddleware:
    """Anything answered to a signed-in user (session or bearer token) may hold what only they may see —
    restricted evidence, drafts, tokens — so no shared cache may keep it: ``Cache-Control: private, no-store``,
    unless the view chose its own caching (e.g. the public verifier download)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets it on the request once a token authenticates
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class DomainErrorMiddleware:
    """Pages: a ``NotFound`` from a selector or ``require()`` is the 404 page, a ``Forbidden`` the 403 page,
    wherever in a view it is raised (the API maps them to problem+json in ``trust_portal.api.exceptions``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, NotFound):
            raise Http404(exception.detail) from None
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.detail) from None


def add_errors_to_form(form: Form, error: DomainError | ValidationError, *, default_field: str | None = None) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest on top."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(default_field, error.messages)
        return
    if error.errors:
        for item in error.errors:
            field = str(item.get("field", "")).split(".")[0].split("[")[0]
            where = item.get("path", "") or ("" if field in form.fields else str(item.get("field", "")))
            line = f" (line {item['line']}, column {item['column']})" if item.get("line") else ""
            message = f"{where}: {item['message']}{line}" if where else item["message"]
            form.add_error(field if field in form.fields else default_field, message)
    else:
        form.add_error(error.field if error.field in form.fields else default_field, error.detail)


def paginate(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))
