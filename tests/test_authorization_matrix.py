"""The authorization matrix: every API operation and every page × every role → the HTTP status it must answer.

The expectations are data, in ``tests/authorization_matrix.csv`` (one row per surface, method, path and kind of
object; one column per role). This module builds one world of real objects through the services, walks every
cell of the file against it, and fails when the file and the routes drift apart. HTML paths are the resolver's
route with a leading ``/``; API paths are the OpenAPI schema's.

Each cell runs in its own transaction, rolled back afterwards (the world itself is built once for the module,
inside an outer transaction that is rolled back at the end), so a successful write never leaks into the next
cell. A refused write must leave the tables it would have touched unchanged.
"""

from __future__ import annotations

import base64
import copy
import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import ApiToken, Invitation, Membership, Notification, Organization, User
from accounts.permissions import may, refusal
from evidence import services as evidence_services
from evidence.models import AccessGrant, EvidenceRecord, VendorKey
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent, Follow, Pact, PactVersion
from reputation.models import AccessPolicy, Decision, PolicyRevision
from reputation.policies import policy_create
from tests.factories import PASSWORD, UserFactory, key_registration, member, register_key
from transparency import log as tlog
from verdicts.evaluation import agent_evaluate

CSV_PATH = Path(__file__).with_name("authorization_matrix.csv")
ROLES = [
    "anonymous",
    "vendor_a_owner",
    "vendor_a_member",
    "vendor_b_owner",
    "buyer_a_owner",
    "buyer_a_member",
    "buyer_b_owner",
    "arbiter",
    "staff",
    "vendor_a_ci_token",
]
# An ingest token of vendor A's member, scoped to vendor A's agent (what a CI pipeline holds). Pages take no
# tokens, so on pages it is anonymous; over the API it reads what anyone may plus its own submissions.
CI_TOKEN = "vendor_a_ci_token"
COLUMNS = ["surface", "method", "path", "object", "note", *ROLES]
NEW_PASSWORD = "plum-orbit-lantern-42"
LOGIN_URL = "/accounts/login/"

SEES_DRAFTS = frozenset({"vendor_a_owner", "vendor_a_member"})
SEES_RESTRICTED = frozenset({"vendor_a_owner", "vendor_a_member", "buyer_a_owner", "buyer_a_member", "staff"})

Key = tuple[str, str, str, str]  # surface, method, path, object


def load_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS, f"{CSV_PATH.name} must have the columns {COLUMNS}"
        return list(reader)


def row_key(row: dict[str, str]) -> Key:
    return row["surface"], row["method"], row["path"], row["object"]


# --- the world ---------------------------------------------------------------------------------------------------


def document(threshold: float = 0.92) -> dict[str, Any]:
    """A valid pact/v1 document (the demo's refunds pact), its first clause at ``threshold``."""
    doc = copy.deepcopy(REFUNDS_V1)
    doc["obligations"][0]["threshold"] = threshold
    return doc


def wire_record(**overrides: Any) -> dict[str, Any]:
    """One valid evidence record in the wire format, observed until an hour ago."""
    end = timezone.now() - timedelta(hours=1)
    record: dict[str, Any] = {
        "kind": "telemetry",
        "metric": "task_success",
        "successes": 57,
        "trials": 60,
        "observed_from": (end - timedelta(days=1)).isoformat(),
        "observed_to": end.isoformat(),
        "source": {"tool": "prod-telemetry", "version": "1.4"},
        "visibility": "public",
    }
    record.update(overrides)
    return record


def text_attachment(text: str) -> dict[str, str]:
    return {
        "filename": "notes.txt",
        "content_type": "text/plain",
        "data_base64": base64.b64encode(text.encode()).decode(),
    }


@dataclass
class World:
    users: dict[str, User]
    bearer: dict[str, str]  # role -> plaintext API token
    vendor_a: Organization
    buyer_b: Organization
    agent: Agent
    published: Pact  # v1 published, v2 draft
    draft_only: Pact  # v1 draft, never published
    no_draft: Pact  # v1 published, no draft
    public_record: int
    restricted_record: int
    ci_record: int  # restricted, submitted with the CI token
    grant: AccessGrant
    owner_token: ApiToken  # a second token of vendor A's owner (not the one the matrix authenticates with)
    member_token: ApiToken
    key: VendorKey
    invitation: Invitation
    invitation_secret: str
    member_membership: Membership
    owner_membership: Membership
    checkpoint_size: int
    policy: AccessPolicy  # Buyer A's access policy
    # Buyer A's disputes about vendor A's agent, one in each state an action is tested in (built by build_disputes)
    disputes: dict[str, int] = field(default_factory=dict)
    dispute_attachment: int = 0  # the attachment of Buyer A's filing of the dispute awaiting a response
    conflict: int = 0  # the arbiter's declared conflict of interest with Vendor B
    # Buyer A's access requests about vendor A's agent, by state (built by build_access_requests)
    access_requests: dict[str, int] = field(default_factory=dict)
    # vendor A's incidents (open, public, analysing) and a note on the open one (built by build_incidents)
    incidents: dict[str, int] = field(default_factory=dict)
    replay: int = 0  # vendor A's owner's replay of the published pact's v1, run (built by build_replays)


def build_world() -> World:
    users = {
        "vendor_a_owner": member("va-owner", "Vendor A", "vendor", "owner"),
        "vendor_a_member": member("va-member", "Vendor A", "vendor", "member"),
        "vendor_b_owner": member("vb-owner", "Vendor B", "vendor", "owner"),
        "buyer_a_owner": member("ba-owner", "Buyer A", "buyer", "owner"),
        "buyer_a_member": member("ba-member", "Buyer A", "buyer", "member"),
        "buyer_b_owner": member("bb-owner", "Buyer B", "buyer", "owner"),
        "arbiter": UserFactory(username="arbiter", is_arbiter=True),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    owner, colleague = users["vendor_a_owner"], users["vendor_a_member"]
    vendor_a = Organization.objects.get(name="Vendor A")

    agent = pact_services.agent_create(user=owner, name="Refund Bot", slug="refund-bot", consequence_level="high")
    pact_services.agent_follow(agent=agent, user=users["buyer_a_owner"])

    published = pact_services.pact_create(agent=agent, user=colleague, title="Refunds", document=document())
    pact_services.pact_version_publish(version=published.versions.get(number=1), user=owner)
    pact_services.pact_version_create_draft(
        pact=published, user=colleague, document=document(0.94), changelog="tighter"
    )
    draft_only = pact_services.pact_create(
        agent=agent, user=colleague, title="Unpublished escalations pact", document=document()
    )
    no_draft = pact_services.pact_create(agent=agent, user=colleague, title="Latency", document=document())
    pact_services.pact_version_publish(version=no_draft.versions.get(number=1), user=owner)

    public = evidence_services.evidence_submit(
        agent=agent, items=[wire_record(attachment=text_attachment("public notes"))], user=colleague, batch=False
    )[0]
    restricted = evidence_services.evidence_submit(
        agent=agent,
        items=[wire_record(visibility="restricted", attachment=text_attachment("restricted notes"))],
        user=colleague,
        batch=False,
    )[0]
    grant = evidence_services.access_grant_create(
        agent=agent, organization=Organization.objects.get(name="Buyer A"), user=owner
    )
    bearer = {
        role: account_services.api_token_create(user=user, name="matrix").plaintext for role, user in users.items()
    }
    ci = evidence_services.ingest_token_create(user=colleague, name="refund-bot CI", agents=[agent])
    bearer[CI_TOKEN] = ci.plaintext
    ci_record = evidence_services.evidence_submit(
        agent=agent, items=[wire_record(visibility="restricted")], user=colleague, token=ci.token, batch=False
    )[0]
    owner_token = account_services.api_token_create(user=owner, name="owner's CI").token
    member_token = account_services.api_token_create(user=colleague, name="member's CI").token
    key = register_key(owner, name="release key")
    issued = account_services.invitation_create(user=owner, organization=vendor_a, role="member", note="Dana")
    checkpoint = tlog.checkpoint_sign()  # after the evidence: reads never sign
    policy = policy_create(
        user=users["buyer_a_owner"],
        organization=Organization.objects.get(name="Buyer A"),
        name="Production use",
        rules={"min_tier": "probation"},
    )
    verdicts = agent_evaluate(agent_id=agent.pk)
    # The world is what the matrix's object column says it is.
    assert checkpoint.size == 3 and verdicts, (
        "the checkpoint covers all three records; the pacts in force have verdicts"
    )
    assert [v.status for v in published.versions.order_by("number")] == ["published", "draft"]
    assert EvidenceRecord.objects.filter(attachment__isnull=False).count() == 2
    world = World(
        users=users,
        bearer=bearer,
        vendor_a=vendor_a,
        buyer_b=Organization.objects.get(name="Buyer B"),
        agent=agent,
        published=published,
        draft_only=draft_only,
        no_draft=no_draft,
        public_record=public.id,
        restricted_record=restricted.id,
        ci_record=ci_record.id,
        grant=grant,
        owner_token=owner_token,
        member_token=member_token,
        key=key,
        invitation=issued.invitation,
        invitation_secret=issued.secret,
        member_membership=colleague.membership,
        owner_membership=owner.membership,
        checkpoint_size=checkpoint.size,
        policy=policy,
    )
    build_disputes(world)
    build_access_requests(world)
    build_incidents(world)
    build_replays(world)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world, built once; every cell's own transaction rolls back to it, and it is rolled back at the end."""
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=str(tmp_path_factory.mktemp("matrix-media")),
    )
    overrides.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cache.clear()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            overrides.disable()
            cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # throttles and sign-in failure counters start at zero in every cell


# --- how to fill a row ----------------------------------------------------------------------------------------------

PP = "published pact (v1 published, v2 draft)"
DP = "draft-only pact"

