"""Access requests to restricted evidence (issue 13, point 4): a buyer asks, the vendor's owners approve (with a term
and an optional NDA the buyer accepts by clickwrap), deny, revoke and reactivate; auto-approval rules; the access
log; the expiry reminder; and expiry enforced on every read path (time-machine).

Services, the API (through DRF's client, with bearer tokens) and the pages (through Django's client).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification, User
from evidence import access_requests as access
from evidence import hooks, services
from evidence.models import AccessGrant, AccessLogEntry, AccessRequest, AccessRequestEvent, EvidenceRecord
from evidence.tasks import remind_expiring_grants
from pacts.models import Agent
from tests.factories import member
from transparency import log as tlog
from trust_portal.errors import Forbidden, NotFound
from verdicts.bundle import bundle_build
from verdicts.evaluation import agent_evaluate

NDA = "Recipient keeps the attestations confidential for two years.\nNo copies outside the diligence team."

# --- the cast and the world ---------------------------------------------------------------------------------------


@pytest.fixture
def vendor_member(vendor: User) -> User:
    return member("mo-member", "Acme Agents", "vendor", role="member")


@pytest.fixture
def buyer_member(buyer: User) -> User:
    return member("ben-buyer", "Northwind Bank", "buyer", role="member")


@pytest.fixture
def buyer_b(db: None) -> User:
    return member("cleo-contoso", "Contoso Retail", "buyer")


@pytest.fixture
def cast(
    vendor: User,
    vendor_member: User,
    vendor_b: User,
    buyer: User,
    buyer_member: User,
    buyer_b: User,
    arbiter: User,
    staff: User,
    outsider: User,
) -> dict[str, User]:
    return {
        "vendor_owner": vendor,
        "vendor_member": vendor_member,
        "vendor_b_owner": vendor_b,
        "buyer_owner": buyer,
        "buyer_member": buyer_member,
        "buyer_b_owner": buyer_b,
        "arbiter": arbiter,
        "staff": staff,
        "outsider": outsider,
    }


@pytest.fixture
def restricted(agent: Agent, vendor: User, wire: Callable[..., dict[str, Any]]) -> EvidenceRecord:
    stored = services.evidence_submit(agent=agent, items=[wire(visibility="restricted")], user=vendor, batch=False)[0]
    return EvidenceRecord.objects.get(pk=stored.id)


@pytest.fixture
def api() -> Callable[[User], APIClient]:
    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def web() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def ask(user: User, agent: Agent, reason: str = "Diligence before our pilot.") -> AccessRequest:
    return access.access_request_create(user=user, agent=agent, reason=reason)


def in_state(state: str, *, agent: Agent, buyer: User, vendor: User) -> AccessRequest:
    """A request of the buyer's organization in ``state`` (``awaiting_nda``: approved with an NDA not accepted)."""
    made = ask(buyer, agent)
    if state == "pending":
        return made
    if state == "denied":
        return access.access_request_deny(user=vendor, access_request=made, reason="Not now.")
    made = access.access_request_approve(
        user=vendor, access_request=made, expires_in_days=30, nda=NDA if state == "awaiting_nda" else ""
    )
    if state in ("approved", "awaiting_nda"):
        return made
    if state == "revoked":
        return access.access_request_revoke(user=vendor, access_request=made)
    raise AssertionError(state)


def sees(user: User, record: EvidenceRecord) -> bool:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/evidence/{record.pk}/").status_code == 200  # type: ignore[no-any-return]


# --- the request and its decisions (services) ----------------------------------------------------------------


def test_a_buyer_request_is_pending_and_tells_the_vendor_owners(
    agent: Agent, buyer: User, vendor: User, vendor_member: User
) -> None:
    made = ask(buyer, agent, "  We need the auditor's attestations.  ")
    assert (made.status, made.current_status, made.reason) == (
        "pending",
        "pending",
        "We need the auditor's attestations.",
    )
    assert made.grant is None
    assert list(Notification.objects.filter(kind="access.requested").values_list("recipient__username", flat=True)) == [
        vendor.username
    ]  # owners decide, so owners are told; not the member
    assert list(made.events.values_list("from_status", "to_status")) == [("", "pending")]


def test_approval_opens_a_grant_for_the_term_and_the_buyer_sees_restricted_evidence(
    agent: Agent, buyer: User, buyer_member: User, vendor: User, restricted: EvidenceRecord
) -> None:
    assert not sees(buyer, restricted)
    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        approved = access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=12)
    assert approved.current_status == "approved" and approved.is_active
    assert approved.grant is not None and approved.grant.expires_at == moment + timedelta(days=12)
    assert approved.grant.granted_by == vendor
    assert sees(buyer, restricted) and sees(buyer_member, restricted)  # the organization's access
    assert Notification.objects.filter(kind="access.approved", recipient=buyer).count() == 1


def test_an_approval_extends_the_active_grant_instead_of_adding_one(agent: Agent, buyer: User, vendor: User) -> None:
    first = access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=5)
    assert first.grant is not None
    AccessGrant.objects.filter(pk=first.grant_id).update(expiry_reminded_at=timezone.now())
    second = access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=60)
    assert second.grant_id == first.grant_id
    grant = AccessGrant.objects.get(pk=first.grant_id)
    assert grant.expires_at is not None and grant.expires_at > timezone.now() + timedelta(days=59)
    assert grant.expiry_reminded_at is None  # the new expiry will be announced in its turn
    assert AccessGrant.objects.filter(agent=agent).count() == 1


def test_deny_records_the_reason_and_opens_nothing(
    agent: Agent, buyer: User, vendor: User, restricted: EvidenceRecord
) -> None:
    denied = access.access_request_deny(user=vendor, access_request=ask(buyer, agent), reason="Sign our MSA first.")
    assert (denied.current_status, denied.denial_reason, denied.decided_by) == ("denied", "Sign our MSA first.", vendor)
    assert not sees(buyer, restricted)
    assert not AccessGrant.objects.exists()
    assert list(denied.events.values_list("to_status", "note")) == [
        ("pending", "Diligence before our pilot."),
        ("denied", "Sign our MSA first."),
    ]


