"""Background work of the trust loop: tasks take ids and call a service."""

from __future__ import annotations

from celery import shared_task

# --- webhooks ---------------------------------------------------------------------------------------------------


@shared_task(name="reputation.send_webhook", acks_late=True)
def send_webhook(delivery_id: int) -> str | None:
    """One attempt of a delivery if it is due (idempotent: a claimed, sent or not-yet-due delivery is left alone)."""
    from reputation.webhooks import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="reputation.send_due_webhooks")
def send_due_webhooks() -> int:
    """Periodic (beat): every delivery whose next attempt is due; returns how many were attempted."""
    from reputation.webhooks import webhooks_send_due

    return webhooks_send_due()
