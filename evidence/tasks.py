"""Background upkeep of evidence capture."""

from __future__ import annotations

from celery import shared_task

from evidence.access_requests import access_grants_remind_expiring
from evidence.idempotency import purge_expired


@shared_task(name="evidence.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Keys older than their retention (at least 24 hours)."""
    return purge_expired()


@shared_task(name="evidence.remind_expiring_grants")
def remind_expiring_grants() -> int:
    """Tell vendors' owners of grants expiring within 7 days (once per grant: idempotent)."""
    return access_grants_remind_expiring()
