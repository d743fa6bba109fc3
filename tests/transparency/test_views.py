"""The log's page (transparency.views): its key, its latest checkpoint and the verifier to download."""

from __future__ import annotations

import pytest

from evidence import services
from transparency import log as tlog
from transparency.verifier import verifier_sha256

pytestmark = pytest.mark.django_db


def test_log_page_shows_the_key_and_the_verifier(agent, vendor, wire, client) -> None:
    services.evidence_submit(agent=agent, items=[wire(), wire()], user=vendor)
    tlog.checkpoint_sign()
    page = client.get("/log/").content.decode()
    assert tlog.signing_key().key_id in page and "trust-verify.pyz" in page
    assert verifier_sha256() in page
