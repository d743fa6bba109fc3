"""The disputes API through the DRF test client: filing, every action allowed and refused, the dispute's body,
precedent and its redaction, the arbiter's queue and conflicts, and the events both parties hear of."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification
from disputes import workflow
from disputes.models import ArbiterConflict, Dispute, DisputeEvent, Status, Submission
from disputes.rulings import dispute_rule
from reputation import webhooks
from reputation.models import LedgerEntry, WebhookDelivery

RATIONALE = (
    "The buyer's request logs (submission 1) show failures the telemetry never counted; the vendor did not "
    "contest them. The clause was breached in that window."
)
ACTIONS = ["respond", "assign", "request-info", "submit-info", "rule", "appeal", "withdraw", "settle", "close"]


@pytest.fixture
def api(bearer) -> Callable[..., Any]:
    """api(user) -> a bearer-authenticated client (cached per user within the test)."""
    clients: dict[int, Any] = {}

    def make(user: Any, *, read_only: bool = False) -> Any:
        if read_only:
            return bearer(user, read_only=True)
        if user.pk not in clients:
            clients[user.pk] = bearer(user)
        return clients[user.pk]

    return make


@pytest.fixture
def body(agent, verdict) -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "agent": agent.slug,
            "subject": {"type": "verdict", "id": verdict.pk},
            "claim_type": "breach_not_recorded",
            "requested_remedy": "Record the breach and credit us 10 %.",
            "statement": "Our own logs show 40 % of refunds failed on 2026-11-28; the telemetry missed them.",
        }
        fields.update(overrides)
        return fields

    return make


def act(client: Any, dispute: Dispute | int, action: str, data: Any = None) -> Any:
    pk = dispute if isinstance(dispute, int) else dispute.pk
    return client.post(f"/api/v1/disputes/{pk}/{action}/", data if data is not None else {}, format="json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


def fields_of(response_body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in response_body.get("errors", [])}


# --- filing ------------------------------------------------------------------------------------------------------


def test_filing_answers_201_with_the_dispute_body(api, buyer, vendor, agent, pact, verdict, body) -> None:
    attachment = {"filename": "logs.txt", "content_type": "text/plain", "data_base64": base64.b64encode(b"x").decode()}
    response = api(buyer).post("/api/v1/disputes/", body(attachments=[attachment], confidential=True), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "awaiting_response"
    assert data["claimant"] == buyer.organization.slug and data["respondent"] == vendor.organization.slug
    assert data["agent"] == agent.slug and data["subject"] == {"type": "verdict", "id": verdict.pk, "pact": pact.pk}
    assert data["due_by"] and data["respondent_defaulted"] is False and data["arbiter"] is None
    assert data["claim_type"] == "breach_not_recorded" and data["requested_remedy"].startswith("Record")
    assert data["clause_id"] == verdict.clause_id and data["metric"] == "task_success"
    assert data["submission_count"] == 1 and data["settlement"] is None and data["rulings"] == []
    (submission,) = data["submissions"]
    assert submission["party"] == "claimant" and submission["stage"] == "filing" and submission["confidential"]
    assert submission["author"] == buyer.username and submission["leaf_index"] is not None
    assert len(submission["canonical_hash"]) == 64
    (stored,) = submission["attachments"]
    assert stored["filename"] == "logs.txt" and stored["size"] == 1 and stored["content_type"] == "text/plain"
    assert len(stored["sha256"]) == 64
    assert [(e["action"], e["from"], e["to"]) for e in data["events"]] == [
        ("file", "", "filed"),
        ("await_response", "filed", "awaiting_response"),
    ]
    assert data["events"][0]["actor"] == buyer.username and data["events"][1]["actor"] is None
    assert data["actions"] == ["withdraw", "settle"]
    assert Dispute.objects.get(pk=data["id"]).filed_by == buyer


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agent": None}, "agent"),
        ({"agent": "no-such-agent"}, "agent"),
        ({"agent": 7}, "agent"),
        ({"subject": "verdict 1"}, "subject"),
        ({"subject": {"type": "rumour", "id": 1}}, "subject.type"),
        ({"subject": {"type": "verdict", "id": True}}, "subject.id"),
        ({"subject": {"type": "verdict", "id": 0}}, "subject.id"),
        ({"subject": {"type": "verdict", "id": 987654321}}, "subject.id"),
        ({"subject": {"type": "verdict", "id": "abc"}}, "subject.id"),
        ({"subject": {"type": "clause", "id": "no-such-clause"}}, "subject.id"),
        ({"claim_type": "grudge"}, "claim_type"),
        ({"claim_type": "consequence_unhonoured"}, "claim_type"),  # not a claim about a verdict
        ({"requested_remedy": ""}, "requested_remedy"),
        ({"requested_remedy": 12}, "requested_remedy"),
        ({"statement": "   "}, "statement"),
        ({"statement": "x" * 20001}, "statement"),
        ({"confidential": "yes"}, "confidential"),
        ({"confidential": 1}, "confidential"),
        ({"respondent": ["a"]}, "respondent"),
        ({"attachments": "file"}, "attachments"),
        ({"attachments": [{"content_type": "text/html", "data_base64": "eA=="}]}, "attachments.0.content_type"),
        ({"attachments": [{"content_type": "text/plain", "data_base64": "%%%"}]}, "attachments.0.data_base64"),
        ({"attachments": [{"content_type": "text/plain"}]}, "attachments.0.data_base64"),
    ],
)
def test_filing_refuses_a_bad_field_naming_it(api, buyer, body, change, field) -> None:
    data = problem(api(buyer).post("/api/v1/disputes/", body(**change), format="json"), 400)
    assert field in fields_of(data), data
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"agent": "refund-bot", "statement": "a\\u0000b"}',
        b'{"agent": ' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"agent": "refund-bot", "subject": {"type": "verdict", "id": 1' + b"0" * 400 + b"}}",
        b'{"agent": "refund-bot", "subject": {"type": "verdict", "id": 1e400}}',
        b'[{"agent": "refund-bot"}]',
        b"not json",
    ],
)
def test_hostile_bodies_are_400_never_500(api, buyer, verdict, raw) -> None:
    response = api(buyer).post("/api/v1/disputes/", raw, content_type="application/json")
    problem(response, 400)
    assert not Dispute.objects.exists()


def test_a_buyer_without_standing_is_told_what_standing_it_needs(api, buyer_b, body) -> None:
    data = problem(api(buyer_b).post("/api/v1/disputes/", body(), format="json"), 403)
    assert data["code"] == "no_standing" and "engage" in data["detail"]


def test_another_vendor_has_no_standing(api, vendor_b, body) -> None:
    data = problem(api(vendor_b).post("/api/v1/disputes/", body(claim_type="verdict_wrong"), format="json"), 403)
    assert data["code"] == "no_standing" and "own vendor" in data["detail"]


@pytest.mark.parametrize("who", ["arbiter", "staff", "outsider"])
def test_only_party_organizations_file(api, body, who, request) -> None:
    data = problem(api(request.getfixturevalue(who)).post("/api/v1/disputes/", body(), format="json"), 403)
    assert data["code"] == "permission_denied"


def test_a_second_open_dispute_about_the_subject_is_409_pointing_at_the_first(api, buyer, body) -> None:
    first = api(buyer).post("/api/v1/disputes/", body(), format="json").json()
    data = problem(api(buyer).post("/api/v1/disputes/", body(), format="json"), 409)
    assert data["code"] == "duplicate_dispute" and str(first["id"]) in data["detail"]
    assert data["errors"][0]["dispute"] == str(first["id"])
    assert Dispute.objects.count() == 1


def test_a_read_only_token_may_not_file(api, buyer, body) -> None:
    data = problem(api(buyer, read_only=True).post("/api/v1/disputes/", body(), format="json"), 403)
    assert data["code"] == "token_scope"


def test_anonymous_callers_are_401(api_client, body) -> None:
    problem(api_client.post("/api/v1/disputes/", body(), format="json"), 401)
    problem(api_client.get("/api/v1/disputes/"), 401)


def test_a_vendors_claim_names_its_respondent(api, vendor, buyer, agent, verdict) -> None:
    response = api(vendor).post(
        "/api/v1/disputes/",
        {
            "agent": agent.slug,
            "subject": {"type": "verdict", "id": verdict.pk},
            "claim_type": "verdict_wrong",
            "requested_remedy": "Mark it met.",
            "statement": "The evidence window was misread.",
            "respondent": buyer.organization.slug,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["respondent"] == buyer.organization.slug


def test_a_clause_subject_carries_its_pact(api, buyer, pact, body) -> None:
    subject = {"type": "clause", "id": "resolution-rate", "pact": pact.pk}
    response = api(buyer).post("/api/v1/disputes/", body(subject=subject), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == {"type": "clause", "id": "resolution-rate", "pact": pact.pk}


# --- lists and the detail ---------------------------------------------------------------------------------------


def test_the_list_shows_each_caller_only_their_disputes(api, file, buyer, vendor, buyer_b, vendor_b, arbiter) -> None:
    dispute = file()
    for user, seen in ((buyer, True), (vendor, True), (arbiter, True), (buyer_b, False), (vendor_b, False)):
        response = api(user).get("/api/v1/disputes/")
        assert response.status_code == 200
        assert ([item["id"] for item in response.json()["results"]] == [dispute.pk]) is seen, user


def test_the_list_filters(api, file, buyer, vendor, agent) -> None:
    dispute = file()
    client = api(buyer)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/disputes/?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids("status=awaiting_response") == [dispute.pk]
    assert ids("status=closed") == []
    assert ids(f"agent={agent.slug}") == [dispute.pk]
    assert ids("agent=other-bot") == []
    assert ids("role=claimant") == [dispute.pk]
    assert ids("role=respondent") == []
    assert ids("open=true") == [dispute.pk]
    assert ids("open=false") == []
    vendor_ids = [i["id"] for i in api(vendor).get("/api/v1/disputes/?role=respondent").json()["results"]]
    assert vendor_ids == [dispute.pk]
    workflow.dispute_withdraw(user=buyer, dispute=dispute)
    assert ids("open=false") == [dispute.pk] and ids("open=1") == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("state=open", "state"),
        ("status=nonsense", "status"),
        ("role=arbiter", "role"),
        ("open=", "open"),
        ("open=yes", "open"),
        ("agent=not%20a%20slug", "agent"),
        ("page_size=0", "page_size"),
        ("status=closed&status=settled", "status"),
        ("cursor=garbage", "cursor"),
        ("cursor=cD1ub3QtYS1udW1iZXI%3D", "cursor"),  # base64 of "p=not-a-number": decodes, but no id
    ],
)
def test_the_list_refuses_unknown_or_bad_parameters(api, buyer, query, param) -> None:
    response = api(buyer).get(f"/api/v1/disputes/?{query}")
    data = problem(response, 400)
    assert param in fields_of(data) or param in data["detail"], data


def test_the_list_costs_a_fixed_number_of_queries(api, file, buyer, buyer_b, agent, engaged, verdict) -> None:
    file()
    client = api(buyer)
    client.get("/api/v1/disputes/")  # warm the token and the session
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/disputes/")
    workflow.dispute_withdraw(user=buyer, dispute=Dispute.objects.get())
    file()
    file(subject={"type": "clause", "id": verdict.clause_id})
    with CaptureQueriesContext(connection) as three:
        response = client.get("/api/v1/disputes/")
    assert len(response.json()["results"]) == 3
    assert len(three) == len(one)


def test_the_detail_is_404_to_those_who_may_not_see_it(api, file, buyer_b, vendor_b, outsider, arbiter) -> None:
    dispute = file()
    for user in (buyer_b, vendor_b, outsider):
        problem(api(user).get(f"/api/v1/disputes/{dispute.pk}/"), 404)
    ArbiterConflict.objects.create(arbiter=arbiter, organization=dispute.claimant)
    problem(api(arbiter).get(f"/api/v1/disputes/{dispute.pk}/"), 404)
    problem(api(arbiter).get("/api/v1/disputes/99999999/"), 404)


def test_the_detail_refuses_query_parameters(api, file, buyer) -> None:
    dispute = file()
    data = problem(api(buyer).get(f"/api/v1/disputes/{dispute.pk}/?expand=all"), 400)
    assert "expand" in fields_of(data)


def test_actions_say_what_each_caller_may_do(api, file, buyer, vendor, arbiter, staff) -> None:
    dispute = file()
    assert api(vendor).get(f"/api/v1/disputes/{dispute.pk}/").json()["actions"] == ["respond", "settle"]
    assert api(arbiter).get(f"/api/v1/disputes/{dispute.pk}/").json()["actions"] == ["assign"]
    assert api(staff).get(f"/api/v1/disputes/{dispute.pk}/").json()["actions"] == ["assign"]


# --- the actions --------------------------------------------------------------------------------------------------


def test_the_whole_life_over_the_api(api, file, buyer, vendor, arbiter, arbiter_b, staff, agent) -> None:
    dispute = file()
    response = act(api(vendor), dispute, "respond", {"statement": "The telemetry is complete.", "confidential": True})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "under_review" and response.json()["submission_count"] == 2
    data = act(api(arbiter), dispute, "assign").json()
    assert data["arbiter"] == arbiter.username and "rule" in data["actions"] and "request-info" in data["actions"]
    data = act(api(arbiter), dispute, "request-info", {"party": "respondent", "question": "Sampling?"}).json()
    assert data["status"] == "info_requested"
    assert data["info_request"] == {"party": "respondent", "question": "Sampling?"}
    assert api(vendor).get(f"/api/v1/disputes/{dispute.pk}/").json()["actions"] == ["submit-info", "settle"]
    data = act(api(vendor), dispute, "submit-info", {"statement": "Every request is logged."}).json()
    assert data["status"] == "under_review" and data["info_request"] is None
    consequences = [
        {"action": "verdict_override", "status": "breached", "days": 10},
        {"action": "service_credit", "percent": 10},
    ]
    response = act(
        api(arbiter), dispute, "rule", {"outcome": "upheld", "rationale": RATIONALE, "consequences": consequences}
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "ruled"
    (ruling,) = data["rulings"]
    assert ruling["outcome"] == "upheld" and ruling["arbiter"] == arbiter.username and ruling["supersedes"] is None
    assert ruling["consequences"] == [
        {"action": "verdict_override", "status": "breached", "days": 10},
        {"action": "service_credit", "percent": 10.0},
    ]
    assert LedgerEntry.objects.filter(ruling_id=ruling["id"]).count() == 1
    assert "appeal" in api(vendor).get(f"/api/v1/disputes/{dispute.pk}/").json()["actions"]
    statement = "New: the 28th was a load test on a staging tenant, see the attached logs."
    data = act(api(vendor), dispute, "appeal", {"statement": statement}).json()
    assert data["status"] == "appealed" and data["appealed_by"] == "respondent" and data["arbiter"] is None
    problem(act(api(arbiter), dispute, "assign"), 403)  # the first ruling's arbiter never takes the appeal
    act(api(staff), dispute, "assign", {"arbiter": arbiter_b.username})
    data = act(
        api(arbiter_b), dispute, "rule", {"outcome": "rejected", "rationale": RATIONALE + " Not so.", "cites": []}
    ).json()
    assert data["status"] == "ruled_on_appeal"
    assert [r["stage"] for r in data["rulings"]] == ["first", "appeal"]
    assert data["rulings"][1]["supersedes"] == ruling["id"]
    assert "close" in api(staff).get(f"/api/v1/disputes/{dispute.pk}/").json()["actions"]
    data = act(api(staff), dispute, "close").json()
    assert data["status"] == "closed" and data["closed_at"] and data["actions"] == []
    assert [e["action"] for e in data["events"]][-1] == "close"


def test_a_refused_transition_is_409_naming_the_current_state(api, file, vendor, buyer) -> None:
    dispute = file()
    act(api(vendor), dispute, "respond", {"statement": "We answer."})
    data = problem(act(api(vendor), dispute, "respond", {"statement": "Again."}), 409)
    assert data["code"] == "invalid_transition" and "under review" in data["detail"]
    assert data["errors"][0] == {
        "field": "status",
        "message": "current state: under_review",
        "code": "invalid_transition",
    }
    assert DisputeEvent.objects.filter(dispute=dispute, action="respond").count() == 1


def test_the_arbiter_cannot_close_while_the_appeal_window_is_open(api, file, vendor, arbiter) -> None:
    dispute = file()
    workflow.dispute_respond(user=vendor, dispute=dispute, statement="We answer.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=Dispute.objects.get(pk=dispute.pk))
    dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=RATIONALE)
    data = problem(act(api(arbiter), dispute, "close"), 409)
    assert "appeal window" in data["detail"]


def test_a_second_arbiter_cannot_take_an_assigned_dispute(api, file, vendor, arbiter, arbiter_b) -> None:
    dispute = file()
    act(api(arbiter), dispute, "assign")
    data = problem(act(api(arbiter_b), dispute, "assign"), 409)
    assert data["errors"][0]["code"] == "already_assigned"


@pytest.mark.parametrize(
    ("who", "action", "data"),
    [
        ("buyer", "respond", {"statement": "not mine to answer"}),
        ("vendor", "withdraw", {}),
        ("vendor", "assign", {}),
        ("buyer", "rule", {"outcome": "upheld", "rationale": RATIONALE}),
        ("arbiter", "request-info", {"party": "claimant", "question": "Why?"}),  # not assigned
        ("arbiter", "settle", {"terms": "half"}),
        ("buyer", "submit-info", {"statement": "nobody asked"}),
        ("arbiter", "close", None),
        ("vendor", "close", None),
        ("arbiter", "appeal", {"statement": "x" * 40}),
    ],
)
def test_an_action_the_caller_may_not_take_is_403(api, file, who, action, data, request) -> None:
    dispute = file()
    before = Dispute.objects.get(pk=dispute.pk).revision
    body = problem(act(api(request.getfixturevalue(who)), dispute, action, data), 403)
    assert body["code"] == "permission_denied"
    assert Dispute.objects.get(pk=dispute.pk).revision == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["buyer_b", "vendor_b", "outsider"])
def test_every_action_is_404_to_an_unrelated_party(api, file, action, who, request) -> None:
    dispute = file()
    problem(act(api(request.getfixturevalue(who)), dispute, action, {"statement": "x" * 40, "terms": "t"}), 404)
    assert Dispute.objects.get(pk=dispute.pk).revision == dispute.revision


@pytest.mark.parametrize("action", ACTIONS)
def test_a_read_only_token_may_not_act(api, file, buyer, action) -> None:
    dispute = file()
    data = problem(act(api(buyer, read_only=True), dispute, action), 403)
    assert data["code"] == "token_scope"


def test_an_unknown_action_is_404(api, file, buyer) -> None:
    dispute = file()
    problem(act(api(buyer), dispute, "escalate"), 404)
    problem(api(buyer).get(f"/api/v1/disputes/{dispute.pk}/respond/"), 405)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rationale": RATIONALE}, "outcome"),
        ({"outcome": "maybe", "rationale": RATIONALE}, "outcome"),
        ({"outcome": "upheld", "rationale": "Too short."}, "rationale"),
        ({"outcome": "upheld", "rationale": RATIONALE, "consequences": {"action": "tier"}}, "consequences"),
        ({"outcome": "upheld", "rationale": RATIONALE, "consequences": [{"action": "fine"}]}, "consequences.0.action"),
        (
            {
                "outcome": "upheld",
                "rationale": RATIONALE,
                "consequences": [{"action": "service_credit", "percent": 50}],
            },
            "consequences.0.percent",
        ),
        (
            {"outcome": "upheld", "rationale": RATIONALE, "consequences": [{"action": "tier", "tier": "trusted"}]},
            "consequences.0.tier",
        ),
        (
            {"outcome": "rejected", "rationale": RATIONALE, "consequences": [{"action": "tier", "tier": "probation"}]},
            "consequences",
        ),
        ({"outcome": "upheld", "rationale": RATIONALE, "cites": [999999]}, "cites.0"),
        ({"outcome": "upheld", "rationale": RATIONALE, "cites": ["4"]}, "cites.0"),
    ],
)
def test_a_bad_ruling_is_400_naming_the_field(api, file, vendor, arbiter, data, field) -> None:
    dispute = file()
    workflow.dispute_respond(user=vendor, dispute=dispute, statement="We answer.")
    workflow.dispute_assign(user=arbiter, dispute=Dispute.objects.get(pk=dispute.pk))
    body = problem(act(api(arbiter), dispute, "rule", data), 400)
    assert field in fields_of(body), body
    assert Dispute.objects.get(pk=dispute.pk).status == Status.UNDER_REVIEW


def test_respond_with_an_attachment_and_bad_bodies(api, file, vendor) -> None:
    dispute = file()
    problem(act(api(vendor), dispute, "respond", {}), 400)
    problem(act(api(vendor), dispute, "respond", {"statement": "ok", "attachments": [{"content_type": "x"}]}), 400)
    attachment = {"filename": "a.csv", "content_type": "text/csv", "data_base64": base64.b64encode(b"a,b\n").decode()}
    data = act(api(vendor), dispute, "respond", {"statement": "See the file.", "attachments": [attachment]}).json()
    response = data["submissions"][-1]
    assert response["stage"] == "response" and response["attachments"][0]["filename"] == "a.csv"


def test_settlement_is_proposed_then_accepted(api, file, buyer, vendor) -> None:
    dispute = file()
    problem(act(api(vendor), dispute, "settle", {}), 400)  # nothing to accept yet
    data = act(api(vendor), dispute, "settle", {"terms": "A 5 % credit."}).json()
    assert data["status"] == "awaiting_response"
    assert data["settlement"]["terms"] == "A 5 % credit." and data["settlement"]["proposed_by"] == "respondent"
    data = act(api(buyer), dispute, "settle", {}).json()
    assert data["status"] == "settled" and data["closed_at"]


def test_the_claimant_withdraws(api, file, buyer) -> None:
    dispute = file()
    data = act(api(buyer), dispute, "withdraw", {"note": "resolved elsewhere"}).json()
    assert data["status"] == "withdrawn"
    assert data["events"][-1]["note"] == "resolved elsewhere"
    problem(act(api(buyer), dispute, "withdraw"), 409)


def test_staff_assign_names_an_arbiter(api, file, staff, arbiter) -> None:
    dispute = file()
    data = problem(act(api(staff), dispute, "assign"), 400)
    assert "arbiter" in fields_of(data)
    problem(act(api(staff), dispute, "assign", {"arbiter": "nobody"}), 400)
    assert act(api(staff), dispute, "assign", {"arbiter": arbiter.username}).json()["arbiter"] == arbiter.username


def test_an_arbiter_may_not_assign_another(api, file, arbiter, arbiter_b) -> None:
    dispute = file()
    problem(act(api(arbiter), dispute, "assign", {"arbiter": arbiter_b.username}), 403)


# --- precedent ----------------------------------------------------------------------------------------------------


@pytest.fixture
def closed_ruling(file, vendor, arbiter) -> Callable[..., Any]:
    """closed_ruling(confidential=False) -> a ruling on a closed dispute."""

    def make(confidential: bool = False, **filing: Any) -> Any:
        dispute = file(confidential=confidential, **filing)
        workflow.dispute_respond(user=vendor, dispute=dispute, statement="We answer.")
        dispute = workflow.dispute_assign(user=arbiter, dispute=Dispute.objects.get(pk=dispute.pk))
        ruling = dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=RATIONALE)
        later = timezone.now() + timedelta(days=30)
        workflow.dispute_close(user=None, dispute=Dispute.objects.get(pk=dispute.pk), now=later)
        return ruling

    return make


def test_precedent_is_public_for_closed_disputes(api_client, closed_ruling) -> None:
    ruling = closed_ruling()
    response = api_client.get("/api/v1/rulings/")
    assert response.status_code == 200, response.content
    (item,) = response.json()["results"]
    assert item["id"] == ruling.pk and item["rationale"] == RATIONALE and item["redacted"] is False
    assert item["dispute"] is None  # outsiders never learn which dispute
    assert "statement" not in item


def test_a_confidential_submission_withholds_the_rationale_from_outsiders(
    api, api_client, closed_ruling, buyer, buyer_b
) -> None:
    ruling = closed_ruling(confidential=True)
    for client in (api_client, api(buyer_b)):
        (item,) = client.get("/api/v1/rulings/").json()["results"]
        assert item["rationale"] is None and item["redacted"] is True
    (item,) = api(buyer).get("/api/v1/rulings/").json()["results"]
    assert item["rationale"] == RATIONALE and item["redacted"] is False and item["dispute"] == ruling.dispute_id


def test_rulings_of_open_disputes_are_not_precedent_for_outsiders(
    api, api_client, file, vendor, arbiter, buyer
) -> None:
    dispute = file()
    workflow.dispute_respond(user=vendor, dispute=dispute, statement="We answer.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=Dispute.objects.get(pk=dispute.pk))
    dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=RATIONALE)
    assert api_client.get("/api/v1/rulings/").json()["results"] == []
    assert len(api(buyer).get("/api/v1/rulings/").json()["results"]) == 1


def test_staff_read_the_rulings_of_open_disputes_too(api, file, vendor, arbiter, staff) -> None:
    dispute = file()
    workflow.dispute_respond(user=vendor, dispute=dispute, statement="We answer.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=Dispute.objects.get(pk=dispute.pk))
    ruling = dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=RATIONALE)
    (item,) = api(staff).get("/api/v1/rulings/").json()["results"]
    assert item["id"] == ruling.pk and item["dispute"] == dispute.pk


def test_precedent_filters(api_client, closed_ruling, agent, verdict) -> None:
    closed_ruling()

    def count(query: str) -> int:
        response = api_client.get(f"/api/v1/rulings/?{query}")
        assert response.status_code == 200, response.content
        return len(response.json()["results"])

    assert count(f"clause_id={verdict.clause_id}") == 1 and count("clause_id=other") == 0
    assert count("metric=task_success") == 1 and count("metric=latency_ms") == 0
    assert count("outcome=rejected") == 1 and count("outcome=upheld") == 0
    assert count(f"agent={agent.slug}") == 1 and count("agent=other") == 0
    assert count("q=telemetry") == 1 and count("q=unicorns") == 0
    for bad in ("outcome=maybe", "sort=new", "q=" + "x" * 201, "agent=a%20b"):
        problem(api_client.get(f"/api/v1/rulings/?{bad}"), 400)


def test_precedent_costs_a_fixed_number_of_queries(api_client, closed_ruling, verdict, observe) -> None:
    closed_ruling(confidential=True)
    with CaptureQueriesContext(connection) as one:
        api_client.get("/api/v1/rulings/")
    closed_ruling()
    closed_ruling(subject={"type": "clause", "id": verdict.clause_id})
    with CaptureQueriesContext(connection) as three:
        response = api_client.get("/api/v1/rulings/")
    assert len(response.json()["results"]) == 3
    assert len(three) == len(one)


# --- the arbiter's queue and conflicts -----------------------------------------------------------------------------


def test_the_queue_offers_unassigned_disputes_and_never_a_conflicted_partys(api, file, arbiter, arbiter_b, buyer):
    dispute = file()
    assert [d["id"] for d in api(arbiter).get("/api/v1/arbiter/queue/").json()["results"]] == [dispute.pk]
    response = api(arbiter).post("/api/v1/arbiter/conflicts/", {"organization": buyer.organization.slug}, format="json")
    assert response.status_code == 201, response.content
    assert api(arbiter).get("/api/v1/arbiter/queue/").json()["results"] == []
    assert [d["id"] for d in api(arbiter_b).get("/api/v1/arbiter/queue/").json()["results"]] == [dispute.pk]
    problem(act(api(arbiter), dispute, "assign"), 404)  # a conflicted arbiter does not even see it


def test_the_queue_filters_and_mine(api, file, arbiter, staff) -> None:
    dispute = file()
    client = api(arbiter)

    def ids(query: str = "") -> list[int]:
        response = client.get(f"/api/v1/arbiter/queue/?{query}")
        assert response.status_code == 200, response.content
        return [d["id"] for d in response.json()["results"]]

    assert ids("status=awaiting_response") == [dispute.pk] and ids("status=under_review") == []
    assert ids("agent=refund-bot") == [dispute.pk] and ids("overdue=true") == []
    assert ids("mine=true") == []
    act(client, dispute, "assign")
    assert ids() == [] and ids("mine=true") == [dispute.pk]
    Dispute.objects.filter(pk=dispute.pk).update(due_by=timezone.now() - timedelta(days=1))
    assert ids("mine=true&overdue=true") == [dispute.pk]
    assert [d["id"] for d in api(staff).get("/api/v1/arbiter/queue/?mine=false").json()["results"]] == []
    for bad in ("mine=maybe", "status=x", "page=2"):
        problem(client.get(f"/api/v1/arbiter/queue/?{bad}"), 400)


@pytest.mark.parametrize("who", ["buyer", "vendor", "outsider"])
def test_the_queue_and_conflicts_are_for_arbiters_and_staff(api, who, request) -> None:
    client = api(request.getfixturevalue(who))
    problem(client.get("/api/v1/arbiter/queue/"), 403)
    problem(client.get("/api/v1/arbiter/conflicts/"), 403)
    problem(client.post("/api/v1/arbiter/conflicts/", {"organization": "northwind-bank"}, format="json"), 403)


def test_conflicts_are_declared_listed_and_removed(api, arbiter, arbiter_b, staff, buyer, vendor) -> None:
    client = api(arbiter)
    slug = buyer.organization.slug
    created = client.post("/api/v1/arbiter/conflicts/", {"organization": slug, "note": "my sister"}, format="json")
    assert created.status_code == 201, created.content
    conflict = created.json()
    assert conflict["organization"] == slug and conflict["arbiter"] == arbiter.username
    assert conflict["note"] == "my sister" and conflict["organization_name"] == buyer.organization.name
    data = problem(client.post("/api/v1/arbiter/conflicts/", {"organization": slug}, format="json"), 409)
    assert data["errors"][0]["conflict"] == str(conflict["id"])
    assert "organization" in fields_of(
        problem(client.post("/api/v1/arbiter/conflicts/", {"organization": "nobody-inc"}, format="json"), 400)
    )
    problem(client.post("/api/v1/arbiter/conflicts/", {}, format="json"), 400)
    assert [c["id"] for c in client.get("/api/v1/arbiter/conflicts/").json()["results"]] == [conflict["id"]]
    assert api(arbiter_b).get("/api/v1/arbiter/conflicts/").json()["results"] == []
    assert [c["id"] for c in api(staff).get("/api/v1/arbiter/conflicts/").json()["results"]] == [conflict["id"]]
    problem(api(staff).post("/api/v1/arbiter/conflicts/", {"organization": slug}, format="json"), 403)
    problem(api(arbiter_b).delete(f"/api/v1/arbiter/conflicts/{conflict['id']}/"), 404)
    problem(api(staff).delete(f"/api/v1/arbiter/conflicts/{conflict['id']}/"), 403)
    problem(api(vendor).delete(f"/api/v1/arbiter/conflicts/{conflict['id']}/"), 404)
    assert client.delete(f"/api/v1/arbiter/conflicts/{conflict['id']}/").status_code == 204
    assert not ArbiterConflict.objects.exists()
    problem(client.delete(f"/api/v1/arbiter/conflicts/{conflict['id']}/"), 404)


def test_declaring_a_conflict_recuses_the_arbiter_from_an_assigned_dispute(api, file, arbiter, vendor) -> None:
    dispute = file()
    act(api(arbiter), dispute, "assign")
    response = api(arbiter).post(
        "/api/v1/arbiter/conflicts/", {"organization": vendor.organization.slug}, format="json"
    )
    assert response.status_code == 201, response.content
    dispute.refresh_from_db()
    assert dispute.arbiter_id is None and dispute.status == Status.AWAITING_RESPONSE
    assert DisputeEvent.objects.filter(dispute=dispute, action="recuse", actor=arbiter).count() == 1


# --- what the parties hear of --------------------------------------------------------------------------------------


def test_filing_acting_and_ruling_publish_dispute_events(api, body, buyer, vendor, arbiter, settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    events = ["dispute.filed", "dispute.updated", "dispute.ruled"]
    webhooks.webhook_endpoint_create(user=buyer, url="http://127.0.0.1:9/hooks", events=events)
    dispute = api(buyer).post("/api/v1/disputes/", body(), format="json").json()
    act(api(vendor), dispute["id"], "respond", {"statement": "We answer."})
    act(api(arbiter), dispute["id"], "assign")
    act(api(arbiter), dispute["id"], "rule", {"outcome": "rejected", "rationale": RATIONALE})
    kinds = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert kinds[0] == "dispute.filed" and "dispute.updated" in kinds and kinds[-1] == "dispute.ruled"
    ruled = WebhookDelivery.objects.get(event_type="dispute.ruled").payload
    assert ruled["data"]["dispute"] == dispute["id"] and ruled["data"]["outcome"] == "rejected"
    for user in (buyer, vendor):
        assert set(Notification.objects.filter(recipient=user).values_list("kind", flat=True)) >= set(events)
    assert Notification.objects.filter(recipient=arbiter, kind="dispute.assigned").exists()


def test_a_submission_is_never_written_by_a_refused_action(api, file, buyer) -> None:
    dispute = file()
    problem(act(api(buyer), dispute, "respond", {"statement": "not mine"}), 403)
    assert Submission.objects.filter(dispute=dispute).count() == 1


def test_the_queue_pages_by_deadline_with_its_cursor(api, file, arbiter, verdict, vendor) -> None:
    first = file()
    second = file(subject={"type": "clause", "id": verdict.clause_id})
    workflow.dispute_respond(user=vendor, dispute=second, statement="We answer.")  # its review deadline is later
    client = api(arbiter)
    page = client.get("/api/v1/arbiter/queue/?page_size=1").json()
    assert [d["id"] for d in page["results"]] == [first.pk]
    page = client.get(page["next"]).json()
    assert [d["id"] for d in page["results"]] == [second.pk] and page["next"] is None
    page = client.get(page["previous"]).json()
    assert [d["id"] for d in page["results"]] == [first.pk]
