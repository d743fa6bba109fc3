"""Demo webhooks: Northwind Bank's endpoint with a delivery that gave up after the whole retry schedule and a
later one that succeeded on its second attempt. The rows are written directly: nothing is sent at seed time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TextIO

from django.conf import settings
from django.utils import timezone

from accounts.models import Membership, Organization
from pacts.models import Agent
from reputation.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reputation.webhooks import new_secret

URL = "https://hooks.northwind.example/trust-portal"


def _delivery(
    endpoint: WebhookEndpoint,
    event_type: str,
    at: datetime,
    payload: dict[str, Any],
    outcomes: list[tuple[int | None, str]],
) -> WebhookDelivery:
    """A delivery created at ``at`` whose attempts (status, error) followed the retry schedule."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        msg_id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        payload={"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), **payload},
        created_at=at,
    )
    moment = at
    for delay, (status, error) in zip(settings.WEBHOOK_RETRY_SCHEDULE, outcomes, strict=False):
        moment += timedelta(seconds=delay)
        WebhookAttempt.objects.create(
            delivery=delivery, at=moment, status_code=status, error=error, duration_ms=15_000 if status is None else 180
        )
    last_status, last_error = outcomes[-1]
    succeeded = last_status is not None and 200 <= last_status < 300
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.SUCCEEDED if succeeded else WebhookDelivery.Status.FAILED,
        attempts=len(outcomes),
        last_status_code=last_status,
        last_error=last_error,
        delivered_at=moment if succeeded else None,
        next_attempt_at=None,
    )
    return delivery


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    northwind = Organization.objects.filter(name="Northwind Bank").first()
    owner = Membership.objects.filter(organization=northwind, role=Membership.Role.OWNER).select_related("user").first()
    agent = Agent.objects.filter(slug="refund-bot").first()
    if northwind is None or owner is None or agent is None:
        out.write("webhooks: no Northwind Bank owner or Refund Bot, skipped\n")
        return []
    if WebhookEndpoint.objects.filter(organization=northwind, url=URL).exists():
        out.write("webhooks: Northwind Bank's endpoint already present\n")
        return []
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        organization=northwind,
        url=URL,
        description="Risk desk: pauses Refund Bot in the payments workflow on a downgrade",
        events=["tier.changed", "verdict.breached", "ledger.entry_created", "ledger.entry_updated"],
        secret=new_secret(),
        created_by=owner.user,
        created_at=now - timedelta(days=20),
    )
    timeout = f"timed out after {settings.WEBHOOK_TIMEOUT_SECONDS:g} s"
    gave_up = [
        (502, "HTTP 502 Bad Gateway"),
        (502, "HTTP 502 Bad Gateway"),
        (None, timeout),
        (503, "HTTP 503 Service Unavailable"),
        (None, timeout),
        (None, "ConnectionRefusedError: [Errno 111] Connection refused"),
        (503, "HTTP 503 Service Unavailable"),
        (500, "HTTP 500 Internal Server Error"),
        (500, "HTTP 500 Internal Server Error"),
        (502, "HTTP 502 Bad Gateway"),
    ][: len(settings.WEBHOOK_RETRY_SCHEDULE)]
    _delivery(
        endpoint,
        "verdict.breached",
        now - timedelta(days=6),
        {"agent": agent.slug, "data": {"clause": "resolution-rate", "status": "breached"}},
        gave_up,
    )
    _delivery(
        endpoint,
        "tier.changed",
        now - timedelta(days=2),
        {"agent": agent.slug, "data": {"old": "standard", "new": "probation"}},
        [(503, "HTTP 503 Service Unavailable"), (200, "")],
    )
    out.write("webhooks: Northwind Bank's endpoint with a failed and a successful delivery\n")
    return []