def test_a_second_pending_request_of_the_same_organization_is_refused(
    agent: Agent, buyer: User, buyer_member: User
) -> None:
    ask(buyer, agent)
    with pytest.raises(access.AccessRequestPending):
        ask(buyer_member, agent)
    assert AccessRequest.objects.count() == 1


def test_revoke_ends_access_at_once_and_reactivate_gives_a_fresh_term(
    agent: Agent, buyer: User, vendor: User, restricted: EvidenceRecord
) -> None:
    approved = in_state("approved", agent=agent, buyer=buyer, vendor=vendor)
    revoked = access.access_request_revoke(user=vendor, access_request=approved)
    assert revoked.current_status == "revoked" and revoked.revoked_by == vendor
    assert AccessGrant.objects.get(pk=approved.grant_id).revoked_at is not None
    assert not sees(buyer, restricted)
    moment = timezone.now() + timedelta(hours=1)
    with time_machine.travel(moment, tick=False):
        again = access.access_request_reactivate(user=vendor, access_request=revoked, expires_in_days=90)
    assert again.current_status == "approved" and again.grant_id != approved.grant_id
    assert again.grant is not None and again.grant.expires_at == moment + timedelta(days=90)
    assert sees(buyer, restricted)
    assert list(again.events.values_list("from_status", "to_status"))[-2:] == [
        ("approved", "revoked"),
        ("revoked", "approved"),
    ]


def test_a_grant_revoked_on_the_grant_page_shows_the_request_revoked(agent: Agent, buyer: User, vendor: User) -> None:
    approved = in_state("approved", agent=agent, buyer=buyer, vendor=vendor)
    assert approved.grant is not None
    services.access_grant_revoke(grant=approved.grant, user=vendor)
    assert access.access_request_get(user=buyer, request_id=approved.pk).current_status == "revoked"
    assert list(access.access_request_list(user=vendor, status="revoked")) == [approved]


def test_an_expired_request_is_expired_and_reactivates(
    agent: Agent, buyer: User, vendor: User, restricted: EvidenceRecord
) -> None:
    approved = access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=3)
    with time_machine.travel(timezone.now() + timedelta(days=3, seconds=1)):
        found = access.access_request_get(user=buyer, request_id=approved.pk)
        assert found.current_status == "expired" and not found.is_active
        assert list(access.access_request_list(user=buyer, status="expired")) == [found]
        assert list(access.access_request_list(user=buyer, status="approved")) == []
        with pytest.raises(access.AccessRequestStateConflict, match="expired"):
            access.access_request_revoke(user=vendor, access_request=found)
        again = access.access_request_reactivate(user=vendor, access_request=found, expires_in_days=30)
        assert again.current_status == "approved" and sees(buyer, restricted)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("denied", "approve"),
        ("approved", "approve"),
        ("approved", "deny"),
        ("pending", "revoke"),
        ("denied", "revoke"),
        ("revoked", "revoke"),
        ("pending", "reactivate"),
        ("approved", "reactivate"),
        ("denied", "reactivate"),
        ("awaiting_nda", "reactivate"),
        ("pending", "accept-nda"),
        ("approved", "accept-nda"),  # no NDA to accept
        ("revoked", "accept-nda"),
    ],
)
def test_a_transition_the_state_does_not_allow_is_a_409_naming_the_state(
    state: str, action: str, agent: Agent, buyer: User, vendor: User, api: Callable[[User], APIClient]
) -> None:
    made = in_state(state, agent=agent, buyer=buyer, vendor=vendor)
    actor = buyer if action == "accept-nda" else vendor
    events = AccessRequestEvent.objects.count()
    response = api(actor).post(f"/api/v1/access-requests/{made.pk}/{action}/", {"reason": "x"}, format="json")
    assert response.status_code == 409, response.json()
    current = made.current_status
    assert response.json()["errors"][0] == {"field": "status", "message": current, "code": current}
    assert AccessRequestEvent.objects.count() == events


# --- who may do what (API) ---------------------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "vendor_owner",
    "vendor_member",
    "vendor_b_owner",
    "buyer_owner",
    "buyer_member",
    "buyer_b_owner",
    "arbiter",
    "staff",
    "outsider",
]
# (action, state it is tried in, body) -> status per role
TRANSITIONS: dict[tuple[str, str], list[int]] = {
    #                      anon vo   vm   vbo  bo   bm   bbo  arb  staff out
    ("approve", "pending"): [401, 200, 403, 404, 403, 403, 404, 404, 403, 404],
    ("deny", "pending"): [401, 200, 403, 404, 403, 403, 404, 404, 403, 404],
    ("revoke", "approved"): [401, 200, 403, 404, 403, 403, 404, 404, 403, 404],
    ("reactivate", "revoked"): [401, 200, 403, 404, 403, 403, 404, 404, 403, 404],
    ("accept-nda", "awaiting_nda"): [401, 403, 403, 404, 200, 200, 404, 404, 403, 404],
    ("detail", "pending"): [401, 200, 200, 404, 200, 200, 404, 404, 200, 404],
}
BODIES = {"approve": {"expires_in_days": 30}, "deny": {"reason": "Not now."}, "reactivate": {}, "accept-nda": {}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "state"), list(TRANSITIONS))
def test_every_transition_is_allowed_or_refused_per_role(
    action: str, state: str, role: str, cast: dict[str, User], agent: Agent
) -> None:
    made = in_state(state, agent=agent, buyer=cast["buyer_owner"], vendor=cast["vendor_owner"])
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(cast[role])
    before = (AccessRequest.objects.get(pk=made.pk).status, AccessRequestEvent.objects.count())
    if action == "detail":
        response = client.get(f"/api/v1/access-requests/{made.pk}/")
    else:
        response = client.post(f"/api/v1/access-requests/{made.pk}/{action}/", BODIES.get(action, {}), format="json")
    expected = TRANSITIONS[(action, state)][ROLES.index(role)]
    assert response.status_code == expected, (role, response.json())
    if expected >= 400:
        assert (AccessRequest.objects.get(pk=made.pk).status, AccessRequestEvent.objects.count()) == before
    elif action != "detail":
        assert AccessRequestEvent.objects.count() == before[1] + 1


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("vendor_owner", 403),
        ("vendor_member", 403),
        ("vendor_b_owner", 403),
        ("buyer_owner", 201),
        ("buyer_member", 201),
        ("buyer_b_owner", 201),
        ("arbiter", 403),
        ("staff", 403),
        ("outsider", 403),
    ],
)
def test_only_buyers_request_access(role: str, expected: int, cast: dict[str, User], agent: Agent) -> None:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(cast[role])
    response = client.post(f"/api/v1/agents/{agent.slug}/access-requests/", {"reason": "Diligence."}, format="json")
    assert response.status_code == expected, response.json()
    if expected == 201:
        body = response.json()
        assert body["status"] == "pending" and body["agent"] == agent.slug and body["reason"] == "Diligence."
        assert body["organization"] == cast[role].organization.slug  # type: ignore[union-attr]
    else:
        assert not AccessRequest.objects.exists()


