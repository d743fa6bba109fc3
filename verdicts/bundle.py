"""Portable evidence bundles: everything behind an agent's verdicts, verifiable offline (``trustcore.verify``).

Format ``trust-portal-bundle/v1`` (JSON)::

    format, generated_at, as_of            the moment the verdicts are computed at
    agent {slug, name, vendor}
    scope                                  whose view it is (restricted records only for those who may see them)
    log {origin, key_name, key_id, checkpoint}   the latest signed checkpoint; it covers every record below
    pending_records                        records too new for that checkpoint, left out (the next one covers them)
    pacts [{pact, title, version, content_hash, document (RFC 8785 text), verdicts [{clause_id, status,
           measured, samples, used [record ids]} | {clause_id, status, recomputable: false, reason}]}]
                                           a clause whose window holds restricted evidence the reader may not
                                           see is "not recomputable in this scope": its status only, no values
    records [{id, leaf_index, data (the canonical JSON the leaf commits to), inclusion_proof [base64]}]
    signatures [envelope | null]           the vendor's DSSE envelope for each record (same positions as records)
    vendor_keys {keyid: PEM}               the vendor keys those envelopes are signed with
    portal_signature                       a DSSE envelope (application/vnd.trust-portal.bundle+json) by the log key
                                           over the RFC 8785 bytes of everything above: nothing can be left out or swapped

Building a bundle signs nothing (reads never write). The verdicts are computed from exactly the bundled records with the evaluator the verifier runs
(exact percentiles), so anyone can recompute them — except, in a scope without restricted records, those
resting on restricted evidence: they carry the portal's status and ``recomputable: false``, and the
verifier reports them as not recomputable in this scope instead of disagreeing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.utils import timezone

from evidence.models import EvidenceRecord, VendorKey
from evidence.selectors import can_see_restricted, evidence_list
from pacts.documents import canonical_bytes
from pacts.models import Agent
from pacts.selectors import agent_pacts, version_in_force
from transparency import log as tlog
from trust_portal.errors import DomainError
from trustcore import dsse, merkle
from trustcore.canonical import iso
from trustcore.evaluator import ClauseSpec, evaluate, observation_from_canonical, window
from trustcore.verify import BUNDLE_PAYLOAD_TYPE, FORMAT, NOT_RECOMPUTABLE, SIGNATURE_FIELD, bundle_payload
from verdicts.evaluation import rests_on_restricted
from verdicts.models import Verdict


class LogPending(DomainError):
    status = 503
    code = "log_pending"
    title = "No signed checkpoint yet"


def bundle_build(*, user: Any, agent: Agent, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    pacts = []
    record_ids: set[int] = set()
    specs_by_pact = []
    for pact in agent_pacts(user=user, agent=agent):
        version = version_in_force(pact=pact, at=now)
        if version is None:
            continue
        specs = [ClauseSpec.from_row(c.as_row()) for c in version.clauses.all()]
        for spec in specs:
            window_start, _ = window(spec, now)
            record_ids.update(
                evidence_list(user=user, agent=agent, metric=spec.metric, observed_after=window_start).values_list(
                    "pk", flat=True
                )
            )
        specs_by_pact.append((pact, version, specs))

    checkpoint = tlog.checkpoint_latest()
    if checkpoint is None:
        raise LogPending("The log has no signed checkpoint yet; retry in a few seconds.")
    logged = EvidenceRecord.objects.filter(pk__in=record_ids, leaf_index__isnull=False)
    leaves: list[tuple[int, int, str]] = [
        (int(index), pk, data)
        for index, pk, data in logged.filter(leaf_index__lt=checkpoint.size)
        .order_by("leaf_index")
        .values_list("leaf_index", "pk", "canonical")
        if index is not None
    ]
    pending = logged.filter(leaf_index__gte=checkpoint.size).count()
    reader = tlog.DbReader(checkpoint.size)

    records = [
        {
            "id": record_id,
            "leaf_index": index,
            "data": data,
            "inclusion_proof": [tlog.b64(p) for p in merkle.inclusion_proof(reader, index, checkpoint.size)],
        }
        for index, record_id, data in leaves
    ]
    envelopes = dict(
        EvidenceRecord.objects.filter(pk__in=[r for _, r, _ in leaves], envelope__isnull=False).values_list(
            "pk", "envelope"
        )
    )
    signatures = [envelopes.get(record_id) for _, record_id, _ in leaves]
    key_ids = {json.loads(data).get("signed", {}).get("keyid") for _, _, data in leaves} - {None}
    vendor_keys = dict(
        VendorKey.objects.filter(organization_id=agent.organization_id, key_id__in=key_ids).values_list(
            "key_id", "public_pem"
        )
    )
    observations = [observation_from_canonical(record_id, json.loads(data)) for _, record_id, data in leaves]
    whole = can_see_restricted(user=user, agent=agent)
    for pact, version, specs in specs_by_pact:
        verdicts: list[dict[str, Any]] = []
        portal_status = dict(Verdict.objects.filter(pact=pact, is_current=True).values_list("clause_id", "status"))
        for spec in specs:
            if not whole and rests_on_restricted(agent_id=agent.pk, spec=spec, now=now):
                verdicts.append(
                    {
                        "clause_id": spec.clause_id,
                        "status": portal_status.get(spec.clause_id, "stale"),
                        "recomputable": False,
                        "reason": NOT_RECOMPUTABLE,
                    }
                )
                continue
            verdict = evaluate(spec, observations, now)
            verdicts.append(
                {
                    "clause_id": spec.clause_id,
                    "status": verdict.status,
                    "measured": verdict.measured,
                    "samples": verdict.samples,
                    "used": sorted(verdict.used),
                }
            )
        pacts.append(
            {
                "pact": pact.pk,
                "title": pact.title,
                "version": version.number,
                "content_hash": version.content_hash,
                "document": canonical_bytes(version.document).decode(),
                "verdicts": verdicts,
            }
        )
    key = tlog.signing_key()
    bundle = {
        "format": FORMAT,
        "generated_at": iso(timezone.now()),
        "as_of": iso(now),
        "agent": {"slug": agent.slug, "name": agent.name, "vendor": agent.organization.slug},
        "scope": "all records, restricted included" if whole else "public records only",
        "log": {
            "origin": key.name,
            "key_name": checkpoint.key.name,
            "key_id": checkpoint.key.key_id,
            "checkpoint": checkpoint.note,
        },
        "pacts": pacts,
        "pending_records": pending,
        "records": records,
        "signatures": signatures,
        "vendor_keys": vendor_keys,
    }
    bundle[SIGNATURE_FIELD] = dsse.sign(bundle_payload(bundle), key.private, payload_type=BUNDLE_PAYLOAD_TYPE)
    return bundle
