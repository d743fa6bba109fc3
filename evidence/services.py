"""Every write to evidence: submission (single, batch, import), access grants, token scopes.

Submission is all-or-nothing: every item is validated first, and either every
record is stored in one transaction or none is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import ApiToken, Organization, User
from accounts.permissions import require
from evidence import canonical, hooks, keyproof
from evidence.attachments import AttachmentTooLarge, CheckedAttachment, check_attachment
from evidence.buckets import buckets_add
from evidence.errors import (
    AttachmentTooLargeError,
    BatchTooLarge,
    EvidenceInvalid,
    GrantExists,
    ImportInvalid,
    SigningKeyRefused,
    TokenScopeForbids,
)
from evidence.importers import ImportError_, ImportOptions, importers
from evidence.models import (
    AccessGrant,
    Attachment,
    EvidenceImport,
    EvidenceRecord,
    KeyChallengeUse,
    TokenAgentScope,
    VendorKey,
    Visibility,
)
from evidence.rules import active_grants
from evidence.validation import CleanRecord, validate_record
from pacts.models import Agent
from trust_portal.errors import PayloadTooLarge
from trustcore.canonical import canonical_record, iso, new_salts
from trustcore.dsse import EnvelopeInvalid, open_envelope
from trustcore.notes import public_key_from_pem


def batch_limit() -> int:
    return int(getattr(settings, "EVIDENCE_BATCH_LIMIT", 1000))


def attachment_limit() -> int:
    return int(getattr(settings, "EVIDENCE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))


def require_submitter(*, agent: Agent, user: User, token: ApiToken | None) -> None:
    """Members of the agent's vendor may submit; a token scoped to other agents is refused (403).

    (A read-only token never gets this far: ``TokenScopeAllows``, on every API view, refuses its writes.)
    """
    require(user, "evidence.submit", agent)
    if token is not None:
        scoped = list(TokenAgentScope.objects.filter(token=token).values_list("agent_id", flat=True))
        if scoped and agent.pk not in scoped:
            raise TokenScopeForbids(f"This token is limited to other agents than {agent.slug!r}.")


@dataclass
class _Prepared:
    clean: CleanRecord
    attachment: CheckedAttachment | None


def _key_lookup(keys: dict[str, Any]) -> Any:
    def lookup(kid: str) -> Any:
        return public_key_from_pem(keys[kid].public_pem.encode()) if kid in keys else None

    return lookup


def _metrics_requiring_signatures(agent: Agent, *, at: datetime) -> dict[str, str]:
    """metric -> clause id, for the clauses of the versions in force at ``at`` that accept signed evidence only."""
    from pacts.models import PactClause, PactVersion

    return dict(
        PactClause.objects.filter(
            version__in=PactVersion.objects.in_force(at).filter(pact__agent=agent), requires_signed_evidence=True
        ).values_list("metric", "clause_id")
    )


def _prepare(items: list[Any], *, agent: Agent, now: datetime, batch: bool, limit: int) -> list[_Prepared]:
    if len(items) > limit:
        raise BatchTooLarge(f"The batch has {len(items):,} records; the limit is {limit:,}.")
    if batch and not items:
        raise EvidenceInvalid(
            "The batch is empty.", errors=[{"field": "", "message": "Expected at least one record.", "code": "empty"}]
        )
    problems: list[dict[str, str]] = []
    prepared: list[_Prepared] = []
    keys: dict[str, Any] | None = None
    signed_metrics = _metrics_requiring_signatures(agent, at=now)
    for index, raw in enumerate(items):
        prefix = f"{index}." if batch else ""
        signer: Any = None
        envelope = raw.get("envelope") if isinstance(raw, dict) and set(raw) == {"envelope"} else None
        if envelope is not None:
            if keys is None:
                keys = {
                    k.key_id: k
                    for k in VendorKey.objects.filter(organization_id=agent.organization_id, revoked_at__isnull=True)
                }
            try:
                payload, keyid = open_envelope(envelope, _key_lookup(keys))
                raw = orjson.loads(payload)
            except EnvelopeInvalid as error:
                problems.append({"field": prefix + "envelope", "message": str(error), "code": "bad_signature"})
                continue
            except orjson.JSONDecodeError as error:
                problems.append(
                    {
                        "field": prefix + "envelope.payload",
                        "message": f"The signed payload is not JSON: {error}",
                        "code": "invalid",
                    }
                )
                continue
            signer = (keys[keyid], hashlib.sha256(payload).hexdigest(), envelope)
        clean, errors = validate_record(raw, now=now, prefix=prefix)
        if clean is not None and signer is None and clean.metric in signed_metrics:
            errors = [
                *errors,
                {
                    "field": prefix + "envelope",
                    "code": "signature_required",
                    "message": f"Clause {signed_metrics[clean.metric]} requires signed evidence for {clean.metric}: "
                    "send the record inside a DSSE envelope signed with a registered vendor key.",
                },
            ]
        if clean is not None and signer is not None:
            clean.signed_by, clean.payload_sha256, clean.envelope = signer
        attachment = None
        if clean is not None and clean.attachment is not None:
            try:
                attachment, errors = check_attachment(
                    clean.attachment, limit=attachment_limit(), field=prefix + "attachment"
                )
            except AttachmentTooLarge as error:
                raise AttachmentTooLargeError(
                    f"Record {index}: {error}" if batch else str(error), field=prefix + "attachment"
                ) from None
        problems.extend(errors)
        if clean is not None and not errors:
            prepared.append(_Prepared(clean, attachment))
    corrected_ids = {p.clean.corrects for p in prepared if p.clean.corrects}
    if corrected_ids:
        found = set(EvidenceRecord.objects.filter(agent=agent, pk__in=corrected_ids).values_list("pk", flat=True))
        restricted = set(
            EvidenceRecord.objects.filter(pk__in=found, visibility="restricted").values_list("pk", flat=True)
        )
        for index, raw in enumerate(items):
            target = raw.get("corrects") if isinstance(raw, dict) else None
            if not isinstance(target, int) or isinstance(target, bool):
                continue
            if target in found and target in restricted and raw.get("visibility", "public") != "restricted":
                problems.append(
                    {
                        "field": f"{index}.corrects" if batch else "corrects",
                        "message": "A public record cannot correct a restricted one (it would reveal it); make the correction restricted too.",
                        "code": "invalid",
                    }
                )
            if target in corrected_ids and target not in found:
                problems.append(
                    {
                        "field": f"{index}.corrects" if batch else "corrects",
                        "message": f"No record {target} of this agent to correct.",
                        "code": "not_found",
                    }
                )
    if problems:
        count = len({p["field"].split(".")[0] for p in problems}) if batch else 1
        what = f"{count} of {len(items)} records are invalid; nothing was stored" if batch else "The record is invalid"
        raise EvidenceInvalid(
            f"{what}: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems[:3]), errors=problems
        )
    return prepared


def attachment_store(checked: CheckedAttachment, *, organization_id: int) -> Attachment:
    """The organization's stored copy of these bytes, made the first time it sends them.

    Deduplicated within the organization only, and nameless (the name belongs to the record): what comes back
    never depends on what another organization uploaded.
    """
    existing = Attachment.objects.filter(organization_id=organization_id, sha256=checked.sha256).first()
    if existing is not None:
        return existing
    attachment = Attachment(
        organization_id=organization_id,
        sha256=checked.sha256,
        content_type=checked.content_type,
        size=len(checked.data),
    )
    attachment.file.save(f"{organization_id}/{checked.sha256}", ContentFile(checked.data), save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:  # the same bytes, sent at the same moment by the same organization
        attachment.file.delete(save=False)
        return Attachment.objects.get(organization_id=organization_id, sha256=checked.sha256)
    return attachment


@dataclass(frozen=True)
class StoredRecord:
    id: int
    canonical_hash: str


# The columns written on ingest, in COPY order.
INSERT_COLUMNS = (
    "id",
    "agent_id",
    "kind",
    "metric",
    "value",
    "values",
    "successes",
    "trials",
    "sample_count",
    "observed_from",
    "observed_to",
    "source_tool",
    "source_version",
    "payload",
    "task_name",
    "task_version",
    "dataset_hash",
    "scorer",
    "visibility",
    "attachment_id",
    "attachment_filename",
    "corrects_id",
    "evidence_import_id",
    "submitted_by_id",
    "submitted_token_id",
    "received_at",
    "canonical_hash",
    "signed_by_id",
    "envelope",
    "canonical",
    "leaf_index",
)


def _insert(rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert rows (``INSERT_COLUMNS`` order, without the id) and return their ids in order.

    On PostgreSQL this reserves the ids from the sequence and streams the rows with COPY, several times
    faster than INSERT for a batch (see bench/ingest.py). Elsewhere it uses bulk_create.
    """
    if connection.vendor != "postgresql":
        names = INSERT_COLUMNS[1:]
        created = EvidenceRecord.objects.bulk_create(
            [EvidenceRecord(**dict(zip(names, row, strict=True))) for row in rows], batch_size=500
        )
        return [record.pk for record in created]
    table = EvidenceRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} ({', '.join(INSERT_COLUMNS)}) FROM STDIN") as copy:
            for record_id, row in zip(ids, rows, strict=True):
                copy.write_row((record_id, *row))
    return ids


