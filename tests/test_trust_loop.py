"""The trust loop end to end, as its users drive it over the API, with a real Celery worker on PostgreSQL: one
breach in evidence moves score, tier, decision, ledger and webhook in one pass (issue 11, "Done when")."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from pacts.demo_documents import REFUNDS_V1
from tests.conftest import wait_for
from tests.factories import wire_record

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP receiver: (its URL, the requests it got)."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/trust", received
    server.shutdown()
    server.server_close()


def test_one_breach_moves_score_tier_decision_ledger_and_webhook(
    celery_worker, vendor, buyer, bearer, inbox, settings
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    url, received = inbox
    as_vendor, as_buyer = bearer(vendor), bearer(buyer)

    # The vendor registers an agent and publishes a pact with one critical clause that owes a 10 % credit.
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(severity="critical", threshold=0.9, min_samples=1)
    clause["on_breach"] = [{"action": "service_credit", "percent": 10}, {"action": "downgrade"}]
    document["obligations"] = [clause]
    assert (
        as_vendor.post("/api/v1/agents/", {"name": "Refund Bot", "slug": "refund-bot"}, format="json").status_code
        == 201
    )
    pact = as_vendor.post("/api/v1/agents/refund-bot/pacts/", {"title": "Refunds", "document": document}, format="json")
    assert pact.status_code == 201, pact.content
    published = as_vendor.post(f"/api/v1/pacts/{pact.json()['id']}/versions/1/publish/", {}, format="json")
    assert published.status_code == 200, published.content

    # Good evidence: the worker evaluates it; the agent is on probation with a score.
    assert (
        as_vendor.post(
            "/api/v1/agents/refund-bot/evidence/", wire_record(successes=99, trials=100), format="json"
        ).status_code
        == 201
    )
    score = lambda: as_buyer.get("/api/v1/agents/refund-bot/score/").json()  # noqa: E731
    assert wait_for(lambda: score()["tier"] == "probation", timeout=60)
    before = score()

    # The buyer engages the agent, subscribes a webhook and writes a policy that requires the clause met.
    today = timezone.localdate().isoformat()
    engaged = as_buyer.post(
        "/api/v1/engagements/",
        {"agent": "refund-bot", "monthly_fee": "1200.00", "currency": "EUR", "starts_on": today},
        format="json",
    )
    assert engaged.status_code == 201, engaged.content
    hook = as_buyer.post(
        "/api/v1/webhooks/", {"url": url, "events": ["tier.changed", "verdict.breached"]}, format="json"
    )
    assert hook.status_code == 201, hook.content
    secret = hook.json()["secret"]
    policy = as_buyer.post(
        "/api/v1/policies/",
        {"name": "Production", "min_tier": "probation", "required_clauses": ["resolution-rate"]},
        format="json",
    ).json()
    decide = lambda: as_buyer.get(f"/api/v1/agents/refund-bot/decision/?policy={policy['id']}").json()  # noqa: E731
    assert decide()["decision"] == "allow"

    # One breach in evidence.
    bad = wire_record(successes=1, trials=1000)
    assert as_vendor.post("/api/v1/agents/refund-bot/evidence/", bad, format="json").status_code == 201

    # While the worker evaluates, ask again and again: no answer ever sees the breach and still allows.
    seen: list[tuple[str, str, str]] = []

    def settled() -> bool:
        answer = decide()
        clause = next(c for c in answer["conditions"] if c["condition"] == "required_clause:resolution-rate")
        seen.append((clause["actual"], answer["tier"], answer["decision"]))
        return answer["tier"] == "suspended"

    assert wait_for(settled, timeout=60)
    assert all(decision == "deny" and tier == "suspended" for actual, tier, decision in seen if actual == "breached")
    assert all(decision == "allow" for actual, tier, decision in seen if tier == "probation")

    # Score, tier and decision moved in the same run that recorded the breach.
    after = score()
    assert after["score"] < before["score"] and after["lower_bound"] < before["lower_bound"]
    assert after["events"][0]["source"]["type"] == "verdict" and after["events"][0]["delta"] < 0
    verdicts = as_buyer.get("/api/v1/agents/refund-bot/verdicts/").json()["results"]
    assert verdicts[0]["status"] == "breached"
    denied = decide()
    assert denied["decision"] == "deny" and denied["tier"] == "suspended"

    # The ledger owes the engaged buyer a credit once the cure period ends; until then it is pending.
    entries = as_buyer.get("/api/v1/ledger/").json()["results"]
    assert [e["status"] for e in entries] == ["pending_cure"]
    assert entries[0]["amount"] and entries[0]["currency"] == "EUR" and entries[0]["clause"] == "resolution-rate"

    # The webhook told the buyer, signed so that the Standard Webhooks verifier accepts it.
    assert wait_for(
        lambda: {json.loads(r["body"])["type"] for r in received} >= {"tier.changed", "verdict.breached"}, timeout=60
    )
    for request in received:
        Webhook(secret).verify(request["body"], request["headers"])
    tier_changed = next(json.loads(r["body"]) for r in received if json.loads(r["body"])["type"] == "tier.changed")
    assert tier_changed["data"]["new"] == "suspended"
