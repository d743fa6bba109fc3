"""The demo's pacts (pacts.demo, through seed_demo): four agents, Refund Bot's version history, a stale pact."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from pacts.models import Agent

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_pact_world() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    refunds = Agent.objects.get(slug="refund-bot").pacts.get()
    assert list(refunds.versions.order_by("number").values_list("status", flat=True)) == [
        "superseded",
        "superseded",
        "published",
        "draft",
    ]
    assert Agent.objects.get(slug="helix-scheduler").pacts.get().is_stale
    # The pacts demo's four agents, and the trust loop's two tier examples (reputation/demo_trust.py).
    assert set(Agent.objects.values_list("slug", flat=True)) == {
        "refund-bot",
        "code-reviewer",
        "helix-scheduler",
        "invoice-extractor",
        "claims-triage",
        "doc-summarizer",
    }
    tiers = dict(Agent.objects.values_list("slug", "reputation__tier"))
    assert tiers["claims-triage"] == "suspended" and tiers["doc-summarizer"] == "probation"
