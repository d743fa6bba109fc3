"""Webhooks: buyer-registered endpoints told about trust-loop events, signed per Standard Webhooks, retried.

An event (``reputation.events.publish``) becomes one ``WebhookDelivery`` row per subscribed, enabled endpoint of
the organizations concerned, **in the publishing transaction**; its first attempt is queued on commit. Each
attempt writes a ``WebhookAttempt``. A delivery's life::

    pending ──2xx──▶ succeeded
       │  └──failure──▶ retrying ──(next_attempt_at: the schedule, ±jitter, or Retry-After if later)──▶ …
       │                   └──last attempt fails──▶ failed        (resend: back to pending, one more attempt)
       └──410 Gone──▶ failed, and the endpoint is disabled (its owners are told in-app)

An endpoint that has not had one success for ``WEBHOOK_DISABLE_AFTER_DAYS`` (``failing_since``) is disabled too,
with a notice. Due retries are rows, sent by ``send_due_webhooks`` (beat) and, for short delays, by a countdown
task as well: whichever comes first claims the row with a conditional UPDATE, so a message is never sent twice
at once and survives a worker restart.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import Membership, Organization, User
from accounts.permissions import require
from accounts.services import notifications_create
from reputation.events import EVENT_TYPES
from reputation.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reputation.webhook_http import Outcome, TargetRefused, check_target, post
from trust_portal.errors import Conflict, NotFound

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # 192 bits; Standard Webhooks asks for 24 to 64
MAX_ENDPOINTS_PER_ORGANIZATION = 20
SHORT_DELAY_SECONDS = 300  # retries this soon also get a countdown task; later ones wait for the beat
Status = WebhookDelivery.Status
OPEN = (Status.PENDING, Status.RETRYING)


@dataclass(frozen=True)
class IssuedSecret:
    """An endpoint and its new signing secret: the one time the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_prefix(secret: str) -> str:
    """What is shown of a secret after it was issued: enough to tell two apart."""
    return secret[: len(SECRET_PREFIX) + 4]


def schedule() -> list[float]:
    return [float(delay) for delay in settings.WEBHOOK_RETRY_SCHEDULE]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- signing --------------------------------------------------------------------------------------------------


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its overlap after a rotation."""
    valid = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        valid.append(endpoint.previous_secret)
    return valid


def message_body(delivery: WebhookDelivery) -> str:
    """The exact bytes sent (and signed): the same on every attempt."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def message_headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: str, now: datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (one ``v1,…`` per valid secret)."""
    at = now.astimezone(UTC)
    signatures = [Webhook(secret).sign(delivery.msg_id, at, body) for secret in signing_secrets(endpoint, now)]
    return {
        "webhook-id": delivery.msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "User-Agent": "TrustPortal-Webhooks/1",
    }


# --- reads -----------------------------------------------------------------------------------------------------


