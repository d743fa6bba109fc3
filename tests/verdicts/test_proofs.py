"""Proofs over the API (verdicts.api.proofs): a record's inclusion proof (pending until a checkpoint covers it),
and an agent's bundle as a download."""

from __future__ import annotations

import base64
import json

import pytest

from evidence import services
from transparency import log as tlog
from transparency.models import LogCheckpoint
from trustcore import merkle, notes

pytestmark = pytest.mark.django_db


def test_a_record_newer_than_the_latest_checkpoint_is_pending(agent, vendor, wire, api_client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(9)], user=vendor)
    pending = api_client.get(f"/api/v1/evidence/{stored[4].id}/proof/")
    assert pending.status_code == 202  # reads never sign: the task queued on commit does
    assert pending.json() == {"status": "pending", "leaf_index": 4, "log_size": 9, "covered_from_size": 5}
    assert pending["Retry-After"] == "5"
    assert LogCheckpoint.objects.count() == 0


def test_the_inclusion_proof_verifies_against_the_signed_checkpoint(agent, vendor, wire, api_client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(9)], user=vendor)
    tlog.checkpoint_sign()
    body = api_client.get(f"/api/v1/evidence/{stored[4].id}/proof/").json()
    root = notes.parse_checkpoint(body["checkpoint"]).root
    proof = [base64.b64decode(p) for p in body["proof"]]
    assert (body["leaf_index"], body["tree_size"]) == (4, 9)
    assert merkle.verify_inclusion(
        merkle.leaf_hash(body["data"].encode()), body["leaf_index"], body["tree_size"], proof, root
    )


def test_restricted_record_proof_is_hidden(agent, vendor, wire, api_client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(visibility="restricted")], user=vendor)
    tlog.checkpoint_sign()
    assert api_client.get(f"/api/v1/evidence/{stored[0].id}/proof/").status_code == 404


def test_bundle_api_serves_the_bundle_as_an_attachment(bundle, api_client) -> None:
    response = api_client.get("/api/v1/agents/refund-bot/bundle/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="refund-bot-evidence-bundle.json"'
    assert json.loads(response.content)["format"] == "trust-portal-bundle/v1"