Params = dict[str, Any]
OBJECTS: dict[str, Callable[[World], tuple[Params, Params]]] = {
    "": lambda w: ({}, {}),
    "the caller's own organization": lambda w: ({}, {}),
    "vendor A's agent": lambda w: ({"slug": w.agent.slug}, {}),
    PP: lambda w: ({"pact_id": w.published.pk}, {}),
    DP: lambda w: ({"pact_id": w.draft_only.pk}, {}),
    "pact in force without a draft": lambda w: ({"pact_id": w.no_draft.pk}, {}),
    "published pact, v1 (published)": lambda w: ({"pact_id": w.published.pk, "number": 1}, {}),
    "published pact, v2 (draft)": lambda w: ({"pact_id": w.published.pk, "number": 2}, {}),
    "draft-only pact, v1 (draft)": lambda w: ({"pact_id": w.draft_only.pk, "number": 1}, {}),
    f"{PP}, ?from=1&to=1": lambda w: ({"pact_id": w.published.pk}, {"from": 1, "to": 1}),
    f"{PP}, ?from=1&to=2": lambda w: ({"pact_id": w.published.pk}, {"from": 1, "to": 2}),
    f"{DP}, ?from=1&to=1": lambda w: ({"pact_id": w.draft_only.pk}, {"from": 1, "to": 1}),
    "published pact, clause resolution-rate": lambda w: (
        {"slug": w.agent.slug, "pact_id": w.published.pk, "clause_id": "resolution-rate"},
        {},
    ),
    "public record": lambda w: ({"record_id": w.public_record}, {}),
    "restricted record": lambda w: ({"record_id": w.restricted_record}, {}),
    "restricted record the CI token submitted": lambda w: ({"record_id": w.ci_record}, {}),
    "grant of vendor A's agent to Buyer A": lambda w: ({"grant_id": w.grant.pk}, {}),
    "token of vendor A's owner": lambda w: ({"token_id": w.owner_token.pk}, {}),
    "token of vendor A's member": lambda w: ({"token_id": w.member_token.pk}, {}),
    "vendor A's signing key": lambda w: ({"key_id": w.key.key_id}, {}),
    "vendor A's pending invitation": lambda w: (
        {"invitation_id": w.invitation.pk, "secret": w.invitation_secret},
        {},
    ),
    "vendor A member's membership": lambda w: ({"membership_id": w.member_membership.pk}, {}),
    "vendor A owner's membership": lambda w: ({"membership_id": w.owner_membership.pk}, {}),
    "the signed checkpoint": lambda w: ({"size": w.checkpoint_size}, {}),
    "Buyer A's policy": lambda w: ({"policy_id": w.policy.pk}, {}),
    "vendor A's agent, ?policy=Buyer A's policy": lambda w: ({"slug": w.agent.slug}, {"policy": w.policy.pk}),
}


def key_registration_as(w: World, role: str) -> dict[str, str]:
    """A valid registration of a fresh key: the sender's own organization's challenge, signed (someone else's when
    the sender may not have one; the permission refuses them first)."""
    user = w.users.get(role)
    if user is None or not may(user, "evidence.manage_signing_keys", user.organization):
        user = w.users["vendor_a_owner"]
    return key_registration(user, Ed25519PrivateKey.generate(), name="release key 2")


def rows_of(model: type, *fields: str) -> Callable[[World], Any]:
    """A probe: the rows of ``model`` (these fields), to compare before and after a request."""
    return lambda w: list(model.objects.order_by("pk").values_list("pk", *fields))  # type: ignore[attr-defined]


def jsonl_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("results.jsonl", json.dumps(wire_record()).encode() + b"\n", "application/x-ndjson")


@dataclass(frozen=True)
class Op:
    """How to send one operation: its body (JSON for the API, form fields for pages), extra query, and checks."""

    body: Callable[[World], Any] | None = None
    body_as: Callable[[World, str], Any] | None = None  # a body that depends on who sends it (the cell's role)
    query: Callable[[World], Params] | None = None
    multipart: bool = False
    probe: Callable[[World], Any] | None = None  # what a refused request must leave unchanged
    writes: bool = False  # an allowed API call must change the probe
    permission: str = ""  # the permission whose refusal a 403 problem carries (API)


TOKENS = rows_of(ApiToken, "revoked_at")
VERSIONS = rows_of(PactVersion, "status", "content_hash", "changelog")
POLICY_RULES = {"name": "Staging", "min_tier": "standard", "required_clauses": ["resolution-rate"]}
API: dict[tuple[str, str], Op] = {
    ("POST", "/api/v1/policies/"): Op(
        body=lambda w: POLICY_RULES,
        probe=rows_of(AccessPolicy),
        writes=True,
        permission="reputation.manage_policies",
    ),
    ("PATCH", "/api/v1/policies/{policy_id}/"): Op(
        body=lambda w: {"min_tier": "trusted"},
        probe=rows_of(PolicyRevision, "rules"),
        writes=True,
        permission="reputation.manage_policy",
    ),
    ("DELETE", "/api/v1/policies/{policy_id}/"): Op(
        probe=rows_of(AccessPolicy, "archived_at"), writes=True, permission="reputation.manage_policy"
    ),
    ("GET", "/api/v1/agents/{slug}/decision/"): Op(probe=rows_of(Decision), permission="reputation.decide"),
    ("POST", "/api/v1/agents/"): Op(
        body=lambda w: {"name": "Triage Bot", "slug": "triage-bot", "consequence_level": "medium"},
        probe=rows_of(Agent),
        writes=True,
        permission="pacts.register_agent",
    ),
    ("POST", "/api/v1/agents/{slug}/evidence/"): Op(
        body=lambda w: wire_record(), probe=rows_of(EvidenceRecord), writes=True, permission="evidence.submit"
    ),
    ("POST", "/api/v1/agents/{slug}/evidence/import/"): Op(
        body=lambda w: {"file": jsonl_upload()},
        query=lambda w: {"format": "jsonl"},
        multipart=True,
        probe=rows_of(EvidenceRecord),
        writes=True,
        permission="evidence.submit",
    ),
    ("POST", "/api/v1/agents/{slug}/follow/"): Op(probe=rows_of(Follow, "user_id"), permission="pacts.follow_agent"),
    ("DELETE", "/api/v1/agents/{slug}/follow/"): Op(probe=rows_of(Follow, "user_id")),
    ("POST", "/api/v1/agents/{slug}/grants/"): Op(
        body=lambda w: {"organization": w.buyer_b.slug},
        probe=rows_of(AccessGrant),
        writes=True,
        permission="evidence.manage_grants",
    ),
    ("POST", "/api/v1/agents/{slug}/pacts/"): Op(
        body=lambda w: {"title": "Escalations", "document": document()},
        probe=rows_of(Pact),
        writes=True,
        permission="pacts.author_pact",
    ),
    ("POST", "/api/v1/auth/token/"): Op(
        body=lambda w: {"username": w.users["vendor_a_member"].username, "password": PASSWORD, "name": "cli"},
        probe=TOKENS,
        writes=True,
    ),
    ("POST", "/api/v1/auth/tokens/"): Op(body=lambda w: {"name": "laptop"}, probe=TOKENS, writes=True),
    ("DELETE", "/api/v1/auth/tokens/{token_id}/"): Op(probe=TOKENS, writes=True, permission="accounts.manage_tokens"),
    ("DELETE", "/api/v1/grants/{grant_id}/"): Op(
        probe=rows_of(AccessGrant, "revoked_at"), writes=True, permission="evidence.revoke_grant"
    ),
    ("POST", "/api/v1/ingest-tokens/"): Op(
        body=lambda w: {"name": "refund-bot CI", "agents": [w.agent.slug]},
        probe=TOKENS,
        writes=True,
        permission="evidence.create_ingest_token",
    ),
    ("POST", "/api/v1/invitations/accept/"): Op(
        body=lambda w: {
            "token": w.invitation_secret,
            "username": "newcomer",
            "password": NEW_PASSWORD,
            "email": "newcomer@example.com",
        },
        probe=rows_of(Membership, "organization_id", "role"),
        writes=True,
    ),
    ("GET", "/api/v1/log/consistency/"): Op(query=lambda w: {"from": 1, "to": w.checkpoint_size}),
    ("POST", "/api/v1/notifications/read/"): Op(body=lambda w: {}, probe=rows_of(Notification, "read_at")),
    ("POST", "/api/v1/organization/invitations/"): Op(
        body=lambda w: {"role": "member", "note": "new hire"},
        probe=rows_of(Invitation),
        writes=True,
        permission="accounts.manage_members",
    ),
    ("DELETE", "/api/v1/organization/invitations/{invitation_id}/"): Op(
        probe=rows_of(Invitation, "revoked_at"), writes=True, permission="accounts.manage_members"
    ),
    ("PATCH", "/api/v1/organization/members/{membership_id}/"): Op(
        body=lambda w: {"role": "owner"},
        probe=rows_of(Membership, "role"),
        writes=True,
        permission="accounts.manage_members",
    ),
    ("DELETE", "/api/v1/organization/members/{membership_id}/"): Op(
        probe=rows_of(Membership, "role"), writes=True, permission="accounts.remove_member"
    ),
    ("POST", "/api/v1/pacts/{pact_id}/review/"): Op(
        body=lambda w: {"note": "still accurate"},
        probe=rows_of(Pact, "last_reviewed_at"),
        writes=True,
        permission="pacts.review_pact",
    ),
    ("POST", "/api/v1/pacts/{pact_id}/retire/"): Op(
        body=lambda w: {"note": "withdrawn"},
        probe=rows_of(PactVersion, "status"),
        writes=True,
        permission="pacts.retire_pact",
    ),
    ("POST", "/api/v1/pacts/{pact_id}/versions/"): Op(
        body=lambda w: {"document": document(0.95), "changelog": "tighter still"},
        probe=VERSIONS,
        writes=True,
        permission="pacts.author_pact",
    ),
    ("PATCH", "/api/v1/pacts/{pact_id}/versions/{number}/"): Op(
        body=lambda w: {"document": document(0.96), "changelog": "edited"},
        probe=VERSIONS,
        writes=True,
        permission="pacts.author_pact",
    ),
    ("POST", "/api/v1/pacts/{pact_id}/versions/{number}/publish/"): Op(
        body=lambda w: {}, probe=VERSIONS, writes=True, permission="pacts.publish_version"
    ),
    ("POST", "/api/v1/signing-keys/challenge/"): Op(permission="evidence.manage_signing_keys"),
    ("POST", "/api/v1/signing-keys/"): Op(
        body_as=key_registration_as,
        probe=rows_of(VendorKey),
        writes=True,
        permission="evidence.manage_signing_keys",
    ),
    ("DELETE", "/api/v1/signing-keys/{key_id}/"): Op(
        probe=rows_of(VendorKey, "revoked_at"), writes=True, permission="evidence.revoke_signing_key"
    ),
}

