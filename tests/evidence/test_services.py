"""Evidence services (evidence.services): importing a tool's result file stores its records once, all or nothing,
for the agent's vendor only."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from evidence import services
from evidence.errors import EvidenceInvalid, ImportInvalid
from evidence.importers import ImportOptions, inspect_ai
from evidence.models import EvidenceImport, EvidenceRecord
from pacts import services as pact_services
from tests.evidence.files import jsonl, wire_line
from trust_portal.errors import Forbidden, PayloadTooLarge

pytestmark = pytest.mark.django_db


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


# --- importing a result file --------------------------------------------------------------------------------------


def test_import_inspect_json_stores_the_records(agent, vendor, inspect_json_bytes, inspect_log) -> None:
    evaluation = inspect_log["eval"]
    imported, created = services.evidence_import(
        agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor, filename="refund_policy_eval.json"
    )
    assert created is True
    file_sha = hashlib.sha256(inspect_json_bytes).hexdigest()
    assert imported.file_sha256 == file_sha
    assert (imported.format, imported.tool, imported.tool_version) == ("inspect", "inspect_ai", "0.3.285")
    assert imported.task == "refund_policy_eval v1"
    assert imported.dataset == "refund_policy_qa"
    assert imported.run_id == evaluation["eval_id"]
    assert imported.record_count == 1
    assert imported.filename == "refund_policy_eval.json"
    assert imported.submitted_by == vendor

    record = EvidenceRecord.objects.get()
    assert record.agent == agent
    assert record.evidence_import == imported
    assert (record.successes, record.trials, record.sample_count) == (9, 12, 12)
    assert record.value is None and record.values is None
    assert record.measured == 0.75
    assert record.metric == "match"
    assert record.kind == "eval_run"
    assert record.visibility == "public"
    assert (record.source_tool, record.source_version) == ("inspect_ai", "0.3.285")
    assert record.task_name == "refund_policy_eval"
    assert record.task_version == "1"
    assert record.scorer == "match"
    assert record.dataset_hash == inspect_ai.dataset_hash(evaluation["dataset"])
    assert record.observed_from == _time(inspect_log["stats"]["started_at"])
    assert record.observed_to == _time(inspect_log["stats"]["completed_at"])
    assert record.payload["import"] == {
        "format": "inspect",
        "file_sha256": file_sha,
        "filename": "refund_policy_eval.json",
    }
    assert record.payload["eval_id"] == evaluation["eval_id"]
    assert record.submitted_by == vendor
    assert len(record.canonical_hash) == 64


def test_import_promptfoo_stores_pass_rate_and_latency(agent, vendor, promptfoo_bytes, promptfoo_doc) -> None:
    imported, created = services.evidence_import(
        agent=agent, data=promptfoo_bytes, fmt="promptfoo", user=vendor, filename="results.json"
    )
    assert created is True
    assert imported.record_count == 2
    assert (imported.tool, imported.tool_version, imported.run_id) == ("promptfoo", "0.121.20", promptfoo_doc["evalId"])
    records = {r.metric: r for r in EvidenceRecord.objects.filter(evidence_import=imported)}
    assert set(records) == {"assertion_pass", "latency_ms"}
    assert (records["assertion_pass"].successes, records["assertion_pass"].trials) == (7, 10)
    assert records["latency_ms"].values == [float(r["latencyMs"]) for r in promptfoo_doc["results"]["results"]]
    assert records["latency_ms"].sample_count == 10
    for record in records.values():
        assert (record.source_tool, record.source_version) == ("promptfoo", "0.121.20")
        assert record.payload["import"]["file_sha256"] == hashlib.sha256(promptfoo_bytes).hexdigest()
        assert record.task_name == "Refund policy assistant (importer fixture)"


def test_import_eval_archive_stores_the_same_numbers(agent, vendor, eval_bytes, eval_header) -> None:
    imported, created = services.evidence_import(agent=agent, data=eval_bytes, fmt="inspect", user=vendor)
    assert created is True
    record = imported.records.get()
    assert (record.successes, record.trials) == (9, 12)
    assert record.payload["log_format"] == "eval"
    assert record.payload["import"]["file_sha256"] == hashlib.sha256(eval_bytes).hexdigest()
    assert record.payload["import"]["filename"] == ""
    assert imported.run_id == eval_header["eval"]["eval_id"]


def test_import_options_reach_the_records(agent, vendor, inspect_json_bytes) -> None:
    options = ImportOptions(metric="refund_accuracy", visibility="restricted")
    services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor, options=options)
    record = EvidenceRecord.objects.get()
    assert (record.metric, record.visibility) == ("refund_accuracy", "restricted")


def test_importing_the_same_file_twice_adds_nothing(agent, vendor, inspect_json_bytes) -> None:
    first, created = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    assert created is True
    again, created = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    assert created is False
    assert again.pk == first.pk
    assert EvidenceImport.objects.count() == 1
    assert EvidenceRecord.objects.count() == 1


def test_the_same_run_from_another_file_adds_nothing(agent, vendor, inspect_json_bytes, inspect_log) -> None:
    first, _ = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    reserialized = json.dumps(inspect_log, indent=1).encode()  # other bytes, same eval_id
    assert hashlib.sha256(reserialized).hexdigest() != first.file_sha256
    again, created = services.evidence_import(agent=agent, data=reserialized, fmt="inspect", user=vendor)
    assert created is False
    assert again.pk == first.pk
    assert EvidenceRecord.objects.count() == 1


def test_eval_archive_of_another_run_after_the_json_log_adds_records(
    agent, vendor, inspect_json_bytes, eval_bytes
) -> None:
    from_json, created_json = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    from_eval, created_eval = services.evidence_import(agent=agent, data=eval_bytes, fmt="inspect", user=vendor)
    assert created_json is True and created_eval is True
    assert from_json.run_id != from_eval.run_id
    assert EvidenceImport.objects.count() == 2
    assert EvidenceRecord.objects.count() == 2
    assert {r.payload["log_format"] for r in EvidenceRecord.objects.all()} == {"json", "eval"}


def test_the_same_file_may_be_imported_for_another_agent(agent, vendor, inspect_json_bytes) -> None:
    other = pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    _, created = services.evidence_import(agent=other, data=inspect_json_bytes, fmt="inspect", user=vendor)
    assert created is True
    assert EvidenceRecord.objects.filter(agent=other).count() == 1


def test_import_generic_jsonl_and_csv(agent, vendor) -> None:
    end = timezone.now() - timedelta(hours=1)
    start = end - timedelta(days=1)
    record = wire_line(observed_from=start.isoformat(), observed_to=end.isoformat())
    imported, _ = services.evidence_import(agent=agent, data=jsonl(record, record), fmt="jsonl", user=vendor)
    assert (imported.tool, imported.record_count, imported.run_id) == ("jsonl", 2, "")
    csv_data = f"metric,value,observed_from,observed_to\nuptime,0.99,{start.isoformat()},{end.isoformat()}\n"
    imported, _ = services.evidence_import(agent=agent, data=csv_data.encode(), fmt="csv", user=vendor)
    assert imported.record_count == 1
    stored = imported.records.get()
    assert (stored.metric, stored.value, stored.source_tool) == ("uptime", 0.99, "csv")


def test_unknown_format_is_refused(agent, vendor, inspect_json_bytes) -> None:
    with pytest.raises(ImportInvalid, match="Unknown format 'nope'") as caught:
        services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="nope", user=vendor)
    assert caught.value.field == "format"
    assert caught.value.status == 400
    assert EvidenceImport.objects.count() == 0


def test_unparseable_file_is_an_import_error_and_stores_nothing(agent, vendor, eval_bytes) -> None:
    with pytest.raises(ImportInvalid, match=r"Not a readable \.eval archive") as caught:
        services.evidence_import(agent=agent, data=eval_bytes[:1000], fmt="inspect", user=vendor)
    assert caught.value.errors[0]["field"] == "file"
    with pytest.raises(ImportInvalid) as caught:
        services.evidence_import(agent=agent, data=jsonl(wire_line(), "{oops"), fmt="jsonl", user=vendor)
    assert caught.value.errors[0]["field"] == "line 2"
    assert EvidenceImport.objects.count() == 0
    assert EvidenceRecord.objects.count() == 0


def test_import_with_one_invalid_record_stores_nothing(agent, vendor) -> None:
    end = (timezone.now() - timedelta(hours=1)).isoformat()
    good = wire_line(observed_from=end, observed_to=end)
    bad = wire_line(observed_from=end, observed_to=end, metric="Not A Metric")
    with pytest.raises(EvidenceInvalid) as caught:
        services.evidence_import(agent=agent, data=jsonl(good, bad), fmt="jsonl", user=vendor)
    assert caught.value.errors[0]["field"] == "1.metric"
    assert EvidenceImport.objects.count() == 0
    assert EvidenceRecord.objects.count() == 0


def test_import_of_an_empty_jsonl_is_refused(agent, vendor) -> None:
    with pytest.raises(ImportInvalid, match="no results"):
        services.evidence_import(agent=agent, data=b"\n\n", fmt="jsonl", user=vendor)


def test_import_larger_than_the_limit_is_refused(agent, vendor, settings, inspect_json_bytes) -> None:
    settings.EVIDENCE_IMPORT_MAX_BYTES = 1000
    with pytest.raises(PayloadTooLarge):
        services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)


@pytest.mark.parametrize("who", ["buyer", "vendor_b", "outsider"])
def test_others_cannot_import_into_the_agent(agent, request, who, inspect_json_bytes) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(Forbidden, match="vendor organization"):
        services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=user)
    assert EvidenceImport.objects.count() == 0


# --- visibility of an import is a floor ----------------------------------------------------------------------------


def test_a_restricted_import_keeps_every_line_restricted(agent, vendor) -> None:
    end = timezone.now() - timedelta(hours=1)
    line = wire_line(observed_from=(end - timedelta(days=1)).isoformat(), observed_to=end.isoformat())
    public_line = {**line, "visibility": "public", "successes": 1}
    imported, _ = services.evidence_import(
        agent=agent,
        data=jsonl(line, public_line),
        fmt="jsonl",
        user=vendor,
        options=ImportOptions(visibility="restricted"),
    )
    assert set(imported.records.values_list("visibility", flat=True)) == {"restricted"}


def test_a_restricted_csv_column_cannot_be_lowered_either(agent, vendor) -> None:
    end = timezone.now() - timedelta(hours=1)
    start = end - timedelta(days=1)
    csv_data = (
        f"metric,value,observed_from,observed_to,visibility\nuptime,0.99,{start.isoformat()},{end.isoformat()},public\n"
    )
    imported, _ = services.evidence_import(
        agent=agent, data=csv_data.encode(), fmt="csv", user=vendor, options=ImportOptions(visibility="restricted")
    )
    assert imported.records.get().visibility == "restricted"


def test_a_public_import_may_still_carry_restricted_lines(agent, vendor) -> None:
    end = timezone.now() - timedelta(hours=1)
    line = wire_line(observed_from=(end - timedelta(days=1)).isoformat(), observed_to=end.isoformat())
    imported, _ = services.evidence_import(
        agent=agent, data=jsonl(line, {**line, "visibility": "restricted", "successes": 2}), fmt="jsonl", user=vendor
    )
    assert sorted(imported.records.values_list("visibility", flat=True)) == ["public", "restricted"]


def test_a_second_active_grant_for_the_same_buyer_is_refused(agent, vendor, buyer) -> None:
    from evidence.errors import GrantExists
    from evidence.models import AccessGrant

    first = services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)
    with pytest.raises(GrantExists, match="already has active access"):
        services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)
    services.access_grant_revoke(grant=first, user=vendor)
    services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)  # after a revocation: fine
    assert AccessGrant.objects.filter(revoked_at__isnull=True).count() == 1
