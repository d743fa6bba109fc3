"""The offline verifier (trustcore.verify): every tampering with a bundle is caught and named, and the
command line needs nothing but the standard library and ``cryptography``."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trustcore import notes
from trustcore.verify import BundleInvalid, verify_bundle

pytestmark = pytest.mark.django_db  # the bundles under test are built by the portal (see the root conftest)
ROOT = Path(__file__).resolve().parents[2]


def tampered(bundle: dict, change) -> dict:
    copy_ = copy.deepcopy(bundle)
    change(copy_)
    return copy_


def _change_value(b: dict) -> None:
    record = json.loads(b["records"][0]["data"])
    record["successes"] = 1
    b["records"][0]["data"] = json.dumps(record, separators=(",", ":"), sort_keys=True)


def _swap_signature(b: dict) -> None:
    body, signature = b["log"]["checkpoint"].split("\n\n")
    name, sig = signature.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 1
    b["log"]["checkpoint"] = body + "\n\n" + name + " " + base64.b64encode(bytes(raw)).decode() + "\n"


def _foreign_checkpoint(b: dict) -> None:
    other = Ed25519PrivateKey.generate()
    cp = notes.parse_checkpoint(b["log"]["checkpoint"])
    b["log"]["checkpoint"] = notes.sign_checkpoint(
        notes.checkpoint_body(cp.origin, cp.size, cp.root), b["log"]["key_name"], other
    )


def _edit_verdict(b: dict) -> None:
    b["pacts"][0]["verdicts"][1]["status"] = "breached"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_change_value, "inclusion proof does not verify"),
        (lambda b: b["records"].pop(0), "does not match the records"),
        (lambda b: b["records"].reverse(), "not in strictly increasing leaf order"),
        (_swap_signature, "checkpoint: bad signature"),
        (_foreign_checkpoint, "checkpoint: unknown key"),
        (_edit_verdict, "verdict for clause latency-p95 does not match"),
        (
            lambda b: b["pacts"][0].update(document=b["pacts"][0]["document"].replace("0.92", "0.5")),
            "does not match its content hash",
        ),
        (
            lambda b: b["records"][1].update(inclusion_proof=b["records"][0]["inclusion_proof"]),
            "inclusion proof does not verify",
        ),
    ],
    ids=[
        "changed-value",
        "dropped-record",
        "reordered",
        "swapped-signature",
        "foreign-checkpoint",
        "edited-verdict",
        "edited-pact",
        "swapped-proof",
    ],
)
def test_every_tampering_is_caught(bundle, key_pem, change, message) -> None:
    with pytest.raises(BundleInvalid, match=message):
        verify_bundle(tampered(bundle, change), key_pem)


def _recompute_verdicts(b: dict) -> None:
    """What a careful forger does after any change: make every verdict agree with the records that are left."""
    from trustcore.evaluator import clause_specs, evaluate, observation_from_canonical, parse_time

    observations = [observation_from_canonical(r["id"], json.loads(r["data"])) for r in b["records"]]
    for pact in b["pacts"]:
        by_clause = {v["clause_id"]: v for v in pact["verdicts"]}
        for spec in clause_specs(json.loads(pact["document"])):
            verdict = evaluate(spec, observations, parse_time(b["as_of"]))
            by_clause[spec.clause_id].update(
                status=verdict.status, measured=verdict.measured, samples=verdict.samples, used=sorted(verdict.used)
            )


def _omit_the_worst_records(b: dict) -> None:
    worst = sorted(range(len(b["records"])), key=lambda i: json.loads(b["records"][i]["data"]).get("successes", 10**9))
    for index in sorted(worst[:2], reverse=True):
        del b["records"][index]
        del b["signatures"][index]
    _recompute_verdicts(b)


def _swap_the_pact_consistently(b: dict) -> None:
    from trustcore import jcs

    pact = b["pacts"][0]
    document = json.loads(pact["document"])
    for obligation in document["obligations"]:
        obligation["threshold"] = 0.0 if obligation["comparator"] in (">=", ">") else 1e9
    pact["document"] = jcs.dumps(document).decode()
    pact["content_hash"] = __import__("hashlib").sha256(pact["document"].encode()).hexdigest()
    _recompute_verdicts(b)


@pytest.mark.parametrize(
    "change", [_omit_the_worst_records, _swap_the_pact_consistently], ids=["records-left-out", "pact-swapped"]
)
def test_a_consistent_forgery_still_fails_on_the_portal_signature(bundle, key_pem, change) -> None:
    forged = tampered(bundle, change)
    with pytest.raises(BundleInvalid, match="differs from what the portal signed"):
        verify_bundle(forged, key_pem)


def test_an_unsigned_bundle_is_refused(bundle, key_pem) -> None:
    unsigned = tampered(bundle, lambda b: b.pop("portal_signature"))
    with pytest.raises(BundleInvalid, match="no portal signature"):
        verify_bundle(unsigned, key_pem)


def test_a_bundle_for_another_key_fails(bundle) -> None:
    other = notes.public_key_pem(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(BundleInvalid, match="checkpoint"):
        verify_bundle(bundle, other)


BLOCKER = """
import sys, runpy
ALLOWED = set(sys.stdlib_module_names) | {"cryptography", "cffi", "_cffi_backend", "trustcore"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ALLOWED:
            raise ImportError(f"the verifier may not import {name}")
        return None
sys.meta_path.insert(0, Block())
sys.argv = ["trustcore.verify", *sys.argv[1:]]
runpy.run_module("trustcore.verify", run_name="__main__")
"""


def run_verifier(tmp_path: Path, bundle: dict, key: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "key.pem").write_bytes(key)
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, str(tmp_path / "bundle.json"), "--key", str(tmp_path / "key.pem")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_offline_verifier_needs_only_the_standard_library_and_cryptography(bundle, key_pem, tmp_path) -> None:
    result = run_verifier(tmp_path, bundle, key_pem)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: checkpoint of")


def test_offline_verifier_exits_1_naming_what_broke(bundle, key_pem, tmp_path) -> None:
    bad = run_verifier(tmp_path, tampered(bundle, _edit_verdict), key_pem)
    assert bad.returncode == 1
    assert "FAILED: pact" in bad.stderr and "latency-p95" in bad.stderr