HTML: dict[tuple[str, str], Op] = {
    ("POST", "/policies/"): Op(body=lambda w: {"name": "Staging", "min_tier": "standard"}, probe=rows_of(AccessPolicy)),
    ("POST", "/policies/preview/"): Op(body=lambda w: {"name": "Staging", "min_tier": "standard"}),
    ("POST", "/policies/<int:policy_id>/"): Op(
        body=lambda w: {"name": "Production use", "min_tier": "trusted"}, probe=rows_of(PolicyRevision, "rules")
    ),
    ("POST", "/policies/<int:policy_id>/archive/"): Op(probe=rows_of(AccessPolicy, "archived_at")),
    ("POST", "/accounts/login/"): Op(
        body=lambda w: {"username": w.users["vendor_a_member"].username, "password": PASSWORD}
    ),
    ("POST", "/accounts/logout/"): Op(body=lambda w: {}),
    ("POST", "/accounts/password/"): Op(
        body=lambda w: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        probe=rows_of(User, "password"),
    ),
    ("POST", "/accounts/tokens/"): Op(body=lambda w: {"name": "laptop"}, probe=TOKENS),
    ("POST", "/accounts/tokens/<int:token_id>/revoke/"): Op(probe=TOKENS),
    ("POST", "/accounts/notifications/"): Op(probe=rows_of(Notification, "read_at")),
    ("POST", "/accounts/organization/"): Op(
        body=lambda w: {"role": "member", "note": "new hire"}, probe=rows_of(Invitation)
    ),
    ("POST", "/accounts/organization/members/<int:membership_id>/role/"): Op(
        body=lambda w: {"role": "owner"}, probe=rows_of(Membership, "role")
    ),
    ("POST", "/accounts/organization/members/<int:membership_id>/remove/"): Op(probe=rows_of(Membership, "role")),
    ("POST", "/accounts/organization/invitations/<int:invitation_id>/revoke/"): Op(
        probe=rows_of(Invitation, "revoked_at")
    ),
    ("POST", "/accounts/invitations/<str:secret>/"): Op(
        body=lambda w: {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
        probe=rows_of(Membership, "organization_id", "role"),
    ),
    ("POST", "/agents/new/"): Op(
        body=lambda w: {"name": "Triage Bot", "slug": "triage-bot", "consequence_level": "medium"},
        probe=rows_of(Agent),
    ),
    ("POST", "/agents/<slug:slug>/follow/"): Op(probe=rows_of(Follow, "user_id")),
    ("POST", "/agents/<slug:slug>/pacts/new/"): Op(
        body=lambda w: {"title": "Escalations", "document": json.dumps(document())}, probe=rows_of(Pact)
    ),
    ("POST", "/pacts/validate/"): Op(body=lambda w: {"document": json.dumps(document())}),
    ("POST", "/pacts/<int:pact_id>/v/<int:number>/"): Op(
        body=lambda w: {"document": json.dumps(document(0.96)), "changelog": "edited"}, probe=VERSIONS
    ),
    ("POST", "/pacts/<int:pact_id>/v/<int:number>/publish/"): Op(body=lambda w: {"confirm": "on"}, probe=VERSIONS),
    ("POST", "/pacts/<int:pact_id>/versions/new/"): Op(probe=VERSIONS),
    ("POST", "/pacts/<int:pact_id>/review/"): Op(
        body=lambda w: {"note": "still accurate"}, probe=rows_of(Pact, "last_reviewed_at")
    ),
    ("POST", "/pacts/<int:pact_id>/retire/"): Op(
        body=lambda w: {"note": "withdrawn"}, probe=rows_of(PactVersion, "status")
    ),
    ("POST", "/evidence/"): Op(body=lambda w: {"name": "refund-bot CI", "agents": [w.agent.pk]}, probe=TOKENS),
    ("POST", "/agents/<slug:slug>/evidence/import/"): Op(
        body=lambda w: {"file": jsonl_upload(), "format": "jsonl", "visibility": "public"},
        probe=rows_of(EvidenceRecord),
    ),
    ("POST", "/agents/<slug:slug>/grants/"): Op(
        body=lambda w: {"organization": w.buyer_b.pk, "note": "due diligence"}, probe=rows_of(AccessGrant)
    ),
    ("POST", "/grants/<int:grant_id>/revoke/"): Op(probe=rows_of(AccessGrant, "revoked_at")),
    ("POST", "/evidence/signing-keys/"): Op(body_as=key_registration_as, probe=rows_of(VendorKey)),
    ("POST", "/evidence/signing-keys/<str:key_id>/revoke/"): Op(probe=rows_of(VendorKey, "revoked_at")),
}

# Rows whose body is not their operation's (another object of the same operation): by row key.
BODIES: dict[Key, Callable[[World], Any]] = {}

# Anonymous form posts that legitimately go somewhere other than the sign-in page.
ANONYMOUS_REDIRECTS_ELSEWHERE = {
    ("POST", "/accounts/login/"),
    ("POST", "/accounts/logout/"),
    ("POST", "/accounts/invitations/<str:secret>/"),
}


# --- what a page or a list must not show ---------------------------------------------------------------------------


def _items(response: Any) -> list[dict[str, Any]]:
    body = json.loads(response.content)
    return body["results"] if isinstance(body, dict) else body


def _shows_record(w: World, response: Any) -> bool:
    return f'href="/evidence/{w.restricted_record}/"' in response.content.decode()


LEAKS: dict[Key, tuple[Callable[[World, Any], bool], frozenset[str]]] = {
    ("api", "GET", "/api/v1/agents/{slug}/evidence/", "vendor A's agent"): (
        lambda w, r: w.restricted_record in {item["id"] for item in _items(r)},
        SEES_RESTRICTED,
    ),
    ("api", "GET", "/api/v1/agents/{slug}/bundle/", "vendor A's agent"): (
        lambda w, r: w.restricted_record in {item["id"] for item in json.loads(r.content)["records"]},
        SEES_RESTRICTED,
    ),
    ("api", "GET", "/api/v1/agents/{slug}/pacts/", "vendor A's agent"): (
        lambda w, r: w.draft_only.pk in {item["id"] for item in _items(r)},
        SEES_DRAFTS,
    ),
    ("api", "GET", "/api/v1/pacts/{pact_id}/versions/", PP): (
        lambda w, r: 2 in {item["number"] for item in _items(r)},
        SEES_DRAFTS,
    ),
    ("api", "GET", "/api/v1/agents/{slug}/grants/", "vendor A's agent"): (
        lambda w, r: w.grant.pk in {item["id"] for item in _items(r)},
        SEES_RESTRICTED,  # vendor A, the grantee, staff: the same people as those who see restricted records
    ),
    ("api", "GET", "/api/v1/auth/tokens/", ""): (
        lambda w, r: w.member_token.pk in {item["id"] for item in _items(r)},
        frozenset({"vendor_a_owner", "vendor_a_member", "staff"}),
    ),
    ("api", "GET", "/api/v1/organization/invitations/", ""): (
        lambda w, r: w.invitation.pk in {item["id"] for item in _items(r)},
        frozenset({"vendor_a_owner"}),
    ),
    ("api", "GET", "/api/v1/organization/members/", ""): (
        lambda w, r: w.member_membership.pk in {item["id"] for item in _items(r)},
        SEES_DRAFTS,  # vendor A's owner and member
    ),
    ("api", "GET", "/api/v1/signing-keys/", ""): (
        lambda w, r: w.key.key_id in {item["key_id"] for item in _items(r)},
        frozenset({"vendor_a_owner", "vendor_a_member", "staff"}),
    ),
    ("html", "GET", "/agents/<slug:slug>/", "vendor A's agent"): (
        lambda w, r: w.draft_only.title in r.content.decode(),
        SEES_DRAFTS,
    ),
    ("html", "GET", "/agents/<slug:slug>/evidence/", "vendor A's agent"): (_shows_record, SEES_RESTRICTED),
    (
        "html",
        "GET",
        "/agents/<slug:slug>/clauses/<int:pact_id>/<str:clause_id>/",
        "published pact, clause resolution-rate",
    ): (_shows_record, SEES_RESTRICTED),
}


# --- webhooks (reputation): Buyer A's endpoint and a failed delivery, made in the cells that name them ----------


def buyer_a_webhook(w: World) -> Any:
    from reputation.models import WebhookEndpoint

    owner = w.users["buyer_a_owner"]
    return WebhookEndpoint.objects.get_or_create(
        organization=owner.organization,
        url="https://hooks.buyer-a.example/trust",
        defaults={"events": ["tier.changed"], "secret": "whsec_" + "A" * 32, "created_by": owner},
    )[0]


def buyer_a_delivery(w: World) -> Any:
    from reputation.models import WebhookDelivery

    return WebhookDelivery.objects.get_or_create(
        endpoint=buyer_a_webhook(w),
        msg_id="msg_matrix",
        defaults={
            "event_type": "tier.changed",
            "payload": {"type": "tier.changed"},
            "status": "failed",
            "attempts": 10,
        },
    )[0]


def webhook_rows(*fields: str) -> Callable[[World], Any]:
    def probe(w: World) -> Any:
        from reputation.models import WebhookDelivery, WebhookEndpoint

        model = WebhookDelivery if fields and fields[0] == "status" else WebhookEndpoint
        return rows_of(model, *fields)(w)

    return probe


WEBHOOK = "Buyer A's webhook endpoint"
WEBHOOK_BODY = {"url": "http://127.0.0.1:9/hooks", "events": ["tier.changed"]}
OBJECTS.update(
    {
        WEBHOOK: lambda w: ({"webhook_id": buyer_a_webhook(w).pk}, {}),
        "a failed delivery to Buyer A's webhook endpoint": lambda w: (
            {"webhook_id": buyer_a_webhook(w).pk, "delivery_id": buyer_a_delivery(w).pk},
            {},
        ),
    }
)
API.update(
    {
        ("POST", "/api/v1/webhooks/"): Op(
            body=lambda w: WEBHOOK_BODY, probe=webhook_rows(), writes=True, permission="reputation.manage_webhooks"
        ),
        ("DELETE", "/api/v1/webhooks/{webhook_id}/"): Op(
            probe=webhook_rows(), writes=True, permission="reputation.manage_webhooks"
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret/"): Op(
            probe=webhook_rows("secret"), writes=True, permission="reputation.manage_webhooks"
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/enable/"): Op(
            probe=webhook_rows("enabled"), permission="reputation.manage_webhooks"
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/disable/"): Op(
            probe=webhook_rows("enabled"), writes=True, permission="reputation.manage_webhooks"
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend/"): Op(
            probe=webhook_rows("status", "next_attempt_at"), writes=True, permission="reputation.manage_webhooks"
        ),
    }
)
HTML.update(
    {
        ("POST", "/webhooks/"): Op(body=lambda w: WEBHOOK_BODY, probe=webhook_rows()),
        ("POST", "/webhooks/<int:webhook_id>/rotate/"): Op(probe=webhook_rows("secret")),
        ("POST", "/webhooks/<int:webhook_id>/enable/"): Op(probe=webhook_rows("enabled")),
        ("POST", "/webhooks/<int:webhook_id>/disable/"): Op(probe=webhook_rows("enabled")),
        ("POST", "/webhooks/<int:webhook_id>/delete/"): Op(probe=webhook_rows()),
        ("POST", "/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend/"): Op(
            probe=webhook_rows("status", "next_attempt_at")
        ),
    }
)
BUYER_A = frozenset({"buyer_a_owner", "buyer_a_member"})
LEAKS.update(
    {
        ("api", "GET", "/api/v1/webhooks/", WEBHOOK): (
            lambda w, r: buyer_a_webhook(w).pk in {item["id"] for item in _items(r)},
            BUYER_A,
        ),
        ("html", "GET", "/webhooks/", WEBHOOK): (lambda w, r: "hooks.buyer-a.example" in r.content.decode(), BUYER_A),
    }
)


# --- where the code answers something else than it should (each one is in the report) --------------------------

KNOWN: dict[tuple[str, str, str, str, str], str] = {}  # cells where the code is known to answer otherwise (none)


# --- the cells ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    surface: str
    method: str
    path: str
    object: str
    role: str
    expected: int

    @property
    def key(self) -> Key:
        return self.surface, self.method, self.path, self.object

    def __str__(self) -> str:
        where = f" [{self.object}]" if self.object else ""
        return f"{self.surface} {self.method} {self.path}{where} as {self.role} -> {self.expected}"


def cells() -> list[Any]:
    out = []
    for row in load_rows():
        for role in ROLES:
            cell = Cell(row["surface"], row["method"], row["path"], row["object"], role, int(row[role]))
            reason = KNOWN.get((*cell.key, role))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(cell, id=str(cell), marks=marks))
    return out


