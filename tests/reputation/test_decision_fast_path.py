"""The decision endpoint's direct answer (reputation.api.decision) against its documented DRF view: the same
status, headers and body for the requests it answers itself, every other request left to the DRF view, and the
throttle counting each request once whichever answers."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.services import api_token_revoke
from evidence.services import ingest_token_create
from reputation.api import decision as decision_api
from reputation.models import Decision
from tests.reputation.test_policies import PRODUCTION

pytestmark = pytest.mark.django_db
VARYING = {"decision_id", "decided_at", "receipt"}  # the fields two answers in a row differ in
SIGNED_VARYING = {"decision_id", "decided_at", "issued_at", "expires_at"}
DRF = {"HTTP_ACCEPT": "application/json, */*"}  # JSON all the same, but not a request the direct path takes


@pytest.fixture
def buyer_api(bearer, buyer):
    return bearer(buyer)


@pytest.fixture
def policy(buyer_api, one_clause, observe):
    observe(95)
    response = buyer_api.post("/api/v1/policies/", PRODUCTION, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def url(policy_id, extra=""):
    return f"/api/v1/agents/refund-bot/decision/?policy={policy_id}{extra}"


@pytest.fixture
def documented_view_used():
    with mock.patch.object(decision_api.AgentDecisionView, "dispatch", autospec=True) as dispatch:
        dispatch.side_effect = lambda view, request, *args, **kwargs: decision_api.APIView.dispatch(
            view, request, *args, **kwargs
        )
        yield dispatch


def same_answer(direct, documented):
    assert (direct.status_code, documented.status_code) == (200, 200)
    length = "Content-Length"  # the times in the body vary in length (trailing zeros of microseconds are left out)
    assert {k: v for k, v in direct.headers.items() if k != length} == {
        k: v for k, v in documented.headers.items() if k != length
    }
    body, other = direct.json(), documented.json()
    assert {k: v for k, v in body.items() if k not in VARYING} == {k: v for k, v in other.items() if k not in VARYING}
    assert body.keys() == other.keys() and body["decision_id"] != other["decision_id"]
    if "receipt" in body:
        signed, other_signed = (
            {k: v for k, v in json.loads(base64.b64decode(b["receipt"]["payload"])).items() if k not in SIGNED_VARYING}
            for b in (body, other)
        )
        assert signed == other_signed
        assert body["receipt"]["payloadType"] == other["receipt"]["payloadType"]


def test_a_plain_bearer_get_is_answered_without_the_drf_view(policy, buyer_api, documented_view_used) -> None:
    response = buyer_api.get(url(policy["id"]))
    assert response.status_code == 200 and response.json()["decision"] == "allow"
    assert not documented_view_used.called
    assert buyer_api.get(url(policy["id"]), **DRF).status_code == 200
    assert documented_view_used.called
    assert Decision.objects.count() == 2


@pytest.mark.parametrize("extra", ["", "&receipt=1", "&receipt=true"])
def test_the_direct_answer_is_the_drf_views_answer(policy, buyer_api, extra) -> None:
    same_answer(buyer_api.get(url(policy["id"], extra)), buyer_api.get(url(policy["id"], extra), **DRF))


def test_the_etag_and_304_are_the_same_on_both_paths(policy, buyer_api) -> None:
    etag = buyer_api.get(url(policy["id"]))["ETag"]
    direct = buyer_api.get(url(policy["id"]), HTTP_IF_NONE_MATCH=etag)
    documented = buyer_api.get(url(policy["id"]), HTTP_IF_NONE_MATCH=etag, **DRF)
    assert direct.status_code == documented.status_code == 304
    assert dict(direct.headers) == dict(documented.headers)
    assert Decision.objects.count() == 3  # a revalidated decision is logged all the same


@pytest.mark.parametrize(
    ("extra", "status", "field"),
    [
        ("&receipt=2", 400, "receipt"),
        ("&policy=1", 400, "policy"),
        ("x", 400, "policy"),
    ],
)
def test_bad_parameters_are_the_drf_views_400(policy, buyer_api, documented_view_used, extra, status, field) -> None:
    response = buyer_api.get(url(policy["id"], extra))
    assert response.status_code == status and response.json()["errors"][0]["field"] == field
    assert documented_view_used.called and Decision.objects.count() == 0


def test_refusals_are_the_drf_views(policy, buyer_api, bearer, buyer2, vendor, documented_view_used) -> None:
    assert bearer(buyer2).get(url(policy["id"])).status_code == 404  # another buyer's policy
    assert bearer(vendor).get(url(policy["id"])).status_code == 404
    missing = buyer_api.get(url(policy["id"] + 1000))
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert buyer_api.get("/api/v1/agents/nobody/decision/?policy=abc").status_code == 404  # the agent first
    buyer_api.delete(f"/api/v1/policies/{policy['id']}/")
    assert buyer_api.get(url(policy["id"])).status_code == 409
    assert Decision.objects.count() == 0


def test_a_revoked_or_expired_token_is_refused_at_once(policy, buyer_api, bearer, buyer) -> None:
    assert buyer_api.get(url(policy["id"])).status_code == 200
    api_token_revoke(token=buyer_api.token.token, user=buyer)
    refused = buyer_api.get(url(policy["id"]))
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="api"'
    other = bearer(buyer)
    type(other.token.token).objects.filter(pk=other.token.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert other.get(url(policy["id"])).status_code == 401
    assert Decision.objects.count() == 1


def test_read_only_and_agent_scoped_tokens_answer_as_before(policy, bearer, buyer, vendor, agent) -> None:
    assert bearer(buyer, read_only=True).get(url(policy["id"])).status_code == 200  # a decision is a read
    from rest_framework.test import APIClient

    scoped = APIClient()
    scoped.credentials(
        HTTP_AUTHORIZATION=f"Bearer {ingest_token_create(user=vendor, name='ci', agents=[agent]).plaintext}"
    )
    assert scoped.get(url(policy["id"])).status_code == 404  # it acts for no organization: no policy to decide on


def test_sessions_and_other_methods_go_to_the_drf_view(policy, client, buyer, documented_view_used) -> None:
    client.force_login(buyer)
    assert client.get(url(policy["id"])).status_code == 200
    assert client.post(url(policy["id"])).status_code == 405
    assert client.head(url(policy["id"])).status_code == 200
    assert documented_view_used.call_count == 3


def test_the_throttle_counts_each_request_once_on_either_path(settings, policy, bearer, buyer) -> None:
    settings.API_THROTTLE_RATES = {"token": "3/minute", "anon": "3/minute"}
    buyer_api = bearer(buyer)
    assert buyer_api.get(url(policy["id"])).status_code == 200  # direct
    assert buyer_api.get(url(policy["id"] + 1000)).status_code == 404  # left to the DRF view, counted there
    assert buyer_api.get(url(policy["id"]), **DRF).status_code == 200
    throttled = buyer_api.get(url(policy["id"]))
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert throttled["Content-Type"] == "application/problem+json"
    assert Decision.objects.count() == 2


def test_an_open_dispute_count_registered_as_sql_is_read_with_the_decision(
    policy, buyer_api, buyer, monkeypatch
) -> None:
    from reputation import policies

    monkeypatch.setattr(policies, "open_disputes", [])
    monkeypatch.setattr(
        policies, "open_disputes_sql", [lambda: "SELECT COUNT(*) + 1 FROM pacts_agent x WHERE x.id = a.id"]
    )
    body = buyer_api.get(url(policy["id"])).json()
    disputes = next(c for c in body["conditions"] if c["condition"] == "max_open_disputes")
    assert disputes["actual"] == 2 and not disputes["passed"] and body["decision"] == "deny"
    assert buyer_api.get(url(policy["id"]), **DRF).json()["conditions"] == body["conditions"]
    [(_, evaluated)] = policies.preview(user=buyer, rules={"max_open_disputes": 0})
    assert evaluated.conditions[0]["actual"] == 2


@pytest.mark.parametrize("extra", ["", "&receipt=1"])
def test_a_direct_answer_costs_one_read_and_one_insert(policy, buyer_api, extra) -> None:
    """The token, the agent, its standing and the policy in one statement; the logged row in another. A field of
    the caller left out of the read (``accounts.services.LEAN_CALLER``) and then touched would be a third."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    buyer_api.get(url(policy["id"], extra))  # the token's last use is written at most once a minute: done here
    with CaptureQueriesContext(connection) as captured:
        assert buyer_api.get(url(policy["id"], extra)).status_code == 200
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    statements = [q["sql"] for q in captured if not q["sql"].lstrip().upper().startswith(control)]
    assert len(statements) == 2, statements
    assert statements[0].lstrip().startswith("SELECT") and "accounts_apitoken" in statements[0]
    assert "INSERT INTO reputation_decision" in statements[1]


