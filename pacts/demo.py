"""Demo agents with multi-version pacts: a tightened and a loosened version, a stale pact, a draft."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import User
from pacts import services
from pacts.demo_documents import (
    CODE_REVIEW,
    REFUNDS_V1,
    SCHEDULER,
    refunds_v2,
    refunds_v3_loosened,
    with_human_review,
)
from pacts.models import Agent

CODE_REVIEWER_CARD: dict[str, Any] = {
    "name": "Code Reviewer",
    "description": "Triages pull requests: flags defects, suggests fixes, stays quiet when there is nothing to say.",
    "version": "2.3.0",
    "url": "https://agents.acme.example/code-reviewer",
    "capabilities": {"streaming": True, "pushNotifications": False},
    "skills": [
        {
            "id": "triage",
            "name": "PR triage",
            "description": "Labels and prioritises pull requests",
            "tags": ["github"],
        },
        {"id": "defects", "name": "Defect detection", "tags": ["python", "typescript"]},
    ],
}


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if Agent.objects.filter(slug="refund-bot").exists():
        out.write("pacts: demo agents already present\n")
        return []
    now = timezone.now()
    vendor = User.objects.get(username="vendor")
    vendor2 = User.objects.get(username="vendor2")
    buyer = User.objects.get(username="buyer")

    refund_bot = services.agent_create(
        user=vendor,
        name="Refund Bot",
        slug="refund-bot",
        consequence_level="high",
        description="Handles customer refund requests under 500 EUR end to end, escalating chargebacks to people.",
        capabilities=["refunds", "order lookup", "policy check"],
    )
    services.agent_follow(agent=refund_bot, user=buyer)
    pact = services.pact_create(
        agent=refund_bot, user=vendor, title="Refunds workflow", document=REFUNDS_V1, changelog="First published pact."
    )
    services.pact_version_publish(version=pact.versions.get(number=1), user=vendor, now=now - timedelta(days=120))
    v2 = services.pact_version_create_draft(
        pact=pact,
        user=vendor,
        document=refunds_v2(),
        changelog="Raise the resolution bar to 94 %, fresher evidence, signed evidence for policy accuracy.",
    )
    services.pact_version_publish(version=v2, user=vendor, now=now - timedelta(days=60))
    v3 = services.pact_version_create_draft(
        pact=pact,
        user=vendor,
        document=with_human_review(refunds_v3_loosened()),
        changelog="Latency allowance doubled during the payment-provider migration; the monthly external review "
        "of refund decisions becomes a clause (judged on the auditor's restricted attestations).",
    )
    services.pact_version_publish(version=v3, user=vendor, now=now - timedelta(days=20))
    draft = with_human_review(refunds_v3_loosened())
    draft["obligations"][1]["threshold"] = 2000
    services.pact_version_create_draft(
        pact=pact, user=vendor, document=draft, changelog="Bring latency back towards 1.5 s."
    )

    reviewer = services.agent_create(
        user=vendor, slug="code-reviewer", consequence_level="medium", agent_card=CODE_REVIEWER_CARD
    )
    pact = services.pact_create(agent=reviewer, user=vendor, title="Pull request triage", document=CODE_REVIEW)
    services.pact_version_publish(version=pact.versions.get(number=1), user=vendor, now=now - timedelta(days=25))

    scheduler = services.agent_create(
        user=vendor2,
        name="Helix Scheduler",
        slug="helix-scheduler",
        consequence_level="low",
        description="Books, moves and cancels meetings across calendars.",
        capabilities=["calendar", "email"],
    )
    pact = services.pact_create(agent=scheduler, user=vendor2, title="Calendar actions", document=SCHEDULER)
    services.pact_version_publish(
        version=pact.versions.get(number=1), user=vendor2, now=now - timedelta(days=40)
    )  # review due 26 days ago: stale

    extractor = services.agent_create(
        user=vendor2,
        name="Invoice Extractor",
        slug="invoice-extractor",
        consequence_level="critical",
        description="Reads supplier invoices into the ledger. Its first pact is still a draft.",
        capabilities=["ocr", "ledger"],
    )
    draft = dict(REFUNDS_V1, title="Invoice extraction accuracy", consequence_level="critical")
    services.pact_create(agent=extractor, user=vendor2, title="Invoice extraction", document=draft)
    out.write("pacts: 4 agents, 4 pacts (one with 3 published versions and a draft, one stale, one draft only)\n")
    return []