PLACEHOLDER = re.compile(r"\{(\w+)\}|<(?:\w+:)?(\w+)>")


def fill(path: str, params: Params) -> str:
    return PLACEHOLDER.sub(lambda m: str(params[m.group(1) or m.group(2)]), path)


def send(cell: Cell, w: World, op: Op, url: str, query: Params) -> Any:
    body = op.body_as(w, cell.role) if op.body_as else op.body(w) if op.body else None
    if cell.key in BODIES:
        body = BODIES[cell.key](w)
    if cell.surface == "api":
        api = APIClient()
        if cell.role != "anonymous":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {w.bearer[cell.role]}")
        target = url + (f"?{urlencode(query)}" if query else "")
        call = getattr(api, cell.method.lower())
        if cell.method == "GET" or body is None:
            return call(target)
        return call(target, body, format="multipart" if op.multipart else "json")
    page = Client()
    if cell.role == CI_TOKEN:
        page.defaults["HTTP_AUTHORIZATION"] = f"Bearer {w.bearer[cell.role]}"  # pages ignore it
    elif cell.role != "anonymous":
        page.force_login(w.users[cell.role])
    if cell.method == "GET":
        return page.get(url, query)
    return page.post(url + (f"?{urlencode(query)}" if query else ""), body or {})


def refused(cell: Cell, response: Any) -> bool:
    if response.status_code in (400, 401, 403, 404, 405, 409, 410, 422):
        return True
    return response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


@pytest.mark.parametrize("cell", cells())
def test_cell(cell: Cell, world: World, db: None) -> None:
    ops = API if cell.surface == "api" else HTML
    op = ops.get((cell.method, cell.path), Op())
    params, query = OBJECTS[cell.object](world)
    query = {**query, **(op.query(world) if op.query else {})}
    before = op.probe(world) if op.probe else None

    response = send(cell, world, op, fill(cell.path, params), query)

    assert response.status_code == cell.expected, (
        f"{cell}: got {response.status_code} {getattr(response, 'content', b'')[:300]!r}"
    )
    if response.status_code == 302:
        to_login = response["Location"].startswith(LOGIN_URL)
        if cell.role in ("anonymous", CI_TOKEN) and (cell.method, cell.path) not in ANONYMOUS_REDIRECTS_ELSEWHERE:
            assert to_login, f"{cell}: an anonymous write must be sent to sign in, not to {response['Location']}"
        elif cell.role not in ("anonymous", CI_TOKEN):
            assert not to_login, f"{cell}: a signed-in user was sent to sign in"
    if cell.surface == "api" and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/problem+json"), cell
        if response.status_code == 403 and cell.role == CI_TOKEN and cell.method != "GET":
            assert response.json()["code"] == "token_scope", f"{cell}: refused by the token's scope, {response.json()}"
        elif response.status_code == 403 and op.permission:
            assert response.json()["detail"] == refusal(op.permission), f"{cell}: {response.json()}"
    if op.probe:
        after = op.probe(world)
        if refused(cell, response):
            assert after == before, f"{cell}: a refused request changed what it must not"
        elif cell.surface == "api" and op.writes and 200 <= response.status_code < 300:
            assert after != before, f"{cell}: an allowed write changed nothing"
    leak = LEAKS.get(cell.key)
    if leak and response.status_code == 200:
        shows, seen_by = leak
        assert shows(world, response) == (cell.role in seen_by), (
            f"{cell}: the hidden object is {'shown' if shows(world, response) else 'missing'}"
        )


# --- the file covers every route, and only routes ---------------------------------------------------------------


def api_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def html_routes() -> set[str]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    excluded = re.compile(r"^\^?(api/|admin/|static/|media/)")
    return {"/" + route for route in walk(get_resolver().url_patterns, "") if not excluded.match(route)}


def test_the_matrix_covers_every_operation_and_route_and_nothing_else() -> None:
    rows = load_rows()
    keys = [row_key(row) for row in rows]
    assert len(keys) == len(set(keys)), "duplicate rows"
    for row in rows:
        assert row["surface"] in ("api", "html"), row
        assert row["object"] in OBJECTS, f"unknown object {row['object']!r}: teach OBJECTS how to fill it"
        for role in ROLES:
            assert re.fullmatch(r"[1-5]\d\d", row[role]), f"{row_key(row)} {role}: {row[role]!r} is not a status"

    operations = api_operations()
    listed_api = {(r["method"], r["path"]) for r in rows if r["surface"] == "api"}
    assert operations - listed_api == set(), "API operations with no row in the matrix"
    assert listed_api - operations == set(), "rows for API operations that no longer exist"

    routes = html_routes()
    listed_html = {(r["method"], r["path"]) for r in rows if r["surface"] == "html"}
    assert routes - {path for _, path in listed_html} == set(), "pages with no row in the matrix"
    assert {path for _, path in listed_html} - routes == set(), "rows for pages that no longer exist"
    assert {method for method, _ in listed_html} <= {"GET", "POST"}

    stale = {key[:4] for key in KNOWN} - set(keys)
    assert stale == set(), "known discrepancies for rows that no longer exist"
    ops = {("api", *key) for key in API} | {("html", *key) for key in HTML}
    assert ops - {(r["surface"], r["method"], r["path"]) for r in rows} == set(), "request recipes without a row"
    assert set(LEAKS) - set(keys) == set(), "leak checks without a row"
    assert set(BODIES) - set(keys) == set(), "row bodies without a row"


def test_the_login_url_is_the_sign_in_page() -> None:
    assert reverse("accounts:login") == LOGIN_URL


# --- engagements and the consequence ledger (reputation): Buyer A's engagement of vendor A's agent and an owed
# service credit, made in the cells that name them (each cell's transaction rolls them back) --------------------


def buyer_a_engagement(w: World) -> Any:
    from reputation.models import Engagement

    owner = w.users["buyer_a_owner"]
    return Engagement.objects.get_or_create(
        buyer=owner.organization,
        pact=w.published,
        ended_at=None,
        defaults={
            "agent": w.agent,
            "pact_version": w.published.versions.get(number=1),
            "monthly_fee": "1200.00",
            "currency": "EUR",
            "starts_on": timezone.localdate(),
            "created_by": owner,
        },
    )[0]


