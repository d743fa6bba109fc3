"""Trust pages: the score panel on the agent page and the "why this score" page."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_agent_page_shows_score_bound_and_tier(one_clause, observe, client, agent) -> None:
    reputation = observe(95)
    page = client.get(reverse("pacts:agent", args=[agent.slug])).content.decode()
    assert 'data-testid="score-panel"' in page
    assert f"{reputation.score:.1f}" in page and "Probation" in page
    assert 'id="score-figure"' in page
    assert reverse("reputation:score", args=[agent.slug]) in page


def test_why_this_score_lists_events_linking_their_verdicts_and_tier_changes(
    one_clause, observe, client, agent, one_clause_id="resolution-rate"
) -> None:
    observe(95)
    observe(10, trials=1000)
    response = client.get(reverse("reputation:score", args=[agent.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="score-event"') == 2
    assert page.count('data-testid="tier-change"') == 2
    assert reverse("verdicts:clause", args=[agent.slug, one_clause.pk, one_clause_id]) in page
    assert "critical clause resolution-rate breached or stale" in page


def test_an_unevaluated_agent_has_a_page_saying_so(agent, client) -> None:
    page = client.get(reverse("reputation:score", args=[agent.slug])).content.decode()
    assert "No score yet" in page and "Unverified" in page
