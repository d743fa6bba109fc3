"""Reads never write: a GET of any page, log, proof, bundle or API route changes no table, signs nothing and
locks nothing, whoever asks (anonymous, the vendor, a buyer, a bearer token).

Every route comes from the URL resolver (a new route is covered the day it is added; one whose path
parameters this test cannot fill fails with its name). The world holds every kind of object: organizations,
members, an agent, a pact with superseded, published and draft versions, a draft-only pact, public,
restricted, signed, imported and attached evidence, a grant, tokens, a signing key, an invitation,
notifications, verdicts, an access policy, and a signed checkpoint with one record appended after it.

One GET writes by design, and is asked here without its query so that it answers 400: the decision endpoint
(``/api/v1/agents/{agent}/decision/?policy=ID``) appends every decision it makes to the decision log, as the
trust loop requires (tests/reputation/test_policies.py checks that append, and that it writes nothing else). It is built once for the
module inside a transaction that is rolled back at the end; each test runs in a savepoint of it.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from accounts.services import api_token_create, invitation_create
from evidence import services as evidence_services
from evidence.demo import PROMPTFOO_RESULTS
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1, SCHEDULER, refunds_v2, refunds_v3_loosened
from reputation.policies import policy_create
from tests.factories import accuracy_record, envelope, key_registration, member, wire_record
from transparency import log as tlog
from transparency.models import LogCheckpoint
from verdicts.evaluation import agent_evaluate

# Routes not requested, and why.
SKIPPED_PREFIXES = ("admin/",)  # the admin's pages need a staff user and are covered by the admin tests
REGEX_ROUTES = {"^api/": "/api/no-such-endpoint/"}  # the catch-all answers any other /api/ path (404)
WHO = ["anonymous", "vendor", "buyer", "vendor-token"]
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
LOCKS = re.compile(r"\bFOR (NO KEY )?UPDATE\b", re.IGNORECASE)
# What a GET may legitimately write, by who asks. A bearer token records when it was last used: an UPDATE of
# its row (no row is added, so the row counts below still must not move). Nothing else: the session row is
# written by force_login, before the counts are taken, and a GET that only reads the session never saves it.
ALLOWED_UPDATES = {"vendor-token": {"accounts_apitoken"}}
# A buyer's read of one restricted record (its page and API, its proof, its attachment) or of a bundle holding
# restricted records appends to the vendor's access log, by design (evidence.access_requests.access_log_write: who
# outside the vendor saw what; tests/evidence/test_access_requests.py checks that append). Exactly those reads, by
# exactly that reader, may insert into exactly that table.
ACCESS_LOG = "evidence_accesslogentry"
LOGGED_READS = {
    ("api/v1/evidence/<int:record_id>/", "restricted"),
    ("api/v1/evidence/<int:record_id>/proof/", "restricted"),
    ("evidence/<int:record_id>/", "restricted"),
    ("evidence/<int:record_id>/proof/", "restricted"),
    ("evidence/<int:record_id>/attachment/", "restricted"),
    ("api/v1/agents/<slug:slug>/bundle/", ""),
}


def allowed_writes(route: Route, chosen: dict[str, str], who: str) -> set[str]:
    allowed = set(ALLOWED_UPDATES.get(who, set()))
    if who == "buyer" and (route.pattern, chosen.get("record_id", "")) in LOGGED_READS:
        allowed.add(ACCESS_LOG)
    return allowed


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "api/v1/evidence/<int:record_id>/proof/"

    def parameters(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.pattern)


def routes() -> Iterator[Route]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if not route.startswith(SKIPPED_PREFIXES):
                    yield Route(route)

    yield from walk(get_resolver().url_patterns, "")


def route_is_regex(route: Route) -> bool:
    return route.pattern in REGEX_ROUTES


# Which values each path parameter takes: every variant is requested (a record newer than the checkpoint, a
# restricted one, a public one; a pact with a published version and a draft-only pact).
VARIANTS: dict[str, list[str]] = {
    "record_id": ["public", "restricted", "signed", "attached", "pending"],
    "pact_id": ["published", "draft_only"],
    "number": ["superseded", "published", "draft"],
    "replay_id": ["done", "queued"],
}


def cases() -> Iterator[Any]:
    for route in routes():
        names = [n for n in route.parameters() if n in VARIANTS]
        for combination in itertools.product(*(VARIANTS[n] for n in names)):
            chosen = dict(zip(names, combination, strict=True))
            if chosen.get("pact_id") == "draft_only" and chosen.get("number", "draft") != "draft":
                continue  # the draft-only pact has one version, a draft
            label = "-".join([route.pattern.strip("/") or "home", *combination])
            for who in WHO:
                if who == "vendor-token" and not route.pattern.startswith("api/"):
                    continue  # a bearer token authenticates API requests only: on a page it is anonymous
                yield pytest.param(route, chosen, who, id=f"{label}-{who}")


@dataclass
class World:
    users: dict[str, Any]
    token: str
    values: dict[str, Any]
    pending_record: int

    def url(self, route: Route, chosen: dict[str, str]) -> str:
        """The route's path with its parameters filled from this world (the chosen variant of each)."""
        if route_is_regex(route):
            return REGEX_ROUTES[route.pattern]

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            key = f"{name}:{chosen[name]}" if name in chosen else name
            if key not in self.values:
                pytest.fail(f"route {route.pattern!r} has a parameter {name!r} this test does not know how to fill")
            return str(self.values[key])

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route.pattern)


