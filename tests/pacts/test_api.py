"""The agents and pacts API (pacts.api), as outside tools use it."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from pacts import services
from pacts.demo_documents import refunds_v2
from pacts.documents import MAX_DOCUMENT_BYTES

pytestmark = pytest.mark.django_db


def test_vendor_registers_an_agent(vendor, bearer) -> None:
    response = bearer(vendor).post(
        "/api/v1/agents/",
        {"name": "Refund Bot", "slug": "refund-bot", "description": "…", "consequence_level": "high"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "refund-bot"
    assert body["vendor"]["name"] == "Acme Agents"
    assert body["pacts"] == []


def test_register_from_an_agent_card(vendor, bearer) -> None:
    card = {"name": "Card Bot", "description": "d", "version": "3", "capabilities": {"streaming": True}, "skills": []}
    response = bearer(vendor).post("/api/v1/agents/", {"agent_card": card}, format="json")
    assert response.status_code == 201
    assert response.json()["agent_card"] == card
    assert response.json()["version"] == "3"


def test_invalid_agent_card_is_400_naming_the_field(vendor, bearer) -> None:
    response = bearer(vendor).post("/api/v1/agents/", {"agent_card": {"name": "x"}}, format="json")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert "agent_card.version" in fields


def test_duplicate_slug_is_400_on_the_field(agent, vendor_b, bearer) -> None:
    response = bearer(vendor_b).post("/api/v1/agents/", {"name": "Twin", "slug": agent.slug}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "slug"


def test_buyer_cannot_register_an_agent(buyer, bearer) -> None:
    response = bearer(buyer).post("/api/v1/agents/", {"name": "Nope"}, format="json")
    assert response.status_code == 403


def test_anonymous_can_read_the_directory_but_not_write(agent, api_client: APIClient) -> None:
    assert api_client.get("/api/v1/agents/").status_code == 200
    assert api_client.get(f"/api/v1/agents/{agent.slug}/").status_code == 200
    assert api_client.post("/api/v1/agents/", {"name": "x"}, format="json").status_code == 401


def test_read_only_token_cannot_create(vendor, bearer) -> None:
    assert bearer(vendor, read_only=True).post("/api/v1/agents/", {"name": "x"}, format="json").status_code == 403


def test_full_pact_lifecycle_over_the_api(agent, vendor, bearer, document) -> None:
    client = bearer(vendor)
    created = client.post(
        f"/api/v1/agents/{agent.slug}/pacts/", {"title": "Refunds", "document": document}, format="json"
    )
    assert created.status_code == 201, created.json()
    pact_id = created.json()["id"]
    assert created.json()["current_version"] is None

    version = client.get(f"/api/v1/pacts/{pact_id}/versions/1/").json()
    assert version["status"] == "draft"
    assert [c["id"] for c in version["clauses"]] == ["resolution-rate", "latency-p95", "policy-accuracy"]
    assert version["clauses"][0]["plain"].startswith(
        "Resolves refund requests without human rescue — success rate of task_success ≥ 92 %"
    )

    document["title"] = "Refunds (edited)"
    patched = client.patch(
        f"/api/v1/pacts/{pact_id}/versions/1/", {"document": document, "changelog": "typo"}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["document"]["title"] == "Refunds (edited)"

    published = client.post(f"/api/v1/pacts/{pact_id}/versions/1/publish/", {}, format="json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"

    again = client.post(f"/api/v1/pacts/{pact_id}/versions/1/publish/", {}, format="json")
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "version_not_draft"

    patch_published = client.patch(f"/api/v1/pacts/{pact_id}/versions/1/", {"changelog": "rewrite"}, format="json")
    assert patch_published.status_code == 409
    assert patch_published.json()["code"] == "version_not_draft"

    v2 = client.post(
        f"/api/v1/pacts/{pact_id}/versions/", {"document": refunds_v2(), "changelog": "tighter"}, format="json"
    )
    assert v2.status_code == 201
    assert v2.json()["number"] == 2
    client.post(f"/api/v1/pacts/{pact_id}/versions/2/publish/", {}, format="json")

    diff = client.get(f"/api/v1/pacts/{pact_id}/diff/?from=1&to=2").json()
    assert diff["direction"] == "tightened"
    changed = {c["clause_id"]: c for c in diff["clauses"]}
    assert changed["resolution-rate"]["direction"] == "tightened"

    detail = client.get(f"/api/v1/agents/{agent.slug}/").json()
    assert detail["pacts"][0]["current_version"]["number"] == 2

    reviewed = client.post(f"/api/v1/pacts/{pact_id}/review/", {"note": "ok"}, format="json")
    assert reviewed.status_code == 200
    assert reviewed.json()["stale"] is False


def test_second_draft_is_a_conflict(draft_pact, vendor, bearer, document) -> None:
    response = bearer(vendor).post(f"/api/v1/pacts/{draft_pact.pk}/versions/", {"document": document}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "draft_exists"


def test_invalid_json_text_is_400_with_line_and_column(agent, vendor, bearer) -> None:
    text = '{"schema": "pact/v1",\n  "title": }'
    response = bearer(vendor).post(f"/api/v1/agents/{agent.slug}/pacts/", {"document": text}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["line"], error["column"]) == (2, 12)
    assert response.json()["code"] == "parse_error"


def test_invalid_yaml_text_is_400_with_line_and_column(agent, vendor, bearer) -> None:
    text = "schema: pact/v1\ntitle: [unclosed\n"
    response = bearer(vendor).post(f"/api/v1/agents/{agent.slug}/pacts/", {"document": text}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] >= 2


def test_unknown_schema_is_400_naming_the_supported_versions(agent, vendor, bearer, document) -> None:
    document["schema"] = "pact/v9"
    response = bearer(vendor).post(f"/api/v1/agents/{agent.slug}/pacts/", {"document": document}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsupported_schema"
    assert body["errors"][0]["field"] == "document.schema"
    assert "pact/v1" in body["errors"][0]["message"]


def test_semantic_error_is_400_with_its_path(agent, vendor, bearer, document) -> None:
    document["obligations"][1]["id"] = document["obligations"][0]["id"]
    response = bearer(vendor).post(f"/api/v1/agents/{agent.slug}/pacts/", {"document": document}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "$.obligations[1].id"


def test_oversized_document_is_413(agent, vendor, bearer, document) -> None:
    document["description"] = "x" * 4000
    document["scope"] = {"covers": ["y" * 500] * 50, "excludes": ["z" * 500] * 50}
    document["obligations"] = [dict(document["obligations"][0], id=f"c{i}", description="d" * 2000) for i in range(100)]
    assert len(json.dumps(document)) > MAX_DOCUMENT_BYTES
    response = bearer(vendor).post(f"/api/v1/agents/{agent.slug}/pacts/", {"document": document}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "document_too_large"


def test_document_of_the_wrong_type_is_400(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"/api/v1/agents/{agent.slug}/pacts/", {"document": 42}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "document"


def test_other_vendor_cannot_see_drafts(draft_pact, vendor_b, bearer) -> None:
    client = bearer(vendor_b)
    assert client.get(f"/api/v1/pacts/{draft_pact.pk}/").status_code == 404
    assert client.get(f"/api/v1/pacts/{draft_pact.pk}/versions/1/").status_code == 404
    assert client.get(f"/api/v1/agents/{draft_pact.agent.slug}/pacts/").json()["results"] == []


def test_other_vendor_cannot_edit_a_published_pact(published_pact, vendor_b, bearer, document) -> None:
    client = bearer(vendor_b)
    assert client.get(f"/api/v1/pacts/{published_pact.pk}/").status_code == 200  # public
    assert (
        client.post(f"/api/v1/pacts/{published_pact.pk}/versions/", {"document": document}, format="json").status_code
        == 403
    )
    assert client.post(f"/api/v1/pacts/{published_pact.pk}/review/", {}, format="json").status_code == 403
    assert (
        client.post(
            f"/api/v1/agents/{published_pact.agent.slug}/pacts/", {"document": document}, format="json"
        ).status_code
        == 403
    )


@pytest.mark.parametrize("who", ["buyer", "anonymous"])
def test_buyers_and_anonymous_read_published_versions_only(
    published_pact, vendor, bearer, api_client, request, who
) -> None:
    services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    client = api_client if who == "anonymous" else bearer(request.getfixturevalue(who))
    numbers = [v["number"] for v in client.get(f"/api/v1/pacts/{published_pact.pk}/versions/").json()["results"]]
    assert numbers == [1]
    assert client.get(f"/api/v1/pacts/{published_pact.pk}/versions/2/").status_code == 404
    assert client.get(f"/api/v1/pacts/{published_pact.pk}/diff/?from=1&to=2").status_code == 404


def test_the_owner_reads_its_draft_versions_too(published_pact, vendor, bearer) -> None:
    services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    owner_numbers = [
        v["number"] for v in bearer(vendor).get(f"/api/v1/pacts/{published_pact.pk}/versions/").json()["results"]
    ]
    assert owner_numbers == [2, 1]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/agents/refund-bot/pacts/", {}),
        ("post", "/api/v1/pacts/{pk}/versions/", {}),
        ("patch", "/api/v1/pacts/{pk}/versions/1/", {"document": 42}),
    ],
    ids=["new-pact", "new-version", "edit-version"],
)
def test_outsiders_are_refused_before_validation_on_writes(
    published_pact, vendor_b, bearer, method: str, path: str, body: dict
) -> None:
    response = getattr(bearer(vendor_b), method)(path.format(pk=published_pact.pk), body, format="json")
    assert response.status_code == 403


def test_buyer_cannot_patch_or_publish(draft_pact, buyer, bearer) -> None:
    client = bearer(buyer)
    assert (
        client.patch(f"/api/v1/pacts/{draft_pact.pk}/versions/1/", {"changelog": "x"}, format="json").status_code == 404
    )
    assert client.post(f"/api/v1/pacts/{draft_pact.pk}/versions/1/publish/", {}, format="json").status_code == 404


def test_diff_needs_both_versions(published_pact, api_client) -> None:
    response = api_client.get(f"/api/v1/pacts/{published_pact.pk}/diff/?from=1")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"to"}
    assert api_client.get(f"/api/v1/pacts/{published_pact.pk}/diff/?from=1&to=7").status_code == 404


def test_schema_is_served(api_client) -> None:
    response = api_client.get("/api/v1/schemas/pact-v1.json")
    assert response.status_code == 200
    schema = json.loads(b"".join(response.streaming_content))
    assert schema["properties"]["schema"]["const"] == "pact/v1"


def test_stale_filter_and_search(published_pact, api_client) -> None:
    published_pact.review_due_at = published_pact.review_due_at.replace(year=2000)
    published_pact.save()
    stale = api_client.get("/api/v1/agents/?stale=true").json()["results"]
    assert [a["slug"] for a in stale] == ["refund-bot"]
    assert stale[0]["stale"] is True and stale[0]["pacts"][0]["stale"] is True
    assert api_client.get("/api/v1/agents/?stale=false").json()["results"] == []
    assert [a["slug"] for a in api_client.get("/api/v1/agents/?q=refund").json()["results"]] == ["refund-bot"]
    assert api_client.get("/api/v1/agents/?vendor=helix-automation").json()["results"] == []


def test_follow_and_notifications_over_the_api(published_pact, vendor, buyer, bearer) -> None:
    client = bearer(buyer)
    followed = client.post(f"/api/v1/agents/{published_pact.agent.slug}/follow/")
    assert followed.status_code == 200
    assert followed.json()["follower_count"] == 1
    draft = services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    services.pact_version_publish(version=draft, user=vendor)
    notes = client.get("/api/v1/notifications/").json()["results"]
    assert len(notes) == 1 and notes[0]["read_at"] is None
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    assert client.delete(f"/api/v1/agents/{published_pact.agent.slug}/follow/").json()["follower_count"] == 0
    assert bearer(vendor).post(f"/api/v1/agents/{published_pact.agent.slug}/follow/").status_code == 403


def _make_agents(vendor, start: int, n: int) -> None:
    from pacts.demo_documents import SCHEDULER

    for i in range(start, start + n):
        agent = services.agent_create(user=vendor, name=f"Agent {i:03d}")
        pact = services.pact_create(agent=agent, user=vendor, title="p", document=SCHEDULER)
        services.pact_version_publish(version=pact.versions.get(), user=vendor)


@pytest.mark.parametrize("path", ["/api/v1/agents/?page_size=100", "/agents/"])
def test_agent_list_query_count_does_not_grow(path, vendor, buyer, client) -> None:
    client.force_login(buyer)
    _make_agents(vendor, 0, 5)
    with CaptureQueriesContext(connection) as five:
        assert client.get(path).status_code == 200
    _make_agents(vendor, 5, 45)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(path)
    assert response.status_code == 200
    assert len(fifty) == len(five), [q["sql"] for q in fifty.captured_queries]


@pytest.mark.parametrize(("value", "status"), [("", 400), ("null", 400), ("maybe", 400), ("true", 200), ("0", 200)])
@pytest.mark.django_db
def test_the_stale_filter_takes_true_false_1_or_0_and_refuses_an_empty_value(api_client, value, status) -> None:
    assert api_client.get(f"/api/v1/agents/?stale={value}").status_code == status