def _json_for(vendor: str) -> Any:
    """COPY takes JSON columns as text; bulk_create takes Python values."""
    if vendor == "postgresql":
        return lambda value: None if value is None else orjson.dumps(value).decode()
    return lambda value: value


def _leaf_slots(visibilities: list[str]) -> list[int] | None:
    """The batch positions in leaf order (public first, then restricted); None when that is the given order."""
    if Visibility.RESTRICTED not in visibilities:
        return None
    order = sorted(range(len(visibilities)), key=lambda i: visibilities[i] == Visibility.RESTRICTED)
    return None if order == list(range(len(order))) else order


def _inverse(order: list[int]) -> list[int]:
    """For each batch position, its place in ``order``."""
    place = [0] * len(order)
    for slot, position in enumerate(order):
        place[position] = slot
    return place


@transaction.atomic
def evidence_submit(
    *,
    agent: Agent,
    items: list[Any],
    user: User,
    token: ApiToken | None = None,
    batch: bool = True,
    evidence_import: EvidenceImport | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[StoredRecord]:
    """Validate every item, then store them all (or nothing). Returns the new records' ids and hashes in order."""
    require_submitter(agent=agent, user=user, token=token)
    received_at = timezone.now()
    now = now or received_at
    prepared = _prepare(items, agent=agent, now=now, batch=batch, limit=limit or batch_limit())
    corrected = {p.clean.corrects for p in prepared if p.clean.corrects}
    corrects_hash = (
        dict(EvidenceRecord.objects.filter(pk__in=corrected).values_list("pk", "canonical_hash")) if corrected else {}
    )
    vendor_slug = agent.organization.slug
    received_iso = iso(received_at)
    json_column = _json_for(connection.vendor)
    rows: list[tuple[Any, ...]] = []
    hashes: list[str] = []
    leaves: list[bytes] = []
    salts = new_salts(len(prepared))
    for item, salt in zip(prepared, salts, strict=True):
        clean = item.clean
        attachment = (
            attachment_store(item.attachment, organization_id=agent.organization_id) if item.attachment else None
        )
        canon = canonical_record(
            agent=agent.slug,
            vendor=vendor_slug,
            kind=clean.kind,
            metric=clean.metric,
            observed_from=clean.observed_from,
            observed_to=clean.observed_to,
            received_at=received_iso,
            visibility=clean.visibility,
            value=clean.value,
            values=clean.values,
            successes=clean.successes,
            trials=clean.trials,
            source={k: v for k, v in (("tool", clean.source_tool), ("version", clean.source_version)) if v},
            payload=clean.payload,
            measurement=clean.measurement,
            corrects=corrects_hash.get(clean.corrects) if clean.corrects else None,
            signed={"keyid": clean.signed_by.key_id, "payload_sha256": clean.payload_sha256}
            if clean.signed_by
            else None,
            attachment={"sha256": attachment.sha256, "content_type": attachment.content_type, "size": attachment.size}
            if attachment
            else None,
            salt=salt,
        )
        data = canonical.canonical_bytes(canon)
        record_hash = hashlib.sha256(data).hexdigest()
        hashes.append(record_hash)
        leaves.append(data)
        rows.append(
            (
                agent.pk,
                clean.kind,
                clean.metric,
                clean.value,
                json_column(clean.values),
                clean.successes,
                clean.trials,
                clean.sample_count,
                clean.observed_from,
                clean.observed_to,
                clean.source_tool,
                clean.source_version,
                json_column(clean.payload),
                clean.task_name,
                clean.task_version,
                clean.dataset_hash,
                clean.scorer,
                clean.visibility,
                attachment.pk if attachment else None,
                item.attachment.filename if item.attachment else "",
                clean.corrects,
                evidence_import.pk if evidence_import else None,
                user.pk,
                token.pk if token else None,
                received_at,
                record_hash,
                clean.signed_by.pk if clean.signed_by else None,
                json_column(clean.envelope),
                data.decode("utf-8"),
            )
        )
    # The log lock is taken here and held to commit. A batch's public records take its first leaves and its
    # restricted ones the rest, so no gap between an outsider's visible indexes falls inside one batch
    # (docs/log.md, "What an outsider learns").
    slots = _leaf_slots([item.clean.visibility for item in prepared])
    start = hooks.log_leaves(leaves if slots is None else [leaves[i] for i in slots])
    positions = range(len(rows)) if slots is None else _inverse(slots)
    rows = [(*row, None if start is None else start + position) for position, row in zip(positions, rows, strict=True)]
    ids = _insert(rows)
    buckets_add(agent_id=agent.pk, records=[item.clean for item in prepared])
    hooks.accepted(agent.pk)  # evaluation, queued on commit: a breach shows within one task run of its evidence
    return [StoredRecord(record_id, record_hash) for record_id, record_hash in zip(ids, hashes, strict=True)]


# --- access to restricted evidence -------------------------------------------------------------


@transaction.atomic
def access_grant_create(
    *, agent: Agent, organization: Organization, user: User, expires_at: datetime | None = None, note: str = ""
) -> AccessGrant:
    require(user, "evidence.manage_grants", agent)
    if not organization.is_buyer:
        raise EvidenceInvalid("Access is granted to buyer organizations.", field="organization")
    if expires_at is not None and expires_at <= timezone.now():
        raise EvidenceInvalid("The expiry must be in the future.", field="expires_at")
    Agent.objects.select_for_update().filter(pk=agent.pk).first()  # one grant decision per agent at a time
    if AccessGrant.objects.filter(active_grants(), agent=agent, organization=organization).exists():
        raise GrantExists(f"{organization.name} already has active access to {agent.name}; revoke it to change it.")
    return AccessGrant.objects.create(
        agent=agent, organization=organization, granted_by=user, expires_at=expires_at, note=note[:500]
    )


def access_grant_revoke(*, grant: AccessGrant, user: User) -> AccessGrant:
    require(user, "evidence.revoke_grant", grant)
    AccessGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    grant.refresh_from_db()
    return grant


# --- agent-scoped tokens -------------------------------------------------------------------------


@transaction.atomic
def ingest_token_create(*, user: User, name: str, agents: Iterable[Agent], expires_at: datetime | None = None) -> Any:
    """A token that may only submit evidence for the given agents of the user's organization."""
    from accounts.services import api_token_create

    agents = list(dict.fromkeys(agents))  # an agent named twice is one scope (twice was a unique-constraint 500)
    if not agents:
        raise EvidenceInvalid("Choose at least one agent.", field="agents")
    for agent in agents:
        require(user, "evidence.create_ingest_token", agent)
    issued = api_token_create(user=user, name=name, expires_at=expires_at)
    TokenAgentScope.objects.bulk_create([TokenAgentScope(token=issued.token, agent=agent) for agent in agents])
    return issued


# --- imports ---------------------------------------------------------------------------------------


def import_limit_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def import_record_limit() -> int:
    return int(getattr(settings, "EVIDENCE_IMPORT_RECORD_LIMIT", 50_000))


def evidence_import(
    *,
    agent: Agent,
    data: bytes,
    fmt: str,
    user: User,
    token: ApiToken | None = None,
    filename: str = "",
    options: ImportOptions | None = None,
) -> tuple[EvidenceImport, bool]:
    """Import a tool's result file once: (the import, whether it was new). The same file again adds nothing."""
    require_submitter(agent=agent, user=user, token=token)
    if len(data) > import_limit_bytes():
        raise PayloadTooLarge(
            f"The file is {len(data):,} bytes; the limit is {import_limit_bytes():,} bytes.", field="file"
        )
    parsers = importers()
    if fmt not in parsers:
        raise ImportInvalid(f"Unknown format {fmt!r}; expected one of {', '.join(sorted(parsers))}.", field="format")
    file_sha256 = hashlib.sha256(data).hexdigest()
    existing = EvidenceImport.objects.filter(agent=agent, file_sha256=file_sha256).first()
    if existing is not None:
        return existing, False
    try:
        parsed = parsers[fmt](data, options or ImportOptions())
    except ImportError_ as error:
        raise ImportInvalid(
            str(error), errors=error.errors or [{"field": "file", "message": str(error), "code": "invalid_import"}]
        ) from None
    if not parsed.records:
        raise ImportInvalid("The file holds no results to import.", field="file")
    if parsed.run_id:
        same_run = EvidenceImport.objects.filter(agent=agent, tool=parsed.tool, run_id=parsed.run_id).first()
        if same_run is not None:  # e.g. the .json and the .eval log of one Inspect run
            return same_run, False
    floor = (options or ImportOptions()).visibility
    for record in parsed.records:
        if floor == "restricted" or "visibility" not in record:
            record["visibility"] = floor  # the request's visibility is a floor: a line cannot make itself public
        source = record.setdefault("source", {})
        source.setdefault("tool", parsed.tool)
        if parsed.tool_version:
            source.setdefault("version", parsed.tool_version)
        payload = record.setdefault("payload", {})
        payload["import"] = {"format": fmt, "file_sha256": file_sha256, "filename": filename[:200]}
    try:
        with transaction.atomic():
            evidence_import_row = EvidenceImport.objects.create(
                agent=agent,
                format=fmt,
                file_sha256=file_sha256,
                filename=filename[:200],
                tool=parsed.tool[:100],
                tool_version=parsed.tool_version[:50],
                task=parsed.task[:200],
                dataset=parsed.dataset[:200],
                run_id=parsed.run_id[:200],
                record_count=len(parsed.records),
                submitted_by=user,
            )
            evidence_submit(
                agent=agent,
                items=parsed.records,
                user=user,
                token=token,
                batch=True,
                evidence_import=evidence_import_row,
                limit=import_record_limit(),
            )
    except IntegrityError:  # the same file, imported concurrently
        return EvidenceImport.objects.get(agent=agent, file_sha256=file_sha256), False
    return evidence_import_row, True


# --- vendor signing keys --------------------------------------------------------------------------------------


def vendor_key_challenge(*, user: User) -> keyproof.Challenge:
    """A challenge for the user's vendor organization to sign with the key it is about to register.

    Stateless (an HMAC-signed text, see ``evidence.keyproof``): asking for one writes nothing.
    """
    organization = user.organization
    require(user, "evidence.manage_signing_keys", organization)
    assert organization is not None
    return keyproof.challenge_issue(organization_id=organization.pk)


def _refused(message: str, *, field: str, code: str) -> SigningKeyRefused:
    return SigningKeyRefused(message, errors=[{"field": field, "message": message, "code": code}])


@transaction.atomic
def vendor_key_register(*, user: User, name: str, public_pem: str, challenge: str, signature: str) -> VendorKey:
    """Register an Ed25519 public key the user's vendor organization signs evidence with.

    The registration proves possession of the private key: ``signature`` is the key's signature over
    ``challenge``, a challenge the portal issued to this organization (``vendor_key_challenge``) within the last
    15 minutes and not used before. Every refusal is a 400 naming the field (public_pem, challenge, signature).
    """
    organization = user.organization
    require(user, "evidence.manage_signing_keys", organization)
    assert organization is not None
    try:
        key = public_key_from_pem(public_pem.strip().encode())
    except ValueError as error:
        raise _refused(
            f"Not an Ed25519 public key in PEM form: {error}", field="public_pem", code="invalid_key"
        ) from None
    try:
        nonce = keyproof.challenge_nonce(challenge, organization_id=organization.pk)
    except keyproof.ProofInvalid as error:
        raise _refused(str(error), field=error.field, code=error.code) from None
    if not keyproof.signature_verifies(key, challenge, signature):
        raise _refused(
            "The signature does not verify: sign the challenge text exactly as given (no added newline) with the "
            "private key of this public key, and send the signature base64-encoded.",
            field="signature",
            code="bad_signature",
        )
    from trustcore.dsse import key_id

    kid = key_id(key)
    now = timezone.now()
    try:
        with transaction.atomic():
            KeyChallengeUse.objects.create(organization=organization, nonce=nonce, used_at=now)
    except IntegrityError:
        raise _refused(
            "This challenge has been used already: each challenge registers one key. Ask for a new one.",
            field="challenge",
            code="challenge_used",
        ) from None
    KeyChallengeUse.objects.filter(used_at__lt=now - 2 * keyproof.MAX_AGE).delete()  # their challenges expired
    try:
        with transaction.atomic():
            return VendorKey.objects.create(
                organization=organization,
                name=name.strip()[:100] or kid,
                key_id=kid,
                public_pem=public_pem.strip() + "\n",
            )
    except IntegrityError:  # (organization, key_id) is unique
        raise _refused(
            "Your organization has registered this key already.", field="public_pem", code="already_registered"
        ) from None


def vendor_key_revoke(*, user: User, key: VendorKey) -> VendorKey:
    require(user, "evidence.revoke_signing_key", key)
    VendorKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key
