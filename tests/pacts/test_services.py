"""Pact lifecycle through the services: drafting, publishing, superseding, reviewing, following."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from pacts import selectors, services
from pacts.demo_documents import refunds_v2
from pacts.errors import DraftAlreadyExists, InvalidAgentCard, PactDocumentInvalid, PactVersionNotDraft
from pacts.models import PactEvent, PactVersion
from trust_portal.errors import Forbidden

pytestmark = pytest.mark.django_db


def test_pact_create_makes_a_draft_v1_with_clauses_and_hash(draft_pact, document) -> None:
    version = draft_pact.versions.get()
    assert version.number == 1
    assert version.status == "draft"
    assert [c.clause_id for c in version.clauses.order_by("position")] == [o["id"] for o in document["obligations"]]
    from pacts.documents import content_hash

    assert version.content_hash == content_hash(document)
    clause = version.clauses.get(clause_id="policy-accuracy")
    assert clause.prereg_task == "refund_policy_eval"
    assert clause.prereg_dataset_hash == "3f1a" * 16
    assert clause.on_breach[0] == {"action": "service_credit", "percent": 5}


def test_publish_sets_dates_review_due_and_event(draft_pact, vendor) -> None:
    version = services.pact_version_publish(version=draft_pact.versions.get(), user=vendor)
    assert version.status == "published"
    assert version.published_by == vendor
    assert version.review_by == version.effective_from + timedelta(days=90)
    draft_pact.refresh_from_db()
    assert draft_pact.review_due_at == version.review_by
    assert draft_pact.events.filter(action=PactEvent.Action.PUBLISHED, to_status="published").exists()


def test_publishing_a_new_version_supersedes_the_old(published_pact, vendor) -> None:
    v2 = services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    services.pact_version_publish(version=v2, user=vendor)
    statuses = dict(published_pact.versions.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "published"}
    assert selectors.pact_current_version(pact=published_pact).number == 2


def test_future_effective_version_waits_its_turn(published_pact, vendor) -> None:
    v2 = services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    services.pact_version_publish(version=v2, user=vendor, effective_from=timezone.now() + timedelta(days=3))
    assert selectors.pact_current_version(pact=published_pact).number == 1


def test_effective_from_in_the_past_is_refused(draft_pact, vendor) -> None:
    with pytest.raises(ValidationError) as caught:
        services.pact_version_publish(
            version=draft_pact.versions.get(), user=vendor, effective_from=timezone.now() - timedelta(days=1)
        )
    assert "effective_from" in caught.value.message_dict


def test_only_one_draft_at_a_time(draft_pact, vendor, document) -> None:
    with pytest.raises(DraftAlreadyExists):
        services.pact_version_create_draft(pact=draft_pact, user=vendor, document=document)


def test_publish_twice_is_a_conflict(published_pact, vendor) -> None:
    with pytest.raises(PactVersionNotDraft):
        services.pact_version_publish(version=published_pact.versions.get(), user=vendor)


def test_update_of_published_version_is_a_conflict(published_pact, vendor, document) -> None:
    document["title"] = "Rewritten history"
    with pytest.raises(PactVersionNotDraft):
        services.pact_version_update_draft(version=published_pact.versions.get(), user=vendor, document=document)


def test_draft_update_rewrites_clauses_and_hash(draft_pact, vendor, document) -> None:
    version = draft_pact.versions.get()
    old_hash = version.content_hash
    document["obligations"] = document["obligations"][:1]
    updated = services.pact_version_update_draft(version=version, user=vendor, document=document, changelog="trimmed")
    assert updated.content_hash != old_hash
    assert updated.clauses.count() == 1
    assert updated.changelog == "trimmed"


def test_invalid_document_is_refused_with_paths(agent, vendor, document) -> None:
    document["obligations"][0]["threshold"] = 1.5
    with pytest.raises(PactDocumentInvalid) as caught:
        services.pact_create(agent=agent, user=vendor, title="x", document=document)
    assert caught.value.errors[0]["path"] == "$.obligations[0].threshold"
    assert caught.value.errors[0]["field"] == "document.obligations[0].threshold"


def test_yaml_text_is_accepted(agent, vendor) -> None:
    text = """
schema: pact/v1
title: YAML pact
consequence_level: low
review_every_days: 30
obligations:
  - id: uptime
    title: Stays up
    metric: available
    aggregation: rate
    comparator: ">="
    threshold: 0.99
    window_days: 30
    min_samples: 10
    max_evidence_age_days: 2
    severity: major
    evidence_kinds: [telemetry]
