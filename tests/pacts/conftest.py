"""Pact fixtures: an agent of the vendor, a pact with a published v1, a document factory."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pacts import services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent, Pact


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(REFUNDS_V1)


@pytest.fixture
def agent(vendor) -> Agent:
    return services.agent_create(user=vendor, name="Refund Bot", slug="refund-bot", consequence_level="high")


@pytest.fixture
def draft_pact(agent, vendor, document) -> Pact:
    return services.pact_create(agent=agent, user=vendor, title="Refunds", document=document)


@pytest.fixture
def published_pact(draft_pact, vendor) -> Pact:
    services.pact_version_publish(version=draft_pact.versions.get(number=1), user=vendor)
    draft_pact.refresh_from_db()
    return draft_pact