def buyer_a_owed_entry(w: World) -> Any:
    from reputation.models import LedgerEntry
    from verdicts.models import Verdict

    engagement = buyer_a_engagement(w)
    return LedgerEntry.objects.get_or_create(
        engagement=engagement,
        verdict=Verdict.objects.filter(pact=w.published, clause_id="resolution-rate").first(),
        defaults={
            "agent": w.agent,
            "buyer": engagement.buyer,
            "clause_id": "resolution-rate",
            "percent": "10",
            "amount": "120.00",
            "currency": "EUR",
            "status": "owed",
            "cure_ends_at": timezone.now() - timedelta(days=1),
        },
    )[0]


def ledger_rows(*fields: str) -> Callable[[World], Any]:
    def probe(w: World) -> Any:
        from reputation.models import Engagement, LedgerEntry

        return rows_of(LedgerEntry if fields and fields[0] == "status" else Engagement, *fields)(w)

    return probe


ENGAGEMENT = "Buyer A's engagement of vendor A's agent"
OWED_ENTRY = "Buyer A's owed service credit"
OBJECTS.update(
    {
        ENGAGEMENT: lambda w: ({"engagement_id": buyer_a_engagement(w).pk}, {}),
        OWED_ENTRY: lambda w: ({"entry_id": buyer_a_owed_entry(w).pk}, {}),
        f"{OWED_ENTRY} (listed)": lambda w: (buyer_a_owed_entry(w) and {}, {}),
    }
)
ENGAGE = lambda w: {  # noqa: E731  (a pact of the agent with no engagement yet: every buyer owner may engage it)
    "agent": w.agent.slug,
    "pact": w.no_draft.pk,
    "monthly_fee": "900.00",
    "currency": "EUR",
    "starts_on": timezone.localdate().isoformat(),
}
API.update(
    {
        ("POST", "/api/v1/engagements/"): Op(
            body=ENGAGE, probe=ledger_rows(), writes=True, permission="reputation.start_engagement"
        ),
        ("POST", "/api/v1/engagements/{engagement_id}/end/"): Op(
            probe=ledger_rows("ended_at"), writes=True, permission="reputation.end_engagement"
        ),
        ("POST", "/api/v1/ledger/{entry_id}/pay/"): Op(
            body=lambda w: {"note": "invoice 7"},
            probe=ledger_rows("status"),
            writes=True,
            permission="reputation.settle_ledger_entry",
        ),
        ("POST", "/api/v1/ledger/{entry_id}/waive/"): Op(
            body=lambda w: {"note": "goodwill"},
            probe=ledger_rows("status"),
            writes=True,
            permission="reputation.settle_ledger_entry",
        ),
    }
)
HTML.update(
    {
        ("POST", "/engagements/"): Op(body=ENGAGE, probe=ledger_rows()),
        ("POST", "/engagements/<int:engagement_id>/end/"): Op(probe=ledger_rows("ended_at")),
        ("POST", "/ledger/<int:entry_id>/pay/"): Op(body=lambda w: {"note": "invoice 7"}, probe=ledger_rows("status")),
        ("POST", "/ledger/<int:entry_id>/waive/"): Op(body=lambda w: {"note": "goodwill"}, probe=ledger_rows("status")),
    }
)
PARTIES = frozenset({"vendor_a_owner", "vendor_a_member", "buyer_a_owner", "buyer_a_member", "staff"})
LEAKS.update(
    {
        ("api", "GET", "/api/v1/engagements/", ENGAGEMENT): (
            lambda w, r: buyer_a_engagement(w).pk in {item["id"] for item in _items(r)},
            PARTIES,
        ),
        ("api", "GET", "/api/v1/ledger/", f"{OWED_ENTRY} (listed)"): (
            lambda w, r: buyer_a_owed_entry(w).pk in {item["id"] for item in _items(r)},
            PARTIES,
        ),
        ("html", "GET", "/ledger/", f"{OWED_ENTRY} (listed)"): (
            lambda w, r: f'id="entry-{buyer_a_owed_entry(w).pk}"' in r.content.decode(),
            PARTIES,
        ),
        ("html", "GET", "/engagements/", ENGAGEMENT): (
            lambda w, r: f'id="engagement-{buyer_a_engagement(w).pk}"' in r.content.decode(),
            PARTIES,
        ),
    }
)


# --- disputes: Buyer A's disputes about vendor A's agent, one in each state an action is tested in (built with the
# world: filing, responding and ruling take a dozen service calls each, too many to repeat in every cell) ---------

DISPUTE_STATEMENT = "Our own logs show 40 % of refunds failed on 2026-11-28; the telemetry missed them."
DISPUTE_RATIONALE = (
    "The buyer's request logs show failures the telemetry never counted, but the vendor's sampling covers every "
    "request of that window: the clause was met. The claim is rejected."
)
APPEAL_STATEMENT = "New: the 28th was a load test on a staging tenant, see the attached request logs."

AWAITING = "Buyer A's dispute awaiting vendor A's response"
REVIEW = "Buyer A's dispute under review by the arbiter"
INFO = "Buyer A's dispute with the arbiter's question to vendor A"
RULED = "Buyer A's dispute ruled (appeal window open)"
FINAL = "Buyer A's dispute ruled (appeal window over)"
CLOSED = "Buyer A's closed dispute"
DISPUTES_LISTED = "Buyer A's disputes (listed)"
RULINGS_LISTED = "rulings of Buyer A's ruled and closed disputes (listed)"
QUEUE_LISTED = "Buyer A's dispute awaiting a response, unassigned (listed)"
CONFLICT = "the arbiter's conflict of interest with Vendor B"
DISPUTE_ATTACHMENT = "the attachment of Buyer A's filing (dispute awaiting a response)"
DISPUTE_STATES = {"awaiting": AWAITING, "review": REVIEW, "info": INFO, "ruled": RULED, "final": FINAL}
# (action, state) of each page row POST /disputes/<id>/<action>/ (the API has a path per action instead)
PAGE_ACTIONS = [
    ("respond", "awaiting"),
    ("respond", "review"),
    ("assign", "awaiting"),
    ("assign", "review"),
    ("request-info", "review"),
    ("request-info", "ruled"),
    ("submit-info", "info"),
    ("rule", "review"),
    ("rule", "ruled"),
    ("appeal", "ruled"),
    ("appeal", "awaiting"),
    ("withdraw", "awaiting"),
    ("withdraw", "ruled"),
    ("settle", "awaiting"),
    ("settle", "ruled"),
    ("close", "final"),
    ("close", "ruled"),
    ("escalate", "awaiting"),  # no such action
]


def build_disputes(w: World) -> None:
    """Buyer A engages the agent and files five disputes (one per verdict of the pacts in force), taken to five
    states, and a sixth it closes; the arbiter declares a conflict with Vendor B (a party to none of them)."""
    from disputes import workflow
    from disputes.conflicts import conflict_declare
    from disputes.filing import dispute_file
    from disputes.models import Dispute, SubmissionAttachment
    from disputes.rulings import dispute_rule
    from reputation.engagements import engagement_start
    from verdicts.models import Verdict

    buyer, vendor, arbiter = w.users["buyer_a_owner"], w.users["vendor_a_owner"], w.users["arbiter"]
    engagement_start(
        user=buyer,
        agent=w.agent,
        monthly_fee="1200.00",
        currency="EUR",
        starts_on=timezone.localdate(),
        pact=w.published,
    )
    verdicts = list(Verdict.objects.filter(agent=w.agent, is_current=True).order_by("pact_id", "clause_id"))
    assert len(verdicts) >= 6, "two pacts in force, three clauses each"

    def file(verdict: Verdict, **extra: Any) -> Dispute:
        return dispute_file(
            user=buyer,
            agent=w.agent,
            subject={"type": "verdict", "id": verdict.pk},
            claim_type="breach_not_recorded",
            requested_remedy="Record the breach.",
            statement=DISPUTE_STATEMENT,
            **extra,
        )

    def reviewed(verdict: Verdict) -> Dispute:
        dispute = workflow.dispute_respond(user=vendor, dispute=file(verdict), statement="The telemetry is complete.")
        return workflow.dispute_assign(user=arbiter, dispute=dispute)

    def ruled(verdict: Verdict) -> Dispute:
        dispute = reviewed(verdict)
        dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=DISPUTE_RATIONALE)
        return Dispute.objects.get(pk=dispute.pk)

    awaiting = file(verdicts[0], attachments=[text_attachment("request logs")])
    info = workflow.dispute_request_info(
        user=arbiter, dispute=reviewed(verdicts[2]), party="respondent", question="How is the traffic sampled?"
    )
    final = ruled(verdicts[4])
    # The appeal window is over (as if the ruling were a week old); the sweep would close it, the cells do.
    Dispute.objects.filter(pk=final.pk).update(due_by=timezone.now() - timedelta(hours=1))
    closed = ruled(verdicts[5])
    Dispute.objects.filter(pk=closed.pk).update(due_by=timezone.now() - timedelta(hours=1))
    workflow.dispute_close(user=None, dispute=Dispute.objects.get(pk=closed.pk))
    w.disputes = {
        "awaiting": awaiting.pk,
        "review": reviewed(verdicts[1]).pk,
        "info": info.pk,
        "ruled": ruled(verdicts[3]).pk,
        "final": final.pk,
        "closed": closed.pk,
    }
    w.dispute_attachment = SubmissionAttachment.objects.get(submission__dispute=awaiting).pk
    vendor_b = Organization.objects.get(name="Vendor B")
    w.conflict = conflict_declare(user=arbiter, organization=vendor_b.slug, note="a former employer").pk
    statuses = dict(Dispute.objects.filter(pk__in=w.disputes.values()).values_list("pk", "status"))
    assert [statuses[w.disputes[k]] for k in ("awaiting", "review", "info", "ruled", "final", "closed")] == [
        "awaiting_response",
        "under_review",
        "info_requested",
        "ruled",
        "ruled",
        "closed",
    ]


