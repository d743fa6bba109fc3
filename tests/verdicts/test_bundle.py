"""Evidence bundles (verdicts.bundle): everything behind an agent's verdicts, under the latest checkpoint,
verifiable offline, and only what the reader may see."""

from __future__ import annotations

import base64
import json

import pytest

from evidence import services
from tests.factories import accuracy_record, envelope
from transparency import log as tlog
from trustcore.verify import BundleInvalid, verify_bundle
from verdicts.bundle import LogPending, bundle_build

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/evidence/"


def test_bundle_verifies(bundle, key_pem) -> None:
    summary = verify_bundle(bundle, key_pem)
    assert summary == {
        "checkpoint_size": 4,
        "origin": tlog.signing_key().name,
        "records": 4,
        "unsalted_records": 0,
        "verdicts": 3,
        "not_recomputable": [],
    }
    statuses = {v["clause_id"]: v["status"] for v in bundle["pacts"][0]["verdicts"]}
    assert statuses == {"resolution-rate": "met", "latency-p95": "met", "policy-accuracy": "stale"}


def test_bundle_leaves_out_restricted_records_for_those_who_may_not_see_them(
    published_pact, agent, vendor, buyer, wire
) -> None:
    services.evidence_submit(agent=agent, items=[wire(), wire(visibility="restricted", successes=1)], user=vendor)
    tlog.checkpoint_sign()
    for_vendor = bundle_build(user=vendor, agent=agent)
    for_buyer = bundle_build(user=buyer, agent=agent)
    assert len(for_vendor["records"]) == 2 and for_vendor["scope"].startswith("all records")
    assert len(for_buyer["records"]) == 1 and for_buyer["scope"] == "public records only"
    assert all(json.loads(r["data"])["visibility"] == "public" for r in for_buyer["records"])
    key = tlog.signing_key().public_pem.encode()
    summary = verify_bundle(for_buyer, key)
    assert summary["records"] == 1
    # The restricted record lies in resolution-rate's window: the buyer's bundle cannot recompute that clause.
    assert [c.split(" clause ")[1].split(" ")[0] for c in summary["not_recomputable"]] == ["resolution-rate"]
    assert verify_bundle(for_vendor, key)["not_recomputable"] == []


def test_bundle_before_any_checkpoint_is_pending_and_signs_nothing(published_pact, agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    with pytest.raises(LogPending):
        bundle_build(user=vendor, agent=agent)
    assert tlog.checkpoint_latest() is None


def test_bundle_carries_signatures_and_the_verifier_checks_them(
    signing_pact, agent, vendor, bearer, wire, private_key, registered
) -> None:
    client = bearer(vendor)
    client.post(URL, data=json.dumps(envelope(accuracy_record(), private_key)), content_type="application/json")
    client.post(URL, data=json.dumps(wire()), content_type="application/json")
    tlog.checkpoint_sign()
    bundle = bundle_build(user=vendor, agent=agent)
    key = tlog.signing_key().public_pem.encode()
    assert verify_bundle(bundle, key)["records"] == 2
    signed_at = next(i for i, s in enumerate(bundle["signatures"]) if s)
    assert registered["key_id"] in bundle["vendor_keys"]
    forged = json.loads(json.dumps(bundle))
    forged["signatures"][signed_at]["payload"] = base64.b64encode(b'{"value": 1}').decode()
    with pytest.raises(BundleInvalid, match="vendor signature"):
        verify_bundle(forged, key)
    missing = json.loads(json.dumps(bundle))
    missing["signatures"][signed_at] = None
    with pytest.raises(BundleInvalid, match="no envelope"):
        verify_bundle(missing, key)