def test_an_agent_scoped_token_requests_and_decides_nothing(
    agent: Agent, vendor: User, buyer: User, bearer: Callable[..., APIClient]
) -> None:
    issued = services.ingest_token_create(user=vendor, name="ci", agents=[agent])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    made = ask(buyer, agent)
    assert client.get(f"/api/v1/access-requests/{made.pk}/").status_code == 404
    assert client.get("/api/v1/access-requests/").json()["results"] == []
    assert client.post(f"/api/v1/access-requests/{made.pk}/approve/", {}, format="json").status_code == 403
    assert client.get(f"/api/v1/agents/{agent.slug}/access-log/").status_code == 403


def test_the_list_shows_a_buyer_its_own_and_a_vendor_its_incoming(
    cast: dict[str, User], agent: Agent, api: Callable[[User], APIClient]
) -> None:
    other_agent = Agent.objects.create(organization=cast["vendor_b_owner"].organization, name="Helix", slug="helix")
    mine = ask(cast["buyer_owner"], agent)
    theirs = ask(cast["buyer_b_owner"], agent)
    elsewhere = ask(cast["buyer_owner"], other_agent)

    def ids(role: str, query: str = "") -> set[int]:
        return {r["id"] for r in api(cast[role]).get(f"/api/v1/access-requests/{query}").json()["results"]}

    assert ids("buyer_member") == {mine.pk, elsewhere.pk}
    assert ids("buyer_b_owner") == {theirs.pk}
    assert ids("vendor_member") == {mine.pk, theirs.pk}
    assert ids("vendor_b_owner") == {elsewhere.pk}
    assert ids("staff") == {mine.pk, theirs.pk, elsewhere.pk}  # read-only, as staff see every grant
    assert ids("arbiter") == ids("outsider") == set()
    assert ids("buyer_owner", f"?agent={agent.slug}") == {mine.pk}
    access.access_request_approve(user=cast["vendor_owner"], access_request=mine)
    assert ids("vendor_owner", "?status=pending") == {theirs.pk}
    assert ids("vendor_owner", "?status=approved") == {mine.pk}


def test_the_detail_carries_the_audit_trail_and_the_callers_actions(
    agent: Agent, buyer: User, vendor: User, vendor_member: User, api: Callable[[User], APIClient]
) -> None:
    made = ask(buyer, agent)
    assert api(vendor).get(f"/api/v1/access-requests/{made.pk}/").json()["actions"] == ["approve", "deny"]
    assert api(vendor_member).get(f"/api/v1/access-requests/{made.pk}/").json()["actions"] == []
    response = api(vendor).post(
        f"/api/v1/access-requests/{made.pk}/approve/", {"expires_in_days": 7, "nda": NDA}, format="json"
    )
    body = response.json()
    assert response.status_code == 200 and body["status"] == "approved" and body["active"] is False
    assert body["nda"]["required"] is True and body["nda"]["sha256"] == hashlib.sha256(NDA.encode()).hexdigest()
    assert [(e["from"], e["to"], e["actor"]) for e in body["events"]] == [
        ("", "pending", buyer.username),
        ("pending", "approved", vendor.username),
    ]
    assert api(buyer).get(f"/api/v1/access-requests/{made.pk}/").json()["actions"] == ["accept-nda"]


# --- the NDA clickwrap ------------------------------------------------------------------------------------------


def test_an_nda_keeps_access_closed_until_the_buyer_accepts_and_the_acceptance_is_recorded(
    agent: Agent, buyer: User, buyer_member: User, vendor: User, restricted: EvidenceRecord
) -> None:
    made = in_state("awaiting_nda", agent=agent, buyer=buyer, vendor=vendor)
    assert made.grant is None and not sees(buyer, restricted)
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    client.force_authenticate(buyer_member)
    moment = timezone.now().replace(microsecond=0) + timedelta(days=2)
    with time_machine.travel(moment, tick=False):
        response = client.post(f"/api/v1/access-requests/{made.pk}/accept-nda/", {}, format="json")
    assert response.status_code == 200, response.json()
    nda = response.json()["nda"]
    assert nda["accepted_by"] == buyer_member.username
    assert nda["accepted_address"] == "203.0.113.9"
    assert nda["sha256"] == hashlib.sha256(NDA.encode("utf-8")).hexdigest()
    stored = AccessRequest.objects.select_related("grant").get(pk=made.pk)
    assert stored.nda_accepted_at == moment and stored.nda_accepted_by == buyer_member
    assert stored.grant is not None and stored.grant.expires_at == moment + timedelta(days=30)  # the term starts now
    assert sees(buyer, restricted)
    assert Notification.objects.filter(kind="access.nda_accepted", recipient=vendor).count() == 1