def build_world() -> World:
    vendor = member("vera-vendor", "Acme Agents", "vendor")
    colleague = member("mo-member", "Acme Agents", "vendor", role="member")
    buyer = member("bea-buyer", "Northwind Bank", "buyer")
    agent = pact_services.agent_create(user=vendor, name="Refund Bot", slug="refund-bot", consequence_level="high")
    pact_services.agent_follow(agent=agent, user=buyer)
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=copy.deepcopy(REFUNDS_V1))
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    v2 = pact_services.pact_version_create_draft(pact=pact, user=vendor, document=refunds_v2())
    pact_services.pact_version_publish(version=v2, user=vendor)  # v1 superseded; the follower is notified
    pact_services.pact_version_create_draft(pact=pact, user=vendor, document=refunds_v3_loosened())
    draft_only = pact_services.pact_create(
        agent=agent, user=vendor, title="Bookings", document=copy.deepcopy(SCHEDULER)
    )

    key = Ed25519PrivateKey.generate()
    vendor_key = evidence_services.vendor_key_register(user=vendor, **key_registration(vendor, key))
    issued = api_token_create(user=vendor, name="reader")
    evidence_services.ingest_token_create(user=vendor, name="ci", agents=[agent])
    grant = evidence_services.access_grant_create(
        agent=agent, organization=buyer.organization, user=vendor, expires_at=timezone.now() + timedelta(days=7)
    )
    invitation = invitation_create(user=vendor, organization=vendor.organization, note="a new colleague")

    def submit(*items: dict[str, Any]) -> int:
        return evidence_services.evidence_submit(agent=agent, items=list(items), user=vendor)[0].id  # type: ignore[no-any-return]

    attachment = {
        "filename": "chart.png",
        "content_type": "image/png",
        "data_base64": base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode(),
    }
    public = submit(wire_record(), wire_record(successes=50))
    restricted = submit(wire_record(visibility="restricted", successes=1))
    signed = submit(envelope(accuracy_record(), key))
    attached = submit(wire_record(attachment=attachment))
    submit(wire_record(successes=None, trials=None, metric="latency_ms", values=[900.0, 1200.0, 1450.0] * 50))
    evidence_services.evidence_import(
        agent=agent, data=PROMPTFOO_RESULTS.read_bytes(), fmt="promptfoo", user=vendor, filename="results.json"
    )
    agent_evaluate(agent_id=agent.pk)
    checkpoint = tlog.checkpoint_sign()
    pending = submit(wire_record(successes=40))  # newer than the latest checkpoint: its proof is pending
    agent_evaluate(agent_id=agent.pk)

    from reputation.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        organization=buyer.organization,
        url="https://hooks.example.com/",
        events=["tier.changed"],
        secret="whsec_" + "A" * 32,
        created_by=buyer,
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, msg_id="msg_reads", event_type="tier.changed", payload={}, status="failed"
    )
    policy = policy_create(user=buyer, organization=buyer.organization, name="P", rules={"min_tier": "probation"})

    values = {
        "policy_id": policy.pk,
        "slug": agent.slug,
        "pact_id:published": pact.pk,
        "pact_id:draft_only": draft_only.pk,
        "number:superseded": 1,
        "number:published": 2,
        "number:draft": 3,
        "clause_id": "resolution-rate",
        "record_id:public": public,
        "record_id:restricted": restricted,
        "record_id:signed": signed,
        "record_id:attached": attached,
        "record_id:pending": pending,
        "grant_id": grant.pk,
        "token_id": issued.token.pk,
        "key_id": vendor_key.key_id,
        "size": checkpoint.size,
        "membership_id": colleague.membership.pk,
        "invitation_id": invitation.invitation.pk,
        "secret": invitation.secret,
        "webhook_id": endpoint.pk,
        "delivery_id": delivery.pk,
    }
    values.update(ledger_values(buyer=buyer, agent=agent, pact=pact))
    values.update(new_feature_values(vendor=vendor, colleague=colleague, buyer=buyer, agent=agent))
    values.update(replay_values(vendor=vendor, buyer=buyer, agent=agent, pact=pact))
    return World(
        users={"vendor": vendor, "buyer": buyer}, token=issued.plaintext, values=values, pending_record=pending
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Built once; rolled back when the module is done (each test's own transaction is a savepoint of this one)."""
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    media.disable()


def row_counts() -> dict[str, int]:
    """The number of rows of every table in the database, by name (auto-created m2m tables included)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        # One query for all of them (table names come from the schema, not from input).
        cursor.execute(" UNION ALL ".join(f"SELECT %s, COUNT(*) FROM {quote(table)}" for table in tables), tables)
        return dict(cursor.fetchall())


def client_for(world: World, who: str) -> Client:
    if who == "anonymous":
        return Client()
    if who == "vendor-token":
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.token}")
    client = Client()
    client.force_login(world.users[who])  # writes the session row now, before anything is counted
    return client


def written_tables(queries: list[dict[str, Any]]) -> set[str]:
    tables = set()
    for query in queries:
        if WRITES.match(query["sql"]):
            found = re.search(r'(?:INTO|UPDATE|FROM|TABLE)\s+["`]?(\w+)', query["sql"], re.IGNORECASE)
            tables.add(found.group(1) if found else query["sql"][:80])
    return tables


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "chosen", "who"), list(cases()))
def test_a_get_changes_no_table(world: World, route: Route, chosen: dict[str, str], who: str) -> None:
    client = client_for(world, who)
    url = world.url(route, chosen)
    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    after = row_counts()
    assert response.status_code < 500, (url, response.status_code)
    allowed = allowed_writes(route, chosen, who)
    changed = {
        table: (before[table], after.get(table))
        for table in before
        if before[table] != after.get(table) and not (table == ACCESS_LOG and table in allowed)
    }
    assert not changed, f"GET {url} as {who} changed row counts: {changed}"
    assert set(after) == set(before), f"GET {url} as {who} created or dropped tables"
    unexpected = written_tables(queries.captured_queries) - allowed
    assert not unexpected, f"GET {url} as {who} wrote to {sorted(unexpected)}"
    locks = [q["sql"][:120] for q in queries.captured_queries if LOCKS.search(q["sql"])]
    assert not locks, f"GET {url} as {who} locked rows: {locks}"


def test_every_route_is_requested() -> None:
    """The routes this module requests are all the resolver knows, less the admin (a guard on the enumeration)."""
    requested = {case.values[0].pattern for case in cases()}
    assert requested == {route.pattern for route in routes()}
    for must in ("api/v1/log/", "api/v1/evidence/<int:record_id>/proof/", "api/v1/agents/<slug:slug>/bundle/", "log/"):
        assert must in requested


@pytest.mark.django_db
def test_the_proof_of_a_record_newer_than_the_checkpoint_is_pending_and_signs_nothing(world: World) -> None:
    checkpoints, latest = LogCheckpoint.objects.count(), tlog.checkpoint_latest()
    response = Client().get(f"/api/v1/evidence/{world.pending_record}/proof/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert response.json()["leaf_index"] >= latest.size  # the checkpoint does not cover it
    assert LogCheckpoint.objects.count() == checkpoints
    assert tlog.checkpoint_latest() == latest


@pytest.mark.django_db
def test_the_proof_page_of_a_record_newer_than_the_checkpoint_says_pending_and_signs_nothing(world: World) -> None:
    checkpoints = LogCheckpoint.objects.count()
    response = Client().get(f"/evidence/{world.pending_record}/proof/")
    assert response.status_code == 200
    assert "pending" in response.content.decode().lower()
    assert LogCheckpoint.objects.count() == checkpoints


def test_regex_and_route_patterns_are_the_only_kinds() -> None:
    """The enumeration reads RoutePattern and RegexPattern; anything else would be silently misread."""

    def kinds(patterns: list[Any]) -> Iterator[type]:
        for entry in patterns:
            yield type(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from kinds(entry.url_patterns)

    assert set(kinds(get_resolver().url_patterns)) <= {RoutePattern, RegexPattern}
    regex_routes = {r.pattern for r in routes() if r.pattern.startswith("^")}
    assert regex_routes <= set(REGEX_ROUTES)


def ledger_values(*, buyer: Any, agent: Any, pact: Any) -> dict[str, int]:
    """Northwind engages the agent, and holds an owed service credit: the engagement and ledger pages' ids."""
    from reputation.engagements import engagement_start
    from reputation.models import LedgerEntry
    from verdicts.models import Verdict

    engagement = engagement_start(
        user=buyer, agent=agent, monthly_fee="1200.00", currency="EUR", starts_on=timezone.localdate()
    )
    entry = LedgerEntry.objects.create(
        agent=agent,
        buyer=buyer.organization,
        engagement=engagement,
        verdict=Verdict.objects.filter(pact=pact).first(),
        clause_id="resolution-rate",
        percent="10",
        amount="120.00",
        currency="EUR",
        status=LedgerEntry.Status.OWED,
        cure_ends_at=timezone.now() - timedelta(days=1),
    )
    return {"engagement_id": engagement.pk, "entry_id": entry.pk}


def new_feature_values(*, vendor: Any, colleague: Any, buyer: Any, agent: Any) -> dict[str, Any]:
    """Northwind's pending access request, an incident of the vendor with a note on it, a PDF render job of the
    buyer's (failed), and its dispute: the access-request, incident, report and dispute pages' ids."""
    from evidence.access_requests import access_request_create
    from incidents.services import incident_create, note_add
    from reputation.models import ReportJob

    request = access_request_create(user=buyer, agent=agent, reason="Diligence before the pilot.")
    incident = incident_create(
        user=colleague,
        agent=agent,
        title="Refunds silently failed",
        severity="major",
        visible_at=timezone.now() - timedelta(hours=2),
        detected_by="customer complaints",
    )
    note = note_add(user=colleague, incident=incident, body="Support saw the first ticket at 09:12.")
    job = ReportJob.objects.create(requester=buyer, agents=[agent.slug], status=ReportJob.Status.FAILED, error="X")
    return {
        **dispute_values(buyer=buyer, agent=agent),
        "request_id": request.pk,
        "incident_id": incident.pk,
        "note_id": note.pk,
        "action": "analyse",  # a POST-only route: a GET is refused (405) and writes nothing
        "job_id": job.pk,
    }


def dispute_values(*, buyer: Any, agent: Any) -> dict[str, int]:
    """Northwind (engaging the agent) disputes a verdict, with an attachment; an arbiter declares a conflict."""
    import base64 as b64

    from disputes.conflicts import conflict_declare
    from disputes.filing import dispute_file
    from disputes.models import SubmissionAttachment
    from tests.factories import UserFactory
    from verdicts.models import Verdict

    verdict = Verdict.objects.filter(agent=agent, is_current=True).order_by("pk").first()
    dispute = dispute_file(
        user=buyer,
        agent=agent,
        subject={"type": "verdict", "id": verdict.pk},
        claim_type="breach_not_recorded",
        requested_remedy="Record the breach.",
        statement="Our own logs show failures the telemetry missed.",
        attachments=[
            {
                "filename": "logs.txt",
                "content_type": "text/plain",
                "data_base64": b64.b64encode(b"request logs").decode(),
            }
        ],
    )
    arbiter = UserFactory(username="reads-arbiter", is_arbiter=True)
    conflict = conflict_declare(user=arbiter, organization=buyer.organization.slug, note="a former employer")
    attachment = SubmissionAttachment.objects.get(submission__dispute=dispute)
    return {"dispute_id": dispute.pk, "attachment_id": attachment.pk, "conflict_id": conflict.pk}


def replay_values(*, vendor: Any, buyer: Any, agent: Any, pact: Any) -> dict[str, int]:
    """A replay of the published version the vendor requested and ran (done: its page draws the chart) and one the
    buyer requested, still queued (its page polls): the replay pages' and API's ids. Each reader reads its own."""
    from incidents import replays

    done = replays.replay_request(user=vendor, agent=agent, pact=pact.pk, pact_version=2)
    assert replays.replay_run(replay_id=done.pk) == "done"
    queued = replays.replay_request(user=buyer, agent=agent, pact=pact.pk, pact_version=2)
    return {"replay_id:done": done.pk, "replay_id:queued": queued.pk}
