"""Verify a Trust Portal evidence bundle offline: ``trust-verify BUNDLE --key LOG_KEY.pem``.

Also ``python trust-verify.pyz BUNDLE --key LOG_KEY.pem`` (the zipapp the portal serves) or
``python -m trustcore BUNDLE --key …``. Needs only the Python standard library and ``cryptography``: no database, no server, no network. It checks
the log's signed checkpoint against the key you trust, every record's leaf hash and inclusion proof
against that checkpoint (and that each salted record carries its 256-bit salt), every pact document
against its content hash, recomputes every verdict from the records with the portal's own evaluator
(a verdict marked ``recomputable: false`` rests on restricted evidence the bundle's scope leaves out: it
is reported as not recomputable in this scope, not compared), and checks the portal's signature over the whole bundle
(so no record can be left out and no pact swapped, even consistently). Exit 0 when everything checks; otherwise exit 1 with a
message naming the first thing that broke.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    from trustcore import dsse, jcs, merkle, notes
except ModuleNotFoundError as missing:  # run as a zipapp on a Python without cryptography
    if missing.name and missing.name.split(".")[0] == "cryptography":
        sys.exit("trust-verify needs the cryptography package: python3 -m pip install cryptography (in a venv)")
    raise
from trustcore.canonical import CANONICAL_VERSION, salt_problem
from trustcore.evaluator import clause_specs, evaluate, observation_from_canonical, parse_time

FORMAT = "trust-portal-bundle/v1"
BUNDLE_PAYLOAD_TYPE = "application/vnd.trust-portal.bundle+json"
SIGNATURE_FIELD = "portal_signature"
RECEIPT_TYPES = {
    "decision": "application/vnd.trust-portal.decision+json",
    "score": "application/vnd.trust-portal.score+json",
}
NOT_RECOMPUTABLE = "not recomputable in this scope: the verdict rests on restricted evidence this bundle does not carry"


def bundle_payload(bundle: dict[str, Any]) -> bytes:
    """What the portal signs: the RFC 8785 bytes of the bundle without its signature."""
    return jcs.dumps({k: v for k, v in bundle.items() if k != SIGNATURE_FIELD})


class BundleInvalid(Exception):
    """What broke, in words an auditor can act on."""


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise BundleInvalid(f"{what} is not valid base64") from None


def verify_bundle(bundle: dict[str, Any], public_key_pem: bytes) -> dict[str, Any]:
    """Check everything; return a summary. Raises BundleInvalid naming the first failure."""
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleInvalid(f"not a {FORMAT} bundle")
    log = bundle.get("log") or {}
    try:
        key = notes.public_key_from_pem(public_key_pem)
        cp = notes.verify_checkpoint(log.get("checkpoint", ""), log.get("key_name", ""), key)
    except notes.CheckpointError as error:
        raise BundleInvalid(f"checkpoint: {error}") from None
    except ValueError as error:
        raise BundleInvalid(f"key: {error}") from None

    agent = (bundle.get("agent") or {}).get("slug")
    records = bundle.get("records") or []
    signatures = bundle.get("signatures") or []
    vendor_keys = bundle.get("vendor_keys") or {}
    observations = []
    unsalted = 0
    previous_index = -1
    for position, item in enumerate(records):
        label = f"record #{item.get('id')} (position {position}, leaf {item.get('leaf_index')})"
        index = item.get("leaf_index")
        if not isinstance(index, int) or index <= previous_index:
            raise BundleInvalid(f"{label}: records are not in strictly increasing leaf order (reordered or duplicated)")
        previous_index = index
        data = item.get("data")
        if not isinstance(data, str):
            raise BundleInvalid(f"{label}: no canonical data")
        proof = [_b64(p, f"{label}: proof element") for p in item.get("inclusion_proof", [])]
        if not merkle.verify_inclusion(merkle.leaf_hash(data.encode()), index, cp.size, proof, cp.root):
            raise BundleInvalid(
                f"{label}: inclusion proof does not verify against the checkpoint of size {cp.size} "
                "(the record was altered, or is not in this log)"
            )
        try:
            record = json.loads(data)
        except ValueError:
            raise BundleInvalid(f"{label}: data is not JSON") from None
        if not isinstance(record, dict):
            raise BundleInvalid(f"{label}: data is not a JSON object")
        problem = salt_problem(record)
        if problem is not None:
            raise BundleInvalid(f"{label}: {problem}")
        unsalted += record.get("v") != CANONICAL_VERSION
        if record.get("agent") != agent:
            raise BundleInvalid(f"{label}: belongs to agent {record.get('agent')!r}, not {agent!r}")
        _check_vendor_signature(
            label, record, signatures[position] if position < len(signatures) else None, vendor_keys
        )
        observations.append(observation_from_canonical(item.get("id"), record))

    as_of = parse_time(bundle["as_of"])
    checked = 0
    withheld: list[str] = []
    for pact in bundle.get("pacts") or []:
        label = f"pact {pact.get('pact')} v{pact.get('version')}"
        document_text = pact.get("document", "")
        if hashlib.sha256(document_text.encode()).hexdigest() != pact.get("content_hash"):
            raise BundleInvalid(f"{label}: the document does not match its content hash")
        claimed = {v["clause_id"]: v for v in pact.get("verdicts", [])}
        for spec in clause_specs(json.loads(document_text)):
            verdict = evaluate(spec, observations, as_of)
            given = claimed.get(spec.clause_id)
            if given is None:
                raise BundleInvalid(f"{label}: no verdict for clause {spec.clause_id}")
            if given.get("recomputable") is False:
                withheld.append(f"{label} clause {spec.clause_id} ({given.get('status')})")
                continue
            same = (
                given.get("status") == verdict.status
                and given.get("samples") == verdict.samples
                and _close(given.get("measured"), verdict.measured)
                and sorted(given.get("used", [])) == sorted(verdict.used)
            )
            if not same:
                raise BundleInvalid(
                    f"{label}: verdict for clause {spec.clause_id} does not match the records: the bundle says "
                    f"{given.get('status')} ({given.get('measured')}, {given.get('samples')} samples, {len(given.get('used', []))} records), "
                    f"the records give {verdict.status} ({verdict.measured}, {verdict.samples} samples, {len(verdict.used)} records)"
                )
            checked += 1
    _check_portal_signature(bundle, key)
    return {
        "checkpoint_size": cp.size,
        "origin": cp.origin,
        "records": len(records),
        "unsalted_records": unsalted,
        "verdicts": checked,
        "not_recomputable": withheld,
    }


def _check_portal_signature(bundle: dict[str, Any], key: Any) -> None:
    """Every part checked above could be consistent and still chosen: a pact swapped with its own hash, records
    left out and verdicts recomputed to match. The portal signs the whole bundle with the log key, so the set
    of records, the pacts and the verdicts are the ones the portal served."""
    envelope = bundle.get(SIGNATURE_FIELD)
    if envelope is None:
        raise BundleInvalid("the bundle carries no portal signature: nothing proves the portal produced it")
    try:
        payload, _ = dsse.open_envelope(
            envelope, lambda kid: key if kid == dsse.key_id(key) else None, payload_type=BUNDLE_PAYLOAD_TYPE
        )
    except dsse.EnvelopeInvalid as error:
        raise BundleInvalid(f"portal signature: {error}") from None
    try:
        served = bundle_payload(bundle)
    except jcs.CanonicalizationError as error:
        raise BundleInvalid(f"the bundle is not canonical JSON: {error}") from None
    if payload != served:
        raise BundleInvalid(
            "the bundle differs from what the portal signed: a record, pact, verdict or field was added, removed "
            "or changed after it was served"
        )


def _check_vendor_signature(label: str, record: dict[str, Any], envelope: Any, vendor_keys: dict[str, str]) -> None:
    """A record the log says was signed must come with its envelope, whose signature verifies and whose
    payload is the one the record committed to."""
    signed = record.get("signed")
    if not signed:
        return
    if not isinstance(envelope, dict):
        raise BundleInvalid(
            f"{label}: the record was signed by {signed.get('keyid')}, but the bundle has no envelope for it"
        )
    pem = vendor_keys.get(signed.get("keyid", ""))
    if pem is None:
        raise BundleInvalid(f"{label}: the bundle lacks vendor key {signed.get('keyid')}")
    try:
        payload, _ = dsse.open_envelope(
            envelope, lambda kid: notes.public_key_from_pem(pem.encode()) if kid == signed.get("keyid") else None
        )
    except dsse.EnvelopeInvalid as error:
        raise BundleInvalid(f"{label}: vendor signature: {error}") from None
    if hashlib.sha256(payload).hexdigest() != signed.get("payload_sha256"):
        raise BundleInvalid(f"{label}: the signed envelope is not the one this record was accepted with")


def _close(a: Any, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)


def verify_receipt(document: Any, public_key_pem: bytes, now: datetime | None = None) -> dict[str, Any]:
    """Check a signed receipt (a decision or score response with its ``receipt``, or the envelope alone): the
    signature by the log key, its payload type, that it has not expired at ``now``, and the checkpoint it names.
    Returns the signed payload. Raises BundleInvalid naming what broke."""
    envelope = document.get("receipt") if isinstance(document, dict) and "receipt" in document else document
    if not isinstance(envelope, dict):
        raise BundleInvalid("no receipt: expected a DSSE envelope or a response carrying one in 'receipt'")
    try:
        key = notes.public_key_from_pem(public_key_pem)
    except ValueError as error:
        raise BundleInvalid(f"key: {error}") from None
    kind = next((k for k, t in RECEIPT_TYPES.items() if t == envelope.get("payloadType")), None)
    if kind is None:
        raise BundleInvalid(f"not a receipt: payloadType {envelope.get('payloadType')!r}")
    try:
        payload, _ = dsse.open_envelope(
            envelope, lambda kid: key if kid == dsse.key_id(key) else None, payload_type=RECEIPT_TYPES[kind]
        )
    except dsse.EnvelopeInvalid as error:
        raise BundleInvalid(f"receipt signature: {error}") from None
    try:
        signed = json.loads(payload)
        expires = parse_time(signed["expires_at"])
    except (ValueError, KeyError, TypeError):
        raise BundleInvalid("the receipt's payload is not a receipt (no expires_at)") from None
    moment = now or datetime.now(UTC)
    if moment >= expires:
        raise BundleInvalid(f"the receipt expired at {signed['expires_at']}")
    issued = signed.get("issued_at")
    if isinstance(issued, str) and moment < parse_time(issued):
        raise BundleInvalid(f"the receipt was issued at {issued}, after the moment it is checked at")
    log = signed.get("log") or {}
    if signed.get("checkpoint"):
        try:
            notes.verify_checkpoint(signed["checkpoint"], log.get("key_name", ""), key)
        except notes.CheckpointError as error:
            raise BundleInvalid(f"the receipt's checkpoint: {error}") from None
    if isinstance(document, dict) and "receipt" in document:
        served = {k: v for k, v in document.items() if k != "receipt"}
        claimed = {k: v for k, v in signed.items() if k not in ("issued_at", "expires_at", "checkpoint", "log")}
        if jcs.dumps(served) != jcs.dumps(claimed):
            raise BundleInvalid("the response differs from what its receipt signs: a field was changed after signing")
    return {"kind": kind, **signed}


def _receipt_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="trust-verify receipt", description="Verify a signed decision or score receipt offline."
    )
    parser.add_argument(
        "file", type=Path, help="the decision or score response (JSON) with its receipt, or the envelope"
    )
    parser.add_argument("--key", type=Path, required=True, help="the log's public key (PEM), from /api/v1/log/key.pem")
    parser.add_argument("--at", help="check validity at this RFC 3339 time instead of now")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.file.read_text())
        signed = verify_receipt(document, args.key.read_bytes(), parse_time(args.at) if args.at else None)
    except (OSError, ValueError) as error:
        print(f"FAILED: cannot read input: {error}", file=sys.stderr)
        return 1
    except BundleInvalid as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    what = (
        f"{signed.get('decision')} for {signed.get('agent')}"
        if signed["kind"] == "decision"
        else (
            f"score {signed.get('score')} (bound {signed.get('lower_bound')}, {signed.get('tier')}) of {signed.get('agent')}"
        )
    )
    print(f"OK: {signed['kind']} receipt, {what}, signed by the log key, valid until {signed['expires_at']}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["receipt"]:
        return _receipt_main(argv[1:])
    if argv[:1] == ["report"]:
        return _report_main(argv[1:])
    parser = argparse.ArgumentParser(prog="trust-verify", description=__doc__.split("\n\n")[0].replace("``", ""))
    parser.add_argument("bundle", type=Path)
    parser.add_argument(
        "--key", type=Path, required=True, help="the log's public key (PEM), e.g. from /api/v1/log/key.pem"
    )
    args = parser.parse_args(argv)
    try:
        bundle = json.loads(args.bundle.read_text())
        summary = verify_bundle(bundle, args.key.read_bytes())
    except (OSError, ValueError) as error:
        print(f"FAILED: cannot read input: {error}", file=sys.stderr)
        return 1
    except BundleInvalid as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(
        f"OK: checkpoint of {summary['origin']} at size {summary['checkpoint_size']}; "
        f"{summary['records']} records included and proven; {summary['verdicts']} verdicts recomputed and equal."
    )
    for clause in summary["not_recomputable"]:
        print(f"NOT RECOMPUTABLE IN THIS SCOPE: {clause}: it rests on restricted evidence this bundle does not carry")
    return 0


# --- diligence reports (``trust-verify report REPORT --key LOG_KEY.pem [--bundle BUNDLE …]``) -----------------

REPORT_FORMAT = "diligence-report/1"
REPORT_PAYLOAD_TYPE = "application/vnd.trust-portal.report+json"
REPORT_RECEIPT_FIELD = "receipt"


def report_payload(report: dict[str, Any]) -> bytes:
    """What the portal signs in a diligence report's receipt: the RFC 8785 bytes of the report without it."""
    return jcs.dumps({k: v for k, v in report.items() if k != REPORT_RECEIPT_FIELD})


