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


if __name__ == "__main__":
    sys.exit(main())
