"""Django's error handlers (trust_portal.web, wired in trust_portal.urls): under DEBUG=0 every error under /api/ is
problem+json, pages get the site's 400/403/404/500 pages (issue 10, finding 8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest
from django.test import Client
from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from trust_portal import urls as root_urls
from trust_portal.urls import handler400, handler403, handler404, handler500  # noqa: F401 - this module is a URLconf


def boom(request: HttpRequest) -> Any:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> Any:
    raise SuspiciousOperation("odd")


def forbidden(request: HttpRequest) -> Any:
    raise PermissionDenied("Only owners may.")


def missing(request: HttpRequest) -> Any:
    raise Http404("No such thing.")


class BoomView(APIView):
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Any:
        raise RuntimeError("a bug in an API view")


urlpatterns = [
    path("api/v1/boom/", BoomView.as_view()),
    *(path(f"api/v1/{name}/", view) for name, view in [("plain-boom", boom), ("suspicious", suspicious)]),
    *(path(f"api/v1/{name}/", view) for name, view in [("forbidden", forbidden), ("missing", missing)]),
    *(path(f"{name}/", view) for name, view in [("boom", boom), ("suspicious", suspicious), ("missing", missing)]),
    *root_urls.urlpatterns,  # the site's pages link to these
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def production(settings: Any) -> Client:
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_the_root_urlconf_names_every_handler() -> None:
    assert root_urls.handler400 == "trust_portal.web.bad_request"
    assert root_urls.handler403 == "trust_portal.web.permission_denied"
    assert root_urls.handler404 == "trust_portal.web.page_not_found"
    assert root_urls.handler500 == "trust_portal.web.server_error"


@pytest.mark.parametrize("url", ["/api/v1/boom/", "/api/v1/plain-boom/"])
def test_an_api_500_is_problem_json(production: Client, url: str) -> None:
    response = production.get(url)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "server_error"
    assert "a bug" not in response.content.decode()  # nothing of the failure leaks


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [("/api/v1/suspicious/", 400, "bad_request"), ("/api/v1/forbidden/", 403, "permission_denied")],
)
def test_other_api_errors_outside_drf_are_problem_json(production: Client, url: str, status: int, code: str) -> None:
    response = production.get(url)
    assert (response.status_code, response["Content-Type"], response.json()["code"]) == (
        status,
        "application/problem+json",
        code,
    )


def test_an_api_404_outside_drf_is_problem_json(production: Client, db: None) -> None:
    response = production.get("/api/v1/missing/")
    assert (response.status_code, response["Content-Type"]) == (404, "application/problem+json")


def test_a_page_500_is_the_plain_500_page(production: Client) -> None:
    response = production.get("/boom/")
    assert response.status_code == 500
    assert b'data-testid="server-error"' in response.content
    assert b"{%" not in response.content and b"{{" not in response.content


def test_a_page_400_is_the_400_page(production: Client) -> None:
    response = production.get("/suspicious/")
    assert response.status_code == 400
    assert b'data-testid="bad-request"' in response.content


def test_a_page_404_is_still_the_site_404_page(production: Client, db: None) -> None:
    response = production.get("/missing/")
    assert response.status_code == 404
    assert b'data-testid="not-found"' in response.content