def _first_difference(signed: Any, served: Any, path: str = "") -> str:
    """The JSON path of the first place two values differ, for a message an auditor can act on."""
    if isinstance(signed, dict) and isinstance(served, dict):
        for name in sorted(set(signed) | set(served)):
            if name not in served:
                return f"{path}.{name} (signed, but missing from the report)".lstrip(".")
            if name not in signed:
                return f"{path}.{name} (in the report, but not signed)".lstrip(".")
            if jcs.dumps(signed[name]) != jcs.dumps(served[name]):
                return _first_difference(signed[name], served[name], f"{path}.{name}")
    elif isinstance(signed, list) and isinstance(served, list):
        if len(signed) != len(served):
            return f"{path} (signed {len(signed)} items, the report has {len(served)})".lstrip(".")
        for position, (a, b) in enumerate(zip(signed, served, strict=True)):
            if jcs.dumps(a) != jcs.dumps(b):
                return _first_difference(a, b, f"{path}[{position}]")
    return (path.lstrip(".") or "the report") + f" (signed {_short(signed)}, the report says {_short(served)})"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def bundle_sha256(bundle: Any) -> str:
    """How a diligence report names a bundle: the SHA-256 of its RFC 8785 bytes (whitespace does not matter)."""
    return hashlib.sha256(jcs.dumps(bundle)).hexdigest()


