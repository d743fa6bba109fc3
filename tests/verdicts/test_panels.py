"""Verdict panels on other apps' pages (verdicts.panels): the agent page's clause board and the home pages'
agent lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence import services
from pacts.services import agent_follow

pytestmark = pytest.mark.django_db


def test_agent_page_query_count_does_not_grow_with_evidence(
    published_pact, agent, vendor, wire, submit, client, django_capture_on_commit_callbacks
) -> None:
    submit()
    with CaptureQueriesContext(connection) as few:
        assert client.get("/agents/refund-bot/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_submit(agent=agent, items=[wire(successes=i % 60) for i in range(150)], user=vendor)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/agents/refund-bot/")
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert 'data-testid="clause-board"' in response.content.decode()


def test_vendor_home_lists_its_agents_with_their_clause_statuses(published_pact, vendor, submit, client) -> None:
    submit(successes=10, trials=300)
    client.force_login(vendor)
    html = client.get("/").content.decode()
    assert "Your agents" in html and "1 breached" in html and "2 stale" in html


def test_buyer_home_lists_the_agents_it_follows(published_pact, agent, buyer, submit, client) -> None:
    submit(successes=10, trials=300)
    client.force_login(buyer)
    assert "follow agents from the directory" in client.get("/").content.decode()
    agent_follow(agent=agent, user=buyer)
    assert "1 breached" in client.get("/").content.decode()
