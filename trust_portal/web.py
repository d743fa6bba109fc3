"""HTML-side plumbing shared by every app's views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponseBase

from trust_portal.errors import DomainError, Forbidden, NotFound

PAGE_SIZE = 25


def domain_errors_as_http(view: Callable[..., Any]) -> Callable[..., Any]:
    """NotFound → 404 page, Forbidden → 403 page; other domain errors are the view's to show."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.detail) from None
        except Forbidden as error:
            raise PermissionDenied(error.detail) from None

    return wrapper


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
