"""Agent-scoped (ingest) tokens read only what their agents need (issue 10, finding 9): the public portal, their
agents' pacts in force, and their own submissions — none of the organization's drafts, restricted evidence,
grants, tokens, signing keys, members, invitations or notifications. Decided by the rules (accounts.rules), with
the token's scope carried on the authenticated user."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from accounts import services as account_services
from accounts.api.authentication import BearerTokenAuthentication
from accounts.models import User
from accounts.rules import TokenScope, token_scope_of
from evidence import selectors as evidence_selectors
from evidence import services as evidence_services
from evidence.models import EvidenceImport, VendorKey
from pacts import services as pact_services
from pacts.models import Agent, Pact
from tests.factories import wire_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(agent: Agent, vendor: User) -> Any:
    return evidence_services.ingest_token_create(user=vendor, name="refund-bot CI", agents=[agent])


@pytest.fixture
def ci(issued: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    return client


def as_token(plaintext: str) -> User:
    """The user as the API sees it when this token authenticates."""
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {plaintext}"))
    result = BearerTokenAuthentication().authenticate(request)
    assert result is not None
    return result[0]  # type: ignore[no-any-return]


def submit(client: APIClient, agent: Agent, **overrides: Any) -> int:
    response = client.post(
        f"/api/v1/agents/{agent.slug}/evidence/",
        data=json.dumps(wire_record(**overrides)),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def ids(response: Any, field: str = "id") -> set[Any]:
    return {item[field] for item in response.json()["results"]}


def test_the_authenticated_user_carries_the_tokens_agent_scope(issued: Any, agent: Agent, vendor: User) -> None:
    user = as_token(issued.plaintext)
    assert token_scope_of(user) == TokenScope(token_id=issued.token.pk, agent_ids=frozenset({agent.pk}))
    full = account_services.api_token_create(user=vendor, name="laptop")
    assert token_scope_of(as_token(full.plaintext)) is None


def test_an_agent_scoped_token_reads_its_agents_pacts_in_force_but_not_drafts(
    ci: APIClient, agent: Agent, vendor: User, published_pact: Pact, document: dict[str, Any]
) -> None:
    draft_only = pact_services.pact_create(agent=agent, user=vendor, title="Unpublished", document=document)
    pact_services.pact_version_create_draft(pact=published_pact, user=vendor, document=document, changelog="next")
    assert ids(ci.get(f"/api/v1/agents/{agent.slug}/pacts/")) == {published_pact.pk}
    assert ci.get(f"/api/v1/pacts/{published_pact.pk}/versions/1/").status_code == 200
    assert {v["number"] for v in ci.get(f"/api/v1/pacts/{published_pact.pk}/versions/").json()["results"]} == {1}
    assert ci.get(f"/api/v1/pacts/{published_pact.pk}/versions/2/").status_code == 404
    assert ci.get(f"/api/v1/pacts/{draft_only.pk}/").status_code == 404


def test_an_agent_scoped_token_no_longer_reads_restricted_evidence_it_did_not_submit(
    ci: APIClient, agent: Agent, vendor: User, bearer: Any
) -> None:
    colleague_record = submit(bearer(vendor), agent, visibility="restricted")
    assert ci.get(f"/api/v1/evidence/{colleague_record}/").status_code == 404
    assert ci.get(f"/api/v1/evidence/{colleague_record}/proof/").status_code == 404
    assert colleague_record not in ids(ci.get(f"/api/v1/agents/{agent.slug}/evidence/"))


def test_an_agent_scoped_token_reads_its_own_submissions_restricted_ones_included(ci: APIClient, agent: Agent) -> None:
    own = submit(ci, agent, visibility="restricted")
    response = ci.get(f"/api/v1/evidence/{own}/")
    assert response.status_code == 200
    assert response.json()["visibility"] == "restricted"
    assert APIClient().get(f"/api/v1/evidence/{own}/").status_code == 404  # still restricted for everyone else


def test_an_agent_scoped_token_sees_only_the_imports_it_made(
    issued: Any, agent: Agent, vendor: User, bearer: Any
) -> None:
    def upload(client: APIClient, metric: str) -> None:
        line = json.dumps(wire_record(metric=metric)).encode() + b"\n"
        response = client.post(
            f"/api/v1/agents/{agent.slug}/evidence/import/?format=jsonl",
            {"file": SimpleUploadedFile(f"{metric}.jsonl", line, "application/x-ndjson")},
            format="multipart",
        )
        assert response.status_code == 201, response.content

    ci = APIClient()
    ci.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    upload(ci, "task_success")
    upload(bearer(vendor), "escalation_rate")
    theirs = EvidenceImport.objects.get(filename="escalation_rate.jsonl")
    mine = EvidenceImport.objects.get(filename="task_success.jsonl")
    visible = set(evidence_selectors.import_list(user=as_token(issued.plaintext), agent=agent))
    assert visible == {mine}
    assert theirs in set(evidence_selectors.import_list(user=vendor, agent=agent))


def test_an_agent_scoped_token_no_longer_reads_grants(ci: APIClient, agent: Agent, vendor: User, buyer: User) -> None:
    evidence_services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)  # type: ignore[arg-type]
    response = ci.get(f"/api/v1/agents/{agent.slug}/grants/")
    assert response.status_code == 200
    assert response.json() == []


def test_an_agent_scoped_token_no_longer_reads_the_token_list(ci: APIClient, issued: Any, vendor: User) -> None:
    account_services.api_token_create(user=vendor, name="laptop")
    response = ci.get("/api/v1/auth/tokens/")
    assert response.status_code == 200
    assert response.json()["results"] == []  # not even itself: /me/ says which token is in use


def test_an_agent_scoped_token_no_longer_reads_signing_keys(ci: APIClient, vendor: User) -> None:
    # Made directly: how a key is registered is not what is under test.
    VendorKey.objects.create(organization=vendor.organization, key_id="k1", name="release", public_pem="-")
    response = ci.get("/api/v1/signing-keys/")
    assert response.status_code == 200
    assert response.json() == []


def test_an_agent_scoped_token_no_longer_reads_members_or_invitations(ci: APIClient, vendor: User) -> None:
    account_services.invitation_create(user=vendor, organization=vendor.organization, role="member", note="Dana")  # type: ignore[arg-type]
    assert ci.get("/api/v1/organization/members/").json() == []
    assert ci.get("/api/v1/organization/invitations/").json() == []


def test_an_agent_scoped_token_no_longer_reads_its_users_notifications(ci: APIClient, vendor: User) -> None:
    account_services.notifications_create(recipients=[vendor], kind="test", title="A draft of Refunds was edited")
    assert ci.get("/api/v1/notifications/").json()["results"] == []


def test_an_agent_scoped_token_of_a_staff_user_carries_no_staff_powers(
    agent: Agent, vendor: User, vendor_b: User, bearer: Any
) -> None:
    foreign = pact_services.agent_create(user=vendor_b, name="Foreign Bot", slug="foreign-bot")
    hidden = submit(bearer(vendor_b), foreign, visibility="restricted")
    User.objects.filter(pk=vendor.pk).update(is_staff=True)
    issued = evidence_services.ingest_token_create(user=vendor, name="ci", agents=[agent])
    ci = APIClient()
    ci.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert ci.get(f"/api/v1/evidence/{hidden}/").status_code == 404
    assert ci.get("/api/v1/auth/tokens/").json()["results"] == []


def test_an_agent_scoped_token_still_submits_for_its_agent_and_only_its_agent(
    ci: APIClient, agent: Agent, vendor: User
) -> None:
    submit(ci, agent)
    other = pact_services.agent_create(user=vendor, name="Other Bot", slug="other-bot")
    response = ci.post(
        f"/api/v1/agents/{other.slug}/evidence/", data=json.dumps(wire_record()), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope"


def test_me_and_the_token_list_name_an_ingest_tokens_agents(
    ci: APIClient, issued: Any, vendor: User, bearer: Any
) -> None:
    assert ci.get("/api/v1/me/").json()["token"]["agents"] == ["refund-bot"]
    listed = {t["name"]: t["agents"] for t in bearer(vendor).get("/api/v1/auth/tokens/").json()["results"]}
    assert listed["refund-bot CI"] == ["refund-bot"]
    assert listed["test"] == []


def test_the_tokens_page_says_what_an_agent_scoped_token_can_do(issued: Any, vendor: User) -> None:
    page = Client()
    page.force_login(vendor)
    html = page.get("/accounts/tokens/").content.decode()
    row = html[html.index(f'id="token-{issued.token.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "read &amp; write" not in row
    assert "evidence for Refund Bot" in row
    assert "reads only what anyone may, plus what it submitted" in row