def dispute_rows(*fields: str) -> Callable[[World], Any]:
    def probe(w: World) -> Any:
        from disputes.models import ArbiterConflict, Dispute

        if fields == ("conflicts",):
            return rows_of(ArbiterConflict, "arbiter_id", "organization_id")(w)
        return rows_of(Dispute, "status", "revision", "arbiter_id", "settlement_terms")(w)

    return probe


def _ruling_of(w: World, state: str) -> int:
    from disputes.models import Ruling

    return Ruling.objects.get(dispute_id=w.disputes[state]).pk


OBJECTS.update(
    {
        **{label: (lambda w, key=key: ({"dispute_id": w.disputes[key]}, {})) for key, label in DISPUTE_STATES.items()},
        **{
            f"{action}: {DISPUTE_STATES[state]}": (
                lambda w, action=action, state=state: ({"dispute_id": w.disputes[state], "action": action}, {})
            )
            for action, state in PAGE_ACTIONS
        },
        CLOSED: lambda w: ({"dispute_id": w.disputes["closed"]}, {}),
        DISPUTES_LISTED: lambda w: ({}, {}),
        RULINGS_LISTED: lambda w: ({}, {}),
        QUEUE_LISTED: lambda w: ({}, {}),
        CONFLICT: lambda w: ({"conflict_id": w.conflict}, {}),
        DISPUTE_ATTACHMENT: lambda w: (
            {"dispute_id": w.disputes["awaiting"], "attachment_id": w.dispute_attachment},
            {},
        ),
    }
)


def file_body(w: World, role: str) -> dict[str, Any]:
    """A buyer files about a clause of the pact in force (no dispute of Buyer A's names it yet); a vendor disputes
    the verdict Buyer A's awaiting dispute is about, answered by Buyer A (vendor B is offered no respondent)."""
    from disputes.models import Dispute

    if role.startswith("vendor"):
        body: dict[str, Any] = {
            "agent": w.agent.slug,
            "subject": {"type": "verdict", "id": Dispute.objects.get(pk=w.disputes["awaiting"]).verdict_id},
            "claim_type": "verdict_wrong",
            "requested_remedy": "Confirm the verdict.",
            "statement": "The evidence window was read correctly.",
        }
        if role != "vendor_b_owner":
            body["respondent"] = w.users["buyer_a_owner"].organization.slug
        return body
    return {
        "agent": w.agent.slug,
        "subject": {"type": "clause", "id": "resolution-rate", "pact": w.published.pk},
        "claim_type": "breach_not_recorded",
        "requested_remedy": "Record the breach.",
        "statement": DISPUTE_STATEMENT,
    }


def file_form(w: World, role: str) -> dict[str, Any]:
    body = file_body(w, role)
    form = {k: v for k, v in body.items() if k != "subject"}
    form.update(subject_type=body["subject"]["type"], subject_id=str(body["subject"]["id"]))
    if "pact" in body["subject"]:
        form["pact"] = str(body["subject"]["pact"])
    return form


ACTION_BODIES: dict[str, Callable[[World, str], Any]] = {
    "respond": lambda w, role: {"statement": "The telemetry is complete."},
    "assign": lambda w, role: {"arbiter": w.users["arbiter"].username} if role == "staff" else {},
    "request-info": lambda w, role: {"party": "claimant", "question": "Which requests failed?"},
    "submit-info": lambda w, role: {"statement": "Every request is logged."},
    "rule": lambda w, role: {"outcome": "rejected", "rationale": DISPUTE_RATIONALE},
    "appeal": lambda w, role: {"statement": APPEAL_STATEMENT},
    "withdraw": lambda w, role: {"note": "resolved elsewhere"},
    "settle": lambda w, role: {"terms": "A 5 % credit on the next invoice."},
    "close": lambda w, role: {},
}
ACTION_PERMISSIONS = {
    "respond": "disputes.respond",
    "assign": "disputes.assign",
    "request-info": "disputes.request_info",
    "submit-info": "disputes.submit_info",
    "rule": "disputes.rule",
    "appeal": "disputes.appeal",
    "withdraw": "disputes.withdraw",
    "settle": "disputes.settle",
    "close": "disputes.close",
}
# Every action form of the dispute page at once (each form reads only its own prefixed fields).
PAGE_ACTION_FORM = {
    "respond-statement": "The telemetry is complete.",
    "assign-arbiter": "arbiter",  # offered to staff only; an arbiter's form claims for themselves
    "request_info-party": "claimant",
    "request_info-question": "Which requests failed?",
    "submit_info-statement": "Every request is logged.",
    "rule-outcome": "rejected",
    "rule-rationale": DISPUTE_RATIONALE,
    "appeal-statement": APPEAL_STATEMENT,
    "withdraw-note": "resolved elsewhere",
    "settle-terms": "A 5 % credit on the next invoice.",
}
API.update(
    {
        ("POST", "/api/v1/disputes/"): Op(body_as=file_body, probe=dispute_rows(), writes=True),
        **{
            ("POST", f"/api/v1/disputes/{{dispute_id}}/{action}/"): Op(
                body_as=body, probe=dispute_rows(), writes=True, permission=ACTION_PERMISSIONS[action]
            )
            for action, body in ACTION_BODIES.items()
        },
        ("POST", "/api/v1/arbiter/conflicts/"): Op(
            body=lambda w: {"organization": w.buyer_b.slug},
            probe=dispute_rows("conflicts"),
            writes=True,
            permission="disputes.declare_conflict",
        ),
        ("DELETE", "/api/v1/arbiter/conflicts/{conflict_id}/"): Op(
            probe=dispute_rows("conflicts"), writes=True, permission="disputes.remove_conflict"
        ),
    }
)
HTML.update(
    {
        ("POST", "/disputes/new/"): Op(body_as=file_form, probe=dispute_rows()),
        ("POST", "/disputes/<int:dispute_id>/<slug:action>/"): Op(
            body=lambda w: PAGE_ACTION_FORM, probe=dispute_rows()
        ),
        ("POST", "/disputes/conflicts/"): Op(
            body=lambda w: {"organization": w.buyer_b.slug, "note": ""}, probe=dispute_rows("conflicts")
        ),
        ("POST", "/disputes/conflicts/<int:conflict_id>/delete/"): Op(probe=dispute_rows("conflicts")),
    }
)
DISPUTE_INSIDERS = frozenset(
    {"vendor_a_owner", "vendor_a_member", "buyer_a_owner", "buyer_a_member", "arbiter", "staff"}
)
ARBITERS_AND_STAFF = frozenset({"arbiter", "staff"})
LEAKS.update(
    {
        ("api", "GET", "/api/v1/disputes/", DISPUTES_LISTED): (
            lambda w, r: w.disputes["awaiting"] in {item["id"] for item in _items(r)},
            DISPUTE_INSIDERS,
        ),
        ("html", "GET", "/disputes/", DISPUTES_LISTED): (
            lambda w, r: f'href="/disputes/{w.disputes["awaiting"]}/"' in r.content.decode(),
            DISPUTE_INSIDERS,
        ),
        ("api", "GET", "/api/v1/rulings/", RULINGS_LISTED): (  # a ruling of an open dispute is no precedent yet
            lambda w, r: _ruling_of(w, "ruled") in {item["id"] for item in _items(r)},
            DISPUTE_INSIDERS,
        ),
        ("api", "GET", "/api/v1/arbiter/queue/", QUEUE_LISTED): (
            lambda w, r: w.disputes["awaiting"] in {item["id"] for item in _items(r)},
            ARBITERS_AND_STAFF,
        ),
        ("html", "GET", "/disputes/queue/", QUEUE_LISTED): (
            lambda w, r: f'id="queue-{w.disputes["awaiting"]}"' in r.content.decode(),
            ARBITERS_AND_STAFF,
        ),
        ("api", "GET", "/api/v1/arbiter/conflicts/", CONFLICT): (
            lambda w, r: w.conflict in {item["id"] for item in _items(r)},
            ARBITERS_AND_STAFF,
        ),
    }
)


def test_closed_disputes_rulings_are_precedent_for_everyone(world: World, db: None) -> None:
    """Precedent answers 200 to all (the matrix): the closed dispute's ruling is listed for every caller, the
    ruling of a dispute still open (its appeal window over, not yet closed) for none outside it."""
    public, still_open = _ruling_of(world, "closed"), _ruling_of(world, "final")
    for role in ("anonymous", "buyer_b_owner", "vendor_b_owner", CI_TOKEN):
        api = APIClient()
        if role != "anonymous":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.bearer[role]}")
        ids = {item["id"] for item in _items(api.get("/api/v1/rulings/"))}
        assert public in ids and still_open not in ids, role


# --- access requests to restricted evidence (evidence.access_requests): Buyer A's requests about vendor A's agent,
# one in each state an action is tested in (built with the world) ------------------------------------------------

PENDING_REQUEST = "pending request of Buyer A"
APPROVED_REQUEST = "approved request of Buyer A"
NDA_REQUEST = "request of Buyer A approved with an NDA"
REVOKED_REQUEST = "revoked request of Buyer A"
REQUESTED_AGENT = "vendor A's agent (Buyer A has a pending request)"
REQUESTS_LISTED = "Buyer A's pending request (listed)"
MATRIX_NDA = "The recipient keeps the attestations confidential for three years."


