"""``trust-verify report`` (trustcore.verify.verify_report): a diligence report verifies offline with nothing but
the log key; every change after signing is caught and named. Built here with the core alone (no Django)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trustcore import dsse, notes
from trustcore.verify import (
    REPORT_FORMAT,
    REPORT_PAYLOAD_TYPE,
    BundleInvalid,
    bundle_sha256,
    main,
    report_payload,
    verify_report,
)

ORIGIN = "trust-portal.test/log"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def signed(report: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    body = {k: v for k, v in report.items() if k != "receipt"}
    return {**body, "receipt": dsse.sign(report_payload(body), key, payload_type=REPORT_PAYLOAD_TYPE)}


@pytest.fixture
def report(key: Ed25519PrivateKey) -> dict[str, Any]:
    note = notes.sign_checkpoint(notes.checkpoint_body(ORIGIN, 12, hashlib.sha256(b"root").digest()), ORIGIN, key)
    return signed(
        {
            "format": REPORT_FORMAT,
            "produced_at": "2026-12-01T12:00:00Z",
            "requester": {"user": "bea", "organization": {"slug": "northwind", "name": "Northwind", "kind": "buyer"}},
            "agents": [
                {
                    "agent": "refund-bot",
                    "name": "Refund Bot",
                    "tier": "standard",
                    "score": 71.4,
                    "lower_bound": 62.0,
                    "clauses": [{"clause_id": "resolution-rate", "metric": "task_success", "status": "met"}],
                    "bundle": {"sha256": bundle_sha256({"format": "x"}), "records": 0},
                }
            ],
            "log": {"origin": ORIGIN, "key_name": ORIGIN, "key_id": "k", "size": 12, "checkpoint": note},
            "withheld": [{"agent": "refund-bot", "kind": "verdict_values", "what": "the measured value of x"}],
        },
        key,
    )


def test_a_signed_report_verifies(report, key) -> None:
    summary = verify_report(report, pem(key))
    assert summary["agents"] == ["refund-bot"] and summary["checkpoint_size"] == 12 and summary["bundles"] == []


def test_layout_does_not_matter(report, key) -> None:
    assert verify_report(json.loads(json.dumps(report, indent=4, sort_keys=True)), pem(key))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["agents"][0].update(score=99.0), r"agents\[0\]\.score \(signed 71\.4, the report says 99\.0\)"),
        (lambda r: r["agents"][0]["clauses"][0].update(status="breached"), r"agents\[0\]\.clauses\[0\]\.status"),
        (lambda r: r["withheld"].clear(), r"withheld \(signed 1 items, the report has 0\)"),
        (lambda r: r.update(extra=1), r"extra \(in the report, but not signed\)"),
        (lambda r: r.pop("requester"), r"requester \(signed, but missing from the report\)"),
        (lambda r: r["log"].update(size=13), "log size 13 is not its checkpoint's"),
        (
            lambda r: r["log"].update(checkpoint=r["log"]["checkpoint"].replace("12", "13", 1)),
            "the report's checkpoint",
        ),
        (lambda r: r.pop("receipt"), "carries no receipt"),
        (lambda r: r["receipt"].update(payloadType="application/json"), "receipt signature"),
        (
            lambda r: r["receipt"]["signatures"][0].update(sig=r["receipt"]["signatures"][0]["sig"][::-1]),
            "receipt signature",
        ),
        (lambda r: r.update(format="trust-portal-bundle/v1"), "not a diligence-report/1 report"),
    ],
)
def test_any_change_fails_naming_what_broke(report, key, change, message) -> None:
    tampered = copy.deepcopy(report)
    change(tampered)
    with pytest.raises(BundleInvalid, match=message):
        verify_report(tampered, pem(key))


def test_another_key_is_refused(report) -> None:
    with pytest.raises(BundleInvalid, match="receipt signature"):
        verify_report(report, pem(Ed25519PrivateKey.generate()))


def test_a_bundle_not_named_by_the_report_is_refused(report, key) -> None:
    with pytest.raises(BundleInvalid, match="is not one this report names"):
        verify_report(report, pem(key), bundles=[{"format": "y", "agent": {"slug": "refund-bot"}}])


def test_a_named_bundle_is_verified_itself(report, key) -> None:
    with pytest.raises(BundleInvalid, match="the bundle of 'refund-bot': not a trust-portal-bundle/v1 bundle"):
        verify_report(report, pem(key), bundles=[{"format": "x"}])


def test_the_command_line_says_ok_or_failed(report, key, tmp_path: Path, capsys) -> None:
    (tmp_path / "key.pem").write_bytes(pem(key))
    (tmp_path / "report.json").write_text(json.dumps(report))
    assert main(["report", str(tmp_path / "report.json"), "--key", str(tmp_path / "key.pem")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: diligence report of refund-bot produced at 2026-12-01T12:00:00Z")
    assert "WITHHELD: refund-bot: the measured value of x" in out
    report["agents"][0]["tier"] = "trusted"
    (tmp_path / "report.json").write_text(json.dumps(report))
    assert main(["report", str(tmp_path / "report.json"), "--key", str(tmp_path / "key.pem")]) == 1
    assert "FAILED: the report differs from what its receipt signs, at agents[0].tier" in capsys.readouterr().err
    (tmp_path / "report.json").write_text("{not json")
    assert main(["report", str(tmp_path / "report.json"), "--key", str(tmp_path / "key.pem")]) == 1
    assert "cannot read input" in capsys.readouterr().err
