"""Salted leaves (issue 10, finding 1): a restricted record's leaf cannot be reproduced from its fields by
anyone who may not see it, and its existence does not show as a gap inside its batch's public indexes."""

from __future__ import annotations

import base64
import json
import re

import pytest

from evidence import services
from evidence.models import EvidenceRecord
from transparency import log as tlog
from trustcore import merkle
from trustcore.canonical import CANONICAL_VERSION, UNSALTED_VERSION, canonical_bytes
from trustcore.verify import verify_bundle
from verdicts.bundle import bundle_build

pytestmark = pytest.mark.django_db
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture
def batch(published_pact, agent, vendor, wire):
    """One batch, restricted record first: 37 of 412 (the finding's example), then a public one."""
    public = wire(successes=400, trials=412)
    stored = services.evidence_submit(
        agent=agent, items=[{**public, "visibility": "restricted", "successes": 37}, public], user=vendor
    )
    tlog.checkpoint_sign()
    restricted, public = (EvidenceRecord.objects.get(pk=s.id) for s in stored)
    return restricted, public


def _outsider_view(api_client, public: EvidenceRecord) -> tuple[dict, str]:
    """The public record's proof, and the text of everything else an outsider can fetch about the agent."""
    proof = api_client.get(f"/api/v1/evidence/{public.pk}/proof/").json()
    texts = [json.dumps(proof)]
    for url in (
        "/api/v1/agents/refund-bot/evidence/",
        f"/api/v1/evidence/{public.pk}/",
        "/api/v1/agents/refund-bot/verdicts/",
        "/api/v1/agents/refund-bot/bundle/",
        "/api/v1/log/",
        f"/api/v1/log/consistency/?from=1&to={proof['tree_size']}",
        f"/evidence/{public.pk}/proof/",
        "/agents/refund-bot/",
    ):
        response = api_client.get(url)
        assert response.status_code == 200, url
        texts.append(response.content.decode())
    return proof, "\n".join(texts)


def test_every_new_record_commits_to_its_own_salt(batch) -> None:
    salts = {json.loads(record.canonical)["salt"] for record in batch}
    assert len(salts) == 2
    assert all(json.loads(record.canonical)["v"] == CANONICAL_VERSION for record in batch)


def test_a_batchs_public_records_take_its_first_leaves(batch) -> None:
    restricted, public = batch
    assert (public.leaf_index, restricted.leaf_index) == (0, 1)


def test_the_restricted_leaf_cannot_be_brute_forced_from_what_an_outsider_fetches(batch, api_client) -> None:
    restricted, public = batch
    proof, everything = _outsider_view(api_client, public)
    sibling = base64.b64decode(proof["proof"][0])  # leaf 1: the restricted record's leaf hash
    assert sibling == merkle.leaf_hash(restricted.canonical.encode())
    true_salt = json.loads(restricted.canonical)["salt"]
    assert true_salt not in everything

    # The attacker knows every field of the restricted record (the strongest guess: the public record of the
    # same batch with the secret count) and tries every salt-like string an outsider can see, and none.
    known = json.loads(proof["data"])
    guess = {**known, "visibility": "restricted", "successes": 37, "trials": 412}
    candidates = [{k: v for k, v in guess.items() if k != "salt"} | {"v": UNSALTED_VERSION}]
    candidates += [guess | {"salt": salt} for salt in set(HEX64.findall(everything))]
    assert len(candidates) > 3
    assert all(merkle.leaf_hash(canonical_bytes(c)) != sibling for c in candidates)
    # The control: with the salt (which only those who may see the record get), the guess is the leaf.
    assert merkle.leaf_hash(canonical_bytes(guess | {"salt": true_salt})) == sibling


def test_those_who_may_see_the_record_get_its_salt(batch, bearer, vendor) -> None:
    restricted, _ = batch
    proof = bearer(vendor).get(f"/api/v1/evidence/{restricted.pk}/proof/").json()
    assert json.loads(proof["data"])["salt"] == json.loads(restricted.canonical)["salt"]
    bundle = bundle_build(user=vendor, agent=restricted.agent)
    assert restricted.canonical in [r["data"] for r in bundle["records"]]


def test_records_logged_before_salting_stay_valid(published_pact, agent, vendor, wire, monkeypatch) -> None:
    monkeypatch.setattr(services, "new_salts", lambda count: [None] * count)  # ingest as it was before salting
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    monkeypatch.undo()
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    forms = [
        json.loads(c)["v"] for c in EvidenceRecord.objects.order_by("leaf_index").values_list("canonical", flat=True)
    ]
    assert forms == [UNSALTED_VERSION, CANONICAL_VERSION]
    tlog.checkpoint_sign()
    assert tlog.verify_stored_log() == []
    summary = verify_bundle(bundle_build(user=vendor, agent=agent), tlog.signing_key().public_pem.encode())
    assert summary["records"] == 2 and summary["unsalted_records"] == 1


def test_the_verifier_refuses_a_salted_form_without_its_salt(published_pact, agent, vendor, wire, monkeypatch) -> None:
    from trustcore.canonical import canonical_record
    from trustcore.verify import BundleInvalid

    def unsalted_v2(**fields):  # a portal that claims the salted form but logs no salt
        return {**canonical_record(**{**fields, "salt": None}), "v": CANONICAL_VERSION}

    monkeypatch.setattr(services, "canonical_record", unsalted_v2)
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    tlog.checkpoint_sign()
    with pytest.raises(BundleInvalid, match="needs a salt"):
        verify_bundle(bundle_build(user=vendor, agent=agent), tlog.signing_key().public_pem.encode())


def test_leaf_order_puts_public_first_and_keeps_the_response_in_submission_order(
    published_pact, agent, vendor, wire
) -> None:
    order = ["restricted", "public", "restricted", "public", "public"]
    stored = services.evidence_submit(
        agent=agent, items=[wire(visibility=v, successes=i) for i, v in enumerate(order)], user=vendor
    )
    records = [EvidenceRecord.objects.get(pk=s.id) for s in stored]
    assert [r.successes for r in records] == [0, 1, 2, 3, 4]  # ids and hashes answer in the order sent
    assert [r.leaf_index for r in records] == [3, 0, 4, 1, 2]
    assert all(json.loads(r.canonical)["successes"] == r.successes for r in records)
    tlog.checkpoint_sign()
    assert tlog.verify_stored_log() == []
