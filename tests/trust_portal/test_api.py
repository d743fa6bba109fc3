"""The API skeleton (trust_portal.api): problem+json errors, authentication, throttling, strict query
parameters, schema and docs."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from trust_portal.api.exceptions import flatten_errors

pytestmark = pytest.mark.django_db


def test_no_token_is_401_problem_json(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "not_authenticated"
    assert body["title"]


def test_bad_token_is_401(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer tp_not-a-real-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_malformed_authorization_header_is_401(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_throttled_client_gets_429_with_retry_after(settings, vendor, bearer) -> None:
    settings.API_THROTTLE_RATES = {"token": "3/minute", "anon": "3/minute"}
    client = bearer(vendor)
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


def test_throttling_is_per_token(settings, vendor, bearer) -> None:
    settings.API_THROTTLE_RATES = {"token": "2/minute", "anon": "2/minute"}
    first, second = bearer(vendor), bearer(vendor)
    assert [first.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/me/").status_code == 200


def test_validation_errors_name_each_field(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/auth/token/", {"password": ""}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"username", "password"}


def test_malformed_json_is_400_with_position(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/auth/token/", data='{"username": ', content_type="application/json")
    assert response.status_code == 400
    assert "line 1 column" in response.json()["detail"]


def test_flatten_errors_gives_dotted_paths() -> None:
    from rest_framework.exceptions import ErrorDetail

    detail = {"items": [{}, {"metric": [ErrorDetail("required", code="required")]}], "non_field_errors": ["bad"]}
    assert flatten_errors(detail) == [
        {"field": "items.1.metric", "message": "required", "code": "required"},
        {"field": "", "message": "bad", "code": "invalid"},
    ]


def test_schema_is_openapi_3(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_load_their_assets_locally(client) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_htmx_and_plotly_are_served_from_the_project() -> None:
    assert finders.find("plotly/plotly.min.js")
    assert finders.find("django_htmx/htmx-2.min.js") or finders.find("django_htmx/htmx.min.js")
    assert finders.find("css/app.css")


def test_pages_carry_a_content_security_policy(client) -> None:
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_unknown_api_path_is_404(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_openapi_schema_generates_without_warnings(tmp_path) -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 1000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agents/refund-bot/evidence/?observed_after=2024-13-45T00:00:00",
        "/api/v1/agents/refund-bot/verdicts/?history=1&pact=%C2%B2",
        "/api/v1/agents/refund-bot/verdicts/?history=1&pact=9223372036854775808999",
        "/api/v1/log/consistency/?from=%C2%B2&to=1",
    ],
)
def test_malformed_query_parameters_are_400(agent, api_client, path) -> None:
    response = api_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_format_is_a_400_naming_it(api_client: APIClient, vendor, bearer) -> None:
    for client in (api_client, bearer(vendor)):
        response = client.get("/api/v1/agents/?format=xml")
        assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "format" and "json" in response.json()["detail"]
    assert api_client.get("/api/v1/agents/?format=json").status_code == 200