def test_accepting_an_nda_other_than_the_one_read_is_refused(
    agent: Agent, buyer: User, vendor: User, api: Callable[[User], APIClient]
) -> None:
    made = in_state("awaiting_nda", agent=agent, buyer=buyer, vendor=vendor)
    response = api(buyer).post(
        f"/api/v1/access-requests/{made.pk}/accept-nda/", {"nda_sha256": "0" * 64}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "nda_sha256"
    assert AccessRequest.objects.get(pk=made.pk).nda_accepted_at is None


def test_an_nda_accepted_before_stays_accepted_when_reactivated(
    agent: Agent, buyer: User, vendor: User, restricted: EvidenceRecord
) -> None:
    made = in_state("awaiting_nda", agent=agent, buyer=buyer, vendor=vendor)
    made = access.access_request_accept_nda(user=buyer, access_request=made, address="198.51.100.1")
    revoked = access.access_request_revoke(user=vendor, access_request=made)
    again = access.access_request_reactivate(user=vendor, access_request=revoked)
    assert again.is_active and again.nda_accepted_by == buyer and sees(buyer, restricted)


def test_a_request_revoked_before_its_nda_was_accepted_waits_for_the_nda_again(
    agent: Agent, buyer: User, vendor: User, restricted: EvidenceRecord
) -> None:
    revoked = access.access_request_revoke(
        user=vendor, access_request=in_state("awaiting_nda", agent=agent, buyer=buyer, vendor=vendor)
    )
    again = access.access_request_reactivate(user=vendor, access_request=revoked)
    assert again.awaiting_nda and again.grant is None and not sees(buyer, restricted)


# --- auto-approval ------------------------------------------------------------------------------------------------


def test_reputation_fills_the_engaged_hook() -> None:
    from reputation.apps import is_engaged

    assert is_engaged in hooks.engaged


def test_an_engaged_buyer_is_approved_automatically(
    published_pact: Any, agent: Agent, buyer: User, vendor: User, restricted: EvidenceRecord
) -> None:
    from reputation.engagements import engagement_start

    access.access_rule_set(user=vendor, agent=agent, engaged_buyers=True, email_domains=[], expires_in_days=14)
    assert ask(buyer, agent).current_status == "pending"  # not engaged yet
    engagement_start(user=buyer, agent=agent, monthly_fee="1200.00", currency="EUR", starts_on=timezone.localdate())
    access.access_request_deny(user=vendor, access_request=AccessRequest.objects.get(), reason="Engage first.")
    made = ask(buyer, agent)
    assert (made.current_status, made.auto_rule, made.decided_by) == ("approved", "engaged_buyers", vendor)
    assert made.grant is not None and made.grant.expires_at is not None
    assert made.grant.expires_at - timezone.now() > timedelta(days=13)
    assert sees(buyer, restricted)
    assert made.events.last().actor is None  # type: ignore[union-attr]  # the rules decided


def test_buyers_whose_members_are_all_on_a_listed_domain_are_approved_automatically(
    agent: Agent, buyer: User, buyer_member: User, vendor: User
) -> None:
    access.access_rule_set(user=vendor, agent=agent, engaged_buyers=False, email_domains=["@Northwind.Example"])
    User.objects.filter(pk__in=[buyer.pk, buyer_member.pk]).update(email="someone@northwind.example")
    User.objects.filter(pk=buyer_member.pk).update(email="ben@gmail.example")
    assert ask(buyer, agent).current_status == "pending"  # one member is not on the list
    AccessRequest.objects.filter(status="pending").delete()
    User.objects.filter(pk=buyer_member.pk).update(email="ben@NORTHWIND.example")
    made = ask(buyer, agent)
    assert (made.current_status, made.auto_rule) == ("approved", "email_domain")


def test_an_automatic_approval_with_an_nda_waits_for_the_clickwrap(agent: Agent, buyer: User, vendor: User) -> None:
    User.objects.filter(pk=buyer.pk).update(email="bea@northwind.example")
    access.access_rule_set(user=vendor, agent=agent, engaged_buyers=False, email_domains=["northwind.example"], nda=NDA)
    made = ask(buyer, agent)
    assert made.current_status == "approved" and made.awaiting_nda and made.grant is None


def test_the_rules_over_the_api(
    agent: Agent, vendor: User, vendor_member: User, buyer: User, api: Callable[[User], APIClient]
) -> None:
    url = f"/api/v1/agents/{agent.slug}/access-rules/"
    assert api(vendor_member).get(url).json() == {
        "agent": agent.slug,
        "engaged_buyers": False,
        "email_domains": [],
        "expires_in_days": 30,
        "nda": "",
        "updated_at": None,
        "updated_by": None,
    }
    body = {"engaged_buyers": True, "email_domains": ["northwind.example", "NORTHWIND.example"], "expires_in_days": 45}
    response = api(vendor).put(url, body, format="json")
    assert response.status_code == 200
    assert (
        response.json()["email_domains"] == ["northwind.example"] and response.json()["updated_by"] == vendor.username
    )
    assert api(vendor_member).put(url, body, format="json").status_code == 403
    assert api(buyer).get(url).status_code == 403
    assert api(buyer).put(url, body, format="json").status_code == 403
    assert APIClient().get(url).status_code == 401


# --- hostile input: 400 naming the field --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": 42}, "reason"),
        ({"reason": ["a"]}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
    ],
)
def test_a_bad_request_body_is_a_400_naming_the_field(
    body: dict[str, Any], field: str, agent: Agent, buyer: User, api: Callable[[User], APIClient]
) -> None:
    response = api(buyer).post(f"/api/v1/agents/{agent.slug}/access-requests/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("approve", {"expires_in_days": 0}, "expires_in_days"),
        ("approve", {"expires_in_days": 366}, "expires_in_days"),
        ("approve", {"expires_in_days": "30"}, "expires_in_days"),
        ("approve", {"expires_in_days": 30.5}, "expires_in_days"),
        ("approve", {"expires_in_days": True}, "expires_in_days"),
        ("approve", {"expires_in_days": 2**70}, "expires_in_days"),
        ("approve", {"nda": 7}, "nda"),
        ("approve", {"nda": "x" * 20_001}, "nda"),
        ("deny", {}, "reason"),
        ("deny", {"reason": ""}, "reason"),
        ("deny", {"reason": None}, "reason"),
    ],
)
def test_a_bad_decision_body_is_a_400_naming_the_field_and_changes_nothing(
    action: str,
    body: dict[str, Any],
    field: str,
    agent: Agent,
    buyer: User,
    vendor: User,
    api: Callable[[User], APIClient],
) -> None:
    made = ask(buyer, agent)
    response = api(vendor).post(f"/api/v1/access-requests/{made.pk}/{action}/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert AccessRequest.objects.get(pk=made.pk).status == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email_domains": "northwind.example"}, "email_domains"),
        ({"email_domains": ["ok.example", "not a domain"]}, "email_domains.1"),
        ({"email_domains": ["*.example"]}, "email_domains.0"),
        ({"email_domains": ["a@b.example"]}, "email_domains.0"),
        ({"email_domains": [f"d{i}.example" for i in range(51)]}, "email_domains"),
        ({"engaged_buyers": "yes"}, "engaged_buyers"),
        ({"engaged_buyers": 1}, "engaged_buyers"),
        ({"expires_in_days": 0}, "expires_in_days"),
    ],
)
def test_bad_rules_are_a_400_naming_the_field(
    body: dict[str, Any], field: str, agent: Agent, vendor: User, api: Callable[[User], APIClient]
) -> None:
    response = api(vendor).put(f"/api/v1/agents/{agent.slug}/access-rules/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("query", ["status=open", "status=", "agent=%00", "agent=a%20b"])
def test_a_bad_list_filter_is_a_400_naming_it(query: str, buyer: User, api: Callable[[User], APIClient]) -> None:
    response = api(buyer).get(f"/api/v1/access-requests/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


# --- the reminder -------------------------------------------------------------------------------------------------


def test_the_vendor_owners_are_reminded_once_of_a_grant_expiring_within_7_days(
    agent: Agent, buyer: User, vendor: User, vendor_member: User
) -> None:
    soon = access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=10)
    assert remind_expiring_grants.delay().get() == 0  # 10 days away
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert remind_expiring_grants.delay().get() == 1
        assert remind_expiring_grants.delay().get() == 0  # once per grant
    reminders = Notification.objects.filter(kind="access.expiring")
    assert list(reminders.values_list("recipient__username", flat=True)) == [vendor.username]
    assert "Northwind Bank" in reminders.get().title
    assert soon.grant is not None  # an extension announces its new expiry in its turn:
    access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=30)
    with time_machine.travel(timezone.now() + timedelta(days=25)):
        assert remind_expiring_grants.delay().get() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert remind_expiring_grants.delay().get() == 0  # expired: nothing to remind of
    assert reminders.count() == 2


