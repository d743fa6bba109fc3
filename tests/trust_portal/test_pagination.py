"""Bounded list pages (trust_portal.api.pagination): page_size capped lower for anonymous callers than signed-in
ones, and a page cut at a byte budget with a next cursor that carries on where it stopped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from evidence import services as evidence_services
from pacts import services as pact_services
from tests.trust_portal.test_settings import refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(vendor: User) -> list[str]:
    slugs = [f"bot-{n:02d}" for n in range(12)]
    for slug in slugs:
        pact_services.agent_create(user=vendor, name=slug.title(), slug=slug, description="x" * 200)
    return slugs


def slugs_of(response: Any) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


def test_anonymous_page_size_is_capped_lower_than_signed_in(settings, agents, buyer, bearer) -> None:
    settings.API_PAGE_SIZE_MAX_ANON = 5
    settings.API_PAGE_SIZE_MAX = 10
    anonymous = APIClient().get("/api/v1/agents/?page_size=500")
    signed_in = bearer(buyer).get("/api/v1/agents/?page_size=500")
    assert len(slugs_of(anonymous)) == 5
    assert len(slugs_of(signed_in)) == 10
    assert anonymous.json()["next"] and signed_in.json()["next"]


def test_the_default_page_size_never_exceeds_the_anonymous_cap(settings, agents) -> None:
    settings.API_PAGE_SIZE_MAX_ANON = 4
    assert len(slugs_of(APIClient().get("/api/v1/agents/"))) == 4


def test_a_page_stops_at_the_byte_budget_and_next_carries_on(settings, agents) -> None:
    one = len(json.dumps(APIClient().get("/api/v1/agents/?page_size=1").json()["results"][0]))
    settings.API_PAGE_MAX_BYTES = 3 * one + 10  # three agents fit, a fourth does not
    client = APIClient()
    seen: list[str] = []
    url: str | None = "/api/v1/agents/?page_size=50"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [item["slug"] for item in page["results"]]
        url = page["next"]
    assert seen == agents


def test_walking_back_through_budget_cut_pages_loses_nothing(settings, agents) -> None:
    one = len(json.dumps(APIClient().get("/api/v1/agents/?page_size=1").json()["results"][0]))
    settings.API_PAGE_MAX_BYTES = 3 * one + 10
    client = APIClient()
    page = client.get("/api/v1/agents/?page_size=50").json()
    while page["next"]:
        page = client.get(page["next"]).json()
    seen = [item["slug"] for item in page["results"]]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        assert len(page["results"]) <= 3
        seen = [item["slug"] for item in page["results"]] + seen
    assert seen == agents


def test_an_item_larger_than_the_budget_still_makes_a_page_of_one(settings, agents) -> None:
    settings.API_PAGE_MAX_BYTES = 10
    page = APIClient().get("/api/v1/agents/?page_size=50").json()
    assert slugs_of_page(page) == ["bot-00"]
    assert page["next"]


def slugs_of_page(page: dict[str, Any]) -> list[str]:
    return [item["slug"] for item in page["results"]]


def test_an_anonymous_evidence_list_of_large_records_is_bounded_in_items_and_bytes(agent, vendor, wire) -> None:
    items = [wire(payload={"transcript": "y" * 30_000, "n": n}) for n in range(60)]
    evidence_services.evidence_submit(agent=agent, items=items, user=vendor, batch=True)
    response = APIClient().get(f"/api/v1/agents/{agent.slug}/evidence/?page_size=500")
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) < 50  # the byte budget cut the page before the anonymous cap
    assert len(response.content) < 1024 * 1024 + 4096
    assert body["next"]


def test_an_anonymous_cap_above_the_signed_in_cap_stops_start_up() -> None:
    assert "API_PAGE_SIZE_MAX_ANON" in refused({"API_PAGE_SIZE_MAX_ANON": "200", "API_PAGE_SIZE_MAX": "100"})


@pytest.fixture
def tied(published_pact, agent, vendor, wire) -> list[int]:
    """27 records observed at the same moment: every page's items share one cursor position."""
    items = [wire(successes=n % 10, trials=10, observed_to="2026-09-03T00:00:00+00:00") for n in range(27)]
    for item in items:
        item["observed_from"] = "2026-09-02T00:00:00+00:00"
    evidence_services.evidence_submit(agent=agent, user=vendor, items=items)
    return sorted((r.pk for r in agent.evidence.all()), reverse=True)


def walk(client: APIClient, url: str | None, link: str) -> list[list[int]]:
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([item["id"] for item in body["results"]])
        url = body[link]
    return pages


def test_walking_back_from_a_short_last_page_sees_every_record(tied, agent, buyer, bearer) -> None:
    client = bearer(buyer)
    forward = walk(client, f"/api/v1/agents/{agent.slug}/evidence/?page_size=13", "next")
    assert [len(page) for page in forward] == [13, 13, 1]
    assert [i for page in forward for i in page] == tied
    last = client.get(f"/api/v1/agents/{agent.slug}/evidence/?page_size=13").json()
    while last["next"]:
        last = client.get(last["next"]).json()
    back = walk(client, last["previous"], "previous")
    assert [i for page in reversed(back) for i in page] == tied[:-1]  # DRF's own link skipped 12 of them


@pytest.mark.parametrize(
    "cursor",
    ["!!!", "====", "%20", "-_-_", "eD15", "cD05OTk5LTEyLTMxVDIzOjU5OjU5LTA1OjAw", "bz05OTk5OTk5OTk5OTk5OQ=="],
)  # garbage; base64 of x=y; of a date past the calendar (was a 500); of an offset past DRF's cut
def test_a_cursor_not_handed_out_is_a_400_naming_it(tied, agent, buyer, bearer, cursor) -> None:
    response = bearer(buyer).get(f"/api/v1/agents/{agent.slug}/evidence/?cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "cursor"


def test_a_real_cursor_with_anything_added_is_refused_and_repeats_are_refused(tied, agent, buyer, bearer) -> None:
    client = bearer(buyer)
    following = client.get(f"/api/v1/agents/{agent.slug}/evidence/?page_size=5").json()["next"]
    assert client.get(following).status_code == 200
    token = following.split("cursor=")[1].split("&")[0]
    for query in (
        f"cursor={token}!!!",
        f"cursor=!!!{token}",
        f"cursor={token}&cursor={token}",
        "page_size=1&page_size=2",
    ):
        response = client.get(f"/api/v1/agents/{agent.slug}/evidence/?{query}")
        assert response.status_code == 400, (query, response.content)
