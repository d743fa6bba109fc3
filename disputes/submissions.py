"""Submissions: a party's statement and attachments at one stage, logged like evidence and never edited.

Each submission's canonical JSON (``dispute-submission/1``, RFC 8785) carries a fresh 256-bit salt, so its
leaf in the transparency log reveals nothing to those who may not read it; the statement itself is committed
by its SHA-256 (the leaf proves what was said and when, the text stays with the parties and the arbiter).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from disputes.errors import DisputeInvalid, TransitionRefused
from disputes.models import Dispute, Submission, SubmissionAttachment
from evidence.attachments import AttachmentTooLarge, CheckedAttachment, check_attachment
from evidence.services import attachment_store
from transparency.log import log_append
from trustcore import jcs
from trustcore.canonical import iso, new_salts

FORM = "dispute-submission/1"
MAX_ATTACHMENTS = 5


def attachments_check(raw: Any, field: str = "attachments") -> list[CheckedAttachment]:
    """``[{"filename", "content_type", "data_base64"}]`` (as evidence takes them), at most five, typed from bytes."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise DisputeInvalid(field, "Expected a list of attachments.", "invalid_type")
    if len(raw) > MAX_ATTACHMENTS:
        raise DisputeInvalid(field, f"At most {MAX_ATTACHMENTS} attachments.", "too_many")
    checked: list[CheckedAttachment] = []
    limit = settings.EVIDENCE_ATTACHMENT_MAX_BYTES
    for index, item in enumerate(raw):
        if isinstance(item, CheckedAttachment):  # checked already (a caller validated before its transaction)
            checked.append(item)
            continue
        if not isinstance(item, dict):
            raise DisputeInvalid(f"{field}.{index}", "Expected an object.", "invalid_type")
        try:
            attachment, problems = check_attachment(item, limit=limit, field=f"{field}.{index}")
        except AttachmentTooLarge as error:
            raise DisputeInvalid(f"{field}.{index}.data_base64", str(error), "too_large") from error
        if problems:
            first = problems[0]
            raise DisputeInvalid(first["field"], first["message"], first["code"])
        assert attachment is not None
        checked.append(attachment)
    return checked


def canonical(submission: Submission, attachments: list[CheckedAttachment], salt: str) -> bytes:
    return jcs.dumps(
        {
            "v": FORM,
            "dispute": submission.dispute_id,
            "party": submission.party,
            "stage": submission.stage,
            "round": submission.round,
            "statement_sha256": hashlib.sha256(submission.statement.encode()).hexdigest(),
            "attachments": [a.sha256 for a in attachments],
            "confidential": submission.confidential,
            "submitted_at": iso(submission.created_at),
            "salt": salt,
        }
    )


def submission_create(
    *,
    dispute: Dispute,
    party: str,
    stage: str,
    author: User,
    statement: str,
    now: datetime,
    round: int = 0,
    confidential: bool = False,
    attachments: Iterable[CheckedAttachment] = (),
) -> Submission:
    """Store and log one submission (in the caller's transaction); a second one at the same stage is a 409."""
    attachments = list(attachments)
    submission = Submission(
        dispute=dispute,
        party=party,
        stage=stage,
        round=round,
        author=author,
        statement=statement,
        confidential=bool(confidential),
        created_at=now,
    )
    data = canonical(submission, attachments, new_salts(1)[0])
    submission.canonical = data.decode()
    submission.canonical_hash = hashlib.sha256(data).hexdigest()
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError as error:
        raise TransitionRefused(
            f"The {party} already made its {stage} submission; each side submits once per stage.",
            errors=[{"field": "statement", "message": "already submitted at this stage", "code": "already_submitted"}],
        ) from error
    owner = dispute.claimant_id if party == "claimant" else dispute.respondent_id
    SubmissionAttachment.objects.bulk_create(
        [
            SubmissionAttachment(
                submission=submission,
                attachment=attachment_store(checked, organization_id=owner),
                filename=checked.filename or checked.sha256[:12],
            )
            for checked in attachments
        ]
    )
    index = log_append([data])
    Submission.objects.filter(pk=submission.pk).update(leaf_index=index)
    submission.leaf_index = index
    return submission


def logged_submissions() -> Iterator[tuple[int, str]]:
    """What each submission's leaf commits to (``transparency.hooks.logged_data``)."""
    rows = Submission.objects.exclude(leaf_index=None).order_by("leaf_index").values_list("leaf_index", "canonical")
    for index, data in rows.iterator():
        if index is not None:
            yield index, data