def test_revoked_and_unlimited_grants_are_not_reminded(agent: Agent, buyer: User, buyer_b: User, vendor: User) -> None:
    services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)  # type: ignore[arg-type]
    grant = services.access_grant_create(
        agent=agent,
        organization=buyer_b.organization,  # type: ignore[arg-type]
        user=vendor,
        expires_at=timezone.now() + timedelta(days=2),
    )
    services.access_grant_revoke(grant=grant, user=vendor)
    assert access.access_grants_remind_expiring() == 0


# --- the access log ---------------------------------------------------------------------------------------------


@pytest.fixture
def granted(agent: Agent, buyer: User, vendor: User) -> AccessRequest:
    return in_state("approved", agent=agent, buyer=buyer, vendor=vendor)


@pytest.fixture
def logged(published_pact: Any, restricted: EvidenceRecord) -> EvidenceRecord:
    tlog.checkpoint_sign()
    return restricted


def test_opening_a_restricted_record_is_logged_once_per_request(
    granted: AccessRequest,
    logged: EvidenceRecord,
    buyer: User,
    buyer_member: User,
    web: Callable[[User], Client],
    api: Callable[[User], APIClient],
) -> None:
    assert web(buyer).get(f"/evidence/{logged.pk}/").status_code == 200
    assert api(buyer_member).get(f"/api/v1/evidence/{logged.pk}/").status_code == 200
    assert api(buyer).get(f"/api/v1/evidence/{logged.pk}/proof/").status_code == 200
    assert web(buyer).get(f"/evidence/{logged.pk}/proof/").status_code == 200
    entries = list(
        AccessLogEntry.objects.order_by("id").values_list("user__username", "organization__slug", "record_id", "via")
    )
    assert entries == [
        (buyer.username, "northwind-bank", logged.pk, "record"),
        (buyer_member.username, "northwind-bank", logged.pk, "record"),
        (buyer.username, "northwind-bank", logged.pk, "record"),
        (buyer.username, "northwind-bank", logged.pk, "record"),
    ]


def test_the_vendor_itself_and_public_records_and_lists_are_not_logged(
    granted: AccessRequest,
    logged: EvidenceRecord,
    record: EvidenceRecord,
    agent: Agent,
    vendor: User,
    vendor_member: User,
    buyer: User,
    web: Callable[[User], Client],
    api: Callable[[User], APIClient],
) -> None:
    assert web(vendor_member).get(f"/evidence/{logged.pk}/").status_code == 200
    assert api(vendor).get(f"/api/v1/evidence/{logged.pk}/").status_code == 200
    assert web(buyer).get(f"/evidence/{record.pk}/").status_code == 200  # public
    assert web(buyer).get(f"/agents/{agent.slug}/evidence/").status_code == 200  # a list
    assert api(buyer).get(f"/api/v1/agents/{agent.slug}/evidence/").status_code == 200
    assert not AccessLogEntry.objects.exists()


def test_a_bundle_logs_its_restricted_records_in_one_insert(
    granted: AccessRequest, logged: EvidenceRecord, record: EvidenceRecord, agent: Agent, buyer: User, vendor: User
) -> None:
    tlog.checkpoint_sign()  # covers the public record too
    bundle = bundle_build(user=buyer, agent=agent)
    ids = [r["id"] for r in bundle["records"]]
    assert logged.pk in ids and record.pk in ids
    with CaptureQueriesContext(connection) as queries:
        assert access.access_log_write(user=buyer, agent=agent, record_ids=ids, via="bundle") == 1
    assert sum(q["sql"].lstrip().upper().startswith("INSERT") for q in queries.captured_queries) == 1
    assert list(AccessLogEntry.objects.values_list("record_id", "via")) == [(logged.pk, "bundle")]
    assert access.access_log_write(user=vendor, agent=agent, record_ids=ids, via="bundle") == 0


