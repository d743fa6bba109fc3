"""The directory that ranks by trust: the later apps' columns (tier, score and bound, clause summary, freshest
evidence, open disputes) through ``pacts.hooks.directory_columns``, their filters and sorts on the page and the
API, "allowed by my policy", and a query count that does not grow with agents or evidence."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evidence import services as evidence_services
from evidence.models import EvidenceRecord, Kind, Visibility
from pacts import hooks
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent
from reputation import policies
from reputation.models import Reputation
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db


# --- cheap bulk data (shared with tests/reputation/test_compare.py) -------------------------------------------


def bulk_agents(organization, count: int, *, start: int = 0, pact=None) -> list[Agent]:
    """``count`` agents in two statements each with a reputation; with ``pact``, a current verdict each (clause
    ids differ, so each agent has its own current row under the shared pact)."""
    agents = Agent.objects.bulk_create(
        [
            Agent(organization=organization, name=f"Bulk {i:05d}", slug=f"bulk-{i:05d}")
            for i in range(start, start + count)
        ]
    )
    agents = list(Agent.objects.filter(slug__in=[a.slug for a in agents]))
    tiers = ["trusted", "standard", "probation", "unverified", "suspended"]
    Reputation.objects.bulk_create(
        [
            Reputation(agent=a, score=40 + (i % 60), lower_bound=30 + (i % 60), tier=tiers[i % 5], algorithm="test")
            for i, a in enumerate(agents)
        ]
    )
    if pact is not None:
        version = pact.versions.get(number=1)
        now = timezone.now()
        statuses = ["met", "breached", "stale", "met"]
        Verdict.objects.bulk_create(
            [
                Verdict(
                    agent=a,
                    pact=pact,
                    pact_version=version,
                    clause_id=f"c-{a.pk}",
                    status=statuses[i % 4],
                    disputed=i % 7 == 0,
                    measured=0.9,
                    threshold=0.92,
                    comparator=">=",
                    min_samples=1,
                    window_start=now - timedelta(days=30),
                    window_end=now,
                    freshest_at=now,
                )
                for i, a in enumerate(agents)
            ]
        )
    return agents


def bulk_evidence(agent: Agent, count: int, *, batch: int = 5000) -> None:
    """``count`` public records of the agent, inserted in batches (no log leaves, no buckets: read-side tests)."""
    now = timezone.now()
    digest = hashlib.sha256(str(agent.pk).encode()).hexdigest()
    for first in range(0, count, batch):
        EvidenceRecord.objects.bulk_create(
            [
                EvidenceRecord(
                    agent=agent,
                    kind=Kind.TELEMETRY,
                    metric="task_success",
                    successes=9,
                    trials=10,
                    sample_count=10,
                    observed_from=now - timedelta(minutes=n + 5),
                    observed_to=now - timedelta(minutes=n),
                    visibility=Visibility.PUBLIC if n % 5 else Visibility.RESTRICTED,
                    canonical_hash=digest,
                )
                for n in range(first, min(count, first + batch))
            ],
            batch_size=1000,
        )


def bulk_history(
    verdict: Verdict,
    *,
    count: int,
    days: int,
    now: datetime,
    dip_at: datetime | None = None,
    dip: float = 0.0,
) -> None:
    """``count`` past verdicts of the clause of ``verdict`` spread evenly over ``days`` (one near ``dip_at`` at
    ``dip``, the rest between 0.93 and 0.97)."""
    step = timedelta(days=days) / count
    rows = []
    for n in range(count):
        at = now - timedelta(days=days) + step * n
        near_dip = dip_at is not None and abs((at - dip_at).total_seconds()) < step.total_seconds() / 2
        rows.append(
            Verdict(
                agent_id=verdict.agent_id,
                pact_id=verdict.pact_id,
                pact_version_id=verdict.pact_version_id,
                clause_id=verdict.clause_id,
                status="breached" if near_dip else "met",
                measured=dip if near_dip else 0.93 + (n % 5) / 100,
                threshold=verdict.threshold,
                comparator=verdict.comparator,
                min_samples=1,
                window_start=at - timedelta(days=30),
                window_end=at,
                computed_at=at,
                is_current=False,
            )
        )
    Verdict.objects.bulk_create(rows, batch_size=2000)


# --- fixtures --------------------------------------------------------------------------------------------------


def _publish(agent, vendor, threshold=0.9):
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(threshold=threshold, min_samples=1, max_evidence_age_days=3)
    document["obligations"] = [clause]
    pact = pact_services.pact_create(agent=agent, user=vendor, title=f"{agent.name} pact", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    return pact


@pytest.fixture
def ranked(agent, vendor, wire):
    """refund-bot meets its clause (0.95), code-reviewer breaches it (0.50)."""
    second = pact_services.agent_create(user=vendor, name="Code Reviewer", slug="code-reviewer")
    pacts = {}
    for who, successes in ((agent, 95), (second, 50)):
        pacts[who.slug] = _publish(who, vendor)
        evidence_services.evidence_submit(agent=who, items=[wire(successes=successes, trials=100)], user=vendor)
        agent_evaluate(agent_id=who.pk)
    return {"refund-bot": agent, "code-reviewer": second, "pacts": pacts}


@pytest.fixture
def buyer2(db):
    from tests.factories import member

    return member("gil-globex", "Globex Retail", "buyer")


def _slugs(response) -> list[str]:
    return [a["slug"] for a in response.json()["results"]]


# --- the hook --------------------------------------------------------------------------------------------------


def test_three_later_apps_fill_the_directory_hook() -> None:
    assert [p.name for p in hooks.directory_columns] == ["verdicts", "reputation", "disputes"]
    columns = {c.name for p in hooks.directory_columns for c in p.columns}
    assert {"tier", "score", "bound", "met", "breached", "stale", "disputed", "fresh", "disputes"} <= columns
    assert {f.name for p in hooks.directory_columns for f in p.filters} == {
        "tier",
        "policy",
        "clauses",
        "fresh_within_days",
        "max_open_disputes",
    }


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_lists_every_agent_with_its_trust_columns(ranked, api_client) -> None:
    results = {a["slug"]: a for a in api_client.get("/api/v1/agents/").json()["results"]}
    refund, reviewer = results["refund-bot"], results["code-reviewer"]
    for entry in (refund, reviewer):
        assert {"slug", "vendor", "tier", "score", "lower_bound", "consequence_level", "open_disputes"} <= set(entry)
        assert {"clauses_met", "clauses_breached", "clauses_stale", "clauses_disputed", "freshest_evidence_at"} <= set(
            entry
        )
    assert (refund["clauses_met"], refund["clauses_breached"]) == (1, 0)
    assert (reviewer["clauses_met"], reviewer["clauses_breached"]) == (0, 1)
    assert refund["freshest_evidence_at"] is not None and refund["open_disputes"] == 0
    assert refund["tier"] == Reputation.objects.get(agent=ranked["refund-bot"]).tier


def test_the_api_filters_by_tier_clauses_freshness_and_disputes(ranked, api_client) -> None:
    Reputation.objects.filter(agent=ranked["refund-bot"]).update(tier="trusted")
    Reputation.objects.filter(agent=ranked["code-reviewer"]).update(tier="suspended")
    assert _slugs(api_client.get("/api/v1/agents/?tier=trusted")) == ["refund-bot"]
    assert _slugs(api_client.get("/api/v1/agents/?clauses=any_breached")) == ["code-reviewer"]
    assert _slugs(api_client.get("/api/v1/agents/?clauses=all_met")) == ["refund-bot"]
    assert sorted(_slugs(api_client.get("/api/v1/agents/?fresh_within_days=2"))) == ["code-reviewer", "refund-bot"]
    assert sorted(_slugs(api_client.get("/api/v1/agents/?max_open_disputes=0"))) == ["code-reviewer", "refund-bot"]
    # the filters that were there keep working
    assert _slugs(api_client.get("/api/v1/agents/?q=review")) == ["code-reviewer"]


@pytest.mark.parametrize(
    "query",
    ["tier=golden", "clauses=some", "fresh_within_days=0", "fresh_within_days=x", "max_open_disputes=-1", "policy=0"],
)
def test_bad_directory_filters_are_a_400_naming_the_parameter(ranked, api_client, query) -> None:
    response = api_client.get(f"/api/v1/agents/?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [query.split("=")[0]]


def test_allowed_by_my_policy_answers_as_the_decision_does(ranked, buyer, bearer) -> None:
    policy = policies.policy_create(
        user=buyer, organization=buyer.organization, name="Production", rules={"required_clauses": ["resolution-rate"]}
    )
    client = bearer(buyer)
    assert _slugs(client.get(f"/api/v1/agents/?policy={policy.pk}")) == ["refund-bot"]
    # the same answer the policy page's preview gives, agent by agent
    preview = {
        a.slug: e.result for a, e in policies.preview(user=buyer, rules={"required_clauses": ["resolution-rate"]})
    }
    assert preview == {"refund-bot": "allow", "code-reviewer": "deny"}


def test_a_policy_that_is_not_yours_is_a_400_naming_policy(ranked, buyer, buyer2, bearer, api_client) -> None:
    theirs = policies.policy_create(
        user=buyer2, organization=buyer2.organization, name="Theirs", rules={"min_tier": "standard"}
    )
    response = bearer(buyer).get(f"/api/v1/agents/?policy={theirs.pk}")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "policy"
    assert api_client.get(f"/api/v1/agents/?policy={theirs.pk}").status_code == 400  # anonymous: no policies


# --- the page --------------------------------------------------------------------------------------------------


def test_the_page_ranks_by_trust_by_default_and_sorts_by_any_column(ranked, client) -> None:
    Reputation.objects.filter(agent=ranked["code-reviewer"]).update(tier="trusted", lower_bound=90, score=95)
    Reputation.objects.filter(agent=ranked["refund-bot"]).update(tier="probation", lower_bound=40, score=60)
    html = client.get("/agents/").content.decode()
    assert html.index('data-agent="code-reviewer"') < html.index('data-agent="refund-bot"')
    assert 'aria-sort="descending"' in html
    html = client.get("/agents/?sort=name").content.decode()
    assert html.index('data-agent="code-reviewer"') < html.index('data-agent="refund-bot"')
    html = client.get("/agents/?sort=-name").content.decode()
    assert html.index('data-agent="refund-bot"') < html.index('data-agent="code-reviewer"')
    html = client.get("/agents/?sort=-breached").content.decode()
    assert html.index('data-agent="code-reviewer"') < html.index('data-agent="refund-bot"')
    for key in ("tier", "score", "bound", "met", "breached", "stale", "disputed", "fresh", "disputes", "vendor"):
        assert client.get(f"/agents/?sort={key}").status_code == 200
        assert client.get(f"/agents/?sort=-{key}").status_code == 200
    assert client.get("/agents/?sort=nonsense").status_code == 200  # an unknown sort falls back to trust


def test_the_page_shows_every_column_and_links_sorts_that_keep_the_filters(ranked, client) -> None:
    html = client.get("/agents/?q=bot&tier=").content.decode()
    for testid in ("dir-tier", "dir-score", "dir-lower_bound", "dir-met", "dir-breached", "dir-fresh", "dir-disputes"):
        assert f'data-testid="{testid}"' in html, testid
    assert 'href="?q=bot&amp;sort=name"' in html  # sorting keeps the search; empty filters drop out
    assert 'hx-push-url="true"' in html and 'method="get"' in html  # shareable URLs, works without JavaScript
    assert 'data-testid="compare-refund-bot"' in html and 'action="/compare/"' in html


def test_the_page_filters_with_a_plain_get_and_with_htmx(ranked, client) -> None:
    Reputation.objects.filter(agent=ranked["code-reviewer"]).update(tier="suspended")
    html = client.get("/agents/?clauses=any_breached").content.decode()
    assert 'data-agent="code-reviewer"' in html and 'data-agent="refund-bot"' not in html
    fragment = client.get("/agents/?tier=suspended", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="results">')
    assert 'data-agent="code-reviewer"' in fragment and 'data-agent="refund-bot"' not in fragment


def test_the_page_offers_a_buyer_their_policies_and_refuses_bad_values_inline(ranked, buyer, client) -> None:
    policy = policies.policy_create(
        user=buyer, organization=buyer.organization, name="Production", rules={"required_clauses": ["resolution-rate"]}
    )
    client.force_login(buyer)
    html = client.get("/agents/").content.decode()
    assert "Allowed by my policy" in html and f'<option value="{policy.pk}">Production</option>' in html
    html = client.get(f"/agents/?policy={policy.pk}").content.decode()
    assert 'data-agent="refund-bot"' in html and 'data-agent="code-reviewer"' not in html
    response = client.get("/agents/?fresh_within_days=abc")
    assert response.status_code == 400 and 'data-testid="directory-errors"' in response.content.decode()


def test_anonymous_visitors_get_no_policy_filter(ranked, client) -> None:
    assert "Allowed by my policy" not in client.get("/agents/").content.decode()


# --- query counts ----------------------------------------------------------------------------------------------


def _count(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    return len(captured), [q["sql"] for q in captured.captured_queries]


DIRECTORY_PATHS = [
    "/agents/",
    "/agents/?sort=-fresh&clauses=any_breached",
    "/agents/?POLICY",
    "/api/v1/agents/?page_size=100",
    "/api/v1/agents/?page_size=100&tier=standard&max_open_disputes=3&POLICY",
]


@pytest.mark.parametrize("path", DIRECTORY_PATHS)
def test_query_count_is_the_same_for_10_and_1000_agents(ranked, vendor, buyer, client, path) -> None:
    policy = policies.policy_create(
        user=buyer,
        organization=buyer.organization,
        name="Strict",
        rules={"min_tier": "probation", "max_open_disputes": 1, "max_evidence_age_days": 30},
    )
    path = path.replace("POLICY", f"policy={policy.pk}")
    client.force_login(buyer)
    pact = ranked["pacts"]["refund-bot"]
    bulk_agents(vendor.organization, 8, pact=pact)
    ten, _ = _count(client, path)
    bulk_agents(vendor.organization, 990, start=8, pact=pact)
    assert Agent.objects.count() == 1000
    thousand, sql = _count(client, path)
    assert ten == thousand, sql
    print(f"\n{path}: {ten} queries for 10 agents, {thousand} for 1,000")


def _evidence_counts(client, agents, path: str, small: int, large: int) -> tuple[int, int]:
    for agent in agents:
        bulk_evidence(agent, small // len(agents))
    before, _ = _count(client, path)
    for agent in agents:
        bulk_evidence(agent, (large - small) // len(agents))
    assert EvidenceRecord.objects.count() >= large
    after, sql = _count(client, path)
    assert before == after, sql
    return before, after


@pytest.mark.parametrize("path", ["/agents/?sort=-fresh", "/api/v1/agents/?fresh_within_days=30"])
def test_query_count_is_the_same_for_1k_and_10k_evidence_records(ranked, client, buyer, path) -> None:
    client.force_login(buyer)
    before, after = _evidence_counts(client, [ranked["refund-bot"], ranked["code-reviewer"]], path, 1000, 10_000)
    print(f"\n{path}: {before} queries for 1k records, {after} for 10k")


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/agents/?sort=-fresh", "/api/v1/agents/?fresh_within_days=30"])
def test_query_count_is_the_same_for_1k_and_100k_evidence_records(postgres, ranked, client, buyer, path) -> None:
    client.force_login(buyer)
    before, after = _evidence_counts(client, [ranked["refund-bot"], ranked["code-reviewer"]], path, 1000, 100_000)
    print(f"\n{path}: {before} queries for 1k records, {after} for 100k")
