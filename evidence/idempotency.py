"""Idempotency-Key, the Stripe way, for evidence submission.

1. ``claim`` inserts (scope, key, fingerprint, in_flight) in its own committed
   transaction. If the key exists: another body → 422; still in flight → 409;
   done → the stored response is replayed.
2. The caller does the work and calls ``complete`` *inside the same
   transaction as the records*, storing the response: either both commit or
   neither does.
3. If the work fails, ``release`` deletes the claim so the client can retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from evidence.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from evidence.models import IdempotencyKey
from trust_portal.errors import DomainError

MAX_KEY_LENGTH = 255
ABANDONED_AFTER = timedelta(minutes=10)  # an in-flight claim this old belongs to a process that died


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def _claim(*, scope: str, key: str, print_: str) -> IdempotencyKey | StoredResponse:
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(scope=scope, key=key, fingerprint=print_)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:  # purged between our insert and our read: try once more
                continue
            if existing.fingerprint != print_:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used with a different request body; use a new key for a new request."
                ) from None
            if (
                existing.state == IdempotencyKey.State.IN_FLIGHT
                and existing.created_at < timezone.now() - ABANDONED_AFTER
            ):
                IdempotencyKey.objects.filter(pk=existing.pk, state=IdempotencyKey.State.IN_FLIGHT).delete()
                continue
            if existing.state == IdempotencyKey.State.IN_FLIGHT:
                raise IdempotencyKeyInFlight(
                    "The first request with this Idempotency-Key is still running; retry shortly."
                ) from None
            return StoredResponse(existing.response_status or 200, existing.response_body)
    raise IdempotencyKeyInFlight("The Idempotency-Key is being recycled; retry shortly.")


def run_idempotently(
    *, scope: str, key: str | None, print_: str, work: Callable[[], tuple[int, Any]]
) -> tuple[StoredResponse, bool]:
    """Run ``work`` once per (scope, key, request). Returns (response, replayed)."""
    if not key:
        with transaction.atomic():
            status, body = work()
        return StoredResponse(status, body), False
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.", field="Idempotency-Key")
    claim = _claim(scope=scope, key=key, print_=print_)
    if isinstance(claim, StoredResponse):
        return claim, True
    try:
        with transaction.atomic():
            status, body = work()
            # Stored in the records' transaction: a response exists if and only if the records do.
            IdempotencyKey.objects.filter(pk=claim.pk).update(
                state=IdempotencyKey.State.DONE, response_status=status, response_body=body
            )
    except BaseException:
        IdempotencyKey.objects.filter(pk=claim.pk, state=IdempotencyKey.State.IN_FLIGHT).delete()
        raise
    return StoredResponse(status, body), False


def purge_expired(*, now: Any = None) -> int:
    hours = max(24, int(getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 48)))
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