def test_the_vendor_reads_the_access_log_and_nobody_else_does(
    granted: AccessRequest,
    logged: EvidenceRecord,
    agent: Agent,
    buyer: User,
    vendor_member: User,
    vendor_b: User,
    staff: User,
    web: Callable[[User], Client],
    api: Callable[[User], APIClient],
) -> None:
    api(buyer).get(f"/api/v1/evidence/{logged.pk}/")
    body = api(vendor_member).get(f"/api/v1/agents/{agent.slug}/access-log/").json()
    assert [(e["user"], e["organization"], e["record"], e["via"]) for e in body["results"]] == [
        (buyer.username, "northwind-bank", logged.pk, "record")
    ]
    for outsider in (buyer, vendor_b, staff):
        assert api(outsider).get(f"/api/v1/agents/{agent.slug}/access-log/").status_code == 403
        assert web(outsider).get(f"/agents/{agent.slug}/access-log/").status_code == 403
    page = web(vendor_member).get(f"/agents/{agent.slug}/access-log/")
    assert page.status_code == 200 and buyer.username in page.content.decode()


# --- expiry is enforced everywhere ------------------------------------------------------------------------------


@pytest.fixture
def expiring(published_pact: Any, agent: Agent, buyer: User, vendor: User, wire: Callable[..., Any]) -> dict[str, Any]:
    """Restricted evidence behind the pact's resolution-rate clause (with an attachment), evaluated and logged;
    the buyer's approved access lasts 2 days."""
    attachment = {"filename": "audit.txt", "content_type": "text/plain", "data_base64": "YXVkaXQgbm90ZXM="}
    stored = services.evidence_submit(
        agent=agent,
        items=[wire(visibility="restricted", successes=195, trials=200, attachment=attachment)],
        user=vendor,
        batch=False,
    )[0]
    agent_evaluate(agent_id=agent.pk)
    tlog.checkpoint_sign()
    granted = access.access_request_approve(user=vendor, access_request=ask(buyer, agent), expires_in_days=2)
    return {"record": stored.id, "request": granted.pk, "pact": published_pact.pk}


def _reads(buyer: User, agent: Agent, world: dict[str, Any]) -> dict[str, Any]:
    """What the buyer sees of the restricted record on every read path."""
    record, pact = world["record"], world["pact"]
    web, api = Client(), APIClient()
    web.force_login(buyer)
    api.force_authenticate(buyer)
    clause = web.get(f"/agents/{agent.slug}/clauses/{pact}/resolution-rate/")
    verdicts = api.get(f"/api/v1/agents/{agent.slug}/verdicts/").json()["results"]
    resolution = next(v for v in verdicts if v["clause_id"] == "resolution-rate")
    bundle = api.get(f"/api/v1/agents/{agent.slug}/bundle/").json()
    figure = clause.context["figure"]
    return {
        "record page": web.get(f"/evidence/{record}/").status_code,
        "record api": api.get(f"/api/v1/evidence/{record}/").status_code,
        "attachment": web.get(f"/evidence/{record}/attachment/").status_code,
        "proof api": api.get(f"/api/v1/evidence/{record}/proof/").status_code,
        "proof page": web.get(f"/evidence/{record}/proof/").status_code,
        "evidence list api": record
        in [r["id"] for r in api.get(f"/api/v1/agents/{agent.slug}/evidence/").json()["results"]],
        "evidence page": f"/evidence/{record}/" in web.get(f"/agents/{agent.slug}/evidence/").content.decode(),
        "clause page lists it": f"/evidence/{record}/" in clause.content.decode(),
        "chart has values": any(trace.get("y") for trace in figure["data"] if trace.get("name") == "measured"),
        "verdict measured": resolution["measured"] is not None,
        "bundle has it": record in [r["id"] for r in bundle["records"]],
        "bundle scope": bundle["scope"],
        "request status": api.get(f"/api/v1/access-requests/{world['request']}/").json()["status"],
        "panel": "access-active" in web.get(f"/agents/{agent.slug}/").content.decode(),
    }


def test_expiry_is_enforced_on_every_page_api_bundle_and_chart(
    expiring: dict[str, Any], agent: Agent, buyer: User
) -> None:
    assert _reads(buyer, agent, expiring) == {
        "record page": 200,
        "record api": 200,
        "attachment": 200,
        "proof api": 200,
        "proof page": 200,
        "evidence list api": True,
        "evidence page": True,
        "clause page lists it": True,
        "chart has values": True,
        "verdict measured": True,
        "bundle has it": True,
        "bundle scope": "all records, restricted included",
        "request status": "approved",
        "panel": True,
    }
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        assert _reads(buyer, agent, expiring) == {
            "record page": 404,
            "record api": 404,
            "attachment": 404,
            "proof api": 404,
            "proof page": 404,
            "evidence list api": False,
            "evidence page": False,
            "clause page lists it": False,
            "chart has values": False,
            "verdict measured": False,
            "bundle has it": False,
            "bundle scope": "public records only",
            "request status": "expired",
            "panel": False,
        }


# --- pages ----------------------------------------------------------------------------------------------------------