def verify_report(report: Any, public_key_pem: bytes, bundles: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Check a ``diligence-report/1`` document: the receipt's signature by the log key over the report's RFC 8785
    bytes (less the receipt), the log checkpoint's signature, that the receipt covers exactly what the report
    says, and, for each bundle given (or carried in ``agents[].bundle.document``), that it is the one the report
    names by hash and that it verifies itself. Returns a summary; raises BundleInvalid naming what broke."""
    if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
        raise BundleInvalid(f"not a {REPORT_FORMAT} report")
    try:
        key = notes.public_key_from_pem(public_key_pem)
    except ValueError as error:
        raise BundleInvalid(f"key: {error}") from None
    envelope = report.get(REPORT_RECEIPT_FIELD)
    if not isinstance(envelope, dict):
        raise BundleInvalid("the report carries no receipt: nothing proves the portal produced it")
    try:
        payload, _ = dsse.open_envelope(
            envelope, lambda kid: key if kid == dsse.key_id(key) else None, payload_type=REPORT_PAYLOAD_TYPE
        )
    except dsse.EnvelopeInvalid as error:
        raise BundleInvalid(f"receipt signature: {error}") from None
    log: dict[str, Any] = report["log"] if isinstance(report.get("log"), dict) else {}
    try:
        cp = notes.verify_checkpoint(log.get("checkpoint") or "", log.get("key_name") or "", key)
    except notes.CheckpointError as error:
        raise BundleInvalid(f"the report's checkpoint: {error}") from None
    if log.get("size") != cp.size:
        raise BundleInvalid(f"the report's log size {log.get('size')!r} is not its checkpoint's ({cp.size})")
    try:
        served = report_payload(report)
    except jcs.CanonicalizationError as error:
        raise BundleInvalid(f"the report is not canonical JSON: {error}") from None
    if payload != served:
        try:
            signed = json.loads(payload)
        except ValueError:
            signed = None
        where = _first_difference(signed, {k: v for k, v in report.items() if k != REPORT_RECEIPT_FIELD})
        raise BundleInvalid(f"the report differs from what its receipt signs, at {where}")
    agents: list[Any] = report["agents"] if isinstance(report.get("agents"), list) else []
    named = {str((a.get("bundle") or {}).get("sha256")): a.get("agent") for a in agents if isinstance(a, dict)}
    given = list(bundles or [])
    for entry in agents:
        document = (entry.get("bundle") or {}).get("document") if isinstance(entry, dict) else None
        if document is not None:
            given.append(document)
    checked = []
    for bundle in given:
        digest = bundle_sha256(bundle)
        if digest not in named:
            agent = (bundle.get("agent") or {}).get("slug") if isinstance(bundle, dict) else None
            raise BundleInvalid(
                f"the bundle of {agent!r} (sha256 {digest}) is not one this report names: it was changed, or "
                "belongs to another report"
            )
        try:
            summary = verify_bundle(bundle, public_key_pem)
        except BundleInvalid as error:
            raise BundleInvalid(f"the bundle of {named[digest]!r}: {error}") from None
        checked.append({"agent": named[digest], "sha256": digest, **summary})
    return {
        "produced_at": report.get("produced_at"),
        "agents": [a.get("agent") for a in agents if isinstance(a, dict)],
        "checkpoint_size": cp.size,
        "origin": cp.origin,
        "withheld": report.get("withheld") or [],
        "bundles": checked,
    }


def _report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="trust-verify report", description="Verify a diligence report (diligence-report/1) offline."
    )
    parser.add_argument("file", type=Path, help="the report's JSON (the JSON export, or the PDF's JSON twin)")
    parser.add_argument("--key", type=Path, required=True, help="the log's public key (PEM), from /api/v1/log/key.pem")
    parser.add_argument(
        "--bundle",
        type=Path,
        action="append",
        default=[],
        help="an evidence bundle the report names by hash: checked against that hash and verified (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        report = json.loads(args.file.read_text())
        bundles = [json.loads(path.read_text()) for path in args.bundle]
        summary = verify_report(report, args.key.read_bytes(), bundles)
    except (OSError, ValueError) as error:
        print(f"FAILED: cannot read input: {error}", file=sys.stderr)
        return 1
    except BundleInvalid as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(
        f"OK: diligence report of {', '.join(map(str, summary['agents']))} produced at {summary['produced_at']}, "
        f"signed by the log key; checkpoint of {summary['origin']} at size {summary['checkpoint_size']}."
    )
    for bundle in summary["bundles"]:
        print(
            f"OK: bundle of {bundle['agent']} (sha256 {bundle['sha256'][:16]}…): {bundle['records']} records proven, "
            f"{bundle['verdicts']} verdicts recomputed and equal."
        )
        for clause in bundle["not_recomputable"]:
            print(f"NOT RECOMPUTABLE IN THIS SCOPE: {clause}")
    for item in summary["withheld"]:
        if isinstance(item, dict):
            print(f"WITHHELD: {item.get('agent')}: {item.get('what')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
