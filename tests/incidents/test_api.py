"""The incidents API: DESIGN.md's wire format, the postmortem's checked links, closing, the metrics, and hostile
input answered 400 naming the field (never 500)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident
from pacts import services as pact_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_vendor(vendor) -> APIClient:
    client = APIClient()
    client.force_authenticate(vendor)
    return client


def create_body(clause_id: str, **extra) -> dict:
    body = {
        "agent": "refund-bot",
        "title": "Refunds stuck for 6 hours",
        "severity": "critical",
        "visible_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "clauses": [clause_id],
        "detected_by": "customer complaints",
    }
    body.update(extra)
    return body


def test_create_answers_the_wire_format(as_vendor, clause_id, history) -> None:
    breach = history("breached", timezone.now() - timedelta(days=1))
    response = as_vendor.post("/api/v1/incidents/", create_body(clause_id), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open"
    assert body["first_missed_signal"]["type"] == "verdict" and body["first_missed_signal"]["id"] == breach.pk
    assert body["first_missed_signal_at"] is not None
    assert body["clauses"] == [clause_id] and "postmortem" in body


def test_create_from_an_origin_prefills_the_rest(as_vendor, clause_id, history) -> None:
    breach = history("breached", timezone.now() - timedelta(days=1))
    response = as_vendor.post(
        "/api/v1/incidents/", {"agent": "refund-bot", "origin": {"type": "verdict", "id": breach.pk}}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["origin"] == {"type": "verdict", "id": breach.pk}
    assert body["clauses"] == [clause_id] and body["severity"] == "critical"


def _analysing(as_vendor, clause_id) -> int:
    return as_vendor.post("/api/v1/incidents/", create_body(clause_id), format="json").json()["id"]


def test_postmortem_then_close_needs_the_broken_assumption(as_vendor, clause_id) -> None:
    pk = _analysing(as_vendor, clause_id)
    written = as_vendor.post(f"/api/v1/incidents/{pk}/postmortem/", {"summary": "Lost confirmations."}, format="json")
    assert written.status_code == 200 and written.json()["status"] == "analysing"
    refused = as_vendor.post(f"/api/v1/incidents/{pk}/close/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "broken_assumption_required"
    assert refused.json()["errors"][0]["field"] == "broken_assumption"
    as_vendor.post(
        f"/api/v1/incidents/{pk}/postmortem/",
        {
            "summary": "Lost confirmations.",
            "broken_assumption": "Done meant delivered.",
            "structural_weakness": "stale_evidence",
        },
        format="json",
    )
    closed = as_vendor.post(f"/api/v1/incidents/{pk}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_a_remediation_links_only_a_version_published_after_the_failure(as_vendor, clause_id, pact, vendor) -> None:
    pk = _analysing(as_vendor, clause_id)
    item = {
        "title": "Count refunds on the provider's webhook",
        "owner": "payments",
        "due_on": "2027-01-15",
        "operating_model_change": True,
        "change_kind": "evidence_artifact",
    }

    def write(**link):
        return as_vendor.post(
            f"/api/v1/incidents/{pk}/postmortem/", {"summary": "s", "remediations": [{**item, **link}]}, format="json"
        )

    older = write(pact_version=1)
    assert older.status_code == 400 and older.json()["errors"][0]["field"] == "remediations.0.pact_version"
    assert older.json()["errors"][0]["code"] == "not_newer"
    assert write(pact_version=9).json()["errors"][0]["code"] == "not_found"
    document = copy.deepcopy(pact.versions.get(number=1).document)
    document["obligations"][0]["threshold"] = 0.95
    draft = pact_services.pact_version_create_draft(pact=pact, user=vendor, document=document, changelog="stricter")
    assert write(pact_version=2).json()["errors"][0]["code"] == "not_published"
    pact_services.pact_version_publish(version=draft, user=vendor)
    linked = write(pact_version=2)
    assert linked.status_code == 200, linked.json()
    remediation = linked.json()["postmortem"]["remediations"][0]
    assert remediation["pact_version"] == 2 and remediation["changed_operating_model"] is True
    no_kind = write(change_kind="")
    assert no_kind.json()["errors"][0]["field"] == "remediations.0.change_kind"


def test_metrics_answer_the_wire_format(as_vendor, clause_id) -> None:
    _analysing(as_vendor, clause_id)
    body = as_vendor.get("/api/v1/incidents/metrics/?vendor=acme-agents&agent=refund-bot").json()
    assert set(body) >= {
        "time_to_visible_failure",
        "broken_assumption_share",
        "repeat_weakness_rate",
        "operating_model_change_share",
        "incidents",
    }
    assert set(body["time_to_visible_failure"]) >= {"median_seconds", "p90_seconds", "count"}
    assert body["incidents"] == 1
    later = as_vendor.get("/api/v1/incidents/metrics/", {"from": (timezone.now() + timedelta(days=1)).isoformat()})
    assert later.json()["incidents"] == 0


HOSTILE_CREATE = [
    ({"agent": "nobody-here"}, "agent"),
    ({"severity": "apocalyptic"}, "severity"),
    ({"visible_at": "yesterday"}, "visible_at"),
    ({"visible_at": "0001-01-01T00:00:00+23:59"}, "visible_at"),
    ({"visible_at": "2999-01-01T00:00:00Z"}, "visible_at"),
    ({"clauses": "resolution-rate"}, "clauses"),
    ({"clauses": ["no-such-clause"]}, "clauses.0"),
    ({"clauses": [{"$gt": ""}]}, "clauses.0"),
    ({"title": 12}, "title"),
    ({"title": "x" * 500}, "title"),
    ({"disputes": [0]}, "disputes.0"),
    ({"disputes": [2**60]}, "disputes.0"),
    ({"disputes": [999]}, "disputes.0"),
    ({"owner": "ghost"}, "owner"),
    ({"lookback_days": 0}, "lookback_days"),
    ({"public": "maybe"}, "public"),
    ({"origin": {"type": "verdict", "id": 99999}}, "origin.id"),
    ({"origin": {"type": "rumour", "id": 1}}, "origin.type"),
]


@pytest.mark.parametrize(("change", "field"), HOSTILE_CREATE)
def test_hostile_create_is_a_400_naming_the_field(as_vendor, clause_id, change, field) -> None:
    response = as_vendor.post("/api/v1/incidents/", create_body(clause_id, **change), format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


def test_a_title_missing_without_an_origin_is_a_400(as_vendor, clause_id) -> None:
    body = create_body(clause_id)
    del body["title"]
    response = as_vendor.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "title"


HOSTILE_POSTMORTEM = [
    ({"summary": ""}, "summary"),
    ({"summary": ["a"]}, "summary"),
    ({"structural_weakness": "bad_luck"}, "structural_weakness"),
    ({"remediations": {"title": "x"}}, "remediations"),
    ({"remediations": [{"title": "x", "owner": "y", "due_on": "soon"}]}, "remediations.0.due_on"),
    (
        {"remediations": [{"title": "x", "owner": "y", "due_on": "2027-01-01", "change_kind": "magic"}]},
        "remediations.0.change_kind",
    ),
    (
        {"remediations": [{"title": "x", "owner": "y", "due_on": "2027-01-01", "pact_version": 1}]},
        "remediations.0.operating_model_change",
    ),
    (
        {
            "remediations": [
                {
                    "title": "x",
                    "owner": "y",
                    "due_on": "2027-01-01",
                    "operating_model_change": True,
                    "change_kind": "threshold",
                    "policy": 5,
                    "policy_revision": 1,
                }
            ]
        },
        "remediations.0.policy",
    ),
    ({"remediations": [{"owner": "y", "due_on": "2027-01-01"}]}, "remediations.0.title"),
]


@pytest.mark.parametrize(("change", "field"), HOSTILE_POSTMORTEM)
def test_hostile_postmortem_is_a_400_naming_the_field(as_vendor, clause_id, change, field) -> None:
    pk = _analysing(as_vendor, clause_id)
    body = {"summary": "Lost confirmations.", **change}
    response = as_vendor.post(f"/api/v1/incidents/{pk}/postmortem/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert Incident.objects.get(pk=pk).status == "open"  # nothing was written


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("repeat_by=planet", "repeat_by"),
        ("repeat_window_days=-1", "repeat_window_days"),
        ("surprise=1", "surprise"),
        ("agent=a&agent=b", "agent"),
        ("from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", "from"),
    ],
)
def test_hostile_metrics_queries_are_a_400_naming_the_parameter(as_vendor, query, field) -> None:
    response = as_vendor.get(f"/api/v1/incidents/metrics/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert field in [e["field"] for e in body.get("errors", [])] or field in body["detail"], body


def test_notes_and_the_timeline(as_vendor, clause_id, history) -> None:
    history("breached", timezone.now() - timedelta(days=1))
    pk = _analysing(as_vendor, clause_id)
    added = as_vendor.post(f"/api/v1/incidents/{pk}/notes/", {"body": "First complaint at 09:10."}, format="json")
    assert added.status_code == 200
    note = added.json()["notes"][0]
    edited = as_vendor.patch(f"/api/v1/incidents/{pk}/notes/{note['id']}/", {"body": "At 09:12."}, format="json")
    assert edited.json()["notes"][0]["body"] == "At 09:12."
    kinds = [item["kind"] for item in as_vendor.get(f"/api/v1/incidents/{pk}/timeline/").json()]
    assert {"verdict", "marker", "incident", "note"} <= set(kinds)


def test_the_schema_documents_the_incident_operations(as_vendor) -> None:
    schema = as_vendor.get("/api/v1/schema/?format=json").json()
    for path in (
        "/api/v1/incidents/",
        "/api/v1/incidents/{incident_id}/postmortem/",
        "/api/v1/incidents/{incident_id}/close/",
        "/api/v1/incidents/metrics/",
    ):
        assert path in schema["paths"]
    names = [p["name"] for p in schema["paths"]["/api/v1/incidents/metrics/"]["get"]["parameters"]]
    assert {"vendor", "agent", "from", "to"} <= set(names)
