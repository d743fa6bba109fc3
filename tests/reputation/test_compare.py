"""Comparing 2–4 agents: the API's wire format, hostile input refused with a 400 naming ``agents``, public data
only, the page, the chart's downsampled traces, and a query count constant in the agents compared and the
evidence behind them."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evidence import services as evidence_services
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent
from reputation.compare import compare_agents, compare_figure, compare_history
from tests.pacts.test_directory import bulk_evidence, bulk_history
from trust_portal.errors import InvalidQuery
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db


def _published(agent, vendor, threshold=0.9):
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(threshold=threshold, min_samples=1, max_evidence_age_days=3)
    document["obligations"] = [clause]
    pact = pact_services.pact_create(agent=agent, user=vendor, title=f"{agent.name} pact", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    return pact


@pytest.fixture
def agents(agent, vendor, wire):
    """refund-bot (met, 0.95) and code-reviewer (breached, 0.50), each with one evaluated task_success clause,
    and two more agents with nothing yet."""
    second = pact_services.agent_create(user=vendor, name="Code Reviewer", slug="code-reviewer")
    for who, successes in ((agent, 95), (second, 50)):
        _published(who, vendor)
        evidence_services.evidence_submit(agent=who, items=[wire(successes=successes, trials=100)], user=vendor)
        agent_evaluate(agent_id=who.pk)
    third = pact_services.agent_create(user=vendor, name="Third", slug="third")
    fourth = pact_services.agent_create(user=vendor, name="Fourth", slug="fourth")
    return [agent, second, third, fourth]


def test_compare_api_keeps_the_public_contract(agents, api_client) -> None:
    response = api_client.get("/api/v1/compare/?agents=refund-bot,code-reviewer")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["agent"] for a in body["agents"]] == ["refund-bot", "code-reviewer"]
    for entry in body["agents"]:
        assert {"agent", "tier", "score", "lower_bound", "clauses"} <= set(entry)
        assert entry["clauses"], entry
        for clause in entry["clauses"]:
            assert {"metric", "status", "measured", "threshold"} <= set(clause)
    refund, reviewer = body["agents"]
    assert refund["clauses"][0]["metric"] == reviewer["clauses"][0]["metric"] == "task_success"
    assert refund["clauses"][0]["status"] == "met" and refund["clauses"][0]["measured"] == pytest.approx(0.95)
    assert reviewer["clauses"][0]["status"] == "breached" and reviewer["clauses"][0]["threshold"] == 0.9
    assert body["metrics"] == ["task_success"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?agents=",
        "?agents=refund-bot",
        "?agents=refund-bot,code-reviewer,third,fourth,fifth",
        "?agents=refund-bot,refund-bot",
        "?agents=refund-bot,no-such-agent",
        "?agents=refund-bot,%3Cscript%3E",
        "?agents=refund-bot,,code-reviewer",
        "?agents=refund-bot,code-reviewer%00",
        "?agents=" + "x" * 5000,
        "?agents=refund-bot&agents=refund-bot",
    ],
)
def test_hostile_agents_are_a_400_naming_the_field(agents, api_client, query) -> None:
    response = api_client.get(f"/api/v1/compare/{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["agents"]


def test_four_agents_and_repeated_parameters_are_accepted(agents, api_client) -> None:
    response = api_client.get("/api/v1/compare/?agents=refund-bot,code-reviewer&agents=third&agents=fourth")
    assert response.status_code == 200
    assert [a["agent"] for a in response.json()["agents"]] == ["refund-bot", "code-reviewer", "third", "fourth"]
    never_scored = response.json()["agents"][2]
    assert never_scored["tier"] == "unverified" and never_scored["clauses"] == []


def test_restricted_values_are_withheld_from_everyone_even_the_vendor(agents, vendor, bearer) -> None:
    Verdict.objects.filter(agent=agents[0], is_current=True).update(rests_on_restricted=True)
    body = bearer(vendor).get("/api/v1/compare/?agents=refund-bot,code-reviewer").json()
    clause = body["agents"][0]["clauses"][0]
    assert clause["withheld"] is True and clause["measured"] is None and clause["samples"] is None
    assert clause["status"] == "met" and clause["threshold"] == 0.9  # the status and the promise stay public
    assert body["agents"][1]["clauses"][0]["withheld"] is False


def test_compare_agents_is_a_function_other_apps_call(agents, buyer) -> None:
    body = compare_agents(user=buyer, slugs=["code-reviewer", "refund-bot"])
    assert [a["agent"] for a in body["agents"]] == ["code-reviewer", "refund-bot"]
    with pytest.raises(InvalidQuery) as refused:
        compare_agents(user=buyer, slugs="refund-bot")
    assert refused.value.field == "agents"


def test_the_page_aligns_clauses_by_metric_and_draws_one_time_axis(agents, client) -> None:
    response = client.get("/compare/?agents=refund-bot,code-reviewer")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="compare-row"') == 1 and 'data-metric="task_success"' in html
    assert html.count('data-testid="compare-head"') == 2
    assert "95 %" in html and "vs &gt;= 90 %" in html
    assert 'data-figure="compare-figure"' in html and "plotly/plotly.min.js" in html
    assert "/compare/?agents=refund-bot%2Ccode-reviewer" in html  # the shareable link


def test_the_page_takes_the_directorys_checkboxes(agents, client) -> None:
    response = client.get("/compare/?agents=refund-bot&agents=code-reviewer&agents=third")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="compare-head"') == 3


@pytest.mark.parametrize("query", ["", "?agents=refund-bot", "?agents=refund-bot,nope", "?agents=a,a"])
def test_the_page_explains_a_bad_selection(agents, client, query) -> None:
    response = client.get(f"/compare/{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="compare-error"' in html and "<strong>agents</strong>" in html
    assert 'data-testid="compare-picker"' in html


def test_a_year_of_dense_history_draws_at_most_5000_points_a_trace_and_keeps_the_dip(agents) -> None:
    now = timezone.now()
    refund = agents[0]
    verdict = Verdict.objects.get(agent=refund, is_current=True)
    dip_at = now - timedelta(days=200)
    bulk_history(verdict, count=40_000, days=365, now=now, dip_at=dip_at, dip=0.1)
    body = compare_agents(user=AnonymousUser(), slugs=["refund-bot", "code-reviewer"], now=now)
    series = compare_history(body=body, user=AnonymousUser(), now=now)
    dense = next(s for s in series if s.agent == "refund-bot")
    assert len(dense.points) > 40_000
    figure = compare_figure(series=series, agents=["refund-bot", "code-reviewer"], metrics=body["metrics"], now=now)
    traces = [t for t in figure["data"] if t["name"] == "refund-bot"]
    assert traces and all(len(t["x"]) <= 5000 for t in traces)
    assert min(traces[0]["y"]) == pytest.approx(10.0)  # the breach dip (0.1 = 10 %) survives downsampling


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/api/v1/compare/", "/compare/"])
def test_query_count_is_constant_in_agents_compared_and_evidence(agents, vendor, client, buyer, path) -> None:
    client.force_login(buyer)
    two = _queries(client, f"{path}?agents=refund-bot,code-reviewer")
    four = _queries(client, f"{path}?agents=refund-bot,code-reviewer,third,fourth")
    for agent in agents:
        bulk_evidence(agent, 1000)
    bulk_history(Verdict.objects.get(agent=agents[0], is_current=True), count=2000, days=300, now=timezone.now())
    more = _queries(client, f"{path}?agents=refund-bot,code-reviewer,third,fourth")
    assert two == four == more, (two, four, more)
    assert Agent.objects.count() == 4


def test_the_one_downsampler_caps_a_year_of_minutes_and_keeps_the_extremes() -> None:
    from verdicts.charts import TRACE_POINT_LIMIT, downsample

    start = timezone.now() - timedelta(days=365)
    points = [(start + timedelta(minutes=n), 0.95 + (n % 7) / 1000) for n in range(365 * 24 * 60)]
    points[200_000] = (points[200_000][0], 0.2)  # one breach dip
    points[300_000] = (points[300_000][0], 1.0)  # one spike
    shown = downsample(points, TRACE_POINT_LIMIT)
    assert len(shown) <= 5000
    assert points[200_000] in shown and points[300_000] in shown
    assert shown[0] == points[0] and shown[-1] == points[-1]
    assert [p[0] for p in shown] == sorted(p[0] for p in shown)
    assert len(downsample(points)) <= 400  # the clause cards' smaller budget, same function