def build_access_requests(w: World) -> None:
    """Buyer A asks four times: one approved (its access is the world's grant, which approval extends or reuses),
    one approved behind an NDA not yet accepted, one revoked, and one still pending (one pending at a time)."""
    from evidence import access_requests as access
    from evidence.models import AccessRequest

    owner, asker = w.users["vendor_a_owner"], w.users["buyer_a_member"]

    def ask(reason: str) -> AccessRequest:
        return access.access_request_create(user=asker, agent=w.agent, reason=reason)

    approved = access.access_request_approve(user=owner, access_request=ask("Pilot diligence."))
    nda = access.access_request_approve(user=owner, access_request=ask("Audit."), nda=MATRIX_NDA)
    revoked = access.access_request_approve(user=owner, access_request=ask("Renewal."))
    # Revoked without revoking the world's grant (which the approval reused): Buyer A keeps its active grant, so
    # every row about restricted evidence still sees the world the object column describes.
    AccessRequest.objects.filter(pk=revoked.pk).update(
        status=AccessRequest.Status.REVOKED, revoked_at=timezone.now(), revoked_by=owner
    )
    pending = ask("Security review before go-live.")
    w.access_requests = {"approved": approved.pk, "nda": nda.pk, "revoked": revoked.pk, "pending": pending.pk}
    states = {pk: AccessRequest.objects.get(pk=pk) for pk in w.access_requests.values()}
    assert [states[w.access_requests[k]].current_status for k in ("approved", "nda", "revoked", "pending")] == [
        "approved",
        "approved",
        "revoked",
        "pending",
    ]
    assert states[nda.pk].awaiting_nda and AccessGrant.objects.get(pk=w.grant.pk).is_active


def access_rows(*fields: str) -> Callable[[World], Any]:
    def probe(w: World) -> Any:
        from evidence.models import AccessGrant as Grant
        from evidence.models import AccessRequest, AccessRule

        if fields == ("rules",):
            return rows_of(AccessRule, "engaged_buyers", "email_domains", "expires_in_days", "nda")(w)
        requests = rows_of(AccessRequest, "status", "grant_id", "nda_accepted_at", "revoked_at", "denial_reason")(w)
        return requests, rows_of(Grant, "revoked_at", "expires_at")(w)

    return probe


OBJECTS.update(
    {
        REQUESTED_AGENT: lambda w: ({"slug": w.agent.slug}, {}),
        PENDING_REQUEST: lambda w: ({"request_id": w.access_requests["pending"]}, {}),
        APPROVED_REQUEST: lambda w: ({"request_id": w.access_requests["approved"]}, {}),
        NDA_REQUEST: lambda w: ({"request_id": w.access_requests["nda"]}, {}),
        REVOKED_REQUEST: lambda w: ({"request_id": w.access_requests["revoked"]}, {}),
        REQUESTS_LISTED: lambda w: ({}, {}),
    }
)
ACCESS_RULES = {"engaged_buyers": True, "email_domains": ["buyer-a.example"]}
REQUEST_REASON = {"reason": "Due diligence before our pilot."}
API.update(
    {
        ("POST", "/api/v1/agents/{slug}/access-requests/"): Op(
            body=lambda w: REQUEST_REASON, probe=access_rows(), writes=True, permission="evidence.request_access"
        ),
        ("POST", "/api/v1/access-requests/{request_id}/approve/"): Op(
            body=lambda w: {"expires_in_days": 30},
            probe=access_rows(),
            writes=True,
            permission="evidence.decide_access_request",
        ),
        ("POST", "/api/v1/access-requests/{request_id}/deny/"): Op(
            body=lambda w: {"reason": "Not before the contract is signed."},
            probe=access_rows(),
            writes=True,
            permission="evidence.decide_access_request",
        ),
        ("POST", "/api/v1/access-requests/{request_id}/revoke/"): Op(
            probe=access_rows(), writes=True, permission="evidence.decide_access_request"
        ),
        ("POST", "/api/v1/access-requests/{request_id}/reactivate/"): Op(
            body=lambda w: {"expires_in_days": 30},
            probe=access_rows(),
            writes=True,
            permission="evidence.decide_access_request",
        ),
        ("POST", "/api/v1/access-requests/{request_id}/accept-nda/"): Op(
            body=lambda w: {}, probe=access_rows(), writes=True, permission="evidence.accept_nda"
        ),
        ("GET", "/api/v1/agents/{slug}/access-rules/"): Op(permission="evidence.view_access_rules"),
        ("PUT", "/api/v1/agents/{slug}/access-rules/"): Op(
            body=lambda w: ACCESS_RULES,
            probe=access_rows("rules"),
            writes=True,
            permission="evidence.manage_access_rules",
        ),
        ("GET", "/api/v1/agents/{slug}/access-log/"): Op(permission="evidence.view_access_log"),
    }
)
HTML.update(
    {
        ("POST", "/agents/<slug:slug>/access-requests/"): Op(body=lambda w: REQUEST_REASON, probe=access_rows()),
        ("POST", "/agents/<slug:slug>/access-rules/"): Op(
            body=lambda w: {"expires_in_days": "30", "engaged_buyers": "on", "email_domains": "buyer-a.example"},
            probe=access_rows("rules"),
        ),
        ("POST", "/access-requests/<int:request_id>/approve/"): Op(
            body=lambda w: {"expires_in_days": "30"}, probe=access_rows()
        ),
        ("POST", "/access-requests/<int:request_id>/deny/"): Op(
            body=lambda w: {"reason": "Not before the contract is signed."}, probe=access_rows()
        ),
        ("POST", "/access-requests/<int:request_id>/revoke/"): Op(probe=access_rows()),
        ("POST", "/access-requests/<int:request_id>/reactivate/"): Op(
            body=lambda w: {"expires_in_days": "30"}, probe=access_rows()
        ),
        ("POST", "/access-requests/<int:request_id>/accept-nda/"): Op(
            body=lambda w: {"accept": "on", "nda_sha256": hashlib.sha256(MATRIX_NDA.encode()).hexdigest()},
            probe=access_rows(),
        ),
    }
)
REQUEST_READERS = frozenset({"vendor_a_owner", "vendor_a_member", "buyer_a_owner", "buyer_a_member", "staff"})
LEAKS.update(
    {
        ("api", "GET", "/api/v1/access-requests/", REQUESTS_LISTED): (
            lambda w, r: w.access_requests["pending"] in {item["id"] for item in _items(r)},
            REQUEST_READERS,
        ),
        ("html", "GET", "/access-requests/", REQUESTS_LISTED): (
            lambda w, r: "Security review before go-live." in r.content.decode(),
            REQUEST_READERS,
        ),
    }
)


# --- incidents: vendor A's incidents about its agent (built with the world; Buyer A engages the agent) ---------

OPEN_INCIDENT = "vendor A's open incident (private)"
PUBLIC_INCIDENT = "vendor A's public incident"
ANALYSING_INCIDENT = "vendor A's analysing incident with a broken assumption"
INCIDENT_NOTE = "vendor A's incident's note by vendor A's member"
INCIDENT_ACTION = "vendor A's open incident (private), action analyse"
INCIDENTS_LISTED = "vendor A's open incident (private, listed)"
INCIDENT_TITLE = "Refunds silently failed for a day"


def build_incidents(w: World) -> None:
    """Vendor A's member reports a private incident (and notes on it), its owner a public one; a third is being
    analysed, its postmortem naming the broken assumption (ready to close)."""
    from incidents import services as incident_services

    owner, colleague = w.users["vendor_a_owner"], w.users["vendor_a_member"]
    visible = timezone.now() - timedelta(hours=2)

    def report(user: User, title: str, **extra: Any) -> Any:
        return incident_services.incident_create(
            user=user,
            agent=w.agent,
            title=title,
            severity="major",
            visible_at=visible,
            detected_by="customer complaints",
            **extra,
        )

    private = report(colleague, INCIDENT_TITLE)
    public = report(owner, "Latency spike during the sale", public=True)
    analysing = report(colleague, "Duplicate refunds")
    incident_services.postmortem_write(
        user=colleague,
        incident=analysing,
        summary="A retry storm refunded twice.",
        broken_assumption="That the payment gateway's retries are idempotent.",
    )
    note = incident_services.note_add(user=colleague, incident=private, body="Support saw the first ticket at 09:12.")
    w.incidents = {"open": private.pk, "public": public.pk, "analysing": analysing.pk, "note": note.pk}


def incident_rows(*fields: str) -> Callable[[World], Any]:
    def probe(w: World) -> Any:
        from incidents.models import Incident, Postmortem, TimelineNote

        if fields == ("notes",):
            return rows_of(TimelineNote, "body", "at", "edited_at")(w)
        if fields == ("postmortem",):
            return rows_of(Postmortem, "summary", "broken_assumption")(w)
        return rows_of(
            Incident, "status", "public", "title", "signal_at", "signal_overridden", "signal_set_at", "updated_at"
        )(w)

    return probe


OBJECTS.update(
    {
        OPEN_INCIDENT: lambda w: ({"incident_id": w.incidents["open"]}, {}),
        PUBLIC_INCIDENT: lambda w: ({"incident_id": w.incidents["public"]}, {}),
        ANALYSING_INCIDENT: lambda w: ({"incident_id": w.incidents["analysing"]}, {}),
        INCIDENT_NOTE: lambda w: ({"incident_id": w.incidents["open"], "note_id": w.incidents["note"]}, {}),
        INCIDENT_ACTION: lambda w: ({"incident_id": w.incidents["open"], "action": "analyse"}, {}),
        INCIDENTS_LISTED: lambda w: ({}, {}),
    }
)


def incident_report(w: World) -> dict[str, Any]:
    return {
        "agent": w.agent.slug,
        "title": "Refunds refused for EU cards",
        "severity": "minor",
        "visible_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "detected_by": "a buyer's monitoring",
    }


