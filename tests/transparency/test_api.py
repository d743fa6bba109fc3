"""The log over the API (transparency.api.views): its head, key, checkpoints and consistency proofs, all public
and read-only."""

from __future__ import annotations

import base64

import pytest

from evidence import services
from transparency import log as tlog
from trustcore import merkle, notes

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_checkpoints(agent, vendor, wire):
    """Checkpoints at sizes 9 and 13."""
    services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(9)], user=vendor)
    first = tlog.checkpoint_sign()
    services.evidence_submit(agent=agent, items=[wire()] * 4, user=vendor)
    return first, tlog.checkpoint_sign()


def test_a_consistency_proof_links_two_checkpoints(two_checkpoints, api_client) -> None:
    first, later = two_checkpoints
    consistency = api_client.get(f"/api/v1/log/consistency/?from={first.size}&to={later.size}").json()
    assert merkle.verify_consistency(
        first.size,
        later.size,
        notes.parse_checkpoint(first.note).root,
        bytes(later.root_hash),
        [base64.b64decode(p) for p in consistency["proof"]],
    )


def test_a_checkpoint_is_served_by_its_size(two_checkpoints, api_client) -> None:
    _, later = two_checkpoints
    body = api_client.get(f"/api/v1/log/checkpoints/{later.size}/").json()
    assert body["size"] == later.size
    assert body["checkpoint"] == later.note


def test_an_unknown_checkpoint_is_404(two_checkpoints, api_client) -> None:
    assert api_client.get("/api/v1/log/checkpoints/999/").status_code == 404


@pytest.mark.parametrize("query", ["from=5&to=99999", "from=x&to=3"], ids=["beyond-the-log", "not-a-number"])
def test_a_bad_consistency_range_is_400(two_checkpoints, api_client, query: str) -> None:
    response = api_client.get(f"/api/v1/log/consistency/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_the_key_is_served_as_pem(api_client) -> None:
    assert api_client.get("/api/v1/log/key.pem").content.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_the_head_gives_the_size_and_the_latest_checkpoint(two_checkpoints, api_client) -> None:
    _, later = two_checkpoints
    head = api_client.get("/api/v1/log/").json()
    assert head["size"] == 13
    assert head["latest"]["size"] == later.size
    assert head["key_id"] == tlog.signing_key().key_id
