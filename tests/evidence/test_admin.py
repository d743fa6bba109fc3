"""The evidence and verdicts admin: records, buckets, scopes and verdicts are shown, not edited; access grants
and signing keys are revoked through their services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin, messages
from django.db import connection
from django.db.models import Model
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from evidence import services
from evidence.models import (
    AccessGrant,
    Attachment,
    EvidenceImport,
    EvidenceRecord,
    IdempotencyKey,
    MetricBucket,
    TokenAgentScope,
    VendorKey,
)
from pacts.models import Agent, Pact
from tests.admin import columns, reported, url
from tests.factories import OrganizationFactory, register_key
from trust_portal.errors import Forbidden
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(agent: Agent, vendor: User, buyer: User) -> AccessGrant:
    return services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)


def signing_key(user: User, name: str = "ci") -> VendorKey:
    return register_key(user, name=name)  # type: ignore[no-any-return]


@pytest.fixture
def key(vendor: User) -> VendorKey:
    return signing_key(vendor)


@pytest.fixture
def rows(
    published_pact: Pact, agent: Agent, vendor: User, wire: Callable[..., dict[str, Any]], grant: AccessGrant, key
) -> dict[str, Model]:
    """One row of every evidence model, and a verdict."""
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    issued = services.ingest_token_create(user=vendor, name="ingest", agents=[agent])
    return {
        "record": EvidenceRecord.objects.get(agent=agent),
        "import": EvidenceImport.objects.create(agent=agent, format="jsonl", file_sha256="ab" * 32, tool="pytest"),
        "attachment": Attachment.objects.create(
            organization=agent.organization,
            sha256="cd" * 32,
            content_type="text/plain",
            size=5,
            filename="notes.txt",
            file="evidence/notes.txt",
        ),
        "idempotency_key": IdempotencyKey.objects.create(scope="acme-agents", key="retry-1", fingerprint="ef" * 32),
        "scope": TokenAgentScope.objects.get(token=issued.token),
        "bucket": MetricBucket.objects.filter(agent=agent).first(),
        "grant": grant,
        "key": key,
        "verdict": Verdict.objects.filter(agent=agent).first(),
    }


TAMPERING = [
    ("record", {"metric": "rewritten", "visibility": "restricted"}),
    ("import", {"record_count": "99", "tool": "rewritten"}),
    ("attachment", {"filename": "rewritten.txt"}),
    ("idempotency_key", {"state": "in_flight", "key": "rewritten"}),
    ("scope", {"agent": ""}),
    ("bucket", {"records": "1000"}),
    ("grant", {"expires_at_0": "2000-01-01", "expires_at_1": "00:00:00", "note": "rewritten"}),
    ("key", {"name": "rewritten", "revoked_at_0": "", "revoked_at_1": ""}),
    ("verdict", {"status": "met", "is_current": ""}),
]


@pytest.mark.parametrize(("name", "tampered"), TAMPERING, ids=[name for name, _ in TAMPERING])
def test_changelist_and_change_page_show_the_row_and_a_posted_change_is_refused(
    admin_client: Client, rows: dict[str, Model], name: str, tampered: dict[str, str]
) -> None:
    obj = rows[name]
    assert obj is not None
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


@pytest.mark.parametrize(
    "model",
    [
        AccessGrant,
        Attachment,
        EvidenceImport,
        EvidenceRecord,
        IdempotencyKey,
        MetricBucket,
        TokenAgentScope,
        VendorKey,
        Verdict,
    ],
)
def test_every_model_is_registered_read_only(root: User, model: type[Model]) -> None:
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_record_changelist_queries_do_not_grow_with_rows(
    admin_client: Client, agent: Agent, vendor: User, key: VendorKey, wire: Callable[..., dict[str, Any]]
) -> None:
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url(EvidenceRecord, "changelist"))
    services.evidence_submit(agent=agent, items=[wire(successes=n) for n in range(4)], user=vendor)
    with CaptureQueriesContext(connection) as five:
        admin_client.get(url(EvidenceRecord, "changelist"))
    assert len(five) == len(one)


def test_grant_changelist_queries_do_not_grow_with_rows(
    admin_client: Client, grant: AccessGrant, agent: Agent, vendor: User, buyer: User
) -> None:
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url(AccessGrant, "changelist"))
    for n in range(3):  # one active grant per buyer and agent: each more grant is for another buyer
        other = OrganizationFactory(name=f"Buyer {n}", kind="buyer")
        services.access_grant_create(agent=agent, organization=other, user=vendor)
    with CaptureQueriesContext(connection) as four:
        admin_client.get(url(AccessGrant, "changelist"))
    assert len(four) == len(one)


# --- actions -------------------------------------------------------------------------------------------------


def act(admin_client: Client, model: type[Model], action: str, *objects: Model) -> Any:
    return admin_client.post(
        url(model, "changelist"), {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True
    )


def test_revoke_grants_action_ends_the_buyers_access(
    admin_client: Client, grant: AccessGrant, buyer: User, agent: Agent
) -> None:
    from evidence.rules import holds_active_grant

    assert holds_active_grant(buyer, agent)
    response = act(admin_client, AccessGrant, "revoke", grant)

    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert not holds_active_grant(buyer, agent)
    assert (messages.SUCCESS, "1 access grant revoked.") in reported(response)


def test_revoke_grants_action_calls_the_service_as_the_signed_in_user(
    admin_client: Client, root: User, grant: AccessGrant, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def spy(**kwargs: Any) -> AccessGrant:
        calls.append(kwargs)
        return services.access_grant_revoke(**kwargs)

    monkeypatch.setattr("evidence.admin.access_grant_revoke", spy)
    act(admin_client, AccessGrant, "revoke", grant)

    assert calls == [{"grant": grant, "user": root}]


def test_revoking_a_revoked_grant_changes_nothing_and_says_so(
    admin_client: Client, grant: AccessGrant, vendor: User
) -> None:
    services.access_grant_revoke(grant=grant, user=vendor)
    revoked_at = columns(grant)["revoked_at"]

    response = act(admin_client, AccessGrant, "revoke", grant)

    assert columns(grant)["revoked_at"] == revoked_at
    assert (messages.WARNING, "1 access grant already revoked.") in reported(response)


def test_a_refused_grant_revocation_is_reported_not_a_server_error(
    admin_client: Client, grant: AccessGrant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> AccessGrant:
        raise Forbidden("Only an owner of the agent's vendor organization (or staff) may revoke access.")

    monkeypatch.setattr("evidence.admin.access_grant_revoke", refuse)
    response = act(admin_client, AccessGrant, "revoke", grant)

    assert response.status_code == 200
    assert columns(grant)["revoked_at"] is None
    message = f"{grant}: Only an owner of the agent's vendor organization (or staff) may revoke access."
    assert (messages.ERROR, message) in reported(response)


def test_revoke_keys_action_revokes_each_selected_signing_key(
    admin_client: Client, key: VendorKey, vendor: User, vendor_b: User
) -> None:
    other = signing_key(vendor_b, "release")
    kept = signing_key(vendor, "kept")

    response = act(admin_client, VendorKey, "revoke", key, other)

    assert columns(key)["revoked_at"] is not None
    assert columns(other)["revoked_at"] is not None
    assert columns(kept)["revoked_at"] is None
    assert (messages.SUCCESS, "2 vendor keys revoked.") in reported(response)


def test_revoke_keys_action_calls_the_service_as_the_signed_in_user(
    admin_client: Client, root: User, key: VendorKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def spy(**kwargs: Any) -> VendorKey:
        calls.append(kwargs)
        return services.vendor_key_revoke(**kwargs)

    monkeypatch.setattr("evidence.admin.vendor_key_revoke", spy)
    act(admin_client, VendorKey, "revoke", key)

    assert calls == [{"user": root, "key": key}]


def test_a_refused_key_revocation_is_reported_and_the_others_still_happen(
    admin_client: Client, key: VendorKey, vendor_b: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = signing_key(vendor_b, "release")

    def service(*, user: User, key: VendorKey) -> VendorKey:
        if key.pk == refused.pk:
            raise Forbidden("Only an owner of the vendor organization (or staff) may revoke its signing keys.")
        return services.vendor_key_revoke(user=user, key=key)

    monkeypatch.setattr("evidence.admin.vendor_key_revoke", service)
    response = act(admin_client, VendorKey, "revoke", key, refused)

    assert response.status_code == 200
    assert columns(refused)["revoked_at"] is None
    assert columns(key)["revoked_at"] is not None
    message = f"{refused}: Only an owner of the vendor organization (or staff) may revoke its signing keys."
    assert (messages.ERROR, message) in reported(response)
    assert (messages.SUCCESS, "1 vendor key revoked.") in reported(response)
