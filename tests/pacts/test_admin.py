"""The pacts admin: agents, pacts and their history are shown, not edited; pacts are retired through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from pacts import services
from pacts.models import Agent, Follow, Pact, PactClause, PactEvent, PactVersion
from tests.admin import columns, reported, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(published_pact: Pact, agent: Agent, buyer: User) -> dict[str, Model]:
    """One row of every pacts model."""
    version = published_pact.versions.get(number=1)
    return {
        "agent": agent,
        "pact": published_pact,
        "version": version,
        "clause": version.clauses.first(),
        "event": published_pact.events.first(),
        "follow": services.agent_follow(agent=agent, user=buyer),
    }


TAMPERING = [
    ("agent", {"name": "Hijacked", "slug": "hijacked", "consequence_level": "low"}),
    ("pact", {"title": "Rewritten"}),
    ("version", {"status": "draft", "changelog": "rewritten"}),
    ("clause", {"threshold": "0.01"}),
    ("event", {"action": "created", "note": "rewritten"}),
    ("follow", {"agent": ""}),
]


@pytest.mark.parametrize(("name", "tampered"), TAMPERING, ids=[name for name, _ in TAMPERING])
def test_changelist_and_change_page_show_the_row_and_a_posted_change_is_refused(
    admin_client: Client, rows: dict[str, Model], name: str, tampered: dict[str, str]
) -> None:
    obj = rows[name]
    before = columns(obj)

    assert admin_client.get(url(obj, "changelist")).status_code == 200
    page = admin_client.get(url(obj, "change", obj.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = admin_client.post(url(obj, "change", obj.pk), tampered)

    assert response.status_code == 403
    assert columns(obj) == before


@pytest.mark.parametrize("name", [name for name, _ in TAMPERING])
def test_add_and_delete_are_refused(admin_client: Client, rows: dict[str, Model], name: str) -> None:
    obj = rows[name]

    assert admin_client.get(url(obj, "add")).status_code == 403
    assert admin_client.post(url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_every_pacts_model_is_registered_read_only(rows: dict[str, Model], root: User) -> None:
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = root
    for model in (Agent, Pact, PactVersion, PactClause, PactEvent, Follow):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model


def test_the_pact_page_shows_its_versions_without_inputs(admin_client: Client, published_pact: Pact) -> None:
    response = admin_client.get(url(published_pact, "change", published_pact.pk))
    html = response.content.decode()
    version = published_pact.versions.get(number=1)
    assert version.content_hash in html
    assert 'name="versions-0-status"' not in html
    assert 'name="versions-0-DELETE"' not in html


def test_pact_event_changelist_queries_do_not_grow_with_rows(
    admin_client: Client, published_pact: Pact, vendor: User
) -> None:
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url(PactEvent, "changelist"))
    for n in range(3):
        services.pact_review(pact=published_pact, user=vendor, note=f"review {n}")
    assert published_pact.events.count() >= 5
    with CaptureQueriesContext(connection) as more:
        admin_client.get(url(PactEvent, "changelist"))
    assert len(more) == len(few)


# --- the retire action ----------------------------------------------------------------------------------------


def retire(admin_client: Client, *pacts: Pact) -> Any:
    return admin_client.post(
        url(Pact, "changelist"), {"action": "retire", "_selected_action": [p.pk for p in pacts]}, follow=True
    )


def test_retire_action_retires_every_version_in_force_and_records_who_did_it(
    admin_client: Client, root: User, published_pact: Pact
) -> None:
    response = retire(admin_client, published_pact)

    assert response.status_code == 200
    version = published_pact.versions.get(number=1)
    assert version.status == PactVersion.Status.RETIRED
    assert version.retired_at is not None
    event = PactEvent.objects.get(pact=published_pact, action=PactEvent.Action.RETIRED)
    assert (event.version, event.actor, event.from_status, event.to_status) == (version, root, "published", "retired")
    published_pact.refresh_from_db()
    assert published_pact.review_due_at is None
    assert (messages.SUCCESS, "1 pact retired.") in reported(response)


def test_retiring_a_pact_with_nothing_in_force_changes_nothing_and_says_so(
    admin_client: Client, draft_pact: Pact
) -> None:
    response = retire(admin_client, draft_pact)

    assert draft_pact.versions.get(number=1).status == PactVersion.Status.DRAFT
    assert not PactEvent.objects.filter(pact=draft_pact, action=PactEvent.Action.RETIRED).exists()
    assert (messages.WARNING, "1 pact had no version to retire.") in reported(response)


def test_a_refused_retirement_is_reported_not_a_server_error(
    admin_client: Client, published_pact: Pact, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> Pact:
        raise ValidationError("A pact under dispute cannot be retired.")

    monkeypatch.setattr("pacts.admin.pact_retire", refuse)
    response = retire(admin_client, published_pact)

    assert response.status_code == 200
    assert published_pact.versions.get(number=1).status == PactVersion.Status.PUBLISHED
    assert (messages.ERROR, f"{published_pact}: A pact under dispute cannot be retired.") in reported(response)
    assert not [level for level, _ in reported(response) if level == messages.SUCCESS]


def test_a_failure_halfway_through_one_pact_leaves_that_pact_as_it_was(
    admin_client: Client, published_pact: Pact, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trust_portal.errors import Conflict

    def retire_then_refuse(*, pact: Pact, user: User, note: str = "") -> Pact:
        services.pact_retire(pact=pact, user=user, note=note)
        raise Conflict("Something changed meanwhile.")

    monkeypatch.setattr("pacts.admin.pact_retire", retire_then_refuse)
    response = retire(admin_client, published_pact)

    assert (messages.ERROR, f"{published_pact}: Something changed meanwhile.") in reported(response)
    assert published_pact.versions.get(number=1).status == PactVersion.Status.PUBLISHED
    assert not PactEvent.objects.filter(pact=published_pact, action=PactEvent.Action.RETIRED).exists()