SIGNAL = {
    "type": "other",
    "summary": "An alert on refund latency was muted",
    "justification": "The latency alert fired a day earlier and was muted by the on-call engineer.",
}
API.update(
    {
        ("POST", "/api/v1/incidents/"): Op(
            body=incident_report, probe=incident_rows(), writes=True, permission="incidents.create"
        ),
        ("PATCH", "/api/v1/incidents/{incident_id}/"): Op(
            body=lambda w: {"title": "Refunds silently failed for a day (corrected)"},
            probe=incident_rows(),
            writes=True,
            permission="incidents.analyse",
        ),
        ("POST", "/api/v1/incidents/{incident_id}/analyse/"): Op(
            probe=incident_rows(), writes=True, permission="incidents.analyse"
        ),
        ("POST", "/api/v1/incidents/{incident_id}/postmortem/"): Op(
            body=lambda w: {"summary": "The refund worker dropped errors.", "broken_assumption": "Errors are logged."},
            probe=incident_rows("postmortem"),
            writes=True,
            permission="incidents.analyse",
        ),
        ("POST", "/api/v1/incidents/{incident_id}/close/"): Op(
            body=lambda w: {"note": "remediated"}, probe=incident_rows(), writes=True, permission="incidents.close"
        ),
        ("POST", "/api/v1/incidents/{incident_id}/visibility/"): Op(
            body=lambda w: {"public": True}, probe=incident_rows(), writes=True, permission="incidents.publish"
        ),
        ("POST", "/api/v1/incidents/{incident_id}/first-missed-signal/"): Op(
            body=lambda w: {**SIGNAL, "at": (timezone.now() - timedelta(days=1)).isoformat()},
            probe=incident_rows(),
            writes=True,
            permission="incidents.analyse",
        ),
        ("POST", "/api/v1/incidents/{incident_id}/first-missed-signal/derive/"): Op(
            probe=incident_rows(), writes=True, permission="incidents.analyse"
        ),
        ("POST", "/api/v1/incidents/{incident_id}/notes/"): Op(
            body=lambda w: {"body": "Refunds resumed at 17:40."},
            probe=incident_rows("notes"),
            writes=True,
            permission="incidents.note",
        ),
        ("PATCH", "/api/v1/incidents/{incident_id}/notes/{note_id}/"): Op(
            body=lambda w: {"body": "Support saw the first ticket at 09:10."},
            probe=incident_rows("notes"),
            writes=True,
            permission="incidents.edit_note",
        ),
    }
)
HTML.update(
    {
        ("POST", "/incidents/new/"): Op(
            body=lambda w: {
                **incident_report(w),
                "visible_at": (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
                "lookback_days": "30",
            },
            probe=incident_rows(),
        ),
        ("POST", "/incidents/<int:incident_id>/postmortem/"): Op(
            body=lambda w: {
                "summary": "The refund worker dropped errors.",
                "broken_assumption": "Errors are logged.",
                "rem-TOTAL_FORMS": "0",
                "rem-INITIAL_FORMS": "0",
            },
            probe=incident_rows("postmortem"),
        ),
        ("POST", "/incidents/<int:incident_id>/notes/<int:note_id>/"): Op(
            body=lambda w: {"body": "Support saw the first ticket at 09:10."}, probe=incident_rows("notes")
        ),
        ("POST", "/incidents/<int:incident_id>/<slug:action>/"): Op(probe=incident_rows()),
    }
)
INCIDENT_READERS = frozenset({"vendor_a_owner", "vendor_a_member", "buyer_a_owner", "buyer_a_member", "staff"})
LEAKS.update(
    {
        ("api", "GET", "/api/v1/incidents/", INCIDENTS_LISTED): (
            lambda w, r: w.incidents["open"] in {item["id"] for item in _items(r)},
            INCIDENT_READERS,
        ),
        ("html", "GET", "/incidents/", INCIDENTS_LISTED): (
            lambda w, r: INCIDENT_TITLE in r.content.decode(),
            INCIDENT_READERS,
        ),
    }
)


# --- diligence reports (reputation.report, report_jobs): Buyer A's owner's PDF render jobs, one done and one failed
# (made in the cells that name them); a render queued in a cell never runs (its on-commit never comes) -----------

DONE_JOB = "Buyer A owner's report job (done)"
FAILED_JOB = "Buyer A owner's report job (failed)"
REPORT_AGENTS = "?agents=vendor A's agent"
COMPARED = "?agents=vendor A's agent and vendor B's agent"


def buyer_a_report_job(w: World, status: str) -> Any:
    from django.core.files.base import ContentFile

    from reputation.models import ReportJob

    job, made = ReportJob.objects.get_or_create(
        requester=w.users["buyer_a_owner"],
        agents=[w.agent.slug],
        status=status,
        defaults={"progress": 100 if status == "done" else 40, "twin": "{}", "error": "" if status == "done" else "X"},
    )
    if made and status == "done":
        job.file.save(f"matrix-{job.pk}.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=True)
    return job


def vendor_b_agent(w: World) -> Agent:
    found = Agent.objects.filter(slug="helix").first()
    return found or pact_services.agent_create(
        user=w.users["vendor_b_owner"], name="Helix", slug="helix", consequence_level="medium"
    )


def report_rows(w: World) -> Any:
    from reputation.models import ReportJob

    return rows_of(ReportJob, "status", "progress", "error")(w)


OBJECTS.update(
    {
        "Buyer A owner's report job": lambda w: ({"job_id": buyer_a_report_job(w, "done").pk}, {}),
        DONE_JOB: lambda w: ({"job_id": buyer_a_report_job(w, "done").pk}, {}),
        FAILED_JOB: lambda w: ({"job_id": buyer_a_report_job(w, "failed").pk}, {}),
        "vendor A's agent, ?format=pdf": lambda w: ({"slug": w.agent.slug}, {"format": "pdf"}),
        REPORT_AGENTS: lambda w: ({}, {"agents": w.agent.slug}),
        COMPARED: lambda w: ({}, {"agents": f"{w.agent.slug},{vendor_b_agent(w).slug}"}),
    }
)
API.update(
    {
        ("GET", "/api/v1/agents/{slug}/report/"): Op(probe=report_rows),
        ("POST", "/api/v1/reports/{job_id}/retry/"): Op(probe=report_rows, writes=True),
    }
)
HTML.update(
    {
        ("POST", "/agents/<slug:slug>/report/pdf/"): Op(probe=report_rows),
        ("POST", "/compare/report/pdf/"): Op(probe=report_rows),
        ("POST", "/reports/<int:job_id>/retry/"): Op(probe=report_rows),
    }
)


def _differs_from_anonymous(w: World, response: Any) -> bool:
    """True when the comparison differs from what an anonymous visitor is shown (public data only)."""
    anonymous = APIClient().get("/api/v1/compare/", {"agents": f"{w.agent.slug},{vendor_b_agent(w).slug}"})
    assert anonymous.status_code == 200, anonymous.content

    def strip(body: Any) -> Any:
        # the moments of the read itself (an agent never scored yet is in its first tier since "now")
        agents = [{k: v for k, v in agent.items() if k != "tier_since"} for agent in body["agents"]]
        return {**body, "agents": agents, "computed_at": None}

    return strip(json.loads(response.content)) != strip(json.loads(anonymous.content))


LEAKS.update({("api", "GET", "/api/v1/compare/", COMPARED): (_differs_from_anonymous, frozenset())})
LEAKS.update(
    {
        # restricted evidence is named in "withheld" for whoever may not see it, and for nobody else
        ("api", "GET", "/api/v1/agents/{slug}/report/", "vendor A's agent"): (
            lambda w, r: not json.loads(r.content)["withheld"],
            SEES_RESTRICTED,
        ),
    }
)


# --- trust after degradation and replays (incidents.degradation, incidents.replays): vendor A's owner's replay of
# the published pact's v1, run to done (built with the world; Buyer A engages the agent, from build_disputes).
# A replay requested in a cell stays queued (its task is queued on a commit that never comes) --------------------

DEGRADED_AGENT = "vendor A's agent (Buyer A engaging it)"
OWNERS_REPLAY = "vendor A owner's replay"
REPLAY_PUBLISHED = "vendor A's agent, published pact v1 (published)"
REPLAY_DRAFT = "vendor A's agent, published pact v2 (draft)"
REPLAY_POLICY = "vendor A's agent, Buyer A's policy"
REPLAY_PAGE_PUBLISHED = "vendor A's agent, subject=version:<published pact>/1"


def build_replays(w: World) -> None:
    from incidents import replays
    from incidents.models import Replay

    job = replays.replay_request(user=w.users["vendor_a_owner"], agent=w.agent, pact=w.published.pk, pact_version=1)
    assert replays.replay_run(replay_id=job.pk) == "done"
    assert Replay.objects.get(pk=job.pk).status == Replay.Status.DONE
    w.replay = job.pk


def replay_rows(w: World) -> Any:
    from incidents.models import Replay

    return rows_of(Replay, "requester_id", "agent_id", "status", "params")(w)


OBJECTS.update(
    {
        DEGRADED_AGENT: lambda w: ({"slug": w.agent.slug}, {}),
        OWNERS_REPLAY: lambda w: ({"replay_id": w.replay}, {}),
        REPLAY_PUBLISHED: lambda w: ({"slug": w.agent.slug}, {}),
        REPLAY_DRAFT: lambda w: ({"slug": w.agent.slug}, {}),
        REPLAY_POLICY: lambda w: ({"slug": w.agent.slug}, {}),
        REPLAY_PAGE_PUBLISHED: lambda w: ({"slug": w.agent.slug}, {}),
    }
)

REPLAY_API = "/api/v1/agents/{slug}/replay/"
API.update(
    {
        # the agent has several pacts: the published one is named (the first row's body; the others in BODIES)
        ("POST", REPLAY_API): Op(
            body=lambda w: {"pact": w.published.pk, "pact_version": 1},
            probe=replay_rows,
            writes=True,
            permission="incidents.replay",
        ),
        ("GET", "/api/v1/agents/{slug}/trust-after-degradation/"): Op(permission="incidents.view_degradation"),
    }
)
HTML.update(
    {
        ("POST", "/agents/<slug:slug>/replay/"): Op(
            body=lambda w: {"subject": f"version:{w.published.pk}/1"}, probe=replay_rows
        ),
    }
)
BODIES.update(
    {
        ("api", "POST", REPLAY_API, REPLAY_DRAFT): lambda w: {"pact": w.published.pk, "pact_version": 2},
        ("api", "POST", REPLAY_API, REPLAY_POLICY): lambda w: {"pact": w.published.pk, "policy": w.policy.pk},
    }
)