"""
    pact = services.pact_create(agent=agent, user=vendor, title="", document=text)
    assert pact.title == "YAML pact"
    assert pact.versions.get().document["obligations"][0]["comparator"] == ">="


def test_review_restarts_the_clock_and_unstales(published_pact, vendor) -> None:
    published_pact.review_due_at = timezone.now() - timedelta(days=1)
    published_pact.save()
    assert published_pact in selectors.stale_pacts()
    services.pact_review(pact=published_pact, user=vendor, note="still true")
    published_pact.refresh_from_db()
    assert not published_pact.is_stale
    assert published_pact not in selectors.stale_pacts()
    assert published_pact.events.filter(action="reviewed", note="still true").exists()


def test_retire_withdraws_every_version(published_pact, vendor) -> None:
    services.pact_retire(pact=published_pact, user=vendor, note="agent discontinued")
    assert set(published_pact.versions.values_list("status", flat=True)) == {"retired"}
    assert selectors.pact_current_version(pact=published_pact) is None


def test_other_vendor_cannot_touch_the_pact(published_pact, vendor_b, document) -> None:
    with pytest.raises(Forbidden):
        services.pact_version_create_draft(pact=published_pact, user=vendor_b, document=document)
    with pytest.raises(Forbidden):
        services.pact_review(pact=published_pact, user=vendor_b)
    with pytest.raises(Forbidden):
        services.pact_create(agent=published_pact.agent, user=vendor_b, title="mine", document=document)


def test_buyer_cannot_register_an_agent(buyer) -> None:
    with pytest.raises(Forbidden):
        services.agent_create(user=buyer, name="Nope")


def test_duplicate_slug_is_a_field_error(agent, vendor_b) -> None:
    with pytest.raises(ValidationError) as caught:
        services.agent_create(user=vendor_b, name="Other", slug=agent.slug)
    assert "slug" in caught.value.message_dict


def test_agent_card_fills_the_agent(vendor) -> None:
    card = {
        "name": "Card Bot",
        "description": "From a card",
        "version": "1.2.0",
        "capabilities": {"streaming": True, "pushNotifications": False},
        "skills": [{"id": "s1", "name": "Summarise"}],
    }
    agent = services.agent_create(user=vendor, agent_card=card)
    assert (agent.name, agent.slug, agent.version) == ("Card Bot", "card-bot", "1.2.0")
    assert agent.capabilities == ["Summarise", "streaming"]
    assert agent.agent_card == card


def test_invalid_agent_card_names_the_field(vendor) -> None:
    with pytest.raises(InvalidAgentCard) as caught:
        services.agent_create(
            user=vendor, agent_card={"name": "x", "description": "", "skills": [], "capabilities": {}}
        )
    assert caught.value.errors[0]["field"] == "agent_card.version"


def test_followers_get_notified_naming_loosened_clauses(
    published_pact, vendor, buyer, django_capture_on_commit_callbacks
) -> None:
    services.agent_follow(agent=published_pact.agent, user=buyer)
    loosened = copy.deepcopy(published_pact.versions.get().document)
    loosened["obligations"][1]["threshold"] = 4000  # latency allowance up: loosened
    with django_capture_on_commit_callbacks(execute=True):
        v2 = services.pact_version_create_draft(pact=published_pact, user=vendor, document=loosened)
        services.pact_version_publish(version=v2, user=vendor)
    note = Notification.objects.get(recipient=buyer, kind="pact_version_published")
    assert "v2 published" in note.title
    assert "Loosened clauses: latency-p95" in note.body
    assert note.url.endswith("?from=1&to=2")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [buyer.email]
    assert "LOOSENED clauses" in mail.outbox[0].body and "latency-p95" in mail.outbox[0].body


def test_only_buyers_follow(agent, vendor_b) -> None:
    with pytest.raises(Forbidden):
        services.agent_follow(agent=agent, user=vendor_b)


def test_follow_is_idempotent(agent, buyer) -> None:
    services.agent_follow(agent=agent, user=buyer)
    services.agent_follow(agent=agent, user=buyer)
    assert agent.follows.count() == 1
    services.agent_unfollow(agent=agent, user=buyer)
    assert agent.follows.count() == 0


def test_version_numbers_are_dense(published_pact, vendor) -> None:
    for _ in range(3):
        draft = services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
        services.pact_version_publish(version=draft, user=vendor)
    assert list(published_pact.versions.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4]
    assert PactVersion.objects.filter(pact=published_pact, status="published").count() == 1


@pytest.mark.parametrize("days", [91, 365 * 74])
def test_effective_from_beyond_ninety_days_is_refused(draft_pact, vendor, days) -> None:
    with pytest.raises(ValidationError) as caught:
        services.pact_version_publish(
            version=draft_pact.versions.get(), user=vendor, effective_from=timezone.now() + timedelta(days=days)
        )
    assert "within 90 days" in caught.value.message_dict["effective_from"][0]
    assert draft_pact.versions.get().status == "draft"


def test_effective_from_ninety_days_ahead_is_accepted(draft_pact, vendor) -> None:
    version = services.pact_version_publish(
        version=draft_pact.versions.get(), user=vendor, effective_from=timezone.now() + timedelta(days=89)
    )
    assert version.status == "published"