def webhook_endpoint_list(*, user: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.restrict(user, "view").select_related("created_by").order_by("-created_at", "-id")


def webhook_endpoint_get(*, user: Any, webhook_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list(user=user).filter(pk=webhook_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def webhook_delivery_list(*, user: Any, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.restrict(user, "view")
        .filter(endpoint=endpoint)
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get(*, user: Any, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = webhook_delivery_list(user=user, endpoint=endpoint).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such webhook delivery.")
    return delivery


# --- managing endpoints ------------------------------------------------------------------------------------------


def _validated(*, url: str, events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    errors: dict[str, list[str]] = {}
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        errors["events"] = [f"Unknown event type {unknown[0]!r}; choose from {', '.join(EVENT_TYPES)}."]
    elif not chosen:
        errors["events"] = ["Choose at least one event type."]
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:  # type: ignore[operator]
        errors["url"] = ["The URL is too long (500 characters at most)."]
    else:
        try:
            check_target(url)
        except TargetRefused as refusal:
            errors["url"] = [str(refusal)]
    if errors:
        raise ValidationError(errors)
    return [name for name in EVENT_TYPES if name in chosen]


def webhook_endpoint_create(
    *, user: User, url: str, events: Iterable[str], description: str = "", organization: Organization | None = None
) -> IssuedSecret:
    """Register an endpoint for the user's buyer organization (owners); its secret is returned once."""
    organization = organization or user.organization
    require(user, "reputation.manage_webhooks", organization)
    assert organization is not None  # require() refused anyone outside a buyer organization
    chosen = _validated(url=url, events=events)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()  # serialises the count below
        if WebhookEndpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS_PER_ORGANIZATION:
            raise ValidationError({"url": [f"At most {MAX_ENDPOINTS_PER_ORGANIZATION} endpoints per organization."]})
        secret = new_secret()
        endpoint = WebhookEndpoint(
            organization=organization,
            url=url,
            description=description,
            events=chosen,
            secret=secret,
            created_by=user,
        )
        endpoint.full_clean()
        endpoint.save()
    return IssuedSecret(endpoint, secret)


def webhook_endpoint_rotate_secret(
    *, user: User, endpoint: WebhookEndpoint, now: datetime | None = None
) -> IssuedSecret:
    """A new secret (shown once); the current one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_HOURS, so the
    receiver can switch without losing a message. Only two secrets are ever valid: rotating again within the
    overlap drops the oldest."""
    require(user, "reputation.manage_webhooks", endpoint)
    now = now or timezone.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        secret = new_secret()
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return IssuedSecret(locked, secret)


def webhook_endpoint_delete(*, user: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its delivery log."""
    require(user, "reputation.manage_webhooks", endpoint)
    endpoint.delete()


def webhook_endpoint_enable(*, user: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable an endpoint again (after a 410, five failing days, or by hand); its failing clock restarts."""
    require(user, "reputation.manage_webhooks", endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=False).update(
        enabled=True, disabled_reason="", disabled_at=None, failing_since=None
    )
    endpoint.refresh_from_db()
    return endpoint


def webhook_endpoint_disable(*, user: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to an endpoint (by hand); pending deliveries fail when they fall due."""
    require(user, "reputation.manage_webhooks", endpoint)
    _endpoint_disable(endpoint_id=endpoint.pk, reason=f"disabled by {user.username}", notify=False)
    endpoint.refresh_from_db()
    return endpoint


def _endpoint_disable(*, endpoint_id: int, reason: str, notify: bool, now: datetime | None = None) -> bool:
    """The one transition to disabled (a conditional UPDATE: once); the owners are told when ``notify``."""
    now = now or timezone.now()
    changed = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).update(
        enabled=False, disabled_reason=reason[:300], disabled_at=now
    )
    if changed and notify:
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        owners = list(
            User.objects.filter(
                membership__organization_id=endpoint.organization_id,
                membership__role=Membership.Role.OWNER,
                is_active=True,
            )
        )
        notifications_create(
            recipients=owners,
            kind="webhook.disabled",
            title=f"Webhook endpoint {endpoint.url} disabled",
            body=f"{reason}. Enable it again on its page once the receiver is fixed; resend what it missed.",
            url=reverse("reputation:webhook", args=[endpoint_id]),
        )
    return bool(changed)


# --- events become deliveries ----------------------------------------------------------------------------------


def webhook_deliveries_create(event_type: str, organization_ids: list[int], payload: dict[str, Any]) -> None:
    """The deliverer ``reputation.events.publish`` calls: one delivery per subscribed enabled endpoint, written
    in the caller's transaction; first attempts queued on commit (never for a rolled-back change)."""
    from reputation.tasks import send_webhook

    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization_id__in=organization_ids, enabled=True)
        if event_type in endpoint.events
    ]
    if not endpoints:
        return
    now = timezone.now()
    message = {"type": event_type, "timestamp": _iso(now), **{k: v for k, v in payload.items() if k != "type"}}
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                msg_id=f"msg_{uuid.uuid4().hex}",
                event_type=event_type,
                payload=message,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
    )
    for delivery in WebhookDelivery.objects.filter(msg_id__in=[d.msg_id for d in deliveries]).only("pk"):
        send_webhook.delay_on_commit(delivery.pk)


def webhook_delivery_resend(*, user: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (same ``webhook-id``, so a receiver that already has it can ignore it)."""
    from reputation.tasks import send_webhook

    require(user, "reputation.manage_webhooks", delivery.endpoint)
    if not delivery.endpoint.enabled:
        raise Conflict("The endpoint is disabled: enable it first, then resend.")
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=Status.PENDING, next_attempt_at=now)
    send_webhook.delay_on_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery


# --- sending ---------------------------------------------------------------------------------------------------


def next_delay(*, attempts: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after ``attempts`` attempts, or None when the schedule is spent. The
    scheduled delay carries ±WEBHOOK_RETRY_JITTER; a receiver's Retry-After wins when it asks for longer."""
    delays = schedule()
    if attempts >= len(delays):
        return None
    jitter = float(settings.WEBHOOK_RETRY_JITTER)
    delay = delays[attempts] * (1 + random.uniform(-jitter, jitter))
    return max(delay, retry_after or 0.0)


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take a due delivery for one attempt: its due time moves past the attempt's timeout (a lease), so the beat
    and a countdown task never send it twice at once, and a crashed worker's claim lapses."""
    lease = timedelta(seconds=float(settings.WEBHOOK_TIMEOUT_SECONDS) + 45)
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status__in=OPEN, next_attempt_at__lte=now).update(
            next_attempt_at=now + lease
        )
    )


def webhook_delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """One attempt of a due delivery (outside any transaction: the network is slow); returns its new status, or
    None when it was not due (already sent, claimed by another worker, or not yet time)."""
    given = now
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        WebhookDelivery.objects.filter(pk=delivery_id, status__in=OPEN).update(
            status=Status.FAILED, next_attempt_at=None, last_error="endpoint disabled"
        )
        return Status.FAILED
    body = message_body(delivery)
    outcome = post(endpoint.url, body.encode(), message_headers(endpoint, delivery, body, now))
    return _record(delivery, outcome, given or timezone.now())


def _record(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> str:
    """Write the attempt and move the delivery (and the endpoint's failing clock) on, in one transaction."""
    endpoint = delivery.endpoint
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        attempts = delivery.attempts + 1
        fields: dict[str, Any] = {
            "attempts": F("attempts") + 1,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        delay = None
        if outcome.succeeded:
            fields.update(status=Status.SUCCEEDED, delivered_at=now, next_attempt_at=None)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
        elif outcome.status_code == 410:
            fields.update(status=Status.FAILED, next_attempt_at=None)
            _endpoint_disable(endpoint_id=endpoint.pk, reason="The receiver answered 410 Gone", notify=True, now=now)
        else:
            delay = next_delay(attempts=attempts, retry_after=outcome.retry_after)
            if delay is None:
                fields.update(status=Status.FAILED, next_attempt_at=None)
            else:
                fields.update(status=Status.RETRYING, next_attempt_at=now + timedelta(seconds=delay))
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
            failing_since = WebhookEndpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
            days = settings.WEBHOOK_DISABLE_AFTER_DAYS
            if failing_since is not None and now - failing_since >= timedelta(days=days):
                _endpoint_disable(
                    endpoint_id=endpoint.pk,
                    reason=f"Failing for {days} days without one successful delivery",
                    notify=True,
                    now=now,
                )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
        if delay is not None and delay <= SHORT_DELAY_SECONDS:
            from reputation.tasks import send_webhook

            send_webhook.apply_async_on_commit((delivery.pk,), countdown=delay)
    return str(fields.get("status", Status.RETRYING))


def webhooks_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Attempt every delivery whose time has come (the beat's task); returns how many were attempted."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(webhook_delivery_attempt(delivery_id=pk, now=now) is not None for pk in due)