@pytest.mark.parametrize(
    ("extra", "field"),
    [("&recipt=1", "recipt"), ("&receipt=1&receipt=0", "receipt"), ("&junk=x", "junk"), ("&policy=1", "policy")],
)
def test_a_misspelled_or_repeated_parameter_is_a_400_naming_it_on_both_paths(policy, buyer_api, extra, field) -> None:
    for headers in ({}, DRF):
        response = buyer_api.get(url(policy["id"], extra), **headers)
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["field"] == field
    assert Decision.objects.count() == 0


def test_an_archived_policy_is_a_409_naming_the_policy(policy, buyer_api) -> None:
    assert buyer_api.delete(f"/api/v1/policies/{policy['id']}/").status_code in (200, 204)
    response = buyer_api.get(url(policy["id"]))
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "policy"


def test_head_answers_the_headers_and_logs_nothing(policy, buyer_api) -> None:
    head = buyer_api.head(url(policy["id"]))
    assert head.status_code == 200 and head["ETag"] and not head.content
    assert Decision.objects.count() == 0
    assert buyer_api.get(url(policy["id"]))["ETag"] == head["ETag"]


def test_if_none_match_compares_weakly_and_a_304_has_no_content_type(policy, buyer_api) -> None:
    etag = buyer_api.get(url(policy["id"]))["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", W/{etag}'):
        for headers in ({}, DRF):
            response = buyer_api.get(url(policy["id"]), HTTP_IF_NONE_MATCH=sent, **headers)
            assert response.status_code == 304, sent
            assert "Content-Type" not in response
