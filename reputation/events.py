"""Trust-loop events: one call tells everyone concerned, in-app and (for subscribed endpoints) by webhook.

``publish(event_type, agent=…, data=…)`` runs in the caller's transaction: it writes the in-app notifications
for the audience (the users of buyer organizations that follow or engage the agent, or the organizations
given) and hands the event to the webhook deliveries (``reputation.webhooks``), which are queued on commit,
so an event is never announced for a change that was rolled back.

Event types (Standard Webhooks ``type`` values): ``tier.changed``, ``verdict.breached``, ``pact.published``,
``ledger.entry_created``, ``ledger.entry_updated``, ``dispute.filed``, ``dispute.updated``, ``dispute.ruled``
(the disputes app publishes those to both parties), ``clause.warning`` (an early warning on a rate clause:
``reputation.warnings``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from accounts.models import Membership, Organization, User
from accounts.services import notifications_create
from pacts.models import Agent

EVENT_TYPES = (
    "tier.changed",
    "verdict.breached",
    "pact.published",
    "ledger.entry_created",
    "ledger.entry_updated",
    "dispute.filed",
    "dispute.updated",
    "dispute.ruled",
    "clause.warning",
)

# Functions ``(event_type, organization_ids, payload) -> None`` that deliver an event beyond the portal (the
# webhook slice registers one); called inside the caller's transaction, they queue their work on commit.
deliverers: list[Callable[[str, list[int], dict[str, Any]], None]] = []


def audience(agent: Agent) -> list[int]:
    """The buyer organizations concerned with an agent: those that engage it and those whose users follow it."""
    from reputation.models import Engagement

    engaged = Engagement.objects.filter(agent=agent, ended_at__isnull=True).values_list("buyer_id", flat=True)
    following = Membership.objects.filter(
        user__follows__agent=agent, organization__kind=Organization.Kind.BUYER
    ).values_list("organization_id", flat=True)
    return sorted({*engaged, *following})


def publish(
    event_type: str,
    *,
    agent: Agent,
    title: str,
    data: dict[str, Any],
    url: str = "",
    organizations: Iterable[int] | None = None,
) -> None:
    """Notify the audience in-app and hand the event to the deliverers (webhooks)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    organization_ids = sorted(set(organizations)) if organizations is not None else audience(agent)
    if not organization_ids:
        return
    recipients = list(User.objects.filter(membership__organization_id__in=organization_ids, is_active=True))
    notifications_create(recipients=recipients, kind=event_type, title=title, url=url)
    payload = {"type": event_type, "agent": agent.slug, "data": data}
    for deliver in deliverers:
        deliver(event_type, organization_ids, payload)
