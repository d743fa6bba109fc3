"""Example pact documents: the editor's starting point, the docs' examples, the demo data."""

from __future__ import annotations

import copy
import json
from typing import Any

REFUNDS_V1: dict[str, Any] = {
    "schema": "pact/v1",
    "title": "Support agent — refunds workflow",
    "scope": {"covers": ["refund requests under 500 EUR"], "excludes": ["chargebacks"]},
    "consequence_level": "high",
    "review_every_days": 90,
    "obligations": [
        {
            "id": "resolution-rate",
            "title": "Resolves refund requests without human rescue",
            "metric": "task_success",
            "aggregation": "rate",
            "comparator": ">=",
            "threshold": 0.92,
            "window_days": 30,
            "min_samples": 200,
            "max_evidence_age_days": 7,
            "severity": "major",
            "evidence_kinds": ["eval_run", "telemetry"],
            "on_breach": [{"action": "service_credit", "percent": 10}, {"action": "downgrade"}],
            "on_stale": [{"action": "downgrade"}],
        },
        {
            "id": "latency-p95",
            "title": "Answers quickly",
            "metric": "latency_ms",
            "unit": "ms",
            "aggregation": "p95",
            "comparator": "<=",
            "threshold": 1500,
            "window_days": 7,
            "min_samples": 500,
            "max_evidence_age_days": 2,
            "severity": "minor",
            "evidence_kinds": ["telemetry"],
            "on_breach": [{"action": "notify"}],
        },
        {
            "id": "policy-accuracy",
            "title": "Applies the refund policy correctly",
            "metric": "policy_accuracy",
            "aggregation": "mean",
            "comparator": ">=",
            "threshold": 0.95,
            "metric_kind": "numeric",
            "window_days": 30,
            "min_samples": 100,
            "max_evidence_age_days": 14,
            "severity": "critical",
            "evidence_kinds": ["eval_run"],
            "preregistration": {
                "task": "refund_policy_eval",
                "task_version": "1",
                "dataset_hash": "sha256:" + "3f1a" * 16,
                "scorer": "match",
                "decision_rule": "mean accuracy over all samples of the pinned dataset",
            },
            "on_breach": [{"action": "service_credit", "percent": 5}, {"action": "downgrade"}],
            "on_stale": [{"action": "downgrade"}],
        },
    ],
    "dispute_terms": {"response_days": 5, "review_days": 10, "appeal_days": 7},
}


def refunds_v2() -> dict[str, Any]:
    """A tightened v2: higher resolution bar, fresher evidence, signed evidence for the critical clause."""
    document = copy.deepcopy(REFUNDS_V1)
    document["obligations"][0]["threshold"] = 0.94
    document["obligations"][0]["max_evidence_age_days"] = 5
    document["obligations"][2]["requires_signed_evidence"] = True
    return document


def refunds_v3_loosened() -> dict[str, Any]:
    """A loosened v3: latency allowance doubled and evidence may be older."""
    document = refunds_v2()
    document["obligations"][1]["threshold"] = 3000
    document["obligations"][1]["max_evidence_age_days"] = 5
    return document


HUMAN_REVIEW: dict[str, Any] = {
    "id": "human-review",
    "title": "Passes the monthly external review of refund decisions",
    "metric": "human_review_pass",
    "aggregation": "rate",
    "comparator": ">=",
    "threshold": 1.0,
    "window_days": 90,
    "min_samples": 1,
    "max_evidence_age_days": 45,
    "severity": "major",
    "evidence_kinds": ["attestation"],
    "on_breach": [{"action": "notify"}],
}


def with_human_review(document: dict[str, Any]) -> dict[str, Any]:
    """The document plus a clause judged on restricted evidence only (the auditor's attestations): outsiders
    see its status, never its values (docs/evaluation.md, "Verdicts on restricted evidence")."""
    document = copy.deepcopy(document)
    document["obligations"].append(copy.deepcopy(HUMAN_REVIEW))
    return document


CODE_REVIEW: dict[str, Any] = {
    "schema": "pact/v1",
    "title": "Code-review agent — pull request triage",
    "scope": {"covers": ["pull requests in supported languages"], "excludes": ["security audits"]},
    "consequence_level": "medium",
    "review_every_days": 30,
    "consequences": {"credit-5": {"action": "service_credit", "percent": 5}, "downgrade": {"action": "downgrade"}},
    "obligations": [
        {
            "id": "true-positive-rate",
            "title": "Flags real defects",
            "metric": "defect_detected",
            "aggregation": "rate",
            "comparator": ">=",
            "threshold": 0.8,
            "window_days": 30,
            "min_samples": 50,
            "max_evidence_age_days": 10,
            "severity": "major",
            "evidence_kinds": ["eval_run"],
            "on_breach": ["credit-5", "downgrade"],
            "on_stale": ["downgrade"],
        },
        {
            "id": "false-alarms",
            "title": "Rarely raises false alarms",
            "metric": "false_alarm",
            "aggregation": "rate",
            "comparator": "<=",
            "threshold": 0.1,
            "window_days": 30,
            "min_samples": 50,
            "max_evidence_age_days": 10,
            "severity": "minor",
            "evidence_kinds": ["eval_run", "telemetry"],
            "on_breach": ["downgrade"],
        },
    ],
    "dispute_terms": {"response_days": 7, "review_days": 14, "appeal_days": 7},
}

SCHEDULER: dict[str, Any] = {
    "schema": "pact/v1",
    "title": "Scheduling assistant — calendar actions",
    "consequence_level": "low",
    "review_every_days": 14,
    "obligations": [
        {
            "id": "booking-success",
            "title": "Books the meeting it was asked to book",
            "metric": "booking_success",
            "aggregation": "rate",
            "comparator": ">=",
            "threshold": 0.97,
            "window_days": 14,
            "min_samples": 100,
            "max_evidence_age_days": 3,
            "severity": "major",
            "evidence_kinds": ["telemetry"],
            "on_stale": [{"action": "downgrade"}],
        }
    ],
}

STARTER_DOCUMENT = json.dumps(REFUNDS_V1, indent=2, ensure_ascii=False)
