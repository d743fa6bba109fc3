"""The agent page's disputes panel (``disputes.panels.agent_disputes``): the open disputes about the agent the reader
may see, the public count everyone sees, the agent's rulings as precedent (redacted where due), the filing link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from disputes import workflow
from disputes.models import Dispute
from disputes.rulings import dispute_rule

pytestmark = pytest.mark.django_db

PROFILE = "/agents/refund-bot/"
RATIONALE = (
    "The buyer's request logs show failures the telemetry never counted, and the vendor did not contest "
    "them in its response. The clause was breached in that window."
)


def _panel(user=None) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    page = client.get(PROFILE).content.decode()
    assert 'data-testid="agent-disputes"' in page
    return page.split('data-testid="agent-disputes"')[1].split("</section>")[0]


@pytest.fixture
def ruled(file, vendor, arbiter) -> Dispute:  # type: ignore[no-untyped-def]
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="The telemetry is complete.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    ruling = dispute_rule(
        user=arbiter,
        dispute=dispute,
        outcome="upheld",
        rationale=RATIONALE,
        consequences=[{"action": "service_credit", "percent": 10}],
    )
    return Dispute.objects.get(pk=ruling.dispute_id)


def test_parties_see_the_open_dispute_and_outsiders_only_the_count(file, buyer, vendor, buyer_b) -> None:
    dispute = file()
    for party in (buyer, vendor):
        panel = _panel(party)
        assert f'href="/disputes/{dispute.pk}/"' in panel and "1</strong> open dispute" in panel
    for outsider in (None, buyer_b):
        panel = _panel(outsider)
        assert f"/disputes/{dispute.pk}/" not in panel and "1</strong> open dispute" in panel


def test_a_closed_disputes_ruling_is_public_without_naming_the_dispute(ruled, buyer) -> None:
    assert "No ruling about this agent yet" in _panel(None)  # ruled, but still open to appeal: not precedent yet
    workflow.dispute_close(user=None, dispute=Dispute.objects.get(pk=ruled.pk), now=timezone.now() + timedelta(days=8))
    public = _panel(None)
    assert 'data-testid="precedent-ruling"' in public and "never counted" in public
    assert f"/disputes/{ruled.pk}/" not in public
    assert f'href="/disputes/{ruled.pk}/"' in _panel(buyer)  # a party is told which dispute it was
    ruled.submissions.update(confidential=True)
    assert 'data-testid="redacted"' in _panel(None) and "never counted" not in _panel(None)


def test_the_filing_link_is_offered_to_those_who_may_file(verdict, buyer, buyer_b, vendor) -> None:
    assert 'data-testid="file-dispute"' in _panel(buyer)  # engaged
    assert 'data-testid="file-dispute"' in _panel(vendor)
    assert 'data-testid="file-dispute"' not in _panel(None)
