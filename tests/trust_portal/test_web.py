"""Page and API plumbing shared by every app (trust_portal.web): what a signed-in user is answered is never cached
by anyone else."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_restricted_record_over_the_api_is_private_and_not_stored(agent, vendor, bearer, wire) -> None:
    from evidence import services

    stored = services.evidence_submit(agent=agent, items=[wire(visibility="restricted")], user=vendor)
    response = bearer(vendor).get(f"/api/v1/evidence/{stored[0].id}/")
    assert response.status_code == 200
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}


def test_a_signed_in_page_is_private_and_not_stored(client, vendor, agent) -> None:
    client.force_login(vendor)
    response = client.get("/agents/refund-bot/evidence/")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_anonymous_public_reads_carry_no_such_header(client, agent) -> None:
    assert not client.get("/agents/refund-bot/").has_header("Cache-Control")


def test_a_view_that_chose_its_own_caching_keeps_it(client, vendor) -> None:
    client.force_login(vendor)
    assert client.get("/api/v1/log/verifier.pyz")["Cache-Control"] == "public, max-age=3600"
