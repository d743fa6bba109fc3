"""HTML-side plumbing shared by every app's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader
from django.utils.cache import patch_cache_control
from django.views import defaults

from trust_portal.api.exceptions import problem_json
from trust_portal.errors import DomainError, Forbidden, NotFound
from trust_portal.sanitise import InputRefused, check_text, date_time_problem, text_problem

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


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_ID = 2**63 - 1  # the largest primary key (a 64-bit integer): a larger one in a lookup is a database error


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class InputSanitiserMiddleware:
    """Control characters are refused (400 naming where) in the path, every query parameter, every header (the
    cookies, so the session key, included) and, on pages, every form field and uploaded file name — before any
    other code reads them. It runs before the session middleware, so its answer touches no session. API bodies are
    checked by the API's parsers (``trust_portal.api.parsers``), after the view has checked who may send them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            self.check(request)
        except InputRefused as refused:
            return input_refused_response(request, refused)
        return self.get_response(request)

    @staticmethod
    def check(request: HttpRequest) -> None:
        check_text(request.path_info, "path")
        if any(len(part) > 18 and part.isdigit() and int(part) > MAX_ID for part in request.path_info.split("/")):
            raise NoSuchId(f"Not found: no id is beyond {MAX_ID}.", field="path", code="not_found")
        for name, values in request.GET.lists():
            check_text(name, "query parameter name")
            for value in values:
                check_text(value, name)
        for key, value in request.META.items():
            if (
                (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"))
                and isinstance(value, str)
                and text_problem(value)  # the header's name spelled out only for a refusal
            ):
                header = key.removeprefix("HTTP_").replace("_", "-").title()
                check_text(value, f"header {header}")
        for name, value in request.COOKIES.items():  # unquoted: an octal escape in the header is a NUL here
            check_text(name, "cookie name")
            check_text(value, f"cookie {name}")
        if is_api(request) or request.content_type not in FORM_TYPES:
            return
        for name, values in request.POST.lists():
            check_text(name, "form field name")
            for value in values:
                check_text(value, name)
        for name, files in request.FILES.lists():
            for upload in files:
                check_text(upload.name or "", f"{name} (file name)")


class NoSuchId(InputRefused):
    """A path id beyond any the database holds: the object does not exist, so 404 (before a lookup overflows)."""

    status = 404
    title = "Not found"


def input_refused_response(request: HttpRequest, refused: InputRefused) -> HttpResponse:
    if is_api(request):
        return problem_json(
            status_code=refused.status,
            title=refused.title,
            detail=refused.detail,
            code=refused.code,
            errors=refused.errors,
        )
    return bad_request_page(refused.detail, status=refused.status, title=refused.title)


def bad_request_page(detail: str, status: int = 400, title: str = "Bad request") -> HttpResponse:
    """The 400 page, rendered without the request: nothing on it may read the session (or fail)."""
    page = loader.get_template("400.html").render({"detail": detail, "title": title})
    return HttpResponse(page, status=status)


# --- Django's error handlers (trust_portal.urls): problem+json under /api/, pages elsewhere ------------------------


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return problem_json(
            status_code=400, title="Bad request", detail="The request is malformed.", code="bad_request"
        )
    return bad_request_page("The request is malformed.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return problem_json(
            status_code=403, title="Not allowed", detail=str(exception) or "Not allowed.", code="permission_denied"
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return problem_json(status_code=404, title="Not found", detail="Not found.", code="not_found")
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the API's answer is problem+json like every other refusal."""
    if is_api(request):
        return problem_json(
            status_code=403, title="CSRF check failed", detail=reason or "CSRF check failed.", code="csrf_failed"
        )
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500 (DEBUG=0) says as little as possible and needs nothing that could fail again: no template tags, no
    session, no database."""
    if is_api(request):
        return problem_json(
            status_code=500,
            title="Internal server error",
            detail="The server failed to answer this request; the failure is logged.",
            code="server_error",
        )
    return defaults.server_error(request)


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


class StrictDateTimeField(forms.DateTimeField):
    """A date-time whose offset keeps it in range: ``0001-01-01T00:00:00+23:59`` is a form error, not a 500."""

    def to_python(self, value: Any) -> Any:
        moment = super().to_python(value)
        problem = date_time_problem(moment) if moment is not None else None
        if problem:
            raise ValidationError(problem, code="invalid")
        return moment


def _beyond_any_id(value: Any) -> bool:
    try:
        return abs(int(str(value))) > MAX_ID
    except ValueError:
        return False  # not a number at all: the field refuses it in its own words


class IdChoiceField(forms.ModelChoiceField):
    """A model choice whose posted id is refused, not looked up, when no 64-bit id could be it."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and _beyond_any_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if _beyond_any_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)  # type: ignore[misc]  # not in django-stubs


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