def test_the_agent_page_offers_buyers_a_request_and_the_vendor_its_pending_count(
    agent: Agent, buyer: User, vendor_member: User, arbiter: User, web: Callable[[User], Client]
) -> None:
    page = web(buyer).get(f"/agents/{agent.slug}/").content.decode()
    assert 'data-testid="request-access"' in page and "Request access to restricted evidence" in page
    response = web(buyer).post(f"/agents/{agent.slug}/access-requests/", {"reason": "Pilot diligence."})
    assert response.status_code == 302 and response["Location"] == "/access-requests/"
    assert AccessRequest.objects.get().reason == "Pilot diligence."
    page = web(buyer).get(f"/agents/{agent.slug}/").content.decode()
    assert 'data-testid="access-pending"' in page and 'data-testid="request-access"' not in page
    vendor_page = web(vendor_member).get(f"/agents/{agent.slug}/").content.decode()
    assert "1 pending access request" in vendor_page
    assert 'data-testid="access-panel"' not in web(arbiter).get(f"/agents/{agent.slug}/").content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [("vendor_owner", 403), ("vendor_member", 403), ("arbiter", 403), ("staff", 403), ("buyer_b_owner", 302)],
)
def test_the_request_page_action_is_for_buyers(
    role: str, expected: int, cast: dict[str, User], agent: Agent, web: Callable[[User], Client]
) -> None:
    response = web(cast[role]).post(f"/agents/{agent.slug}/access-requests/", {"reason": "Diligence."})
    assert response.status_code == expected
    assert Client().post(f"/agents/{agent.slug}/access-requests/", {"reason": "x"}).status_code == 302  # to sign in
    assert AccessRequest.objects.count() == (1 if expected == 302 else 0)


