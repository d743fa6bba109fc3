"""Access policies and decisions (reputation.policies, reputation.api.policies): versioned rules, every
condition reported, every decision logged with the revision it applied, signed receipts that verify offline."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from reputation.models import Decision, PolicyRevision
from transparency import log as tlog
from trustcore.verify import BundleInvalid, verify_receipt

pytestmark = pytest.mark.django_db
PRODUCTION = {
    "name": "Production use",
    "min_tier": "probation",
    "min_lower_bound": 0,
    "max_open_disputes": 0,
    "required_clauses": ["resolution-rate"],
    "max_evidence_age_days": 7,
    "consequence_levels": ["low", "medium", "high"],
}


@pytest.fixture
def buyer_api(bearer, buyer):
    return bearer(buyer)


@pytest.fixture
def policy(buyer_api):
    response = buyer_api.post("/api/v1/policies/", PRODUCTION, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def decide(client, policy_id, **query):
    params = "&".join(f"{k}={v}" for k, v in {"policy": policy_id, **query}.items())
    return client.get(f"/api/v1/agents/refund-bot/decision/?{params}")


def test_a_policy_has_the_wire_fields_and_a_first_revision(policy) -> None:
    assert policy["revision"] == 1 and policy["name"] == "Production use"
    assert policy["rules"]["required_clauses"] == ["resolution-rate"]
    assert policy["rules"]["consequence_levels"] == ["low", "medium", "high"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_tier": "gold"}, "min_tier"),
        ({"min_lower_bound": 101}, "min_lower_bound"),
        ({"min_lower_bound": "high"}, "min_lower_bound"),
        ({"max_open_disputes": 1.5}, "max_open_disputes"),
        ({"max_evidence_age_days": 0}, "max_evidence_age_days"),
        ({"required_clauses": ["Not A Clause"]}, "required_clauses"),
        ({"required_clauses": "resolution-rate"}, "required_clauses"),
        ({"consequence_levels": []}, "consequence_levels"),
        ({"consequence_levels": ["extreme"]}, "consequence_levels"),
        ({"surprise": 1}, "surprise"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_a_bad_policy_is_a_400_naming_the_field(buyer_api, change, field) -> None:
    response = buyer_api.post("/api/v1/policies/", {**PRODUCTION, **change}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_a_policy_with_no_condition_is_refused(buyer_api) -> None:
    response = buyer_api.post("/api/v1/policies/", {"name": "Anything goes"}, format="json")
    assert response.status_code == 400


def test_editing_the_rules_writes_a_new_revision_and_old_decisions_keep_theirs(
    one_clause, observe, policy, buyer_api
) -> None:
    observe(95)
    first = decide(buyer_api, policy["id"]).json()
    assert first["policy_revision"] == 1
    changed = buyer_api.patch(f"/api/v1/policies/{policy['id']}/", {"min_tier": "trusted"}, format="json").json()
    assert changed["revision"] == 2 and changed["rules"]["min_tier"] == "trusted"
    assert changed["rules"]["required_clauses"] == ["resolution-rate"]  # a PATCH changes only what it names
    second = decide(buyer_api, policy["id"]).json()
    assert second["policy_revision"] == 2 and second["decision"] == "deny"
    log = {d.decision_id: d.revision.number for d in Decision.objects.select_related("revision")}
    assert log == {first["decision_id"]: 1, second["decision_id"]: 2}
    assert PolicyRevision.objects.get(policy_id=policy["id"], number=1).rules["min_tier"] == "probation"
    same = buyer_api.patch(f"/api/v1/policies/{policy['id']}/", {"min_tier": "trusted"}, format="json").json()
    assert same["revision"] == 2  # the same rules write no revision


def test_a_decision_reports_every_condition_and_is_logged(one_clause, observe, policy, buyer_api, buyer) -> None:
    observe(95)
    body = decide(buyer_api, policy["id"]).json()
    assert body["decision"] == "allow" and body["agent"] == "refund-bot"
    assert {"decision_id", "policy", "tier", "score", "lower_bound", "computed_at", "reasons", "conditions"} <= set(
        body
    )
    names = [c["condition"] for c in body["conditions"]]
    assert names == [
        "min_tier",
        "min_lower_bound",
        "max_open_disputes",
        "required_clause:resolution-rate",
        "max_evidence_age_days",
        "consequence_levels",
    ]
    assert all(c["passed"] for c in body["conditions"])
    logged = Decision.objects.get(decision_id=body["decision_id"])
    assert logged.result == "allow" and logged.requested_by == buyer
    assert logged.input["tier"] == body["tier"] and logged.conditions == body["conditions"]


def test_a_denial_names_each_failed_condition(one_clause, observe, policy, buyer_api) -> None:
    observe(95)
    observe(10, trials=1000)  # resolution-rate (critical here) breached: suspended
    body = decide(buyer_api, policy["id"]).json()
    assert body["decision"] == "deny" and body["tier"] == "suspended"
    failed = {c["condition"]: c for c in body["conditions"] if not c["passed"]}
    assert failed["min_tier"]["actual"] == "suspended" and failed["min_tier"]["required"] == "probation"
    assert failed["required_clause:resolution-rate"]["actual"] == "breached"
    assert "tier suspended is below probation" in body["reasons"]


def test_the_downgrade_and_the_denial_come_in_the_same_run(one_clause, observe, policy, buyer_api) -> None:
    """The evaluation that records the breach also lowers the tier, in one transaction: the first decision
    after it denies; there is no request that sees the breach and still allows."""
    observe(95)
    assert decide(buyer_api, policy["id"]).json()["decision"] == "allow"
    observe(10, trials=1000)
    assert decide(buyer_api, policy["id"]).json()["decision"] == "deny"


def test_only_the_policy_organization_sees_and_uses_it(policy, bearer, vendor, buyer2, one_clause) -> None:
    for outsider in (vendor, buyer2):
        client = bearer(outsider)
        assert client.get(f"/api/v1/policies/{policy['id']}/").status_code == 404
        assert decide(client, policy["id"]).status_code == 404
        assert client.get("/api/v1/policies/").json()["results"] == []
    assert Decision.objects.count() == 0


def test_members_decide_but_only_owners_write_policies(policy, bearer, buyer_member, one_clause) -> None:
    client = bearer(buyer_member)
    assert decide(client, policy["id"]).status_code == 200
    response = client.patch(f"/api/v1/policies/{policy['id']}/", {"min_tier": "trusted"}, format="json")
    assert response.status_code == 403 and "owner" in response.json()["detail"]
    assert client.post("/api/v1/policies/", PRODUCTION, format="json").status_code == 403


def test_an_archived_policy_decides_no_more(policy, buyer_api, one_clause) -> None:
    assert buyer_api.delete(f"/api/v1/policies/{policy['id']}/").json()["archived_at"]
    assert buyer_api.get("/api/v1/policies/").json()["results"] == []
    assert decide(buyer_api, policy["id"]).status_code == 409


def test_the_decision_log_lists_the_policys_decisions(one_clause, observe, policy, buyer_api) -> None:
    observe(95)
    ids = [decide(buyer_api, policy["id"]).json()["decision_id"] for _ in range(3)]
    log = buyer_api.get(f"/api/v1/policies/{policy['id']}/decisions/").json()["results"]
    assert [d["decision_id"] for d in log] == ids[::-1]
    assert log[0]["revision"] == 1 and log[0]["decision"] == "allow"


def test_a_missing_or_bad_policy_parameter_is_a_400(buyer_api, one_clause) -> None:
    assert buyer_api.get("/api/v1/agents/refund-bot/decision/").status_code == 400
    assert decide(buyer_api, "abc").status_code == 400


# --- receipts, ETags and caching ----------------------------------------------------------------------------------


def test_a_decision_receipt_verifies_offline_and_fails_when_a_byte_changes(
    one_clause, observe, policy, buyer_api, tmp_path
) -> None:
    observe(95)
    tlog.checkpoint_sign()
    body = decide(buyer_api, policy["id"], receipt=1).json()
    key = tlog.signing_key().public_pem.encode()
    signed = verify_receipt(body, key)
    assert signed["kind"] == "decision" and signed["decision"] == "allow" and signed["checkpoint"]
    (tmp_path / "decision.json").write_text(json.dumps(body))
    (tmp_path / "key.pem").write_bytes(key)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustcore",
            "receipt",
            str(tmp_path / "decision.json"),
            "--key",
            str(tmp_path / "key.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("OK: decision receipt, allow for refund-bot")
    tampered = {**body, "decision": "deny"}
    with pytest.raises(BundleInvalid, match="differs from what its receipt signs"):
        verify_receipt(tampered, key)
    envelope = dict(body["receipt"])
    envelope["payload"] = envelope["payload"][:-4] + ("AAAA" if envelope["payload"][-4:] != "AAAA" else "BBBB")
    with pytest.raises(BundleInvalid, match="signature"):
        verify_receipt(envelope, key)


def test_a_receipt_fails_after_it_expires(one_clause, observe, policy, buyer_api) -> None:
    observe(95)
    body = decide(buyer_api, policy["id"], receipt=1).json()
    key = tlog.signing_key().public_pem.encode()
    later = timezone.now() + timedelta(minutes=16)
    with pytest.raises(BundleInvalid, match="expired"):
        verify_receipt(body, key, later)


def test_a_score_receipt_verifies(one_clause, observe, api_client) -> None:
    observe(95)
    body = api_client.get("/api/v1/agents/refund-bot/score/?receipt=1").json()
    signed = verify_receipt(body, tlog.signing_key().public_pem.encode())
    assert signed["kind"] == "score" and signed["score"] == body["score"]


def test_receipts_make_answers_cacheable_until_they_expire_and_etags_revalidate(
    one_clause, observe, policy, buyer_api
) -> None:
    observe(95)
    signed = decide(buyer_api, policy["id"], receipt=1)
    assert signed["Cache-Control"].startswith("private, max-age=") and 890 <= int(signed["Cache-Control"][-3:]) <= 900
    plain = decide(buyer_api, policy["id"])
    assert plain["Cache-Control"] == "private, no-cache" and plain["ETag"]
    again = buyer_api.get(
        f"/api/v1/agents/refund-bot/decision/?policy={policy['id']}", HTTP_IF_NONE_MATCH=plain["ETag"]
    )
    assert again.status_code == 304
    observe(10, trials=1000)  # the standing changed: the ETag no longer matches
    changed = buyer_api.get(
        f"/api/v1/agents/refund-bot/decision/?policy={policy['id']}", HTTP_IF_NONE_MATCH=plain["ETag"]
    )
    assert changed.status_code == 200 and changed.json()["decision"] == "deny"
    score = buyer_api.get("/api/v1/agents/refund-bot/score/")
    assert buyer_api.get("/api/v1/agents/refund-bot/score/", HTTP_IF_NONE_MATCH=score["ETag"]).status_code == 304


def test_a_decision_appends_to_the_decision_log_and_writes_nothing_else(
    one_clause, observe, policy, client, buyer
) -> None:
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    observe(95)
    client.force_login(buyer)
    with CaptureQueriesContext(connection) as queries:
        assert decide(client, policy["id"]).status_code == 200
    writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.IGNORECASE)]
    assert len(writes) == 1 and "reputation_decision" in writes[0]


def test_a_patch_changes_only_the_conditions_it_names_and_null_removes_one(policy, buyer_api) -> None:
    url = f"/api/v1/policies/{policy['id']}/"
    body = buyer_api.patch(url, {"max_evidence_age_days": None, "min_lower_bound": 10}, format="json").json()
    assert "max_evidence_age_days" not in body["rules"] and body["rules"]["min_lower_bound"] == 10
    assert body["rules"]["min_tier"] == "probation" and body["revision"] == 2


def test_an_empty_clause_list_is_no_condition_so_it_cannot_make_a_policy_that_allows_everything(
    buyer_api, policy
) -> None:
    response = buyer_api.post("/api/v1/policies/", {"name": "x", "required_clauses": []}, format="json")
    assert response.status_code == 400 and "at least one condition" in response.json()["detail"]
    only_clauses = buyer_api.post("/api/v1/policies/", {"name": "y", "required_clauses": ["a"]}, format="json").json()
    emptied = buyer_api.patch(f"/api/v1/policies/{only_clauses['id']}/", {"required_clauses": []}, format="json")
    assert emptied.status_code == 400


def test_a_policy_given_twice_is_refused(one_clause, observe, policy, buyer_api) -> None:
    observe(95)
    response = buyer_api.get(f"/api/v1/agents/refund-bot/decision/?policy={policy['id']}&policy={policy['id']}")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "policy"


def test_if_none_match_star_revalidates_and_signed_answers_carry_no_etag(
    one_clause, observe, policy, buyer_api
) -> None:
    observe(95)
    url = f"/api/v1/agents/refund-bot/decision/?policy={policy['id']}"
    assert buyer_api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert "ETag" not in buyer_api.get(url + "&receipt=1")


def test_a_receipt_is_not_valid_before_it_was_issued(one_clause, observe, policy, buyer_api) -> None:
    observe(95)
    body = decide(buyer_api, policy["id"], receipt=1).json()
    earlier = timezone.now() - timedelta(days=365)
    with pytest.raises(BundleInvalid, match="issued at"):
        verify_receipt(body, tlog.signing_key().public_pem.encode(), earlier)