def test_a_request_page_without_a_reason_is_a_400_naming_it(
    agent: Agent, buyer: User, web: Callable[[User], Client]
) -> None:
    response = web(buyer).post(f"/agents/{agent.slug}/access-requests/", {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.content.decode().lower() and 'data-testid="retry-request"' in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_the_vendor_page_lists_pending_first_and_decides(
    agent: Agent, buyer: User, buyer_b: User, vendor: User, web: Callable[[User], Client]
) -> None:
    older = in_state("approved", agent=agent, buyer=buyer, vendor=vendor)
    newer_pending = ask(buyer_b, agent)
    client = web(vendor)
    page = client.get("/access-requests/")
    rows = [r.pk for r in page.context["page"].object_list]
    assert page.status_code == 200 and rows == [newer_pending.pk, older.pk]
    assert 'data-testid="approve-form"' in page.content.decode()
    response = client.post(f"/access-requests/{newer_pending.pk}/approve/", {"expires_in_days": "45", "nda": ""})
    assert response.status_code == 302
    assert AccessRequest.objects.get(pk=newer_pending.pk).current_status == "approved"
    response = client.post(f"/access-requests/{older.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-testid="reactivate-form"' in response.content.decode()
    response = client.post(f"/access-requests/{older.pk}/reactivate/", {"expires_in_days": "400"})
    assert response.status_code == 400 and "Access for (days)" in response.content.decode()
    assert AccessRequest.objects.get(pk=older.pk).current_status == "revoked"
    assert client.post(f"/access-requests/{older.pk}/reactivate/", {"expires_in_days": "5"}).status_code == 302
    assert AccessRequest.objects.get(pk=older.pk).current_status == "approved"


def test_a_deny_without_a_reason_on_the_page_is_a_400_and_a_refused_state_a_message(
    agent: Agent, buyer: User, vendor: User, web: Callable[[User], Client]
) -> None:
    made = ask(buyer, agent)
    client = web(vendor)
    response = client.post(f"/access-requests/{made.pk}/deny/", {"reason": ""})
    assert response.status_code == 400 and 'data-testid="row-error"' in response.content.decode()
    assert client.post(f"/access-requests/{made.pk}/deny/", {"reason": "No."}).status_code == 302
    response = client.post(f"/access-requests/{made.pk}/approve/", {"expires_in_days": "30"}, follow=True)
    assert "Cannot approve a request that is denied." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "action", "expected"),
    [
        ("vendor_member", "approve", 403),
        ("buyer_owner", "approve", 403),
        ("buyer_b_owner", "approve", 404),
        ("staff", "deny", 403),
        ("arbiter", "revoke", 404),
        ("vendor_owner", "accept-nda", 403),
    ],
)
def test_page_decisions_are_refused_to_who_may_not_make_them(
    role: str, action: str, expected: int, cast: dict[str, User], agent: Agent, web: Callable[[User], Client]
) -> None:
    made = ask(cast["buyer_owner"], agent)
    response = web(cast[role]).post(f"/access-requests/{made.pk}/{action}/", {"reason": "x", "expires_in_days": "3"})
    assert response.status_code == expected
    assert AccessRequest.objects.get(pk=made.pk).status == "pending"


def test_the_buyer_page_shows_the_nda_and_records_the_clickwrap(
    agent: Agent, buyer: User, vendor: User, web: Callable[[User], Client], restricted: EvidenceRecord
) -> None:
    made = in_state("awaiting_nda", agent=agent, buyer=buyer, vendor=vendor)
    client = web(buyer)
    page = client.get("/access-requests/").content.decode()
    assert 'data-testid="nda-clickwrap"' in page and "Recipient keeps the attestations confidential" in page
    assert "I accept" in page
    sha = hashlib.sha256(NDA.encode()).hexdigest()
    response = client.post(f"/access-requests/{made.pk}/accept-nda/", {"nda_sha256": sha})  # box not ticked
    assert response.status_code == 400 and "I accept" in response.content.decode()
    assert AccessRequest.objects.get(pk=made.pk).nda_accepted_at is None
    response = client.post(
        f"/access-requests/{made.pk}/accept-nda/", {"nda_sha256": sha, "accept": "on"}, REMOTE_ADDR="192.0.2.44"
    )
    assert response.status_code == 302
    stored = AccessRequest.objects.get(pk=made.pk)
    assert (stored.nda_accepted_by, stored.nda_accepted_address, stored.nda_sha256) == (buyer, "192.0.2.44", sha)
    assert sees(buyer, restricted)
    assert 'data-testid="nda-record"' in client.get("/access-requests/").content.decode()


def test_the_requests_page_is_for_buyers_and_vendors(cast: dict[str, User], web: Callable[[User], Client]) -> None:
    for role in ("buyer_owner", "buyer_member", "vendor_owner", "vendor_member", "staff"):
        assert web(cast[role]).get("/access-requests/").status_code == 200
    for role in ("arbiter", "outsider"):
        assert web(cast[role]).get("/access-requests/").status_code == 403
    assert Client().get("/access-requests/").status_code == 302
    assert web(cast["buyer_owner"]).get("/access-requests/?status=nope").status_code == 400


def test_the_rules_page_shows_members_the_rules_and_owners_change_them(
    agent: Agent, vendor: User, vendor_member: User, buyer: User, web: Callable[[User], Client]
) -> None:
    url = f"/agents/{agent.slug}/access-rules/"
    form = {"engaged_buyers": "on", "email_domains": "northwind.example\ncontoso.example", "expires_in_days": "20"}
    assert web(vendor).post(url, form).status_code == 302
    rule = agent.access_rule  # type: ignore[attr-defined]
    rule.refresh_from_db()
    assert (rule.engaged_buyers, rule.email_domains, rule.expires_in_days) == (
        True,
        ["northwind.example", "contoso.example"],
        20,
    )
    page = web(vendor_member).get(url)
    assert (
        page.status_code == 200
        and "contoso.example" in page.content.decode()
        and "Save rules" not in page.content.decode()
    )
    assert web(vendor_member).post(url, form).status_code == 403
    assert web(buyer).get(url).status_code == 403
    bad = web(vendor).post(url, {**form, "email_domains": "northwind.example\nnot a domain"})
    assert bad.status_code == 400 and "not a domain" in bad.content.decode()


def test_the_vendor_list_page_runs_a_constant_number_of_queries(
    agent: Agent, vendor: User, web: Callable[[User], Client]
) -> None:
    client = web(vendor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/access-requests/").status_code == 200
        return len(queries.captured_queries)

    ask(member("b1", "Buyer One", "buyer"), agent)
    one = count()
    for index in range(2, 6):
        made = ask(member(f"b{index}", f"Buyer {index}", "buyer"), agent)
        access.access_request_approve(user=vendor, access_request=made, nda=NDA if index % 2 else "")
    assert count() == one


def test_the_api_list_runs_a_constant_number_of_queries(
    agent: Agent, vendor: User, api: Callable[[User], APIClient]
) -> None:
    client = api(vendor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/access-requests/").status_code == 200
        return len(queries.captured_queries)

    ask(member("b1", "Buyer One", "buyer"), agent)
    one = count()
    for index in range(2, 6):
        ask(member(f"b{index}", f"Buyer {index}", "buyer"), agent)
    assert count() == one


def test_services_check_permissions_themselves(agent: Agent, buyer: User, vendor_member: User, vendor_b: User) -> None:
    made = ask(buyer, agent)
    with pytest.raises(Forbidden):
        access.access_request_approve(user=vendor_member, access_request=made)
    with pytest.raises(NotFound):
        access.access_request_deny(user=vendor_b, access_request=made, reason="x")
    with pytest.raises(Forbidden):
        access.access_request_create(user=vendor_member, agent=agent, reason="x")


@pytest.mark.django_db(transaction=True)
def test_racing_decisions_on_one_request_have_exactly_one_effect(
    postgres: None, agent: Agent, buyer: User, vendor: User
) -> None:
    """Six owners' clicks at once, approve and deny mixed: one wins, the others are 409s naming its state."""
    import threading

    made = ask(buyer, agent)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def hit(index: int) -> None:
        client = APIClient()
        client.force_authenticate(vendor)
        barrier.wait()
        action, body = ("approve", {"expires_in_days": 30}) if index % 2 else ("deny", {"reason": "No."})
        statuses.append(client.post(f"/api/v1/access-requests/{made.pk}/{action}/", body, format="json").status_code)
        connection.close()

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409, 409, 409]
    assert AccessRequestEvent.objects.filter(request=made).count() == 2  # requested, then one decision
    assert AccessGrant.objects.count() == (1 if AccessRequest.objects.get().status == "approved" else 0)


def test_the_admin_lists_requests_and_the_access_log(admin_client: Client, agent: Agent, buyer: User) -> None:
    ask(buyer, agent)
    assert admin_client.get("/admin/evidence/accessrequest/").status_code == 200
    assert admin_client.get("/admin/evidence/accesslogentry/").status_code == 200


def test_downloading_the_bundle_writes_the_access_log(
    granted: AccessRequest, logged: EvidenceRecord, agent: Agent, buyer: User, api: Callable[[User], APIClient]
) -> None:
    tlog.checkpoint_sign()
    assert api(buyer).get(f"/api/v1/agents/{agent.slug}/bundle/").status_code == 200
    assert list(AccessLogEntry.objects.values_list("record_id", "via")) == [(logged.pk, "bundle")]


def test_staff_read_every_request_and_decide_none(
    agent: Agent,
    buyer: User,
    buyer_b: User,
    staff: User,
    api: Callable[[User], APIClient],
    web: Callable[[User], Client],
) -> None:
    """Staff see access requests read-only, as they see every grant: the list, the detail (with no actions) and the
    page; every decision is a 403 that leaves the request as it was."""
    mine, theirs = ask(buyer, agent), ask(buyer_b, agent)
    client = api(staff)
    assert {r["id"] for r in client.get("/api/v1/access-requests/").json()["results"]} == {mine.pk, theirs.pk}
    detail = client.get(f"/api/v1/access-requests/{mine.pk}/")
    assert detail.status_code == 200 and detail.json()["actions"] == []
    for action, body in (("approve", {"expires_in_days": 30}), ("deny", {"reason": "No."}), ("accept-nda", {})):
        assert client.post(f"/api/v1/access-requests/{mine.pk}/{action}/", body, format="json").status_code == 403
        assert web(staff).post(f"/access-requests/{mine.pk}/{action}/", {"reason": "No."}).status_code == 403
    page = web(staff).get("/access-requests/")
    assert page.status_code == 200 and 'data-testid="approve-form"' not in page.content.decode()
    assert {r.pk for r in page.context["page"].object_list} == {mine.pk, theirs.pk}
    assert (
        AccessRequest.objects.get(pk=mine.pk).status == "pending"
        and not AccessRequestEvent.objects.filter(actor=staff).exists()
    )
